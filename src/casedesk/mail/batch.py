"""Batch mode's filing (`mail.ingest.ingest_batch`): many messages written together, with the
same outcome as taking them in one by one.

Each message is read once. New-case messages are filed a chunk at a time through
`case_create_many`. Plain replies (answering a case their sender takes part in, nothing else
to decide) are filed a run at a time in one transaction (`case_change_run`): each goes
through the same `case_customer_reply` as a single message, as its own change, with the run's
cases locked by one read (`LockedCases`); their thread keys, attachments, participants and
readings, and the cases' marks for reports, are written in one statement each. Anything else
is left to `process`, one by one and in the batch's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from casedesk.cases.changes import case_change_run
from casedesk.cases.creation import case_create_many
from casedesk.cases.hooks import acknowledgement_wanted
from casedesk.cases.models import Case
from casedesk.cases.services import LockedCases
from casedesk.cases.writing import Linked
from casedesk.core.limits import clipped, fit_problem
from casedesk.crm.models import Account, Contact
from casedesk.mail.authresults import authentication
from casedesk.mail.filing import (
    READ_FIELDS,
    Ingested,
    Pending,
    attachment_rows,
    case_input,
    file_into,
    keep_glimpse,
    live_queue_ids,
    with_storable_ids,
)
from casedesk.mail.models import AckWithheld, InboundMessage, InboundStatus, ThreadKey
from casedesk.mail.outbox import own_addresses, queue_acknowledgements
from casedesk.mail.parsing.many import parse_many
from casedesk.mail.parsing.message import ParsedMessage
from casedesk.mail.threading import case_token_pattern, participant_rows
from casedesk.tenancy.models import Tenant

# At most this many replies share a transaction: each holds its case's row lock until the
# run commits, so a run is kept short (a fraction of a second).
REPLY_RUN = 50
# The References a message is threaded by, as `process` reads them.
MAX_REFS = 50


def read_all(tenant: Tenant, stored: list[InboundMessage]) -> dict[int, ParsedMessage]:
    """Each stored message read once, by its id; an oversized or unreadable one is left out
    (`process` reads it its own way and quarantines what it cannot read, with the reason)."""
    rows = [row for row in stored if len(row.raw) <= tenant.mail_max_bytes]
    readings = {}
    for row, parsed in zip(rows, parse_many([bytes(row.raw) for row in rows]), strict=True):
        if parsed is not None:
            readings[row.pk] = with_storable_ids(parsed)
    return readings


def refs_of(parsed: ParsedMessage) -> list[str]:
    """The Message-IDs a message answers, as threading looks them up."""
    return [r for r in [*parsed.in_reply_to, *parsed.references] if r][-MAX_REFS:]


def fresh_messages(tenant: Tenant, stored: list[InboundMessage],
                   readings: dict[int, ParsedMessage]
                   ) -> list[tuple[InboundMessage, ParsedMessage]]:
    """The messages of a batch that open a new case and need nothing else decided one at a
    time: readable, within the size limit, not from the desk itself, answering nothing the
    desk (or the batch) knows, with no case token, and not taken in before."""
    parsed = [(row, readings[row.pk]) for row in stored if row.pk in readings]
    batch_ids = {p.message_id for _, p in parsed if p.message_id}
    mentioned = batch_ids | {ref for _, p in parsed for ref in (*p.in_reply_to, *p.references)}
    known = set(ThreadKey.objects.filter(tenant=tenant, message_id__in=mentioned)
                .values_list("message_id", flat=True)) if mentioned else set()
    own = own_addresses(tenant)
    token = case_token_pattern(tenant.case_prefix)
    seen: set[str] = set()
    fresh = []
    for row, p in parsed:
        refs = {*p.in_reply_to, *p.references}
        # Anything answering a case goes another way, where its sender is checked.
        if (p.from_address.lower() in own or token.search(p.subject)
                or refs & (known | batch_ids)
                or (p.message_id and (p.message_id in known or p.message_id in seen))):
            continue
        verdict = authentication(tenant, p)
        if verdict.failed and tenant.mail_quarantine_failed_auth:
            continue  # quarantined one by one, with the reason
        row.auth_verdict, row.auth_summary = verdict.verdict, verdict.summary
        if p.message_id:
            seen.add(p.message_id)
        fresh.append((row, p))
    return fresh


def save_readings(rows: list[InboundMessage]) -> None:
    """Saves what reading filled in on many stored messages in one batch of statements
    (Django's bulk_update builds a CASE per field and row, and costs more than the filing)."""
    if not rows:
        return
    meta = InboundMessage._meta
    fields = [f for name in READ_FIELDS for f in meta.concrete_fields if f.name == name]
    quote = connection.ops.quote_name
    columns = [str(f.column) for f in fields]
    sql = (f"UPDATE {quote(meta.db_table)} SET "
           + ", ".join(f"{quote(column)} = %s" for column in columns)
           + f" WHERE {quote(str(meta.pk.column if meta.pk else 'id'))} = %s")
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
              + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _contacts_by_address(tenant: Tenant, addresses: set[str]) -> dict[str, Contact]:
    return {c.email: c for c in Contact.objects.filter(tenant=tenant, email__in=addresses)
            .select_related("account")} if addresses else {}


def contacts_for(tenant: Tenant, parsed: list[ParsedMessage]) -> dict[str, Contact]:
    """The senders' contacts by address, made for those the tenant does not know yet."""
    addresses = {p.from_address.lower() for p in parsed if "@" in p.from_address
                 and fit_problem(Contact, "email", p.from_address) is None}
    contacts = _contacts_by_address(tenant, addresses)
    missing = {p.from_address.lower(): p.from_name for p in parsed
               if p.from_address.lower() in addresses - contacts.keys()}
    if missing:
        accounts: dict[str, Account] = {}
        if tenant.mail_match_account_by_domain:
            domains = {a.rpartition("@")[2] for a in missing}
            accounts = {a.domain: a for a in Account.objects.filter(tenant=tenant,
                                                                     domain__in=domains)}
        Contact.objects.bulk_create([
            Contact(tenant=tenant, email=address, name=clipped(Contact, "name", name),
                    account=accounts.get(address.rpartition("@")[2]))
            for address, name in missing.items()], ignore_conflicts=True)
        contacts.update(_contacts_by_address(tenant, set(missing)))
    return contacts


def file_fresh(tenant: Tenant, items: list[tuple[InboundMessage, ParsedMessage]],
               now: datetime) -> dict[int, Ingested]:
    """Files new-case messages together, in one transaction."""
    with transaction.atomic():
        contacts = contacts_for(tenant, [p for _, p in items])
        live = live_queue_ids(tenant, {row.queue_id for row, _ in items})
        inputs = []
        for row, p in items:
            contact = contacts.get(p.from_address.lower())
            data = case_input(p, contact)
            data.queue_id = row.queue_id if row.queue_id in live else None
            linked = Linked(contact=contact, account=contact.account if contact else None)
            inputs.append((data, linked))
        cases = case_create_many(tenant=tenant, actor=None, items=inputs, now=now)
        pending = Pending(thread_keys=[
            ThreadKey(tenant=tenant, message_id=p.message_id, case=case, created_at=now)
            for (_, p), case in zip(items, cases, strict=True) if p.message_id])
        own = own_addresses(tenant)
        acks: list[tuple[Case, str, str]] = []
        acked: list[InboundMessage] = []
        for (row, p), case in zip(items, cases, strict=True):
            pending.attachments += attachment_rows(tenant, case, row, p, now)
            if not p.is_automatic:
                # The sender of a new case is its contact: the people it copies take part.
                pending.participants += participant_rows(case, p, now, own=own)
                if acknowledgement_wanted(case):
                    acks.append((case, p.from_address, p.message_id))
                    acked.append(row)
            keep_glimpse(row, p)
            row.status, row.case, row.note_id = InboundStatus.PROCESSED, case, None
            row.processed_at, row.error, row.ack_withheld = now, "", AckWithheld.NONE
        pending.write()
        outcomes = queue_acknowledgements(acks, tenant=tenant, now=now, own=own)
        for row, outcome in zip(acked, outcomes, strict=True):
            row.ack_withheld = outcome.withheld
        save_readings([row for row, _ in items])
    return {row.pk: Ingested(InboundStatus.PROCESSED, row, case, True)
            for (row, _), case in zip(items, cases, strict=True)}


@dataclass(frozen=True)
class Reply:
    """A plain reply of a batch: its message, its reading, and the case it joins."""

    message: InboundMessage
    parsed: ParsedMessage
    case: Case


def plain_replies(tenant: Tenant, window: list[InboundMessage],
                  readings: dict[int, ParsedMessage], now: datetime) -> list[Reply]:
    """The leading run of `window` that `process` would file as replies with nothing else to
    decide: read, answering a case (by In-Reply-To/References, as `process` picks it) whose
    sender takes part in it (as its contact or a contact of its account: anyone else is
    checked one by one), not a Message-ID taken in before, not from the desk itself, not
    quarantined for failed authentication, on a case not merged away. The run stops at the
    first message that is not one, so that message is filed after the run, as in order."""
    items = [(row, readings[row.pk]) for row in window if row.pk in readings]
    wanted = {ref for _, p in items for ref in (p.message_id, *refs_of(p)) if ref}
    keys = {key.message_id: (key.created_at, key.case) for key in ThreadKey.objects.filter(
        tenant=tenant, message_id__in=wanted).select_related("case").order_by("created_at")
    } if wanted else {}
    senders = {p.from_address.strip().lower() for _, p in items}
    contacts = {email: (pk, account_id) for email, pk, account_id in Contact.objects.filter(
        tenant=tenant, email__in=senders).values_list("email", "pk", "account_id")}
    own = own_addresses(tenant)
    run: list[Reply] = []
    for row in window:
        p = readings.get(row.pk)
        if p is None or (p.message_id and p.message_id in keys):
            break
        answered = [keys[r] for r in refs_of(p) if r in keys]
        if not answered or p.from_address.lower() in own:
            break
        case = max(answered, key=lambda key: key[0])[1]
        contact_id, account_id = contacts.get(p.from_address.strip().lower(), (None, None))
        if (case.merged_into_id is not None or contact_id is None
                or not (contact_id == case.contact_id
                        or (case.account_id is not None and account_id == case.account_id))):
            break
        verdict = authentication(tenant, p)
        if verdict.failed and tenant.mail_quarantine_failed_auth:
            break
        row.auth_verdict, row.auth_summary = verdict.verdict, verdict.summary
        run.append(Reply(row, p, case))
        if p.message_id:
            # Later messages of the run answering this one join its case; the same
            # Message-ID again ends the run (a duplicate, decided one by one).
            keys[p.message_id] = (now, case)
    return run


def file_replies(tenant: Tenant, replies: list[Reply], now: datetime) -> dict[int, Ingested]:
    """Files a run of plain replies in one transaction, each as `file_message` would: their
    cases locked with one read, each reply its own change (its rules run at its end), the
    cases' marks for reports written once for the run."""
    own = own_addresses(tenant)
    with case_change_run():
        locked = LockedCases(tenant, [reply.case.pk for reply in replies])
        pending = Pending()
        results = {}
        for reply in replies:
            keep_glimpse(reply.message, reply.parsed)
            filed = file_into(reply.message, reply.parsed, now, pending, oversized=False,
                              queue_id=reply.message.queue_id, thread=reply.case,
                              stranger_of=None, own=own, locked=locked)
            results[reply.message.pk] = Ingested(InboundStatus.PROCESSED, reply.message,
                                                 filed.case, filed.created)
        pending.write()
        save_readings([reply.message for reply in replies])
    return results
