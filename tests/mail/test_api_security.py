"""The mail API's side of issue 10's mail defects: the new tenant settings (strangers,
sender authentication, the acknowledgement cap and how it stands), held messages with their
accept / new-case actions, and the sender authentication verdict on inbound mail."""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from casedesk.cases.models import Case, Note, Participant
from casedesk.mail.ingest import ingest
from casedesk.mail.models import InboundMessage, InboundStatus
from casedesk.tenancy.models import StrangerAction, Tenant
from tests.api_checks import conforms, error
from tests.conftest import NOW

H = timedelta(hours=1)
INBOUND = "/mail/inbound"
SETTINGS = "/mail/settings"
ACCEPT = "/mail/inbound/{inbound_id}/accept"
NEW_CASE = "/mail/inbound/{inbound_id}/new-case"
DMARC_FAIL = "mx.acme.test; dmarc=fail header.from=customer.example"


def mail(sender: str = "jo@customer.example", in_reply_to: str = "",
         message_id: str | None = None, auth: str = "", cc: str = "") -> bytes:
    msg = EmailMessage()
    if auth:
        msg["Authentication-Results"] = auth
    msg["From"] = sender
    msg["To"] = "support@acme.test"
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = "Printer is on fire"
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content("Hello.\n")
    return bytes(msg)


@pytest.fixture
def held(quiet_desk: Tenant) -> InboundMessage:
    """A stranger's answer to Jo's case, held."""
    tenant = quiet_desk
    Tenant.objects.filter(pk=tenant.pk).update(mail_stranger_action=StrangerAction.HOLD)
    tenant.refresh_from_db()
    first = make_msgid(domain="customer.example")
    ingest(tenant=tenant, raw=mail(message_id=first), now=NOW)
    result = ingest(tenant=tenant, raw=mail(sender="eve@evil.example", in_reply_to=first,
                                            cc="mallory@evil.example"), now=NOW + H)
    assert result.status == InboundStatus.HELD
    return result.message


def test_the_new_mail_settings_are_read_and_changed(tenant, admin_api, clock) -> None:
    body = conforms(admin_api.get(SETTINGS), "GET", SETTINGS)
    assert (body["mail_stranger_action"], body["mail_quarantine_failed_auth"],
            body["mail_authserv_ids"], body["mail_ack_tenant_per_hour"]) == (
        "new_case", False, "", 100)
    assert body["ack_usage"] == {"sent_last_hour": 0, "cap": 100, "withheld_last_hour": 0}
    body = conforms(admin_api.patch(SETTINGS, {
        "mail_stranger_action": "hold", "mail_quarantine_failed_auth": True,
        "mail_authserv_ids": " MX.Acme.test,backup.acme.test  mx.acme.test",
        "mail_ack_tenant_per_hour": 20}), "PATCH", SETTINGS)
    assert body["mail_authserv_ids"] == "mx.acme.test, backup.acme.test"
    assert body["ack_usage"]["cap"] == 20
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.mail_stranger_action, stored.mail_quarantine_failed_auth,
            stored.mail_ack_tenant_per_hour) == ("hold", True, 20)


@pytest.mark.parametrize(("payload", "field"), [
    ({"mail_stranger_action": "drop"}, "mail_stranger_action"),
    ({"mail_authserv_ids": "mx.acme.test; evil"}, "mail_authserv_ids"),
    ({"mail_authserv_ids": "a\r\nb"}, "mail_authserv_ids"),
    ({"mail_ack_tenant_per_hour": 10_001}, "mail_ack_tenant_per_hour"),
    ({"mail_ack_tenant_per_hour": -1}, "mail_ack_tenant_per_hour"),
    ({"mail_quarantine_failed_auth": None}, "mail_quarantine_failed_auth"),
])
def test_bad_new_settings_are_refused_and_change_nothing(tenant, admin_api, payload,
                                                         field) -> None:
    error(admin_api.patch(SETTINGS, {"mail_from": "x@acme.test", **payload}), 422, field=field)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.mail_from, stored.mail_stranger_action, stored.mail_authserv_ids,
            stored.mail_ack_tenant_per_hour) == ("", "new_case", "", 100)


def test_the_settings_say_how_the_cap_stands(tenant, admin_api, clock) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(mail_ack_tenant_per_hour=1)
    tenant.refresh_from_db()
    for i in range(3):
        ingest(tenant=tenant, raw=mail(sender=f"c{i}@customer.example"), now=NOW)
    usage = conforms(admin_api.get(SETTINGS), "GET", SETTINGS)["ack_usage"]
    assert usage == {"sent_last_hour": 1, "cap": 1, "withheld_last_hour": 2}
    items = admin_api.get(INBOUND, status="processed").json()["items"]
    assert sorted(i["ack_withheld"] for i in items) == ["", "tenant", "tenant"]


def test_held_mail_is_listed_and_accepted_onto_its_case(tenant, manager_api, held,
                                                        clock) -> None:
    page = conforms(manager_api.get(INBOUND, status="held"), "GET", INBOUND)
    [item] = page["items"]
    assert item["id"] == held.pk and item["status"] == "held"
    assert "eve@evil.example" in item["error"] and item["case"]["number"] == "CS-1"
    path = ACCEPT.format(inbound_id=held.pk)
    body = conforms(manager_api.post(path), "POST", ACCEPT)
    assert (body["outcome"], body["created"], body["case"]["number"]) == (
        "processed", False, "CS-1")
    case = Case.objects.get(tenant=tenant, number=1)
    assert Note.objects.filter(case=case, author_email="eve@evil.example").exists()
    # The sender was vouched for; the address she copied was not.
    assert list(Participant.objects.filter(case=case).values_list("email", flat=True)) == [
        "eve@evil.example"]
    error(manager_api.post(path), 409)


def test_held_mail_filed_as_a_new_case_is_linked(tenant, manager_api, held, clock) -> None:
    path = NEW_CASE.format(inbound_id=held.pk)
    body = conforms(manager_api.post(path), "POST", NEW_CASE)
    assert body["outcome"] == "processed" and body["created"]
    new = Case.objects.get(tenant=tenant, number=int(body["case"]["number"].split("-")[1]))
    assert new.follow_up_of.number == 1
    error(manager_api.post(ACCEPT.format(inbound_id=held.pk)), 409)


def test_held_mail_is_for_managers_of_its_tenant_only(tenant, agent_api, outsider_api,
                                                      held, clock) -> None:
    for path in (ACCEPT, NEW_CASE):
        error(agent_api.post(path.format(inbound_id=held.pk)), 403)
        error(outsider_api.post(path.format(inbound_id=held.pk)), 404)
    assert InboundMessage.objects.get(pk=held.pk).status == InboundStatus.HELD


def test_a_message_that_is_not_held_is_a_conflict(tenant, manager_api, clock) -> None:
    result = ingest(tenant=tenant, raw=mail(), now=NOW)
    for path in (ACCEPT, NEW_CASE):
        error(manager_api.post(path.format(inbound_id=result.message.pk)), 409)


def test_the_inbound_message_carries_the_sender_authentication_verdict(tenant,
                                                                       manager_api) -> None:
    result = ingest(tenant=tenant, raw=mail(auth=DMARC_FAIL), now=NOW)
    path = f"{INBOUND}/{result.message.pk}"
    body: dict[str, Any] = conforms(manager_api.get(path), "GET", "/mail/inbound/{inbound_id}")
    assert body["auth_verdict"] == "fail"
    assert body["auth_summary"].startswith("DMARC failed for customer.example")
