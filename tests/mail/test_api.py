"""Mail through the API: inbound mail (list by status with cursors, detail, the raw download,
re-processing), the IMAP mailboxes with their write-only password, the tenant's mail
settings, and a case's attachments with their download. Who may do what, and what bad input
is told."""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.core.cursors import encode_cursor
from casedesk.mail.ingest import ingest, store_raw
from casedesk.mail.models import Attachment, InboundMessage, InboundStatus, Mailbox
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant
from tests.api_checks import conforms, error, walk_pages
from tests.conftest import NOW

H = timedelta(hours=1)
GARBAGE = b"\x00\x01\x02 not mail at all \xff\xfe"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
SECRET = "s3cret-imap-pa55"
INBOUND = "/mail/inbound"
BOXES = "/mail/mailboxes"
SETTINGS = "/mail/settings"


def mail(subject: str = "Printer is on fire", files: tuple[tuple[str, str, bytes], ...] = (),
         message_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jo Customer <jo@customer.example>"
    msg["To"] = "support@acme.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    msg.set_content("Hello,\nour printer is on fire.\n")
    for filename, content_type, data in files:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def quarantined(tenant: Tenant, raw: bytes = GARBAGE, at: Any = NOW) -> InboundMessage:
    result = ingest(tenant=tenant, raw=raw, now=at)
    assert result.status == "quarantined"
    return result.message


def stuck_by_a_parser_bug(tenant: Tenant, raw: bytes | None = None) -> InboundMessage:
    """A readable message as a transient parser failure left it."""
    stored = store_raw(tenant=tenant, raw=raw or mail(), now=NOW, channel="pipe")
    stored.status = InboundStatus.QUARANTINED
    stored.error = "Parser failure: RecursionError: maximum recursion depth exceeded"
    stored.save()
    return stored


def box_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Support inbox", "host": "imap.example.com",
                            "username": "support@acme.test", "password": SECRET}
    body.update(fields)
    return body


@pytest.fixture
def mailbox(admin_api) -> dict[str, Any]:
    response = admin_api.post(BOXES, box_body())
    assert response.status_code == 201, response.content
    return response.json()


# --- who may do what --------------------------------------------------------------------------

def test_agents_are_refused_and_managers_read_and_reprocess(tenant, agent_api, manager_api,
                                                            mailbox) -> None:
    stored = stuck_by_a_parser_bug(tenant)
    box = f"{BOXES}/{mailbox['id']}"
    for method, path, body in (
            ("get", INBOUND, None), ("get", f"{INBOUND}/{stored.pk}", None),
            ("get", f"{INBOUND}/{stored.pk}/raw", None),
            ("post", f"{INBOUND}/{stored.pk}/reprocess", {}), ("get", BOXES, None),
            ("post", BOXES, box_body(name="Other")), ("get", box, None),
            ("patch", box, {"name": "Mine"}), ("delete", box, None), ("get", SETTINGS, None),
            ("patch", SETTINGS, {"mail_ack_enabled": False})):
        args = (path,) if body is None else (path, body)
        error(getattr(agent_api, method)(*args), 403)
    for method, path, body in (("post", BOXES, box_body(name="Other")),
                               ("patch", box, {"name": "Mine"}), ("delete", box, None),
                               ("patch", SETTINGS, {"mail_ack_enabled": False})):
        args = (path,) if body is None else (path, body)
        error(getattr(manager_api, method)(*args), 403)
    assert manager_api.get(box).status_code == 200
    assert manager_api.get(SETTINGS).status_code == 200
    assert manager_api.post(f"{INBOUND}/{stored.pk}/reprocess").status_code == 200
    assert Mailbox.objects.get().name == "Support inbox"
    assert Tenant.objects.get(pk=tenant.pk).mail_ack_enabled


def test_another_tenants_mail_is_not_found(tenant, other_tenant, admin_api) -> None:
    theirs = quarantined(other_tenant)
    for path in (f"{INBOUND}/{theirs.pk}", f"{INBOUND}/{theirs.pk}/raw"):
        error(admin_api.get(path), 404)
    error(admin_api.post(f"{INBOUND}/{theirs.pk}/reprocess"), 404)
    assert InboundMessage.objects.get(pk=theirs.pk).status == "quarantined"
    assert admin_api.get(INBOUND).json()["items"] == []


# --- inbound mail -----------------------------------------------------------------------------

def test_the_list_is_quarantine_first_and_pages_newest_first(tenant, manager_api) -> None:
    made = [quarantined(tenant, GARBAGE + bytes([i]), at=NOW + i * H).pk for i in range(5)]
    processed = ingest(tenant=tenant, raw=mail(), now=NOW)
    body = conforms(manager_api.get(INBOUND), "GET", INBOUND)
    assert [m["id"] for m in body["items"]] == list(reversed(made))
    first = body["items"][0]
    assert (first["status"], first["channel"]) == ("quarantined", "pipe")
    assert first["size"] == len(GARBAGE) + 1
    assert first["error"].startswith("Unreadable") and first["case"] is None
    pages = walk_pages(manager_api, INBOUND, limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [m["id"] for p in pages for m in p] == list(reversed(made))
    done = conforms(manager_api.get(INBOUND, status="processed"), "GET", INBOUND)["items"]
    assert [m["id"] for m in done] == [processed.message.pk]
    assert done[0]["case"] == {"number": processed.case.display_number,
                               "subject": "Printer is on fire"}
    error(manager_api.get(INBOUND, cursor="bm9wZQ"), 422, field="cursor")
    # Characters base64 would skip (NUL among them) make no cursor either.
    error(manager_api.get(INBOUND, cursor="bm9w\x00ZQ"), 422, field="cursor")
    error(manager_api.get(INBOUND, status="lost"), 422)
    error(manager_api.get(INBOUND, limit=0), 422)


def test_the_detail_has_the_headers_and_the_attachments(tenant, manager_api) -> None:
    done = ingest(tenant=tenant, raw=mail(files=(("logs.txt", "text/plain", b"log"),)), now=NOW)
    path = f"{INBOUND}/{done.message.pk}"
    body = conforms(manager_api.get(path), "GET", "/mail/inbound/{inbound_id}")
    headers = {h["name"]: h["value"] for h in body["headers"]}
    assert headers["Subject"] == "Printer is on fire"
    assert headers["From"] == "Jo Customer <jo@customer.example>"
    assert body["sha256"] == done.message.sha256
    (attachment,) = body["attachments"]
    assert attachment["filename"] == "logs.txt" and attachment["download_url"] == (
        f"/api/v1/cases/{done.case.display_number}/attachments/{attachment['id']}")
    garbage = quarantined(tenant)
    body = conforms(manager_api.get(f"{INBOUND}/{garbage.pk}"), "GET",
                    "/mail/inbound/{inbound_id}")
    assert body["attachments"] == [] and body["error"].startswith("Unreadable")


def test_the_raw_download_is_byte_for_byte(tenant, manager_api) -> None:
    stored = quarantined(tenant)
    response = manager_api.get(f"{INBOUND}/{stored.pk}/raw")
    assert response.status_code == 200
    assert response.content == GARBAGE
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{stored.pk}.eml"'


def test_reprocess_files_a_fixed_message_once(tenant, admin_api) -> None:
    stored = stuck_by_a_parser_bug(tenant)
    path = f"{INBOUND}/{stored.pk}/reprocess"
    body = conforms(admin_api.post(path), "POST", "/mail/inbound/{inbound_id}/reprocess")
    case = Case.objects.get()
    assert (body["outcome"], body["created"], body["error"]) == ("processed", True, "")
    assert body["case"]["number"] == case.display_number
    assert body["message"]["status"] == "processed"
    error(admin_api.post(path), 409, mentions=("quarantined",))
    assert Case.objects.count() == 1


def test_reprocess_tells_still_quarantined_and_duplicate(tenant, admin_api) -> None:
    garbage = quarantined(tenant)
    body = admin_api.post(f"{INBOUND}/{garbage.pk}/reprocess").json()
    assert (body["outcome"], body["case"]) == ("quarantined", None)
    assert body["error"].startswith("Unreadable")
    raw = mail()
    first = ingest(tenant=tenant, raw=raw, now=NOW)
    again = stuck_by_a_parser_bug(tenant, raw)
    body = admin_api.post(f"{INBOUND}/{again.pk}/reprocess").json()
    assert (body["outcome"], body["case"]["number"]) == ("duplicate",
                                                         first.case.display_number)
    assert Case.objects.count() == 1


def test_a_fresh_received_message_is_left_to_its_channel(tenant, admin_api, clock) -> None:
    stored = store_raw(tenant=tenant, raw=mail(), now=NOW, channel="smtp")
    path = f"{INBOUND}/{stored.pk}/reprocess"
    error(admin_api.post(path), 409, mentions=("moments ago",))
    clock.advance(hours=1)
    assert admin_api.post(path).json()["outcome"] == "processed"


# --- mailboxes --------------------------------------------------------------------------------

def test_the_password_is_write_only(tenant, admin_api, manager_api, mailbox) -> None:
    assert mailbox["has_password"] is True and "password" not in mailbox
    path = f"{BOXES}/{mailbox['id']}"
    for response in (admin_api.get(BOXES), manager_api.get(path),
                     admin_api.patch(path, {"poll_seconds": 300})):
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
    assert conforms(manager_api.get(path), "GET", "/mail/mailboxes/{mailbox_id}")[
        "poll_seconds"] == 300
    # Left out, null or empty: the stored password stays.
    for body in ({"folder": "Support"}, {"password": None}, {"password": ""}):
        assert admin_api.patch(path, body).status_code == 200
    assert Mailbox.objects.get().password == SECRET


def test_a_new_server_needs_the_password_again(admin_api, mailbox) -> None:
    path = f"{BOXES}/{mailbox['id']}"
    error(admin_api.patch(path, {"host": "imap.evil.example"}), 422, field="password")
    error(admin_api.patch(path, {"username": "someone@else"}), 422, field="password")
    assert Mailbox.objects.get().host == "imap.example.com"
    body = admin_api.patch(path, {"host": "imap.new.example", "password": "new-one"}).json()
    assert body["host"] == "imap.new.example"
    assert Mailbox.objects.get().password == "new-one"


def test_a_mailbox_with_all_its_settings(tenant, admin_api) -> None:
    support = Queue.objects.get(tenant=tenant, name="Support")
    response = admin_api.post(BOXES, box_body(
        host="LocalHost", port=1143, security="none", folder="Support",
        processed_action="move", move_to="Support/Done", queue_id=support.pk,
        poll_seconds=30, enabled=False))
    body = conforms(response, "POST", BOXES)
    assert response.status_code == 201
    assert (body["host"], body["security"], body["queue"]) == (
        "localhost", "none", {"id": support.pk, "name": "Support"})
    assert (body["processed_action"], body["move_to"], body["enabled"]) == ("move",
                                                                          "Support/Done", False)
    error(admin_api.patch(f"{BOXES}/{body['id']}", {"queue_id": None, "enabled": None}), 422,
          field="enabled")
    assert admin_api.patch(f"{BOXES}/{body['id']}", {"queue_id": None}).json()["queue"] is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"security": "none"}, "security"),
    ({"processed_action": "move", "move_to": ""}, "move_to"),
    ({"processed_action": "move", "move_to": "INBOX"}, "move_to"),
    ({"ca_certificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"},
     "ca_certificate"),
    ({"ca_certificate": "-----BEGIN CERTIFICATE-----\nMIIé\n-----END CERTIFICATE-----\n"},
     "ca_certificate"),
    ({"host": "imap example com"}, "host"),
    ({"host": "imap.example.com/x"}, "host"),
    ({"port": 0}, "port"),
    ({"port": 65536}, "port"),
    ({"poll_seconds": 1}, "poll_seconds"),
    ({"name": "support INBOX"}, "name"),
    ({"folder": "INBOX\r\nA1 DELETE INBOX"}, "folder"),
    ({"password": "pw\nA1 LOGOUT"}, "password"),
    ({"name": "nul\x00"}, "name"),
    ({"password": ""}, "password"),
])
def test_bad_mailboxes_are_refused_and_make_nothing(admin_api, mailbox, fields, field) -> None:
    body = box_body(name="Second", **{k: v for k, v in fields.items() if k != "name"})
    if "name" in fields:
        body["name"] = fields["name"]
    error(admin_api.post(BOXES, body), 422, field=field)
    assert Mailbox.objects.count() == 1


def test_another_tenants_queue_is_refused(tenant, other_tenant, admin_api, mailbox) -> None:
    theirs = Queue.objects.get(tenant=other_tenant, name="Support")
    error(admin_api.post(BOXES, box_body(name="x", queue_id=theirs.pk)), 422, field="queue_id")
    error(admin_api.patch(f"{BOXES}/{mailbox['id']}", {"queue_id": theirs.pk}), 422,
          field="queue_id")
    assert Mailbox.objects.get().queue is None


def test_a_deleted_mailbox_is_gone(admin_api, mailbox) -> None:
    path = f"{BOXES}/{mailbox['id']}"
    assert admin_api.delete(path).status_code == 204
    error(admin_api.get(path), 404)
    assert admin_api.get(BOXES).json() == []


# --- settings ---------------------------------------------------------------------------------

def test_the_mail_settings_are_read_and_changed(tenant, admin_api) -> None:
    body = conforms(admin_api.get(SETTINGS), "GET", SETTINGS)
    assert body["mail_max_bytes"] == 25 * 1024 * 1024 and body["mail_ack_enabled"] is True
    template = "Dear {{ contact.name|default:'customer' }}: {{ case.display_number }}"
    response = admin_api.patch(SETTINGS, {
        "mail_address": " Help@Acme.test ", "mail_max_bytes": 2 * 1024 * 1024,
        "mail_from": "noreply@acme.test", "mail_from_name": "Acme desk",
        "mail_ack_template": template, "mail_ack_per_hour": 0,
        "mail_match_account_by_domain": True})
    body = conforms(response, "PATCH", SETTINGS)
    assert (body["mail_address"], body["mail_max_bytes"], body["mail_ack_template"]) == (
        "help@acme.test", 2 * 1024 * 1024, template)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.mail_from_name, stored.mail_ack_per_hour) == ("Acme desk", 0)
    assert admin_api.patch(SETTINGS, {"mail_address": ""}).json()["mail_address"] == ""


@pytest.mark.parametrize(("payload", "field"), [
    ({"mail_ack_template": "Hi {% if %}"}, "mail_ack_template"),
    ({"mail_ack_template": "{% load static %}{% static 'x' %}"}, "mail_ack_template"),
    ({"mail_max_bytes": 1024 * 1024 - 1}, "mail_max_bytes"),
    ({"mail_max_bytes": 100 * 1024 * 1024 + 1}, "mail_max_bytes"),
    ({"mail_address": "nope"}, "mail_address"),
    ({"mail_address": "help@globex.test"}, "mail_address"),
    ({"mail_from_name": "Acme\r\nBcc: x@evil.example"}, "mail_from_name"),
    ({"mail_ack_per_hour": 101}, "mail_ack_per_hour"),
    ({"mail_ack_enabled": None}, "mail_ack_enabled"),
])
def test_bad_settings_are_refused_and_change_nothing(tenant, other_tenant, admin_api, payload,
                                                     field) -> None:
    Tenant.objects.filter(pk=other_tenant.pk).update(mail_address="help@globex.test")
    # Sent with a valid change: all or nothing.
    error(admin_api.patch(SETTINGS, {"mail_from": "x@acme.test", **payload}), 422, field=field)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.mail_from, stored.mail_address, stored.mail_ack_template) == ("", "", "")


# --- a case's attachments ---------------------------------------------------------------------

def test_any_member_lists_and_downloads_a_cases_attachments(tenant, agent_api) -> None:
    case = ingest(tenant=tenant, raw=mail(files=(("logo.png", "image/png", PNG),
                                                 ("notes.html", "text/html", b"<b>hi</b>"))),
                  now=NOW).case
    path = f"/cases/{case.display_number}/attachments"
    items = conforms(agent_api.get(path), "GET", "/cases/{number}/attachments")
    assert [a["filename"] for a in items] == ["logo.png", "notes.html"]
    png = agent_api.client.get(items[0]["download_url"])
    assert png.status_code == 200 and b"".join(png.streaming_content) == PNG
    assert png["Content-Type"] == "image/png" and png["X-Content-Type-Options"] == "nosniff"
    assert png["Content-Disposition"].startswith("inline")
    html = agent_api.client.get(items[1]["download_url"])
    assert html["Content-Disposition"] == 'attachment; filename="notes.html"'


def test_a_dropped_attachment_has_no_download(tenant, agent_api) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(mail_max_bytes=100)
    tenant.refresh_from_db()
    case = ingest(tenant=tenant, raw=mail(files=(("big.bin", "application/octet-stream",
                                                  b"x" * 500),)), now=NOW).case
    (item,) = agent_api.get(f"/cases/{case.display_number}/attachments").json()
    assert item["dropped"] is True and item["download_url"] is None
    error(agent_api.get(f"/cases/{case.display_number}/attachments/{item['id']}"), 404,
          mentions=("size limit",))


def test_another_cases_attachment_is_not_found(tenant, agent_api) -> None:
    with_file = ingest(tenant=tenant, raw=mail(files=(("a.txt", "text/plain", b"a"),)),
                       now=NOW).case
    other = ingest(tenant=tenant, raw=mail(subject="Other"), now=NOW).case
    attachment = Attachment.objects.get(case=with_file)
    error(agent_api.get(f"/cases/{other.display_number}/attachments/{attachment.pk}"), 404)


@pytest.mark.parametrize("key", [
    ["2026-13-45T00:00:00+00:00", 1], ["0001-01-01T00:00:00+14:00", 1],
    ["2026-11-23T09:00:00", 1], ["2026-11-23T09:00:00+00:00", 2**63],
    ["2026-11-23T09:00:00+00:00", True], [1, 1],
])
def test_a_forged_cursor_is_refused(manager_api, key) -> None:
    error(manager_api.get(INBOUND, cursor=encode_cursor(key)), 422, field="cursor")
