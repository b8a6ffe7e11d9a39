"""Background work of the mail app (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.core import clock
from casedesk.mail.imap import poll_due_mailboxes


@task(queue_name="mail")
def poll_mailboxes() -> dict[str, str]:
    """Polls every IMAP mailbox that is due. Safe to run twice, or on two workers at once: each
    mailbox is leased by one poller, and a message taken in twice makes one case."""
    return {label: result.summary()
            for label, result in poll_due_mailboxes(clock.now()).items()}
