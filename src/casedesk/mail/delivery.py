"""Delivery of the outbox: each message built and sent over SMTP, its outcome recorded.

Workers deliver the outbox (`mail.outbox` writes it): each claims due rows with a lease,
sends, and records the outcome. A failure is retried with growing delays; a worker that dies
mid-send leaves a claim that goes stale and is taken again. Delivery is therefore at least
once, and each message keeps one Message-ID across attempts, so a receiver that sees it twice
can tell.
"""

from __future__ import annotations

import email.policy
import logging
import re
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q

from casedesk.cases.models import NoteAttachment
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 1, 2, 4 … minutes, capped."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(value: str) -> str:
    """A header value on one line: CR, LF and the other control characters (which the mail
    library refuses, and which would otherwise start a header of their own) become spaces,
    and every run of white space one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


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


# RFC 3834: an acknowledgement answers the customer's mail; a survey or a report is sent by
# the desk on its own.
_AUTO_SUBMITTED: dict[str, str] = {OutboundKind.ACKNOWLEDGEMENT: "auto-replied",
                                   OutboundKind.SURVEY: "auto-generated",
                                   OutboundKind.REPORT: "auto-generated"}


class FileUnreadable(OSError):
    """A reply's file could not be read from the storage (gone, or the storage is down): the
    message is retried like a failed connection, not failed for good at once."""


def reply_files(rows: list[OutboundMail]) -> dict[int, list[NoteAttachment]]:
    """The files each agent's reply among `rows` carries, by outbox row id, in one query. Only
    replies: an internal note is never mailed, and its files never leave."""
    replies: dict[tuple[int, int | None], int] = {
        (row.tenant_id, row.note_id): row.pk for row in rows
        if row.kind == OutboundKind.REPLY and row.note_id is not None}
    found: dict[int, list[NoteAttachment]] = {}
    if replies:
        for attachment in (NoteAttachment.objects
                           .filter(note_id__in=[note for _, note in replies])
                           .order_by("pk")):
            row_id = replies.get((attachment.tenant_id, attachment.note_id))
            if row_id is not None:
                found.setdefault(row_id, []).append(attachment)
    return found


def as_email(row: OutboundMail, files: list[NoteAttachment] | None = None) -> EmailMessage:
    """The row as a message to send, with `files` as MIME attachments (read through the
    storage API, so from local disk or object storage alike). Every header value is made
    one line here, whatever the row holds (a subject typed before subjects were kept to one
    line, say)."""
    headers = {"Message-ID": f"<{one_line(row.message_id)}>", "Auto-Submitted": (
        _AUTO_SUBMITTED.get(row.kind, "no"))}
    if row.in_reply_to:
        headers["In-Reply-To"] = f"<{one_line(row.in_reply_to)}>"
    if row.references:
        headers["References"] = one_line(row.references)
    if row.kind == OutboundKind.ACKNOWLEDGEMENT:
        # Out-of-office robots are asked not to answer an acknowledgement.
        headers["X-Auto-Response-Suppress"] = "All"
    reply_to = one_line(row.reply_to)
    message = EmailMessage(subject=one_line(row.subject), body=row.body,
                           from_email=one_line(row.from_address),
                           to=[one_line(a) for a in row.to], cc=[one_line(a) for a in row.cc],
                           reply_to=[reply_to] if reply_to else [], headers=headers)
    for attachment in files or []:
        try:
            with attachment.file.open("rb") as stored:
                content = stored.read()
        except OSError as error:
            raise FileUnreadable(f"{attachment.filename} could not be read from the file "
                                 f"storage ({error}); sending is tried again.") from error
        message.attach(one_line(attachment.filename), content, attachment.content_type)
    return message


def build_email(row: OutboundMail, *, check_address: Callable[[str], object] | None = None,
                files: list[NoteAttachment] | None = None) -> EmailMessage:
    """The row's message, built and encoded once before any connection is opened, so that
    a message that cannot be built fails here, on its own: every header and the body must
    encode, every file (`files`) be read from the storage, and every address pass
    `check_address` (the mailer's own check, which would otherwise refuse it in the middle
    of a batch). Raises whatever the building raised."""
    message = as_email(row, files)
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
    report = DeliveryReport()
    if not rows:
        return report
    connection = mailers.default
    check_address = getattr(connection, "prep_address", None)
    ready: list[tuple[OutboundMail, EmailMessage]] = []
    files = reply_files(rows)
    for row in rows:
        try:
            ready.append((row, build_email(row, check_address=check_address,
                                           files=files.get(row.pk))))
        except FileUnreadable as error:
            _failed(row, error, now, report)
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
        return "; ".join(f"{address} refused: {code} {_answer_text(answer)}"
                         for address, (code, answer) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The server answered {error.smtp_code} {_answer_text(error.smtp_error)}"
    if isinstance(error, TimeoutError | socket.timeout):
        return "No answer from the mail server in time (timed out)."
    if isinstance(error, ConnectionRefusedError):
        return "The mail server refused the connection (is it running on that port?)."
    if isinstance(error, OSError) and error.strerror:
        return f"Could not reach the mail server: {error.strerror}."
    return f"{type(error).__name__}: {error}"


def _answer_text(answer: bytes | str) -> str:
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


