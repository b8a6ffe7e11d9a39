"""Files agents attach to their public replies and internal notes (`NoteAttachment`), kept in
Django's storage (`STORAGES["default"]`: local disk, or S3-compatible object storage).

Two ways in. The console's composer posts the files with the note (a plain multipart form:
`note_add_with_files(uploads=...)`); the API uploads each file first
(`pending_upload_add`: a *pending* upload of the case, visible to its uploader only) and
then names them when it writes the note (`attachment_ids`). A pending upload can be
attached only by the member who uploaded it, only to a note on its own case, and only once.
Pending uploads nobody attached within PENDING_TTL are removed by the next upload in the
tenant (`pending_uploads_drop_stale`): no job has to run for the storage to stay clean.

Limits: the tenant's `attachment_max_bytes` per file (over it: FileTooLarge, a 413),
MAX_FILES_PER_NOTE files per note, MAX_PENDING waiting uploads per member and case, and the
tenant's allow-list of types (`attachment_types`; empty: the installation's
`CASEDESK_ATTACHMENT_TYPES`). A file's type is read from its bytes (`core.files.real_type`),
never from its name or what the browser claims; HTML and SVG read as text/plain, and every
download is served by `core.files.file_response` (nosniff, a sandbox, inline only for raster
images).

Nothing is half-kept: every file is checked before the first is stored; the files are stored,
then the rows written in one transaction, and when that transaction fails the stored files
are deleted again. Files leave the storage only once the deletion of their rows has
committed (`transaction.on_commit`).

Permissions are the caller's (any member of the tenant may attach to a case they can open);
these functions trust it, and every query names the tenant.
"""

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet

from casedesk.cases.changes import case_change
from casedesk.cases.models import Case, Note, NoteAttachment
from casedesk.cases.services import case_add_note
from casedesk.cases.writing import lock_case
from casedesk.core.access import tenant_row
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.files import (
    EXTENSION_TYPES,
    KNOWN_TYPES,
    OCTET_STREAM,
    allowed_type_of,
    clean_filename,
    human_size,
    real_type,
)
from casedesk.core.limits import max_length
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import is_storable
from casedesk.tenancy.models import Membership, Tenant, User

log = logging.getLogger(__name__)

MAX_FILES_PER_NOTE = 10
MAX_PENDING = 20
PENDING_TTL = timedelta(days=1)
# How many stale uploads one upload clears on its way (the rest go with the next ones).
STALE_BATCH = 200
# What a tenant's `attachment_max_bytes` may be set to: up to 2 GiB less one (the column).
MAX_FILE_BYTES_LIMIT = 2**31 - 1
MAX_TYPE_ENTRIES = 50
_TYPE_NAMES = {
    "image/png": "PNG image", "image/jpeg": "JPEG image", "image/gif": "GIF image",
    "image/webp": "WebP image", "application/pdf": "PDF", "text/plain": "text",
    "text/csv": "CSV", "application/zip": "ZIP archive", "application/json": "JSON",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    OCTET_STREAM: "file of an unknown type",
}


class FileTooLarge(Invalid):
    """A file over the tenant's size limit: the API answers 413, a page shows it on the file
    field."""

    status_code = 413


# --- the limits --------------------------------------------------------------------------------


def default_types() -> list[str]:
    """The installation's allow-list, for tenants that set none (`CASEDESK_ATTACHMENT_TYPES`)."""
    return list(getattr(settings, "CASEDESK_ATTACHMENT_TYPES", KNOWN_TYPES))


def allowed_types(tenant: Tenant) -> frozenset[str]:
    """The types the tenant takes, as `real_type` names them."""
    entries = tenant.attachment_types or default_types()
    return frozenset(t for t in (allowed_type_of(str(e)) for e in entries) if t is not None)


def type_name(content_type: str) -> str:
    return _TYPE_NAMES.get(content_type, content_type)


def accepted_summary(tenant: Tenant) -> str:
    """What the composer and a refusal say is accepted: "PDF, PNG image, text …"."""
    return ", ".join(sorted(type_name(t) for t in allowed_types(tenant)))


def clean_type_list(raw: Iterable[Any]) -> list[str]:
    """An allow-list as an admin wrote it (media types or extensions), checked and
    normalised: lower case, duplicates dropped; Invalid (naming `attachment_types`) for an
    entry no file type matches."""
    cleaned: list[str] = []
    for entry in raw:
        if not isinstance(entry, str) or not is_storable(entry):
            raise Invalid("Each file type is a text such as application/pdf or .pdf.",
                          field="attachment_types")
        value = entry.strip().lower()
        if not value:
            continue
        if allowed_type_of(value) is None:
            raise Invalid(
                f"{entry.strip()[:100]!r} is not a file type casedesk can tell from a file's "
                f"bytes. Use one of: {', '.join([*KNOWN_TYPES, OCTET_STREAM])}, or the "
                f"extensions {', '.join(sorted(EXTENSION_TYPES))}.", field="attachment_types")
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_TYPE_ENTRIES:
        raise Invalid(f"List at most {MAX_TYPE_ENTRIES} file types.", field="attachment_types")
    return cleaned


def attachment_settings_update(tenant: Tenant, changes: dict[str, Any]) -> None:
    """The tenant's two attachment settings, for `PATCH /tenant/settings` and the settings
    page (registered with `tenancy.services.settings_section_register`): the largest file in
    bytes, and the allow-list of types (empty: the installation's)."""
    fields = []
    if "attachment_max_bytes" in changes:
        value = changes["attachment_max_bytes"]
        if (not isinstance(value, int) or isinstance(value, bool)
                or not 1 <= value <= MAX_FILE_BYTES_LIMIT):
            raise Invalid(f"attachment_max_bytes is from 1 to {MAX_FILE_BYTES_LIMIT}.",
                          field="attachment_max_bytes")
        tenant.attachment_max_bytes = value
        fields.append("attachment_max_bytes")
    if "attachment_types" in changes:
        value = changes["attachment_types"]
        if not isinstance(value, list | tuple):
            raise Invalid("attachment_types is a list of file types.", field="attachment_types")
        tenant.attachment_types = clean_type_list(value)
        fields.append("attachment_types")
    if fields:
        tenant.save(update_fields=fields)


# --- checking a file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the tenant's limits, with the name and type it is kept under."""

    upload: UploadedFile[bytes]
    filename: str
    content_type: str
    size: int


def check_file(tenant: Tenant, upload: UploadedFile[bytes], *, field: str) -> CheckedFile:
    """The upload named and typed, or a refusal naming `field`: FileTooLarge over the
    tenant's size limit, Invalid for an empty file, a name that cannot be kept or a type the
    tenant does not take (read from the bytes)."""
    filename = clean_filename(upload.name or "", limit=max_length(NoteAttachment, "filename"),
                              field=field)
    size = int(upload.size or 0)
    limit = tenant.attachment_max_bytes
    if size > limit:
        raise FileTooLarge(f"{filename} is {human_size(size)}; a file may be at most "
                           f"{human_size(limit)}.", field=field)
    if size == 0:
        raise Invalid(f"{filename} is empty.", field=field)
    content_type = real_type(upload, limit)
    if content_type not in allowed_types(tenant):
        raise Invalid(f"{filename} is a {type_name(content_type)}, which cannot be attached "
                      f"here. Accepted: {accepted_summary(tenant)}.", field=field)
    return CheckedFile(upload, filename, content_type, size)


def check_files(tenant: Tenant, uploads: Sequence[UploadedFile[bytes]], *, field: str,
                already: int = 0) -> list[CheckedFile]:
    """Every upload checked (`check_file`), and at most MAX_FILES_PER_NOTE with the `already`
    chosen ones."""
    if len(uploads) + already > MAX_FILES_PER_NOTE:
        raise Invalid(f"A note carries at most {MAX_FILES_PER_NOTE} files; "
                      f"{len(uploads) + already} were given.", field=field)
    return [check_file(tenant, upload, field=field) for upload in uploads]


# --- storing -----------------------------------------------------------------------------------


def _stored(case: Case, item: CheckedFile, user: User | None, now: datetime,
            saved: list[str]) -> NoteAttachment:
    """The row for `item`, its file already in the storage under a random name (nothing the
    uploader chose reaches a storage path); `saved` collects the names for the cleanup."""
    row = NoteAttachment(tenant_id=case.tenant_id, case=case, uploaded_by=user,
                         filename=item.filename, content_type=item.content_type,
                         size=item.size, created_at=now)
    row.file.save(f"{secrets.token_hex(16)}.bin", item.upload, save=False)
    saved.append(row.file.name or "")
    return row


def _forget(names: Iterable[str]) -> None:
    """Deletes stored files whose rows were never written (best effort: a storage that fails
    here leaves a file no row names, and says so in the log)."""
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except Exception:  # the refusal being handled matters more than this file
                log.warning("Could not delete %s after a failed write", name, exc_info=True)


def _drop_files_on_commit(names: Iterable[str]) -> None:
    for name in names:
        if name:
            transaction.on_commit(partial(default_storage.delete, name), robust=True)


def pending_uploads_drop_stale(*, tenant_id: int, now: datetime, limit: int = STALE_BATCH
                               ) -> int:
    """Deletes up to `limit` of the tenant's uploads that were never attached and are older
    than PENDING_TTL; their files leave the storage after commit. Rows another transaction
    holds (being attached right now) are skipped. Returns how many went."""
    with transaction.atomic():
        stale = list(NoteAttachment.objects.select_for_update(skip_locked=True)
                     .filter(tenant_id=tenant_id, note__isnull=True,
                             created_at__lt=now - PENDING_TTL)
                     .order_by("created_at").values_list("pk", "file")[:limit])
        if not stale:
            return 0
        NoteAttachment.objects.filter(tenant_id=tenant_id, note__isnull=True,
                                      pk__in=[pk for pk, _ in stale]).delete()
        _drop_files_on_commit(name for _, name in stale)
    return len(stale)


def pending_upload_add(*, case: Case, user: User, upload: UploadedFile[bytes],
                       now: datetime) -> NoteAttachment:
    """Keeps `upload` as a pending file of `case` for `user` to attach to their next note
    (`note_add_with_files(attachment_ids=...)`). Refusals as `check_file` (naming `file`),
    and Conflict when the member already has MAX_PENDING files waiting on the case. The file
    is stored, then its row written under the case's lock; when that fails, the file is
    deleted again. Clears the tenant's stale pending uploads on the way."""
    item = check_file(case.tenant, upload, field="file")
    pending_uploads_drop_stale(tenant_id=case.tenant_id, now=now)
    saved: list[str] = []
    try:
        row = _stored(case, item, user, now, saved)
        with transaction.atomic():
            # The case's lock makes the count and the insert one step for concurrent uploads.
            lock_case(case)
            if pending_of(case, user).count() >= MAX_PENDING:
                raise Conflict(f"You have {MAX_PENDING} files waiting to be attached on "
                               f"{case.display_number}: send a note with them, or remove "
                               "some, before uploading more.")
            row.save()
    except BaseException:
        _forget(saved)
        raise
    return row


def pending_upload_delete(*, attachment: NoteAttachment) -> None:
    """Removes a pending upload (not yet attached); its file leaves the storage after
    commit. Conflict for a file that is already part of a note."""
    with transaction.atomic():
        deleted, _ = NoteAttachment.objects.filter(
            pk=attachment.pk, tenant_id=attachment.tenant_id, note__isnull=True).delete()
        if not deleted:
            raise Conflict(f"{attachment.filename} is part of a note already and stays with "
                           "it.")
        _drop_files_on_commit([attachment.file.name or ""])


def note_add_with_files(*, case: Case, actor: User, body: str, is_public: bool, now: datetime,
                        uploads: Sequence[UploadedFile[bytes]] = (),
                        attachment_ids: Sequence[int] = ()) -> Note:
    """Writes a note or public reply (`services.case_add_note`) carrying files: `uploads`
    sent with it, and `attachment_ids`, the actor's own pending uploads of this case.
    Everything is checked before anything is stored; the note, its files' rows and the
    pending uploads' claim commit together (so a public reply's mail, built by the worker
    after commit, carries every file), or nothing does and the new files are deleted again.
    Invalid (naming `attachment_ids`) for an id that is not one of the actor's pending
    uploads of the case; as `check_file` (naming `files`) for an upload."""
    ids = list(dict.fromkeys(attachment_ids))
    if not uploads and not ids:
        return case_add_note(case=case, actor=actor, body=body, is_public=is_public, now=now)
    checked = check_files(case.tenant, uploads, field="files", already=len(ids))
    saved: list[str] = []
    try:
        rows = [_stored(case, item, actor, now, saved) for item in checked]
        with case_change():
            case = lock_case(case)
            claimed = _claim_pending(case, actor, ids)
            note = case_add_note(case=case, actor=actor, body=body, is_public=is_public,
                                 now=now)
            for row in rows:
                row.note = note
            NoteAttachment.objects.bulk_create(rows)
            if claimed:
                NoteAttachment.objects.filter(tenant_id=case.tenant_id,
                                              pk__in=claimed).update(note=note)
    except BaseException:
        _forget(saved)
        raise
    return note


def _claim_pending(case: Case, actor: User, ids: list[int]) -> list[int]:
    """The ids, locked, when each is a pending upload of `actor` on `case`; else Invalid."""
    if not ids:
        return []
    bad = [i for i in ids if not 0 < i <= MAX_ID]
    found = set() if bad else set(
        pending_of(case, actor).select_for_update().filter(pk__in=ids)
        .values_list("pk", flat=True))
    missing = bad or [i for i in ids if i not in found]
    if missing:
        raise Invalid(f"Attachment {missing[0]} is not a file you uploaded to "
                      f"{case.display_number} and have not attached yet.",
                      field="attachment_ids")
    return ids


# --- reads -------------------------------------------------------------------------------------


def pending_of(case: Case, user: User) -> QuerySet[NoteAttachment]:
    """`user`'s uploads on `case` that no note carries yet."""
    return NoteAttachment.objects.filter(tenant_id=case.tenant_id, case=case,
                                         note__isnull=True, uploaded_by=user)


def case_files_for(case: Case, user: User) -> QuerySet[NoteAttachment]:
    """The files of the case's notes, and `user`'s own pending uploads, oldest first."""
    return (NoteAttachment.objects.filter(tenant_id=case.tenant_id, case=case)
            .filter(Q(note__isnull=False) | Q(uploaded_by=user))
            .order_by("created_at", "pk"))


def files_of_notes(case: Case, note_ids: Iterable[int]) -> dict[int, list[NoteAttachment]]:
    """The files of these notes of the case (the caller's, read from the case), by note id,
    in one query."""
    wanted = [i for i in note_ids if i is not None]
    found: dict[int, list[NoteAttachment]] = {}
    if wanted:
        for row in (NoteAttachment.objects.filter(tenant_id=case.tenant_id,
                                                  note_id__in=wanted)
                    .order_by("pk")):
            found.setdefault(row.note_id or 0, []).append(row)
    return found


def get_note_file_for_member(membership: Membership, case: Case, attachment_id: int
                             ) -> NoteAttachment:
    """A file of the case as `membership` may read it: one a note carries, or their own
    pending upload; NotFound for anything else (another member's pending upload, another
    case's or tenant's file)."""
    missing = f"No attachment {attachment_id} on {case.display_number}."
    attachment = tenant_row(NoteAttachment.objects.filter(case=case), membership.tenant_id,
                            attachment_id, missing)
    if attachment.note_id is None and attachment.uploaded_by_id != membership.user_id:
        raise NotFound(missing)
    return attachment
