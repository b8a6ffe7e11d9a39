"""The composer's files: a plain multipart post (no JavaScript) and the htmx post, the files
shown under the note with their download, refusals shown on the composer with nothing
written, and the page download served safely and only to the case's tenant."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casedesk.cases.models import Note, NoteAttachment
from tests.cases.test_attachments import HTML, PDF, PNG, stored_names
from tests.conftest import login

HTMX = {"HX-Request": "true"}


def note_url(number: str) -> str:
    return reverse("console:case_note", args=[number])


def files(*items: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content) for name, content in items]


def test_a_note_with_files_without_javascript(agent, new_case, clock) -> None:
    number = new_case()["number"]
    browser = login(agent)
    page = browser.get(reverse("console:case_detail", args=[number]))
    assert b'enctype="multipart/form-data"' in page.content
    assert b'data-testid="composer-files"' in page.content
    posted = browser.post(note_url(number), {
        "body": "Screenshots attached.", "visibility": "internal",
        "files": files(("one.png", PNG), ("two.pdf", PDF))})
    assert posted.status_code == 302
    note = Note.objects.get(body="Screenshots attached.")
    attached = list(NoteAttachment.objects.filter(note=note).order_by("pk"))
    assert [(a.filename, a.content_type) for a in attached] == [
        ("one.png", "image/png"), ("two.pdf", "application/pdf")]
    page = browser.get(reverse("console:case_detail", args=[number])).content.decode()
    for a in attached:
        assert reverse("cases:note_attachment", args=[number, a.pk]) in page
        assert a.filename in page
    assert 'data-testid="note-files"' in page


def test_a_reply_with_files_through_htmx(agent, new_case, clock) -> None:
    number = new_case()["number"]
    posted = login(agent).post(note_url(number), {
        "body": "Here you go.", "visibility": "public", "files": files(("a.png", PNG))},
        headers=HTMX)
    assert posted.status_code == 200
    note = Note.objects.get(body="Here you go.")
    assert note.is_public and NoteAttachment.objects.filter(note=note).count() == 1


def test_a_refused_file_shows_on_the_composer_and_writes_nothing(agent, admin, new_case,
                                                                 clock) -> None:
    number = new_case()["number"]
    before = stored_names()
    browser = login(agent)
    wrong = browser.post(note_url(number), {
        "body": "Binary.", "visibility": "public",
        "files": files(("ok.png", PNG), ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60))},
        headers=HTMX)
    assert wrong.status_code == 422 and wrong["X-Case-Partial"] == "1"
    text = wrong.content.decode()
    assert "setup.exe is a file of an unknown type" in text
    assert "choose the files again" in text and "Binary." in text
    admin.tenant.attachment_max_bytes = 10
    admin.tenant.save(update_fields=["attachment_max_bytes"])
    # Without JavaScript the page itself comes back with the refusal and the text kept.
    big = browser.post(note_url(number), {"body": "Large.", "visibility": "internal",
                                          "files": files(("big.png", PNG))})
    assert big.status_code == 413
    assert "big.png is 48 bytes; a file may be at most 10 bytes." in big.content.decode()
    assert 'data-testid="composer-error"' in big.content.decode()
    assert not Note.objects.filter(body__in=["Binary.", "Large."]).exists()
    assert stored_names() == before


def test_the_page_download_is_safe_and_tenant_scoped(agent, outsider, new_case,
                                                     clock) -> None:
    number = new_case()["number"]
    browser = login(agent)
    browser.post(note_url(number), {"body": "Files.", "visibility": "internal",
                                    "files": files(("a.png", PNG), ("page.html", HTML))})
    image, page = NoteAttachment.objects.order_by("pk")
    served: dict[str, Any] = {}
    for row in (image, page):
        response = browser.get(reverse("cases:note_attachment", args=[number, row.pk]))
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        served[row.filename] = response
    assert served["a.png"]["Content-Disposition"].startswith("inline")
    assert served["page.html"]["Content-Disposition"].startswith("attachment")
    assert served["page.html"]["Content-Type"].startswith("text/plain")
    stranger = login(outsider)
    assert stranger.get(reverse("cases:note_attachment",
                                args=[number, image.pk])).status_code == 404
