"""The outgoing mail pages: the outbox list (failed first, filters, pages), one message
with its headers and text, "Send again", the failed count on the tab; and, on the case page,
the line under each agent's reply that says whether it was mailed. Every message here is
made the real way: mail taken in, a public reply added, the outbox delivered to a real (or a
refusing, or an absent) SMTP server."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, Note
from casedesk.cases.services import case_add_note
from casedesk.mail import selectors
from casedesk.mail.delivery import claim_due, deliver_due
from casedesk.mail.ingest import ingest
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.factories import make_case
from tests.mail.peers import LOCMEM, free_port, smtp_mailer
from tests.mail.test_ingest import mail
from tests.mail.test_views import flashes

MIN = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
def desk(quiet_desk: Tenant) -> Tenant:
    return quiet_desk


@pytest.fixture
def clock(clock: Clock) -> Clock:
    """The shared clock, ten minutes after the mail of these tests was made."""
    clock.advance(minutes=10)
    return clock


def new_case(tenant: Tenant, at: Any = NOW, **kw: Any) -> Case:
    result = ingest(tenant=tenant, raw=mail(**kw), now=at)
    assert result.case is not None
    return result.case


def reply(case: Case, membership: Membership, body: str = "We sent a fire crew.",
          at: Any = NOW) -> OutboundMail:
    note = case_add_note(case=case, actor=membership.user, body=body, is_public=True, now=at)
    return OutboundMail.objects.get(note=note)


def failed(case: Case, membership: Membership, body: str = "We sent a fire crew.",
           at: Any = NOW) -> OutboundMail:
    """A reply the (refusing) server turned down for good."""
    out = reply(case, membership, body, at)
    assert deliver_due(at + MIN).failed >= 1
    out.refresh_from_db()
    assert out.status == OutboundStatus.FAILED
    return out


def text(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


# --- who may see what ------------------------------------------------------------------------

def test_agents_get_403(desk, agent) -> None:
    out = reply(new_case(desk), agent)
    client = login(agent)
    for path in ("/mail/outbound", f"/mail/outbound/{out.pk}"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/mail/outbound/{out.pk}/retry").status_code == 403
    out.refresh_from_db()
    assert out.next_attempt_at == NOW  # untouched


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_the_outbox(request, desk, agent, role) -> None:
    out = reply(new_case(desk), agent)
    client = login(request.getfixturevalue(role))
    page = client.get("/mail/outbound", {"status": "pending"})
    assert page.status_code == 200 and f'id="outbound-{out.pk}"' in page.content.decode()
    detail = client.get(f"/mail/outbound/{out.pk}").content.decode()
    assert 'data-testid="read-only"' not in detail


def test_another_tenants_ids_are_not_found(desk, other_tenant, admin, outsider) -> None:
    other_tenant.mail_address = "help@globex.test"
    other_tenant.save()
    theirs = reply(new_case(other_tenant, subject="Globex printer"), outsider)
    client = login(admin)
    for path in (f"/mail/outbound/{theirs.pk}", "/mail/outbound/99999999999999999999"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/mail/outbound/{theirs.pk}/retry").status_code == 404
    theirs_now = OutboundMail.objects.get(pk=theirs.pk)
    assert (theirs_now.status, theirs_now.next_attempt_at) == ("pending", NOW)
    page = client.get("/mail/outbound", {"status": "pending"}).content.decode()
    assert f"/mail/outbound/{theirs.pk}" not in page and "Globex" not in page


# --- the list ---------------------------------------------------------------------------------

def test_the_list_shows_failed_first_with_the_reason_and_filters(desk, agent, manager,
                                                                 refusing, settings) -> None:
    case = new_case(desk, Cc="Sam <sam@customer.example>")
    bad = failed(case, agent)
    settings.MAILERS = LOCMEM
    waiting = reply(case, agent, "Second answer.", at=NOW + 2 * MIN)
    client = login(manager)
    page = client.get("/mail/outbound").content.decode()
    assert f'id="outbound-{bad.pk}"' in page and f'id="outbound-{waiting.pk}"' not in page
    row = text(page.split(f'id="outbound-{bad.pk}"')[1].split("</tr>")[0])
    assert "Reply" in row and "jo@customer.example" in row and "+1 cc" in row
    assert case.display_number in row and "No such user here" in row
    assert f'href="/cases/{case.display_number}"' in page
    assert 'data-testid="failed-outbound-count">1<' in page
    pending = client.get("/mail/outbound", {"status": "pending"}).content.decode()
    assert f'id="outbound-{waiting.pk}"' in pending and f'id="outbound-{bad.pk}"' not in pending
    # Pending: when it is tried next.
    assert "23 Nov, 09:02" in text(pending.split(f'id="outbound-{waiting.pk}"')[1])
    deliver_due(NOW + 3 * MIN)
    sent = client.get("/mail/outbound", {"status": "sent"}).content.decode()
    assert f'id="outbound-{waiting.pk}"' in sent and "23 Nov, 09:03" in sent
    assert "Nothing failed" not in page
    assert client.get("/mail/outbound", {"status": "nonsense"}).context["status"] == "failed"


def test_acknowledgements_are_listed_as_such(desk, manager) -> None:
    desk.mail_ack_enabled = True
    desk.save(update_fields=["mail_ack_enabled"])
    new_case(desk)
    ack = OutboundMail.objects.get(kind=OutboundKind.ACKNOWLEDGEMENT)
    page = login(manager).get("/mail/outbound", {"status": "pending"}).content.decode()
    assert "Acknowledgement" in text(page.split(f'id="outbound-{ack.pk}"')[1].split("</tr>")[0])


def test_the_list_pages_newest_first(desk, agent, manager, monkeypatch) -> None:
    monkeypatch.setattr("casedesk.mail.views.PAGE_SIZE", 2)
    case = new_case(desk)
    made = [reply(case, agent, f"Answer {i}", at=NOW + i * H).pk for i in range(5)]
    client = login(manager)
    seen: list[int] = []
    query: dict[str, str] = {"status": "pending"}
    for _ in range(5):
        response = client.get("/mail/outbound", query)
        seen += [m.pk for m in response.context["page"].rows]
        next_query = response.context["next_query"]
        if not next_query:
            break
        query = dict(pair.split("=", 1) for pair in next_query.split("&"))
    assert seen == list(reversed(made))
    forged = client.get("/mail/outbound", {"status": "pending", "cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status_code == 302 and forged["Location"].endswith("?status=pending")


def test_the_list_reads_its_rows_without_a_query_per_row(desk, agent, manager) -> None:
    case = new_case(desk)
    reply(case, agent)
    client = login(manager)
    client.get("/mail/outbound", {"status": "pending"})  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        client.get("/mail/outbound", {"status": "pending"})
    for i in range(5):
        reply(case, agent, f"More {i}")
    with CaptureQueriesContext(connection) as six:
        page = client.get("/mail/outbound", {"status": "pending"}).content.decode()
    assert page.count('data-testid="outbound-row"') == 6
    assert len(six) == len(one), [q["sql"] for q in six.captured_queries]
    assert not any('"body"' in q["sql"] for q in six.captured_queries)  # never the text


def test_times_show_in_the_tenants_zone(desk, agent, manager) -> None:
    Tenant.objects.filter(pk=desk.pk).update(time_zone="Asia/Tokyo")
    reply(new_case(desk), agent)  # 09:00 UTC: 18:00 in Tokyo
    page = login(manager).get("/mail/outbound", {"status": "pending"}).content.decode()
    assert "23 Nov 2026, 18:00" in page and "Asia/Tokyo" in page


# --- one message ------------------------------------------------------------------------------

def test_the_detail_shows_headers_escaped_text_status_and_error(desk, agent, manager,
                                                                refusing) -> None:
    case = new_case(desk, message_id="<first@customer.example>",
                    Cc="Sam <sam@customer.example>")
    out = failed(case, agent, body="Try <b>this</b> & that.")
    response = login(manager).get(f"/mail/outbound/{out.pk}")
    page = response.content.decode()
    headers = dict(response.context["headers"])
    assert headers["Message-ID"] == f"<{out.message_id}>"
    assert headers["In-Reply-To"] == "<first@customer.example>"
    assert "<first@customer.example>" in headers["References"]
    assert headers["From"] == "Acme Support <support@acme.test>"
    assert headers["To"] == "jo@customer.example" and headers["Cc"] == "sam@customer.example"
    assert "Reply-To" in headers
    assert f"&lt;{out.message_id}&gt;" in page
    assert "Try &lt;b&gt;this&lt;/b&gt; &amp; that." in page and "<b>this</b>" not in page
    assert 'data-testid="outbound-status">Failed for good<' in page
    assert "Why it failed:" in page and "No such user here" in page
    assert f'href="/cases/{case.display_number}"' in page
    assert 'data-testid="send-again"' in page


def test_send_again_queues_a_failed_message_and_a_worker_sends_it(desk, agent, manager,
                                                                  refusing, settings,
                                                                  mailoutbox, clock) -> None:
    out = failed(new_case(desk), agent)
    client = login(manager)
    response = client.post(f"/mail/outbound/{out.pk}/retry", follow=True)
    assert "queued to be sent again" in " ".join(flashes(response))
    out.refresh_from_db()
    assert out.status == OutboundStatus.PENDING and out.next_attempt_at == clock.now
    assert 'data-testid="failed-outbound-count"' not in response.content.decode()
    settings.MAILERS = LOCMEM  # the cause is fixed
    assert deliver_due(clock.now).sent == 1
    (sent,) = mailoutbox
    assert sent.to == ["jo@customer.example"] and "We sent a fire crew." in sent.body
    out.refresh_from_db()
    assert out.status == OutboundStatus.SENT and out.last_error == ""
    page = client.get(f"/mail/outbound/{out.pk}").content.decode()
    assert 'data-testid="send-again"' not in page
    # Pressed again on a page left open: refused, and nothing is sent twice.
    again = client.post(f"/mail/outbound/{out.pk}/retry", follow=True)
    assert "This message is sent." in flashes(again)
    assert deliver_due(clock.now + H).sent == 0 and len(mailoutbox) == 1


def test_send_again_brings_a_waiting_message_forward(desk, agent, manager, clock) -> None:
    out = reply(new_case(desk), agent, at=NOW + H)  # due later than now
    login(manager).post(f"/mail/outbound/{out.pk}/retry")
    out.refresh_from_db()
    assert out.status == OutboundStatus.PENDING and out.next_attempt_at == clock.now


def test_send_again_while_a_worker_sends_it_is_refused(desk, agent, manager, clock) -> None:
    out = reply(new_case(desk), agent)
    assert [r.pk for r in claim_due(NOW)] == [out.pk]  # a worker has it
    client = login(manager)
    assert 'data-testid="send-again"' not in client.get(f"/mail/outbound/{out.pk}").content.decode()
    response = client.post(f"/mail/outbound/{out.pk}/retry", follow=True)
    assert "This message is being sent." in flashes(response)
    assert OutboundMail.objects.get(pk=out.pk).status == OutboundStatus.SENDING


def test_send_again_needs_the_csrf_token(desk, agent, manager, refusing) -> None:
    out = failed(new_case(desk), agent)
    client = login(manager, enforce_csrf_checks=True)
    assert client.post(f"/mail/outbound/{out.pk}/retry").status_code == 403
    assert OutboundMail.objects.get(pk=out.pk).status == OutboundStatus.FAILED


def test_the_failed_count_shows_on_the_tab_and_is_capped(desk, agent, manager,
                                                        refusing) -> None:
    case = new_case(desk)
    for i in range(3):
        failed(case, agent, f"Answer {i}")
    client = login(manager)
    for path in ("/mail/inbound", "/mail/outbound", "/mail/settings"):
        assert 'data-testid="failed-outbound-count">3<' in client.get(path).content.decode()
    assert selectors.failed_outbound_count(desk.pk, cap=2) == 2


# --- the reply's line on the case page --------------------------------------------------------

def status_lines(client: Client, case: Case) -> list[str]:
    page = client.get(f"/cases/{case.display_number}").content.decode()
    return [text(m) for m in re.findall(r'data-testid="reply-mail"[^>]*>(.*?)</p>', page,
                                        flags=re.S)]


def test_a_sent_reply_says_to_whom_and_when(desk, agent, manager, clock) -> None:
    Tenant.objects.filter(pk=desk.pk).update(time_zone="Europe/Berlin")
    case = new_case(desk, Cc="Sam <sam@customer.example>")
    out = reply(case, agent)
    deliver_due(NOW + 42 * MIN)  # 09:42 UTC, 10:42 in Berlin
    (line,) = status_lines(login(agent), case)
    assert line == "Mailed to jo@customer.example (+1 cc) · sent 10:42"
    (line,) = status_lines(login(manager), case)
    assert line == "Mailed to jo@customer.example (+1 cc) · sent 10:42 · details"
    page = login(manager).get(f"/cases/{case.display_number}").content.decode()
    assert f'href="/mail/outbound/{out.pk}"' in page
    assert f'href="/mail/outbound/{out.pk}"' not in login(agent).get(
        f"/cases/{case.display_number}").content.decode()


def test_a_reply_waiting_for_a_retry_says_which_attempt_and_when(desk, agent, settings,
                                                                clock) -> None:
    smtp_mailer(settings, free_port())  # nothing listens there
    case = new_case(desk)
    out = reply(case, agent)
    assert (status_lines(login(agent), case)
            == ["Mailed to jo@customer.example · waiting to be sent"])
    assert deliver_due(NOW + MIN).retrying == 1
    out.refresh_from_db()
    assert out.next_attempt_at == NOW + 2 * MIN
    (line,) = status_lines(login(agent), case)
    assert line == "Mailed to jo@customer.example · waiting to be sent (attempt 2, next at 09:02)"


def test_a_failed_reply_says_why_and_links_managers_to_it(desk, agent, manager,
                                                          refusing) -> None:
    case = new_case(desk)
    out = failed(case, agent)
    (line,) = status_lines(login(agent), case)
    assert line.startswith(
        "Mailed to jo@customer.example · failed: jo@customer.example refused: 550")
    assert "No such user here" in line
    page = login(manager).get(f"/cases/{case.display_number}").content.decode()
    link = re.search(r'<a href="([^"]+)" data-testid="reply-mail-link">([^<]+)</a>', page)
    assert link is not None and link.groups() == (f"/mail/outbound/{out.pk}",
                                                   "see why, send again")


def test_a_reply_on_a_case_without_an_address_says_it_was_not_mailed(desk, agent) -> None:
    case = make_case(desk, subject="Phone call")
    case_add_note(case=case, actor=agent.user, body="Called back.", is_public=True, now=NOW)
    assert not OutboundMail.objects.exists()
    assert status_lines(login(agent), case) == ["Not mailed: the case has no contact address"]


def test_notes_customer_mail_and_acknowledgements_carry_no_line(desk, agent) -> None:
    desk.mail_ack_enabled = True
    desk.save(update_fields=["mail_ack_enabled"])
    case = new_case(desk)
    case_add_note(case=case, actor=agent.user, body="Internal only.", is_public=False, now=NOW)
    ingest(tenant=desk, raw=mail(subject=f"Re: [{case.display_number}] x", body="More."),
           now=NOW + MIN)
    assert OutboundMail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).exists()
    assert Note.objects.filter(case=case, is_public=False).exists()
    assert status_lines(login(agent), case) == []


def test_the_case_page_reads_the_mail_of_all_replies_in_one_query(desk, agent,
                                                                  refusing) -> None:
    case = new_case(desk)
    failed(case, agent, "Answer 0")
    client = login(agent)
    client.get(f"/cases/{case.display_number}")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"/cases/{case.display_number}").status_code == 200
    for i in range(1, 5):
        failed(case, agent, f"Answer {i}", at=NOW + i * MIN)
    with CaptureQueriesContext(connection) as five:
        assert len(status_lines(client, case)) == 5
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]
    outbox_reads = [q for q in five.captured_queries if "mail_outboundmail" in q["sql"]]
    assert len(outbox_reads) == 1 and '"body"' not in outbox_reads[0]["sql"]
