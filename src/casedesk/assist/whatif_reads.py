"""The reads behind a what-if (`assist.whatif`): the tenant's cases of the last N days as
facts, streamed in batches of plain values, with their recorded SLA pauses and where routing
first sent them; the tenant's policies, rules, queues and members as they stand. Reads the
reports' replica when one is configured (`core.replica.reports_db`), tenant-scoped
throughout; at most `CASE_CAP` cases (the newest), with the report saying so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from casedesk.assist.whatif import (
    PolicyChoice,
    QueueBook,
    RoutingCase,
    SlaCase,
    recorded_breach,
)
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.core.replica import reports_db
from casedesk.crm.models import Account, Contact
from casedesk.routing.models import Queue
from casedesk.routing.rules import (
    AccountFacts,
    CaseFacts,
    RuleSpec,
    uses_account,
    uses_contact,
)
from casedesk.routing.services import compiled_rules
from casedesk.sla.models import SlaPause
from casedesk.sla.policies import tenant_policies
from casedesk.tenancy.models import Membership, Tenant

MAX_DAYS = 90
DEFAULT_DAYS = 30
CASE_CAP = 100_000
BATCH = 2_000
TEXT_FIELDS = frozenset({"subject", "description", "text"})


@dataclass(frozen=True)
class Window:
    """The cases a what-if replays: created in [since, until), newest `CASE_CAP` at most."""

    since: datetime
    until: datetime
    case_ids: list[int]
    capped: bool
    db: str


def window(tenant: Tenant, *, days: int, now: datetime) -> Window:
    since = now - timedelta(days=days)
    db = reports_db()
    ids = list(
        Case.objects.using(db)
        .filter(tenant=tenant, created_at__gte=since, created_at__lt=now)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[: CASE_CAP + 1]
    )
    capped = len(ids) > CASE_CAP
    # Oldest first: the order routing met them in.
    return Window(since, now, ids[:CASE_CAP][::-1], capped, db)


@dataclass(frozen=True)
class Needs:
    """Which costly facts the conditions being replayed test."""

    text: bool
    account: bool
    contact: bool

    @classmethod
    def of(cls, specs: Sequence[RuleSpec]) -> Needs:
        return cls(
            text=any(c.field in TEXT_FIELDS for s in specs for c in s.conditions),
            account=uses_account(specs),
            contact=uses_contact(specs),
        )


_BASE = (
    "id",
    "number",
    "created_at",
    "category",
    "subcategory",
    "type",
    "source",
    "language",
    "priority",
    "tags",
    "custom_fields",
    "account_id",
    "contact_id",
)


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _rows(
    tenant: Tenant, ids: list[int], db: str, fields: Sequence[str], needs: Needs
) -> Iterator[tuple[dict[str, Any], CaseFacts]]:
    """Each case of `ids` (in that order) as its values and routing facts."""
    columns = [*_BASE, *fields, *(("subject", "description") if needs.text else ())]
    for batch in _batches(ids):
        rows = {
            r["id"]: r
            for r in Case.objects.using(db).filter(tenant=tenant, id__in=batch).values(*columns)
        }
        accounts: dict[int, AccountFacts] = {}
        if needs.account:
            account_ids = {r["account_id"] for r in rows.values() if r["account_id"]}
            accounts = {
                a[0]: AccountFacts(*a)
                for a in Account.objects.using(db)
                .filter(tenant=tenant, id__in=account_ids)
                .values_list("id", "name", "tier", "segment", "territory")
            }
        emails: dict[int, str] = {}
        if needs.contact:
            contact_ids = {r["contact_id"] for r in rows.values() if r["contact_id"]}
            emails = dict(
                Contact.objects.using(db)
                .filter(tenant=tenant, id__in=contact_ids)
                .values_list("id", "email")
            )
        for pk in batch:
            row = rows.get(pk)
            if row is None:  # deleted since the window was read
                continue
            yield (
                row,
                CaseFacts(
                    subject=row.get("subject") or "",
                    description=row.get("description") or "",
                    category=row["category"],
                    subcategory=row["subcategory"],
                    type=row["type"],
                    source=row["source"],
                    language=row["language"],
                    priority=row["priority"],
                    tags=tuple(row["tags"] or ()),
                    custom=row["custom_fields"] or {},
                    account=accounts.get(row["account_id"]),
                    contact_id=row["contact_id"],
                    contact_email=emails.get(row["contact_id"], ""),
                ),
            )


def _number(tenant: Tenant, row: dict[str, Any]) -> str:
    return f"{tenant.case_prefix}-{row['number']}"


# --- SLA --------------------------------------------------------------------------------------


def current_policies(tenant: Tenant) -> list[PolicyChoice]:
    """The enabled policies in order, as the clocks use them (the per-process cache)."""
    loaded = tenant_policies(tenant)
    return [
        PolicyChoice(
            id=rule.spec.id, name=rule.spec.name, rule=rule, targets=loaded.targets[rule.spec.id]
        )
        for rule in loaded.rules
        if rule.spec.id is not None
    ]


_SLA_FIELDS = (
    "status",
    "resolved_at",
    "closed_at",
    "first_response_at",
    "sla_policy_id",
    "first_response_due_at",
    "first_response_breached_at",
    "resolution_due_at",
    "resolution_breached_at",
)


def sla_cases(tenant: Tenant, seen: Window, specs: Sequence[RuleSpec]) -> Iterator[SlaCase]:
    now, db = seen.until, seen.db
    needs = Needs.of(specs)
    for batch in _batches(seen.case_ids):
        pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        for case_id, start, end in (
            SlaPause.objects.using(db)
            .filter(tenant=tenant, case_id__in=batch)
            .values_list("case_id", "started_at", "ended_at")
        ):
            pauses[case_id].append((start, end))
        for row, facts in _rows(tenant, batch, db, _SLA_FIELDS, needs):
            waiting = any(end is None for _, end in pauses[row["id"]])
            done = row["status"] in (Status.RESOLVED, Status.CLOSED)
            stopped = row["resolved_at"] or row["closed_at"]
            if done and not waiting and stopped is not None:
                # History written without the clocks' pauses (imported, bulk-loaded): a
                # resolved or closed case's clocks stand still from its resolution, as the
                # clocks' own rule has it.
                pauses[row["id"]].append((stopped, None))
            running = not done and not waiting
            yield SlaCase(
                number=_number(tenant, row),
                created_at=row["created_at"],
                priority=row["priority"],
                facts=facts,
                first_response_at=row["first_response_at"],
                pauses=tuple(pauses[row["id"]]),
                policy_id=row["sla_policy_id"],
                first_response_breached=recorded_breach(
                    breached_at=row["first_response_breached_at"],
                    due_at=row["first_response_due_at"],
                    running=running and row["first_response_at"] is None,
                    now=now,
                ),
                resolution_breached=recorded_breach(
                    breached_at=row["resolution_breached_at"],
                    due_at=row["resolution_due_at"],
                    running=running,
                    now=now,
                ),
            )


# --- routing ----------------------------------------------------------------------------------


def current_rules(tenant: Tenant) -> list[RuleSpec]:
    """The enabled routing rules in order (the per-process cache)."""
    return [rule.spec for rule in compiled_rules(tenant)]


def queue_book(tenant: Tenant) -> QueueBook:
    queues = list(
        Queue.objects.filter(tenant=tenant).values_list("id", "name", "is_active", "strategy")
    )
    owners = frozenset(
        Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    return QueueBook(
        active={pk: name for pk, name, active, _ in queues if active},
        strategies={pk: strategy for pk, _, _, strategy in queues},
        owners=owners,
    )


def queue_names(tenant: Tenant) -> dict[int, str]:
    """Every queue's name, archived ones too (history may name them)."""
    return dict(Queue.objects.filter(tenant=tenant).values_list("id", "name"))


def routing_cases(tenant: Tenant, seen: Window, specs: Sequence[RuleSpec]) -> Iterator[RoutingCase]:
    """Each case with where routing first sent it (its first `routed` event; a case made
    before routing wrote one counts where it is now)."""
    db = seen.db
    needs = Needs.of(specs)
    for batch in _batches(seen.case_ids):
        first: dict[int, dict[str, Any]] = {}
        for case_id, value in (
            TimelineEvent.objects.using(db)
            .filter(tenant=tenant, case_id__in=batch, kind=EventKind.ROUTED)
            .order_by("case_id", "id")
            .values_list("case_id", "new_value")
        ):
            if case_id not in first and isinstance(value, dict):
                first[case_id] = value
        for row, facts in _rows(tenant, batch, db, ("queue_id", "owner_id"), needs):
            routed = first.get(row["id"])
            if routed is None:
                queue_id, owner_id, via = row["queue_id"], row["owner_id"], "unknown"
            else:
                queue_id, owner_id = routed.get("queue_id"), routed.get("owner_id")
                via = str(routed.get("via") or "none")
            yield RoutingCase(
                number=_number(tenant, row),
                facts=facts,
                queue_id=queue_id if isinstance(queue_id, int) else None,
                owner_id=owner_id if isinstance(owner_id, int) else None,
                via=via,
            )
