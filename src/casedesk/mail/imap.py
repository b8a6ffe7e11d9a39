"""IMAP polling: each tenant's mailboxes are read by whichever worker leases them first, and
every new message goes through `services.ingest`, like mail from any other channel.

The order is what keeps mail from being lost or taken twice. A message is fetched with
BODY.PEEK[] (fetching alone changes nothing on the server), taken in (stored before it is
parsed), and only then marked read or moved. A failure before the mark leaves it unread for
the next poll; a crash after ingest but before the mark brings it back too, and then its
Message-ID, or its exact bytes already stored from this channel, keep it from making a
second case.

Only the network lives here: reading, threading and quarantine belong to the ingestion code.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import logging
import socket
import ssl
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import F, Q

from casedesk.core import net
from casedesk.mail.models import (
    InboundMessage,
    InboundStatus,
    Mailbox,
    MailboxSecurity,
    ProcessedAction,
)
from casedesk.mail.services import ingest, process

log = logging.getLogger(__name__)

CHANNEL = "imap"
# Applies to every socket operation, so a server that stops answering costs one poll this
# long and then an error, never a worker stuck for ever.
TIMEOUT_S = 30.0
LEASE = timedelta(minutes=5)
# After a failed poll a mailbox waits this long, whatever its interval.
FAILED_WAIT = timedelta(minutes=5)
# New messages are started only this long into a poll, well inside the lease, so no other
# worker can take the mailbox over while this one is still in it.
WORK_BUDGET_S = (LEASE - timedelta(minutes=1)).total_seconds()


class MailboxError(Exception):
    """The mailbox cannot be read now; the message is written for the admin who set it up."""


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
    _logout(_open(mailbox, readonly=True))


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
    conn = _open(mailbox, readonly=False)
    try:
        if mailbox.processed_action == ProcessedAction.MOVE:
            _ensure_folder(conn, mailbox.move_to)
        _take_new(conn, mailbox, now=now, limit=limit, result=result)
    except (imaplib.IMAP4.error, OSError) as error:
        result.errors.append(f"The IMAP session with {mailbox.host} failed: {_reason(error)}")
    finally:
        _logout(conn)


def _take_new(conn: imaplib.IMAP4, mailbox: Mailbox, *, now: datetime, limit: int,
              result: PollResult) -> None:
    capabilities = _capabilities(conn)
    uids = _unseen_uids(conn)
    deadline = time.monotonic() + WORK_BUDGET_S
    for index, uid in enumerate(uids[:limit]):
        result.left = len(uids) - index
        if time.monotonic() > deadline:
            return
        raw = _fetch(conn, uid)
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
        _mark_taken(conn, mailbox, uid, capabilities)
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


# --- IMAP -------------------------------------------------------------------------------------

def _open(mailbox: Mailbox, *, readonly: bool) -> imaplib.IMAP4:
    """A logged-in session with the folder selected, or MailboxError saying which step failed
    and, where it can, why."""
    conn = _connect(mailbox)
    try:
        _login(conn, mailbox)
        _select(conn, mailbox.folder, readonly=readonly)
    except MailboxError:
        _logout(conn)
        raise
    except (imaplib.IMAP4.error, OSError) as error:
        _logout(conn)
        raise MailboxError(f"The IMAP session with {mailbox.host} failed: "
                           f"{_reason(error)}") from error
    return conn


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    host, port = mailbox.host.strip(), mailbox.port
    where = f"{host}:{port}"
    clear_text = mailbox.security == MailboxSecurity.NONE
    if clear_text and not net.is_loopback(host):
        raise MailboxError(_CLEAR_TEXT_OFF_MACHINE.format(host=host))
    context = _tls_context(mailbox) if not clear_text else None
    destination = _destination(host, port)
    if clear_text and not net.is_loopback(destination.address):  # "localhost" led elsewhere
        raise MailboxError(_CLEAR_TEXT_OFF_MACHINE.format(host=host))
    try:
        if mailbox.security == MailboxSecurity.SSL:
            return _PinnedIMAP4SSL(destination, ssl_context=context, timeout=TIMEOUT_S)
        conn = _PinnedIMAP4(destination, timeout=TIMEOUT_S)
        if context is not None:
            try:
                conn.starttls(ssl_context=context)
            except BaseException:
                _close(conn)
                raise
        return conn
    except ssl.SSLCertVerificationError as error:
        hint = ("" if mailbox.ca_certificate.strip() else
                " If the server uses a private CA, paste its certificate into the mailbox's "
                "CA certificate.")
        raise MailboxError(f"TLS failed with {where}: the server's certificate is not trusted "
                           f"({error.verify_message}).{hint}") from error
    except ssl.SSLError as error:
        raise MailboxError(f"TLS failed with {where}: {error.reason or error}. Does the "
                           "server expect this security on this port?") from error
    except net.ConnectFailed as error:
        # Refused, timed out or no route: one answer, so the button cannot tell a closed port
        # from a filtered one. The operator's log has the cause.
        log.info("Mailbox %s: %s", mailbox.pk, error)
        raise MailboxError(_could_not_connect(where)) from error
    except TimeoutError as error:  # connected, then silence (a TLS port spoken to in plain)
        raise MailboxError(f"No answer from {where} within {TIMEOUT_S:.0f} seconds. Does the "
                           "server expect this security on this port?") from error
    except OSError as error:
        raise MailboxError(f"Cannot connect to {where}: {error.strerror or error}.") from error
    except imaplib.IMAP4.error as error:  # no greeting, or no STARTTLS offered
        raise MailboxError(f"{where} did not answer as an IMAP server would: "
                           f"{_reason(error)}") from error


_CLEAR_TEXT_OFF_MACHINE = (
    "Security 'none' is allowed only for a server on this machine (localhost), not {host}: "
    "the password would cross the network in clear text. Use SSL or STARTTLS.")


def _could_not_connect(where: str) -> str:
    return (f"Could not connect to {where}. Check the server name and port, and that the "
            "server accepts connections from this installation.")


def _destination(host: str, port: int) -> net.Destination:
    """The vetted address of the server: one check for every outbound connection
    (`core.net`), so no mailbox reaches this installation's own network unless
    CASEDESK_ALLOW_PRIVATE_NETWORKS says it may."""
    try:
        return net.vet_destination(host, port)
    except net.AddressNotAllowed as error:
        raise MailboxError(f"{host}:{port}: {error}") from error
    except net.HostUnresolvable as error:
        raise MailboxError(_could_not_connect(f"{host}:{port}")) from error


class _PinnedIMAP4(imaplib.IMAP4):
    """IMAP to the address `core.net` vetted: the name is not looked up again, so a DNS answer
    that changes after the check (rebinding) cannot redirect the connection; STARTTLS still
    checks the certificate against the name."""

    def __init__(self, destination: net.Destination, *, timeout: float) -> None:
        self._destination = destination
        super().__init__(destination.host, destination.port, timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return net.connect(self._destination, timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    """IMAP over TLS to the vetted address, the certificate checked against the name."""

    def __init__(self, destination: net.Destination, *, ssl_context: ssl.SSLContext | None,
                 timeout: float) -> None:
        self._destination = destination
        super().__init__(destination.host, destination.port, ssl_context=ssl_context,
                         timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = net.connect(self._destination, timeout)
        context: ssl.SSLContext = self.ssl_context
        return context.wrap_socket(sock, server_hostname=self.host)


def _tls_context(mailbox: Mailbox) -> ssl.SSLContext:
    """Verified TLS always: the system's CAs, or only the private CA the admin pasted."""
    pem = mailbox.ca_certificate.strip()
    if not pem:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError) as error:
        raise MailboxError(f"The CA certificate set for this mailbox is not a valid PEM "
                           f"certificate: {error}") from error


def _login(conn: imaplib.IMAP4, mailbox: Mailbox) -> None:
    user, password = mailbox.username, mailbox.password
    if any(char in "\r\n\0" for char in user + password):
        raise MailboxError("The username or password contains a line break or a NUL "
                           "character, which IMAP cannot carry.")
    try:
        if (user + password).isascii():
            conn.login(_quoted(user), password)
        else:
            # LOGIN carries ASCII only; SASL PLAIN carries UTF-8.
            conn.authenticate("PLAIN", lambda _: f"\0{user}\0{password}".encode())
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as error:
        raise MailboxError(f"Login failed for {user!r} on {mailbox.host}: "
                           f"{_reason(error)}") from error


def _select(conn: imaplib.IMAP4, folder: str, *, readonly: bool) -> None:
    try:
        typ, data = conn.select(_quoted(folder), readonly)
    except imaplib.IMAP4.readonly as error:
        raise MailboxError(f"The folder {folder!r} is read-only for this user: processed "
                           "mail could not be marked.") from error
    if typ != "OK":
        raise MailboxError(f"The folder {folder!r} cannot be opened: {_text(data)}")


def _ensure_folder(conn: imaplib.IMAP4, folder: str) -> None:
    """The folder processed mail moves to, created (and subscribed, so mail clients show it)
    when missing."""
    name = _quoted(folder)
    typ, data = conn.list('""', name)
    if typ == "OK" and any(item is not None for item in data):
        return
    typ, data = conn.create(name)
    if typ != "OK":
        raise MailboxError(f"The folder {folder!r} for processed mail does not exist and "
                           f"cannot be created: {_text(data)}")
    conn.subscribe(name)


def _capabilities(conn: imaplib.IMAP4) -> frozenset[str]:
    """Asked again after login: servers often announce more (MOVE, UIDPLUS) to a user."""
    typ, data = conn.capability()
    words = _text(data).split() if typ == "OK" else list(conn.capabilities)
    return frozenset(word.upper() for word in words)


def _unseen_uids(conn: imaplib.IMAP4) -> list[int]:
    typ, data = conn.uid("SEARCH", "UNSEEN UNDELETED")
    _expect_ok(typ, data, "SEARCH")
    return sorted(int(uid) for uid in _text(data).split())


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    _expect_ok(typ, data, f"FETCH of UID {uid}")
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
            return bytes(item[1])
    return None


def _mark_taken(conn: imaplib.IMAP4, mailbox: Mailbox, uid: int,
                capabilities: frozenset[str]) -> None:
    """Marks read in both modes: a moved message then shows as handled in mail clients, and one
    whose move failed is not taken again."""
    uid_text = str(uid)
    _expect_ok(*conn.uid("STORE", uid_text, "+FLAGS.SILENT", r"(\Seen)"),
               f"marking UID {uid} read")
    if mailbox.processed_action != ProcessedAction.MOVE:
        return
    target = _quoted(mailbox.move_to)
    if "MOVE" in capabilities:
        _expect_ok(*conn.uid("MOVE", uid_text, target), f"moving UID {uid}")
        return
    _expect_ok(*conn.uid("COPY", uid_text, target), f"copying UID {uid}")
    _expect_ok(*conn.uid("STORE", uid_text, "+FLAGS.SILENT", r"(\Deleted)"),
               f"deleting UID {uid} after copying it")
    if "UIDPLUS" in capabilities:
        _expect_ok(*conn.uid("EXPUNGE", uid_text), f"expunging UID {uid}")
    else:  # without UIDPLUS only the whole folder's deleted mail can be expunged
        _expect_ok(*conn.expunge(), "EXPUNGE")


def _expect_ok(typ: str, data: list[object], what: str) -> None:
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{what} refused: {_text(data)}")


def _logout(conn: imaplib.IMAP4) -> None:
    """Polite when the server still answers; a dead connection just gets closed."""
    with suppress(imaplib.IMAP4.error, OSError):
        conn.logout()
    _close(conn)


def _close(conn: imaplib.IMAP4) -> None:
    with suppress(OSError):
        conn.shutdown()


# --- IMAP text --------------------------------------------------------------------------------

def _quoted(name: str) -> str:
    """An IMAP quoted string. Folder names are modified UTF-7 first, which also encodes control
    characters, so no name can break out of the command line."""
    encoded = _modified_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _modified_utf7(name: str) -> str:
    """RFC 3501 5.1.3: printable ASCII stays (with & as &-), runs of anything else become
    &base64(UTF-16BE)- with , for /."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def _text(data: Iterable[object]) -> str:
    """Server replies arrive as lists of bytes (or None); the admin wants words."""
    parts = []
    for item in data:
        if isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
        elif item is not None:
            parts.append(str(item))
    return " ".join(parts).strip()


def _reason(error: BaseException) -> str:
    """imaplib puts the server's bytes in an error's args; other errors read as they are."""
    if isinstance(error, imaplib.IMAP4.error) and error.args:
        return _text(error.args) or type(error).__name__
    return str(error) or type(error).__name__
