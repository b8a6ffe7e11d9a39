"""Reads of the mail app, tenant-scoped by construction: the inbound and outgoing mail lists
(newest first, a keyset page at a time), the counts the tabs and the navigation show, a
stored message's bytes and headers, a case's attachments, the mailboxes, how the tenant's
acknowledgement cap stands, and what became of each public reply's mail (shown by other apps
through `cases.hooks`)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

from casedesk.cases.models import Case
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.mail.headers import summary_headers
from casedesk.mail.models import (
    AckWithheld,
    Attachment,
    AuthVerdict,
    InboundMessage,
    InboundStatus,
    Mailbox,
    OutboundKind,
    OutboundMail,
    OutboundStatus,
)
from casedesk.mail.outbox import ACK_WINDOW, tenant_acks_last_hour
from casedesk.tenancy.models import Tenant

INBOUND_FILTERS = (InboundStatus.QUARANTINED, InboundStatus.HELD, InboundStatus.PROCESSED,
                   InboundStatus.DUPLICATE, InboundStatus.RECEIVED)
# Failed first: what needs a person; then what waits, what is on its way, what went.
OUTBOUND_FILTERS = (OutboundStatus.FAILED, OutboundStatus.PENDING, OutboundStatus.SENDING,
                    OutboundStatus.SENT)
MAX_PAGE = 100
# How far the count of withheld acknowledgements goes on the settings page.
WITHHELD_COUNT_CAP = 10_000


# --- the mail lists -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Page[Row: Model]:
    """One page of a mail list, and the cursor of the next one (None on the last)."""

    rows: list[Row]
    next_cursor: str | None


def inbound_page(tenant: Tenant, *, status: str = InboundStatus.QUARANTINED,
                 cursor: str | None = None, limit: int = 50) -> Page[InboundMessage]:
    """One status's messages newest first, by keyset on (received_at, id): the
    (tenant, status, -received_at) index serves every page in the same time."""
    if status not in INBOUND_FILTERS:
        raise Invalid(f"status is one of: {', '.join(INBOUND_FILTERS)}.", field="status")
    return _newest_first(
        tenant, InboundMessage.objects.filter(tenant_id=tenant.pk, status=status).defer("raw"),
        "received_at", cursor, limit)


def outbound_page(tenant: Tenant, *, status: str = OutboundStatus.FAILED,
                  cursor: str | None = None, limit: int = 50) -> Page[OutboundMail]:
    """One status's messages newest first, by keyset on (created_at, id), like the inbound
    list; the bodies, which may be long, are not read."""
    if status not in OUTBOUND_FILTERS:
        raise Invalid(f"status is one of: {', '.join(OUTBOUND_FILTERS)}.", field="status")
    return _newest_first(
        tenant, OutboundMail.objects.filter(tenant_id=tenant.pk, status=status).defer("body"),
        "created_at", cursor, limit)


def _newest_first[Row: Model](tenant: Tenant, qs: QuerySet[Row], time_field: str,
                              cursor: str | None, limit: int) -> Page[Row]:
    """A page of rows (with their case) newest first, by keyset on (`time_field`, id), and
    the cursor of the next page, if any."""
    limit = max(1, min(limit, MAX_PAGE))
    qs = qs.select_related("case").order_by(f"-{time_field}", "-id")
    if cursor:
        at, last_id = _cursor_key(cursor)
        # The first condition bounds the index range; the second breaks ties in time.
        qs = qs.filter(**{f"{time_field}__lte": at}).filter(
            Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "id__lt": last_id}))
    rows = list(qs[:limit + 1])
    for row in rows:
        row.tenant = tenant  # type: ignore[attr-defined]
        case = row.case  # type: ignore[attr-defined]
        if case is not None:
            case.tenant = tenant
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([getattr(last, time_field).isoformat(), last.pk])
    return Page(rows=rows[:limit], next_cursor=next_cursor)


def _cursor_key(cursor: str) -> tuple[datetime, int]:
    """The (received_at, id) a cursor continues after; Invalid for anything forged (a date
    or an id the database could not even compare with)."""
    at_text, last_id = decode_cursor(cursor, length=2)
    try:
        at = parse_datetime(at_text) if isinstance(at_text, str) else None
        if at is not None and at.tzinfo is not None:
            at = at.astimezone(UTC)
    except (ValueError, OverflowError):
        at = None
    if (at is None or at.tzinfo is None or not isinstance(last_id, int)
            or isinstance(last_id, bool) or not 0 < last_id <= MAX_ID):
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor")
    return at, last_id


# --- counts for the tabs and the navigation -----------------------------------------------------

HIDDEN_BODY = ("(Not shown: this mail holds links that act for its recipient. Only they "
               "can read it.)")
_HIDDEN_KINDS = (OutboundKind.ACCOUNT, OutboundKind.SURVEY)


def shown_body(mail: OutboundMail) -> str:
    """The text of an outgoing mail as the outbox pages and the API show it: an invitation's
    or a password reset's link would let whoever reads it in as the recipient, and a
    survey's links would let them answer it."""
    return HIDDEN_BODY if mail.kind in _HIDDEN_KINDS else mail.body


def quarantined_count(tenant_id: int, *, cap: int = 100) -> int:
    """How many messages wait in quarantine, counted up to `cap` (an index range scan that
    stays cheap however many there are)."""
    return (InboundMessage.objects.filter(tenant_id=tenant_id,
                                          status=InboundStatus.QUARANTINED)
            .order_by().values("pk")[:cap].count())


def held_count(tenant_id: int, *, cap: int = 100) -> int:
    """How many strangers' answers wait to be accepted, counted up to `cap` like the
    quarantine."""
    return (InboundMessage.objects.filter(tenant_id=tenant_id, status=InboundStatus.HELD)
            .order_by().values("pk")[:cap].count())


def failed_outbound_count(tenant_id: int, *, cap: int = 100) -> int:
    """How many messages failed for good, counted up to `cap` (cheap however many there
    are, like the quarantine count)."""
    return (OutboundMail.objects.filter(tenant_id=tenant_id, status=OutboundStatus.FAILED)
            .order_by().values("pk")[:cap].count())


# --- one inbound message ------------------------------------------------------------------------

def inbound_raw(message: InboundMessage) -> bytes:
    """The message's bytes exactly as they arrived (read only when asked for: it may be
    large, so lists and pages defer it)."""
    raw = (InboundMessage.objects.filter(tenant_id=message.tenant_id, pk=message.pk)
           .values_list("raw", flat=True).first())
    if raw is None:
        raise NotFound(f"No inbound message {message.pk} in this tenant.")
    return bytes(raw)


def inbound_headers(message: InboundMessage, raw: bytes | None = None) -> list[tuple[str, str]]:
    """The headers an admin looks at first, decoded for reading (`mail.headers`); `raw` when
    the caller read the bytes already."""
    return summary_headers(inbound_raw(message) if raw is None else raw)


@dataclass(frozen=True)
class AuthWarning:
    """The one warning a case page shows when mail on the case failed sender
    authentication: how many messages, and the latest of them."""

    count: int
    latest: InboundMessage


def case_auth_warning(case: Case) -> AuthWarning | None:
    """The mail filed on the case whose sender authentication failed, if any (one query on
    the (case, received_at) index)."""
    failed = list(InboundMessage.objects.filter(case=case, status=InboundStatus.PROCESSED,
                                                auth_verdict=AuthVerdict.FAIL).defer("raw")
                  .order_by("-received_at", "-pk")[:MAX_PAGE])
    return AuthWarning(len(failed), failed[0]) if failed else None


# --- attachments and mailboxes ------------------------------------------------------------------

def case_attachments(case: Case) -> QuerySet[Attachment]:
    """The files mail brought to a case, oldest first (one query, however many)."""
    return (Attachment.objects.filter(tenant_id=case.tenant_id, case=case)
            .order_by("created_at", "id"))


def mailboxes_of(tenant: Tenant) -> list[Mailbox]:
    return list(Mailbox.objects.filter(tenant_id=tenant.pk).select_related("queue")
                .order_by("name", "id"))


# --- the acknowledgement cap --------------------------------------------------------------------

@dataclass(frozen=True)
class AckUsage:
    """The tenant's acknowledgements of the last hour, for admins: how many were sent (up to
    the cap), and how many the tenant's cap withheld."""

    sent: int
    cap: int
    withheld: int

    @property
    def capped(self) -> bool:
        return self.sent >= self.cap


def ack_usage(tenant: Tenant, now: datetime) -> AckUsage:
    """How the tenant's hourly acknowledgement cap stands at `now`. Two bounded index range
    counts: the acknowledgements sent (up to the cap), and the new cases whose acknowledgement
    the cap withheld (each marked on its inbound message, up to `WITHHELD_COUNT_CAP`)."""
    cap = tenant.mail_ack_tenant_per_hour
    withheld = (InboundMessage.objects.filter(tenant_id=tenant.pk,
                                              ack_withheld=AckWithheld.TENANT,
                                              processed_at__gt=now - ACK_WINDOW)
                .order_by().values("pk")[:WITHHELD_COUNT_CAP].count())
    return AckUsage(sent=tenant_acks_last_hour(tenant, now, cap=cap), cap=cap,
                    withheld=withheld)


# --- the mail of public replies -----------------------------------------------------------------

_MAIL_SHOWN = ("id", "note_id", "recipient", "to", "cc", "status", "attempts",
               "next_attempt_at", "sent_at", "last_error")


def mail_of_replies(case: Case, note_ids: list[int]) -> dict[int, OutboundMail]:
    """The mail carrying each of these replies, by note id, in one query (none for no
    replies). A reply without an entry was mailed to nobody."""
    if not note_ids:
        return {}
    rows = (OutboundMail.objects.filter(tenant_id=case.tenant_id, case=case,
                                        kind=OutboundKind.REPLY, note_id__in=note_ids)
            .only(*_MAIL_SHOWN).order_by("id"))
    return {row.note_id: row for row in rows if row.note_id is not None}


def reply_mail_out(mail: OutboundMail) -> dict[str, Any]:
    """What became of a reply's mail, as the API shows it beside the note."""
    return {"outbound_id": mail.pk, "status": mail.status, "to": list(mail.to),
            "cc": list(mail.cc), "attempts": mail.attempts, "sent_at": mail.sent_at,
            "next_attempt_at": (mail.next_attempt_at if mail.status == OutboundStatus.PENDING
                                else None),
            "last_error": mail.last_error}


def replies_mail_out(case: Case, note_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {note_id: reply_mail_out(mail)
            for note_id, mail in mail_of_replies(case, note_ids).items()}
