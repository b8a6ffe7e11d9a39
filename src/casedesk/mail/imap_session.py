"""The IMAP conversation with a mailbox's server: connect to the vetted address (TLS verified
always, clear text only on this machine), log in, open the folder, find and fetch unread mail,
and mark it read or move it.

Opening a session fails with a `MailboxError` saying which step failed and, where it can, why,
written for the admin who set the mailbox up. Once it is open, a refused command raises
`imaplib.IMAP4.error` (a folder that cannot be created, `MailboxError`) and a dropped
connection `OSError`; the poll (`mail.imap`) reports them.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import socket
import ssl
from collections.abc import Iterable
from contextlib import suppress

from casedesk.core import net
from casedesk.mail.models import Mailbox, MailboxSecurity, ProcessedAction

log = logging.getLogger(__name__)

# Applies to every socket operation, so a server that stops answering costs one poll this
# long and then an error, never a worker stuck for ever.
TIMEOUT_S = 30.0


class MailboxError(Exception):
    """The mailbox cannot be read now; the message is written for the admin who set it up."""


# --- opening a session ------------------------------------------------------------------------

def open_session(mailbox: Mailbox, *, readonly: bool) -> imaplib.IMAP4:
    """A logged-in session with the folder selected, or MailboxError saying which step failed
    and, where it can, why."""
    conn = _connect(mailbox)
    try:
        _login(conn, mailbox)
        _select(conn, mailbox.folder, readonly=readonly)
    except MailboxError:
        logout(conn)
        raise
    except (imaplib.IMAP4.error, OSError) as error:
        logout(conn)
        raise MailboxError(f"The IMAP session with {mailbox.host} failed: "
                           f"{error_text(error)}") from error
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
                           f"{error_text(error)}") from error


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
                           f"{error_text(error)}") from error


def _select(conn: imaplib.IMAP4, folder: str, *, readonly: bool) -> None:
    try:
        typ, data = conn.select(_quoted(folder), readonly)
    except imaplib.IMAP4.readonly as error:
        raise MailboxError(f"The folder {folder!r} is read-only for this user: processed "
                           "mail could not be marked.") from error
    if typ != "OK":
        raise MailboxError(f"The folder {folder!r} cannot be opened: {_reply_text(data)}")


# --- commands in a session --------------------------------------------------------------------

def ensure_folder(conn: imaplib.IMAP4, folder: str) -> None:
    """The folder processed mail moves to, created (and subscribed, so mail clients show it)
    when missing."""
    name = _quoted(folder)
    typ, data = conn.list('""', name)
    if typ == "OK" and any(item is not None for item in data):
        return
    typ, data = conn.create(name)
    if typ != "OK":
        raise MailboxError(f"The folder {folder!r} for processed mail does not exist and "
                           f"cannot be created: {_reply_text(data)}")
    conn.subscribe(name)


def server_capabilities(conn: imaplib.IMAP4) -> frozenset[str]:
    """Asked again after login: servers often announce more (MOVE, UIDPLUS) to a user."""
    typ, data = conn.capability()
    words = _reply_text(data).split() if typ == "OK" else list(conn.capabilities)
    return frozenset(word.upper() for word in words)


def unseen_uids(conn: imaplib.IMAP4) -> list[int]:
    typ, data = conn.uid("SEARCH", "UNSEEN UNDELETED")
    _expect_ok(typ, data, "SEARCH")
    return sorted(int(uid) for uid in _reply_text(data).split())


def fetch_message(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    _expect_ok(typ, data, f"FETCH of UID {uid}")
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
            return bytes(item[1])
    return None


def mark_taken(conn: imaplib.IMAP4, mailbox: Mailbox, uid: int,
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
        raise imaplib.IMAP4.error(f"{what} refused: {_reply_text(data)}")


def logout(conn: imaplib.IMAP4) -> None:
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


def _reply_text(data: Iterable[object]) -> str:
    """Server replies arrive as lists of bytes (or None); the admin wants words."""
    parts = []
    for item in data:
        if isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
        elif item is not None:
            parts.append(str(item))
    return " ".join(parts).strip()


def error_text(error: BaseException) -> str:
    """imaplib puts the server's bytes in an error's args; other errors read as they are."""
    if isinstance(error, imaplib.IMAP4.error) and error.args:
        return _reply_text(error.args) or type(error).__name__
    return str(error) or type(error).__name__
