"""Attachments through the API: upload, attach with a note, the case's list of both kinds,
the notes and timeline showing them, the safe download, removal of a pending upload, the
tenant's settings, and another tenant's files answering 404."""

from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.cases.models import Case, NoteAttachment
from casedesk.mail.models import Attachment
from tests.api_checks import conforms
from tests.cases.test_attachments import HTML, PDF, PNG, SVG, stored_names
from tests.conftest import NOW


def post_file(api: Any, number: str, name: str = "screen.png", content: bytes = PNG,
              content_type: str = "application/octet-stream") -> Any:
    return api.client.post(f"/api/v1/cases/{number}/attachments",
                           {"file": SimpleUploadedFile(name, content, content_type)})


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_upload_then_attach_with_a_note_then_list_and_download(agent_api, new_case,
                                                               clock) -> None:
    number = new_case()["number"]
    uploaded = post_file(agent_api, number, "Screen Shot.png")
    assert uploaded.status_code == 201, uploaded.content
    file = conforms(uploaded, "POST", "/cases/{number}/attachments")
    assert file["filename"] == "Screen Shot.png" and file["size"] == len(PNG)
    assert file["content_type"] == "image/png" and file["pending"] is True
    note = agent_api.post(f"/cases/{number}/notes", {
        "body": "The screenshot you asked for.", "public": False,
        "attachment_ids": [file["id"]]})
    assert note.status_code == 201, note.content
    out = conforms(note, "POST", "/cases/{number}/notes")
    assert [(a["id"], a["pending"], a["note_id"]) for a in out["attachments"]] == [
        (file["id"], False, out["id"])]
    listed = conforms(agent_api.get(f"/cases/{number}/attachments"), "GET",
                      "/cases/{number}/attachments")
    assert [(a["kind"], a["id"], a["note_id"]) for a in listed] == [
        ("note", file["id"], out["id"])]
    notes = agent_api.get(f"/cases/{number}/notes").json()
    assert notes[-1]["attachments"][0]["download_url"] == file["download_url"]
    timeline = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    assert [e["note"]["attachments"][0]["id"] for e in timeline
            if e["note"] and e["note"]["attachments"]] == [file["id"]]
    download = agent_api.client.get(file["download_url"])
    assert download.status_code == 200 and body_of(download) == PNG
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("inline")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_list_holds_mail_files_and_note_files_and_only_my_pending_ones(
        agent_api, agent2_api, new_case, tenant, clock) -> None:
    number = new_case()["number"]
    case = Case.objects.get(tenant=tenant, number=int(number.split("-")[1]))
    mail_file = Attachment(tenant=tenant, case=case, filename="log.txt",
                           content_type="text/plain", size=3, created_at=NOW)
    mail_file.file.save("log.bin", SimpleUploadedFile("log.txt", b"abc"), save=True)
    mine = post_file(agent_api, number).json()
    kinds = [(a["kind"], a["pending"]) for a in agent_api.get(
        f"/cases/{number}/attachments").json()]
    assert kinds == [("mail", False), ("note", True)]
    theirs = agent2_api.get(f"/cases/{number}/attachments").json()
    assert [a["kind"] for a in theirs] == ["mail"]
    assert agent2_api.client.get(mine["download_url"]).status_code == 404
    refused = agent2_api.post(f"/cases/{number}/notes", {"body": "x",
                                                         "attachment_ids": [mine["id"]]})
    assert refused.status_code == 422
    assert "not a file you uploaded" in refused.json()["detail"]


def test_html_and_svg_uploads_are_never_served_inline(agent_api, new_case, clock) -> None:
    number = new_case()["number"]
    for name, content, declared in (("page.html", HTML, "text/html"),
                                    ("logo.svg", SVG, "image/svg+xml")):
        file = post_file(agent_api, number, name, content, declared).json()
        assert file["content_type"] == "text/plain"
        served = agent_api.client.get(file["download_url"])
        assert served.status_code == 200
        assert served["Content-Type"].startswith("text/plain")
        assert served["Content-Disposition"].startswith("attachment")
        assert served["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served["Content-Security-Policy"]
        assert body_of(served) == content


def test_refusals_are_413_and_422_and_store_nothing(agent_api, admin_api, new_case,
                                                   clock) -> None:
    number = new_case()["number"]
    before = stored_names()
    assert admin_api.patch("/tenant/settings", {"attachment_max_bytes": 100}).status_code == 200
    too_big = post_file(agent_api, number, content=PNG + b"\x00" * 100)
    assert too_big.status_code == 413 and "at most 100 bytes" in too_big.json()["detail"]
    exe = post_file(agent_api, number, "setup.exe", b"MZ\x90\x00" + b"\x00" * 50)
    assert exe.status_code == 422 and "setup.exe" in exe.json()["detail"]
    empty = post_file(agent_api, number, content=b"")
    assert empty.status_code == 422
    assert stored_names() == before and not NoteAttachment.objects.exists()


def test_the_tenants_settings_change_the_limits(admin_api, agent_api, new_case, clock) -> None:
    number = new_case()["number"]
    settings = admin_api.get("/tenant/settings").json()
    assert settings["attachment_max_bytes"] == 20 * 1024 * 1024
    assert settings["attachment_types"] == []
    changed = admin_api.patch("/tenant/settings", {"attachment_types": ["PDF"]})
    assert changed.status_code == 200 and changed.json()["attachment_types"] == ["pdf"]
    assert post_file(agent_api, number).status_code == 422
    assert post_file(agent_api, number, "scan.pdf", PDF).status_code == 201
    bad = admin_api.patch("/tenant/settings", {"attachment_types": ["text/html"]})
    assert bad.status_code == 422
    assert admin_api.get("/tenant/settings").json()["attachment_types"] == ["pdf"]
    assert agent_api.patch("/tenant/settings", {"attachment_types": []}).status_code == 403


def test_a_pending_upload_can_be_removed_and_an_attached_one_cannot(
        agent_api, new_case, clock, django_capture_on_commit_callbacks) -> None:
    number = new_case()["number"]
    first, second = post_file(agent_api, number).json(), post_file(agent_api, number).json()
    stored = NoteAttachment.objects.get(pk=first["id"]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        gone = agent_api.delete(f"/cases/{number}/note-attachments/{first['id']}")
    assert gone.status_code == 204 and not default_storage.exists(stored)
    agent_api.post(f"/cases/{number}/notes", {"body": "x", "attachment_ids": [second["id"]]})
    kept = agent_api.delete(f"/cases/{number}/note-attachments/{second['id']}")
    assert kept.status_code == 409


def test_another_tenants_files_are_404(agent_api, outsider_api, new_case, clock) -> None:
    number = new_case()["number"]
    file = post_file(agent_api, number).json()
    agent_api.post(f"/cases/{number}/notes", {"body": "x", "attachment_ids": [file["id"]]})
    for path in (f"/cases/{number}/note-attachments/{file['id']}",
                 f"/cases/{number}/attachments"):
        assert outsider_api.get(path).status_code == 404
    assert outsider_api.delete(
        f"/cases/{number}/note-attachments/{file['id']}").status_code == 404
    assert post_file(outsider_api, number).status_code == 404
    # The id under one of the outsider's own case numbers finds nothing either.
    own = outsider_api.post("/cases", {"subject": "Mine"}).json()["number"]
    assert outsider_api.get(
        f"/cases/{own}/note-attachments/{file['id']}").status_code == 404
