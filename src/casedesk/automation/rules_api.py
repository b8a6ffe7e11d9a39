"""The automation rules API: the tenant's rules in order (managers and admins read, admins
write), trying a draft on the latest cases, and each rule's run log."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.automation import selectors, services
from casedesk.automation.access import get_rule_for_member
from casedesk.automation.models import AutomationRule, RuleRun
from casedesk.automation.rules import describe_trigger
from casedesk.automation.schemas import (
    RULE_HELP,
    AutomationActionIn,
    AutomationConditionIn,
    AutomationPreviewIn,
    AutomationPreviewRowOut,
    AutomationRuleDetailOut,
    AutomationRuleIn,
    AutomationRuleOrderIn,
    AutomationRuleOut,
    AutomationRulePatch,
    AutomationRunPageOut,
    AutomationTriggerOptionsIn,
)
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.core.schemas import Error
from casedesk.tenancy.api_auth import require_admin, require_manager
from casedesk.tenancy.models import Membership

router = Router(tags=["automation"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _priority_name(value: Any) -> Any:
    return PRIORITY_BY_RUNG.get(value, value) if isinstance(value, int) else value


def _conditions_out(conditions: Any) -> list[dict[str, Any]]:
    out = []
    for condition in conditions or []:
        value = condition.get("value")
        if condition.get("field") == "priority":  # stored as rungs; shown as names
            value = ([_priority_name(v) for v in value] if isinstance(value, list | tuple)
                     else _priority_name(value))
        out.append({"field": condition["field"], "op": condition["op"], "value": value})
    return out


def rule_out(rule: AutomationRule, names: selectors.Names,
             counts: selectors.RunCounts | None = None) -> dict[str, Any]:
    out = {
        "id": rule.pk, "name": rule.name, "description": rule.description,
        "position": rule.position, "is_enabled": rule.is_enabled, "trigger": rule.trigger,
        "trigger_options": rule.trigger_options or {},
        "trigger_text": describe_trigger(rule.trigger, rule.trigger_options or {}),
        "match": rule.match, "conditions": _conditions_out(rule.conditions),
        "actions": rule.actions or [],
        "actions_text": selectors.describe_actions(selectors.stored_actions(rule.actions),
                                                   names),
        "enabled_at": rule.enabled_at, "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }
    if counts is not None:
        out["runs"] = {"total": counts.total, "failed": counts.failed,
                       "last_run": counts.last_run}
    return out


def _detail(membership: Membership, rule: AutomationRule) -> dict[str, Any]:
    counts = selectors.run_counts(membership.tenant).get(rule.pk, selectors.RunCounts())
    return rule_out(rule, selectors.target_names(membership.tenant), counts)


def _options(options: AutomationTriggerOptionsIn | None) -> dict[str, Any]:
    return {} if options is None else options.dict(exclude_none=True, by_alias=True)


def _actions(actions: list[AutomationActionIn]) -> list[dict[str, Any]]:
    return [a.dict(exclude_unset=True) for a in actions]


def _conditions(conditions: list[AutomationConditionIn]) -> list[dict[str, Any]]:
    return [c.dict(exclude_unset=True) for c in conditions]


def _rule_input(payload: AutomationRuleIn | AutomationPreviewIn) -> services.RuleInput:
    return services.RuleInput(
        name=payload.name, description=getattr(payload, "description", ""),
        trigger=payload.trigger, trigger_options=_options(payload.trigger_options),
        conditions=_conditions(payload.conditions), actions=_actions(payload.actions),
        match=payload.match, is_enabled=payload.is_enabled)


@router.get("/automation/rules", response={200: list[AutomationRuleDetailOut], **ERRORS},
            summary="List automation rules in order")
def list_rules(request: HttpRequest) -> Any:
    """The tenant's rules, first rule first, each with its run counts (managers and
    admins)."""
    tenant = require_manager(request).tenant
    names = selectors.target_names(tenant)
    counts = selectors.run_counts(tenant)
    return [rule_out(r, names, counts.get(r.pk, selectors.RunCounts()))
            for r in selectors.rules_in_order(tenant)]


@router.post("/automation/rules", response={201: AutomationRuleDetailOut, **ERRORS},
             summary="Create an automation rule", description=RULE_HELP)
def create_rule(request: HttpRequest, payload: AutomationRuleIn) -> Any:
    admin = require_admin(request)
    rule = services.rule_create(tenant=admin.tenant, actor=admin.user,
                                data=_rule_input(payload), now=clock.now(),
                                position=payload.position)
    return 201, _detail(admin, rule)


@router.post("/automation/rules/reorder", response={200: list[AutomationRuleOut], **ERRORS},
             summary="Put the automation rules in order")
def reorder_rules(request: HttpRequest, payload: AutomationRuleOrderIn) -> Any:
    admin = require_admin(request)
    rules = services.rules_reorder(tenant=admin.tenant, rule_ids=payload.rule_ids)
    names = selectors.target_names(admin.tenant)
    return [rule_out(r, names) for r in rules]


@router.post("/automation/rules/preview", response={200: list[AutomationPreviewRowOut], **ERRORS},
             summary="Try a rule on the latest cases")
def preview_rule(request: HttpRequest, payload: AutomationPreviewIn) -> Any:
    """For each of the latest cases (newest first): whether the draft's conditions hold now,
    for a time rule whether its wait has passed, and what its actions would do. Nothing is
    saved or run (managers and admins)."""
    manager = require_manager(request)
    draft = services.rule_from_input(manager.tenant, _rule_input(payload))
    rows = services.rule_preview(tenant=manager.tenant, draft=draft, now=clock.now(),
                                 limit=payload.limit)
    return [{"number": r.number, "subject": r.subject, "status": r.status,
             "matched": r.matched, "due": r.due, "would_run": r.would_run,
             "actions": r.actions} for r in rows]


@router.get("/automation/rules/{rule_id}", response={200: AutomationRuleDetailOut, **ERRORS},
            summary="Read an automation rule")
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    manager = require_manager(request)
    return _detail(manager, get_rule_for_member(manager, rule_id))


@router.patch("/automation/rules/{rule_id}", response={200: AutomationRuleDetailOut, **ERRORS},
              summary="Change an automation rule", description=RULE_HELP)
def patch_rule(request: HttpRequest, rule_id: int, payload: AutomationRulePatch) -> Any:
    """Changes the fields sent; `conditions` and `actions` replace the rule's own, and
    `position` moves it (0 is first). Switching a time rule on starts it from now."""
    admin = require_admin(request)
    rule = get_rule_for_member(admin, rule_id)
    sent = payload.dict(exclude_unset=True)
    for name, value in sent.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    changes: dict[str, Any] = {k: v for k, v in sent.items()
                               if k not in ("trigger_options", "conditions", "actions")}
    if payload.trigger_options is not None:
        changes["trigger_options"] = _options(payload.trigger_options)
    if payload.conditions is not None:
        changes["conditions"] = _conditions(payload.conditions)
    if payload.actions is not None:
        changes["actions"] = _actions(payload.actions)
    rule = services.rule_update(rule=rule, changes=changes, now=clock.now())
    return _detail(admin, rule)


@router.delete("/automation/rules/{rule_id}", response={204: None, **ERRORS},
               summary="Delete an automation rule")
def delete_rule(request: HttpRequest, rule_id: int) -> Any:
    admin = require_admin(request)
    services.rule_delete(rule=get_rule_for_member(admin, rule_id))
    return 204, None


def _run_out(run: RuleRun) -> dict[str, Any]:
    return {"id": run.pk, "case_number": run.case.display_number if run.case else None,
            "trigger": run.trigger, "outcome": run.outcome, "summary": run.summary,
            "error": run.error, "created_at": run.created_at}


@router.get("/automation/rules/{rule_id}/runs", response={200: AutomationRunPageOut, **ERRORS},
            summary="A rule's run log")
def list_runs(request: HttpRequest, rule_id: int,
              cursor: str | None = Query(None, max_length=500),
              limit: int = Query(50, ge=1, le=100)) -> Any:
    """The rule's runs, newest first: the case, what set it off, and what it did or why it
    failed (managers and admins)."""
    manager = require_manager(request)
    rule = get_rule_for_member(manager, rule_id)
    page = selectors.rule_runs(manager.tenant, rule, cursor=cursor, limit=limit)
    return {"items": [_run_out(r) for r in page.items], "next_cursor": page.next_cursor}
