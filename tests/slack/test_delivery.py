"""Agents' public replies mirrored into the case's Slack thread through the Slack outbox, and
the worker that posts it: order within a thread, retries, 429s, giving up (and mailing the
reply instead), claims two workers never share."""

from datetime import timedelta

import pytest

from casedesk.cases.services import case_add_note
from casedesk.mail.models import OutboundMail
from casedesk.ops.schedule import jobs
from casedesk.slack.delivery import LEASE, claim_due, deliver_due_posts, slack_due
from casedesk.slack.domain import MAX_ATTEMPTS
from casedesk.slack.models import (
    PostKind,
    PostStatus,
    SlackInstallation,
    SlackPost,
    SlackThread,
    ThreadStatus,
)
from tests.conftest import NOW
from tests.factories import make_case
from tests.slack.conftest import CHANNEL, opened_thread, slack_cases

pytestmark = pytest.mark.usefixtures("installation")


def reply(case, agent, body="We are on it.", *, is_public=True, now=NOW):
    return case_add_note(case=case, actor=agent.user, body=body, is_public=is_public, now=now)


def reply_mail(case):
    return OutboundMail.objects.filter(case=case, kind="reply")


def test_an_agents_public_reply_is_posted_to_the_thread_and_not_mailed(
    slack, slack_api, agent, clock
) -> None:
    case, thread = opened_thread(slack, clock)
    assert case.contact.email  # a reply would be mailed to this address

    note = reply(case, agent, "Please <!channel> restart it & wait")
    deliver_due_posts(NOW)

    post = slack_api.posts()[-1]
    assert post["channel"] == CHANNEL and post["thread_ts"] == thread.thread_ts
    assert post["text"] == "*Alice Agent*: Please &lt;!channel&gt; restart it &amp; wait"
    row = SlackPost.objects.get(note=note)
    assert (row.kind, row.status, row.attempts) == (PostKind.REPLY, PostStatus.SENT, 1)
    assert not reply_mail(case).exists()


def test_an_internal_note_stays_inside(slack, slack_api, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    posted = len(slack_api.posts())

    reply(case, agent, "Between us", is_public=False)
    deliver_due_posts(NOW)

    assert len(slack_api.posts()) == posted
    assert not SlackPost.objects.filter(kind=PostKind.REPLY).exists()


def test_a_case_without_a_slack_thread_is_mailed_as_ever(tenant, agent, slack_api) -> None:
    from tests.factories import ContactFactory

    case = make_case(tenant, contact_id=ContactFactory(tenant=tenant).pk)

    reply(case, agent)

    assert reply_mail(case).count() == 1
    assert not SlackPost.objects.exists()


@pytest.mark.parametrize("change", [{"mirror_replies": False}, {"is_enabled": False}])
def test_replies_are_mailed_when_slack_does_not_carry_them(
    slack, slack_api, agent, clock, installation, change
) -> None:
    case, _ = opened_thread(slack, clock)
    SlackInstallation.objects.filter(pk=installation.pk).update(**change)

    reply(case, agent)

    assert reply_mail(case).count() == 1
    assert not SlackPost.objects.filter(kind=PostKind.REPLY).exists()


def test_a_reply_before_the_thread_exists_waits_for_its_first_message(
    slack, slack_api, tenant, agent
) -> None:
    slack.command("Printer on fire")
    case = slack_cases(tenant).get()

    reply(case, agent, "First answer")
    reply(case, agent, "Second answer")
    report = deliver_due_posts(NOW)

    assert report.posted == 3
    opening, first, second = slack_api.posts()
    assert not opening.get("thread_ts")
    thread = SlackThread.objects.get(case=case)
    assert first["thread_ts"] == second["thread_ts"] == thread.thread_ts
    assert (first["text"], second["text"]) == (
        "*Alice Agent*: First answer",
        "*Alice Agent*: Second answer",
    )
    assert not reply_mail(case).exists()


def test_a_429_waits_slacks_retry_after_then_posts(slack, slack_api, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    note = reply(case, agent)
    slack_api.rate_limit_once("chat.postMessage", retry_after=30)

    first = deliver_due_posts(NOW)

    row = SlackPost.objects.get(note=note)
    assert (first.posted, first.retrying) == (0, 1)
    assert row.status == PostStatus.PENDING and row.last_error == "ratelimited"
    # Slack's 30 s, counted from the try (the run's own time is not asserted).
    assert NOW + timedelta(seconds=30) <= row.next_attempt_at < NOW + timedelta(seconds=90)
    assert deliver_due_posts(NOW + timedelta(seconds=10)).posted == 0
    assert deliver_due_posts(NOW + timedelta(seconds=90)).posted == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (PostStatus.SENT, 2)


def test_a_429_holds_back_the_installations_other_posts_in_that_run(
    slack, slack_api, agent, clock, tenant
) -> None:
    one, _ = opened_thread(slack, clock)
    clock.advance(seconds=1)
    two, _ = opened_thread(slack, clock, "Second case")
    reply(one, agent, "To one")
    reply(two, agent, "To two")
    slack_api.rate_limit_once("chat.postMessage", retry_after=60)
    before = len(slack_api.posts())

    deliver_due_posts(clock.now)

    assert len(slack_api.posts()) == before + 1  # the 429; the other was not tried
    waiting = SlackPost.objects.filter(kind=PostKind.REPLY, status=PostStatus.PENDING)
    assert waiting.count() == 2
    assert all(row.next_attempt_at >= clock.now + timedelta(seconds=60) for row in waiting)


def test_an_error_is_retried_with_backoff(slack, slack_api, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    note = reply(case, agent)
    slack_api.fail_next("chat.postMessage", "internal_error", times=2)

    deliver_due_posts(NOW)
    row = SlackPost.objects.get(note=note)
    assert NOW + timedelta(seconds=30) <= row.next_attempt_at < NOW + timedelta(seconds=90)
    deliver_due_posts(NOW + timedelta(seconds=90))
    row.refresh_from_db()
    assert row.attempts == 2 and row.status == PostStatus.PENDING
    assert row.next_attempt_at >= NOW + timedelta(seconds=90 + 60)
    deliver_due_posts(NOW + timedelta(minutes=5))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (PostStatus.SENT, 3, "")


def test_after_max_attempts_the_post_fails_and_the_reply_is_mailed_instead(
    slack, slack_api, agent, clock, admin_api
) -> None:
    case, _ = opened_thread(slack, clock)
    note = reply(case, agent)
    slack_api.fail_next("chat.postMessage", "internal_error", times=MAX_ATTEMPTS)

    at = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver_due_posts(at)
        at += timedelta(hours=2)

    row = SlackPost.objects.get(note=note)
    assert (row.status, row.attempts) == (PostStatus.FAILED, MAX_ATTEMPTS)
    assert row.mailed_instead and reply_mail(case).count() == 1
    failures = admin_api.get("/slack/installation").json()["posts"]
    assert failures["failed"] == 1
    assert failures["recent_failures"][0]["case_number"] == case.display_number
    assert failures["recent_failures"][0]["error"] == "internal_error"


def test_an_error_retrying_cannot_mend_fails_at_once(slack, slack_api, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    note = reply(case, agent)
    slack_api.fail_next("chat.postMessage", "is_archived")

    report = deliver_due_posts(NOW)

    row = SlackPost.objects.get(note=note)
    assert report.failed == 1 and (row.status, row.attempts) == (PostStatus.FAILED, 1)
    assert row.mailed_instead


def test_a_thread_whose_first_message_fails_takes_no_replies(
    slack, slack_api, tenant, agent
) -> None:
    slack.command("Printer on fire")
    case = slack_cases(tenant).get()
    waiting = reply(case, agent, "Queued before the failure")
    slack_api.fail_next("chat.postMessage", "not_in_channel")

    report = deliver_due_posts(NOW)

    thread = SlackThread.objects.get(case=case)
    assert thread.status == ThreadStatus.FAILED and report.failed == 2
    assert SlackPost.objects.get(note=waiting).mailed_instead
    later = reply(case, agent, "After it")
    assert not SlackPost.objects.filter(note=later).exists()
    assert reply_mail(case).count() == 2


def test_two_workers_never_claim_the_same_row(slack, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    reply(case, agent)

    first = claim_due(NOW)
    second = claim_due(NOW)

    assert len(first) == 1 and second == []
    # A worker that died holding it: the row comes due again when its lease ends.
    assert claim_due(NOW + LEASE + timedelta(seconds=1))[0].pk == first[0].pk


def test_a_threads_rows_are_claimed_one_at_a_time_in_order(slack, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    notes = [reply(case, agent, f"Reply {i}") for i in range(3)]

    [claimed] = claim_due(NOW)

    assert claimed.note_id == notes[0].pk


def test_the_worker_schedule_runs_the_slack_job(slack, slack_api, agent, clock) -> None:
    case, _ = opened_thread(slack, clock)
    reply(case, agent)

    job = next(job for job in jobs() if job.name == "slack")
    assert job.every_s <= 5.0
    assert list(job.run(NOW)) == ["Slack: 1 posted, 0 to retry, 0 failed for good"]
    assert list(slack_due(NOW)) == []
