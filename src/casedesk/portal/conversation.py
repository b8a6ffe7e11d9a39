"""A customer's cases in the portal: which they may see, what of a case they see, and what
they may do there (reply with files, confirm a solved case, say it is not fixed).

A customer sees the cases whose contact they are and, when they are their account's portal
admin, the account's cases; anything else answers NotFound exactly like a case that does not
exist (another customer's number, another tenant's). Of a case they see the subject, the
status in their words, when it was made, the public conversation (their messages and the
agents' public replies, never internal notes) and the files mail or the portal brought —
nothing of the agents' own fields (owner, queue, priority, custom fields).

Every change goes through the cases services, as mail's do: a reply is
`cases.services.case_customer_reply` (a pending case moves back to in progress, a solved one
re-opens), a confirmation is `case_transition` to closed.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, Note, PicklistKind, PicklistValue
from casedesk.cases.services import CustomerMessage, case_customer_reply, case_transition
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.limits import clipped
from casedesk.core.text import check_text
from casedesk.kb.attachments import clean_filename
from casedesk.mail.models import Attachment
from casedesk.portal.config import portal_settings
from casedesk.portal.customers import Customer
from casedesk.portal.webform import real_type

# The status a customer reads: what it means for them, not the agents' workflow.
CUSTOMER_STATUS = {
    Status.NEW: "We're working on it",
    Status.OPEN: "We're working on it",
    Status.IN_PROGRESS: "We're working on it",
    Status.PENDING_CUSTOMER: "Waiting for your reply",
    Status.RESOLVED: "Solved — please confirm",
    Status.CLOSED: "Closed",
}
# The closed reason of a case its customer confirms fixed, when the tenant has it; else the
# first of PREFERRED_REASONS it has, else its first active closed reason.
PREFERRED_REASONS = ("Confirmed by customer", "Resolved")
CONFIRM_NOTE = "The customer confirmed in the portal that the problem is fixed."
NOT_FIXED = "(The customer says in the portal that the problem is not fixed.)"
MAX_MESSAGE = 20_000


def customer_status(status: str) -> str:
    return CUSTOMER_STATUS.get(Status(status), "We're working on it")


def cases_of(customer: Customer) -> QuerySet[Case]:
    """The cases the customer may see, newest first."""
    seen = Q(contact_id=customer.contact.pk)
    if customer.is_account_admin:
        seen |= Q(account_id=customer.contact.account_id)
    return (Case.objects.filter(seen, tenant_id=customer.tenant.pk).select_related("tenant")
            .order_by("-created_at", "-id"))


def case_of(customer: Customer, number: int) -> Case:
    """The customer's case numbered `number`, or NotFound."""
    case = cases_of(customer).select_related("contact").filter(number=number).first()
    if case is None:
        raise NotFound("There is no such case here.")
    return case


@dataclass(frozen=True)
class Message:
    """One message of the public conversation."""

    by_customer: bool
    author: str
    body: str
    created_at: datetime


def conversation(case: Case, *, team_name: str) -> list[Message]:
    """The case's public conversation, oldest first: its description (the first message), the
    customers' messages and the agents' public replies. An agent is shown by their name
    (their address never), or as `team_name` without one."""
    customer = case.contact.name if case.contact is not None else ""
    messages = []
    if case.description.strip():
        messages.append(Message(True, customer or "You", case.description, case.created_at))
    notes = (Note.objects.filter(case=case, is_public=True).select_related("author")
             .only("body", "created_at", "author_name", "author__full_name")
             .order_by("created_at", "id"))
    for note in notes:
        if note.author is None:
            messages.append(Message(True, note.author_name or customer or "You", note.body,
                                    note.created_at))
        else:
            messages.append(Message(False, note.author.full_name or team_name, note.body,
                                    note.created_at))
    return messages


def files_of(case: Case) -> QuerySet[Attachment]:
    """The files the customer may download: those mail or the portal brought (kept ones)."""
    return (Attachment.objects.filter(case=case, dropped=False).exclude(file="")
            .order_by("created_at", "id"))


def file_of(case: Case, attachment_id: int) -> Attachment:
    found = files_of(case).filter(pk=attachment_id).first()
    if found is None:
        raise NotFound("There is no such file here.")
    return found


@dataclass(frozen=True)
class Upload:
    """A file read from the request, checked: its clean name, real type and bytes."""

    filename: str
    content_type: str
    content: bytes


def check_uploads(customer: Customer, files: list[UploadedFile[bytes]]
                  ) -> list[Upload]:
    """The files, checked against the tenant's limits (how many, how large, which real
    types), or Invalid naming `files`."""
    settings = portal_settings(customer.tenant)
    if len(files) > settings.max_files:
        raise Invalid(f"At most {settings.max_files} files may go with one message.",
                      field="attachments")
    uploads = []
    for upload in files:
        name = clean_filename(upload.name or "file")
        if (upload.size or 0) > settings.max_file_bytes:
            raise Invalid(f"{name} is larger than {_size(settings.max_file_bytes)}.",
                          field="attachments")
        # The web form's reading of a file's type from its bytes, the declared one ignored.
        content_type = real_type(upload, settings.max_file_bytes)
        content = upload.read(settings.max_file_bytes + 1)
        if len(content) > settings.max_file_bytes:
            raise Invalid(f"{name} is larger than {_size(settings.max_file_bytes)}.",
                          field="attachments")
        if content_type not in settings.file_types:
            raise Invalid(f"{name}: files of this type cannot be sent here.", field="attachments")
        uploads.append(Upload(name, clipped(Attachment, "content_type", content_type),
                              content))
    return uploads


def _size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _message(customer: Customer, body: str) -> CustomerMessage:
    contact = customer.contact
    return CustomerMessage(body=body, author_email=contact.email,
                           author_name=contact.name)


def portal_reply(*, customer: Customer, case: Case, body: str,
                 files: list[UploadedFile[bytes]], now: datetime) -> Case:
    """Adds the customer's message (and files) to their case, as a reply by mail would: a
    case waiting on them moves back to in progress, a solved one (or a closed one inside
    its reopen window) re-opens. A closed case that may not re-open refuses (Conflict): the
    customer starts a new case instead. One transaction: the files are kept only with the
    message."""
    body = check_text(body.strip(), field="body", label="Your message")
    if not body:
        raise Invalid("Write a message.", field="body")
    if len(body) > MAX_MESSAGE:
        raise Invalid(f"A message holds at most {MAX_MESSAGE} characters.", field="body")
    uploads = check_uploads(customer, files)
    with transaction.atomic():
        case, _ = case_customer_reply(case=case, message=_message(customer, body), now=now)
        rows = []
        for upload in uploads:
            row = Attachment(tenant_id=case.tenant_id, case=case, filename=upload.filename,
                             content_type=upload.content_type, size=len(upload.content),
                             created_at=now)
            row.file.save(upload.filename, ContentFile(upload.content), save=False)
            rows.append(row)
        Attachment.objects.bulk_create(rows)
    return case


def closing_reason(case: Case) -> str:
    """The closed reason a customer's confirmation closes a case with (PREFERRED_REASONS)."""
    reasons = list(PicklistValue.objects.filter(
        tenant_id=case.tenant_id, kind=PicklistKind.CLOSED_REASON, is_active=True)
        .order_by("position", "id").values_list("value", flat=True))
    for preferred in PREFERRED_REASONS:
        if preferred in reasons:
            return preferred
    return reasons[0] if reasons else PREFERRED_REASONS[-1]


def portal_confirm_fixed(*, customer: Customer, case: Case, now: datetime) -> Case:
    """The customer confirms their solved case is fixed: it closes through the lifecycle,
    with `closing_reason` and an internal note saying so. Only a solved case (Conflict)."""
    if case.status != Status.RESOLVED:
        raise Conflict("Only a solved case can be confirmed.")
    return case_transition(case=case, actor=None, to=Status.CLOSED, now=now,
                           note=CONFIRM_NOTE, closed_reason=closing_reason(case))


def portal_not_fixed(*, customer: Customer, case: Case, body: str, now: datetime) -> Case:
    """The customer says their solved (or closed) case is not fixed: their message goes on
    the case and it re-opens within the tenant's reopen rules; past them, Conflict (the
    page offers a new case)."""
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        raise Conflict("This case is still open: write a reply instead.")
    body = check_text(body.strip(), field="body", label="Your message")
    if len(body) > MAX_MESSAGE:
        raise Invalid(f"A message holds at most {MAX_MESSAGE} characters.", field="body")
    text = f"{NOT_FIXED}\n\n{body}" if body else NOT_FIXED
    case, _ = case_customer_reply(case=case, message=_message(customer, text), now=now)
    return case
