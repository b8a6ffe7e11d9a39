"""Background delivery of the outbox (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.core import clock
from casedesk.mail.delivery import deliver_due


@task(queue_name="mail")
def deliver_outbox() -> str:
    """Sends what is due. Safe to run any number of times at once: rows are claimed with
    SKIP LOCKED, and what one run leaves (a retry not yet due) the schedule comes back for."""
    return deliver_due(clock.now()).summary()
