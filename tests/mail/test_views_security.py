"""The pages' side of issue 10's mail defects: the new mail settings and how the
acknowledgement cap stands, held messages (listed, accepted onto their case or filed as a new
case), and the sender authentication warning on the message page and the case page."""

from datetime import timedelta
from email.utils import make_msgid

import pytest

from casedesk.cases.models import Case, Note, Participant
from casedesk.mail.ingest import ingest
from casedesk.mail.models import InboundMessage, InboundStatus
from casedesk.tenancy.models import StrangerAction, Tenant
from tests.conftest import NOW, login
from tests.mail.test_ingest import mail
from tests.mail.test_views import flashes, settings_form

H = timedelta(hours=1)
DMARC_FAIL = "mx.acme.test; dmarc=fail (p=reject) header.from=customer.example"


@pytest.fixture
def held(quiet_desk: Tenant) -> InboundMessage:
    """A stranger's answer to Jo's case, held for a manager."""
    Tenant.objects.filter(pk=quiet_desk.pk).update(mail_stranger_action=StrangerAction.HOLD)
    quiet_desk.refresh_from_db()
    first = make_msgid(domain="customer.example")
    ingest(tenant=quiet_desk, raw=mail(message_id=first), now=NOW)
    result = ingest(tenant=quiet_desk, raw=mail(sender="Eve <eve@evil.example>",
                                                in_reply_to=first, body="Refund me.",
                                                Cc="mallory@evil.example"), now=NOW + H)
    assert result.status == InboundStatus.HELD
    return result.message


# --- settings ---------------------------------------------------------------------------------

def test_admin_sets_who_may_join_a_case_sender_authentication_and_the_cap(tenant, admin,
                                                                           clock) -> None:
    client = login(admin)
    page = client.get("/mail/settings").content.decode()
    for name in ("mail_stranger_action", "mail_quarantine_failed_auth", "mail_authserv_ids",
                 "mail_ack_tenant_per_hour"):
        assert f'name="{name}"' in page
    assert "of at most 100" in page
    response = client.post("/mail/settings", settings_form(
        tenant, mail_stranger_action="hold", mail_quarantine_failed_auth="on",
        mail_authserv_ids="MX.acme.test", mail_ack_tenant_per_hour="2"))
    assert response.status_code == 302, response.context["form"].errors
    tenant.refresh_from_db()
    assert (tenant.mail_stranger_action, tenant.mail_quarantine_failed_auth,
            tenant.mail_authserv_ids, tenant.mail_ack_tenant_per_hour) == (
        "hold", True, "mx.acme.test", 2)


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"mail_stranger_action": "drop"}, "mail_stranger_action", "valid choice"),
    ({"mail_authserv_ids": "mx.acme.test; rm -rf"}, "mail_authserv_ids", "not an authserv-id"),
    ({"mail_ack_tenant_per_hour": "10001"}, "mail_ack_tenant_per_hour", "less than or equal"),
    ({"mail_ack_tenant_per_hour": ""}, "mail_ack_tenant_per_hour", "required"),
])
def test_invalid_new_settings_show_the_reason_and_save_nothing(tenant, admin, fields, field,
                                                               words) -> None:
    response = login(admin).post("/mail/settings", settings_form(tenant, mail_from="x@acme.test",
                                                                 **fields))
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert words.lower() in errors.lower(), response.context["form"].errors
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.mail_from, stored.mail_stranger_action) == ("", "new_case")


def test_the_settings_page_tells_how_many_acknowledgements_the_cap_withheld(tenant, manager,
                                                                            clock) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(mail_ack_tenant_per_hour=1)
    tenant.refresh_from_db()
    for i in range(3):
        ingest(tenant=tenant, raw=mail(sender=f"c{i}@customer.example"), now=NOW)
    page = login(manager).get("/mail/settings").content.decode()
    usage = page.split('data-testid="ack-usage"', 1)[1].split("</p>", 1)[0]
    assert "<strong>1</strong> acknowledgement sent of at most 1" in usage
    assert "<strong>2</strong> new cases not acknowledged" in usage


# --- held mail --------------------------------------------------------------------------------

def test_held_mail_is_listed_and_a_manager_accepts_it_onto_the_case(quiet_desk, manager,
                                                                   held, clock) -> None:
    client = login(manager)
    listing = client.get("/mail/inbound?status=held").content.decode()
    assert f'id="inbound-{held.pk}"' in listing and 'data-testid="held-count"' in listing
    page = client.get(f"/mail/inbound/{held.pk}").content.decode()
    assert "takes no part in CS-1" in page
    assert 'data-testid="accept"' in page and 'data-testid="file-as-new-case"' in page
    assert 'data-testid="reprocess"' not in page
    response = client.post(f"/mail/inbound/{held.pk}/accept", follow=True)
    assert "it was added to CS-1" in " ".join(flashes(response))
    case = Case.objects.get(tenant=quiet_desk, number=1)
    assert Note.objects.get(case=case, author_email="eve@evil.example").body.startswith("Refund")
    assert list(Participant.objects.filter(case=case).values_list("email", flat=True)) == [
        "eve@evil.example"]
    assert 'data-testid="accept"' not in response.content.decode()
    again = client.post(f"/mail/inbound/{held.pk}/accept", follow=True)
    assert "Only a held message" in " ".join(flashes(again))


def test_a_manager_files_held_mail_as_a_new_linked_case(quiet_desk, manager, held,
                                                         clock) -> None:
    response = login(manager).post(f"/mail/inbound/{held.pk}/new-case", follow=True)
    assert "it made the new case CS-2" in " ".join(flashes(response))
    assert Case.objects.get(tenant=quiet_desk, number=2).follow_up_of.number == 1


def test_agents_cannot_accept_held_mail(quiet_desk, agent, held, clock) -> None:
    client = login(agent)
    for action in ("accept", "new-case"):
        assert client.post(f"/mail/inbound/{held.pk}/{action}").status_code == 403
    assert InboundMessage.objects.get(pk=held.pk).status == InboundStatus.HELD


# --- sender authentication warnings -----------------------------------------------------------

def test_failed_sender_authentication_is_shown_on_the_message_and_once_on_the_case(
        quiet_desk, manager, agent) -> None:
    raw = b"Authentication-Results: " + DMARC_FAIL.encode() + b"\r\n" + mail()
    result = ingest(tenant=quiet_desk, raw=raw, now=NOW)
    ingest(tenant=quiet_desk, raw=b"Authentication-Results: " + DMARC_FAIL.encode() + b"\r\n"
           + mail(subject=f"Re: [{result.case.display_number}] more"), now=NOW + H)
    message_page = login(manager).get(f"/mail/inbound/{result.message.pk}").content.decode()
    assert 'data-testid="auth-warning"' in message_page
    assert "DMARC failed for customer.example" in message_page
    listing = login(manager).get("/mail/inbound?status=processed").content.decode()
    assert listing.count('data-testid="auth-fail"') == 2
    case_url = f"/cases/{result.case.display_number}"
    for member, details in ((agent, False), (manager, True)):
        page = login(member).get(case_url).content.decode()
        assert page.count('data-testid="auth-warning"') == 1
        assert "2 messages on this case failed sender authentication" in page
        assert ('href="/mail/inbound/' in page) is details
    clean = ingest(tenant=quiet_desk, raw=mail(sender="kim@other.example"), now=NOW).case
    assert 'data-testid="auth-warning"' not in login(agent).get(
        f"/cases/{clean.display_number}").content.decode()
