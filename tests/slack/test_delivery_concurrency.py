"""Workers racing over the Slack outbox on PostgreSQL: every queued message reaches Slack
exactly once, whichever worker claims it (SKIP LOCKED and the lease's compare-and-set)."""

from collections import Counter

import pytest
from django.db import connection

from casedesk.ops.provisioning import tenant_create
from casedesk.slack.delivery import deliver_due_posts
from casedesk.slack.installation import installation_save
from casedesk.slack.models import PostKind, PostStatus, SlackPost, SlackThread, ThreadStatus
from tests.cases.test_concurrency import _race
from tests.conftest import NOW, postgres_only
from tests.factories import make_case
from tests.slack.conftest import SECRET, TEAM, TOKEN
from tests.slack.standin import SlackStandIn

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
THREADS_OF_CASES = 30


def test_racing_workers_post_each_message_once(slack_api: SlackStandIn) -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="slackrace", name="Slack race", admin_email="a@race.test")
    installation = installation_save(
        tenant=tenant, actor=None, now=NOW, changes={"signing_secret": SECRET, "bot_token": TOKEN}
    )
    assert installation.team_id == TEAM
    for i in range(THREADS_OF_CASES):
        case = make_case(tenant, subject=f"Race {i}", source="slack")
        thread = SlackThread.objects.create(
            tenant=tenant,
            case=case,
            team_id=TEAM,
            channel_id="C0RACE",
            thread_ts=f"1700000000.{i:06}",
            status=ThreadStatus.OPEN,
            created_at=NOW,
        )
        for n in range(2):
            SlackPost.objects.create(
                tenant=tenant,
                installation=installation,
                thread=thread,
                case=case,
                kind=PostKind.NOTICE,
                text=f"Race {i}.{n}",
                next_attempt_at=NOW,
                created_at=NOW,
            )

    reports = _race(lambda i: deliver_due_posts(NOW))

    assert not [r for r in reports if isinstance(r, BaseException)], reports
    texts = Counter(post["text"] for post in slack_api.posts())
    assert len(texts) == THREADS_OF_CASES * 2 and set(texts.values()) == {1}
    assert sum(r.posted for r in reports) == THREADS_OF_CASES * 2
    assert not SlackPost.objects.exclude(status=PostStatus.SENT).exists()
    # Each thread's two messages went in the order they were queued.
    order = [post["text"] for post in slack_api.posts()]
    for i in range(THREADS_OF_CASES):
        assert order.index(f"Race {i}.0") < order.index(f"Race {i}.1")
