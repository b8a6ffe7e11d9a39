"""Outgoing mail through the API: the outbox listed by status (failed first) with cursors,
one message with its headers and text, and "send again". Who may do what, another tenant's
ids, and what bad input is told. Messages are made the real way: mail taken in, a public
reply added, the outbox delivered to the test mailbox or to a real SMTP server that refuses."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note
from casedesk.mail.delivery import claim_due, deliver_due
from casedesk.mail.ingest import ingest
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus
from casedesk.tenancy.models import Membership, Tenant
from tests.api_checks import conforms, error, walk_pages
from tests.conftest import NOW
from tests.mail.peers import LOCMEM
from tests.mail.test_ingest import mail

MIN = timedelta(minutes=1)
H = timedelta(hours=1)
OUTBOUND = "/mail/outbound"
ONE = "/mail/outbound/{outbound_id}"
RETRY = "/mail/outbound/{outbound_id}/retry"


@pytest.fixture
def desk(quiet_desk: Tenant) -> Tenant:
    return quiet_desk




def new_case(tenant: Tenant, **kw: Any) -> Case:
    result = ingest(tenant=tenant, raw=mail(**kw), now=NOW)
    assert result.case is not None
    return result.case


def reply(case: Case, membership: Membership, body: str = "We sent a fire crew.",
          at: Any = NOW) -> OutboundMail:
    note = case_add_note(case=case, actor=membership.user, body=body, is_public=True, now=at)
    return OutboundMail.objects.get(note=note)


def failed(case: Case, membership: Membership, body: str = "We sent a fire crew.",
           at: Any = NOW) -> OutboundMail:
    out = reply(case, membership, body, at)
    assert deliver_due(at + MIN).failed >= 1
    out.refresh_from_db()
    assert out.status == OutboundStatus.FAILED
    return out


# --- who may do what --------------------------------------------------------------------------

def test_agents_are_refused_managers_and_admins_are_not(desk, agent, agent_api, manager_api,
                                                        admin_api) -> None:
    out = reply(new_case(desk), agent)
    for method, path in (("get", OUTBOUND), ("get", f"{OUTBOUND}/{out.pk}"),
                         ("post", f"{OUTBOUND}/{out.pk}/retry")):
        error(getattr(agent_api, method)(path), 403)
    assert OutboundMail.objects.get(pk=out.pk).next_attempt_at == NOW
    for api in (manager_api, admin_api):
        assert api.get(OUTBOUND).status_code == 200
        assert api.get(f"{OUTBOUND}/{out.pk}").status_code == 200
        assert api.post(f"{OUTBOUND}/{out.pk}/retry").status_code == 200


def test_another_tenants_mail_is_not_found(desk, other_tenant, outsider, admin_api) -> None:
    other_tenant.mail_address = "help@globex.test"
    other_tenant.save()
    theirs = reply(new_case(other_tenant), outsider)
    error(admin_api.get(f"{OUTBOUND}/{theirs.pk}"), 404)
    error(admin_api.post(f"{OUTBOUND}/{theirs.pk}/retry"), 404)
    error(admin_api.get(f"{OUTBOUND}/99999999999999999999"), 404)
    assert OutboundMail.objects.get(pk=theirs.pk).next_attempt_at == NOW
    assert admin_api.get(OUTBOUND, status="pending").json()["items"] == []


# --- the list ---------------------------------------------------------------------------------

def test_the_list_is_failed_first_and_filters_by_status(desk, agent, manager_api, refusing,
                                                        settings) -> None:
    case = new_case(desk, Cc="Sam <sam@customer.example>")
    bad = failed(case, agent)
    settings.MAILERS = LOCMEM
    waiting = reply(case, agent, "Second answer.", at=NOW + 2 * MIN)
    body = conforms(manager_api.get(OUTBOUND), "GET", OUTBOUND)
    (item,) = body["items"]
    assert body["next_cursor"] is None
    assert item["id"] == bad.pk and item["status"] == "failed" and item["kind"] == "reply"
    assert (item["recipient"], item["to"], item["cc"]) == (
        "jo@customer.example", ["jo@customer.example"], ["sam@customer.example"])
    assert item["case"] == {"number": case.display_number, "subject": "Printer is on fire"}
    assert item["note_id"] == bad.note_id and item["attempts"] == 1
    assert item["next_attempt_at"] is None and item["sent_at"] is None
    assert "No such user here" in item["last_error"]
    assert "body" not in item  # the list leaves the text to the detail
    pending = conforms(manager_api.get(OUTBOUND, status="pending"), "GET", OUTBOUND)["items"]
    assert [m["id"] for m in pending] == [waiting.pk]
    assert pending[0]["next_attempt_at"].startswith("2026-11-23T09:02:00")
    deliver_due(NOW + 3 * MIN)
    sent = conforms(manager_api.get(OUTBOUND, status="sent"), "GET", OUTBOUND)["items"]
    assert [m["id"] for m in sent] == [waiting.pk]
    assert sent[0]["sent_at"].startswith("2026-11-23T09:03:00")
    assert manager_api.get(OUTBOUND, status="sending").json()["items"] == []


def test_the_list_pages_newest_first(desk, agent, manager_api) -> None:
    case = new_case(desk)
    made = [reply(case, agent, f"Answer {i}", at=NOW + i * H).pk for i in range(5)]
    pages = walk_pages(manager_api, OUTBOUND, status="pending", limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [m["id"] for p in pages for m in p] == list(reversed(made))


def test_bad_list_parameters_are_a_422(desk, manager_api) -> None:
    error(manager_api.get(OUTBOUND, cursor="bm9wZQ"), 422, field="cursor")
    error(manager_api.get(OUTBOUND, status="lost"), 422)
    error(manager_api.get(OUTBOUND, limit=0), 422)
    error(manager_api.get(OUTBOUND, limit=101), 422)


def test_acknowledgements_are_listed_with_their_kind(desk, manager_api) -> None:
    desk.mail_ack_enabled = True
    desk.save(update_fields=["mail_ack_enabled"])
    case = new_case(desk)
    (item,) = manager_api.get(OUTBOUND, status="pending").json()["items"]
    assert item["kind"] == "ack" and item["note_id"] is None
    assert item["case"]["number"] == case.display_number
    assert OutboundMail.objects.get(pk=item["id"]).kind == OutboundKind.ACKNOWLEDGEMENT


# --- one message ------------------------------------------------------------------------------

def test_the_detail_has_the_headers_and_the_text(desk, agent, manager_api) -> None:
    case = new_case(desk, message_id="<first@customer.example>")
    out = reply(case, agent, "Try <b>this</b> & that.")
    body = conforms(manager_api.get(f"{OUTBOUND}/{out.pk}"), "GET", ONE)
    assert body["message_id"] == out.message_id and "<" not in body["message_id"]
    assert body["in_reply_to"] == "first@customer.example"
    assert "<first@customer.example>" in body["references"]
    assert body["from_address"] == "Acme Support <support@acme.test>"
    assert body["body"].startswith("Try <b>this</b> & that.")  # JSON: the text as sent
    assert body["subject"] == f"Re: [{case.display_number}] Printer is on fire"
    assert body["status"] == "pending" and body["next_attempt_at"].startswith("2026-11-23T09:00")


# --- send again -------------------------------------------------------------------------------

def test_retry_makes_a_failed_message_due_and_a_worker_sends_it(desk, agent, manager_api,
                                                                refusing, settings,
                                                                mailoutbox, clock) -> None:
    out = failed(new_case(desk), agent)
    clock.advance(minutes=30)
    body = conforms(manager_api.post(f"{OUTBOUND}/{out.pk}/retry"), "POST", RETRY)
    assert body["status"] == "pending" and body["id"] == out.pk
    assert body["next_attempt_at"].startswith("2026-11-23T09:30")
    assert body["case"]["number"] == out.case.display_number
    assert "No such user here" in body["last_error"]  # until a try succeeds
    settings.MAILERS = LOCMEM
    assert deliver_due(clock.now).sent == 1
    (sent,) = mailoutbox
    assert sent.to == ["jo@customer.example"] and f"<{out.message_id}>" == sent.extra_headers[
        "Message-ID"]
    after = conforms(manager_api.get(f"{OUTBOUND}/{out.pk}"), "GET", ONE)
    assert (after["status"], after["last_error"]) == ("sent", "")
    assert after["sent_at"].startswith("2026-11-23T09:30")
    error(manager_api.post(f"{OUTBOUND}/{out.pk}/retry"), 409, mentions=("sent",))
    assert deliver_due(clock.now + H).sent == 0 and len(mailoutbox) == 1


def test_retry_while_a_worker_sends_it_is_a_409(desk, agent, admin_api) -> None:
    out = reply(new_case(desk), agent)
    claim_due(NOW)
    error(admin_api.post(f"{OUTBOUND}/{out.pk}/retry"), 409, mentions=("being sent",))
    assert OutboundMail.objects.get(pk=out.pk).status == OutboundStatus.SENDING
