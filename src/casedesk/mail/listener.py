"""`casedesk smtpd`: an SMTP listener that takes mail for the tenants' addresses.

A recipient is accepted at RCPT time only when it is a tenant's `mail_address` or a queue's
`email`; anything else is refused there (550), so the sending server keeps responsibility for
it. An archived queue's address is still accepted: customers keep writing to an old team
address, and must not get a bounce for it. After DATA the message goes through
`mail.ingest.ingest` once per tenant addressed (a queue's address puts new cases in that queue,
or, once it is archived, where routing puts them); 250 means it is stored, 451 that it could
not be stored now and should be retried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections

from casedesk.core import clock
from casedesk.mail.ingest import ingest
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mailbox:
    tenant_id: int
    queue_id: int | None


def mailbox_for(address: str) -> Mailbox | None:
    address = address.strip().lower()
    if not address or "@" not in address:
        return None
    tenant = Tenant.objects.filter(mail_address__iexact=address).first()
    if tenant is not None:
        return Mailbox(tenant.pk, None)
    # Archived or not: filing routes a new case past an archived queue (`live_queue_ids`).
    queue = Queue.objects.filter(email__iexact=address).first()
    if queue is not None:
        return Mailbox(queue.tenant_id, queue.pk)
    return None


def deliver(raw: bytes, mailboxes: list[Mailbox]) -> None:
    """Takes one message in for every tenant it is addressed to (once per tenant)."""
    seen: dict[int, int | None] = {}
    for box in mailboxes:
        seen.setdefault(box.tenant_id, box.queue_id)
    for tenant_id, queue_id in seen.items():
        tenant = Tenant.objects.get(pk=tenant_id)
        ingest(tenant=tenant, raw=raw, now=clock.now(), channel="smtp", queue_id=queue_id)


def _in_thread(func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    finally:
        close_old_connections()


class Handler:
    """aiosmtpd handler: the database work runs in a worker thread, off the event loop."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        loop = asyncio.get_running_loop()
        try:
            box = await loop.run_in_executor(None, _in_thread, mailbox_for, address)
        except DatabaseError:
            return "451 4.3.0 Temporarily unable to check the recipient"
        if box is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        session.mailboxes = [*getattr(session, "mailboxes", []), box]
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        loop = asyncio.get_running_loop()
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            await loop.run_in_executor(None, _in_thread, deliver, raw,
                                       list(getattr(session, "mailboxes", [])))
        except DatabaseError:
            log.exception("SMTP delivery could not be stored")
            return "451 4.3.0 Temporarily unable to store the message, try again later"
        session.mailboxes = []
        return "250 OK: message taken in"
