"""Mail the desk sends: agents' public replies and the acknowledgement of a new case, written
to the outbox.

Nothing is sent inside a request. The change that calls for a message writes an
`OutboundMail` row in its own transaction (so the mail exists exactly when the reply does),
and after commit a worker is asked to deliver it (`mail.delivery`).

Every message threads back: its Message-ID is recorded as a thread key of the case, it answers
the customer's latest message (In-Reply-To, References), and its subject carries the case
token, so the customer's reply lands on the same case whichever of those their client keeps.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.template import Context, Engine, TemplateSyntaxError

from casedesk.cases.models import Case, Note, Participant
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import clipped, fit_problem, max_length
from casedesk.mail.delivery import MAX_ATTEMPTS, one_line
from casedesk.mail.models import (
    AckWithheld,
    InboundMessage,
    InboundStatus,
    OutboundKind,
    OutboundMail,
    OutboundStatus,
    ThreadKey,
)
from casedesk.mail.outbox_tasks import deliver_outbox
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant

log = logging.getLogger(__name__)

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


def check_template(text: str) -> None:
    """Refuses an acknowledgement template that does not compile."""
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise Invalid(f"The template does not compile: {error}",
                      field="mail_ack_template") from None


# --- addresses and headers --------------------------------------------------------------------

def sender_address(tenant: Tenant) -> str:
    return tenant.mail_from or tenant.mail_address or settings.DEFAULT_FROM_EMAIL


_QUEUE_ADDRESSES: dict[int, tuple[float, frozenset[str]]] = {}
_QUEUE_ADDRESSES_TTL = 30.0  # seconds; a queue's new address is known everywhere after that


def own_addresses(tenant: Tenant) -> set[str]:
    """The tenant's own addresses: never a participant, never mailed a copy. The queues'
    addresses are read at most every half minute per process (mail reads them per message)."""
    own = {a.lower() for a in (tenant.mail_from, tenant.mail_address, settings.DEFAULT_FROM_EMAIL)
           if a}
    cached = _QUEUE_ADDRESSES.get(tenant.pk)
    if cached is None or cached[0] < time.monotonic():
        emails = frozenset(e.lower() for e in Queue.objects.filter(tenant=tenant)
                           .exclude(email="").values_list("email", flat=True))
        cached = (time.monotonic() + _QUEUE_ADDRESSES_TTL, emails)
        _QUEUE_ADDRESSES[tenant.pk] = cached
    return own | cached[1]


def _from_header(tenant: Tenant, name: str = "") -> str:
    """`name` (else the tenant's sender name or name) and the tenant's sender address. A
    non-ASCII name is several times longer once encoded, so a long one is shortened until
    the header fits its column."""
    name = one_line(name or tenant.mail_from_name or tenant.name)
    address = sender_address(tenant)
    header, limit = formataddr((name, address)), max_length(OutboundMail, "from_address")
    while len(header) > limit and name:
        name = name[:min(len(name) - 1, len(name) * limit // len(header))].rstrip()
        header = formataddr((name, address))
    return header


def _reply_to(case: Case) -> str:
    """Where the customer's answer should go: the case's queue's own address, else the
    tenant's support address (which the listeners take in)."""
    queue = case.queue if case.queue_id is not None else None
    address = (queue.email if queue is not None else "") or case.tenant.mail_address
    return address if address and address != sender_address(case.tenant) else ""


def _new_message_id(case: Case) -> str:
    return _message_id(case.tenant, f"{case.tenant.case_prefix}{case.number}")


def _message_id(tenant: Tenant, idstring: str) -> str:
    """A new Message-ID on the sender's domain; of a very long domain only the end is used,
    so the ID fits its column. Its random part comes from `secrets`: make_msgid's own is
    only as random as the `random` module, which a library (or a test) may have seeded."""
    domain = sender_address(tenant).rpartition("@")[2] or "localhost"
    unique, _, _ = make_msgid(idstring=f"{idstring}.{secrets.token_hex(6)}",
                              domain="x").strip("<>").rpartition("@")
    room = max_length(OutboundMail, "message_id") - len(unique) - 1
    return f"{unique}@{domain[-room:].lstrip('.-') or 'localhost'}"


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
    return clipped(OutboundMail, "subject", f"Re: {subject}" if reply else subject)


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


ACCOUNT_MAILS_PER_HOUR = 5


def queue_account_mail(tenant: Tenant, to: str, subject: str, body: str, now: datetime,
                       sender_name: str = "") -> bool:
    """An invitation or a password-reset mail to one person, from the tenant's address, in
    the caller's transaction. Its body holds a link that signs someone in, so the outbox
    pages and the API never show it (`OutboundKind.ACCOUNT`). False, and nothing queued, once
    the address has had ACCOUNT_MAILS_PER_HOUR of them from the tenant within the hour:
    anyone may ask for a password reset for any address, and must not be able to flood it.
    `sender_name` names the sender instead of the tenant (the portal's sign-in mails)."""
    recent = OutboundMail.objects.filter(
        tenant_id=tenant.pk, recipient=to.lower(), kind=OutboundKind.ACCOUNT,
        created_at__gt=now - timedelta(hours=1)).count()
    if recent >= ACCOUNT_MAILS_PER_HOUR:
        log.warning("Account mail to %s withheld: %d sent within the hour", to, recent)
        return False
    mail = OutboundMail(
        tenant_id=tenant.pk, kind=OutboundKind.ACCOUNT,
        from_address=_from_header(tenant, sender_name),
        recipient=to.lower(), to=[to], cc=[], subject=one_line(subject)[:300], body=body,
        message_id=_message_id(tenant, "account"),
        next_attempt_at=now, created_at=now)
    _save([mail], now)
    return True


def queue_survey(*, case: Case, to: str, subject: str, body: str, now: datetime
                 ) -> OutboundMail | None:
    """A satisfaction survey about `case` to its customer, in the caller's transaction. Its
    links answer for the customer, so the outbox pages and the API never show its body
    (`OutboundKind.SURVEY`). None inside `mail_suppressed`."""
    if _SUPPRESSED.get():
        return None
    mail = _outbound(case, kind=OutboundKind.SURVEY, to=[to], cc=[], body=body, now=now)
    mail.subject = clipped(OutboundMail, "subject", one_line(subject))
    _save([mail], now)
    return mail


def queue_automation_mail(*, case: Case, to: str, subject: str, body: str, now: datetime,
                          threaded: bool = True) -> OutboundMail | None:
    """A mail an automation rule writes about `case`, to one address, in the caller's
    transaction; `threaded`: it answers the case's thread (a mail to the customer), else it
    stands alone (to a member). None inside `mail_suppressed`."""
    if _SUPPRESSED.get():
        return None
    headers = None if threaded else ThreadHeaders("", [])
    mail = _outbound(case, kind=OutboundKind.AUTOMATION, to=[to], cc=[], body=body, now=now,
                     headers=headers)
    subject = one_line(subject)
    if subject:
        mail.subject = clipped(OutboundMail, "subject", subject)
    _save([mail], now)
    return mail


def queue_report_mail(*, tenant: Tenant, to: str, subject: str, body: str, now: datetime
                      ) -> OutboundMail | None:
    """A report to one member (the monthly SLA compliance report), from the tenant's
    address, in the caller's transaction; it stands alone, about no case. None inside
    `mail_suppressed`."""
    if _SUPPRESSED.get():
        return None
    mail = OutboundMail(
        tenant_id=tenant.pk, kind=OutboundKind.REPORT, from_address=_from_header(tenant),
        recipient=to.lower(), to=[to], cc=[],
        subject=clipped(OutboundMail, "subject", one_line(subject)), body=body,
        message_id=_message_id(tenant, "report"), next_attempt_at=now, created_at=now)
    _save([mail], now)
    return mail


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
    cap = tenant.mail_ack_tenant_per_hour
    sent, sent_by_tenant = _acks_last_hour(tenant, address.lower(), now, cap=max(cap, 0))
    if sent >= tenant.mail_ack_per_hour:
        return AckWithheld.SENDER
    if sent_by_tenant >= cap:
        return AckWithheld.TENANT
    return AckWithheld.NONE


def _acks_last_hour(tenant: Tenant, recipient: str, now: datetime, *, cap: int
                    ) -> tuple[int, int]:
    """(to `recipient`, by the whole tenant up to `cap`) acknowledgements of the last hour,
    in one statement: every new case asks, so it is one round trip, not two. The same index
    ranges as `tenant_acks_last_hour`."""
    table = connection.ops.quote_name(OutboundMail._meta.db_table)
    since = connection.ops.adapt_datetimefield_value(now - ACK_WINDOW)
    kind = str(OutboundKind.ACKNOWLEDGEMENT)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {table} WHERE tenant_id = %s AND kind = %s"
            f" AND recipient = %s AND created_at > %s),"
            f" (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE tenant_id = %s AND kind = %s"
            f" AND created_at > %s LIMIT %s) recent)",
            [tenant.pk, kind, recipient, since, tenant.pk, kind, since, cap])
        row = cursor.fetchone()
    return int(row[0]), int(row[1])


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
    return (tenant.mail_ack_enabled and "@" in address and address not in own
            and fit_problem(OutboundMail, "recipient", address) is None)


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


# --- sending again ----------------------------------------------------------------------------

def retry_now(mail: OutboundMail, *, now: datetime) -> OutboundMail:
    """An admin's "send again" on a message that failed for good (or waits for its retry)."""
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
