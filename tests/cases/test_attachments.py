"""Files agents attach to notes and replies (cases/attachments.py): what is trusted of an
upload, the tenant's limits, pending uploads and their claim by a note, nothing half-kept,
and the safe download."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.cases import attachments as files
from casedesk.cases.attachments import (
    FileTooLarge,
    check_file,
    clean_type_list,
    note_add_with_files,
    pending_upload_add,
    pending_uploads_drop_stale,
)
from casedesk.cases.models import Case, Note, NoteAttachment
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.files import file_serving
from tests.conftest import NOW

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00\xb8" * 30
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
       b'<circle r="4"/></svg>')


def upload(name: str = "screen.png", content: bytes = PNG,
           content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_names() -> set[str]:
    """Every file in the (in-memory) storage of the tests."""
    found: set[str] = set()

    def walk(folder: str) -> None:
        folders, names = default_storage.listdir(folder)
        found.update(f"{folder}/{n}".lstrip("/") for n in names)
        for sub in folders:
            walk(f"{folder}/{sub}".lstrip("/"))

    walk("")
    return found


@pytest.fixture
def case(tenant: Any, new_case: Any) -> Case:
    return Case.objects.get(tenant=tenant, number=int(new_case()["number"].split("-")[1]))


@pytest.fixture
def storage_before() -> Iterator[set[str]]:
    yield stored_names()


# --- what is trusted of a file -----------------------------------------------------------------


def test_the_type_comes_from_the_bytes_not_the_name_or_the_browser(tenant) -> None:
    checked = check_file(tenant, upload("report.txt", PNG, "text/plain"), field="file")
    assert checked.content_type == "image/png"
    pdf = check_file(tenant, upload("scan.png", PDF, "image/png"), field="file")
    assert pdf.content_type == "application/pdf"


def test_html_and_svg_are_kept_as_plain_text(tenant) -> None:
    assert check_file(tenant, upload("page.html", HTML, "text/html"),
                      field="file").content_type == "text/plain"
    assert check_file(tenant, upload("logo.svg", SVG, "image/svg+xml"),
                      field="file").content_type == "text/plain"


def test_a_type_the_tenant_does_not_take_is_refused_by_name(tenant) -> None:
    with pytest.raises(Invalid, match="setup.exe is a file of an unknown type") as refused:
        check_file(tenant, upload("setup.exe", EXE), field="files")
    assert refused.value.field == "files" and refused.value.status_code == 422
    tenant.attachment_types = ["pdf"]
    with pytest.raises(Invalid, match="PNG image, which cannot be attached"):
        check_file(tenant, upload(), field="file")
    assert check_file(tenant, upload("a.pdf", PDF), field="file").content_type == \
        "application/pdf"


def test_a_file_over_the_tenants_limit_is_a_413_and_an_empty_one_a_422(tenant) -> None:
    tenant.attachment_max_bytes = 1000
    with pytest.raises(FileTooLarge, match="at most 1000 bytes") as refused:
        check_file(tenant, upload(content=PNG + b"\x00" * 1000), field="file")
    assert refused.value.status_code == 413
    with pytest.raises(Invalid, match="empty"):
        check_file(tenant, upload(content=b""), field="file")


def test_a_name_loses_its_path_and_invisible_characters(tenant) -> None:
    checked = check_file(tenant, upload("C:\\Users\\jo\\invoice\u202egnp.png"), field="file")
    assert checked.filename == "invoicegnp.png"


def test_the_allow_list_takes_types_and_extensions_and_refuses_the_rest() -> None:
    assert clean_type_list(["PDF", ".png", "application/zip", "pdf", " "]) == [
        "pdf", ".png", "application/zip"]
    with pytest.raises(Invalid, match="'text/html' is not a file type") as refused:
        clean_type_list(["text/html"])
    assert refused.value.field == "attachment_types"


def test_only_raster_images_are_ever_served_inline() -> None:
    class Stored:
        def __init__(self, content_type: str) -> None:
            self.content_type, self.filename = content_type, "x"

    assert file_serving(Stored("image/png")) == ("image/png", True)  # type: ignore[arg-type]
    for kind in ("image/svg+xml", "text/html", "application/xhtml+xml", "text/plain"):
        assert file_serving(Stored(kind))[1] is False  # type: ignore[arg-type]
    assert file_serving(Stored("text/html; x")) == (  # type: ignore[arg-type]
        "application/octet-stream", False)


# --- pending uploads and notes -----------------------------------------------------------------


def test_a_pending_upload_is_attached_by_its_uploaders_note(case, agent) -> None:
    pending = pending_upload_add(case=case, user=agent.user, upload=upload(), now=NOW)
    assert pending.note_id is None and default_storage.exists(pending.file.name)
    note = note_add_with_files(case=case, actor=agent.user, body="See the screenshot.",
                               is_public=False, now=NOW, attachment_ids=[pending.pk])
    pending.refresh_from_db()
    assert pending.note_id == note.pk


def test_someone_elses_or_another_cases_or_an_attached_upload_is_refused(
        case, agent, agent2, new_case, tenant) -> None:
    mine = pending_upload_add(case=case, user=agent.user, upload=upload(), now=NOW)
    other = Case.objects.get(tenant=tenant, number=int(new_case()["number"].split("-")[1]))
    elsewhere = pending_upload_add(case=other, user=agent.user, upload=upload(), now=NOW)
    notes = Note.objects.count()
    for actor, ids in ((agent2, [mine.pk]), (agent, [elsewhere.pk]), (agent, [mine.pk, 0])):
        with pytest.raises(Invalid) as refused:
            note_add_with_files(case=case, actor=actor.user, body="x", is_public=False,
                                now=NOW, attachment_ids=ids)
        assert refused.value.field == "attachment_ids"
    assert Note.objects.count() == notes
    note_add_with_files(case=case, actor=agent.user, body="x", is_public=False, now=NOW,
                        attachment_ids=[mine.pk])
    with pytest.raises(Invalid):
        note_add_with_files(case=case, actor=agent.user, body="again", is_public=False,
                            now=NOW, attachment_ids=[mine.pk])


def test_a_note_carries_at_most_ten_files(case, agent) -> None:
    with pytest.raises(Invalid, match="at most 10 files"):
        note_add_with_files(case=case, actor=agent.user, body="x", is_public=False, now=NOW,
                            uploads=[upload(f"{i}.png") for i in range(11)])


def test_too_many_waiting_uploads_are_refused(case, agent, monkeypatch) -> None:
    monkeypatch.setattr(files, "MAX_PENDING", 2)
    for _ in range(2):
        pending_upload_add(case=case, user=agent.user, upload=upload(), now=NOW)
    before = stored_names()
    with pytest.raises(Conflict, match="2 files waiting"):
        pending_upload_add(case=case, user=agent.user, upload=upload(), now=NOW)
    assert stored_names() == before


def test_stale_pending_uploads_go_with_the_next_upload_and_their_files_after_commit(
        case, agent, django_capture_on_commit_callbacks) -> None:
    old = pending_upload_add(case=case, user=agent.user, upload=upload(), now=NOW)
    attached = pending_upload_add(case=case, user=agent.user, upload=upload(), now=NOW)
    note_add_with_files(case=case, actor=agent.user, body="x", is_public=False, now=NOW,
                        attachment_ids=[attached.pk])
    fresh = pending_upload_add(case=case, user=agent.user, upload=upload(),
                               now=NOW + files.PENDING_TTL)
    assert NoteAttachment.objects.filter(pk=old.pk).exists()  # a day old, not older
    with django_capture_on_commit_callbacks(execute=True):
        pending_upload_add(case=case, user=agent.user, upload=upload(),
                           now=NOW + files.PENDING_TTL * 2)
    assert not NoteAttachment.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.file.name)
    # The attached file stays for good; the one uploaded a day later is not stale yet.
    assert NoteAttachment.objects.filter(pk__in=[attached.pk, fresh.pk]).count() == 2
    assert default_storage.exists(attached.file.name)
    assert pending_uploads_drop_stale(tenant_id=case.tenant_id, now=NOW) == 0


# --- nothing half-kept -------------------------------------------------------------------------


def test_a_refused_note_leaves_no_file_in_the_storage(case, agent) -> None:
    before = stored_names()
    with pytest.raises(Invalid, match="needs some text"):
        note_add_with_files(case=case, actor=agent.user, body="  ", is_public=True, now=NOW,
                            uploads=[upload(), upload("b.pdf", PDF)])
    assert stored_names() == before
    assert not NoteAttachment.objects.exists() and not Note.objects.filter(body="").exists()


def test_a_failed_transaction_deletes_the_files_it_stored(case, agent, monkeypatch) -> None:
    before = stored_names()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(NoteAttachment.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        note_add_with_files(case=case, actor=agent.user, body="Logs attached.",
                            is_public=True, now=NOW, uploads=[upload(), upload("b.pdf", PDF)])
    assert stored_names() == before
    assert not Note.objects.filter(body="Logs attached.").exists()


def test_a_refused_file_stores_nothing_of_the_others(case, agent) -> None:
    before = stored_names()
    with pytest.raises(Invalid):
        note_add_with_files(case=case, actor=agent.user, body="x", is_public=False, now=NOW,
                            uploads=[upload(), upload("setup.exe", EXE)])
    assert stored_names() == before
