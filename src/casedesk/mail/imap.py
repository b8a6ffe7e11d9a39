"""IMAP polling: each tenant's mailboxes are read by whichever worker leases them first, and
every new message goes through `mail.ingest`, like mail from any other channel.

The order is what keeps mail from being lost or taken twice. A message is fetched with
BODY.PEEK[] (fetching alone changes nothing on the server), taken in (stored before it is
parsed), and only then marked read or moved. A failure before the mark leaves it unread for
the next poll; a crash after ingest but before the mark brings it back too, and then its
Message-ID, or its exact bytes already stored from this channel, keep it from making a
second case.

The IMAP conversation itself is in `mail.imap_session`; reading, threading and quarantine
belong to the ingestion code.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import F, Q

from casedesk.mail.imap_session import (
    MailboxError,
    ensure_folder,
    error_text,
    fetch_message,
    logout,
    mark_taken,
    open_session,
    server_capabilities,
    unseen_uids,
)
from casedesk.mail.ingest import ingest, process
from casedesk.mail.models import InboundMessage, InboundStatus, Mailbox, ProcessedAction

log = logging.getLogger(__name__)

CHANNEL = "imap"
LEASE = timedelta(minutes=5)
# After a failed poll a mailbox waits this long, whatever its interval.
FAILED_WAIT = timedelta(minutes=5)
# New messages are started only this long into a poll, well inside the lease, so no other
# worker can take the mailbox over while this one is still in it.
WORK_BUDGET_S = (LEASE - timedelta(minutes=1)).total_seconds()


@dataclass
class PollResult:
    """What one poll of one mailbox did."""

    taken: int = 0  # made a case or joined one
    duplicates: int = 0  # taken in before: the same Message-ID, or the very same bytes
    quarantined: int = 0  # unreadable: stored for an admin, and marked like any other
    left: int = 0  # still unread: over the limit or the time budget, or after an error
    busy: bool = False  # another worker holds the lease: nothing was done
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.busy:
            return "skipped: another worker is polling it"
        text = (f"{self.taken} taken, {self.duplicates} duplicate, "
                f"{self.quarantined} quarantined")
        if self.left:
            text += f", {self.left} left for the next poll"
        if self.errors:
            text += "; FAILED: " + "; ".join(self.errors)
        return text


def mailbox_label(mailbox: Mailbox) -> str:
    """How logs, results and the command name a mailbox: unique across tenants."""
    return f"{mailbox.tenant.slug}/{mailbox.name}"


# --- entry points -----------------------------------------------------------------------------

def check_connection(mailbox: Mailbox) -> None:
    """The admin's "Test connection": connects, secures, logs in and opens the folder read-only,
    then logs out. Changes nothing on the server or in the database; raises MailboxError."""
    _check_settings(mailbox)
    logout(open_session(mailbox, readonly=True))


def poll_mailbox(mailbox: Mailbox, *, now: datetime, limit: int = 200) -> PollResult:
    """Takes in up to `limit` unread messages of one mailbox, whatever its schedule.

    Leases the mailbox first: when another worker holds it, returns a `busy` result having done
    nothing. Raises MailboxError when the mailbox cannot be opened (connection, TLS, login,
    folders); a failure after that (a message that cannot be taken in, a dropped connection)
    stops the poll and is returned in `errors`, the message left unread. Either way the outcome
    is recorded on the mailbox (polled_at, taken_total, last_error) and the lease released.
    """
    until = _claim(mailbox, now)
    if until is None:
        return PollResult(busy=True)
    result = PollResult()
    try:
        _check_settings(mailbox)
        _poll_leased(mailbox, now=now, limit=limit, result=result)
    except MailboxError as error:
        result.errors.append(str(error))
        raise
    except Exception as error:
        result.errors.append(f"Unexpected failure: {type(error).__name__}: {error}")
        raise
    finally:
        _release(mailbox, until, now=now, result=result)
    return result


def poll_mailboxes(mailboxes: Iterable[Mailbox], *, now: datetime) -> dict[str, PollResult]:
    """Polls each mailbox in turn; one that fails is logged and recorded on its row, and the
    others are polled all the same."""
    results: dict[str, PollResult] = {}
    for mailbox in mailboxes:
        label = mailbox_label(mailbox)
        try:
            results[label] = poll_mailbox(mailbox, now=now)
        except MailboxError as error:
            log.warning("Mailbox %s: %s", label, error)
            results[label] = PollResult(errors=[str(error)])
        except Exception as error:
            log.exception("Polling mailbox %s failed", label)
            results[label] = PollResult(errors=[f"{type(error).__name__}: {error}"])
        else:
            if results[label].errors:
                log.warning("Mailbox %s: %s", label, results[label].summary())
    return results


def due_mailboxes(now: datetime) -> list[Mailbox]:
    """Enabled mailboxes not leased and never polled or polled `poll_seconds` ago, and not
    failed in the last `FAILED_WAIT` (a provider may lock an account that keeps failing to log
    in); longest waiting first. Mailboxes are few (a handful per tenant), so the interval is
    compared here rather than in SQL, where date arithmetic differs between SQLite and
    PostgreSQL."""
    candidates = (Mailbox.objects.filter(enabled=True)
                  .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                  .select_related("tenant")
                  .order_by(F("polled_at").asc(nulls_first=True), "pk"))
    return [m for m in candidates
            if (m.polled_at is None or m.polled_at + timedelta(seconds=m.poll_seconds) <= now)
            and (m.last_error_at is None or m.last_error_at + FAILED_WAIT <= now)]


def poll_due_mailboxes(now: datetime) -> dict[str, PollResult]:
    """The worker's scheduled turn: every mailbox that is due, each under its own lease, so
    any number of workers can run this at once and each mailbox is polled by one of them."""
    return poll_mailboxes(due_mailboxes(now), now=now)


# --- lease ------------------------------------------------------------------------------------

def _claim(mailbox: Mailbox, now: datetime) -> datetime | None:
    """A conditional UPDATE: of two workers claiming at once, exactly one changes the row."""
    until = now + LEASE
    claimed = (Mailbox.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now),
                                      pk=mailbox.pk)
               .update(lease_until=until))
    return until if claimed else None


def _release(mailbox: Mailbox, until: datetime, *, now: datetime, result: PollResult) -> None:
    """Records the poll and frees the mailbox, unless the lease ran out and another worker took
    it meanwhile (its own record then stands). Never raises: it runs while an error may be on
    its way up, and the database may be what failed."""
    error = "; ".join(result.errors)[:2000]
    try:
        released = Mailbox.objects.filter(pk=mailbox.pk, lease_until=until).update(
            lease_until=None, polled_at=now, taken_total=F("taken_total") + result.taken,
            last_error=error, last_error_at=now if error else None)
        if not released:
            log.warning("Mailbox %s: lease lost during the poll; its outcome was not recorded",
                        mailbox.pk)
            return
        mailbox.refresh_from_db(fields=["lease_until", "polled_at", "taken_total",
                                        "last_error", "last_error_at"])
    except DatabaseError:
        log.exception("Mailbox %s: could not record the poll", mailbox.pk)


# --- one poll ---------------------------------------------------------------------------------

def _check_settings(mailbox: Mailbox) -> None:
    if mailbox.processed_action == ProcessedAction.MOVE:
        if not mailbox.move_to.strip():
            raise MailboxError("Processed mail is to be moved, but no folder to move it to is "
                               "set.")
        if mailbox.move_to == mailbox.folder:
            raise MailboxError(f"Processed mail cannot be moved to {mailbox.folder!r}: that is "
                               "the folder being read.")


def _poll_leased(mailbox: Mailbox, *, now: datetime, limit: int, result: PollResult) -> None:
    conn = open_session(mailbox, readonly=False)
    try:
        if mailbox.processed_action == ProcessedAction.MOVE:
            ensure_folder(conn, mailbox.move_to)
        _take_new(conn, mailbox, now=now, limit=limit, result=result)
    except (imaplib.IMAP4.error, OSError) as error:
        result.errors.append(f"The IMAP session with {mailbox.host} failed: {error_text(error)}")
    finally:
        logout(conn)


def _take_new(conn: imaplib.IMAP4, mailbox: Mailbox, *, now: datetime, limit: int,
              result: PollResult) -> None:
    capabilities = server_capabilities(conn)
    uids = unseen_uids(conn)
    deadline = time.monotonic() + WORK_BUDGET_S
    for index, uid in enumerate(uids[:limit]):
        result.left = len(uids) - index
        if time.monotonic() > deadline:
            return
        raw = fetch_message(conn, uid)
        if raw is None:  # expunged meanwhile by another client: nothing to take
            continue
        try:
            status = _take_in(mailbox, raw, now)
        except Exception as error:
            log.exception("Mailbox %s: message UID %s could not be taken in", mailbox.pk, uid)
            result.errors.append(f"Message UID {uid} could not be taken in and was left unread "
                                 f"for the next poll: {type(error).__name__}: {error}")
            return
        # Counted before it is marked: it is taken in now, even if the mark fails and the
        # next poll finds it again as a duplicate.
        _count(result, status)
        mark_taken(conn, mailbox, uid, capabilities)
    result.left = max(0, len(uids) - limit)


def _take_in(mailbox: Mailbox, raw: bytes, now: datetime) -> str:
    """Ingests a message unless this channel stored the very same bytes before: that is the
    same delivery seen again after a crash before it was marked, and for mail without a
    Message-ID it is the only sign. A copy stored but never read (the crash came mid-ingest) is
    read now instead of being stored a second time."""
    digest = hashlib.sha256(raw).hexdigest()
    earlier = list(InboundMessage.objects
                   .filter(tenant_id=mailbox.tenant_id, channel=CHANNEL, sha256=digest)
                   .order_by("pk").values_list("pk", "status")[:10])
    if not earlier:
        return ingest(tenant=mailbox.tenant, raw=raw, now=now, channel=CHANNEL,
                      queue_id=mailbox.queue_id).status
    if any(status != InboundStatus.RECEIVED for _, status in earlier):
        return InboundStatus.DUPLICATE
    stored = InboundMessage.objects.get(pk=earlier[0][0])
    return process(stored, now=now, queue_id=mailbox.queue_id).status


def _count(result: PollResult, status: str) -> None:
    if status in (InboundStatus.PROCESSED, InboundStatus.HELD):  # held: taken, waits
        result.taken += 1
    elif status == InboundStatus.QUARANTINED:
        result.quarantined += 1
    else:
        result.duplicates += 1
