"""Mail after a merge: a customer's later reply to the merged case's old thread (by its
headers, or by the case token in the subject) lands on the target, through the real ingest
path; after an undo it lands on the merged case again."""

from datetime import timedelta
from email.utils import make_msgid

import pytest

from casedesk.cases.merge import case_merge, case_merge_undo
from casedesk.cases.models import Case, Note
from casedesk.cases.services import case_add_note
from casedesk.mail.ingest import ingest
from casedesk.mail.models import Attachment, InboundMessage, OutboundMail, ThreadKey
from tests.conftest import NOW
from tests.mail.test_ingest import mail

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def _two_cases(tenant, *, second_sender="Jo Customer <jo@customer.example>"):
    first_id, second_id = (make_msgid(domain="customer.example") for _ in range(2))
    target = ingest(tenant=tenant, raw=mail(message_id=first_id), now=NOW).case
    source = ingest(tenant=tenant, raw=mail(subject="Printer STILL on fire", message_id=second_id,
                                            sender=second_sender), now=NOW + H).case
    assert target != source
    return target, source, second_id


def test_a_reply_to_the_merged_cases_thread_lands_on_the_target(tenant) -> None:
    target, source, second_id = _two_cases(tenant)
    case_merge(target=target, sources=[source], actor=None, now=NOW + 2 * H)
    assert ThreadKey.objects.get(message_id=second_id.strip("<>")).case_id == target.pk
    assert InboundMessage.objects.filter(case=target).count() == 2
    reply = mail(subject="Re: Printer STILL on fire", body="Now it is smoking.\n",
                 in_reply_to=second_id, references=second_id)
    result = ingest(tenant=tenant, raw=reply, now=NOW + 3 * H)
    assert result.status == "processed" and not result.created
    assert result.case.pk == target.pk
    assert Note.objects.filter(case=target, body__startswith="Now it is smoking").exists()
    assert Case.objects.count() == 2


def test_a_reply_to_an_agents_answer_on_the_merged_case_lands_on_the_target(
        tenant, agent) -> None:
    target, source, _ = _two_cases(tenant)
    note = case_add_note(case=source, actor=agent.user, body="We are on it.", is_public=True,
                         now=NOW + H)
    sent = OutboundMail.objects.get(note=note)
    case_merge(target=target, sources=[source], actor=None, now=NOW + 2 * H)
    assert OutboundMail.objects.get(pk=sent.pk).case_id == target.pk
    reply = mail(subject="Re: [x] Printer", body="Thanks!\n", in_reply_to=sent.message_id)
    assert ingest(tenant=tenant, raw=reply, now=NOW + 3 * H).case.pk == target.pk


def test_the_merged_cases_token_in_a_subject_threads_onto_the_target(tenant) -> None:
    target, source, _ = _two_cases(tenant)
    case_merge(target=target, sources=[source], actor=None, now=NOW + 2 * H)
    reply = mail(subject=f"Re: [{source.display_number}] Printer", body="Hello again.\n")
    result = ingest(tenant=tenant, raw=reply, now=NOW + 3 * H)
    assert result.case.pk == target.pk and not result.created


def test_the_merged_cases_customer_is_no_stranger_on_the_target(tenant) -> None:
    target, source, second_id = _two_cases(tenant,
                                           second_sender="Al Other <al@elsewhere.example>")
    case_merge(target=target, sources=[source], actor=None, now=NOW + 2 * H)
    reply = mail(sender="Al Other <al@elsewhere.example>", subject="Re: x", body="Me too.\n",
                 in_reply_to=second_id)
    result = ingest(tenant=tenant, raw=reply, now=NOW + 3 * H)
    assert result.case.pk == target.pk and not result.created


def test_after_an_undo_the_thread_leads_to_the_merged_case_again(tenant) -> None:
    target, source, second_id = _two_cases(tenant)
    attachments_before = list(Attachment.objects.values_list("pk", "case_id"))
    case_merge(target=target, sources=[source], actor=None, now=NOW + 2 * H)
    case_merge_undo(case=target, actor=None, now=NOW + 3 * H)
    assert ThreadKey.objects.get(message_id=second_id.strip("<>")).case_id == source.pk
    assert list(Attachment.objects.values_list("pk", "case_id")) == attachments_before
    reply = mail(subject="Re: Printer STILL on fire", body="Back.\n", in_reply_to=second_id)
    assert ingest(tenant=tenant, raw=reply, now=NOW + 4 * H).case.pk == source.pk
