"""IMAP polling against a real Dovecot started for this module: mail becomes cases and is
marked read or moved, redeliveries make no second case, failures are clear and recorded and
stop nothing else, TLS is verified, the lease keeps two pollers apart, and the command's exit
codes. No IMAP mocks: every test talks to the server."""

import grp
import imaplib
import io
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import override_settings

from casedesk.cases.models import Case, Note
from casedesk.mail import imap, imap_session
from casedesk.mail.imap import check_connection, poll_due_mailboxes, poll_mailbox
from casedesk.mail.imap_session import MailboxError
from casedesk.mail.ingest import ingest, store_raw
from casedesk.mail.models import InboundMessage, InboundStatus, Mailbox
from casedesk.ops import schedule
from casedesk.routing.models import Queue
from tests.conftest import NOW
from tests.mail.peers import free_port

DOVECOT = Path("/usr/sbin/dovecot")
PASSWORD = "pw-imap-123"
UTF8_PASSWORD = "pässwörd-✓"
MIN = timedelta(minutes=1)


# --- a private Dovecot ------------------------------------------------------------------------

@dataclass
class Server:
    root: Path
    imaps_port: int
    imap_port: int
    ca_pem: str
    spare_users: dict[str, Iterator[str]]

    def add_user(self, password: str = PASSWORD) -> str:
        """A user no other test has touched (so a fresh, empty Maildir). All users are written
        before Dovecot starts: it did not reliably see users added while it ran."""
        return next(self.spare_users[password])

    def client(self, user: str) -> imaplib.IMAP4:
        """The test's own IMAP client (plain IMAP on loopback, which Dovecot trusts)."""
        conn = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        conn.login(user, PASSWORD)
        return conn

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client(user)
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def messages(self, user: str, folder: str = "INBOX") -> list[tuple[bytes, set[str]]]:
        """Each message of a folder: its bytes and its flags."""
        conn = self.client(user)
        try:
            typ, data = conn.select(folder, readonly=True)
            assert typ == "OK", data
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
            found = []
            for item in data:
                if isinstance(item, tuple):
                    head = item[0].decode()
                    flags = set(head.split("FLAGS (", 1)[1].split(")", 1)[0].split())
                    found.append((item[1], flags))
            return found
        finally:
            conn.logout()

    def folders(self, user: str) -> list[str]:
        conn = self.client(user)
        try:
            names = []
            for line in conn.lsub()[1]:
                match = re.match(r'\(.*?\) (?:"[^"]*"|NIL) "?(.*?)"?$', (line or b"").decode())
                if match:
                    names.append(match.group(1))
            return names
        finally:
            conn.logout()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certificates(root: Path) -> None:
    """A private CA and a server certificate for 127.0.0.1 and localhost, with the extensions
    Python's strict verification asks for."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=casedesk test CA",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=root)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=root)
    (root / "server.ext").write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "authorityKeyIdentifier = keyid, issuer\n"
        "subjectKeyIdentifier = hash\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
             cwd=root)


def _accounts() -> tuple[str, str, int, int]:
    """Who Dovecot's own processes and the mail run as. As root: Debian's `dovecot` and
    `dovenull` users, with mail owned by `dovecot` (Dovecot refuses mail access as root).
    Otherwise everything runs as the current user."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    internal = pwd.getpwnam("dovecot")
    try:
        login = pwd.getpwnam("dovenull").pw_name
    except KeyError:
        login = internal.pw_name
    return internal.pw_name, login, internal.pw_uid, internal.pw_gid


def _users() -> dict[str, list[str]]:
    """Users enough for every test to have its own, per password."""
    return {PASSWORD: [f"user{n:03}" for n in range(150)],
            UTF8_PASSWORD: [f"utf8user{n}" for n in range(3)]}


def _write_config(root: Path, imaps_port: int, imap_port: int) -> Path:
    internal, login, uid, gid = _accounts()
    home = root / "home"
    home.mkdir()
    os.chown(home, uid, gid)
    with (root / "passwd").open("w", encoding="utf-8") as passwd:
        for password, users in _users().items():
            passwd.writelines(f"{user}:{{PLAIN}}{password}\n" for user in users)
    conf = root / "dovecot.conf"
    conf.write_text(f"""\
# Written for Dovecot 2.3; nothing is included from /etc.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(gid).gr_name}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
# Plain-text logins only over TLS, or on loopback (which Dovecot counts as secured).
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # Tests log in wrongly on purpose, and Dovecot would slow every later login from the same
  # address by seconds. Without this socket its auth process keeps no such penalty (and logs
  # that it cannot reach it).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""")
    return conf


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    output = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
    text = log.read_text() if log.exists() else ""
    raise RuntimeError(f"Dovecot did not start on port {port}:\n{output}\n{text}")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    missing = ("Dovecot (/usr/sbin/dovecot, Debian's dovecot-imapd)" if not DOVECOT.exists()
               else "the openssl command" if shutil.which("openssl") is None else "")
    if missing:
        # CI installs both and must run these tests; elsewhere they are skipped, saying why.
        if os.environ.get("CASEDESK_REQUIRE_DOVECOT"):
            pytest.fail(f"The IMAP tests need {missing}.")
        pytest.skip(f"needs {missing}")
    # A short path of its own: Dovecot's sockets live under it, and socket paths are short.
    root = Path(tempfile.mkdtemp(prefix="casedesk-dovecot-"))
    root.chmod(0o755)  # the mail and login processes run as other users
    try:
        _make_certificates(root)
        imaps_port, imap_port = free_port(), free_port()
        conf = _write_config(root, imaps_port, imap_port)
        proc = subprocess.Popen([str(DOVECOT), "-F", "-c", str(conf)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            _wait_for(imaps_port, proc, root / "dovecot.log")
            _wait_for(imap_port, proc, root / "dovecot.log")
            spare = {password: iter(users) for password, users in _users().items()}
            yield Server(root, imaps_port, imap_port, (root / "ca.pem").read_text(), spare)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- helpers ----------------------------------------------------------------------------------

def mail(subject: str = "Printer is on fire", body: str = "Our printer is on fire.\n",
         message_id: str | None = "", in_reply_to: str | None = None) -> bytes:
    """A message as a mail server holds it (CRLF line ends). `message_id=None` leaves the
    header out."""
    msg = EmailMessage()
    msg["From"] = "Jo Customer <jo@customer.example>"
    msg["To"] = "support@acme.test"
    msg["Subject"] = subject
    if message_id is not None:
        msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def make_mailbox(tenant, server: Server, user: str, **fields) -> Mailbox:
    values = {
        "name": f"box-{user}", "host": "127.0.0.1", "port": server.imaps_port,
        "security": "ssl", "ca_certificate": server.ca_pem, "username": user,
        "password": PASSWORD, "created_at": NOW,
    }
    values.update(fields)
    return Mailbox.objects.create(tenant=tenant, **values)


@pytest.fixture
def user(server: Server) -> str:
    return server.add_user()


@pytest.fixture
def box(tenant, server: Server, user: str) -> Mailbox:
    return make_mailbox(tenant, server, user)


# --- taking mail in ---------------------------------------------------------------------------

def test_new_mail_becomes_a_case_and_is_marked_read(tenant, server, user) -> None:
    queue = Queue.objects.create(tenant=tenant, name="From the mailbox")
    box = make_mailbox(tenant, server, user, queue=queue)
    server.append(user, mail())

    result = poll_mailbox(box, now=NOW)

    assert (result.taken, result.duplicates, result.quarantined, result.errors) == (1, 0, 0, [])
    case = Case.objects.get(tenant=tenant)
    assert case.subject == "Printer is on fire" and case.source == "email"
    assert case.queue == queue
    stored = InboundMessage.objects.get(tenant=tenant)
    assert stored.channel == "imap" and stored.status == InboundStatus.PROCESSED
    [(_, flags)] = server.messages(user)
    assert "\\Seen" in flags
    box.refresh_from_db()
    assert box.polled_at == NOW and box.taken_total == 1 and box.lease_until is None
    assert box.last_error == "" and box.last_error_at is None


def test_a_second_poll_takes_nothing_new(tenant, server, user, box) -> None:
    server.append(user, mail())
    server.append(user, mail(subject="Second"))
    assert poll_mailbox(box, now=NOW).taken == 2

    again = poll_mailbox(box, now=NOW + MIN)

    assert (again.taken, again.duplicates, again.quarantined, again.ok) == (0, 0, 0, True)
    assert Case.objects.filter(tenant=tenant).count() == 2
    assert InboundMessage.objects.filter(tenant=tenant).count() == 2
    box.refresh_from_db()
    assert box.taken_total == 2 and box.polled_at == NOW + MIN


def test_the_limit_leaves_the_rest_for_the_next_poll(tenant, server, user, box) -> None:
    for n in range(3):
        server.append(user, mail(subject=f"Message {n}"))
    first = poll_mailbox(box, now=NOW, limit=2)
    assert (first.taken, first.left) == (2, 1)
    rest = poll_mailbox(box, now=NOW + MIN, limit=2)
    assert (rest.taken, rest.left) == (1, 0)
    subjects = set(Case.objects.filter(tenant=tenant).values_list("subject", flat=True))
    assert subjects == {"Message 0", "Message 1", "Message 2"}


def test_move_mode_moves_mail_to_a_folder_created_when_missing(tenant, server, user) -> None:
    box = make_mailbox(tenant, server, user, processed_action="move",
                       move_to="Erledigt ✓ & done")
    server.append(user, mail())

    result = poll_mailbox(box, now=NOW)

    assert result.taken == 1 and result.ok
    assert server.messages(user) == []
    encoded = imap_session._modified_utf7("Erledigt ✓ & done")
    [(_, flags)] = server.messages(user, f'"{encoded}"')
    assert "\\Seen" in flags
    assert encoded in server.folders(user)  # subscribed, so mail clients show it
    again = poll_mailbox(box, now=NOW + MIN)
    assert again.taken == 0 and again.ok
    assert Case.objects.filter(tenant=tenant).count() == 1


@pytest.mark.parametrize("capabilities", ["UIDPLUS", ""], ids=["uid-expunge", "expunge"])
def test_without_the_move_capability_mail_is_copied_then_expunged(
        tenant, server, user, monkeypatch, capabilities) -> None:
    real = imap.server_capabilities

    def without_move(conn: imaplib.IMAP4) -> frozenset[str]:
        # The real server's list, less what this test pretends it lacks.
        kept = {"MOVE", "UIDPLUS"} - set(capabilities.split())
        return frozenset(real(conn) - kept)

    monkeypatch.setattr(imap, "server_capabilities", without_move)
    box = make_mailbox(tenant, server, user, processed_action="move", move_to="Processed")
    server.append(user, mail())
    server.append(user, mail(subject="Second"))

    result = poll_mailbox(box, now=NOW)

    assert result.taken == 2 and result.ok
    assert server.messages(user) == []
    assert len(server.messages(user, "Processed")) == 2


def test_a_reply_threads_onto_the_case_made_from_the_first_mail(tenant, server, user,
                                                               box) -> None:
    first_id = make_msgid(domain="customer.example")
    server.append(user, mail(message_id=first_id))
    poll_mailbox(box, now=NOW)
    case = Case.objects.get(tenant=tenant)
    server.append(user, mail(subject="Re: Printer is on fire", body="Still burning.\n",
                             in_reply_to=first_id))

    result = poll_mailbox(box, now=NOW + MIN)

    assert result.taken == 1
    assert Case.objects.filter(tenant=tenant).count() == 1
    note = Note.objects.get(case=case, author_email="jo@customer.example")
    assert note.body.startswith("Still burning.")


def test_unreadable_mail_is_quarantined_and_still_marked(tenant, server, user, box) -> None:
    server.append(user, b"this is not mail at all\r\njust some words\r\n")

    result = poll_mailbox(box, now=NOW)

    assert (result.taken, result.quarantined, result.ok) == (0, 1, True)
    stored = InboundMessage.objects.get(tenant=tenant)
    assert stored.status == InboundStatus.QUARANTINED and stored.channel == "imap"
    [(_, flags)] = server.messages(user)
    assert "\\Seen" in flags
    assert poll_mailbox(box, now=NOW + MIN).quarantined == 0
    assert InboundMessage.objects.filter(tenant=tenant).count() == 1
    assert not Case.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize("message_id", ["", None], ids=["with-message-id", "without"])
def test_mail_taken_in_but_not_marked_makes_no_second_case(tenant, server, user, box,
                                                           message_id) -> None:
    server.append(user, mail(message_id=message_id))
    # A poll that took the message in and died before marking it: the same bytes, stored.
    [(raw, flags)] = server.messages(user)
    assert "\\Seen" not in flags
    assert ingest(tenant=tenant, raw=raw, now=NOW, channel="imap").status == "processed"

    result = poll_mailbox(box, now=NOW + MIN)

    assert (result.taken, result.duplicates, result.ok) == (0, 1, True)
    assert Case.objects.filter(tenant=tenant).count() == 1
    assert InboundMessage.objects.filter(tenant=tenant).count() == 1
    [(_, flags)] = server.messages(user)
    assert "\\Seen" in flags


def test_mail_stored_but_never_read_is_read_rather_than_stored_again(tenant, server, user,
                                                                     box) -> None:
    server.append(user, mail(message_id=None))
    [(raw, _)] = server.messages(user)
    orphan = store_raw(tenant=tenant, raw=raw, now=NOW, channel="imap")  # died mid-ingest

    result = poll_mailbox(box, now=NOW + MIN)

    assert result.taken == 1
    orphan.refresh_from_db()
    assert orphan.status == InboundStatus.PROCESSED and orphan.case is not None
    assert InboundMessage.objects.filter(tenant=tenant).count() == 1
    assert Case.objects.filter(tenant=tenant).count() == 1


def test_when_ingest_fails_the_mail_stays_unread_and_the_poll_stops(tenant, server, user,
                                                                    box, monkeypatch) -> None:
    server.append(user, mail(subject="First"))
    server.append(user, mail(subject="Second"))

    def database_down(**kwargs: object) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(imap, "ingest", database_down)
    result = poll_mailbox(box, now=NOW)

    assert result.taken == 0 and result.left == 2
    assert "could not connect to server" in result.errors[0]
    assert all("\\Seen" not in flags for _, flags in server.messages(user))
    box.refresh_from_db()
    assert "left unread" in box.last_error and box.last_error_at == NOW
    assert box.lease_until is None

    monkeypatch.undo()
    assert poll_mailbox(box, now=NOW + MIN).taken == 2
    box.refresh_from_db()
    assert box.last_error == "" and box.last_error_at is None


def test_a_password_with_non_ascii_characters_logs_in(tenant, server) -> None:
    user = server.add_user(UTF8_PASSWORD)
    box = make_mailbox(tenant, server, user, password=UTF8_PASSWORD)
    check_connection(box)
    assert poll_mailbox(box, now=NOW).ok


# --- failures ---------------------------------------------------------------------------------

def test_a_wrong_password_is_recorded_and_other_mailboxes_are_still_polled(
        tenant, server, user) -> None:
    bad = make_mailbox(tenant, server, user, name="a-bad", password="not-the-password")
    good_user = server.add_user()
    make_mailbox(tenant, server, good_user, name="b-good")
    server.append(good_user, mail())

    with pytest.raises(MailboxError, match=f"Login failed for '{user}'"):
        check_connection(bad)
    results = poll_due_mailboxes(NOW)

    assert "Login failed" in results["acme/a-bad"].errors[0]
    assert results["acme/b-good"].taken == 1
    bad.refresh_from_db()
    assert "Login failed" in bad.last_error and "Authentication failed" in bad.last_error
    assert bad.last_error_at == NOW and bad.polled_at == NOW and bad.lease_until is None

    bad.password = PASSWORD
    bad.save()
    assert poll_mailbox(bad, now=NOW + MIN).ok
    bad.refresh_from_db()
    assert bad.last_error == "" and bad.last_error_at is None


def test_poll_mailbox_raises_when_it_cannot_log_in(tenant, server, user) -> None:
    box = make_mailbox(tenant, server, user, password="wrong")
    with pytest.raises(MailboxError, match="Login failed"):
        poll_mailbox(box, now=NOW)
    box.refresh_from_db()
    assert box.last_error.startswith("Login failed") and box.lease_until is None


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_needs_a_trusted_certificate(tenant, server, user, security) -> None:
    port = server.imaps_port if security == "ssl" else server.imap_port
    untrusted = make_mailbox(tenant, server, user, name="untrusted", security=security,
                             port=port, ca_certificate="")
    with pytest.raises(MailboxError, match="certificate is not trusted"):
        check_connection(untrusted)
    trusted = make_mailbox(tenant, server, user, name="trusted", security=security, port=port)
    check_connection(trusted)


def test_a_ca_certificate_that_is_not_pem_is_a_clear_error(tenant, server, user) -> None:
    box = make_mailbox(tenant, server, user, ca_certificate="not a certificate")
    with pytest.raises(MailboxError, match="not a valid PEM certificate"):
        check_connection(box)


def test_no_security_is_refused_off_this_machine_and_works_on_loopback(tenant, server,
                                                                       user) -> None:
    remote = make_mailbox(tenant, server, user, name="remote", security="none",
                          host="mail.example.com", port=143)
    with pytest.raises(MailboxError, match="only for a server on this machine"):
        check_connection(remote)
    with pytest.raises(MailboxError, match="only for a server on this machine"):
        poll_mailbox(remote, now=NOW)

    local = make_mailbox(tenant, server, user, name="local", security="none",
                         host="localhost", port=server.imap_port, ca_certificate="")
    server.append(user, mail())
    check_connection(local)
    assert poll_mailbox(local, now=NOW).taken == 1


def test_a_missing_folder_and_a_closed_port_are_named(tenant, server, user) -> None:
    missing = make_mailbox(tenant, server, user, name="missing", folder="No Such Folder")
    with pytest.raises(MailboxError, match="'No Such Folder' cannot be opened"):
        check_connection(missing)
    closed = make_mailbox(tenant, server, user, name="closed", port=free_port())
    # Named, but not told apart from a filtered port (test_connection_failures_look_alike).
    with pytest.raises(MailboxError, match=r"Could not connect to 127\.0\.0\.1:\d+\."):
        check_connection(closed)


def test_plain_imap_against_the_tls_port_is_explained(tenant, server, user,
                                                       monkeypatch) -> None:
    # The TLS port waits for a handshake and the client for a greeting: only a timeout ends it.
    monkeypatch.setattr(imap_session, "TIMEOUT_S", 0.5)
    box = make_mailbox(tenant, server, user, security="starttls", port=server.imaps_port)
    with pytest.raises(MailboxError, match="Does the server expect"):
        check_connection(box)


def test_moving_into_the_folder_being_read_is_refused(tenant, server, user) -> None:
    box = make_mailbox(tenant, server, user, processed_action="move", move_to="INBOX")
    with pytest.raises(MailboxError, match="that is the folder being read"):
        poll_mailbox(box, now=NOW)


def test_a_server_that_never_answers_times_out(tenant, monkeypatch) -> None:
    monkeypatch.setattr(imap_session, "TIMEOUT_S", 0.3)
    with socket.socket() as silent:  # accepts connections (the kernel does) and says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        box = Mailbox.objects.create(tenant=tenant, name="silent", host="127.0.0.1",
                                     port=silent.getsockname()[1], security="ssl",
                                     username="x", password="y", created_at=NOW)
        started = time.monotonic()
        with pytest.raises(MailboxError, match="No answer from"):
            check_connection(box)
        assert time.monotonic() - started < 5


# --- schedule and lease -----------------------------------------------------------------------

def test_a_mailbox_leased_by_another_worker_is_skipped(tenant, server, user, box) -> None:
    server.append(user, mail())
    Mailbox.objects.filter(pk=box.pk).update(lease_until=NOW + MIN)

    assert poll_mailbox(box, now=NOW).busy
    assert "acme/" + box.name not in poll_due_mailboxes(NOW)
    assert not Case.objects.filter(tenant=tenant).exists()
    [(_, flags)] = server.messages(user)
    assert "\\Seen" not in flags
    box.refresh_from_db()
    assert box.lease_until == NOW + MIN and box.polled_at is None

    # A lease whose worker died runs out, and the next worker takes the mailbox.
    later = NOW + 2 * MIN
    assert poll_due_mailboxes(later)["acme/" + box.name].taken == 1


def test_of_two_claims_at_the_same_moment_only_one_wins(tenant, server, user, box) -> None:
    assert imap._claim(box, NOW) is not None
    assert imap._claim(box, NOW) is None
    assert poll_mailbox(box, now=NOW).busy


def test_only_due_and_enabled_mailboxes_are_polled(tenant, server, user) -> None:
    recent = make_mailbox(tenant, server, user, name="recent", poll_seconds=60,
                          polled_at=NOW - timedelta(seconds=30))
    off = make_mailbox(tenant, server, server.add_user(), name="off", enabled=False)
    never = make_mailbox(tenant, server, server.add_user(), name="never")

    assert set(poll_due_mailboxes(NOW)) == {"acme/never"}
    assert set(poll_due_mailboxes(NOW + timedelta(seconds=31))) == {"acme/recent"}
    off.refresh_from_db()
    never.refresh_from_db()
    recent.refresh_from_db()
    assert off.polled_at is None and never.polled_at == NOW
    assert recent.polled_at == NOW + timedelta(seconds=31)


def test_a_failing_mailbox_waits_before_it_is_tried_again(tenant, server, user) -> None:
    from casedesk.mail.imap import FAILED_WAIT, due_mailboxes

    box = make_mailbox(tenant, server, user, password="wrong", poll_seconds=10)
    poll_due_mailboxes(NOW)
    box.refresh_from_db()
    assert box.last_error and box.last_error_at == NOW
    assert due_mailboxes(NOW + timedelta(seconds=11)) == []
    assert [m.pk for m in due_mailboxes(NOW + FAILED_WAIT)] == [box.pk]


def test_the_worker_schedule_polls_mail_even_when_the_sweep_fails(tenant, server, user, box,
                                                                  monkeypatch) -> None:
    def sweep_fails(now: object) -> None:
        raise RuntimeError("sweep broke")

    monkeypatch.setattr(schedule, "run_due_sweeps", sweep_fails)
    server.append(user, mail())

    lines = schedule.run_all_once(NOW)

    assert "sla-sweeps failed (see the log)" in lines
    assert Case.objects.filter(tenant=tenant).count() == 1


def test_the_worker_schedule_sweeps_even_when_mail_polling_fails(db, monkeypatch) -> None:
    swept = []

    def polling_fails(now: object) -> None:
        raise RuntimeError("mail broke")

    monkeypatch.setattr(schedule, "run_due_sweeps", lambda now: swept.append(now) or {})
    monkeypatch.setattr(schedule, "poll_due_mailboxes", polling_fails)

    assert schedule.run_all_once(NOW) == ["mailboxes failed (see the log)"]
    assert len(swept) == 1


def test_each_scheduled_job_runs_in_a_thread_of_its_own(monkeypatch) -> None:
    ran = threading.Event()
    monkeypatch.setattr(schedule, "jobs", lambda every_s: [
        schedule.Job("hangs", 60, lambda now: iter(threading.Event().wait(0.5) and [])),
        schedule.Job("quick", 60, lambda now: iter([ran.set() or "done"]))])
    monkeypatch.setattr(schedule, "close_old_connections", lambda: None)
    stop = threading.Event()
    threads = schedule.start(stop)
    try:
        assert ran.wait(0.4)  # not held up by the job that is still busy
    finally:
        stop.set()
        for thread in threads:
            thread.join(2)


def test_the_task_polls_due_mailboxes(tenant, server, user, box) -> None:
    from casedesk.mail.tasks import poll_mailboxes

    server.append(user, mail())
    result = poll_mailboxes.enqueue()
    assert result.return_value == {f"acme/{box.name}": "1 taken, 0 duplicate, 0 quarantined"}


def test_the_worker_batch_polls_due_mailboxes(tenant, server, user, box, monkeypatch) -> None:
    from casedesk.ops.management.commands import worker

    ran = []
    # db_worker closes the connection the test runs in; only the schedule part is tested here.
    monkeypatch.setattr(worker, "call_command", lambda *argv: ran.append(argv))
    server.append(user, mail())
    out = io.StringIO()
    call_command("worker", "--batch", stdout=out)
    assert f"Mailbox acme/{box.name}: 1 taken" in out.getvalue()
    assert Case.objects.filter(tenant=tenant).count() == 1
    assert ran and ran[0][0] == "db_worker"


# --- the command ---------------------------------------------------------------------------

def run_command(*argv: str) -> tuple[int, str, str]:
    """The command's exit code, stdout and stderr. Django's runner turns a CommandError into
    its message on stderr and `returncode` as the exit code; `call_command` is used instead of
    that runner because the runner closes the database connection the test runs in."""
    out = io.StringIO()
    try:
        call_command("poll_mailboxes", *argv, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


def test_the_command_polls_and_exits_zero(tenant, server, user, box) -> None:
    server.append(user, mail())
    code, out, err = run_command("--tenant", "acme")
    assert code == 0, err
    assert f"acme/{box.name}: 1 taken" in out
    code, out, _ = run_command("--tenant", "acme", "--mailbox", box.name)
    assert code == 0 and "0 taken" in out
    code, out, _ = run_command("--all")
    assert code == 0 and f"acme/{box.name}" in out


def test_the_command_ignores_the_schedule(tenant, server, user) -> None:
    box = make_mailbox(tenant, server, user, polled_at=NOW, poll_seconds=3600)
    server.append(user, mail())
    assert run_command("--tenant", "acme", "--mailbox", box.name)[0] == 0
    assert Case.objects.filter(tenant=tenant).count() == 1


def test_the_command_fails_for_a_failing_mailbox(tenant, server, user, box) -> None:
    make_mailbox(tenant, server, server.add_user(), name="broken", password="wrong")
    code, out, err = run_command("--tenant", "acme")
    assert code == 1
    assert f"acme/{box.name}: 0 taken" in out
    assert "acme/broken: 0 taken, 0 duplicate, 0 quarantined; FAILED: Login failed" in out
    assert "1 of 2 mailboxes failed: acme/broken" in err


@pytest.mark.parametrize("argv, message", [
    (["--tenant", "nope"], "No tenant with the slug 'nope'"),
    (["--tenant", "acme", "--mailbox", "nope"], "has no mailbox named 'nope'"),
    (["--mailbox", "x"], "--mailbox needs --tenant"),
    ([], "Say which mailboxes"),
    (["--all", "--tenant", "acme"], "give it alone"),
])
def test_the_command_refuses_unknown_names(tenant, argv, message) -> None:
    code, _, err = run_command(*argv)
    assert code == 1 and message in err


def test_the_command_refuses_a_disabled_mailbox(tenant, server, user) -> None:
    make_mailbox(tenant, server, user, name="off", enabled=False)
    code, _, err = run_command("--tenant", "acme", "--mailbox", "off")
    assert code == 1 and "is disabled" in err


# --- what the poller may connect to (core.net) --------------------------------------------------

def _resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> list[str]:
    """Makes the listed names resolve to the given addresses, each lookup taking the next
    answer (the last one repeats); other names resolve as usual. Returns the names looked up."""
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return real(host, port, *args, **kwargs)
        answers = names[host]
        address = answers[min(looked_up.count(host), len(answers) - 1)]
        looked_up.append(host)
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def _no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def connect(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"connected to {args[0]}, which the check should have refused")

    monkeypatch.setattr(socket, "create_connection", connect)


@override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=False)
def test_internal_addresses_are_refused_before_any_connection(tenant, server, user,
                                                              monkeypatch) -> None:
    _resolving(monkeypatch, {"imap.metadata.test": ["169.254.169.254"],
                             "imap.lan.test": ["10.1.2.3"]})
    _no_connection(monkeypatch)
    boxes = [make_mailbox(tenant, server, user, name=host, host=host)
             for host in ("127.0.0.1", "localhost", "::1", "imap.metadata.test",
                          "imap.lan.test", "::ffff:127.0.0.1")]
    for mailbox in boxes:
        with pytest.raises(MailboxError, match="not allowed.*CASEDESK_ALLOW_PRIVATE_NETWORKS"):
            check_connection(mailbox)
    with pytest.raises(MailboxError, match="not allowed"):
        poll_mailbox(boxes[0], now=NOW)
    boxes[0].refresh_from_db()
    assert "CASEDESK_ALLOW_PRIVATE_NETWORKS" in boxes[0].last_error
    results = imap.poll_mailboxes(boxes[1:3], now=NOW)
    assert all("not allowed" in r.errors[0] for r in results.values())


def test_the_installation_may_allow_its_private_network(tenant, server, user, box) -> None:
    with override_settings(CASEDESK_ALLOW_PRIVATE_NETWORKS=True):
        check_connection(box)


def test_connection_failures_look_alike(tenant, monkeypatch) -> None:
    """Refused, timed out, no route, no such host: one answer, so "Test connection" cannot
    map which ports of a network are closed and which are filtered."""
    box = Mailbox.objects.create(tenant=tenant, name="probe", host="imap.acme.test", port=993,
                                 security="ssl", username="x", password="y", created_at=NOW)
    _resolving(monkeypatch, {"imap.acme.test": ["127.0.0.1"]})
    told = []
    for failure in (ConnectionRefusedError(111, "Connection refused"),
                    TimeoutError("timed out"), OSError(113, "No route to host")):
        def fail(*args: Any, failure: OSError = failure, **kwargs: Any) -> Any:
            raise failure

        monkeypatch.setattr(socket, "create_connection", fail)
        with pytest.raises(MailboxError) as error:
            check_connection(box)
        told.append(str(error.value))
    box.host = "nowhere.invalid"
    with pytest.raises(MailboxError) as error:
        check_connection(box)
    told.append(str(error.value).replace("nowhere.invalid", "imap.acme.test"))
    assert len(set(told)) == 1, told
    assert told[0].startswith("Could not connect to imap.acme.test:993.")
    assert not re.search(r"refused|timed out|no route|unknown", told[0], re.I)


def test_the_name_is_looked_up_once_and_the_vetted_address_connected_to(
        tenant, server, user, monkeypatch) -> None:
    """DNS rebinding: a second lookup answering another address would not be used. The
    connection reaches Dovecot (its certificate, for 127.0.0.1 and localhost, is then not
    trusted for this name, which proves whom we spoke to)."""
    looked_up = _resolving(monkeypatch, {"imap.rebind.test": ["127.0.0.1", "192.0.2.1"]})
    box = make_mailbox(tenant, server, user, host="imap.rebind.test")
    with pytest.raises(MailboxError, match="certificate is not trusted"):
        check_connection(box)
    assert looked_up == ["imap.rebind.test"]


def test_security_none_needs_this_machine_after_the_lookup_too(tenant, server, user,
                                                               monkeypatch) -> None:
    _resolving(monkeypatch, {"localhost": ["192.0.2.1"]})
    _no_connection(monkeypatch)
    box = make_mailbox(tenant, server, user, security="none", host="localhost",
                       port=server.imap_port, ca_certificate="")
    with pytest.raises(MailboxError, match="only for a server on this machine"):
        check_connection(box)
