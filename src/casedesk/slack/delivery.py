"""Posting the Slack outbox: due rows claimed, posted with `chat.postMessage`, the answer
recorded. Run by the worker's `slack` job (`ops/schedule.py`, every few seconds) and by the
task each new post enqueues.

Claims: a row is claimed with a lease (`next_attempt_at` and `claimed_until` moved `LEASE`
ahead, under SKIP LOCKED on PostgreSQL and a compare-and-set that works on any engine), so
two workers never post one row at once, and a worker killed mid-run delays a row until its
lease ends. A thread's rows go in order: a row is claimed only when no earlier row of its
thread is still waiting, so the message that starts a thread is posted before the replies in
it, and a reply that must wait holds back the ones after it. Delivery is at least once (a
worker killed between Slack's answer and the record posts that row again).

Failures: a 429 waits Slack's `Retry-After` and holds back the installation's other rows for
that long; other failures wait `domain.backoff` (30 s, 1, 2, 4 … minutes). An error trying
again cannot mend (a channel the bot is not in, a revoked token) or `MAX_ATTEMPTS` tries
fail the row for good; the settings page lists such rows. An agent's reply that failed for
good is mailed to the customer instead (when the case's contact has an address), and a
`/case` thread whose first message failed takes no more replies: they are mailed too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from casedesk.cases.models import Note
from casedesk.mail.outbox import queue_reply
from casedesk.slack import webapi
from casedesk.slack.domain import (
    EVENTS_KEEP,
    MAX_ATTEMPTS,
    SEEN_KEEP,
    backoff,
    is_permanent,
    retry_after,
)
from casedesk.slack.models import (
    PostKind,
    PostStatus,
    SlackEventSeen,
    SlackInstallation,
    SlackPost,
    SlackRequestSeen,
    SlackThread,
    ThreadStatus,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 50
RUN_BUDGET = 60.0  # seconds one run keeps claiming batches


@dataclass
class DeliveryReport:
    posted: int = 0
    retrying: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"{self.posted} posted, {self.retrying} to retry, {self.failed} failed for good"

    def add(self, other: DeliveryReport) -> None:
        self.posted += other.posted
        self.retrying += other.retrying
        self.failed += other.failed


def claim_due(now: datetime, limit: int = BATCH) -> list[SlackPost]:
    """Claims up to `limit` due rows of enabled installations, each the first waiting row of
    its thread (a `/case` thread's replies only once its first message has a ts)."""
    lease = now + LEASE
    earlier = SlackPost.objects.filter(
        thread_id=OuterRef("thread_id"), status=PostStatus.PENDING, pk__lt=OuterRef("pk")
    )
    claimed: list[SlackPost] = []
    with transaction.atomic():
        rows = list(
            SlackPost.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=PostStatus.PENDING, next_attempt_at__lte=now, installation__is_enabled=True
            )
            .filter(Q(kind=PostKind.OPENED) | ~Q(thread__thread_ts=""))
            .filter(~Exists(earlier))
            .order_by("next_attempt_at", "pk")[:limit]
        )
        for row in rows:
            won = SlackPost.objects.filter(
                pk=row.pk,
                status=PostStatus.PENDING,
                next_attempt_at=row.next_attempt_at,
            ).update(next_attempt_at=lease, claimed_until=lease)
            if won:
                row.next_attempt_at = row.claimed_until = lease
                claimed.append(row)
    return claimed


def deliver(
    rows: list[SlackPost], now: datetime, *, started: float | None = None
) -> DeliveryReport:
    """Posts claimed rows one after the other (the network outside any transaction), and
    records each answer as it comes."""
    report = DeliveryReport()
    if not rows:
        return report
    started = time.monotonic() if started is None else started
    installations = SlackInstallation.objects.in_bulk({row.installation_id for row in rows})
    threads = SlackThread.objects.in_bulk({row.thread_id for row in rows})
    held_until: dict[int, datetime] = {}  # installations Slack rate-limited in this run
    for row in rows:
        at = now + timedelta(seconds=time.monotonic() - started)
        installation = installations.get(row.installation_id)
        thread = threads.get(row.thread_id)
        if installation is None or thread is None:
            continue  # uninstalled meanwhile: its rows went with it
        if installation.pk in held_until:
            _put_back(row, held_until[installation.pk])
            continue
        opening = row.kind == PostKind.OPENED
        answer = webapi.post_message(
            installation.bot_token,
            channel=thread.channel_id,
            text=row.text,
            thread_ts="" if opening else thread.thread_ts,
        )
        if isinstance(answer, webapi.Posted):
            _record_posted(row, thread, answer, at)
            report.posted += 1
        elif answer.is_rate_limited:
            held_until[installation.pk] = at + retry_after(answer.retry_after)
            _record_failed(
                row, thread, answer.error, at, report, retry_at=held_until[installation.pk]
            )
        else:
            _record_failed(row, thread, answer.error, at, report)
    return report


def deliver_due_posts(now: datetime) -> DeliveryReport:
    """Posts what is due, a batch at a time, until nothing is due or RUN_BUDGET is spent.
    Safe on any number of workers at once."""
    total = DeliveryReport()
    started = time.monotonic()
    while time.monotonic() - started < RUN_BUDGET:
        rows = claim_due(now + timedelta(seconds=time.monotonic() - started))
        if not rows:
            break
        total.add(deliver(rows, now, started=started))
    return total


def seen_prune(now: datetime) -> int:
    """Forgets request signatures older than any acceptable timestamp, and event ids past
    Slack's retries."""
    signatures, _ = SlackRequestSeen.objects.filter(seen_at__lt=now - SEEN_KEEP).delete()
    events, _ = SlackEventSeen.objects.filter(received_at__lt=now - EVENTS_KEEP).delete()
    return signatures + events


def slack_due(now: datetime) -> Iterator[str]:
    """The worker's `slack` job: the outbox posted, old replay and retry marks pruned."""
    seen_prune(now)
    report = deliver_due_posts(now)
    if report.posted or report.retrying or report.failed:
        yield f"Slack: {report.summary()}"


def _put_back(row: SlackPost, until: datetime) -> None:
    """A claimed row not tried this run: due again at `until`, its attempts unchanged."""
    SlackPost.objects.filter(pk=row.pk, status=PostStatus.PENDING).update(
        next_attempt_at=until, claimed_until=None
    )


def _record_posted(
    row: SlackPost, thread: SlackThread, posted: webapi.Posted, at: datetime
) -> None:
    with transaction.atomic():
        SlackPost.objects.filter(pk=row.pk).update(
            status=PostStatus.SENT,
            attempts=row.attempts + 1,
            sent_ts=posted.ts[:32],
            sent_at=at,
            claimed_until=None,
            last_error="",
        )
        if row.kind == PostKind.OPENED:
            # The message that opened the case starts its thread: replies come in under it.
            SlackThread.objects.filter(pk=thread.pk, status=ThreadStatus.PENDING).update(
                thread_ts=posted.ts[:32], channel_id=posted.channel[:32], status=ThreadStatus.OPEN
            )


def _record_failed(
    row: SlackPost,
    thread: SlackThread,
    error: str,
    at: datetime,
    report: DeliveryReport,
    *,
    retry_at: datetime | None = None,
) -> None:
    attempts = row.attempts + 1
    error = error[:500]
    if attempts < MAX_ATTEMPTS and not is_permanent(error):
        SlackPost.objects.filter(pk=row.pk, status=PostStatus.PENDING).update(
            attempts=attempts,
            last_error=error,
            claimed_until=None,
            next_attempt_at=retry_at or at + backoff(attempts),
        )
        report.retrying += 1
        return
    with transaction.atomic():
        _fail(row, error, attempts, at)
        report.failed += 1
        if row.kind == PostKind.OPENED:
            # Nothing can go into a thread that never started: the replies already waiting
            # for it are mailed, and the case's next replies are mailed too.
            SlackThread.objects.filter(pk=thread.pk).update(status=ThreadStatus.FAILED)
            waiting = list(
                SlackPost.objects.select_for_update()
                .filter(thread=thread, status=PostStatus.PENDING)
                .order_by("pk")
            )
            for other in waiting:
                _fail(other, "The thread's first message could not be posted.", other.attempts, at)
                report.failed += 1
    log.warning("Slack post %s failed for good: %s", row.pk, error)


def _fail(row: SlackPost, error: str, attempts: int, at: datetime) -> None:
    """Marks a row failed for good; an agent's reply is mailed instead (inside the caller's
    transaction, as the reply's own mail would have been)."""
    mailed = False
    if row.note_id is not None:
        note = (
            Note.objects.select_related("author", "case", "case__tenant", "case__contact")
            .filter(pk=row.note_id)
            .first()
        )
        if note is not None:
            mailed = queue_reply(case=note.case, note=note, now=at) is not None
    SlackPost.objects.filter(pk=row.pk).update(
        status=PostStatus.FAILED,
        attempts=attempts,
        last_error=error[:500],
        claimed_until=None,
        mailed_instead=mailed,
    )
