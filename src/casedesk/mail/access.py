"""The only way the mail pages and the mail API fetch a stored message, an outgoing message,
a mailbox or an attachment: scoped to the member's tenant, NotFound for anything else
(another tenant's too). Which role may see them is the caller's to check first."""

from casedesk.cases.access import get_case_for_member
from casedesk.core.access import tenant_row
from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.mail.models import Attachment, InboundMessage, Mailbox, OutboundMail
from casedesk.mail.selectors import case_attachments
from casedesk.tenancy.models import Membership


def get_inbound_for_member(membership: Membership, inbound_id: int) -> InboundMessage:
    """A stored message of the member's tenant, with its case; its bytes are read only when
    asked for (`selectors.inbound_raw`)."""
    tenant = membership.tenant
    message = tenant_row(InboundMessage.objects.select_related("case").defer("raw"),
                         tenant.pk, inbound_id, f"No inbound message {inbound_id} in this tenant.")
    message.tenant = tenant
    if message.case is not None:
        message.case.tenant = tenant
    return message


def get_outbound_for_member(membership: Membership, outbound_id: int) -> OutboundMail:
    """A message of the member's tenant's outbox, with its case."""
    tenant = membership.tenant
    mail = tenant_row(OutboundMail.objects.select_related("case"), tenant.pk, outbound_id,
                      f"No outbound message {outbound_id} in this tenant.")
    mail.tenant = tenant
    if mail.case is not None:
        mail.case.tenant = tenant
    return mail


def get_mailbox_for_member(membership: Membership, mailbox_id: int) -> Mailbox:
    """An IMAP mailbox of the member's tenant, with its queue."""
    tenant = membership.tenant
    mailbox = tenant_row(Mailbox.objects.select_related("queue"), tenant.pk, mailbox_id,
                         f"No mailbox {mailbox_id} in this tenant.")
    mailbox.tenant = tenant
    return mailbox


def get_attachment_for_member(membership: Membership, number: str,
                              attachment_id: int) -> Attachment:
    """A kept attachment of the case shown as `number`, for a member who may see the case;
    NotFound for another case's, and for one dropped as over the size limit (never kept)."""
    case = get_case_for_member(membership, number)
    attachment = (case_attachments(case).filter(pk=attachment_id).first()
                  if 0 < attachment_id <= MAX_ID else None)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} on {case.display_number}.")
    if attachment.dropped or not attachment.file:
        raise NotFound(f"{attachment.filename} was over the size limit and was not kept.")
    attachment.case = case
    return attachment
