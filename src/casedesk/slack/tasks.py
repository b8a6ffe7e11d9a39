"""Background posting of the Slack outbox (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.core import clock
from casedesk.slack.delivery import deliver_due_posts


@task(queue_name="default")
def deliver_slack_posts() -> str:
    """Posts what is due. Safe to run any number of times at once: rows are claimed with
    SKIP LOCKED and a lease, and what one run leaves (a retry not yet due) the schedule's
    `slack` job comes back for."""
    return deliver_due_posts(clock.now()).summary()
