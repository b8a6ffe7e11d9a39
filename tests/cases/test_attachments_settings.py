"""The two attachment settings on the tenant's settings page, and where files are stored
(`CASEDESK_STORAGE`: local disk by default, S3-compatible storage as a setting)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from casedesk.cases.attachments import allowed_types
from casedesk.core.storage import S3_BACKEND, default_storage_config
from tests.conftest import login


def _form_data(client) -> dict[str, object]:
    form = client.get("/settings/").context["form"]
    return {k: v for k, v in form.initial.items() if v not in (None, False)}


def test_the_settings_page_sets_the_size_and_types(tenant, admin) -> None:
    client = login(admin)
    page = client.get("/settings/").content.decode()
    assert 'data-testid="attachment-settings"' in page and 'value="20"' in page
    data = {**_form_data(client), "attachment_max_bytes": "5", "attachment_types": "pdf, png"}
    assert client.post("/settings/", data).status_code == 302
    tenant.refresh_from_db()
    assert tenant.attachment_max_bytes == 5 * 1024 * 1024
    assert tenant.attachment_types == ["pdf", "png"]
    assert allowed_types(tenant) == {"application/pdf", "image/png"}


def test_an_unknown_type_is_a_form_error_and_nothing_is_saved(tenant, admin) -> None:
    client = login(admin)
    data = {**_form_data(client), "name": "Renamed", "attachment_types": "pdf, exe"}
    refused = client.post("/settings/", data)
    assert refused.status_code == 422
    assert "&#x27;exe&#x27; is not a file type" in refused.content.decode()
    tenant.refresh_from_db()
    assert tenant.name != "Renamed" and tenant.attachment_types == []


def test_a_post_without_the_attachment_fields_leaves_them(tenant, admin) -> None:
    tenant.attachment_types, tenant.attachment_max_bytes = ["pdf"], 1234
    tenant.save(update_fields=["attachment_types", "attachment_max_bytes"])
    response = login(admin).post("/settings/", {
        "name": "Acme", "time_zone": tenant.time_zone, "reopen_limit": 1,
        "reopen_window_hours": 6})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.attachment_types, tenant.attachment_max_bytes) == (["pdf"], 1234)


def test_files_stay_on_local_disk_unless_s3_is_chosen() -> None:
    assert default_storage_config({}) == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"}
    s3 = default_storage_config({
        "CASEDESK_STORAGE": "S3", "CASEDESK_S3_BUCKET": "desk-files",
        "CASEDESK_S3_ENDPOINT_URL": "https://minio.internal:9000",
        "CASEDESK_S3_ADDRESSING_STYLE": "path", "CASEDESK_S3_PREFIX": "acme"})
    assert s3["BACKEND"] == S3_BACKEND
    assert s3["OPTIONS"] == {
        "bucket_name": "desk-files", "endpoint_url": "https://minio.internal:9000",
        "addressing_style": "path", "location": "acme", "default_acl": None,
        "file_overwrite": False, "signature_version": "s3v4", "querystring_auth": True}
    assert default_storage_config({"CASEDESK_STORAGE": "s3",
                                   "AWS_STORAGE_BUCKET_NAME": "b"})["OPTIONS"][
        "bucket_name"] == "b"
    with pytest.raises(ImproperlyConfigured, match="needs CASEDESK_S3_BUCKET"):
        default_storage_config({"CASEDESK_STORAGE": "s3"})
    with pytest.raises(ImproperlyConfigured, match="'local' or 's3'"):
        default_storage_config({"CASEDESK_STORAGE": "ftp"})
