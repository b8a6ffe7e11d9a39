"""Where uploaded and received files are kept (`STORAGES["default"]`), read from the
environment: local disk under the installation's `var/media` (the default), or S3-compatible
object storage through django-storages (`pip install 'casedesk[s3]'`).

Code never assumes a local path: files are written and read through the storage API
(`FieldFile.save`, `.open()`), so the switch is this setting alone.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
# CASEDESK_S3_* variable → django-storages' S3Storage option. Credentials are not here:
# boto3 finds them itself (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role).
_S3_OPTIONS = {
    "CASEDESK_S3_BUCKET": "bucket_name",
    "CASEDESK_S3_ENDPOINT_URL": "endpoint_url",
    "CASEDESK_S3_REGION": "region_name",
    "CASEDESK_S3_PREFIX": "location",
    "CASEDESK_S3_ADDRESSING_STYLE": "addressing_style",
}


def default_storage_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """`STORAGES["default"]` for `CASEDESK_STORAGE` (`local` or `s3`). For S3 the bucket
    (`CASEDESK_S3_BUCKET`, or django-storages' own `AWS_STORAGE_BUCKET_NAME`) is required;
    files are private (no ACL), never overwritten, and signed with SigV4."""
    kind = environ.get("CASEDESK_STORAGE", "local").strip().lower() or "local"
    if kind == "local":
        return dict(LOCAL)
    if kind != "s3":
        raise ImproperlyConfigured(f"CASEDESK_STORAGE is 'local' or 's3', not {kind!r}.")
    options: dict[str, Any] = {"default_acl": None, "file_overwrite": False,
                               "signature_version": "s3v4", "querystring_auth": True}
    for variable, option in _S3_OPTIONS.items():
        value = environ.get(variable, "").strip()
        if value:
            options[option] = value
    if "bucket_name" not in options:
        bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
        if not bucket:
            raise ImproperlyConfigured("CASEDESK_STORAGE=s3 needs CASEDESK_S3_BUCKET (the "
                                       "bucket that keeps the files).")
        options["bucket_name"] = bucket
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}
