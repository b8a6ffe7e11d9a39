"""Mail the desk sends: agents' public replies and the acknowledgement of a new case.

Nothing is sent inside a request. The change that calls for a message writes an
`OutboundMail` row in its own transaction (so the mail exists exactly when the reply does),
and workers deliver the outbox: each claims due rows with a lease, sends, and records the
outcome. A failure is retried with growing delays; a worker that dies mid-send leaves a claim
that goes stale and is taken again. Delivery is therefore at least once, and each message keeps
one Message-ID across attempts, so a receiver that sees it twice can tell.

Every message threads back: its Message-ID is recorded as a thread key of the case, it answers
the customer's latest message (In-Reply-To, References), and its subject carries the case
token, so the customer's reply lands on the same case whichever of those their client keeps.
"""

from __future__ import annotations

import email.policy
import logging
import re
import smtplib
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.template import Context, Engine, TemplateSyntaxError

from casedesk.cases.models import Case, Note, Participant
from casedesk.core.errors import Invalid
from casedesk.mail.models import (
    AckWithheld,
    InboundMessage,
    InboundStatus,
    OutboundKind,
    OutboundMail,
    OutboundStatus,
    ThreadKey,
)
from casedesk.tenancy.models import Tenant

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=2)
REFERENCES_KEPT = 20
ACK_WINDOW = timedelta(hours=1)

# Variables: case.display_number, case.number, case.subject, case.priority, case.status,
# contact.name, contact.email, tenant.name.
DEFAULT_ACK_TEMPLATE = """Hello{% if contact.name %} {{ contact.name }}{% endif %},

We have received your request and opened case {{ case.display_number }}: "{{ case.subject }}".
Someone from our team will get back to you soon.

To add anything, reply to this email and keep {{ case.display_number }} in the subject.

{{ tenant.name }}
"""

# Plain-text mail: nothing is HTML-escaped, and a missing variable renders empty.
_ENGINE = Engine(autoescape=False, string_if_invalid="")


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 1, 2, 4 … minutes, capped."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def check_template(text: str) -> None:
    """Refuses an acknowledgement template that does not compile."""
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise Invalid(f"The template does not compile: {error}",
                      field="mail_ack_template") from None


# --- addresses and headers --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(value: str) -> str:
    """A header value on one line: CR, LF and the other control characters (which the mail
    library refuses, and which would otherwise start a header of their own) become spaces,
    and every run of white space one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def sender_address(tenant: Tenant) -> str:
    return tenant.mail_from or tenant.mail_address or settings.DEFAULT_FROM_EMAIL


_QUEUE_ADDRESSES: dict[int, tuple[float, frozenset[str]]] = {}
_QUEUE_ADDRESSES_TTL = 30.0  # seconds; a queue's new address is known everywhere after that


def own_addresses(tenant: Tenant) -> set[str]:
    """The tenant's own addresses: never a participant, never mailed a copy. The queues'
    addresses are read at most every half minute per process (mail reads them per message)."""
    from casedesk.routing.models import Queue

    own = {a.lower() for a in (tenant.mail_from, tenant.mail_address, settings.DEFAULT_FROM_EMAIL)
           if a}
    cached = _QUEUE_ADDRESSES.get(tenant.pk)
    if cached is None or cached[0] < time.monotonic():
        emails = frozenset(e.lower() for e in Queue.objects.filter(tenant=tenant)
                           .exclude(email="").values_list("email", flat=True))
        cached = (time.monotonic() + _QUEUE_ADDRESSES_TTL, emails)
        _QUEUE_ADDRESSES[tenant.pk] = cached
    return own | cached[1]


def _from_header(tenant: Tenant) -> str:
    return formataddr((one_line(tenant.mail_from_name or tenant.name), sender_address(tenant)))


def _reply_to(case: Case) -> str:
    """Where the customer's answer should go: the case's queue's own address, else the
    tenant's support address (which the listeners take in)."""
    queue = case.queue if case.queue_id is not None else None
    address = (queue.email if queue is not None else "") or case.tenant.mail_address
    return address if address and address != sender_address(case.tenant) else ""


def _new_message_id(case: Case) -> str:
    domain = sender_address(case.tenant).rpartition("@")[2] or "localhost"
    return make_msgid(idstring=f"{case.tenant.case_prefix}{case.number}",
                      domain=domain).strip("<>")


@dataclass(frozen=True)
class ThreadHeaders:
    in_reply_to: str
    references: list[str]


def thread_headers(case: Case) -> ThreadHeaders:
    """The case's last known messages, oldest first; the newest one inbound is answered."""
    keys = list(ThreadKey.objects.filter(case=case).order_by("-created_at", "-pk")
                .values_list("message_id", flat=True)[:REFERENCES_KEPT])
    keys.reverse()
    latest = (InboundMessage.objects.filter(case=case, status=InboundStatus.PROCESSED)
              .exclude(message_id="").order_by("-received_at", "-pk")
              .values_list("message_id", flat=True).first())
    return ThreadHeaders(in_reply_to=latest or (keys[-1] if keys else ""), references=keys)


def _subject(case: Case, *, reply: bool) -> str:
    token = f"[{case.display_number}]"
    subject = f"{token} {one_line(case.subject)}"
    return (f"Re: {subject}" if reply else subject)[:300]


_SUPPRESSED: ContextVar[bool] = ContextVar("mail_suppressed", default=False)


@contextmanager
def mail_suppressed() -> Iterator[None]:
    """Nothing is mailed inside: for replaying or importing history (the demo, a migration
    from another desk), whose replies were answered long ago."""
    token = _SUPPRESSED.set(True)
    try:
        yield
    finally:
        _SUPPRESSED.reset(token)


def _outbound(case: Case, *, kind: str, to: list[str], cc: list[str], body: str,
              now: datetime, note: Note | None = None, headers: ThreadHeaders | None = None
              ) -> OutboundMail:
    """A message to send about `case`, unsaved."""
    headers = headers or thread_headers(case)
    return OutboundMail(
        tenant_id=case.tenant_id, case=case, note=note, kind=kind,
        from_address=_from_header(case.tenant), reply_to=_reply_to(case),
        recipient=to[0].lower(), to=to, cc=cc,
        subject=_subject(case, reply=kind == OutboundKind.REPLY), body=body,
        message_id=_new_message_id(case), in_reply_to=headers.in_reply_to,
        references=" ".join(f"<{r}>" for r in headers.references),
        next_attempt_at=now, created_at=now)


def _save(mails: list[OutboundMail], now: datetime) -> None:
    """Writes messages to the outbox, each Message-ID a thread key of its case (the
    customer's client answers it, and the answer threads onto the case)."""
    if _SUPPRESSED.get() or not mails:
        return
    OutboundMail.objects.bulk_create(mails)
    ThreadKey.objects.bulk_create([
        ThreadKey(tenant_id=m.tenant_id, message_id=m.message_id, case=m.case,
                  created_at=now) for m in mails if m.case is not None])
    _wake_workers_soon()


def _queue(case: Case, *, kind: str, to: list[str], cc: list[str], body: str, now: datetime,
           note: Note | None = None, headers: ThreadHeaders | None = None
           ) -> OutboundMail | None:
    if _SUPPRESSED.get():
        return None
    mail = _outbound(case, kind=kind, to=to, cc=cc, body=body, now=now, note=note,
                     headers=headers)
    _save([mail], now)
    return mail


_WAKE_EVERY = 1.0  # seconds
_last_wake = 0.0


def _wake_workers_soon() -> None:
    """After commit, asks a worker to deliver now. At most once a second per process: one
    delivery run sends everything due, and the schedule sweeps the outbox as well."""
    global _last_wake
    if time.monotonic() - _last_wake >= _WAKE_EVERY:
        _last_wake = time.monotonic()
        transaction.on_commit(_wake_workers)


def _wake_workers() -> None:
    from casedesk.mail.outbox_tasks import deliver_outbox

    try:
        deliver_outbox.enqueue()
    except Exception:  # the scheduled delivery picks it up anyway
        log.exception("Could not enqueue outbox delivery")


# --- what calls for mail ----------------------------------------------------------------------

def recipients_of(case: Case) -> tuple[list[str], list[str]]:
    """(to, cc) for a public reply: the case's contact, and the people copied on it."""
    own = own_addresses(case.tenant)
    contact_email = case.contact.email.lower() if case.contact_id and case.contact else ""
    to = [contact_email] if contact_email and contact_email not in own else []
    cc = [e for e in Participant.objects.filter(case=case).order_by("created_at", "pk")
          .values_list("email", flat=True) if e.lower() not in own and e.lower() not in to]
    if not to and cc:
        to, cc = cc[:1], cc[1:]
    return to, cc


def queue_reply(*, case: Case, note: Note, now: datetime) -> OutboundMail | None:
    """Mails an agent's public reply to the customer and the people copied on the case; the
    caller holds the transaction that wrote the note. None when nobody has an address."""
    to, cc = recipients_of(case)
    if not to:
        return None
    author = note.author.display_name if note.author is not None else case.tenant.name
    body = (f"{note.body}\n\n-- \n{author}, {case.tenant.name}\n"
            f"Case {case.display_number}. Reply to this email to answer.\n")
    return _queue(case, kind=OutboundKind.REPLY, to=to, cc=cc, body=body, now=now, note=note)


@dataclass(frozen=True)
class AckOutcome:
    """What became of the acknowledgement of a new case: the mail queued, or, when one was
    wanted but none was sent, why (`AckWithheld`), which the inbound message records."""

    mail: OutboundMail | None = None
    withheld: str = AckWithheld.NONE


def tenant_acks_last_hour(tenant: Tenant, now: datetime, *, cap: int) -> int:
    """The tenant's acknowledgements of the last hour, counted up to `cap`: a range of the
    (tenant, kind, created_at) index, as cheap at the cap as below it."""
    if cap <= 0:
        return 0
    return (OutboundMail.objects.filter(tenant_id=tenant.pk, kind=OutboundKind.ACKNOWLEDGEMENT,
                                        created_at__gt=now - ACK_WINDOW)
            .order_by().values("pk")[:cap].count())


def ack_refusal(tenant: Tenant, address: str, now: datetime) -> str:
    """Why no acknowledgement may go to `address` now (an `AckWithheld`; "" when one may).

    At most `mail_ack_per_hour` to one sender an hour: a sender whose own robot answers ours
    (or who floods the address) is not answered without end. And at most
    `mail_ack_tenant_per_hour` for the whole tenant: From is forged at will, so a flood from
    many made-up senders would otherwise make the desk mail as many strangers. Both are soft
    limits: two deliveries at the same instant may both take the last place."""
    sent = OutboundMail.objects.filter(
        tenant=tenant, recipient=address.lower(), kind=OutboundKind.ACKNOWLEDGEMENT,
        created_at__gt=now - ACK_WINDOW).count()
    if sent >= tenant.mail_ack_per_hour:
        return AckWithheld.SENDER
    cap = tenant.mail_ack_tenant_per_hour
    if tenant_acks_last_hour(tenant, now, cap=cap) >= cap:
        return AckWithheld.TENANT
    return AckWithheld.NONE


def ack_allowed(tenant: Tenant, address: str, now: datetime) -> bool:
    return not ack_refusal(tenant, address, now)


def ack_context(case: Case) -> dict[str, dict[str, str]]:
    """What an acknowledgement template may say: plain values, never the records themselves
    (through which a template could reach the tenant's users or internal notes)."""
    contact = case.contact if case.contact_id is not None else None
    return {
        "case": {"display_number": case.display_number, "number": str(case.number),
                 "subject": case.subject, "priority": case.get_priority_display(),
                 "status": case.get_status_display()},
        "contact": {"name": contact.name if contact else "",
                    "email": contact.email if contact else ""},
        "tenant": {"name": case.tenant.name},
    }


def _acknowledgement(case: Case, address: str, now: datetime, answering: str
                     ) -> OutboundMail:
    tenant = case.tenant
    template = _ENGINE.from_string(tenant.mail_ack_template or DEFAULT_ACK_TEMPLATE)
    body = template.render(Context(ack_context(case)))
    headers = ThreadHeaders(answering, [answering]) if answering else None
    return _outbound(case, kind=OutboundKind.ACKNOWLEDGEMENT, to=[address], cc=[], body=body,
                     now=now, headers=headers)


def _wants_ack(tenant: Tenant, address: str, own: set[str]) -> bool:
    return (tenant.mail_ack_enabled and bool(address) and "@" in address
            and address not in own)


def queue_acknowledgement(*, case: Case, address: str, now: datetime,
                          own: set[str] | None = None, answering: str = "") -> AckOutcome:
    """Acknowledges a new case made from a customer's mail (whose Message-ID is `answering`,
    when the caller knows it), when the tenant wants that and neither the sender's nor the
    tenant's hourly limit is reached; the outcome says why not when one was wanted."""
    tenant = case.tenant
    address = address.lower()
    if not _wants_ack(tenant, address, own if own is not None else own_addresses(tenant)):
        return AckOutcome()
    if _SUPPRESSED.get():
        return AckOutcome()
    refusal = ack_refusal(tenant, address, now)
    if refusal:
        log.info("No acknowledgement of %s to %s: %s", case.display_number, address,
                 AckWithheld(refusal).label)
        return AckOutcome(withheld=refusal)
    mail = _acknowledgement(case, address, now, answering)
    _save([mail], now)
    return AckOutcome(mail=mail)


def queue_acknowledgements(items: list[tuple[Case, str, str]], *, tenant: Tenant,
                           now: datetime, own: set[str]) -> list[AckOutcome]:
    """`queue_acknowledgement` for a batch of new cases — (case, sender, Message-ID
    answered) — with both limits counted over the batch as well; one outcome per item."""
    outcomes = [AckOutcome() for _ in items]
    wanted = [(index, case, address.lower(), answering)
              for index, (case, address, answering) in enumerate(items)
              if _wants_ack(tenant, address.lower(), own)]
    if not wanted or _SUPPRESSED.get():
        return outcomes
    sent = dict(OutboundMail.objects.filter(
        tenant=tenant, kind=OutboundKind.ACKNOWLEDGEMENT,
        recipient__in={address for _, _, address, _ in wanted},
        created_at__gt=now - ACK_WINDOW,
    ).values("recipient").annotate(n=Count("id")).values_list("recipient", "n"))
    cap = tenant.mail_ack_tenant_per_hour
    tenant_sent = tenant_acks_last_hour(tenant, now, cap=cap)
    mails = []
    for index, case, address, answering in wanted:
        if sent.get(address, 0) >= tenant.mail_ack_per_hour:
            outcomes[index] = AckOutcome(withheld=AckWithheld.SENDER)
            continue
        if tenant_sent >= cap:
            outcomes[index] = AckOutcome(withheld=AckWithheld.TENANT)
            continue
        sent[address] = sent.get(address, 0) + 1
        tenant_sent += 1
        mail = _acknowledgement(case, address, now, answering)
        mails.append(mail)
        outcomes[index] = AckOutcome(mail=mail)
    _save(mails, now)
    return outcomes


# --- delivery ---------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed for good"


def claim_due(now: datetime, limit: int = 50) -> list[OutboundMail]:
    """Claims up to `limit` messages due now, and any whose claim has gone stale. Rows another
    worker holds are skipped, so any number of workers share the outbox."""
    due = (Q(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
           | Q(status=OutboundStatus.SENDING, claimed_at__lt=now - STALE_CLAIM))
    with transaction.atomic():
        rows = list(OutboundMail.objects.select_for_update(skip_locked=True)
                    .filter(due).order_by("next_attempt_at", "pk")[:limit])
        for row in rows:
            row.status = OutboundStatus.SENDING
            row.claimed_at = now
            row.attempts += 1
        OutboundMail.objects.bulk_update(rows, ["status", "claimed_at", "attempts"])
    return rows


def as_email(row: OutboundMail) -> EmailMessage:
    """The row as a message to send. Every header value is made one line here, whatever the
    row holds (a subject typed before subjects were kept to one line, say)."""
    headers = {"Message-ID": f"<{one_line(row.message_id)}>", "Auto-Submitted": (
        "auto-replied" if row.kind == OutboundKind.ACKNOWLEDGEMENT else "no")}
    if row.in_reply_to:
        headers["In-Reply-To"] = f"<{one_line(row.in_reply_to)}>"
    if row.references:
        headers["References"] = one_line(row.references)
    if row.kind == OutboundKind.ACKNOWLEDGEMENT:
        # Out-of-office robots are asked not to answer an acknowledgement.
        headers["X-Auto-Response-Suppress"] = "All"
    reply_to = one_line(row.reply_to)
    return EmailMessage(subject=one_line(row.subject), body=row.body,
                        from_email=one_line(row.from_address),
                        to=[one_line(a) for a in row.to], cc=[one_line(a) for a in row.cc],
                        reply_to=[reply_to] if reply_to else [], headers=headers)


def build_email(row: OutboundMail, *, check_address: Callable[[str], object] | None = None
                ) -> EmailMessage:
    """The row's message, built and encoded once before any connection is opened, so that
    a message that cannot be built fails here, on its own: every header and the body must
    encode, and every address pass `check_address` (the mailer's own check, which would
    otherwise refuse it in the middle of a batch). Raises whatever the building raised."""
    message = as_email(row)
    message.message(policy=email.policy.SMTP).as_bytes()
    if check_address is not None:
        for address in (message.from_email, *message.recipients()):
            check_address(address)
    return message


def deliver(rows: list[OutboundMail], now: datetime) -> DeliveryReport:
    """Sends claimed messages over one connection; each outcome is saved as it happens.

    Each message is built first, on its own (`build_email`): one that cannot be built fails
    for good with the reason, and holds back no other message or tenant. Then, over one
    connection, a refusal of one message (a 4xx or 5xx answer to it) is that message's alone,
    as is any error that is not the connection's (`OSError`, which smtplib's errors are). A
    failure of the connection (refused, timed out, dropped, login refused) stops the batch:
    the messages not yet tried are put back as they were, so one unreachable server costs one
    timeout, not one per message."""
    from django.core.mail import mailers

    report = DeliveryReport()
    if not rows:
        return report
    connection = mailers.default
    check_address = getattr(connection, "prep_address", None)
    ready: list[tuple[OutboundMail, EmailMessage]] = []
    for row in rows:
        try:
            ready.append((row, build_email(row, check_address=check_address)))
        except Exception as error:  # noqa: BLE001 - whatever it is, it is this message's
            _unbuildable(row, error, report)
    if not ready:
        return report
    try:
        connection.open()
    except Exception as error:
        _failed(ready[0][0], error, now, report)
        _release([row for row, _ in ready[1:]], now)
        return report
    try:
        for index, (row, message) in enumerate(ready):
            try:
                connection.send_messages([message])
            except Exception as error:
                if _message_refused(error):
                    _failed(row, error, now, report)
                elif not isinstance(error, OSError):
                    _unbuildable(row, error, report)
                else:
                    _failed(row, error, now, report)
                    _release([later for later, _ in ready[index + 1:]], now)
                    break
            else:
                row.status, row.sent_at, row.last_error = OutboundStatus.SENT, now, ""
                row.save(update_fields=["status", "sent_at", "last_error"])
                report.sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            log.warning("Closing the mail connection failed", exc_info=True)
    return report


def _unbuildable(row: OutboundMail, error: Exception, report: DeliveryReport) -> None:
    """A message that cannot be built (or sent) as it is: failed for good, at once, since
    every retry would fail the same way."""
    row.status = OutboundStatus.FAILED
    row.last_error = (f"This message cannot be built, so it was not sent: "
                      f"{describe_failure(error)}")[:2000]
    report.failed += 1
    log.error("Outbound mail %s cannot be built: %s", row.pk, row.last_error)
    row.save(update_fields=["status", "last_error"])


def _message_refused(error: Exception) -> bool:
    """Whether the server answered this message with a refusal (rather than the connection
    failing)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused
                      | smtplib.SMTPDataError) or (
        isinstance(error, smtplib.SMTPResponseException)
        and not isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPConnectError
                           | smtplib.SMTPHeloError))


def describe_failure(error: Exception) -> str:
    """What went wrong, as an admin reads it: the server's own answer where there is one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address} refused: {code} {_text(answer)}"
                         for address, (code, answer) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The server answered {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, TimeoutError | socket.timeout):
        return "No answer from the mail server in time (timed out)."
    if isinstance(error, ConnectionRefusedError):
        return "The mail server refused the connection (is it running on that port?)."
    if isinstance(error, OSError) and error.strerror:
        return f"Could not reach the mail server: {error.strerror}."
    return f"{type(error).__name__}: {error}"


def _text(answer: bytes | str) -> str:
    return (answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer).strip()


def _permanent(error: Exception) -> bool:
    """A 5xx answer: the server will not take this message however often it is sent."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return (isinstance(error, smtplib.SMTPResponseException) and _message_refused(error)
            and error.smtp_code >= 500)


def _failed(row: OutboundMail, error: Exception, now: datetime, report: DeliveryReport) -> None:
    row.last_error = describe_failure(error)[:2000]
    if row.attempts >= MAX_ATTEMPTS or _permanent(error):
        row.status = OutboundStatus.FAILED
        report.failed += 1
        log.error("Outbound mail %s failed for good: %s", row.pk, row.last_error)
    else:
        row.status = OutboundStatus.PENDING
        row.next_attempt_at = now + backoff(row.attempts)
        report.retrying += 1
    row.save(update_fields=["status", "last_error", "next_attempt_at"])


def _release(rows: list[OutboundMail], now: datetime) -> None:
    """Puts claimed messages that were never tried back, their attempt not counted, due when
    the one that failed is retried."""
    for row in rows:
        row.status = OutboundStatus.PENDING
        row.attempts -= 1
        row.next_attempt_at = now + backoff(1)
    OutboundMail.objects.bulk_update(rows, ["status", "attempts", "next_attempt_at"])


def deliver_due(now: datetime, *, batch: int = 50, max_batches: int = 20) -> DeliveryReport:
    """Delivers what is due, a batch at a time, until nothing is due or the budget is spent."""
    total = DeliveryReport()
    for _ in range(max_batches):
        rows = claim_due(now, batch)
        if not rows:
            break
        report = deliver(rows, now)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
    return total


def retry_now(mail: OutboundMail, *, now: datetime) -> OutboundMail:
    """An admin's "send again" on a message that failed for good (or waits for its retry)."""
    from casedesk.core.errors import Conflict

    with transaction.atomic():
        mail = OutboundMail.objects.select_for_update().get(pk=mail.pk)
        if mail.status not in (OutboundStatus.FAILED, OutboundStatus.PENDING):
            raise Conflict(f"This message is {mail.get_status_display().lower()}.")
        mail.status = OutboundStatus.PENDING
        mail.next_attempt_at = now
        mail.attempts = min(mail.attempts, MAX_ATTEMPTS - 1)
        mail.save(update_fields=["status", "next_attempt_at", "attempts"])
    transaction.on_commit(_wake_workers)
    return mail
