"""SLA policies: which policy a case's facts match (routing's condition language) and the
targets it sets, cached per process; the defaults a new tenant starts with; managing the
policies and the tenant's SLA settings. The arithmetic of due times is in `sla.clock`; the
clocks on a case are kept by `cases.sla_clocks`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from casedesk.core.errors import Invalid, NotFound
from casedesk.core.limits import check_fits
from casedesk.core.ordering import placed, write_positions
from casedesk.core.text import check_json_text
from casedesk.routing.rules import (
    CaseFacts,
    CompiledRule,
    RuleSpec,
    compile_rules,
    first_match,
    parse_actions,
    parse_conditions,
)
from casedesk.sla.calendars import DEFAULT_WEEK, calendar_of, clean_name
from casedesk.sla.clock import ALWAYS, Calendar
from casedesk.sla.hooks import clocks_stale
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tenancy.audit import (
    audit_change,
    audit_created,
    audit_deleted,
    audit_snapshot,
    updated_action,
)
from casedesk.tenancy.models import Tenant, User
from casedesk.tenancy.versioned import TenantCache

# Defaults for a new tenant, by priority: (first response, resolution, in business hours).
DEFAULT_TARGETS = (
    ("Urgent", "urgent", 60, 4 * 60, False),
    ("High", "high", 4 * 60, 2 * 8 * 60, True),
    ("Normal", "normal", 8 * 60, 3 * 8 * 60, True),
    ("Low", "low", 24 * 60, 5 * 8 * 60, True),
)


def sla_seed_defaults(tenant: Tenant, now: datetime) -> None:
    """A Mon–Fri 09:00–17:00 calendar in the tenant's zone and one policy per priority."""
    if SlaPolicy.objects.filter(tenant=tenant).exists():
        return
    calendar, _ = BusinessCalendar.objects.get_or_create(
        tenant=tenant, name="Business hours",
        defaults={"time_zone": tenant.time_zone, "week": DEFAULT_WEEK})
    SlaPolicy.objects.bulk_create([
        SlaPolicy(tenant=tenant, name=f"{label} priority", position=i, calendar=calendar,
                  conditions=[{"field": "priority", "op": "equals", "value": priority}],
                  first_response_minutes=first, resolution_minutes=resolution,
                  first_response_business=business, resolution_business=business,
                  # A customer waits no longer for the next answer than for the first.
                  next_response_minutes=first, next_response_business=business,
                  created_at=now, updated_at=now)
        for i, (label, priority, first, resolution, business) in enumerate(DEFAULT_TARGETS)
    ])


def _spec(policy: SlaPolicy) -> RuleSpec:
    return RuleSpec(id=policy.pk, name=policy.name, actions=parse_actions({"tags": ["sla"]}),
                    conditions=parse_conditions(policy.conditions))


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    resolution: timedelta
    first_response_calendar: Calendar
    resolution_calendar: Calendar
    warn_at: float
    next_response: timedelta | None = None
    next_response_calendar: Calendar = ALWAYS

    @classmethod
    def of(cls, policy: SlaPolicy) -> Targets:
        business = calendar_of(policy.calendar) if policy.calendar is not None else ALWAYS
        return cls(
            first_response=timedelta(minutes=policy.first_response_minutes),
            resolution=timedelta(minutes=policy.resolution_minutes),
            first_response_calendar=business if policy.first_response_business else ALWAYS,
            resolution_calendar=business if policy.resolution_business else ALWAYS,
            warn_at=min(max(policy.warn_at_percent, 1), 100) / 100,
            next_response=(timedelta(minutes=policy.next_response_minutes)
                           if policy.next_response_minutes else None),
            next_response_calendar=business if policy.next_response_business else ALWAYS,
        )


@dataclass(frozen=True)
class TenantPolicies:
    policies: dict[int, SlaPolicy]
    rules: tuple[CompiledRule, ...]
    targets: dict[int, Targets]

# Each process keeps every tenant's policies, compiled, with their calendars and holidays
# (tenancy/versioned.py); sla_version moves with every change of policies, calendars,
# holidays or settings (see _recompute_later).
_cache: TenantCache[TenantPolicies] = TenantCache("sla_version")


def tenant_policies(tenant: Tenant) -> TenantPolicies:
    def load() -> TenantPolicies:
        policies = list(SlaPolicy.objects.filter(tenant=tenant, is_enabled=True)
                        .select_related("calendar").prefetch_related("calendar__holidays"))
        return TenantPolicies(policies={p.pk: p for p in policies},
                              rules=compile_rules([_spec(p) for p in policies]),
                              targets={p.pk: Targets.of(p) for p in policies})

    return _cache.get(tenant, load)


def policy_for(tenant: Tenant, facts: CaseFacts) -> tuple[SlaPolicy | None, Targets | None]:
    loaded = tenant_policies(tenant)
    matched = first_match(loaded.rules, facts)
    if matched is None or matched.id is None:
        return None, None
    return loaded.policies[matched.id], loaded.targets[matched.id]

MAX_TARGET_MINUTES = 366 * 24 * 60

POLICY_FIELDS = ("name", "conditions", "calendar_id", "first_response_minutes",
                 "first_response_business", "next_response_minutes", "next_response_business",
                 "resolution_minutes", "resolution_business", "warn_at_percent", "is_enabled")


def _check_policy(tenant: Tenant, values: dict[str, Any]) -> None:
    name = clean_name(values.get("name"), "name")
    if not name:
        raise Invalid("A policy needs a name.", field="name")
    check_fits(SlaPolicy, {"name": name})
    values["name"] = name
    check_json_text(values.get("conditions") or [], field="conditions", label="A condition")
    parse_conditions(values.get("conditions") or [])
    for target in ("first_response_minutes", "resolution_minutes", "next_response_minutes"):
        value = values.get(target)
        if value is None and target == "next_response_minutes":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not (
                0 < value <= MAX_TARGET_MINUTES):
            raise Invalid(f"{target} is a number of minutes between 1 and "
                          f"{MAX_TARGET_MINUTES}.", field=target)
    warn = values.get("warn_at_percent", 75)
    if isinstance(warn, bool) or not isinstance(warn, int) or not 1 <= warn <= 100:
        raise Invalid("warn_at_percent is between 1 and 100.", field="warn_at_percent")
    calendar_id = values.get("calendar_id")
    if calendar_id is not None and not BusinessCalendar.objects.filter(
            tenant=tenant, pk=calendar_id).exists():
        raise Invalid(f"No calendar with id {calendar_id}.", field="calendar_id")


def policy_create(*, tenant: Tenant, values: dict[str, Any], now: datetime,
                  actor: User | None = None) -> SlaPolicy:
    """A new policy, last in the order; audited."""
    values = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    values.setdefault("conditions", [])
    _check_policy(tenant, values)
    with transaction.atomic():
        position = SlaPolicy.objects.filter(tenant=tenant).count()
        policy = SlaPolicy.objects.create(tenant=tenant, position=position, created_at=now,
                                          updated_at=now, **values)
        audit_created(tenant=tenant, actor=actor, action="sla_policy.created",
                      target_type="sla_policy", target_id=policy.pk, target_label=policy.name,
                      values=audit_snapshot(policy, POLICY_FIELDS))
    clocks_stale(tenant)
    return policy


def policy_update(*, policy: SlaPolicy, changes: dict[str, Any], now: datetime,
                  actor: User | None = None) -> SlaPolicy:
    """Changes the policy's fields; `position` moves it. Audited with old and new values."""
    unknown = set(changes) - set(POLICY_FIELDS) - {"position"}
    if unknown:
        raise Invalid(f"Field {sorted(unknown)[0]!r} cannot be changed.",
                      field=sorted(unknown)[0])
    tenant = policy.tenant
    with transaction.atomic():
        locked = SlaPolicy.objects.select_for_update().filter(pk=policy.pk, tenant=tenant).first()
        if locked is None:
            raise NotFound("The policy was deleted.")
        policy = locked
        before = {**audit_snapshot(policy, POLICY_FIELDS), "position": policy.position}
        values = {f: getattr(policy, f) for f in POLICY_FIELDS}
        values.update({k: v for k, v in changes.items() if k != "position"})
        _check_policy(tenant, values)
        for name, value in values.items():
            setattr(policy, name, value)
        policy.updated_at = now
        policy.save()
        if changes.get("position") is not None:
            order = list(SlaPolicy.objects.filter(tenant=tenant).values_list("pk", flat=True))
            _write_policy_order(tenant, placed(order, policy.pk, int(changes["position"])))
            policy.refresh_from_db(fields=["position"])
        after = {**audit_snapshot(policy, POLICY_FIELDS), "position": policy.position}
        audit_change(tenant=tenant, actor=actor,
                     action=updated_action("sla_policy", before, after),
                     target_type="sla_policy", target_id=policy.pk, target_label=policy.name,
                     before=before, after=after)
    clocks_stale(tenant)
    return policy


def policy_delete(*, policy: SlaPolicy, now: datetime, actor: User | None = None) -> None:
    """Deletes the policy, closing up the order; audited."""
    tenant = policy.tenant
    with transaction.atomic():
        audit_deleted(tenant=tenant, actor=actor, action="sla_policy.deleted",
                      target_type="sla_policy", target_id=policy.pk, target_label=policy.name,
                      values=audit_snapshot(policy, POLICY_FIELDS))
        policy.delete()
        _write_policy_order(tenant, list(SlaPolicy.objects.filter(tenant=tenant)
                                         .values_list("pk", flat=True)))
    clocks_stale(tenant)


def policies_reorder(*, tenant: Tenant, policy_ids: list[int], now: datetime,
                     actor: User | None = None) -> None:
    """Puts the policies in the given order (every one once); audited when it moved."""
    with transaction.atomic():
        old_order = list(SlaPolicy.objects.select_for_update().filter(tenant=tenant)
                         .order_by("position", "id").values_list("pk", flat=True))
        if len(policy_ids) != len(set(policy_ids)) or set(policy_ids) != set(old_order):
            raise Invalid("The order must list every policy of the tenant exactly once.",
                          field="policy_ids")
        _write_policy_order(tenant, policy_ids)
        audit_change(tenant=tenant, actor=actor, action="sla_policies.reordered",
                     target_type="sla_policy", target_id="", target_label="SLA policies",
                     before={"order": old_order}, after={"order": list(policy_ids)})
    clocks_stale(tenant)


def _write_policy_order(tenant: Tenant, order: list[int]) -> None:
    write_positions(SlaPolicy.objects.filter(tenant=tenant), order)

SLA_SETTINGS = ("sla_pause_when_pending", "sla_sweep_minutes")


def sla_settings_update(*, tenant: Tenant, changes: dict[str, Any],
                        actor: User | None = None) -> Tenant:
    """Changes the tenant's SLA settings (pausing while pending, the sweep's interval) in one
    transaction; audited."""
    unknown = set(changes) - set(SLA_SETTINGS)
    if unknown:
        raise Invalid(f"Field {sorted(unknown)[0]!r} cannot be changed.",
                      field=sorted(unknown)[0])
    minutes = changes.get("sla_sweep_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 0 <= minutes <= 24 * 60):
        raise Invalid("sla_sweep_minutes is between 0 (off) and 1440.",
                      field="sla_sweep_minutes")
    with transaction.atomic():
        before = audit_snapshot(tenant, changes)
        for name, value in changes.items():
            setattr(tenant, name, value)
        tenant.save(update_fields=list(changes))
        audit_change(tenant=tenant, actor=actor, action="sla_settings.updated",
                     target_type="tenant", target_id=tenant.pk, target_label="SLA settings",
                     before=before, after=audit_snapshot(tenant, changes))
    if "sla_pause_when_pending" in changes:
        clocks_stale(tenant)
    return tenant
