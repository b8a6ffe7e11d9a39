"""Email to case: the one ingestion function every inbound channel (MTA pipe, SMTP listener,
IMAP poller) calls.

The raw message is stored first, in its own transaction, so it survives whatever happens
next. Then it is parsed (`mail.parsing`); an unreadable one is quarantined (`mail.holding`).
A readable one threads onto a case (`mail.threading`) or makes a new one (`mail.filing`).
A stranger's answer to a case is filed as a new case linked to it, or, when the tenant says
so, held for a manager. A sender authentication failure reported by the receiving server
(`mail.authresults`) is stored on the message and, when the tenant says so, quarantines it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.db import connection, transaction

from casedesk.cases.creation import case_create_many
from casedesk.cases.hooks import acknowledgement_wanted
from casedesk.cases.models import Case, Participant
from casedesk.cases.writing import Linked
from casedesk.core.limits import clipped, fit_problem
from casedesk.crm.models import Account, Contact
from casedesk.mail.authresults import AuthVerdict, sender_authentication, trusted_ids
from casedesk.mail.filing import (
    READ_FIELDS,
    Ingested,
    case_input,
    file_message,
    keep_attachments,
    live_queue_ids,
    mark_duplicate,
    with_storable_ids,
)
from casedesk.mail.holding import hold, quarantine
from casedesk.mail.models import AckWithheld, InboundMessage, InboundStatus, ThreadKey
from casedesk.mail.outbox import own_addresses, queue_acknowledgements
from casedesk.mail.parsing.message import ParsedMessage, Unparseable, parse_message
from casedesk.mail.threading import case_token_pattern, participant_rows, takes_part
from casedesk.tenancy.models import StrangerAction, Tenant

# How the quarantine reason of mail whose sender authentication failed begins: such mail is
# readable, so the pipe command does not answer the MTA with "unreadable" (which would bounce
# it to a From address that is likely forged).
AUTH_FAILED = "Sender authentication failed"
log = logging.getLogger(__name__)


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
            parsed.append((row, with_storable_ids(parse_message(raw))))
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
    fields = [f for name in READ_FIELDS for f in meta.concrete_fields if f.name == name]
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
    addresses = {p.from_address.lower() for p in parsed if "@" in p.from_address
                 and fit_problem(Contact, "email", p.from_address) is None}
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
            Contact(tenant=tenant, email=address, name=clipped(Contact, "name", name),
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
        live = live_queue_ids(tenant, {row.queue_id for row, _ in items})
        inputs = []
        for row, p in items:
            contact = contacts.get(p.from_address.lower())
            data = case_input(p, contact)
            data.queue_id = row.queue_id if row.queue_id in live else None
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
            keep_attachments(tenant, case, row, p, now)
            if not p.is_automatic:
                # The sender of a new case is its contact: the people it copies take part.
                participants += participant_rows(case, p, now, own=own)
                if acknowledgement_wanted(case):
                    acks.append((case, p.from_address, p.message_id))
                    acked.append(row)
            _glimpse(row, p)
            row.status, row.case, row.note_id = InboundStatus.PROCESSED, case, None
            row.processed_at, row.error, row.ack_withheld = now, "", AckWithheld.NONE
        Participant.objects.bulk_create(participants, ignore_conflicts=True)
        outcomes = queue_acknowledgements(acks, tenant=tenant, now=now, own=own)
        for row, outcome in zip(acked, outcomes, strict=True):
            row.ack_withheld = outcome.withheld
        _save_readings([row for row, _ in items])
    return {row.pk: Ingested(InboundStatus.PROCESSED, row, case, True)
            for (row, _), case in zip(items, cases, strict=True)}


def _glimpse(stored: InboundMessage, parsed: ParsedMessage) -> None:
    """What the inbound list shows of a message, kept as far as each column holds."""
    stored.message_id = clipped(InboundMessage, "message_id", parsed.message_id)
    stored.sender = clipped(InboundMessage, "sender", parsed.from_address)
    stored.subject = clipped(InboundMessage, "subject", parsed.subject)
    stored.is_automatic = parsed.is_automatic


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
        parsed = with_storable_ids(parse_message(
            raw, max_attachment_bytes=0 if oversized else None))
    except Unparseable as error:
        return quarantine(stored, f"Unreadable: {error}")
    except Exception as error:  # a parser bug must not lose the message either
        return quarantine(stored, f"Parser failure: {type(error).__name__}: {error}")
    _glimpse(stored, parsed)
    verdict = authentication(tenant, parsed)
    stored.auth_verdict, stored.auth_summary = verdict.verdict, verdict.summary
    # One read answers both "taken in before?" and "which case does it answer?".
    refs = [r for r in [*parsed.in_reply_to, *parsed.references] if r][-50:]
    keys = {key.message_id: key for key in ThreadKey.objects.filter(
        tenant=tenant, message_id__in=[parsed.message_id, *refs] if parsed.message_id else refs,
    ).select_related("case").order_by("created_at")} if parsed.message_id or refs else {}
    if parsed.message_id in keys:
        return mark_duplicate(stored, keys[parsed.message_id].case, now)
    answered = [keys[r] for r in refs if r in keys]
    thread = max(answered, key=lambda k: k.created_at).case if answered else None
    if parsed.from_address.lower() in own_addresses(tenant):
        # The desk writing to itself is a loop (its own acknowledgement sent back, say): kept
        # for an admin to look at, never a case that would be acknowledged again.
        return quarantine(stored, "Sent from the desk's own address: a mail loop? It made no "
                                   "case; write from another address to open one.")
    if verdict.failed and tenant.mail_quarantine_failed_auth and not accept_failed_auth:
        return quarantine(stored, f"{AUTH_FAILED}: {verdict.summary}. The "
                                   "mail settings quarantine such mail: the From address may "
                                   "be forged. Re-process it to file it anyway.")
    stranger_of = None
    if thread is not None and not takes_part(thread, parsed.from_address):
        stranger_of, thread = thread, None
        if tenant.mail_stranger_action == StrangerAction.HOLD:
            return hold(stored, stranger_of, now)
    return file_message(stored, parsed, now, oversized=oversized, queue_id=queue_id,
                        thread=thread, stranger_of=stranger_of)


def authentication(tenant: Tenant, parsed: ParsedMessage) -> AuthVerdict:
    """The sender authentication the receiving server reported for the From domain, from the
    Authentication-Results header the tenant trusts (see `mail.authresults`)."""
    return sender_authentication(parsed.authentication_results, parsed.from_address,
                                 trusted_ids(tenant.mail_authserv_ids))


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
