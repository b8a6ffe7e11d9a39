"""Mail administration: re-processing stored messages, the outbox as sent (or not), the
tenant's IMAP mailboxes, its mail settings, and the reads the console and the API show them
with.

Writes are plain functions, one transaction each, that check everything before they store
anything and refuse with `Invalid` (naming the field) or `Conflict`. Who may call them is the
caller's business (managers read and re-process, admins change the set-up). Reads always take
the tenant, so another tenant's id is simply not found.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from casedesk.cases.models import Case
from casedesk.core import net
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.mail.models import (
    AckWithheld,
    Attachment,
    AuthVerdict,
    InboundMessage,
    InboundStatus,
    Mailbox,
    MailboxSecurity,
    OutboundMail,
    OutboundStatus,
    ProcessedAction,
)
from casedesk.mail.outbox import ACK_WINDOW, check_template, tenant_acks_last_hour
from casedesk.mail.parsing import decode_header_value
from casedesk.mail.services import Ingested, file_held, process
from casedesk.routing.models import Queue
from casedesk.tenancy.models import StrangerAction, Tenant

# A message still "received" this soon after it arrived may be in the middle of being taken in
# by its channel; re-processing it then would race that delivery.
STUCK_AFTER = timedelta(minutes=10)
REPROCESSABLE = (InboundStatus.QUARANTINED, InboundStatus.RECEIVED)
INBOUND_FILTERS = (InboundStatus.QUARANTINED, InboundStatus.HELD, InboundStatus.PROCESSED,
                   InboundStatus.DUPLICATE, InboundStatus.RECEIVED)
MAX_PAGE = 100
# Headers come first in a message; reading this much is enough to show them, and spares
# parsing a 25 MB body to show a summary.
HEADER_BYTES = 64 * 1024
SUMMARY_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID",
                   "In-Reply-To", "References", "Delivered-To", "Auto-Submitted",
                   "Content-Type")
MAX_HEADER_TEXT = 2000
# Images a browser may show in the page; anything else (SVG, which can carry script, above
# all) is only ever downloaded.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


# --- inbound messages ---------------------------------------------------------------------------

@dataclass(frozen=True)
class InboundPage:
    rows: list[InboundMessage]
    next_cursor: str | None


def get_inbound(tenant: Tenant, inbound_id: int) -> InboundMessage:
    """A stored message of the tenant; NotFound for anything else (another tenant's too)."""
    message = (InboundMessage.objects.select_related("case").defer("raw")
               .filter(tenant_id=tenant.pk, pk=inbound_id).first()
               if 0 < inbound_id <= MAX_ID else None)
    if message is None:
        raise NotFound(f"No inbound message {inbound_id} in this tenant.")
    message.tenant = tenant
    if message.case is not None:
        message.case.tenant = tenant
    return message


def inbound_raw(message: InboundMessage) -> bytes:
    """The message's bytes exactly as they arrived (read only when asked for: it may be
    large, so lists and pages defer it)."""
    raw = (InboundMessage.objects.filter(tenant_id=message.tenant_id, pk=message.pk)
           .values_list("raw", flat=True).first())
    if raw is None:
        raise NotFound(f"No inbound message {message.pk} in this tenant.")
    return bytes(raw)


def inbound_page(tenant: Tenant, *, status: str = InboundStatus.QUARANTINED,
                 cursor: str | None = None, limit: int = 50) -> InboundPage:
    """One status's messages newest first, by keyset on (received_at, id): the
    (tenant, status, -received_at) index serves every page in the same time."""
    if status not in INBOUND_FILTERS:
        raise Invalid(f"status is one of: {', '.join(INBOUND_FILTERS)}.", field="status")
    rows, next_cursor = _newest_first(
        tenant, InboundMessage.objects.filter(tenant_id=tenant.pk, status=status).defer("raw"),
        "received_at", cursor, limit)
    return InboundPage(rows=rows, next_cursor=next_cursor)


def _newest_first(tenant: Tenant, qs: QuerySet[Any], time_field: str, cursor: str | None,
                  limit: int) -> tuple[list[Any], str | None]:
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
        row.tenant = tenant
        if row.case is not None:
            row.case.tenant = tenant
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([getattr(last, time_field).isoformat(), last.pk])
    return rows[:limit], next_cursor


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


def _header_block(raw: bytes) -> Message | None:
    try:
        return BytesParser(policy=compat32).parsebytes(raw[:HEADER_BYTES], headersonly=True)
    except Exception:  # noqa: BLE001 - a message the parser refuses simply shows no headers
        return None


def inbound_headers(message: InboundMessage, raw: bytes | None = None) -> list[tuple[str, str]]:
    """The headers an admin looks at first, decoded for reading; [] when there are none to
    read (the message may be the garbage that got it quarantined)."""
    block = _header_block(inbound_raw(message) if raw is None else raw)
    if block is None:
        return []
    shown = []
    for name in SUMMARY_HEADERS:
        for value in block.get_all(name) or []:
            try:
                text = decode_header_value(str(value))
            except Exception:  # noqa: BLE001
                text = str(value)
            text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
            shown.append((name, text[:MAX_HEADER_TEXT]))
    return shown


def reprocess_refusal(message: InboundMessage, now: datetime) -> str | None:
    """Why the message cannot be re-processed now; None when it can."""
    if message.status not in REPROCESSABLE:
        return (f"Only a quarantined message, or one stuck as received, is re-processed; this "
                f"one is {message.status}.")
    if message.status == InboundStatus.RECEIVED and now - message.received_at < STUCK_AFTER:
        return ("This message arrived moments ago and may still be being taken in; try again "
                f"in {int(STUCK_AFTER.total_seconds() // 60)} minutes if it stays received.")
    return None


def _queue_for(tenant: Tenant, raw: bytes) -> int | None:
    """The queue a new case goes to when the message was addressed to a queue's own address.

    The envelope recipient the channel saw is not stored, so the addressing headers stand in
    for it: the first of them that is an active queue's address of the tenant."""
    block = _header_block(raw)
    if block is None:
        return None
    values = [str(v) for name in ("Delivered-To", "X-Original-To", "To", "Cc")
              for v in block.get_all(name) or []]
    addresses = [a.strip().lower() for _, a in getaddresses(values) if "@" in a][:50]
    if not addresses:
        return None
    queues = dict(Queue.objects.filter(tenant_id=tenant.pk, is_active=True)
                  .exclude(email="").annotate(address=Lower("email"))
                  .filter(address__in=addresses).values_list("address", "pk"))
    return next((queues[a] for a in addresses if a in queues), None)


def inbound_reprocess(message: InboundMessage, *, now: datetime) -> Ingested:
    """Reads a stored message again and files it, as if it had just arrived: for a message
    the parser refused (after the parser is fixed) or one a crash left unread.

    One transaction, with the row locked, so two admins pressing the button at once make one
    case; a message that is processed or a duplicate is refused (Conflict).
    """
    with transaction.atomic():
        stored = (InboundMessage.objects.select_for_update()
                  .filter(tenant_id=message.tenant_id, pk=message.pk).first())
        if stored is None:
            raise NotFound(f"No inbound message {message.pk} in this tenant.")
        refusal = reprocess_refusal(stored, now)
        if refusal is not None:
            raise Conflict(refusal)
        stored.tenant = message.tenant
        queue_id = stored.queue_id or _queue_for(stored.tenant, bytes(stored.raw))
        # A person pressed the button: mail quarantined for its failed sender authentication
        # is filed now (the verdict stays on it and is shown).
        result = process(stored, now=now, queue_id=queue_id, accept_failed_auth=True)
    if result.case is not None:
        result.case.tenant = message.tenant
    return result


def inbound_file_held(message: InboundMessage, *, now: datetime, accept: bool) -> Ingested:
    """A manager's answer to a held message (a stranger's answer to a case): `accept` files
    it on the case it answers and makes its sender a participant; otherwise it becomes a new
    case linked to that one. One transaction with the row locked, so two managers pressing at
    once file it once; a message that is not held (any more) is refused (Conflict)."""
    with transaction.atomic():
        stored = (InboundMessage.objects.select_for_update()
                  .filter(tenant_id=message.tenant_id, pk=message.pk).first())
        if stored is None:
            raise NotFound(f"No inbound message {message.pk} in this tenant.")
        if stored.status != InboundStatus.HELD:
            raise Conflict(f"Only a held message is accepted or filed this way; this one is "
                           f"{stored.status}.")
        stored.tenant = message.tenant
        if stored.case_id is not None:
            stored.case = Case.objects.filter(pk=stored.case_id).first()
        result = file_held(stored, now=now, accept=accept)
    if result.case is not None:
        result.case.tenant = message.tenant
    return result


# --- outbound mail ------------------------------------------------------------------------------

# Failed first: what needs a person; then what waits, what is on its way, what went.
OUTBOUND_FILTERS = (OutboundStatus.FAILED, OutboundStatus.PENDING, OutboundStatus.SENDING,
                    OutboundStatus.SENT)


@dataclass(frozen=True)
class OutboundPage:
    rows: list[OutboundMail]
    next_cursor: str | None


def get_outbound(tenant: Tenant, outbound_id: int) -> OutboundMail:
    """A message of the tenant's outbox; NotFound for anything else (another tenant's too)."""
    mail = (OutboundMail.objects.select_related("case").filter(tenant_id=tenant.pk,
                                                               pk=outbound_id).first()
            if 0 < outbound_id <= MAX_ID else None)
    if mail is None:
        raise NotFound(f"No outbound message {outbound_id} in this tenant.")
    mail.tenant = tenant
    if mail.case is not None:
        mail.case.tenant = tenant
    return mail


def outbound_page(tenant: Tenant, *, status: str = OutboundStatus.FAILED,
                  cursor: str | None = None, limit: int = 50) -> OutboundPage:
    """One status's messages newest first, by keyset on (created_at, id), like the inbound
    list; the bodies, which may be long, are not read."""
    if status not in OUTBOUND_FILTERS:
        raise Invalid(f"status is one of: {', '.join(OUTBOUND_FILTERS)}.", field="status")
    rows, next_cursor = _newest_first(
        tenant, OutboundMail.objects.filter(tenant_id=tenant.pk, status=status).defer("body"),
        "created_at", cursor, limit)
    return OutboundPage(rows=rows, next_cursor=next_cursor)


def failed_outbound_count(tenant_id: int, *, cap: int = 100) -> int:
    """How many messages failed for good, counted up to `cap` (cheap however many there
    are, like the quarantine count)."""
    return (OutboundMail.objects.filter(tenant_id=tenant_id, status=OutboundStatus.FAILED)
            .order_by().values("pk")[:cap].count())


# --- attachments --------------------------------------------------------------------------------

def case_attachments(case: Case) -> QuerySet[Attachment]:
    """The files mail brought to a case, oldest first (one query, however many)."""
    return (Attachment.objects.filter(tenant_id=case.tenant_id, case=case)
            .order_by("created_at", "id"))


def get_case_attachment(case: Case, attachment_id: int) -> Attachment:
    """An attachment of that case; NotFound for anything else (another case's or tenant's)."""
    attachment = (case_attachments(case).filter(pk=attachment_id).first()
                  if 0 < attachment_id <= MAX_ID else None)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} on {case.display_number}.")
    if attachment.dropped or not attachment.file:
        raise NotFound(f"{attachment.filename} was over the size limit and was not kept.")
    attachment.case = case
    return attachment


def attachment_serving(attachment: Attachment) -> tuple[str, bool]:
    """The Content-Type to serve an attachment with, and whether it may show inline.

    The type came from the sender, so it is only trusted in shape; only the raster image
    types browsers render safely are shown inline, everything else is a download."""
    content_type = attachment.content_type.strip().lower()
    if not _MEDIA_TYPE.match(content_type):
        content_type = "application/octet-stream"
    return content_type, content_type in INLINE_IMAGE_TYPES


# --- mailboxes ----------------------------------------------------------------------------------

MAILBOX_FIELDS = ("name", "host", "port", "security", "ca_certificate", "username",
                  "password", "folder", "processed_action", "move_to", "queue_id",
                  "poll_seconds", "enabled")
MAILBOX_DEFAULTS: dict[str, Any] = {
    "port": 993, "security": MailboxSecurity.SSL, "ca_certificate": "", "folder": "INBOX",
    "processed_action": ProcessedAction.FLAG, "move_to": "Processed", "queue_id": None,
    "poll_seconds": 60, "enabled": True,
}
MIN_POLL_SECONDS = 10
MAX_POLL_SECONDS = 24 * 60 * 60
MAX_CA_CERTIFICATE = 64 * 1024
# A changed server or account needs the password typed again, so the stored password is
# never handed to a server it was not given for.
_CREDENTIAL_SCOPE = ("host", "username")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def get_mailbox(tenant: Tenant, mailbox_id: int) -> Mailbox:
    """A mailbox of the tenant; NotFound for anything else (another tenant's too)."""
    mailbox = (Mailbox.objects.select_related("queue").filter(tenant_id=tenant.pk,
                                                              pk=mailbox_id).first()
               if 0 < mailbox_id <= MAX_ID else None)
    if mailbox is None:
        raise NotFound(f"No mailbox {mailbox_id} in this tenant.")
    mailbox.tenant = tenant
    return mailbox


def mailboxes_of(tenant: Tenant) -> list[Mailbox]:
    return list(Mailbox.objects.filter(tenant_id=tenant.pk).select_related("queue")
                .order_by("name", "id"))


def _text(values: dict[str, Any], name: str, label: str, *, max_length: int,
          required: bool = True, strip: bool = True) -> str:
    """A single-line text value: control characters (a CR/LF smuggling a second IMAP
    command, a NUL PostgreSQL cannot store) are refused."""
    value = values.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=name)
    if strip:
        value = value.strip()
    if required and not value:
        raise Invalid(f"{label} is required.", field=name)
    if len(value) > max_length:
        raise Invalid(f"{label} is at most {max_length} characters.", field=name)
    if any(not ch.isprintable() for ch in value):
        raise Invalid(f"{label} must not contain control characters.", field=name)
    return value


def _whole(values: dict[str, Any], name: str, label: str, low: int, high: int) -> int:
    value = values.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{label} must be a whole number.", field=name)
    if not low <= value <= high:
        raise Invalid(f"{label} is from {low} to {high}.", field=name)
    return value


def _flag(values: dict[str, Any], name: str) -> bool:
    value = values.get(name)
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false.", field=name)
    return value


def _host(text: str) -> str:
    host = text.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.split(".")
    if not ascii_host or len(ascii_host) > 253 or not all(_HOST_LABEL.match(p) for p in labels):
        raise Invalid("The server is a host name such as imap.example.com, or an IP address.",
                      field="host")
    return host


def _ca_certificate(text: str) -> str:
    if not text:
        return ""
    try:
        if not text.isascii():  # PEM is ASCII; ssl raises a TypeError on anything else
            raise ValueError(text)
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError):
        raise Invalid("The CA certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----"
                      " …).", field="ca_certificate") from None
    return text


def _tenant_queue(tenant: Tenant, queue_id: Any) -> bool:
    return (isinstance(queue_id, int) and not isinstance(queue_id, bool)
            and 0 < queue_id <= MAX_ID
            and Queue.objects.filter(tenant_id=tenant.pk, pk=queue_id).exists())


def _check_mailbox(tenant: Tenant, values: dict[str, Any], *, mailbox_id: int | None
                   ) -> dict[str, Any]:
    """The mailbox's values, checked and normalised; Invalid names the first bad field."""
    clean: dict[str, Any] = {
        "name": _text(values, "name", "The name", max_length=100),
        "host": _host(_text(values, "host", "The server", max_length=255)),
        "port": _whole(values, "port", "The port", 1, 65535),
    }
    # An internal address typed as such is refused as it is saved; a name is vetted, address
    # by address, each time the poller connects (core.net).
    if net.literal_refusal(clean["host"]) is not None:
        raise Invalid(net.NOT_ALLOWED, field="host")
    security = values.get("security")
    if security not in MailboxSecurity.values:
        raise Invalid(f"security is one of: {', '.join(MailboxSecurity.values)}.",
                      field="security")
    if security == MailboxSecurity.NONE and not net.is_loopback(clean["host"]):
        raise Invalid("Without TLS the password and the mail cross the network in the clear: "
                      "only a server on this machine (localhost, 127.0.0.1, ::1) may go "
                      "without it.", field="security")
    clean["security"] = security
    certificate = values.get("ca_certificate") or ""
    if not isinstance(certificate, str) or len(certificate) > MAX_CA_CERTIFICATE:
        raise Invalid("The CA certificate is PEM text of at most 64 KB.",
                      field="ca_certificate")
    if "\x00" in certificate:
        raise Invalid("The CA certificate must not contain NUL characters.",
                      field="ca_certificate")
    clean["ca_certificate"] = _ca_certificate(certificate.strip())
    clean["username"] = _text(values, "username", "The username", max_length=255)
    clean["password"] = _text(values, "password", "The password", max_length=255,
                              strip=False)
    clean["folder"] = _text(values, "folder", "The folder", max_length=255)
    action = values.get("processed_action")
    if action not in ProcessedAction.values:
        raise Invalid(f"processed_action is one of: {', '.join(ProcessedAction.values)}.",
                      field="processed_action")
    clean["processed_action"] = action
    move_to = _text(values, "move_to", "The folder to move mail to", max_length=255,
                    required=action == ProcessedAction.MOVE)
    if action == ProcessedAction.MOVE and move_to == clean["folder"]:
        raise Invalid("Move taken mail to another folder than the one polled, or it would be "
                      "found again.", field="move_to")
    clean["move_to"] = move_to
    queue_id = values.get("queue_id")
    if queue_id is not None and not _tenant_queue(tenant, queue_id):
        raise Invalid(f"No queue with id {queue_id}.", field="queue_id")
    clean["queue_id"] = queue_id
    clean["poll_seconds"] = _whole(values, "poll_seconds", "The polling interval",
                                   MIN_POLL_SECONDS, MAX_POLL_SECONDS)
    clean["enabled"] = _flag(values, "enabled")
    taken = Mailbox.objects.filter(tenant_id=tenant.pk, name__iexact=clean["name"])
    if mailbox_id is not None:
        taken = taken.exclude(pk=mailbox_id)
    if taken.exists():
        raise Invalid(f"There is already a mailbox named “{clean['name']}”.", field="name")
    return clean


def _refuse_unknown(values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(MAILBOX_FIELDS))
    if unknown:
        raise Invalid(f"{unknown[0]} is not a mailbox setting.", field=unknown[0])


def _name_taken(name: str) -> Invalid:
    return Invalid(f"There is already a mailbox named “{name}”.", field="name")


def mailbox_create(*, tenant: Tenant, values: dict[str, Any], now: datetime) -> Mailbox:
    """Adds an IMAP mailbox for the tenant's workers to poll; every setting is checked first
    and nothing is stored when one is refused."""
    _refuse_unknown(values)
    clean = _check_mailbox(tenant, {**MAILBOX_DEFAULTS, **values}, mailbox_id=None)
    try:
        with transaction.atomic():
            return Mailbox.objects.create(tenant=tenant, created_at=now, **clean)
    except IntegrityError:  # the same name, saved at the same moment
        raise _name_taken(clean["name"]) from None


def mailbox_update(*, mailbox: Mailbox, changes: dict[str, Any]) -> Mailbox:
    """Changes the settings given. A blank or missing password keeps the stored one, except
    when the server or username changes: then the password must be given again."""
    _refuse_unknown(changes)
    changes = dict(changes)
    if not changes.get("password"):
        changes.pop("password", None)
    current = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS}
    merged = {**current, **changes}
    moved = [name for name in _CREDENTIAL_SCOPE
             if str(merged[name]).strip().lower() != str(current[name]).strip().lower()]
    if moved and "password" not in changes:
        raise Invalid(f"Enter the password again: the {'server' if moved[0] == 'host' else
                      'username'} changed, and the stored password is only sent where it was "
                      "given for.", field="password")
    clean = _check_mailbox(mailbox.tenant, merged, mailbox_id=mailbox.pk)
    changed = [name for name in MAILBOX_FIELDS if clean[name] != current[name]]
    for name in changed:
        setattr(mailbox, name, clean[name])
    if changed:
        try:
            with transaction.atomic():
                mailbox.save(update_fields=changed)
        except IntegrityError:
            raise _name_taken(clean["name"]) from None
    if "queue_id" in changed:
        mailbox.queue = (Queue.objects.filter(pk=mailbox.queue_id).first()
                         if mailbox.queue_id else None)
    return mailbox


def mailbox_delete(*, mailbox: Mailbox) -> None:
    """Stops polling the mailbox and forgets its settings; mail already taken in stays."""
    Mailbox.objects.filter(tenant_id=mailbox.tenant_id, pk=mailbox.pk).delete()


# --- the tenant's mail settings -----------------------------------------------------------------

MAIL_SETTINGS = ("mail_address", "mail_max_bytes", "mail_match_account_by_domain",
                 "mail_from", "mail_from_name", "mail_ack_enabled", "mail_ack_template",
                 "mail_ack_per_hour", "mail_ack_tenant_per_hour", "mail_stranger_action",
                 "mail_quarantine_failed_auth", "mail_authserv_ids")
MB = 1024 * 1024
MIN_MAIL_BYTES = 1 * MB
MAX_MAIL_BYTES = 100 * MB
MAX_ACK_PER_HOUR = 100
MAX_ACK_TENANT_PER_HOUR = 10_000
MAX_TEMPLATE = 20_000
MAX_AUTHSERV_IDS = 255
# An authserv-id as servers write it: a host name, mostly (RFC 8601 allows any token).
_AUTHSERV_ID = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,252}[a-z0-9])?$")
# How far the count of withheld acknowledgements goes on the settings page.
WITHHELD_COUNT_CAP = 10_000


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


def _address(changes: dict[str, Any], name: str, label: str) -> str:
    value = _text(changes, name, label, max_length=254, required=False).lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise Invalid(f"{label} is not an email address.", field=name) from None
    return value


def _address_owner(tenant: Tenant, address: str) -> str | None:
    """Who else takes mail at `address`: the listeners route by it, so two owners would send
    one tenant's mail to the other."""
    if Tenant.objects.exclude(pk=tenant.pk).filter(mail_address__iexact=address).exists():
        return "another tenant"
    queue = (Queue.objects.filter(email__iexact=address)
             .values_list("tenant_id", "name").first())
    if queue is not None:
        return f"the queue {queue[1]}" if queue[0] == tenant.pk else "another tenant"
    return None


def mail_settings_update(*, tenant: Tenant, changes: dict[str, Any]) -> Tenant:
    """Changes the tenant's mail settings given; all of them or, when one is refused, none.

    The support address must be the tenant's alone, the size limit is 1 to 100 MB and the
    acknowledgement template must compile (it is rendered for every new case from mail)."""
    unknown = sorted(set(changes) - set(MAIL_SETTINGS))
    if unknown:
        raise Invalid(f"{unknown[0]} is not a mail setting.", field=unknown[0])
    clean: dict[str, Any] = {}
    if "mail_address" in changes:
        address = _address(changes, "mail_address", "The support address")
        owner = _address_owner(tenant, address) if address else None
        if owner is not None:
            raise Invalid(f"{address} already takes mail for {owner}.", field="mail_address")
        clean["mail_address"] = address
    if "mail_from" in changes:
        clean["mail_from"] = _address(changes, "mail_from", "The sender address")
    if "mail_from_name" in changes:
        clean["mail_from_name"] = _text(changes, "mail_from_name", "The sender name",
                                        max_length=100, required=False)
    if "mail_max_bytes" in changes:
        value = changes["mail_max_bytes"]
        if (not isinstance(value, int) or isinstance(value, bool)
                or not MIN_MAIL_BYTES <= value <= MAX_MAIL_BYTES):
            raise Invalid("The largest message taken whole is from 1 MB to 100 MB "
                          f"({MIN_MAIL_BYTES} to {MAX_MAIL_BYTES} bytes).",
                          field="mail_max_bytes")
        clean["mail_max_bytes"] = value
    for name in ("mail_match_account_by_domain", "mail_ack_enabled"):
        if name in changes:
            clean[name] = _flag(changes, name)
    if "mail_ack_per_hour" in changes:
        clean["mail_ack_per_hour"] = _whole(changes, "mail_ack_per_hour",
                                            "Acknowledgements per sender an hour", 0,
                                            MAX_ACK_PER_HOUR)
    if "mail_ack_tenant_per_hour" in changes:
        clean["mail_ack_tenant_per_hour"] = _whole(changes, "mail_ack_tenant_per_hour",
                                                   "Acknowledgements an hour in all", 0,
                                                   MAX_ACK_TENANT_PER_HOUR)
    if "mail_stranger_action" in changes:
        action = changes["mail_stranger_action"]
        if action not in StrangerAction.values:
            raise Invalid(f"mail_stranger_action is one of: {', '.join(StrangerAction.values)}.",
                          field="mail_stranger_action")
        clean["mail_stranger_action"] = action
    if "mail_quarantine_failed_auth" in changes:
        clean["mail_quarantine_failed_auth"] = _flag(changes, "mail_quarantine_failed_auth")
    if "mail_authserv_ids" in changes:
        clean["mail_authserv_ids"] = _authserv_ids(changes)
    if "mail_ack_template" in changes:
        clean["mail_ack_template"] = _ack_template(changes["mail_ack_template"])
    if clean:
        with transaction.atomic():
            for name, value in clean.items():
                setattr(tenant, name, value)
            tenant.save(update_fields=list(clean))
    return tenant


def _authserv_ids(changes: dict[str, Any]) -> str:
    """The receiving server's authserv-id(s), normalised to "a, b" in lower case."""
    text = _text(changes, "mail_authserv_ids", "The trusted authserv-ids",
                 max_length=MAX_AUTHSERV_IDS, required=False)
    ids: list[str] = []
    for part in text.replace(",", " ").split():
        part = part.lower()
        if not _AUTHSERV_ID.match(part):
            raise Invalid(f"“{part}” is not an authserv-id: a host name such as "
                          "mx.example.com, as the server writes it in Authentication-Results.",
                          field="mail_authserv_ids")
        if part not in ids:
            ids.append(part)
    value = ", ".join(ids)
    if len(value) > MAX_AUTHSERV_IDS:
        raise Invalid(f"The trusted authserv-ids are at most {MAX_AUTHSERV_IDS} characters.",
                      field="mail_authserv_ids")
    return value


def _ack_template(value: Any) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid("The acknowledgement template must be text.", field="mail_ack_template")
    if len(value) > MAX_TEMPLATE:
        raise Invalid(f"The acknowledgement template is at most {MAX_TEMPLATE} characters.",
                      field="mail_ack_template")
    if "\x00" in value:
        raise Invalid("The acknowledgement template must not contain NUL characters.",
                      field="mail_ack_template")
    if value.strip():
        # With the engine the outbox renders with (plain text, no app tag libraries), so a
        # template accepted here also renders there.
        check_template(value)
    return value if value.strip() else ""
