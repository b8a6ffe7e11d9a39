"""The Slack outbox's writers: posts queued in the transaction of the change that calls for
them (a case opened, an agent's public reply), and the reply carrier `cases` asks about
every agent's public reply (registered in `SlackConfig.ready`). The worker posts them
(`slack.delivery`); a wake-up task is queued after commit so it happens within seconds."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.db import transaction

from casedesk.cases.models import Case, Note
from casedesk.slack.domain import reply_post
from casedesk.slack.models import PostKind, SlackPost, SlackThread
from casedesk.slack.selectors import carrying_thread
from casedesk.slack.tasks import deliver_slack_posts

log = logging.getLogger(__name__)


def post_queue(
    *,
    installation_id: int,
    thread: SlackThread,
    kind: str,
    text: str,
    now: datetime,
    case: Case | None = None,
    note: Note | None = None,
) -> SlackPost:
    """One message for the worker to post into `thread` (an `opened` post starts it), in the
    caller's transaction."""
    post = SlackPost.objects.create(
        tenant_id=thread.tenant_id,
        installation_id=installation_id,
        thread=thread,
        case=case,
        note=note,
        kind=kind,
        text=text,
        next_attempt_at=now,
        created_at=now,
    )
    _wake_workers_soon()
    return post


def reply_carry(case: Case, note: Note, now: datetime) -> bool:
    """`cases.hooks.on_reply_carrier`: when the case has a Slack thread (and Slack is
    installed, enabled and mirrors replies), queues the agent's public reply for it, in the
    reply's transaction, and says so: the reply is then not mailed."""
    found = carrying_thread(case)
    if found is None:
        return False
    thread, installation_id = found
    author = note.author.display_name if note.author is not None else case.tenant.name
    post_queue(
        installation_id=installation_id,
        thread=thread,
        kind=PostKind.REPLY,
        text=reply_post(author, note.body),
        now=now,
        case=case,
        note=note,
    )
    return True


_WAKE_EVERY = 1.0  # seconds
_last_wake = 0.0


def _wake_workers_soon() -> None:
    """After commit, asks a worker to post now; at most once a second per process (one run
    posts everything due, and the schedule comes back every few seconds anyway)."""
    global _last_wake
    if time.monotonic() - _last_wake >= _WAKE_EVERY:
        _last_wake = time.monotonic()
        transaction.on_commit(_wake_workers)


def _wake_workers() -> None:
    try:
        deliver_slack_posts.enqueue()
    except Exception:  # the schedule's run picks the posts up anyway
        log.exception("Could not enqueue Slack delivery")
