"""Mail meant for a queue archived since (its mailbox's queue, its address's, the queue of
the case it follows up) is filed where routing puts it, never left unfiled."""

from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.models import InboundStatus
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW


def message(n: int) -> bytes:
    return (f"From: jo{n}@customer.example\r\nSubject: Help {n}\r\n"
            f"Message-ID: <arch{n}@customer.example>\r\n\r\nPlease help.\r\n").encode()


def test_mail_for_an_archived_queue_is_routed_instead(tenant: Tenant, finance: Queue) -> None:
    finance.is_active = False
    finance.save()
    one = ingest(tenant=tenant, raw=message(1), now=NOW, queue_id=finance.pk)
    many = ingest_batch(tenant=tenant, raws=[message(2), message(3)], now=NOW,
                       queue_id=finance.pk)
    for done in (one, *many):
        assert done.message.status == InboundStatus.PROCESSED, done.message.error
        assert done.case is not None and done.case.queue_id != finance.pk
