"""Filing a read message: onto the case it answers, as the customer's message there, or as
a new case (linked to the case it answers when its sender takes no part in that one), with its
attachments, its thread key and what became of it recorded in one transaction.

A message's Message-ID is recorded in the same transaction as the case or reply it made, and is
unique per tenant: a message delivered twice (or by two channels at once) makes one case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.hooks import acknowledgement_wanted
from casedesk.cases.lifecycle import Status
from casedesk.cases.merge import merged_target
from casedesk.cases.models import Case, Participant, Source
from casedesk.cases.services import CustomerMessage, LockedCases, case_customer_reply
from casedesk.cases.writing import LANGUAGE_TAG
from casedesk.core.errors import Conflict
from casedesk.core.limits import clipped, fit_problem
from casedesk.core.rows import insert
from casedesk.crm.models import Account, Contact
from casedesk.mail.models import AckWithheld, Attachment, InboundMessage, InboundStatus, ThreadKey
from casedesk.mail.outbox import own_addresses, queue_acknowledgement
from casedesk.mail.parsing.message import ParsedMessage
from casedesk.mail.parsing.quoting import split_quoted
from casedesk.mail.threading import add_sender, find_thread, participant_rows
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant

# What reading a stored message fills in: saved without sending the raw bytes back.
READ_FIELDS = ["status", "error", "message_id", "sender", "subject", "is_automatic", "case",
               "note", "processed_at", "auth_verdict", "auth_summary", "ack_withheld"]


@dataclass(frozen=True)
class Ingested:
    """What became of one inbound message, and the case it made or joined."""

    status: str  # processed, duplicate, quarantined, held
    message: InboundMessage
    case: Case | None = None
    created: bool = False  # a new case (rather than a reply on one)


def with_storable_ids(parsed: ParsedMessage) -> ParsedMessage:
    """`parsed` with its Message-IDs (its own, and those it answers) cut to what a thread key
    holds, so a message is known by the key it was filed under when it comes again or is
    answered, however long the IDs it came with."""
    def cut(ids: list[str]) -> list[str]:
        return list(dict.fromkeys(clipped(ThreadKey, "message_id", one) for one in ids))

    parsed.message_id = clipped(ThreadKey, "message_id", parsed.message_id)
    parsed.in_reply_to, parsed.references = cut(parsed.in_reply_to), cut(parsed.references)
    return parsed


@dataclass
class Pending:
    """The rows filing writes beside the case change (thread keys, attachments, the people a
    message copied), kept until the end of the transaction so that filing many messages
    writes each kind in one statement."""

    thread_keys: list[ThreadKey] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)

    def write(self) -> None:
        """Inserts them; a Message-ID taken in meanwhile by another delivery raises
        IntegrityError (unique per tenant), which rolls the filing back."""
        # `core.rows.insert`: SQL made once per process (more rows go through bulk_create).
        if self.thread_keys:
            insert(self.thread_keys, connection)
        if self.attachments:
            insert(self.attachments, connection)
        if self.participants:
            Participant.objects.bulk_create(self.participants, ignore_conflicts=True)


def file_message(stored: InboundMessage, parsed: ParsedMessage, now: datetime, *,
                 oversized: bool, queue_id: int | None, thread: Case | None,
                 stranger_of: Case | None, accepted: bool = False, search: bool = True
                 ) -> Ingested:
    """Files a read message and records what became of it, in one transaction: on `thread`,
    else as `_file` decides (`search`: by the case token too); `stranger_of` is the case it
    answers when its sender takes no part in that case. `accepted`: a manager accepted it
    onto `thread`, so its sender becomes a participant (the people it copied do not)."""
    tenant = stored.tenant
    try:
        with transaction.atomic():
            pending = Pending()
            filed = file_into(stored, parsed, now, pending, oversized=oversized,
                              queue_id=queue_id, thread=thread, stranger_of=stranger_of,
                              accepted=accepted, search=search, own=own_addresses(tenant))
            pending.write()
            stored.save(update_fields=READ_FIELDS)
    except IntegrityError:
        # The same Message-ID filed at the same moment by another delivery.
        known = ThreadKey.objects.filter(tenant=tenant, message_id=parsed.message_id).first()
        if known is None:
            raise
        return mark_duplicate(stored, known.case, now)
    return Ingested(InboundStatus.PROCESSED, stored, filed.case, filed.created)


def file_into(stored: InboundMessage, parsed: ParsedMessage, now: datetime, pending: Pending,
              *, oversized: bool, queue_id: int | None, thread: Case | None,
              stranger_of: Case | None, own: set[str], accepted: bool = False,
              search: bool = True, locked: LockedCases | None = None) -> Filed:
    """`file_message`'s work inside the caller's transaction: the case change now, the rows
    beside it into `pending`, what became of the message onto `stored` (which the caller
    saves). Batch mode runs it for many replies in one transaction, their cases `locked`
    together."""
    filed = _file(stored.tenant, parsed, stored, now, oversized=oversized, queue_id=queue_id,
                  thread=thread, stranger_of=stranger_of, search=search, locked=locked)
    case = filed.case
    if parsed.message_id:
        pending.thread_keys.append(ThreadKey(tenant=stored.tenant, message_id=parsed.message_id,
                                             case=case, created_at=now))
    pending.attachments += attachment_rows(stored.tenant, case, stored, parsed, now)
    stored.ack_withheld = AckWithheld.NONE
    if accepted and not filed.created:
        add_sender(case, parsed, now, own=own)
    if not parsed.is_automatic:
        if filed.trusted and not accepted:
            pending.participants += participant_rows(case, parsed, now, own=own)
        if filed.created and acknowledgement_wanted(case):
            stored.ack_withheld = queue_acknowledgement(
                case=case, address=parsed.from_address, now=now, own=own,
                answering=parsed.message_id).withheld
    stored.status = InboundStatus.PROCESSED
    stored.case = case
    stored.note_id = filed.note_id
    stored.processed_at = now
    stored.error = ""
    return filed


def mark_duplicate(stored: InboundMessage, case: Case | None, now: datetime) -> Ingested:
    """Records a message taken in before (the same Message-ID) as a duplicate of `case`."""
    stored.status = InboundStatus.DUPLICATE
    stored.case = case
    stored.note_id = None
    stored.processed_at = now
    stored.save(update_fields=READ_FIELDS)
    return Ingested(InboundStatus.DUPLICATE, stored, case)


def _contact_for(tenant: Tenant, parsed: ParsedMessage) -> Contact | None:
    address = parsed.from_address.lower()
    if "@" not in address or fit_problem(Contact, "email", address) is not None:
        return None  # no address a contact can keep (none is that long, RFC 5321 says)
    contact = Contact.objects.filter(tenant=tenant, email=address).first()
    if contact is not None:
        return contact
    account = None
    if tenant.mail_match_account_by_domain:
        domain = address.rpartition("@")[2]
        account = Account.objects.filter(tenant=tenant, domain=domain).first()
    try:
        with transaction.atomic():
            return Contact.objects.create(tenant=tenant, email=address, account=account,
                                          name=clipped(Contact, "name", parsed.from_name))
    except IntegrityError:  # made at the same moment by another message
        return Contact.objects.filter(tenant=tenant, email=address).first()


@dataclass(frozen=True)
class Filed:
    """Where filing put a message."""

    case: Case
    created: bool  # a new case, rather than a message on one
    note_id: int | None
    trusted: bool  # the sender takes part in the case it went to (as its contact, at least)


def _file(tenant: Tenant, parsed: ParsedMessage, stored: InboundMessage, now: datetime, *,
          oversized: bool, queue_id: int | None = None, thread: Case | None = None,
          stranger_of: Case | None = None, search: bool = True,
          locked: LockedCases | None = None) -> Filed:
    """Files a message: on `thread` (the case its headers answer, when the caller knows it),
    else on the case `find_thread` finds (unless `search` is off), else as a new case —
    linked to `stranger_of`, the case it answers when its sender takes no part in it."""
    new_part, quoted = split_quoted(parsed.text)
    notice = ""
    if oversized:
        notice = (f"\n\n[This message was larger than {tenant.mail_max_bytes // (1024 * 1024)} "
                  "MB: its attachments were not kept. The original is stored in full.]")
    if thread is None and search:
        thread = find_thread(tenant, parsed, headers_checked=True)
    if thread is not None:
        thread = merged_target(thread)  # a merged case's mail goes on with its target
        message = CustomerMessage(body=(new_part or "(no text)") + notice,
                                  author_email=parsed.from_address,
                                  author_name=parsed.from_name, quoted=quoted,
                                  automatic=parsed.is_automatic)
        try:
            case, note = case_customer_reply(case=thread, message=message, now=now,
                                             locked=locked)
            return Filed(case, False, note.pk, True)
        except Conflict:
            if thread.status != Status.CLOSED:
                raise
            # Closed past its reopen window (or limit): a follow-up case, linked.
            return Filed(_new_case(tenant, parsed, now, notice=notice, follow_up_of=thread),
                          True, None, True)
    if stranger_of is not None:
        stranger_of = merged_target(stranger_of)
        notice += (f"\n\n[This message answers {stranger_of.display_number}, but its sender "
                   "takes no part in that case, so it was filed as a new case linked to it. "
                   "The people it copied were not added.]")
        return Filed(_new_case(tenant, parsed, now, notice=notice, follow_up_of=stranger_of),
                      True, None, False)
    return Filed(_new_case(tenant, parsed, now, notice=notice, queue_id=queue_id), True, None,
                  True)


def case_input(parsed: ParsedMessage, contact: Contact | None, notice: str = "") -> CaseInput:
    """The new case a message makes: its subject, its text (and `notice`) as description."""
    subject = parsed.subject.strip() or "(no subject)"
    language = clipped(Case, "language", parsed.language.split(",")[0].strip())
    return CaseInput(
        subject=clipped(Case, "subject", subject), description=(parsed.text or "") + notice,
        source=Source.EMAIL, contact_id=contact.pk if contact else None,
        language=language if LANGUAGE_TAG.fullmatch(language) else "",
    )


def live_queue_ids(tenant: Tenant, queue_ids: set[int | None]) -> set[int]:
    """Those of the queues mail was meant for that still take cases: a message for a queue
    archived since (its mailbox's, its address's, the case it follows up) goes where routing
    puts it rather than failing."""
    wanted = {pk for pk in queue_ids if pk is not None}
    if not wanted:
        return set()
    return set(Queue.objects.filter(tenant=tenant, pk__in=wanted, is_active=True)
               .values_list("pk", flat=True))


def _new_case(tenant: Tenant, parsed: ParsedMessage, now: datetime, *, notice: str,
              follow_up_of: Case | None = None, queue_id: int | None = None) -> Case:
    contact = _contact_for(tenant, parsed)
    data = case_input(parsed, contact, notice)
    data.follow_up_of_id = follow_up_of.pk if follow_up_of is not None else None
    if follow_up_of is not None:
        data.account_id = follow_up_of.account_id if contact is None else None
        queue_id = follow_up_of.queue_id
    if queue_id in live_queue_ids(tenant, {queue_id}):
        data.queue_id = queue_id
    case, _ = case_create(tenant=tenant, actor=None, data=data, now=now)
    return case


def attachment_rows(tenant: Tenant, case: Case, stored: InboundMessage,
                    parsed: ParsedMessage, now: datetime) -> list[Attachment]:
    """The message's attachments on the case, their content saved in storage, their rows for
    the caller to insert; one too large is recorded without its content (`dropped`)."""
    rows = []
    for part in parsed.attachments:
        row = Attachment(tenant=tenant, case=case, message=stored, filename=part.filename,
                         content_type=clipped(Attachment, "content_type", part.content_type),
                         size=part.size, inline=part.disposition == "inline",
                         content_id=clipped(Attachment, "content_id", part.content_id),
                         dropped=part.truncated, created_at=now)
        if not part.truncated:
            row.file.save(part.filename, ContentFile(part.content), save=False)
        rows.append(row)
    return rows


def keep_glimpse(stored: InboundMessage, parsed: ParsedMessage) -> None:
    """What the inbound list shows of a message, kept as far as each column holds."""
    stored.message_id = clipped(InboundMessage, "message_id", parsed.message_id)
    stored.sender = clipped(InboundMessage, "sender", parsed.from_address)
    stored.subject = clipped(InboundMessage, "subject", parsed.subject)
    stored.is_automatic = parsed.is_automatic
