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

from casedesk.core.rows import MAX_INSERT_ROWS, insert
from casedesk.mail.authresults import authentication
from casedesk.mail.batch import (
    REPLY_RUN,
    file_fresh,
    file_replies,
    fresh_messages,
    plain_replies,
    read_all,
    refs_of,
)
from casedesk.mail.filing import (
    Ingested,
    file_message,
    keep_glimpse,
    mark_duplicate,
    with_storable_ids,
)
from casedesk.mail.holding import hold, quarantine
from casedesk.mail.models import InboundMessage, InboundStatus, ThreadKey
from casedesk.mail.outbox import own_addresses
from casedesk.mail.parsing.message import ParsedMessage, Unparseable, parse_message
from casedesk.mail.threading import takes_part
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
    """Batch mode (an mbox import, a poll that fetched many), with the outcome of taking the
    messages in one by one (`mail.batch`): every message is stored in one transaction first,
    and read once. The ones that simply open a new case are then filed together, a chunk at a
    time through `case_create_many`; the others follow in their order, so a reply finds the
    case its original opened earlier in the batch: runs of plain replies together (one
    transaction per run), everything else (duplicates, strangers, unreadable mail, loops) one
    by one through `process`. A chunk or run that fails as a whole (a concurrent delivery of
    one of its messages, say) is filed one by one as well."""
    stored = [InboundMessage(tenant=tenant, raw=raw, size=len(raw),
                             sha256=hashlib.sha256(raw).hexdigest(), channel=channel,
                             received_at=now, queue_id=queue_id) for raw in raws]
    with transaction.atomic():
        # In statements of `core.rows.insert`'s size, written once per process.
        for start in range(0, len(stored), MAX_INSERT_ROWS):
            insert(stored[start:start + MAX_INSERT_ROWS], connection)
    readings = read_all(tenant, stored)
    done: dict[int, Ingested] = {}
    fresh = fresh_messages(tenant, stored, readings)
    for start in range(0, len(fresh), BATCH_CHUNK):
        chunk = fresh[start:start + BATCH_CHUNK]
        try:
            done.update(file_fresh(tenant, chunk, now))
        except Exception:  # noqa: BLE001 - each of them goes the one-by-one way below
            log.warning("Filing %d new messages together failed; filing them one by one",
                        len(chunk), exc_info=True)
            _unfiled([row for row, _ in chunk])
    rest = [row for row in stored if row.pk not in done]
    at = 0
    while at < len(rest):
        run = plain_replies(tenant, rest[at:at + REPLY_RUN], readings, now)
        if not run:
            done[rest[at].pk] = process(rest[at], now=now, parsed=readings.get(rest[at].pk))
            at += 1
            continue
        try:
            done.update(file_replies(tenant, run, now))
        except Exception:  # noqa: BLE001 - each of them goes the one-by-one way
            log.warning("Filing %d replies together failed; filing them one by one",
                        len(run), exc_info=True)
            _unfiled([reply.message for reply in run])
            done.update({reply.message.pk: process(reply.message, now=now, parsed=reply.parsed)
                         for reply in run})
        at += len(run)
    return [done[row.pk] for row in stored]


def _unfiled(rows: list[InboundMessage]) -> None:
    """Forgets what a rolled-back filing set on the messages in memory."""
    for row in rows:
        row.status, row.case, row.note_id = InboundStatus.RECEIVED, None, None
        row.processed_at, row.error = None, ""


def process(stored: InboundMessage, *, now: datetime, queue_id: int | None = None,
            accept_failed_auth: bool = False, parsed: ParsedMessage | None = None) -> Ingested:
    """Reads a stored message and files it; safe to run again on a quarantined message (the
    admin's "re-process" button) or after a crash. A new case goes to `queue_id`, else to
    the queue the message was delivered for, else where routing puts it. With
    `accept_failed_auth` (the re-process button: a person looked at it) a message whose
    sender authentication failed is filed even where the tenant quarantines such mail; the
    verdict stays on it, and so does the warning. `parsed`: the message as batch mode read it
    already (within the size limit)."""
    tenant = stored.tenant
    if queue_id is None:
        queue_id = stored.queue_id
    oversized = len(stored.raw) > tenant.mail_max_bytes
    if parsed is None:
        try:
            parsed = with_storable_ids(parse_message(
                bytes(stored.raw), max_attachment_bytes=0 if oversized else None))
        except Unparseable as error:
            return quarantine(stored, f"Unreadable: {error}")
        except Exception as error:  # a parser bug must not lose the message either
            return quarantine(stored, f"Parser failure: {type(error).__name__}: {error}")
    keep_glimpse(stored, parsed)
    verdict = authentication(tenant, parsed)
    stored.auth_verdict, stored.auth_summary = verdict.verdict, verdict.summary
    # One read answers both "taken in before?" and "which case does it answer?".
    refs = refs_of(parsed)
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
