"""Mail kept aside for a person. Quarantined: unreadable, a mail loop, or mail whose sender
authentication failed where the tenant quarantines such mail; kept and listed for an admin,
never dropped. Held: a stranger's answer to a case, when the tenant says so; nothing is filed
until a manager accepts it onto the case or files it as a new case linked to it.
"""

from __future__ import annotations

from datetime import datetime

from casedesk.cases.models import Case
from casedesk.core.errors import Conflict
from casedesk.core.limits import clipped
from casedesk.mail.filing import (
    READ_FIELDS,
    Ingested,
    file_message,
    mark_duplicate,
    with_storable_ids,
)
from casedesk.mail.models import InboundMessage, InboundStatus
from casedesk.mail.parsing.message import glimpse, parse_message


def quarantine(stored: InboundMessage, reason: str) -> Ingested:
    """Keeps a message for an admin with the `reason`, its sender and subject glimpsed from
    whatever of its headers can be read."""
    stored.status = InboundStatus.QUARANTINED
    stored.error = reason[:2000]
    sender, subject = glimpse(bytes(stored.raw))
    stored.sender = clipped(InboundMessage, "sender", sender)
    stored.subject = clipped(InboundMessage, "subject", subject)
    stored.save(update_fields=["status", "error", "sender", "subject", "auth_verdict",
                               "auth_summary"])
    return Ingested(InboundStatus.QUARANTINED, stored)


def hold(stored: InboundMessage, case: Case, now: datetime) -> Ingested:
    """Keeps a stranger's answer to `case` for a manager to accept onto it or file as a new
    case; nothing is filed, no one is added, nothing is sent. The same message delivered
    again while it waits is a duplicate."""
    if stored.message_id:
        earlier = (InboundMessage.objects.filter(tenant_id=stored.tenant_id,
                                                 status=InboundStatus.HELD,
                                                 message_id=stored.message_id)
                   .exclude(pk=stored.pk).select_related("case").first())
        if earlier is not None:
            return mark_duplicate(stored, earlier.case, now)
    stored.status = InboundStatus.HELD
    stored.case = case
    stored.note_id = None
    stored.processed_at = now
    stored.error = (f"{stored.sender or 'The sender'} takes no part in "
                    f"{case.display_number}, which this message answers. Accept it to file it "
                    "there (the sender then takes part in the case and gets its replies), or "
                    "file it as a new case linked to it.")
    stored.save(update_fields=READ_FIELDS)
    return Ingested(InboundStatus.HELD, stored, case)


def file_held(stored: InboundMessage, *, now: datetime, accept: bool) -> Ingested:
    """Files a held message: `accept` puts it on the case it answers as its sender's message
    (a manager vouching for the sender, who becomes a participant of the case; the people it
    copied do not), else it becomes a new case linked to that one. The caller has checked the
    message is held and holds its row locked. Conflict when the case it answered is gone and
    `accept` was asked."""
    tenant = stored.tenant
    case = stored.case
    if accept and case is None:
        raise Conflict("The case this message answered no longer exists: file it as a new "
                       "case instead.")
    raw = bytes(stored.raw)
    oversized = len(raw) > tenant.mail_max_bytes
    try:
        parsed = with_storable_ids(parse_message(
            raw, max_attachment_bytes=0 if oversized else None))
    except Exception as error:  # it was read when it was held; a parser changed since
        return quarantine(stored, f"Parser failure: {type(error).__name__}: {error}")
    # The manager said where it goes: no looking for another case by its token.
    if accept:
        return file_message(stored, parsed, now, oversized=oversized,
                            queue_id=stored.queue_id, thread=case, stranger_of=None,
                            accepted=True, search=False)
    return file_message(stored, parsed, now, oversized=oversized, queue_id=stored.queue_id,
                        thread=None, stranger_of=case, search=False)
