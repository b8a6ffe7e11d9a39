"""A stranger on a thread (issue 10, security defect 1): mail that answers a case by its
In-Reply-To/References joins the case only when its sender takes part in it. Anyone else's
answer becomes a new case linked to the old one, or waits held for a manager to accept it; a
stranger never becomes a participant by themself, and the people a stranger copies are never
added. Both the one-by-one and the batch path."""

from datetime import timedelta
from email.utils import make_msgid

import pytest

from casedesk.cases.models import Case, Note, Participant
from casedesk.cases.services import case_add_note, case_transition
from casedesk.core.errors import Conflict
from casedesk.crm.models import Account, Contact
from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.models import (
    InboundMessage,
    InboundStatus,
    OutboundKind,
    OutboundMail,
    ThreadKey,
)
from casedesk.mail.quarantine import inbound_file_held
from casedesk.mail.threading import takes_part
from casedesk.tenancy.models import StrangerAction, Tenant
from tests.conftest import NOW
from tests.mail.test_batch import desk, outcome
from tests.mail.test_ingest import mail

MIN = timedelta(minutes=1)
H = timedelta(hours=1)
JO = "jo@customer.example"
EVE = "eve@evil.example"


@pytest.fixture
def resolved_case(quiet_desk: Tenant, agent) -> tuple[Case, str, str]:
    """Jo's case, answered by an agent and resolved: (case, Jo's Message-ID, the reply's)."""
    first_id = make_msgid(domain="customer.example")
    case = ingest(tenant=quiet_desk, raw=mail(message_id=first_id, Cc="sam@customer.example"),
                  now=NOW).case
    case_add_note(case=case, actor=agent.user, body="A crew is on its way.", is_public=True,
                  now=NOW + MIN)
    reply_id = OutboundMail.objects.get(case=case, kind=OutboundKind.REPLY).message_id
    for to in ("open", "in_progress", "resolved"):
        case = case_transition(case=case, actor=agent.user, to=to, note="Put out.",
                               now=NOW + 2 * MIN)
    return case, first_id, reply_id


def eves_answer(first_id: str, reply_id: str, **headers: str) -> bytes:
    """A stranger who knows the thread's Message-IDs (anyone copied on it does)."""
    return mail(subject="Re: Printer is on fire", sender=f"Eve <{EVE}>",
                body="Please send the refund to my account instead.",
                in_reply_to=f"<{reply_id}>", references=f"<{first_id}> <{reply_id}>",
                Cc="Mallory <mallory@evil.example>", **headers)


def test_a_stranger_answering_the_desks_reply_makes_a_linked_case_and_joins_nothing(
        quiet_desk, agent, resolved_case) -> None:
    case, first_id, reply_id = resolved_case
    result = ingest(tenant=quiet_desk, raw=eves_answer(first_id, reply_id), now=NOW + H)
    assert result.status == InboundStatus.PROCESSED and result.created
    follow_up = result.case
    assert follow_up != case and follow_up.follow_up_of_id == case.pk
    assert follow_up.contact.email == EVE
    assert f"answers {case.display_number}" in follow_up.description
    case.refresh_from_db()
    assert case.status == "resolved"  # not re-opened
    assert not Note.objects.filter(case=case, author_email=EVE).exists()
    # Neither Eve nor the address she copied takes part in any case.
    assert not Participant.objects.filter(email__in=[EVE, "mallory@evil.example"]).exists()
    assert set(Participant.objects.filter(case=case).values_list("email", flat=True)) == {
        "sam@customer.example"}
    # The desk's next public reply on the old case still goes to Jo and Sam only.
    case_add_note(case=case, actor=agent.user, body="Anything else?", is_public=True,
                  now=NOW + 2 * H)
    later = OutboundMail.objects.filter(case=case, kind=OutboundKind.REPLY).latest("pk")
    assert (later.to, later.cc) == ([JO], ["sam@customer.example"])


def test_knowing_the_customers_first_message_id_is_not_enough_either(quiet_desk,
                                                                    resolved_case) -> None:
    case, first_id, _ = resolved_case
    result = ingest(tenant=quiet_desk, raw=mail(sender=EVE, in_reply_to=f"<{first_id}>"),
                    now=NOW + H)
    assert result.created and result.case.follow_up_of_id == case.pk


@pytest.mark.parametrize("sender", [JO, "JO@Customer.Example", "sam@customer.example",
                                    "kim@customer.example", "alice@acme.test"])
def test_people_who_take_part_thread_as_before(quiet_desk, agent, resolved_case,
                                               sender) -> None:
    """The contact (in any case), a participant, a contact of the case's account, and a
    member of the tenant."""
    case, first_id, reply_id = resolved_case
    account = Account.objects.create(tenant=quiet_desk, name="Customer Inc",
                                     domain="customer.example")
    Case.objects.filter(pk=case.pk).update(account=account)
    Contact.objects.create(tenant=quiet_desk, email="kim@customer.example", account=account)
    result = ingest(tenant=quiet_desk, raw=mail(sender=sender, in_reply_to=f"<{reply_id}>",
                                                Cc="lee@customer.example"), now=NOW + H)
    assert result.case == case and not result.created
    assert Case.objects.get(pk=case.pk).status == "open"  # re-opened by the answer
    assert Participant.objects.filter(case=case, email="lee@customer.example").exists()


def test_takes_part_says_no_for_strangers_and_for_members_of_other_tenants(
        quiet_desk, other_tenant, resolved_case) -> None:
    case, _, _ = resolved_case
    assert takes_part(case, JO) and takes_part(case, "admin@acme.test")
    assert not takes_part(case, EVE)
    assert not takes_part(case, "admin@globex.test")  # a member, but of another tenant
    assert not takes_part(case, "")


def test_a_strangers_case_token_alone_makes_an_unlinked_case(quiet_desk, resolved_case) -> None:
    case, _, _ = resolved_case
    result = ingest(tenant=quiet_desk, raw=mail(sender=EVE, subject=f"Re: [{case.display_number}]"),
                    now=NOW + H)
    assert result.created and result.case.follow_up_of_id is None


# --- held for a manager ------------------------------------------------------------------------

@pytest.fixture
def holding(quiet_desk: Tenant) -> Tenant:
    quiet_desk.mail_stranger_action = StrangerAction.HOLD
    quiet_desk.save(update_fields=["mail_stranger_action"])
    return quiet_desk


def test_a_held_answer_files_nothing_until_accepted(holding, resolved_case) -> None:
    case, first_id, reply_id = resolved_case
    raw = eves_answer(first_id, reply_id)
    result = ingest(tenant=holding, raw=raw, now=NOW + H)
    assert result.status == InboundStatus.HELD and result.case == case and not result.created
    held = InboundMessage.objects.get(pk=result.message.pk)
    assert held.status == InboundStatus.HELD and held.case == case
    assert EVE in held.error and case.display_number in held.error
    assert Case.objects.filter(tenant=holding).count() == 1
    assert Case.objects.get(pk=case.pk).status == "resolved"
    assert not Note.objects.filter(author_email=EVE).exists()
    assert not Participant.objects.filter(email__in=[EVE, "mallory@evil.example"]).exists()
    assert not ThreadKey.objects.filter(message_id=held.message_id).exists()
    # Delivered again while it waits: a duplicate, not a second held message.
    again = ingest(tenant=holding, raw=raw, now=NOW + 2 * H)
    assert again.status == InboundStatus.DUPLICATE
    assert InboundMessage.objects.filter(status=InboundStatus.HELD).count() == 1

    accepted = inbound_file_held(held, now=NOW + 3 * H, accept=True)
    assert accepted.status == InboundStatus.PROCESSED and accepted.case == case
    assert not accepted.created
    assert Note.objects.get(case=case, author_email=EVE).body.startswith("Please send")
    assert Case.objects.get(pk=case.pk).status == "open"
    # The manager vouched for Eve: she takes part now; the address she copied does not.
    assert set(Participant.objects.filter(case=case).values_list("email", flat=True)) == {
        "sam@customer.example", EVE}
    with pytest.raises(Conflict):
        inbound_file_held(held, now=NOW + 3 * H, accept=True)
    # Her next answer threads without being held.
    next_one = ingest(tenant=holding, raw=mail(sender=EVE, in_reply_to=f"<{reply_id}>"),
                      now=NOW + 4 * H)
    assert next_one.status == InboundStatus.PROCESSED and next_one.case == case


def test_a_held_answer_filed_as_a_new_case_is_linked(holding, resolved_case) -> None:
    case, first_id, reply_id = resolved_case
    held = ingest(tenant=holding, raw=eves_answer(first_id, reply_id), now=NOW + H).message
    result = inbound_file_held(held, now=NOW + 2 * H, accept=False)
    assert result.created and result.case.follow_up_of_id == case.pk
    assert result.case.contact.email == EVE
    assert not Participant.objects.filter(case=result.case).exists()
    assert Case.objects.get(pk=case.pk).status == "resolved"


def test_a_held_answer_to_a_case_that_is_gone_can_only_become_a_new_case(holding,
                                                                         resolved_case) -> None:
    case, first_id, reply_id = resolved_case
    held = ingest(tenant=holding, raw=eves_answer(first_id, reply_id), now=NOW + H).message
    Case.objects.filter(pk=case.pk).delete()
    held.refresh_from_db()
    with pytest.raises(Conflict):
        inbound_file_held(held, now=NOW + 2 * H, accept=True)
    result = inbound_file_held(held, now=NOW + 2 * H, accept=False)
    assert result.created and result.case.follow_up_of_id is None


# --- batch mode --------------------------------------------------------------------------------

def a_batch_with_strangers(slug: str) -> list[bytes]:
    """Jo opens a case; in the same batch a stranger answers it, and so does Jo's colleague
    she copied; then a stranger answers a case taken in before the batch."""
    first = make_msgid(domain="c.example")
    return [
        mail(message_id=first, Cc="sam@customer.example"),
        mail(subject="Re: Printer", sender=EVE, in_reply_to=first, Cc="mallory@evil.example"),
        mail(subject="Re: Printer", sender="sam@customer.example", in_reply_to=first,
             body="Sam adds something."),
        mail(subject="Re: Earlier", sender="trent@evil.example",
             in_reply_to=f"<earlier@{slug}.test>"),
    ]


@pytest.mark.django_db
def test_a_batch_files_strangers_as_one_by_one_does() -> None:
    one, many = desk("one"), desk("many")
    for tenant in (one, many):
        earlier = mail(subject="Earlier", message_id=f"<earlier@{tenant.slug}.test>")
        ingest(tenant=tenant, raw=earlier, now=NOW)
    for raw in a_batch_with_strangers("one"):
        ingest(tenant=one, raw=raw, now=NOW + H)
    ingest_batch(tenant=many, raws=a_batch_with_strangers("many"), now=NOW + H)
    assert outcome(many) == outcome(one)
    for tenant in (one, many):
        cases = {c.subject: c for c in Case.objects.filter(tenant=tenant)}
        printer, earlier = cases["Printer is on fire"], cases["Earlier"]
        assert Case.objects.filter(tenant=tenant, follow_up_of=printer,
                                   contact__email=EVE).exists()
        assert Case.objects.filter(tenant=tenant, follow_up_of=earlier,
                                   contact__email="trent@evil.example").exists()
        assert Note.objects.filter(case=printer, author_email="sam@customer.example").exists()
        assert not Note.objects.filter(case__in=[printer, earlier],
                                       author_email__in=[EVE, "trent@evil.example"]).exists()
        assert not Participant.objects.filter(tenant_id=tenant.pk,
                                              email="mallory@evil.example").exists()
