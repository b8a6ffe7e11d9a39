"""Mail set aside for a person: a stored message re-processed (one the parser refused, once it
is fixed, or one a crash left unread), and a held message (a stranger's answer to a case)
accepted onto its case or filed as a new one.

Each is one transaction with the message's row locked, so two people pressing the button at
once file it once; a message in the wrong state is refused with `Conflict`. Who may call them
(managers and admins) is the caller's business.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models.functions import Lower

from casedesk.cases.models import Case
from casedesk.core.errors import Conflict, NotFound
from casedesk.mail.filing import Ingested
from casedesk.mail.headers import addressed_to
from casedesk.mail.holding import file_held
from casedesk.mail.ingest import process
from casedesk.mail.models import InboundMessage, InboundStatus
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant

# A message still "received" this soon after it arrived may be in the middle of being taken in
# by its channel; re-processing it then would race that delivery.
STUCK_AFTER = timedelta(minutes=10)
REPROCESSABLE = (InboundStatus.QUARANTINED, InboundStatus.RECEIVED)


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
    """The queue a new case goes to when the message was addressed to a queue's own address:
    the first of its addresses that is an active queue's address of the tenant."""
    addresses = addressed_to(raw)
    if not addresses:
        return None
    queues = dict(Queue.objects.filter(tenant_id=tenant.pk, is_active=True)
                  .exclude(email="").annotate(address=Lower("email"))
                  .filter(address__in=addresses).values_list("address", "pk"))
    return next((queues[a] for a in addresses if a in queues), None)


def _locked(message: InboundMessage) -> InboundMessage:
    stored = (InboundMessage.objects.select_for_update()
              .filter(tenant_id=message.tenant_id, pk=message.pk).first())
    if stored is None:
        raise NotFound(f"No inbound message {message.pk} in this tenant.")
    stored.tenant = message.tenant
    return stored


def inbound_reprocess(message: InboundMessage, *, now: datetime) -> Ingested:
    """Reads a stored message again and files it, as if it had just arrived: for a message
    the parser refused (after the parser is fixed) or one a crash left unread.

    One transaction, with the row locked, so two admins pressing the button at once make one
    case; a message that is processed or a duplicate is refused (Conflict).
    """
    with transaction.atomic():
        stored = _locked(message)
        refusal = reprocess_refusal(stored, now)
        if refusal is not None:
            raise Conflict(refusal)
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
        stored = _locked(message)
        if stored.status != InboundStatus.HELD:
            raise Conflict(f"Only a held message is accepted or filed this way; this one is "
                           f"{stored.status}.")
        if stored.case_id is not None:
            stored.case = Case.objects.filter(pk=stored.case_id).first()
        result = file_held(stored, now=now, accept=accept)
    if result.case is not None:
        result.case.tenant = message.tenant
    return result
