"""Email to case: the one ingestion function every inbound channel (MTA pipe, SMTP listener,
IMAP poller) calls.

The raw message is stored first, in its own transaction, so it survives whatever happens
next. Then it is parsed; an unreadable one is quarantined (kept, listed for an admin, never
dropped). A readable one threads onto a case — by In-Reply-To/References against every
Message-ID the case has seen, then by the case token in the subject — or makes a new one
through `case_create`. Its Message-ID is recorded in the same transaction as the case or reply
it made, and is unique per tenant: a message delivered twice (or by two channels at once)
makes one case.

Only a sender who takes part in a case joins it (`takes_part`: its contact, a contact of its
account, someone copied on it, a member of the tenant). Message-IDs are no secret — everyone
copied on a thread has them — so mail from anyone else that answers a case is filed as a new
case linked to it (a follow-up), or, when the tenant says so, held until a manager accepts it
onto the case; either way its sender becomes no participant, and the people it copies become
participants only when the sender takes part. A sender authentication failure reported by the
receiving server (`mail.authresults`) is stored on the message and, when the tenant says so,
quarantines it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, Participant, Source
from casedesk.cases.services import (
    LANGUAGE_TAG,
    CaseInput,
    CustomerMessage,
    Linked,
    case_create,
    case_create_many,
    case_customer_reply,
)
from casedesk.core.errors import Conflict
from casedesk.crm.models import Account, Contact
from casedesk.mail.authresults import AuthVerdict, sender_authentication, trusted_ids
from casedesk.mail.models import (
    AckWithheld,
    Attachment,
    InboundMessage,
    InboundStatus,
    ThreadKey,
)
from casedesk.mail.outbox import own_addresses, queue_acknowledgement, queue_acknowledgements
from casedesk.mail.parsing import (
    ParsedMessage,
    Unparseable,
    glimpse,
    parse_message,
    split_quoted,
)
from casedesk.tenancy.models import Membership, StrangerAction, Tenant

MAX_SUBJECT = 255
# How the quarantine reason of mail whose sender authentication failed begins: such mail is
# readable, so the pipe command does not answer the MTA with "unreadable" (which would bounce
# it to a From address that is likely forged).
AUTH_FAILED = "Sender authentication failed"
log = logging.getLogger(__name__)
# What reading a stored message fills in: saved without sending the raw bytes back.
_READ_FIELDS = ["status", "error", "message_id", "sender", "subject", "is_automatic", "case",
                "note", "processed_at", "auth_verdict", "auth_summary", "ack_withheld"]


@dataclass(frozen=True)
class Ingested:
    status: str  # processed, duplicate, quarantined, held
    message: InboundMessage
    case: Case | None = None
    created: bool = False  # a new case (rather than a reply on one)


def store_raw(*, tenant: Tenant, raw: bytes, now: datetime, channel: str,
              queue_id: int | None = None) -> InboundMessage:
    """Keeps the message exactly as it arrived, before anything reads it."""
    return InboundMessage.objects.create(
        tenant=tenant, raw=raw, size=len(raw), sha256=hashlib.sha256(raw).hexdigest(),
        channel=channel, received_at=now, queue_id=queue_id)


def ingest(*, tenant: Tenant, raw: bytes, now: datetime, channel: str = "pipe",
           queue_id: int | None = None) -> Ingested:
    """Stores and files one message; `queue_id` (a queue's own address) is where a new case
    goes instead of routing's choice."""
    stored = store_raw(tenant=tenant, raw=raw, now=now, channel=channel, queue_id=queue_id)
    return process(stored, now=now)


BATCH_CHUNK = 200


def ingest_batch(*, tenant: Tenant, raws: list[bytes], now: datetime, channel: str = "pipe",
                 queue_id: int | None = None) -> list[Ingested]:
    """Batch mode (an mbox import, a poll that fetched many): every message is stored in one
    transaction first. The ones that simply open a new case are then filed together, a chunk
    at a time through `case_create_many`; all the others (replies, duplicates, unreadable
    mail, loops) one by one through `process`, after them and in their order, so a reply finds
    the case its original opened earlier in the batch. A chunk that fails as a whole (a
    concurrent delivery of one of its messages, say) is filed one by one as well."""
    with transaction.atomic():
        stored = InboundMessage.objects.bulk_create([
            InboundMessage(tenant=tenant, raw=raw, size=len(raw),
                           sha256=hashlib.sha256(raw).hexdigest(), channel=channel,
                           received_at=now, queue_id=queue_id)
            for raw in raws])
    for row in stored:
        row.tenant = tenant
    done: dict[int, Ingested] = {}
    fresh = _fresh(tenant, stored)
    for start in range(0, len(fresh), BATCH_CHUNK):
        chunk = fresh[start:start + BATCH_CHUNK]
        try:
            done.update(_file_fresh(tenant, chunk, now))
        except Exception:  # noqa: BLE001 - each of them goes the one-by-one way below
            log.warning("Filing %d new messages together failed; filing them one by one",
                        len(chunk), exc_info=True)
    return [done.get(row.pk) or process(row, now=now) for row in stored]


def _fresh(tenant: Tenant, stored: list[InboundMessage]
           ) -> list[tuple[InboundMessage, ParsedMessage]]:
    """The messages of a batch that open a new case and need nothing else decided one at a
    time: readable, within the size limit, not from the desk itself, answering nothing the
    desk (or the batch) knows, with no case token, and not taken in before."""
    parsed: list[tuple[InboundMessage, ParsedMessage]] = []
    for row in stored:
        raw = bytes(row.raw)
        if len(raw) > tenant.mail_max_bytes:
            continue
        try:
            parsed.append((row, parse_message(raw)))
        except Exception:  # noqa: BLE001 - `process` quarantines it with the reason
            continue
    batch_ids = {p.message_id for _, p in parsed if p.message_id}
    mentioned = batch_ids | {ref for _, p in parsed for ref in (*p.in_reply_to, *p.references)}
    known = set(ThreadKey.objects.filter(tenant=tenant, message_id__in=mentioned)
                .values_list("message_id", flat=True)) if mentioned else set()
    own = own_addresses(tenant)
    token = case_token_pattern(tenant.case_prefix)
    seen: set[str] = set()
    fresh = []
    for row, p in parsed:
        refs = {*p.in_reply_to, *p.references}
        # Anything answering a case goes one by one, where its sender is checked.
        if (p.from_address.lower() in own or token.search(p.subject)
                or refs & (known | batch_ids)
                or (p.message_id and (p.message_id in known or p.message_id in seen))):
            continue
        verdict = authentication(tenant, p)
        if verdict.failed and tenant.mail_quarantine_failed_auth:
            continue  # quarantined one by one, with the reason
        row.auth_verdict, row.auth_summary = verdict.verdict, verdict.summary
        if p.message_id:
            seen.add(p.message_id)
        fresh.append((row, p))
    return fresh


def _save_readings(rows: list[InboundMessage]) -> None:
    """Saves what reading filled in on many stored messages in one batch of statements
    (Django's bulk_update builds a CASE per field and row, and costs more than the filing)."""
    meta = InboundMessage._meta
    fields = [f for name in _READ_FIELDS for f in meta.concrete_fields if f.name == name]
    quote = connection.ops.quote_name
    columns = [str(f.column) for f in fields]
    sql = (f"UPDATE {quote(meta.db_table)} SET "
           + ", ".join(f"{quote(column)} = %s" for column in columns)
           + f" WHERE {quote(str(meta.pk.column if meta.pk else 'id'))} = %s")
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
              + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _contacts_for(tenant: Tenant, parsed: list[ParsedMessage]) -> dict[str, Contact]:
    """The senders' contacts by address, made for those the tenant does not know yet."""
    addresses = {p.from_address.lower() for p in parsed
                 if "@" in p.from_address and len(p.from_address) <= 254}
    contacts = {c.email: c for c in Contact.objects.filter(tenant=tenant, email__in=addresses)
                .select_related("account")}
    missing = {p.from_address.lower(): p.from_name for p in parsed
               if p.from_address.lower() in addresses - contacts.keys()}
    if missing:
        accounts: dict[str, Account] = {}
        if tenant.mail_match_account_by_domain:
            domains = {a.rpartition("@")[2] for a in missing}
            accounts = {a.domain: a for a in Account.objects.filter(tenant=tenant,
                                                                     domain__in=domains)}
        Contact.objects.bulk_create([
            Contact(tenant=tenant, email=address, name=name[:200],
                    account=accounts.get(address.rpartition("@")[2]))
            for address, name in missing.items()], ignore_conflicts=True)
        contacts.update({c.email: c for c in Contact.objects.filter(
            tenant=tenant, email__in=missing.keys()).select_related("account")})
    return contacts


def _file_fresh(tenant: Tenant, items: list[tuple[InboundMessage, ParsedMessage]],
                now: datetime) -> dict[int, Ingested]:
    """Files new-case messages together, in one transaction."""
    with transaction.atomic():
        contacts = _contacts_for(tenant, [p for _, p in items])
        inputs = []
        for row, p in items:
            contact = contacts.get(p.from_address.lower())
            data = _case_input(p, contact)
            data.queue_id = row.queue_id
            linked = Linked(contact=contact, account=contact.account if contact else None)
            inputs.append((data, linked))
        cases = case_create_many(tenant=tenant, actor=None, items=inputs, now=now)
        ThreadKey.objects.bulk_create([
            ThreadKey(tenant=tenant, message_id=p.message_id, case=case, created_at=now)
            for (_, p), case in zip(items, cases, strict=True) if p.message_id])
        own = own_addresses(tenant)
        participants: list[Participant] = []
        acks: list[tuple[Case, str, str]] = []
        acked: list[InboundMessage] = []
        for (row, p), case in zip(items, cases, strict=True):
            _keep_attachments(tenant, case, row, p, now)
            if not p.is_automatic:
                # The sender of a new case is its contact: the people it copies take part.
                participants += participant_rows(case, p, now, own=own)
                acks.append((case, p.from_address, p.message_id))
                acked.append(row)
            row.message_id, row.sender = p.message_id[:500], p.from_address[:254]
            row.subject, row.is_automatic = p.subject[:255], p.is_automatic
            row.status, row.case, row.note_id = InboundStatus.PROCESSED, case, None
            row.processed_at, row.error, row.ack_withheld = now, "", AckWithheld.NONE
        Participant.objects.bulk_create(participants, ignore_conflicts=True)
        outcomes = queue_acknowledgements(acks, tenant=tenant, now=now, own=own)
        for row, outcome in zip(acked, outcomes, strict=True):
            row.ack_withheld = outcome.withheld
        _save_readings([row for row, _ in items])
    return {row.pk: Ingested(InboundStatus.PROCESSED, row, case, True)
            for (row, _), case in zip(items, cases, strict=True)}


def process(stored: InboundMessage, *, now: datetime, queue_id: int | None = None,
            accept_failed_auth: bool = False) -> Ingested:
    """Reads a stored message and files it; safe to run again on a quarantined message (the
    admin's "re-process" button) or after a crash. A new case goes to `queue_id`, else to
    the queue the message was delivered for, else where routing puts it. With
    `accept_failed_auth` (the re-process button: a person looked at it) a message whose
    sender authentication failed is filed even where the tenant quarantines such mail; the
    verdict stays on it, and so does the warning."""
    tenant = stored.tenant
    if queue_id is None:
        queue_id = stored.queue_id
    raw = bytes(stored.raw)
    oversized = len(raw) > tenant.mail_max_bytes
    try:
        parsed = parse_message(raw, max_attachment_bytes=0 if oversized else None)
    except Unparseable as error:
        return _quarantine(stored, f"Unreadable: {error}")
    except Exception as error:  # a parser bug must not lose the message either
        return _quarantine(stored, f"Parser failure: {type(error).__name__}: {error}")
    stored.message_id = parsed.message_id[:500]
    stored.sender = parsed.from_address[:254]
    stored.subject = parsed.subject[:255]
    stored.is_automatic = parsed.is_automatic
    verdict = authentication(tenant, parsed)
    stored.auth_verdict, stored.auth_summary = verdict.verdict, verdict.summary
    # One read answers both "taken in before?" and "which case does it answer?".
    refs = [r for r in [*parsed.in_reply_to, *parsed.references] if r][-50:]
    keys = {key.message_id: key for key in ThreadKey.objects.filter(
        tenant=tenant, message_id__in=[parsed.message_id, *refs] if parsed.message_id else refs,
    ).select_related("case").order_by("created_at")} if parsed.message_id or refs else {}
    if parsed.message_id in keys:
        return _duplicate(stored, keys[parsed.message_id].case, now)
    answered = [keys[r] for r in refs if r in keys]
    thread = max(answered, key=lambda k: k.created_at).case if answered else None
    if parsed.from_address.lower() in own_addresses(tenant):
        # The desk writing to itself is a loop (its own acknowledgement sent back, say): kept
        # for an admin to look at, never a case that would be acknowledged again.
        return _quarantine(stored, "Sent from the desk's own address: a mail loop? It made no "
                                   "case; write from another address to open one.")
    if verdict.failed and tenant.mail_quarantine_failed_auth and not accept_failed_auth:
        return _quarantine(stored, f"{AUTH_FAILED}: {verdict.summary}. The "
                                   "mail settings quarantine such mail: the From address may "
                                   "be forged. Re-process it to file it anyway.")
    stranger_of = None
    if thread is not None and not takes_part(thread, parsed.from_address):
        stranger_of, thread = thread, None
        if tenant.mail_stranger_action == StrangerAction.HOLD:
            return _hold(stored, stranger_of, now)
    return _record(stored, parsed, now, oversized=oversized, queue_id=queue_id, thread=thread,
                   stranger_of=stranger_of)


def authentication(tenant: Tenant, parsed: ParsedMessage) -> AuthVerdict:
    """The sender authentication the receiving server reported for the From domain, from the
    Authentication-Results header the tenant trusts (see `mail.authresults`)."""
    return sender_authentication(parsed.authentication_results, parsed.from_address,
                                 trusted_ids(tenant.mail_authserv_ids))


def _record(stored: InboundMessage, parsed: ParsedMessage, now: datetime, *, oversized: bool,
            queue_id: int | None, thread: Case | None, stranger_of: Case | None,
            accepted: bool = False, search: bool = True) -> Ingested:
    """Files a read message and records what became of it, in one transaction: on `thread`,
    else as `_file` decides (`search`: by the case token too); `stranger_of` is the case it
    answers when its sender takes no part in that case. `accepted`: a manager accepted it
    onto `thread`, so its sender becomes a participant (the people it copied do not)."""
    tenant = stored.tenant
    try:
        with transaction.atomic():
            filed = _file(tenant, parsed, stored, now, oversized=oversized, queue_id=queue_id,
                          thread=thread, stranger_of=stranger_of, search=search)
            case = filed.case
            if parsed.message_id:
                ThreadKey.objects.create(tenant=tenant, message_id=parsed.message_id,
                                         case=case, created_at=now)
            _keep_attachments(tenant, case, stored, parsed, now)
            stored.ack_withheld = AckWithheld.NONE
            own = own_addresses(tenant)
            if accepted and not filed.created:
                add_sender(case, parsed, now, own=own)
            if not parsed.is_automatic:
                if filed.trusted and not accepted:
                    add_participants(case, parsed, now, own=own)
                if filed.created:
                    stored.ack_withheld = queue_acknowledgement(
                        case=case, address=parsed.from_address, now=now, own=own,
                        answering=parsed.message_id).withheld
            stored.status = InboundStatus.PROCESSED
            stored.case = case
            stored.note_id = filed.note_id
            stored.processed_at = now
            stored.error = ""
            stored.save(update_fields=_READ_FIELDS)
    except IntegrityError:
        # The same Message-ID filed at the same moment by another delivery.
        known = ThreadKey.objects.filter(tenant=tenant, message_id=parsed.message_id).first()
        if known is None:
            raise
        return _duplicate(stored, known.case, now)
    return Ingested(InboundStatus.PROCESSED, stored, case, filed.created)


def _hold(stored: InboundMessage, case: Case, now: datetime) -> Ingested:
    """Keeps a stranger's answer to `case` for a manager to accept onto it or file as a new
    case; nothing is filed, no one is added, nothing is sent. The same message delivered
    again while it waits is a duplicate."""
    if stored.message_id:
        earlier = (InboundMessage.objects.filter(tenant_id=stored.tenant_id,
                                                 status=InboundStatus.HELD,
                                                 message_id=stored.message_id)
                   .exclude(pk=stored.pk).select_related("case").first())
        if earlier is not None:
            return _duplicate(stored, earlier.case, now)
    stored.status = InboundStatus.HELD
    stored.case = case
    stored.note_id = None
    stored.processed_at = now
    stored.error = (f"{stored.sender or 'The sender'} takes no part in "
                    f"{case.display_number}, which this message answers. Accept it to file it "
                    "there (the sender then takes part in the case and gets its replies), or "
                    "file it as a new case linked to it.")
    stored.save(update_fields=_READ_FIELDS)
    return Ingested(InboundStatus.HELD, stored, case)


def file_held(stored: InboundMessage, *, now: datetime, accept: bool) -> Ingested:
    """Files a held message: `accept` puts it on the case it answers as its sender's message
    (a manager vouching for the sender, who becomes a participant of the case; the people it
    copied do not), else it becomes a new case linked to that one. The caller has checked the
    message is held and holds its row locked. Conflict when the case it answered is gone and
    `accept` was asked."""
    tenant = stored.tenant
    case = stored.case
    if accept and case is None:
        raise Conflict("The case this message answered no longer exists: file it as a new "
                       "case instead.")
    raw = bytes(stored.raw)
    oversized = len(raw) > tenant.mail_max_bytes
    try:
        parsed = parse_message(raw, max_attachment_bytes=0 if oversized else None)
    except Exception as error:  # it was read when it was held; a parser changed since
        return _quarantine(stored, f"Parser failure: {type(error).__name__}: {error}")
    # The manager said where it goes: no looking for another case by its token.
    if accept:
        return _record(stored, parsed, now, oversized=oversized, queue_id=stored.queue_id,
                       thread=case, stranger_of=None, accepted=True, search=False)
    return _record(stored, parsed, now, oversized=oversized, queue_id=stored.queue_id,
                   thread=None, stranger_of=case, search=False)


STUCK_AFTER = timedelta(minutes=5)


def process_stuck(now: datetime, *, limit: int = 200) -> int:
    """Files messages that were stored but never read (the process that took them in died
    between the two steps). Each is locked while it is read, so two workers never file one
    twice. Returns how many were filed."""
    done = 0
    candidates = list(InboundMessage.objects.filter(
        status=InboundStatus.RECEIVED, received_at__lt=now - STUCK_AFTER)
        .order_by("received_at").values_list("pk", flat=True)[:limit])
    for pk in candidates:
        with transaction.atomic():
            stored = (InboundMessage.objects.select_for_update(skip_locked=True)
                      .select_related("tenant").filter(pk=pk, status=InboundStatus.RECEIVED)
                      .first())
            if stored is not None:
                process(stored, now=now)
                done += 1
    return done


def _quarantine(stored: InboundMessage, reason: str) -> Ingested:
    stored.status = InboundStatus.QUARANTINED
    stored.error = reason[:2000]
    sender, subject = glimpse(bytes(stored.raw))
    stored.sender, stored.subject = sender[:254], subject[:255]
    stored.save(update_fields=["status", "error", "sender", "subject", "auth_verdict",
                               "auth_summary"])
    return Ingested(InboundStatus.QUARANTINED, stored)


def _duplicate(stored: InboundMessage, case: Case | None, now: datetime) -> Ingested:
    stored.status = InboundStatus.DUPLICATE
    stored.case = case
    stored.note_id = None
    stored.processed_at = now
    stored.save(update_fields=_READ_FIELDS)
    return Ingested(InboundStatus.DUPLICATE, stored, case)


# --- threading --------------------------------------------------------------------------------

def case_token_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"\[{re.escape(prefix)}-(\d{{1,12}})\]", re.IGNORECASE)


def takes_part(case: Case, address: str) -> bool:
    """Whether mail from `address` may join `case`: its contact, a contact of its account,
    someone copied on it (a participant), someone whose mail it holds already, or a member
    of the tenant (an agent answering from a mail client). Anyone else is a stranger to the
    case, whatever Message-ID or case token their mail carries. Cheapest checks first: the
    usual sender, the contact, costs one query."""
    address = address.strip().lower()
    if not address or "@" not in address:
        return False
    contacts = Contact.objects.filter(tenant_id=case.tenant_id, email__iexact=address)
    if case.contact_id is not None and contacts.filter(pk=case.contact_id).exists():
        return True
    if Participant.objects.filter(case=case, email__iexact=address).exists():
        return True
    if case.account_id is not None and contacts.filter(account_id=case.account_id).exists():
        return True
    if InboundMessage.objects.filter(case=case, status=InboundStatus.PROCESSED,
                                     sender=address).exists():
        return True
    return Membership.objects.filter(tenant_id=case.tenant_id, is_active=True,
                                     user__email__iexact=address).exists()


def find_thread(tenant: Tenant, parsed: ParsedMessage, *, headers_checked: bool = False
                ) -> Case | None:
    """The case a message joins: the one its In-Reply-To/References answer (unless the
    caller has looked them up already), else the one whose token its subject carries — in
    both cases only when the sender takes part in that case. Never by subject text alone."""
    refs = [r for r in [*parsed.in_reply_to, *parsed.references] if r]
    if refs and not headers_checked:
        key = (ThreadKey.objects.filter(tenant=tenant, message_id__in=refs[-50:])
               .select_related("case").order_by("-created_at").first())
        if key is not None and takes_part(key.case, parsed.from_address):
            return key.case
    match = case_token_pattern(tenant.case_prefix).search(parsed.subject)
    if match:
        case = (Case.objects.filter(tenant=tenant, number=int(match.group(1)))
                .select_related("contact", "tenant").first())
        if case is not None and takes_part(case, parsed.from_address):
            return case
    return None


def participant_rows(case: Case, parsed: ParsedMessage, now: datetime, *,
                     own: set[str]) -> list[Participant]:
    """The people a customer copied (Cc, and other To addresses than the desk's own, `own`),
    as participants of the case: they get its replies, and their mail threads onto it."""
    sender = parsed.from_address.lower()
    contact = case.contact.email.lower() if case.contact_id and case.contact else ""
    seen: set[str] = set()
    rows = []
    for address in [*parsed.to, *parsed.cc]:
        email = address.strip().lower()
        if (not email or "@" not in email or len(email) > 254 or email in own
                or email in (sender, contact) or email in seen):
            continue
        seen.add(email)
        rows.append(Participant(tenant_id=case.tenant_id, case=case, email=email,
                                created_at=now))
    return rows


def add_participants(case: Case, parsed: ParsedMessage, now: datetime, *,
                     own: set[str]) -> None:
    """Makes the people a message copied participants of the case: only for a message whose
    sender takes part in the case (the caller's check)."""
    rows = participant_rows(case, parsed, now, own=own)
    if rows:
        Participant.objects.bulk_create(rows, ignore_conflicts=True)


def add_sender(case: Case, parsed: ParsedMessage, now: datetime, *, own: set[str]) -> None:
    """Makes a message's sender a participant of the case (a manager accepted their message
    onto it), unless they are its contact or the desk itself."""
    email = parsed.from_address.strip().lower()
    contact = case.contact.email.lower() if case.contact_id and case.contact else ""
    if email and "@" in email and len(email) <= 254 and email not in own and email != contact:
        Participant.objects.bulk_create(
            [Participant(tenant_id=case.tenant_id, case=case, email=email,
                         name=parsed.from_name[:200], created_at=now)], ignore_conflicts=True)


# --- filing -----------------------------------------------------------------------------------

def _contact_for(tenant: Tenant, parsed: ParsedMessage) -> Contact | None:
    address = parsed.from_address.lower()
    if not address or "@" not in address:
        return None
    contact = Contact.objects.filter(tenant=tenant, email=address).first()
    if contact is not None:
        return contact
    account = None
    if tenant.mail_match_account_by_domain:
        domain = address.rpartition("@")[2]
        account = Account.objects.filter(tenant=tenant, domain=domain).first()
    try:
        with transaction.atomic():
            return Contact.objects.create(tenant=tenant, email=address,
                                          name=parsed.from_name[:200], account=account)
    except IntegrityError:  # made at the same moment by another message
        return Contact.objects.filter(tenant=tenant, email=address).first()


@dataclass(frozen=True)
class _Filed:
    case: Case
    created: bool  # a new case, rather than a message on one
    note_id: int | None
    trusted: bool  # the sender takes part in the case it went to (as its contact, at least)


def _file(tenant: Tenant, parsed: ParsedMessage, stored: InboundMessage, now: datetime, *,
          oversized: bool, queue_id: int | None = None, thread: Case | None = None,
          stranger_of: Case | None = None, search: bool = True) -> _Filed:
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
        message = CustomerMessage(body=(new_part or "(no text)") + notice,
                                  author_email=parsed.from_address,
                                  author_name=parsed.from_name, quoted=quoted,
                                  automatic=parsed.is_automatic)
        try:
            case, note = case_customer_reply(case=thread, message=message, now=now)
            return _Filed(case, False, note.pk, True)
        except Conflict:
            if thread.status != Status.CLOSED:
                raise
            # Closed past its reopen window (or limit): a follow-up case, linked.
            return _Filed(_new_case(tenant, parsed, now, notice=notice, follow_up_of=thread),
                          True, None, True)
    if stranger_of is not None:
        notice += (f"\n\n[This message answers {stranger_of.display_number}, but its sender "
                   "takes no part in that case, so it was filed as a new case linked to it. "
                   "The people it copied were not added.]")
        return _Filed(_new_case(tenant, parsed, now, notice=notice, follow_up_of=stranger_of),
                      True, None, False)
    return _Filed(_new_case(tenant, parsed, now, notice=notice, queue_id=queue_id), True, None,
                  True)


def _case_input(parsed: ParsedMessage, contact: Contact | None, notice: str = "") -> CaseInput:
    subject = parsed.subject.strip() or "(no subject)"
    language = parsed.language.split(",")[0].strip()[:20]
    return CaseInput(
        subject=subject[:MAX_SUBJECT], description=(parsed.text or "") + notice,
        source=Source.EMAIL, contact_id=contact.pk if contact else None,
        language=language if LANGUAGE_TAG.fullmatch(language) else "",
    )


def _new_case(tenant: Tenant, parsed: ParsedMessage, now: datetime, *, notice: str,
              follow_up_of: Case | None = None, queue_id: int | None = None) -> Case:
    contact = _contact_for(tenant, parsed)
    data = _case_input(parsed, contact, notice)
    data.follow_up_of_id = follow_up_of.pk if follow_up_of is not None else None
    if follow_up_of is not None:
        data.account_id = follow_up_of.account_id if contact is None else None
        data.queue_id = follow_up_of.queue_id
    elif queue_id is not None:
        data.queue_id = queue_id
    case, _ = case_create(tenant=tenant, actor=None, data=data, now=now)
    return case


def _keep_attachments(tenant: Tenant, case: Case, stored: InboundMessage,
                      parsed: ParsedMessage, now: datetime) -> None:
    rows = []
    for part in parsed.attachments:
        row = Attachment(tenant=tenant, case=case, message=stored, filename=part.filename,
                         content_type=part.content_type[:150], size=part.size,
                         inline=part.disposition == "inline",
                         content_id=part.content_id[:250], dropped=part.truncated,
                         created_at=now)
        if not part.truncated:
            row.file.save(part.filename, ContentFile(part.content), save=False)
        rows.append(row)
    Attachment.objects.bulk_create(rows)
