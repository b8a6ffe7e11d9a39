"""Routing rules, the skills each category needs, and routing a case: the rule or fallback
queue it goes to and the agent the queue's strategy gives it (queues themselves are written
by `routing.queues`). The decisions live in `routing.rules` and `routing.strategies`; this
module reads and locks what they need and writes the result."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits, fit_problem, max_length
from casedesk.core.ordering import placed, write_positions
from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.core.text import check_json_text, check_text, check_texts
from casedesk.routing.hooks import open_loads, predictions_for, recent_cases
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement, Strategy
from casedesk.routing.rules import (
    FALLBACK_DEFAULT,
    RULE_FIELDS,
    AccountFacts,
    Actions,
    CaseFacts,
    CompiledRule,
    RuleSpec,
    compile_rule,
    compile_rules,
    fallback_queue_name,
    first_match,
    parse_actions,
    parse_conditions,
    predicted_targets,
    uses_predictions,
)
from casedesk.routing.strategies import Agent, choose, normalise_skills, weight
from casedesk.routing.words import predictions_in_words
from casedesk.tenancy.audit import (
    audit_change,
    audit_created,
    audit_deleted,
    audit_snapshot,
    updated_action,
)
from casedesk.tenancy.models import Availability, Membership, Tenant, User
from casedesk.tenancy.services import tenant_bump_version
from casedesk.tenancy.versioned import TenantCache

RULE_LIMIT = 1000
# What the audit log keeps of a rule.
RULE_AUDITED = ("name", "match", "is_enabled", "conditions", "actions")


@dataclass(frozen=True)
class RuleInput:
    name: str
    conditions: list[Any] = field(default_factory=list)
    actions: dict[str, Any] = field(default_factory=dict)
    match: str = RoutingRule.Match.ALL
    is_enabled: bool = True


def _bump_version(tenant: Tenant) -> None:
    tenant_bump_version(tenant, "routing_version")


def _checked_actions(tenant: Tenant, raw: Any) -> Actions:
    actions = parse_actions(raw)
    if actions.queue_id is not None and not Queue.objects.filter(
            tenant=tenant, pk=actions.queue_id, is_active=True).exists():
        raise Invalid(f"No active queue with id {actions.queue_id}.", field="actions")
    if actions.owner_id is not None and not Membership.objects.filter(
            tenant=tenant, user_id=actions.owner_id, is_active=True,
            user__is_active=True).exists():
        raise Invalid(f"No active member of this tenant has user id {actions.owner_id}.",
                      field="actions")
    return actions


def rule_spec_from_input(tenant: Tenant, data: RuleInput, rule_id: int | None = None, *,
                         check_targets: bool = True) -> RuleSpec:
    """The rule as the router reads it, or Invalid naming what is wrong with it. With
    `check_targets`, the queue and owner it names must exist and be active."""
    name = check_text((data.name or "").strip(), field="name", label="The rule's name")
    if not name:
        raise Invalid("A rule needs a name.", field="name")
    check_fits(RoutingRule, {"name": name})
    check_json_text(data.conditions, field="conditions", label="A condition")
    check_json_text(data.actions, field="actions", label="An action")
    if data.match not in RoutingRule.Match.values:
        raise Invalid("match is all or any.", field="match")
    conditions = parse_conditions(data.conditions, RULE_FIELDS)
    actions = _checked_actions(tenant, data.actions) if check_targets else parse_actions(
        data.actions)
    return RuleSpec(id=rule_id, name=name, conditions=conditions, actions=actions,
                    match_all=data.match == RoutingRule.Match.ALL)


def rule_create(*, tenant: Tenant, data: RuleInput, now: datetime,
                position: int | None = None, actor: User | None = None) -> RoutingRule:
    """A new rule, last in the order unless a position (0 = first) is given; audited."""
    spec = rule_spec_from_input(tenant, data)
    with transaction.atomic():
        rules = list(RoutingRule.objects.select_for_update().filter(tenant=tenant))
        if len(rules) >= RULE_LIMIT:
            raise Conflict(f"A tenant has at most {RULE_LIMIT} routing rules.")
        rule = RoutingRule.objects.create(
            tenant=tenant, name=spec.name, match=data.match, is_enabled=data.is_enabled,
            conditions=[c.as_dict() for c in spec.conditions], actions=spec.actions.as_dict(),
            position=len(rules), created_at=now, updated_at=now)
        if position is not None:
            _write_order(tenant, placed([r.pk for r in rules], rule.pk, position))
            rule.refresh_from_db(fields=["position"])
        _bump_version(tenant)
        audit_created(tenant=tenant, actor=actor, action="routing_rule.created",
                      target_type="routing_rule", target_id=rule.pk, target_label=rule.name,
                      values={**audit_snapshot(rule, RULE_AUDITED), "position": rule.position})
    return rule


def rule_update(*, rule: RoutingRule, changes: dict[str, Any], now: datetime,
                actor: User | None = None) -> RoutingRule:
    """Changes name, conditions, actions, match or is_enabled; `position` moves the rule.
    Audited as `routing_rule.updated` (`routing_rule.enabled` / `.disabled` when only that
    switch changed)."""
    tenant = rule.tenant
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk, tenant=tenant)
        before = {**audit_snapshot(rule, RULE_AUDITED), "position": rule.position}
        merged = RuleInput(
            name=changes.get("name", rule.name),
            conditions=changes.get("conditions", rule.conditions),
            actions=changes.get("actions", rule.actions),
            match=changes.get("match", rule.match),
            is_enabled=changes.get("is_enabled", rule.is_enabled),
        )
        # A rule whose queue was since deactivated can still be disabled, moved or renamed;
        # its targets are checked when its actions change or it is switched on.
        spec = rule_spec_from_input(
            tenant, merged, rule.pk,
            check_targets="actions" in changes or (merged.is_enabled and not rule.is_enabled))
        rule.name = spec.name
        rule.conditions = [c.as_dict() for c in spec.conditions]
        rule.actions = spec.actions.as_dict()
        rule.match = merged.match
        rule.is_enabled = bool(merged.is_enabled)
        rule.updated_at = now
        rule.save()
        if changes.get("position") is not None:
            order = list(RoutingRule.objects.filter(tenant=tenant).values_list("pk", flat=True))
            _write_order(tenant, placed(order, rule.pk, int(changes["position"])))
            rule.refresh_from_db(fields=["position"])
        _bump_version(tenant)
        after = {**audit_snapshot(rule, RULE_AUDITED), "position": rule.position}
        audit_change(tenant=tenant, actor=actor, action=updated_action(
                         "routing_rule", before, after), target_type="routing_rule",
                     target_id=rule.pk, target_label=rule.name, before=before, after=after)
    return rule


def rule_delete(*, rule: RoutingRule, actor: User | None = None) -> None:
    """Deletes the rule, closing up the order; audited."""
    tenant = rule.tenant
    with transaction.atomic():
        list(RoutingRule.objects.select_for_update().filter(tenant=tenant))
        audit_deleted(tenant=tenant, actor=actor, action="routing_rule.deleted",
                      target_type="routing_rule", target_id=rule.pk, target_label=rule.name,
                      values=audit_snapshot(rule, RULE_AUDITED))
        rule.delete()
        _write_order(tenant, list(RoutingRule.objects.filter(tenant=tenant)
                                  .values_list("pk", flat=True)))
        _bump_version(tenant)


def rules_reorder(*, tenant: Tenant, rule_ids: list[int],
                  actor: User | None = None) -> list[RoutingRule]:
    """Puts the rules in the given order; the list must name every rule of the tenant once.
    Audited with the old and new order (rule ids, first first) when it moved."""
    with transaction.atomic():
        old_order = list(RoutingRule.objects.select_for_update().filter(tenant=tenant)
                         .order_by("position", "id").values_list("pk", flat=True))
        if len(rule_ids) != len(set(rule_ids)) or set(rule_ids) != set(old_order):
            raise Invalid("The order must list every rule of the tenant exactly once.",
                          field="rule_ids")
        _write_order(tenant, rule_ids)
        _bump_version(tenant)
        audit_change(tenant=tenant, actor=actor, action="routing_rules.reordered",
                     target_type="routing_rule", target_id="", target_label="Routing rules",
                     before={"order": old_order}, after={"order": list(rule_ids)})
    return list(RoutingRule.objects.filter(tenant=tenant))


def _write_order(tenant: Tenant, order: list[int]) -> None:
    write_positions(RoutingRule.objects.filter(tenant=tenant), order)


def spec_of(rule: RoutingRule) -> RuleSpec:
    """A stored rule as the router reads it (stored rules were checked when written)."""
    return RuleSpec(id=rule.pk, name=rule.name,
                    conditions=parse_conditions(rule.conditions, RULE_FIELDS),
                    actions=parse_actions(rule.actions),
                    match_all=rule.match == RoutingRule.Match.ALL)


# Each process keeps the compiled rules of the tenants it served (tenancy/versioned.py), with
# whether any of them tests a prediction.
_compiled: TenantCache[tuple[tuple[CompiledRule, ...], bool]] = TenantCache("routing_version")


def _compiled_entry(tenant: Tenant) -> tuple[tuple[CompiledRule, ...], bool]:
    def load() -> tuple[tuple[CompiledRule, ...], bool]:
        specs = [spec_of(r) for r in RoutingRule.objects.filter(tenant=tenant, is_enabled=True)]
        return compile_rules(specs), uses_predictions(specs)

    return _compiled.get(tenant, load)


def compiled_rules(tenant: Tenant) -> tuple[CompiledRule, ...]:
    return _compiled_entry(tenant)[0]


def with_predictions(tenant: Tenant, facts: CaseFacts) -> CaseFacts:
    """The facts with what the tenant's triage model predicts for the case (a model call:
    only for rules that test `predicted.*` fields)."""
    if facts.predictions:
        return facts
    return replace(facts, predictions=dict(predictions_for(tenant, facts)))


def _skill_map(tenant: Tenant) -> dict[str, list[str]]:
    return {f"{r.category}/{r.subcategory}" if r.subcategory else r.category: r.skills
            for r in SkillRequirement.objects.filter(tenant=tenant)
            .order_by("category", "subcategory")}


def skill_requirements_set(*, tenant: Tenant, requirements: list[tuple[str, str, list[str]]],
                           actor: User | None = None) -> list[SkillRequirement]:
    """Replaces the tenant's category → skills map with `requirements`
    ((category, subcategory or "", skills)); audited."""
    rows: dict[tuple[str, str], SkillRequirement] = {}
    for category, subcategory, skills in requirements:
        check_texts({"requirements": [category, subcategory, *skills]}, ("requirements",))
        category, subcategory = category.strip(), subcategory.strip()
        if not category:
            raise Invalid("Each entry needs a category.", field="requirements")
        for name, value in (("category", category), ("subcategory", subcategory)):
            if fit_problem(SkillRequirement, name, value) is not None:
                raise Invalid(f"{value[:20]}…: a {name} has at most "
                              f"{max_length(SkillRequirement, name)} characters.",
                              field="requirements")
        clean = sorted(normalise_skills(skills))
        if not clean:
            raise Invalid(f"{category}: list at least one skill.", field="requirements")
        rows[(category.casefold(), subcategory.casefold())] = SkillRequirement(
            tenant=tenant, category=category, subcategory=subcategory, skills=clean)
    with transaction.atomic():
        old = _skill_map(tenant)
        SkillRequirement.objects.filter(tenant=tenant).delete()
        SkillRequirement.objects.bulk_create(rows.values())
        audit_change(tenant=tenant, actor=actor, action="skill_requirements.updated",
                     target_type="skill_requirements", target_id="",
                     target_label="Skills per category",
                     before={"skills": old}, after={"skills": _skill_map(tenant)})
    return list(SkillRequirement.objects.filter(tenant=tenant))


def required_skills(tenant: Tenant, facts: CaseFacts) -> frozenset[str]:
    """The skills a case needs: its category's and subcategory's, plus its language."""
    skills: set[str] = set()
    if facts.category:
        for row in SkillRequirement.objects.filter(tenant=tenant,
                                                   category__iexact=facts.category):
            if not row.subcategory or row.subcategory.casefold() == facts.subcategory.casefold():
                skills.update(row.skills)
    if facts.language:
        skills.add(facts.language)
    return normalise_skills(skills)


# --- deciding where a case goes ---------------------------------------------------------------

@dataclass
class Route:
    """Where routing sends a case, and why: written to its timeline."""

    queue: Queue | None = None
    owner_id: int | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()
    rule: RuleSpec | None = None
    via: str = "none"  # "rule", "fallback", "given" or "none"
    assignment: str = ""  # what the queue's strategy did

    def message(self, display_owner: str = "") -> str:
        parts = []
        if self.via == "rule" and self.rule is not None:
            parts.append(f"Routed by rule “{self.rule.name}”")
        elif self.via == "fallback" and self.rule is not None:
            parts.append(f"Rule “{self.rule.name}” matched; routed by the fallback map")
        elif self.via == "fallback":
            parts.append("Routed by the fallback map")
        elif self.via == "given":
            parts.append("Queue given on creation")
        else:
            parts.append("No rule or fallback queue matched")
        if self.queue is not None:
            parts.append(f"to {self.queue.name}")
        text = " ".join(parts) + "."
        if self.owner_id is not None and display_owner:
            text += f" Assigned to {display_owner}"
            text += f" ({self.assignment})." if self.assignment else "."
        elif self.assignment:
            text += f" Left unassigned: {self.assignment}."
        if self.priority is not None:
            text += f" Priority set to {PRIORITY_BY_RUNG.get(self.priority, self.priority)}."
        if self.tags:
            text += f" Tagged {', '.join(self.tags)}."
        return text

    def as_value(self) -> dict[str, Any]:
        return {"via": self.via, "rule_id": self.rule.id if self.rule else None,
                "rule": self.rule.name if self.rule else None,
                "queue_id": self.queue.pk if self.queue else None,
                "owner_id": self.owner_id, "priority": self.priority, "tags": list(self.tags),
                "assignment": self.assignment}


def _memo(queues: dict[Any, Queue | None] | None, key: Any,
          read: Callable[[], Queue | None]) -> Queue | None:
    if queues is None:
        return read()
    if key not in queues:
        queues[key] = read()
    return queues[key]


def decide(tenant: Tenant, facts: CaseFacts, *, rules: Sequence[CompiledRule] | None = None,
           given_queue_id: int | None = None,
           queues: dict[Any, Queue | None] | None = None) -> Route:
    """Where the case goes before any agent is picked: the given queue, else the first
    matching rule, else (when that rule names neither queue nor owner, or none matches) the
    fallback map. Reads only; call it before the transaction that writes the case. A batch
    of decisions shares `queues`, so each queue is read once."""
    route = Route()
    if given_queue_id is not None:
        # An archived queue takes no new cases: one given anyway (mail addressed to it before
        # it was archived, say) lets routing choose instead.
        route.queue = _memo(queues, ("given", given_queue_id), lambda: Queue.objects.filter(
            tenant=tenant, pk=given_queue_id, is_active=True).first())
        if route.queue is not None:
            route.via = "given"
            return route
    if rules is None:
        rules, predicting = _compiled_entry(tenant)
    else:
        predicting = uses_predictions([r.spec for r in rules])
    # The model is asked only when some rule wants its answer, so creating cases costs
    # nothing more for tenants whose rules test no prediction.
    if predicting:
        facts = with_predictions(tenant, facts)
    rule = first_match(rules, facts)
    if rule is not None:
        route.rule = rule
        route.priority = rule.actions.priority
        route.tags = rule.actions.tags
        if rule.actions.owner_id is not None and Membership.objects.filter(
                tenant=tenant, user_id=rule.actions.owner_id, is_active=True,
                user__is_active=True).exists():
            route.owner_id = rule.actions.owner_id
            route.via = "rule"
        queue_id = rule.actions.queue_id
        if queue_id is not None:
            route.queue = _memo(queues, ("rule", queue_id), lambda: Queue.objects.filter(
                tenant=tenant, pk=queue_id, is_active=True).first())
            if route.queue is not None:
                route.via = "rule"
        if route.via == "rule":
            return route
    route.queue = _fallback(tenant, facts.category, queues)
    route.via = "fallback" if route.queue is not None else "none"
    return route


def fallback_names(category: str) -> tuple[str, ...]:
    """The queues the fallback map tries for a category, in turn: its own, then the map's
    default (Support), so that archiving a team's queue sends its cases to the first line
    rather than to no queue at all."""
    return tuple(dict.fromkeys((fallback_queue_name(category), FALLBACK_DEFAULT)))


def _fallback(tenant: Tenant, category: str, queues: dict[Any, Queue | None] | None
              ) -> Queue | None:
    for name in fallback_names(category):
        queue = _memo(queues, ("fallback", name.lower()), partial(_active_queue, tenant, name))
        if queue is not None:
            return queue
    return None


def _active_queue(tenant: Tenant, name: str) -> Queue | None:
    return Queue.objects.filter(tenant=tenant, is_active=True, name__iexact=name).first()


def assign_in_queue(tenant: Tenant, route: Route, facts: CaseFacts,
                    rerouting: int | None = None) -> None:
    """Lets the route's queue pick an agent (when the route has no owner yet). Call it inside
    the transaction that writes the case: it locks the queue row (round-robin's rota) and the
    candidates' membership rows, so concurrent creators see each other's assignments and
    nobody is given more than their capacity."""
    queue = route.queue
    if route.owner_id is not None or queue is None or queue.strategy == Strategy.MANUAL:
        return
    queue = Queue.objects.select_for_update().get(pk=queue.pk, tenant=tenant)
    route.queue = queue
    members = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, queues=queue, is_active=True, user__is_active=True)
        .order_by("pk")
    )
    agents = _agents(tenant, members, leaving=rerouting)
    case_weight = weight(route.priority or facts.priority)
    choice = choose(
        queue.strategy, agents, case_weight=case_weight, last_user_id=queue.rr_last_user_id,
        required_skills=(required_skills(tenant, facts) if queue.strategy == Strategy.SKILLS
                         else frozenset()),
        territory=facts.account.territory if facts.account else "",
    )
    route.owner_id = choice.user_id
    route.assignment = choice.reason
    if choice.user_id is not None and queue.strategy == Strategy.ROUND_ROBIN:
        Queue.objects.filter(pk=queue.pk).update(rr_last_user_id=choice.user_id)
        queue.rr_last_user_id = choice.user_id


def _agents(tenant: Tenant, members: list[Membership], leaving: int | None = None
            ) -> list[Agent]:
    """The members as the strategies see them; `leaving` is a case being routed again, which
    does not count against its current owner."""
    loads: dict[int, int] = {}
    for owner_id, priority, count in open_loads(tenant, [m.user_id for m in members], leaving):
        loads[owner_id] = loads.get(owner_id, 0) + weight(priority) * count
    return [
        Agent(user_id=m.user_id, capacity=m.capacity, load=loads.get(m.user_id, 0),
              available=m.availability == Availability.AVAILABLE,
              skills=normalise_skills(m.skills if isinstance(m.skills, list) else []),
              territory=m.territory)
        for m in members
    ]


# --- trying a rule on past cases --------------------------------------------------------------

PREVIEW_CASES = 200


@dataclass(frozen=True)
class PreviewRow:
    case_id: int
    number: str
    subject: str
    category: str
    current_queue: str
    matched: bool  # the rule being tried matched this case
    rule: str  # the rule that would decide, if any
    queue: str  # where the case would go ("" = nowhere)
    owner_id: int | None
    predicted: str = ""  # what the model predicted, when the rules test predictions


def rule_preview(*, tenant: Tenant, draft: RuleSpec, replacing_id: int | None = None,
                 position: int | None = None, limit: int = PREVIEW_CASES) -> list[PreviewRow]:
    """Where each of the tenant's last `limit` cases would have gone with `draft` among the
    enabled rules (in place of rule `replacing_id`, or at `position`, else last). Assignment
    strategies are not simulated: they depend on the agents' load at the time."""
    specs = [spec_of(r) for r in RoutingRule.objects.filter(tenant=tenant, is_enabled=True)]
    if replacing_id is not None and any(s.id == replacing_id for s in specs):
        specs = [draft if s.id == replacing_id else s for s in specs]
    else:
        specs.insert(len(specs) if position is None else max(0, min(position, len(specs))),
                     draft)
    rules = compile_rules(specs)
    predicting = predicted_targets(specs)
    tried = compile_rule(draft)
    queues = {q.pk: q for q in Queue.objects.filter(tenant=tenant)}
    # As routing does: an owner who has been deactivated since the rule was written is
    # passed over.
    active_owners = set(Membership.objects.filter(tenant=tenant, is_active=True,
                                                  user__is_active=True)
                        .values_list("user_id", flat=True))
    rows = []
    for case in recent_cases(tenant, limit):
        facts = facts_of_case(case)
        if predicting:
            facts = with_predictions(tenant, facts)
        rule = first_match(rules, facts)
        queue_name, owner_id = "", None
        if rule is not None and rule.actions.routes:
            queue = queues.get(rule.actions.queue_id) if rule.actions.queue_id else None
            queue_name = queue.name if queue is not None and queue.is_active else ""
            owner_id = (rule.actions.owner_id if rule.actions.owner_id in active_owners
                        else None)
        if not queue_name and owner_id is None:
            active = {q.name.casefold(): q.name for q in queues.values() if q.is_active}
            queue_name = next((active[n.casefold()] for n in fallback_names(facts.category)
                               if n.casefold() in active), "")
        rows.append(PreviewRow(
            case_id=case.pk, number=case.display_number, subject=case.subject,
            category=case.category,
            current_queue=queues[case.queue_id].name if case.queue_id in queues else "",
            matched=tried.predicate(facts), rule=rule.name if rule else "",
            queue=queue_name, owner_id=owner_id,
            predicted=(predictions_in_words(facts.predictions, predicting) if predicting
                       else "")))
    return rows


def facts_of_case(case: Any) -> CaseFacts:
    """The routing facts of a stored case (its account and contact already loaded)."""
    account = case.account if case.account_id else None
    contact = case.contact if case.contact_id else None
    return CaseFacts(
        subject=case.subject, description=case.description, category=case.category,
        subcategory=case.subcategory, type=case.type, source=case.source,
        language=case.language, priority=case.priority, tags=tuple(case.tags or ()),
        custom=case.custom_fields or {},
        account=account_facts(account) if account is not None else None,
        contact_id=case.contact_id, contact_email=contact.email if contact else "",
        status=case.status, queue_id=case.queue_id, owner_id=case.owner_id,
    )


def account_facts(account: Any) -> AccountFacts:
    return AccountFacts(id=account.pk, name=account.name, tier=account.tier,
                        segment=account.segment, territory=account.territory)
