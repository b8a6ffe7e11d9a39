"""A contact with a footprint in every corner of casedesk, for the erasure tests: mail with an
attachment that copies someone, an agent's reply and her answer to it, a case of someone else
that copies her, a survey answered with a comment, portal sign-in links and a session, the
knowledge base's reader key, a webhook, a notification and an audit entry naming her."""

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from casedesk.automation.webhooks import EndpointInput, endpoint_create
from casedesk.cases.models import Case
from casedesk.cases.ownership import case_change_owner
from casedesk.cases.services import case_add_note, case_transition
from casedesk.crm.models import Contact
from casedesk.csat.config import csat_settings
from casedesk.csat.services import survey_answer, survey_comment, survey_send
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.mail.ingest import ingest
from casedesk.mail.models import OutboundMail
from casedesk.portal.signin import signin_complete, signin_request
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.portal.helpers import link_token

EMAIL = "Zelda.Quill@erase.example"
NAME = "Zelda Quill"
PHONE = "+44 20 7946 0958"
OTHER = "Otto Keep <otto@keep.example>"
BODY = "My invoice number 4711 for the blue widgets was charged twice this month."
REPLY = "Thanks, here are my bank details: IBAN GB29 NWBK 6016 1331 9268 19."
COMMENT = "Zelda liked the quick fix very much."
M = timedelta(minutes=1)


def mail(*, sender: str, subject: str, body: str, cc: str = "", in_reply_to: str = "",
         attachment: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@acme.test"
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="erase.example")
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf",
                           filename="zelda-invoice.pdf")
    return bytes(msg)


@dataclass
class Footprint:
    contact: Contact
    own: Case  # her case, made by her mail
    other: Case  # Otto's case, which copies her
    attachment_names: list[str]


def footprint(tenant: Tenant, agent: Membership) -> Footprint:
    """Everything listed in the module's docstring, made through the real services."""
    endpoint_create(tenant=tenant, now=NOW, data=EndpointInput(
        name="CRM hook", url="http://127.0.0.1:9/hook",
        events=["case.created", "case.customer_replied", "case.updated"]))
    first = ingest(tenant=tenant, now=NOW, raw=mail(
        sender=f"{NAME} <{EMAIL}>", subject="Charged twice for widgets", body=BODY,
        cc=OTHER, attachment=b"%PDF-1.4 Zelda Quill invoice " + EMAIL.encode()))
    own = first.case
    assert own is not None
    contact = own.contact
    assert contact is not None
    Contact.objects.filter(pk=contact.pk).update(phone=PHONE)
    own = case_change_owner(case=own, actor=agent.user, owner=agent.user, now=NOW + M)
    case_add_note(case=own, actor=agent.user, body=f"Hello {NAME}, we are on it.",
                  is_public=True, now=NOW + 2 * M)
    reply_to = OutboundMail.objects.filter(case=own).order_by("-id").first()
    assert reply_to is not None
    ingest(tenant=tenant, now=NOW + 3 * M, raw=mail(
        sender=f"{NAME} <{EMAIL}>", subject="Re: Charged twice for widgets", body=REPLY,
        in_reply_to=reply_to.message_id))
    case_add_note(case=own, actor=agent.user, body=f"Internal: {NAME} called from {PHONE}.",
                  is_public=False, now=NOW + 4 * M)
    second = ingest(tenant=tenant, now=NOW + 5 * M, raw=mail(
        sender=OTHER, subject="Widgets for our team", body="Please add my colleague.",
        cc=f"{NAME} <{EMAIL}>"))
    other = second.case
    assert other is not None
    own = Case.objects.get(pk=own.pk)
    path = ["open", "in_progress", "resolved"]
    for to in path[path.index(own.status) + 1 if own.status in path else 0:]:
        own = case_transition(case=own, actor=agent.user, to=to, now=NOW + 6 * M,
                              note="Refunded." if to == "resolved" else "")
    survey = survey_send(case=own, config=csat_settings(tenant), now=NOW + 7 * M)
    assert survey is not None
    survey_answer(survey_id=survey.pk, rating=1, now=NOW + 8 * M)
    survey_comment(survey_id=survey.pk, comment=COMMENT, now=NOW + 8 * M)
    assert signin_request(tenant=tenant, email=EMAIL, base_url="https://desk.test",
                          now=NOW + 9 * M)
    signin_complete(tenant=tenant, token=link_token(contact), now=NOW + 9 * M)
    signin_request(tenant=tenant, email=EMAIL, base_url="https://desk.test", now=NOW + 10 * M)
    visitor = "ab" * 16
    KbEvent.objects.create(tenant=tenant, kind=KbEventKind.VISITOR_CASE, case=own,
                           visitor=visitor, created_at=NOW)
    KbEvent.objects.create(tenant=tenant, kind=KbEventKind.SEARCH, visitor=visitor,
                           query="refund zelda quill", created_at=NOW)
    audit_record(tenant=tenant, actor=agent.user, action="contact.updated",
                 target_type="contact", target_id=contact.pk, target_label=NAME,
                 changes={"email": [None, EMAIL.lower()], "name": ["Zelda", NAME]}, now=NOW)
    names = [a.file.name for a in own.attachments.all()]
    return Footprint(contact=Contact.objects.get(pk=contact.pk), own=own, other=other,
                     attachment_names=names)
