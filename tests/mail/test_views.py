"""The mail pages: inbound mail (quarantine first, filters, pages, detail, the
raw download, "Re-process"), the IMAP mailboxes and their form, the mail settings; and the
attachments on the case page with their download. Who may do what, another tenant's ids, and
what a refused form shows."""

import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case
from casedesk.mail.ingest import ingest, store_raw
from casedesk.mail.models import Attachment, InboundMessage, InboundStatus, Mailbox
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW, login
from tests.mail.test_imap import (
    Server,
    make_mailbox,
    server,  # noqa: F401 - the fixture: a private Dovecot
)
from tests.mail.test_imap import mail as imap_mail

H = timedelta(hours=1)
GARBAGE = b"\x00\x01\x02 not mail at all \xff\xfe"
CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUBY8hJBhweyEauz0ki5KrLGey6vkwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQY2FzZWRlc2sgdGVzdCBDQTAeFw0yNjExMjMxMzMyMzBaFw0z
NjExMjAxMzMyMzBaMBsxGTAXBgNVBAMMEGNhc2VkZXNrIHRlc3QgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAReOw/TZnZNuZ8SQEg+KwaxQzQimcWKqhHp27qK
RQvE14QQVi4TTlDItcs4L438Jb/zXROMFXeOpecSQSeDR2Q6o1MwUTAdBgNVHQ4E
FgQUnp2qxba1S3sQ6V+ixLPYNPVvXLEwHwYDVR0jBBgwFoAUnp2qxba1S3sQ6V+i
xLPYNPVvXLEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA0yzP
ipA19W7c7pQ5ykfkfwu//AnNDyvOgzvHWBKiCToCIBZbrr45gcgIY0WwKwpCOU1E
g8rxThE7C73oRoMyqrwl
-----END CERTIFICATE-----
"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
SECRET = "s3cret-imap-pa55"


def mail(subject: str = "Printer is on fire", sender: str = "jo@customer.example",
         to: str = "support@acme.test", message_id: str | None = None,
         files: tuple[tuple[str, str, bytes, str], ...] = ()) -> bytes:
    """A real message; `files` are (filename, content type, bytes, disposition)."""
    msg = EmailMessage()
    msg["From"] = f"Jo Customer <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    msg.set_content("Hello,\nour printer is on fire.\n")
    for filename, content_type, data, disposition in files:
        maintype, subtype = content_type.split("/")
        extra = {"cid": "<logo@customer.example>"} if disposition == "inline" else {}
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename,
                           disposition=disposition, **extra)
    return bytes(msg)


def quarantined(tenant: Tenant, raw: bytes = GARBAGE, at: Any = NOW) -> InboundMessage:
    """A message the parser refused, taken in the real way."""
    result = ingest(tenant=tenant, raw=raw, now=at)
    assert result.status == "quarantined"
    return result.message


def stuck_by_a_parser_bug(tenant: Tenant, raw: bytes | None = None) -> InboundMessage:
    """A readable message as it looks after a transient parser failure: stored, then
    quarantined with the failure's reason."""
    stored = store_raw(tenant=tenant, raw=raw or mail(), now=NOW, channel="smtp")
    stored.status = InboundStatus.QUARANTINED
    stored.error = "Parser failure: RecursionError: maximum recursion depth exceeded"
    stored.save()
    return stored


def mailbox_form(**fields: str) -> dict[str, str]:
    data = {"name": "Support inbox", "host": "imap.example.com", "port": "993",
            "security": "ssl", "ca_certificate": "", "username": "support@acme.test",
            "password": SECRET, "folder": "INBOX", "processed_action": "flag",
            "move_to": "Processed", "queue": "", "poll_seconds": "60", "enabled": "on"}
    data.update(fields)
    return data


def settings_form(tenant: Tenant, **fields: str) -> dict[str, str]:
    data = {"mail_address": "help@acme.test", "mail_max_mb": "25",
            "mail_match_account_by_domain": "on", "mail_from": "", "mail_from_name": "",
            "mail_ack_enabled": "on", "mail_ack_per_hour": "3", "mail_ack_template": "",
            "mail_ack_tenant_per_hour": "100", "mail_stranger_action": "new_case",
            "mail_authserv_ids": ""}
    data.update(fields)
    return data


def flashes(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def mailbox(tenant: Tenant) -> Mailbox:
    return Mailbox.objects.create(tenant=tenant, name="Support inbox", host="imap.acme.test",
                                  username="support@acme.test", password=SECRET,
                                  created_at=NOW)


# --- who may see and change what -------------------------------------------------------------

def test_agents_get_403_everywhere(tenant, agent, mailbox) -> None:
    message = quarantined(tenant)
    client = login(agent)
    for path in ("/mail/", "/mail/inbound", f"/mail/inbound/{message.pk}",
                 f"/mail/inbound/{message.pk}/raw", "/mail/mailboxes", "/mail/mailboxes/new",
                 f"/mail/mailboxes/{mailbox.pk}", "/mail/settings"):
        assert client.get(path).status_code == 403, path
    for path, data in ((f"/mail/inbound/{message.pk}/reprocess", {}),
                       ("/mail/mailboxes/new", mailbox_form(name="Other")),
                       (f"/mail/mailboxes/{mailbox.pk}", mailbox_form()),
                       (f"/mail/mailboxes/{mailbox.pk}/delete", {}),
                       (f"/mail/mailboxes/{mailbox.pk}/test", {}),
                       (f"/mail/mailboxes/{mailbox.pk}/poll", {}),
                       ("/mail/settings", settings_form(tenant))):
        assert client.post(path, data).status_code == 403, path
    assert InboundMessage.objects.get().status == "quarantined"
    assert Mailbox.objects.count() == 1 and not Case.objects.exists()
    assert "/mail/inbound" not in client.get("/cases").content.decode()


def test_managers_read_the_set_up_but_only_admins_change_it(tenant, manager, mailbox) -> None:
    client = login(manager)
    page = client.get(f"/mail/mailboxes/{mailbox.pk}").content.decode()
    assert 'data-testid="read-only"' in page and "Save mailbox" not in page
    assert client.get("/mail/settings").status_code == 200
    for path, data in (("/mail/mailboxes/new", mailbox_form(name="Other")),
                       (f"/mail/mailboxes/{mailbox.pk}", mailbox_form(name="Renamed")),
                       (f"/mail/mailboxes/{mailbox.pk}/delete", {}),
                       ("/mail/settings", settings_form(tenant, mail_address="x@acme.test"))):
        assert client.post(path, data).status_code == 403, path
    assert Mailbox.objects.get().name == "Support inbox"
    assert Tenant.objects.get(pk=tenant.pk).mail_address == ""


def test_another_tenants_ids_are_not_found(tenant, other_tenant, admin) -> None:
    theirs = quarantined(other_tenant)
    their_box = Mailbox.objects.create(tenant=other_tenant, name="Globex", host="imap.globex.test",
                                       username="g", password="their-secret", created_at=NOW)
    client = login(admin)
    for path in (f"/mail/inbound/{theirs.pk}", f"/mail/inbound/{theirs.pk}/raw",
                 f"/mail/mailboxes/{their_box.pk}", "/mail/inbound/99999999999999999999"):
        assert client.get(path).status_code == 404, path
    for path in (f"/mail/inbound/{theirs.pk}/reprocess", f"/mail/mailboxes/{their_box.pk}",
                 f"/mail/mailboxes/{their_box.pk}/delete", f"/mail/mailboxes/{their_box.pk}/test",
                 f"/mail/mailboxes/{their_box.pk}/poll"):
        assert client.post(path, mailbox_form()).status_code == 404, path
    assert InboundMessage.objects.get(pk=theirs.pk).status == "quarantined"
    assert Mailbox.objects.get(pk=their_box.pk).name == "Globex"
    page = client.get("/mail/inbound").content.decode()
    assert f"/mail/inbound/{theirs.pk}" not in page


# --- the inbound list -------------------------------------------------------------------------

def test_the_list_shows_quarantine_first_with_the_reason(tenant, manager) -> None:
    bad = quarantined(tenant)
    good = ingest(tenant=tenant, raw=mail(subject="Readable"), now=NOW)
    client = login(manager)
    page = client.get("/mail/inbound").content.decode()
    assert f'id="inbound-{bad.pk}"' in page and f'id="inbound-{good.message.pk}"' not in page
    assert "Unreadable" in page and "pipe" in page
    assert 'data-testid="nav-quarantined">1<' in page
    processed = client.get("/mail/inbound", {"status": "processed"}).content.decode()
    assert f'id="inbound-{good.message.pk}"' in processed and "Readable" in processed
    assert f'href="/cases/{good.case.display_number}"' in processed
    assert f'id="inbound-{bad.pk}"' not in processed


def test_the_list_pages_newest_first(tenant, manager, monkeypatch) -> None:
    monkeypatch.setattr("casedesk.mail.views.PAGE_SIZE", 2)
    made = [quarantined(tenant, GARBAGE + bytes([i]), at=NOW + i * H).pk for i in range(5)]
    client = login(manager)
    seen: list[int] = []
    query: dict[str, str] = {}
    for _ in range(5):
        response = client.get("/mail/inbound", query)
        seen += [m.pk for m in response.context["page"].rows]
        next_query = response.context["next_query"]
        if not next_query:
            break
        query = dict(pair.split("=", 1) for pair in next_query.split("&"))
    assert seen == list(reversed(made))
    forged = client.get("/mail/inbound", {"cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status_code == 302


def test_the_list_reads_its_rows_without_a_query_per_row(tenant, manager) -> None:
    client = login(manager)
    ingest(tenant=tenant, raw=mail(subject="First"), now=NOW)
    client.get("/mail/inbound", {"status": "processed"})  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        client.get("/mail/inbound", {"status": "processed"})
    for i in range(10):
        ingest(tenant=tenant, raw=mail(subject=f"More {i}"), now=NOW)
    with CaptureQueriesContext(connection) as eleven:
        page = client.get("/mail/inbound", {"status": "processed"}).content.decode()
    assert page.count('data-testid="inbound-row"') == 11
    assert len(eleven) == len(one), [q["sql"] for q in eleven.captured_queries]
    assert not any('"raw"' in q["sql"] for q in eleven.captured_queries)  # never the bytes


def test_times_show_in_the_tenants_zone(tenant, manager) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(time_zone="Asia/Tokyo")
    quarantined(tenant)  # received 09:00 UTC: 18:00 in Tokyo
    page = login(manager).get("/mail/inbound").content.decode()
    assert "23 Nov 2026, 18:00" in page


# --- one message: detail, raw, re-process -----------------------------------------------------

def test_the_detail_shows_the_error_and_the_headers(tenant, manager) -> None:
    stored = stuck_by_a_parser_bug(tenant, mail(subject="=?utf-8?q?Caf=C3=A9_on_fire?="))
    page = login(manager).get(f"/mail/inbound/{stored.pk}").content.decode()
    assert "RecursionError" in page
    assert "Café on fire" in page and "jo@customer.example" in page
    assert 'data-testid="reprocess"' in page


def test_the_raw_download_is_the_bytes_as_they_arrived(tenant, manager) -> None:
    stored = quarantined(tenant)
    response = login(manager).get(f"/mail/inbound/{stored.pk}/raw")
    assert response.status_code == 200
    assert response.content == GARBAGE
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{stored.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_reprocess_after_the_fix_makes_the_case(tenant, manager) -> None:
    stored = stuck_by_a_parser_bug(tenant)
    client = login(manager)
    response = client.post(f"/mail/inbound/{stored.pk}/reprocess", follow=True)
    stored.refresh_from_db()
    case = Case.objects.get()
    assert stored.status == "processed" and stored.case == case and stored.error == ""
    assert f"it made the new case {case.display_number}" in " ".join(flashes(response))
    page = response.content.decode()
    assert f'href="/cases/{case.display_number}"' in page
    assert 'data-testid="reprocess"' not in page  # nothing left to re-process
    again = client.post(f"/mail/inbound/{stored.pk}/reprocess", follow=True)
    assert "Only a quarantined message" in " ".join(flashes(again))
    assert Case.objects.count() == 1


def test_reprocess_of_garbage_stays_quarantined_with_the_reason(tenant, admin) -> None:
    stored = quarantined(tenant)
    response = login(admin).post(f"/mail/inbound/{stored.pk}/reprocess", follow=True)
    assert "Still quarantined: Unreadable" in " ".join(flashes(response))
    assert InboundMessage.objects.get(pk=stored.pk).status == "quarantined"
    assert not Case.objects.exists()


def test_reprocess_of_a_message_taken_in_since_is_a_duplicate(tenant, manager) -> None:
    raw = mail()
    first = ingest(tenant=tenant, raw=raw, now=NOW)
    stored = stuck_by_a_parser_bug(tenant, raw)
    response = login(manager).post(f"/mail/inbound/{stored.pk}/reprocess", follow=True)
    assert f"on {first.case.display_number}" in " ".join(flashes(response))
    assert InboundMessage.objects.get(pk=stored.pk).status == "duplicate"
    assert Case.objects.count() == 1


def test_a_message_stuck_as_received_is_reprocessed_once_it_is_stale(tenant, manager,
                                                                     clock) -> None:
    stored = store_raw(tenant=tenant, raw=mail(to="billing@acme.test"), now=NOW,
                       channel="imap")
    billing = Queue.objects.get(tenant=tenant, name="Finance")
    Queue.objects.filter(pk=billing.pk).update(email="Billing@acme.test")
    client = login(manager)
    early = client.post(f"/mail/inbound/{stored.pk}/reprocess", follow=True)
    assert "moments ago" in " ".join(flashes(early))
    assert InboundMessage.objects.get(pk=stored.pk).status == "received"
    clock.now = NOW + H
    client.post(f"/mail/inbound/{stored.pk}/reprocess")
    stored.refresh_from_db()
    assert stored.status == "processed"
    assert stored.case.queue_id == billing.pk  # addressed to the queue's own address


def test_reprocess_needs_the_csrf_token(tenant, manager) -> None:
    stored = stuck_by_a_parser_bug(tenant)
    client = login(manager, enforce_csrf_checks=True)
    assert client.post(f"/mail/inbound/{stored.pk}/reprocess").status_code == 403
    assert InboundMessage.objects.get(pk=stored.pk).status == "quarantined"


# --- mailboxes --------------------------------------------------------------------------------

def test_admin_adds_a_mailbox_whose_password_never_comes_back(tenant, admin) -> None:
    client = login(admin)
    queue = Queue.objects.get(tenant=tenant, name="Support")
    response = client.post("/mail/mailboxes/new", mailbox_form(queue=str(queue.pk),
                                                                ca_certificate=CA_PEM))
    assert response.status_code == 302
    box = Mailbox.objects.get()
    assert (box.password, box.queue, box.ca_certificate) == (SECRET, queue, CA_PEM.strip())
    for path in ("/mail/mailboxes", f"/mail/mailboxes/{box.pk}"):
        page = client.get(path).content.decode()
        assert SECRET not in page and "Support inbox" in page
    # Saved again with the password left empty: the stored one stays.
    assert client.post(f"/mail/mailboxes/{box.pk}",
                       mailbox_form(password="", poll_seconds="120")).status_code == 302
    box.refresh_from_db()
    assert (box.password, box.poll_seconds) == (SECRET, 120)


def test_a_new_server_needs_the_password_again(admin, mailbox) -> None:
    client = login(admin)
    response = client.post(f"/mail/mailboxes/{mailbox.pk}",
                           mailbox_form(host="imap.evil.example", password=""))
    assert response.status_code == 422
    assert "Enter the password again" in " ".join(response.context["form"].errors["password"])
    assert Mailbox.objects.get().host == "imap.acme.test"
    assert client.post(f"/mail/mailboxes/{mailbox.pk}",
                       mailbox_form(host="imap.new.example", password="new")).status_code == 302
    assert Mailbox.objects.get().password == "new"


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"security": "none"}, "security", "only a server on this machine"),
    ({"processed_action": "move", "move_to": ""}, "move_to", "required"),
    ({"ca_certificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"},
     "ca_certificate", "not a PEM certificate"),
    ({"host": "imap example com"}, "host", "host name"),
    ({"port": "70000"}, "port", "less than or equal"),
    ({"name": "support INBOX"}, "name", "already a mailbox"),
    ({"folder": "INBOX\r\nA1 DELETE INBOX"}, "folder", "control characters"),
    ({"password": ""}, "password", "required"),
])
def test_an_invalid_mailbox_shows_the_reason_on_its_field(admin, mailbox, fields, field,
                                                          words) -> None:
    response = login(admin).post("/mail/mailboxes/new", mailbox_form(name="Second", **fields)
                                 if "name" not in fields else mailbox_form(**fields))
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert words.lower() in errors.lower(), response.context["form"].errors
    assert 'data-testid="form-error"' in response.content.decode()
    assert SECRET not in response.content.decode()
    assert Mailbox.objects.count() == 1


def test_no_tls_is_fine_on_loopback(admin) -> None:
    response = login(admin).post("/mail/mailboxes/new",
                                 mailbox_form(host="127.0.0.1", port="143", security="none"))
    assert response.status_code == 302
    assert Mailbox.objects.get().security == "none"


def test_admin_deletes_a_mailbox(admin, mailbox) -> None:
    response = login(admin).post(f"/mail/mailboxes/{mailbox.pk}/delete", follow=True)
    assert "deleted" in " ".join(flashes(response))
    assert not Mailbox.objects.exists()


@pytest.fixture
def imap_account(request: pytest.FixtureRequest) -> tuple[Server, str]:
    """A fresh account on the IMAP tests' Dovecot."""
    dovecot: Server = request.getfixturevalue("server")
    return dovecot, dovecot.add_user()


def test_test_connection_and_poll_now_talk_to_the_server(tenant, admin, imap_account) -> None:
    dovecot, user = imap_account
    box = make_mailbox(tenant, dovecot, user)
    dovecot.append(user, imap_mail(subject="Sent to the mailbox"))
    client = login(admin)
    tested = client.post(f"/mail/mailboxes/{box.pk}/test", follow=True)
    assert "signed in and opened INBOX" in " ".join(flashes(tested))
    assert not Case.objects.exists()  # a test takes nothing in
    polled = client.post(f"/mail/mailboxes/{box.pk}/poll", follow=True)
    assert "polled: 1 taken" in " ".join(flashes(polled))
    assert Case.objects.get().subject == "Sent to the mailbox"
    page = polled.content.decode()
    assert f'id="mailbox-{box.pk}"' in page and "Never" not in page  # polled_at shown


def test_the_poller_buttons_tell_what_failed(tenant, admin, imap_account) -> None:
    dovecot, user = imap_account
    box = make_mailbox(tenant, dovecot, user, password="wrong-password")
    client = login(admin)
    tested = client.post(f"/mail/mailboxes/{box.pk}/test", follow=True)
    assert "the connection test failed. Login failed" in " ".join(flashes(tested))
    polled = client.post(f"/mail/mailboxes/{box.pk}/poll", follow=True)
    assert "polling failed" in " ".join(flashes(polled))
    assert "Login failed" in polled.content.decode()  # recorded on the mailbox, shown


# --- settings ---------------------------------------------------------------------------------

def test_admin_changes_the_mail_settings(tenant, admin) -> None:
    client = login(admin)
    template = "Hi {{ contact.name }},\r\nwe opened {{ case.display_number }}.\r\n"
    response = client.post("/mail/settings", settings_form(
        tenant, mail_max_mb="10", mail_from="noreply@acme.test", mail_from_name="Acme desk",
        mail_ack_template=template))
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.mail_address == "help@acme.test"
    assert tenant.mail_max_bytes == 10 * 1024 * 1024
    assert tenant.mail_from == "noreply@acme.test" and tenant.mail_from_name == "Acme desk"
    assert tenant.mail_match_account_by_domain and tenant.mail_ack_enabled
    assert tenant.mail_ack_template == template.replace("\r\n", "\n")
    page = client.get("/mail/settings").content.decode()
    assert "help@acme.test" in page and "we opened" in page


def test_an_unchanged_size_keeps_a_size_that_is_not_whole_megabytes(tenant, admin) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(mail_max_bytes=25 * 1024 * 1024 + 5)
    assert login(admin).post("/mail/settings", settings_form(tenant)).status_code == 302
    assert Tenant.objects.get(pk=tenant.pk).mail_max_bytes == 25 * 1024 * 1024 + 5


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"mail_ack_template": "Hello {% if case %}"}, "mail_ack_template", "does not compile"),
    ({"mail_max_mb": "0"}, "mail_max_mb", "greater than or equal to 1"),
    ({"mail_max_mb": "101"}, "mail_max_mb", "less than or equal to 100"),
    ({"mail_address": "not an address"}, "mail_address", "valid email"),
    ({"mail_address": "help@globex.test"}, "mail_address", "another tenant"),
    ({"mail_address": "finance@acme.test"}, "mail_address", "the queue Finance"),
    ({"mail_from_name": "Acme\r\nBcc: x@evil.example"}, "mail_from_name", "control"),
])
def test_invalid_settings_show_the_reason_and_save_nothing(tenant, other_tenant, admin, fields,
                                                           field, words) -> None:
    Tenant.objects.filter(pk=other_tenant.pk).update(mail_address="help@globex.test")
    Queue.objects.filter(tenant=tenant, name="Finance").update(email="finance@acme.test")
    response = login(admin).post("/mail/settings", settings_form(tenant, mail_from="x@acme.test",
                                                                 **fields))
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert words.lower() in errors.lower(), response.context["form"].errors
    assert Tenant.objects.get(pk=tenant.pk).mail_from == ""


# --- attachments on the case page -------------------------------------------------------------

FILES = (("logo.png", "image/png", PNG, "inline"),
         ("report.pdf", "application/pdf", b"%PDF-1.4 fake", "attachment"),
         ("Übersicht März.txt", "text/plain", "Grüße".encode(), "attachment"),
         ("page.html", "text/html", b"<script>alert(1)</script>", "attachment"))


@pytest.fixture
def case_with_files(tenant: Tenant) -> Case:
    return ingest(tenant=tenant, raw=mail(files=FILES), now=NOW).case


def by_name(case: Case) -> dict[str, Attachment]:
    return {a.filename: a for a in Attachment.objects.filter(case=case)}


def test_the_case_page_lists_the_attachments(case_with_files, agent) -> None:
    page = login(agent).get(f"/cases/{case_with_files.display_number}").content.decode()
    files = by_name(case_with_files)
    assert set(files) == {name for name, *_ in FILES}
    for attachment in files.values():
        url = f"/cases/{case_with_files.display_number}/attachments/{attachment.pk}"
        assert f'href="{url}"' in page
    assert "inline image" in page and "report.pdf" in page and "Übersicht März.txt" in page
    assert "&lt;script&gt;" not in page  # the file's content never reaches the page


def test_dropped_attachments_are_marked_and_not_downloadable(tenant, agent) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(mail_max_bytes=200)
    tenant.refresh_from_db()
    case = ingest(tenant=tenant, raw=mail(files=FILES[1:2]), now=NOW).case
    dropped = Attachment.objects.get(case=case)
    assert dropped.dropped
    client = login(agent)
    page = client.get(f"/cases/{case.display_number}").content.decode()
    assert "not kept: over the size limit" in page
    assert f"/attachments/{dropped.pk}" not in page
    assert client.get(f"/cases/{case.display_number}/attachments/{dropped.pk}"
                      ).status_code == 404


def test_the_case_page_reads_attachments_in_one_query(tenant, agent) -> None:
    few = ingest(tenant=tenant, raw=mail(files=FILES[:1]), now=NOW).case
    many = ingest(tenant=tenant, raw=mail(files=FILES * 3), now=NOW).case
    client = login(agent)
    client.get(f"/cases/{few.display_number}")  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        client.get(f"/cases/{few.display_number}")
    with CaptureQueriesContext(connection) as twelve:
        page = client.get(f"/cases/{many.display_number}").content.decode()
    assert page.count('data-testid="attachment"') == 12
    assert len(twelve) == len(one), [q["sql"] for q in twelve.captured_queries]


def test_downloads_are_safe(case_with_files, agent) -> None:
    client = login(agent)
    files = by_name(case_with_files)
    base = f"/cases/{case_with_files.display_number}/attachments"

    def get(name: str) -> Any:
        response = client.get(f"{base}/{files[name].pk}")
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        return response

    png = get("logo.png")
    assert b"".join(png.streaming_content) == PNG
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"].startswith("inline")
    pdf = get("report.pdf")
    assert pdf["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert b"".join(pdf.streaming_content) == b"%PDF-1.4 fake"
    html = get("page.html")
    assert html["Content-Disposition"].startswith("attachment")
    assert "sandbox" in html["Content-Security-Policy"]
    text = get("Übersicht März.txt")
    assert (f"filename*=utf-8''{quote('Übersicht März.txt')}"
            in text["Content-Disposition"])


def test_another_cases_or_tenants_attachment_is_not_found(case_with_files, tenant,
                                                          other_tenant, agent) -> None:
    mine = next(iter(by_name(case_with_files).values()))
    other_case = ingest(tenant=tenant, raw=mail(subject="Other"), now=NOW).case
    theirs = ingest(tenant=other_tenant, raw=mail(files=FILES[:1]), now=NOW).case
    their_file = Attachment.objects.get(case=theirs)
    client = login(agent)
    for path in (f"/cases/{other_case.display_number}/attachments/{mine.pk}",
                 f"/cases/{case_with_files.display_number}/attachments/{their_file.pk}",
                 f"/cases/{theirs.display_number}/attachments/{their_file.pk}"):
        assert client.get(path).status_code == 404, path


# --- internal addresses (core.net) ------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.8",
                                  "::ffff:192.168.1.1", "100.64.0.1"])
def test_a_mailbox_on_an_internal_address_is_refused_as_it_is_saved(admin, host) -> None:
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False):
        response = login(admin).post("/mail/mailboxes/new", mailbox_form(host=host))
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors.get("host", []))
    assert "not allowed" in errors and "CASEDESK_ALLOW_PRIVATE_NETWORKS" in errors
    assert not Mailbox.objects.exists()


def test_the_poller_buttons_refuse_an_internal_address_and_say_why(tenant, admin,
                                                                   imap_account) -> None:
    dovecot, user = imap_account
    box = make_mailbox(tenant, dovecot, user)  # on loopback, saved while that was allowed
    client = login(admin)
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False):
        tested = client.post(f"/mail/mailboxes/{box.pk}/test", follow=True)
        polled = client.post(f"/mail/mailboxes/{box.pk}/poll", follow=True)
    for answer in (tested, polled):
        told = " ".join(flashes(answer))
        assert "This address is not allowed" in told, told
        assert "CASEDESK_ALLOW_PRIVATE_NETWORKS" in told
        assert not re.search(r"connection refused|timed out|no answer|no route", told, re.I)
    assert not Case.objects.exists()
