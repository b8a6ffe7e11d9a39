"""Routing's reads, for its API and its pages: the rules in order (and in words), the queues
with their people, the skills map, what the condition forms offer, and a preview summed up.
Each read takes the tenant and costs a fixed number of queries, however many rules, queues
or members there are. What routing reads of cases comes through `routing.hooks`."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from casedesk.core.priority import PRIORITY_NAMES
from casedesk.routing.hooks import case_field_values, open_loads, waiting_by_queue
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement
from casedesk.routing.rules import (
    CONFIDENCE_SUFFIX,
    FALLBACK_DEFAULT,
    FALLBACK_QUEUES,
    PREDICTED_PREFIX,
    PREDICTION_TARGETS,
)
from casedesk.routing.services import PreviewRow
from casedesk.routing.words import actions_in_words, describe_condition
from casedesk.tenancy.models import Membership, Tenant, User
from casedesk.tenancy.selectors import member_names, members_of

# --- rules ------------------------------------------------------------------------------------


def rules_in_order(tenant: Tenant) -> list[RoutingRule]:
    """The tenant's rules, first rule first."""
    return list(RoutingRule.objects.for_tenant(tenant).order_by("position", "id"))


def rule_ids_in_order(tenant: Tenant) -> list[int]:
    return list(RoutingRule.objects.for_tenant(tenant).order_by("position", "id")
                .values_list("pk", flat=True))


def has_rule(tenant: Tenant, rule_id: int) -> bool:
    return RoutingRule.objects.filter(tenant=tenant, pk=rule_id).exists()


def enabled_position(tenant: Tenant, rule: RoutingRule) -> int:
    """Where `rule` sits among the enabled rules: the place a preview tries it at, so a
    disabled rule is tried where it would act once enabled."""
    return RoutingRule.objects.filter(tenant=tenant, is_enabled=True).filter(
        position__lt=rule.position).count()


@dataclass
class RuleLine:
    """A rule as the list shows it: its place, its conditions and actions in words."""

    rule: RoutingRule
    number: int
    conditions: list[str]
    actions: list[str]
    is_first: bool = False
    is_last: bool = False


def rule_lines(tenant: Tenant) -> list[RuleLine]:
    rules = rules_in_order(tenant)
    queues = queue_names(tenant)
    members = member_names(tenant.pk)
    lines = [RuleLine(rule=rule, number=i + 1,
                      conditions=[describe_condition(c) for c in rule.conditions or []
                                  if isinstance(c, dict)],
                      actions=actions_in_words(rule.actions or {}, queues, members))
             for i, rule in enumerate(rules)]
    if lines:
        lines[0].is_first = lines[-1].is_last = True
    return lines


# --- queues, members and skills -----------------------------------------------------------------

def queues_with_members(tenant: Tenant) -> list[Queue]:
    """The tenant's queues by name, their members loaded."""
    return list(Queue.objects.for_tenant(tenant).prefetch_related("members"))


def queue_names(tenant: Tenant) -> dict[int, str]:
    return dict(Queue.objects.for_tenant(tenant).values_list("pk", "name"))


def member_users(tenant: Tenant, user_ids: set[int]) -> dict[int, User]:
    """The users among `user_ids` who belong (or belonged) to the tenant."""
    return {u.pk: u for u in User.objects.filter(memberships__tenant=tenant, pk__in=user_ids)}


def skill_requirements(tenant: Tenant) -> list[SkillRequirement]:
    return list(SkillRequirement.objects.for_tenant(tenant).order_by("category",
                                                                         "subcategory"))


@dataclass
class Person:
    membership: Membership
    open_cases: int
    queue_names: list[str] = field(default_factory=list)

    @property
    def skills_text(self) -> str:
        skills = self.membership.skills
        return ", ".join(skills) if isinstance(skills, list) else ""


@dataclass
class QueueCard:
    queue: Queue
    people: list[Person]
    waiting: int  # open cases in the queue with no owner


def queues_and_people(tenant: Tenant) -> tuple[list[QueueCard], list[Person]]:
    """Every queue with its members, and every active member with their queues."""
    queues = list(Queue.objects.for_tenant(tenant).order_by("-is_active", "name")
                  .prefetch_related("members"))
    memberships = list(members_of(tenant.pk))
    loads: Counter[int] = Counter()
    for owner_id, _priority, count in open_loads(tenant, [m.user_id for m in memberships],
                                                 None):
        loads[owner_id] += count
    waiting = waiting_by_queue(tenant)
    people = {m.pk: Person(membership=m, open_cases=loads[m.user_id]) for m in memberships}
    cards = []
    for queue in queues:
        members = [people[m.pk] for m in queue.members.all() if m.pk in people]
        members.sort(key=lambda p: p.membership.user.display_name.casefold())
        for person in members:
            person.queue_names.append(queue.name)
        cards.append(QueueCard(queue=queue, people=members, waiting=waiting.get(queue.pk, 0)))
    return cards, list(people.values())


@dataclass
class MemberChoice:
    """A member as the queue's member checkboxes offer them."""

    membership: Membership
    checked: bool
    active: bool = True  # False: deactivated, in the queue until left out


def member_choices(queue: Queue, checked: set[int] | None = None) -> list[MemberChoice]:
    """The tenant's active members by name, and after them the queue's deactivated members
    (who stay in it until unchecked); checked are the queue's members, or the user ids in
    `checked` (what was sent, when the form is shown again)."""
    current = {m.user_id: m for m in queue.members.select_related("user")}
    chosen = set(current) if checked is None else checked
    active = list(members_of(queue.tenant_id))
    active_ids = {m.user_id for m in active}
    choices = [MemberChoice(m, m.user_id in chosen) for m in active]
    inactive = sorted((m for user_id, m in current.items() if user_id not in active_ids),
                      key=lambda m: m.user.display_name.casefold())
    return choices + [MemberChoice(m, m.user_id in chosen, active=False) for m in inactive]


def rules_sending_to(queue: Queue, *, enabled_only: bool = True) -> list[RoutingRule]:
    """The tenant's rules (enabled ones only, by default) whose action sends cases to
    `queue`, in order. A tenant has at most RULE_LIMIT rules: they are read and sifted here
    rather than through a JSON lookup that each database spells differently."""
    rules = RoutingRule.objects.filter(tenant_id=queue.tenant_id)
    if enabled_only:
        rules = rules.filter(is_enabled=True)
    return [rule for rule in rules.order_by("position", "id")
            if isinstance(rule.actions, dict) and rule.actions.get("queue_id") == queue.pk]


@dataclass
class QueueTies:
    """What holds a queue in place: what its page says beside the archive button."""

    waiting: int  # open cases in it without an owner
    rules: list[RoutingRule]  # enabled rules sending cases to it
    fallback: bool  # the fallback map finds it by its name


def queue_ties(queue: Queue) -> QueueTies:
    fallback = {name.casefold() for name in (*FALLBACK_QUEUES.values(), FALLBACK_DEFAULT)}
    return QueueTies(waiting=waiting_by_queue(queue.tenant).get(queue.pk, 0),
                     rules=rules_sending_to(queue),
                     fallback=queue.name.casefold() in fallback)


# --- what the condition forms offer -----------------------------------------------------------

def value_suggestions(tenant: Tenant) -> dict[str, list[str]]:
    """The values a condition's field takes, by field: what the forms suggest as it is
    typed (routing rules' and SLA policies' alike)."""
    values = {name: list(found) for name, found in case_field_values(tenant).items()}
    values["priority"] = list(PRIORITY_NAMES)
    return values


def rule_form_choices(tenant: Tenant) -> dict[str, Any]:
    """The selects and value suggestions of the rule form."""
    values = value_suggestions(tenant)
    return {
        "queues": list(Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
                       .values_list("pk", "name")),
        "owners": list(member_names(tenant.pk, active_only=True).items()),
        "priorities": list(PRIORITY_NAMES),
        "suggestions": {**values, **predicted_suggestions(tenant, values)},
    }


CONFIDENCE_STEPS = ["0.5", "0.6", "0.7", "0.8", "0.9", "0.95"]


def predicted_suggestions(tenant: Tenant, values: dict[str, list[str]]) -> dict[str, list[str]]:
    """The values the `predicted.*` fields take, for the rule form: those of the fields they
    predict (`values`, from `value_suggestions`), the queues by name and a few confidence
    steps."""
    out = {f"{PREDICTED_PREFIX}{target}": values.get(target, [])
           for target in ("category", "subcategory", "type", "priority")}
    out[f"{PREDICTED_PREFIX}queue"] = list(
        Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
        .values_list("name", flat=True))
    for target in PREDICTION_TARGETS:
        out[f"{PREDICTED_PREFIX}{target}{CONFIDENCE_SUFFIX}"] = CONFIDENCE_STEPS
    return out


# --- a preview summed up ---------------------------------------------------------------------

@dataclass
class PreviewLine:
    row: PreviewRow
    destination: str  # the queue, or the owner when the rule names only an owner


@dataclass
class Preview:
    """Where the last cases would go with the draft rule, summed up."""

    lines: list[PreviewLine]
    matched: int
    total: int
    destinations: list[tuple[str, int]] = field(default_factory=list)
    changed: int = 0  # cases that would land in another queue than the one they are in


NOWHERE = "Nowhere (no queue)"


def preview_of(tenant: Tenant, rows: list[PreviewRow]) -> Preview:
    members = member_names(tenant.pk) if any(r.owner_id for r in rows) else {}
    lines = []
    for row in rows:
        destination = row.queue
        if row.owner_id is not None:
            owner = members.get(row.owner_id, "a former member")
            destination = f"{row.queue} · {owner}" if row.queue else owner
        lines.append(PreviewLine(row=row, destination=destination or NOWHERE))
    counts = Counter(line.destination for line in lines)
    return Preview(lines=lines, matched=sum(1 for r in rows if r.matched), total=len(rows),
                   destinations=sorted(counts.items(), key=lambda item: (-item[1], item[0])),
                   changed=sum(1 for r in rows if r.queue != r.current_queue))
