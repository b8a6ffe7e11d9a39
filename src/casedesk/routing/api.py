"""The queues and routing API: queues and their assignment strategies, routing rules (with
a preview on past cases) and the category → skills map."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_BY_RUNG, PriorityName
from casedesk.core.schemas import MAX_ID, Email, Error, Id, RequiredText, Text, fits
from casedesk.routing import queues, rules, selectors, services
from casedesk.routing.access import get_queue_for_member, get_rule_for_member
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement
from casedesk.tenancy.api_auth import member, require_admin, require_manager
from casedesk.tenancy.models import Membership
from casedesk.tenancy.presenters import PersonOut, person

router = Router(tags=["queues"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
StrategyName = Literal["manual", "round_robin", "load_balanced", "skills", "territory"]
STRATEGY_HELP = (
    "How the queue picks the agent for a case routed to it: `manual` (agents claim), "
    "`round_robin`, `load_balanced` (open cases weighted by priority against capacity), "
    "`skills` (the case's category and language) or `territory` (the account's). Members "
    "who are not available, or who are at capacity, are skipped; when nobody qualifies the "
    "case waits unassigned."
)


class QueueIn(Schema):
    name: Annotated[RequiredText, fits(Queue, "name")]
    description: Annotated[Text, fits(Queue, "description")] = ""
    email: Annotated[Email, fits(Queue, "email")] | None = None
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)
    strategy: StrategyName = Field("manual", description=STRATEGY_HELP)


class QueuePatch(Schema):
    name: Annotated[RequiredText, fits(Queue, "name")] | None = None
    description: Annotated[Text, fits(Queue, "description")] | None = None
    email: Annotated[Email, fits(Queue, "email")] | None = None
    member_ids: list[Id] | None = Field(None, max_length=1000, description=(
        "Replaces the members: active members' user ids (a deactivated member already in "
        "the queue may be kept)."))
    is_active: bool | None = Field(None, description=(
        "false archives the queue: it takes no new cases and keeps those it has. Refused "
        "(409) while open cases wait in it without an owner or an enabled routing rule sends "
        "cases to it. true restores it."))
    strategy: StrategyName | None = Field(None, description=STRATEGY_HELP)


class QueueOut(Schema):
    id: int
    name: str
    description: str
    email: str
    member_ids: list[int]
    is_active: bool
    strategy: StrategyName
    created_at: datetime


def queue_out(queue: Queue) -> dict[str, Any]:
    return {
        "id": queue.pk, "name": queue.name, "description": queue.description,
        "email": queue.email, "is_active": queue.is_active, "strategy": queue.strategy,
        "created_at": queue.created_at,
        "member_ids": sorted(m.user_id for m in queue.members.all()),
    }


@router.get("/queues", response={200: list[QueueOut], **ERRORS})
def list_queues(request: HttpRequest) -> Any:
    return [queue_out(q) for q in selectors.queues_with_members(member(request).tenant)]


@router.post("/queues", response={201: QueueOut, **ERRORS})
def create_queue(request: HttpRequest, payload: QueueIn) -> Any:
    admin = require_admin(request)
    queue = queues.queue_create(tenant=admin.tenant, name=payload.name.strip(),
                                description=payload.description, email=payload.email or "",
                                member_ids=payload.member_ids, strategy=payload.strategy)
    return 201, queue_out(get_queue_for_member(admin, queue.pk))


@router.get("/queues/{queue_id}", response={200: QueueOut, **ERRORS})
def get_queue(request: HttpRequest, queue_id: int) -> Any:
    return queue_out(get_queue_for_member(member(request), queue_id))


@router.patch("/queues/{queue_id}", response={200: QueueOut, **ERRORS})
def patch_queue(request: HttpRequest, queue_id: int, payload: QueuePatch) -> Any:
    admin = require_admin(request)
    queue = get_queue_for_member(admin, queue_id)
    changes = payload.dict(exclude_unset=True)
    for name in ("name", "description", "member_ids", "is_active", "strategy"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    if "email" in changes:
        changes["email"] = changes["email"] or ""
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    queues.queue_update(queue=queue, changes=changes)
    return queue_out(get_queue_for_member(admin, queue_id))


# --- routing rules ----------------------------------------------------------------------------

rules_router = Router(tags=["routing"])

# What a condition compares with: bounded numbers (no NaN or infinity, which JSON columns
# refuse), storable text, and flat lists of those. routing.rules decides what each field and
# operator accepts.
ValueInt = Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]
ValueFloat = Annotated[float, Field(allow_inf_nan=False)]
ValueText = Annotated[Text, Field(max_length=rules.MAX_VALUE_LENGTH)]
Scalar = ValueText | bool | ValueInt | ValueFloat
ConditionValue = Scalar | Annotated[list[Scalar], Field(max_length=rules.MAX_LIST_VALUES)] | None
ScalarOut = str | bool | int | float
RULE_HELP = (
    "A routing rule: when its `conditions` hold for a new case (`match`: all or any of them; "
    "no conditions match every case), its `actions` set the queue, owner, priority and tags. "
    "Rules run in `position` order and the first match wins; the fallback map (Billing → "
    "Finance, Technical → Engineering, anything else → Support) applies when none routes "
    "the case."
)


class ConditionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    field: Annotated[Text, Field(max_length=100, description=(
        f"One of {', '.join(rules.FIELDS)}, or custom.<key> for a custom field. Routing "
        f"rules also take what the tenant's triage model predicts: "
        f"{', '.join(rules.PREDICTED_FIELDS)} (the confidences are numbers from 0 to 1, "
        f"compared with gte, gt, lte, lt; predicted.queue is a queue's name)."))]
    op: Annotated[Text, Field(max_length=20, description=(
        f"One of {', '.join(rules.ALL_OPERATORS)} (which ones a field takes depends on it)."))]
    value: ConditionValue = Field(None, description=(
        "Text, a number, true/false, or a list of those for in/not_in; none for is_empty "
        "and is_set."))


class ConditionOut(Schema):
    field: str
    op: str
    value: ScalarOut | list[ScalarOut] | None


class ActionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    queue_id: Id | None = None
    owner_id: Id | None = Field(None, description="A member's user id.")
    priority: PriorityName | None = None
    tags: list[Annotated[Text, Field(max_length=50)]] = Field(default_factory=list,
                                                               max_length=20)


class ActionsOut(Schema):
    queue_id: int | None
    owner_id: int | None
    priority: PriorityName | None
    tags: list[str]


class RuleIn(Schema):
    name: Annotated[RequiredText, fits(RoutingRule, "name")]
    match: Literal["all", "any"] = "all"
    is_enabled: bool = True
    conditions: list[ConditionIn] = Field(default_factory=list,
                                          max_length=rules.MAX_CONDITIONS)
    actions: ActionsIn
    position: int | None = Field(None, ge=0, le=services.RULE_LIMIT,
                                 description="0 is first; the rule goes last without one.")


class RulePatch(Schema):
    name: Annotated[RequiredText, fits(RoutingRule, "name")] | None = None
    match: Literal["all", "any"] | None = None
    is_enabled: bool | None = None
    conditions: list[ConditionIn] | None = Field(None, max_length=rules.MAX_CONDITIONS)
    actions: ActionsIn | None = None
    position: int | None = Field(None, ge=0, le=services.RULE_LIMIT)


class RuleOut(Schema):
    id: int
    name: str
    position: int
    is_enabled: bool
    match: Literal["all", "any"]
    conditions: list[ConditionOut]
    actions: ActionsOut
    created_at: datetime
    updated_at: datetime


class RuleOrderIn(Schema):
    rule_ids: list[Id] = Field(max_length=services.RULE_LIMIT, description=(
        "Every rule of the tenant, once each, first rule first."))


class PreviewIn(RuleIn):
    name: Annotated[RequiredText, fits(RoutingRule, "name")] = "Draft rule"
    replacing_id: Id | None = Field(None, description=(
        "Try the rule in place of this existing rule (when editing it)."))
    limit: int = Field(services.PREVIEW_CASES, ge=1, le=services.PREVIEW_CASES,
                       description="How many of the latest cases to try.")


class PreviewRowOut(Schema):
    number: str
    subject: str
    category: str
    current_queue: str = Field(description="The queue the case is in now.")
    matched: bool = Field(description="Whether the rule being tried matches the case.")
    rule: str = Field(description="The rule that would route the case (\"\" when none).")
    queue: str = Field(description="The queue the case would go to (\"\" when none).")
    owner: PersonOut | None


class SkillRequirementIn(Schema):
    category: Annotated[RequiredText, fits(SkillRequirement, "category")]
    subcategory: Annotated[Text, fits(SkillRequirement, "subcategory")] = Field(
        "", description="Empty: every case of the category.")
    skills: list[Annotated[Text, Field(max_length=50)]] = Field(min_length=1, max_length=50)


class SkillRequirementOut(Schema):
    category: str
    subcategory: str
    skills: list[str]


class SkillMapIn(Schema):
    requirements: list[SkillRequirementIn] = Field(max_length=500)


class SkillMapOut(Schema):
    requirements: list[SkillRequirementOut]


def _priority_name(value: Any) -> Any:
    return PRIORITY_BY_RUNG.get(value, value) if isinstance(value, int) else value


def rule_out(rule: RoutingRule) -> dict[str, Any]:
    conditions = []
    for condition in rule.conditions:
        value = condition.get("value")
        if condition.get("field") == "priority":  # stored as rungs; shown as names
            value = ([_priority_name(v) for v in value] if isinstance(value, list | tuple)
                     else _priority_name(value))
        conditions.append({"field": condition["field"], "op": condition["op"], "value": value})
    actions = rule.actions
    return {
        "id": rule.pk, "name": rule.name, "position": rule.position,
        "is_enabled": rule.is_enabled, "match": rule.match, "conditions": conditions,
        "actions": {"queue_id": actions.get("queue_id"), "owner_id": actions.get("owner_id"),
                    "priority": _priority_name(actions.get("priority")),
                    "tags": actions.get("tags", [])},
        "created_at": rule.created_at, "updated_at": rule.updated_at,
    }


def _rule_input(payload: RuleIn) -> services.RuleInput:
    return services.RuleInput(
        name=payload.name, match=payload.match, is_enabled=payload.is_enabled,
        conditions=[c.dict(exclude_unset=True) for c in payload.conditions],
        actions=payload.actions.dict(exclude_none=True))


def _rules(membership: Membership) -> list[dict[str, Any]]:
    return [rule_out(r) for r in selectors.rules_in_order(membership.tenant)]


@rules_router.get("/routing/rules", response={200: list[RuleOut], **ERRORS},
                  summary="List routing rules in order")
def list_rules(request: HttpRequest) -> Any:
    """The tenant's routing rules, first rule first (managers and admins)."""
    return _rules(require_manager(request))


@rules_router.post("/routing/rules", response={201: RuleOut, **ERRORS},
                   summary="Create a routing rule", description=RULE_HELP)
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    admin = require_admin(request)
    rule = services.rule_create(tenant=admin.tenant, data=_rule_input(payload), now=clock.now(),
                                position=payload.position)
    return 201, rule_out(rule)


@rules_router.post("/routing/rules/order", response={200: list[RuleOut], **ERRORS},
                   summary="Put the routing rules in order")
def order_rules(request: HttpRequest, payload: RuleOrderIn) -> Any:
    admin = require_admin(request)
    services.rules_reorder(tenant=admin.tenant, rule_ids=payload.rule_ids)
    return _rules(admin)


@rules_router.post("/routing/rules/preview", response={200: list[PreviewRowOut], **ERRORS},
                   summary="Try a rule on the latest cases")
def preview_rule(request: HttpRequest, payload: PreviewIn) -> Any:
    """Where each of the latest cases (newest first) would go with this rule among the enabled
    rules: in place of `replacing_id`, else at `position`, else last. Nothing is saved, and
    the queues' assignment strategies are not simulated (managers and admins)."""
    manager = require_manager(request)
    tenant = manager.tenant
    if payload.replacing_id is not None and not selectors.has_rule(tenant,
                                                                   payload.replacing_id):
        raise Invalid(f"No routing rule with id {payload.replacing_id}.", field="replacing_id")
    draft = services.rule_spec_from_input(tenant, _rule_input(payload), payload.replacing_id)
    rows = services.rule_preview(tenant=tenant, draft=draft, replacing_id=payload.replacing_id,
                                 position=payload.position, limit=payload.limit)
    owners = selectors.member_users(tenant, {r.owner_id for r in rows if r.owner_id})
    return [
        {"number": r.number, "subject": r.subject, "category": r.category,
         "current_queue": r.current_queue, "matched": r.matched, "rule": r.rule,
         "queue": r.queue, "owner": person(owners.get(r.owner_id) if r.owner_id else None)}
        for r in rows
    ]


@rules_router.get("/routing/rules/{rule_id}", response={200: RuleOut, **ERRORS},
                  summary="Read a routing rule")
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    return rule_out(get_rule_for_member(require_manager(request), rule_id))


@rules_router.patch("/routing/rules/{rule_id}", response={200: RuleOut, **ERRORS},
                    summary="Change a routing rule")
def patch_rule(request: HttpRequest, rule_id: int, payload: RulePatch) -> Any:
    """Changes the fields sent; `conditions` and `actions` replace the rule's own, and
    `position` moves it (0 is first)."""
    admin = require_admin(request)
    rule = get_rule_for_member(admin, rule_id)
    changes = payload.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    if "actions" in changes:
        changes["actions"] = {k: v for k, v in changes["actions"].items() if v is not None}
    return rule_out(services.rule_update(rule=rule, changes=changes, now=clock.now()))


@rules_router.delete("/routing/rules/{rule_id}", response={204: None, **ERRORS},
                     summary="Delete a routing rule")
def delete_rule(request: HttpRequest, rule_id: int) -> Any:
    admin = require_admin(request)
    services.rule_delete(rule=get_rule_for_member(admin, rule_id))
    return 204, None


# --- skills -----------------------------------------------------------------------------------

def _skill_map(requirements: list[SkillRequirement]) -> dict[str, Any]:
    return {"requirements": [{"category": r.category, "subcategory": r.subcategory,
                              "skills": r.skills} for r in requirements]}


@rules_router.get("/routing/skills", response={200: SkillMapOut, **ERRORS},
                  summary="The skills each category needs")
def get_skills(request: HttpRequest) -> Any:
    """What a case of each category (or subcategory) needs from its agent in queues that
    assign by skills; the case's language is needed too (managers and admins)."""
    return _skill_map(selectors.skill_requirements(require_manager(request).tenant))


@rules_router.put("/routing/skills", response={200: SkillMapOut, **ERRORS},
                  summary="Replace the skills each category needs")
def put_skills(request: HttpRequest, payload: SkillMapIn) -> Any:
    admin = require_admin(request)
    return _skill_map(services.skill_requirements_set(
        tenant=admin.tenant,
        requirements=[(r.category, r.subcategory, r.skills) for r in payload.requirements]))
