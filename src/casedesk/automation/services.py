"""Automation rules written by admins: create, change, delete, order, and trying a draft on
the latest cases. Each write is one transaction that checks the whole rule first (its shape
through `automation.rules`, then that everything it names exists in the tenant) and moves the
tenant's `automation_version` on, so every process's compiled copy of the rules is reloaded.

Running rules is the engine's (`automation.engine`); this module only keeps them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from casedesk.automation import templating
from casedesk.automation.models import AutomationRule, Macro, Match, WebhookEndpoint
from casedesk.automation.rules import Action, Rule, compiled_conditions, parse_rule
from casedesk.automation.selectors import describe_actions, target_names
from casedesk.cases.models import PicklistKind
from casedesk.cases.picklists import Picklists
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits
from casedesk.core.ordering import placed, write_positions
from casedesk.core.text import check_json_text, check_text
from casedesk.routing.hooks import recent_cases
from casedesk.routing.models import Queue
from casedesk.routing.services import facts_of_case
from casedesk.tenancy.audit import (
    audit_change,
    audit_created,
    audit_deleted,
    audit_snapshot,
    updated_action,
)
from casedesk.tenancy.models import Membership, Tenant, User
from casedesk.tenancy.services import tenant_bump_version

RULE_LIMIT = 500
PREVIEW_CASES = 50
MAX_DESCRIPTION = 2_000
# Where a case stops without a note (the lifecycle asks people the same).
NOTE_NEEDED = ("resolved", "closed")


@dataclass(frozen=True)
class RuleInput:
    name: str
    description: str = ""
    trigger: str = "case_created"
    trigger_options: Mapping[str, Any] = field(default_factory=dict)
    conditions: list[Any] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    match: str = Match.ALL
    is_enabled: bool = True


def _bump_version(tenant: Tenant) -> None:
    tenant_bump_version(tenant, "automation_version")


# --- checking a rule --------------------------------------------------------------------------

def _template(source: str, where: str, what: str) -> None:
    templating.check(source, field="actions", label=f"{where}: the {what}")


def _active_member(tenant: Tenant, user_id: int, where: str) -> None:
    if not Membership.objects.filter(tenant=tenant, user_id=user_id, is_active=True,
                                     user__is_active=True).exists():
        raise Invalid(f"{where}: no active member of this tenant has user id {user_id}.",
                      field="actions")


def _check_picklists(picklists: Picklists, options: Mapping[str, Any], where: str) -> None:
    for kind in (PicklistKind.TYPE, PicklistKind.CATEGORY):
        value = options.get(str(kind))
        if value and value not in picklists.all(kind):
            raise Invalid(f"{where}: {value!r} is not a {kind.label.lower()} of this tenant.",
                          field="actions")
    sub = options.get("subcategory")
    if sub:
        category = options.get("category")
        allowed = (picklists.values[PicklistKind.SUBCATEGORY].get(category, set())
                   if category else picklists.all(PicklistKind.SUBCATEGORY))
        if sub not in allowed:
            under = f" of category {category!r}" if category else ""
            raise Invalid(f"{where}: {sub!r} is not a subcategory{under} of this tenant.",
                          field="actions")


def _check_action(tenant: Tenant, action: Action, index: int, *, enabled: bool,
                  picklists: Picklists) -> None:
    """That what the action names exists in the tenant, and that its templates compile."""
    where = f"Action {index + 1}"
    options = action.options
    if action.kind == "set_fields":
        queue_id = options.get("queue_id")
        if queue_id is not None and not Queue.objects.filter(
                tenant=tenant, pk=queue_id, is_active=True).exists():
            raise Invalid(f"{where}: no active queue has id {queue_id}.", field="actions")
        if options.get("owner_id") is not None:
            _active_member(tenant, options["owner_id"], where)
        _check_picklists(picklists, options, where)
    elif action.kind == "add_note":
        _template(options["body"], where, "note")
    elif action.kind == "email":
        if options.get("to") == "user":
            _active_member(tenant, options["user_id"], where)
        _template(options.get("subject", ""), where, "subject")
        _template(options["body"], where, "body")
    elif action.kind == "webhook":
        endpoint_id = options.get("endpoint_id")
        if endpoint_id is None:
            if enabled:
                raise Invalid(f"{where}: choose an endpoint before switching the rule on.",
                              field="actions")
        elif not WebhookEndpoint.objects.filter(tenant=tenant, pk=endpoint_id).exists():
            raise Invalid(f"{where}: no webhook endpoint has id {endpoint_id}.",
                          field="actions")
    elif action.kind == "create_task":
        if options.get("owner") == "user":
            _active_member(tenant, options["owner_id"], where)
        _template(options["subject"], where, "task's subject")
        _template(options.get("notes", ""), where, "task's notes")
    elif action.kind == "apply_macro":
        if not Macro.objects.filter(tenant=tenant, pk=options["macro_id"], owner__isnull=True,
                                    is_active=True).exists():
            raise Invalid(f"{where}: no shared active macro has id {options['macro_id']}.",
                          field="actions")
    elif action.kind == "transition":
        to = options["to"]
        if to in NOTE_NEEDED and not str(options.get("note") or "").strip():
            raise Invalid(f"{where}: a move into {to} needs a note.", field="actions")
        if to == "closed":
            reason = options.get("closed_reason")
            if not reason:
                raise Invalid(f"{where}: closing needs a closed reason.", field="actions")
            if reason not in picklists.all(PicklistKind.CLOSED_REASON):
                raise Invalid(f"{where}: {reason!r} is not a closed reason of this tenant.",
                              field="actions")
        _template(options.get("note", ""), where, "note")


def rule_from_input(tenant: Tenant, data: RuleInput, rule_id: int | None = None, *,
                    check_targets: bool = True) -> Rule:
    """The rule as the engine reads it, or Invalid naming what is wrong with it. With
    `check_targets`, everything its actions name must exist in the tenant (and be active)."""
    name = check_text((data.name or "").strip(), field="name", label="The rule's name")
    if not name:
        raise Invalid("A rule needs a name.", field="name")
    check_fits(AutomationRule, {"name": name})
    description = check_text(data.description or "", field="description",
                             label="The description").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"The description is longer than {MAX_DESCRIPTION} characters.",
                      field="description")
    check_json_text(data.trigger_options, field="trigger_options", label="A trigger option")
    check_json_text(data.conditions, field="conditions", label="A condition")
    check_json_text(data.actions, field="actions", label="An action")
    rule = parse_rule(rule_id=rule_id, name=name, trigger=data.trigger,
                      trigger_options=data.trigger_options, conditions=data.conditions,
                      actions=data.actions, match=data.match)
    if check_targets:
        picklists = Picklists(tenant, (PicklistKind.TYPE, PicklistKind.CATEGORY,
                                       PicklistKind.SUBCATEGORY, PicklistKind.CLOSED_REASON))
        for index, action in enumerate(rule.actions):
            _check_action(tenant, action, index, enabled=bool(data.is_enabled),
                          picklists=picklists)
    return rule


def _store(row: AutomationRule, rule: Rule, data: RuleInput) -> None:
    """The checked rule's normalised JSON on the row (the engine parses it again on read)."""
    row.name = rule.name
    row.description = (data.description or "").strip()
    row.trigger = rule.trigger
    row.trigger_options = dict(rule.options)
    row.conditions = [c.as_dict() for c in rule.conditions]
    row.actions = [a.as_dict() for a in rule.actions]
    row.match = Match.ALL if rule.match_all else Match.ANY
    row.is_enabled = bool(data.is_enabled)


def _switched_on(row: AutomationRule, now: datetime) -> None:
    # A time rule counts from the moment it is on: what fell due before is not its business.
    row.enabled_at = now
    row.swept_until = now


def rule_create(*, tenant: Tenant, actor: User | None, data: RuleInput, now: datetime,
                position: int | None = None) -> AutomationRule:
    """A new rule, last in the order unless a position (0 = first) is given. One
    transaction; at most RULE_LIMIT rules per tenant (Conflict beyond)."""
    rule = rule_from_input(tenant, data)
    with transaction.atomic():
        rows = list(AutomationRule.objects.select_for_update().filter(tenant=tenant)
                    .order_by("position", "id"))
        if len(rows) >= RULE_LIMIT:
            raise Conflict(f"A tenant has at most {RULE_LIMIT} automation rules.")
        row = AutomationRule(tenant=tenant, position=len(rows), created_by=actor,
                             created_at=now, updated_at=now)
        _store(row, rule, data)
        if row.is_enabled and row.trigger == "time":
            _switched_on(row, now)
        row.save()
        if position is not None:
            _write_order(tenant, placed([r.pk for r in rows], row.pk, position))
            row.refresh_from_db(fields=["position"])
        _bump_version(tenant)
        audit_created(tenant=tenant, actor=actor, action="automation_rule.created",
                      target_type="automation_rule", target_id=row.pk, target_label=row.name,
                      values={**audit_snapshot(row, AUDITED), "position": row.position})
    return row


AUDITED = ("name", "description", "trigger", "trigger_options", "conditions", "actions",
           "match", "is_enabled")
UPDATABLE = ("name", "description", "trigger", "trigger_options", "conditions", "actions",
             "match", "is_enabled", "position")


def rule_update(*, rule: AutomationRule, changes: dict[str, Any], now: datetime,
                actor: User | None = None) -> AutomationRule:
    """Changes what `changes` names (any of UPDATABLE; `position` moves the rule). The rule
    is checked whole again; the targets its actions name are checked when the actions change
    or the rule is switched on, so a rule whose queue was archived since can still be
    switched off, renamed or moved. Switching a time rule on starts its clock at `now`."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
    tenant = rule.tenant
    with transaction.atomic():
        row = AutomationRule.objects.select_for_update().get(pk=rule.pk, tenant=tenant)
        before = {**audit_snapshot(row, AUDITED), "position": row.position}
        trigger = changes.get("trigger", row.trigger)
        options = changes.get("trigger_options",
                              row.trigger_options if trigger == row.trigger else {})
        data = RuleInput(
            name=changes.get("name", row.name),
            description=changes.get("description", row.description),
            trigger=trigger, trigger_options=options,
            conditions=changes.get("conditions", row.conditions),
            actions=changes.get("actions", row.actions),
            match=changes.get("match", row.match),
            is_enabled=bool(changes.get("is_enabled", row.is_enabled)),
        )
        was_on_as_time = row.is_enabled and row.trigger == "time"
        switching_on = data.is_enabled and not row.is_enabled
        checked = rule_from_input(tenant, data, row.pk,
                                  check_targets="actions" in changes or switching_on)
        _store(row, checked, data)
        if row.is_enabled and row.trigger == "time" and not was_on_as_time:
            _switched_on(row, now)
        row.updated_at = now
        row.save()
        if changes.get("position") is not None:
            order = list(AutomationRule.objects.filter(tenant=tenant)
                         .order_by("position", "id").values_list("pk", flat=True))
            _write_order(tenant, placed(order, row.pk, int(changes["position"])))
            row.refresh_from_db(fields=["position"])
        _bump_version(tenant)
        after = {**audit_snapshot(row, AUDITED), "position": row.position}
        audit_change(tenant=tenant, actor=actor,
                     action=updated_action("automation_rule", before, after),
                     target_type="automation_rule", target_id=row.pk, target_label=row.name,
                     before=before, after=after)
    row.tenant = tenant
    return row


def rule_delete(*, rule: AutomationRule, actor: User | None = None) -> None:
    """Deletes the rule with its run log; the others close ranks. Audited."""
    tenant = rule.tenant
    with transaction.atomic():
        list(AutomationRule.objects.select_for_update().filter(tenant=tenant))
        audit_deleted(tenant=tenant, actor=actor, action="automation_rule.deleted",
                      target_type="automation_rule", target_id=rule.pk,
                      target_label=rule.name, values=audit_snapshot(rule, AUDITED))
        AutomationRule.objects.filter(tenant=tenant, pk=rule.pk).delete()
        _write_order(tenant, list(AutomationRule.objects.filter(tenant=tenant)
                                  .order_by("position", "id").values_list("pk", flat=True)))
        _bump_version(tenant)


def rules_reorder(*, tenant: Tenant, rule_ids: list[int],
                  actor: User | None = None) -> list[AutomationRule]:
    """Puts the rules in the given order; the list must name every rule of the tenant once.
    Audited with the old and new order when it moved."""
    with transaction.atomic():
        old_order = list(AutomationRule.objects.select_for_update().filter(tenant=tenant)
                         .order_by("position", "id").values_list("pk", flat=True))
        if len(rule_ids) != len(set(rule_ids)) or set(rule_ids) != set(old_order):
            raise Invalid("The order must list every rule of the tenant exactly once.",
                          field="rule_ids")
        _write_order(tenant, rule_ids)
        _bump_version(tenant)
        audit_change(tenant=tenant, actor=actor, action="automation_rules.reordered",
                     target_type="automation_rule", target_id="",
                     target_label="Automation rules",
                     before={"order": old_order}, after={"order": list(rule_ids)})
    return list(AutomationRule.objects.filter(tenant=tenant).order_by("position", "id"))


def _write_order(tenant: Tenant, order: list[int]) -> None:
    write_positions(AutomationRule.objects.filter(tenant=tenant), order)


# --- trying a draft ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewRow:
    case_id: int
    number: str
    subject: str
    status: str
    matched: bool  # the conditions hold for the case now
    due: bool | None  # a time rule: whether its wait has passed for the case (else None)
    would_run: bool  # matched, and due for a time rule
    actions: str  # what the rule would do, in words


def rule_preview(*, tenant: Tenant, draft: Rule, now: datetime, limit: int = PREVIEW_CASES
                 ) -> list[PreviewRow]:
    """For each of the tenant's last `limit` cases (newest first): whether the draft's
    conditions hold now, for a time rule whether its wait has passed (the case's anchor time
    plus the wait is at or before `now`), and what the actions would do. Writes nothing."""
    predicate = compiled_conditions(draft).predicate
    words = "; ".join(describe_actions(draft.actions, target_names(tenant)))
    is_time = draft.trigger == "time"
    rows = []
    for case in recent_cases(tenant, limit):
        matched = bool(predicate(facts_of_case(case)))
        due: bool | None = None
        if is_time:
            anchor = getattr(case, draft.anchor_column, None)
            due = anchor is not None and anchor + draft.after <= now
        rows.append(PreviewRow(
            case_id=case.pk, number=case.display_number, subject=case.subject,
            status=case.status, matched=matched, due=due,
            would_run=matched and (due is not False), actions=words))
    return rows
