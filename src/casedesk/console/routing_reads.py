"""Reads behind the routing pages: the rules in words, what the rule form offers, the preview
summed up, and the queues with their people. Each read takes the tenant and costs a fixed
number of queries, however many rules, queues or members there are."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from casedesk.cases.models import OPEN_STATUS_VALUES, Case, PicklistKind, PicklistValue, Source
from casedesk.console.rule_form import PRIORITY_BY_NUMBER, describe_condition
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement
from casedesk.routing.rules import PRIORITY_NAMES
from casedesk.routing.services import PreviewRow
from casedesk.tenancy.models import Membership, Tenant


def _member_names(tenant: Tenant, *, active_only: bool = False) -> dict[int, str]:
    qs = Membership.objects.filter(tenant=tenant).select_related("user")
    if active_only:
        qs = qs.filter(is_active=True, user__is_active=True)
    return {m.user_id: m.user.display_name
            for m in qs.order_by("user__full_name", "user__email")}


# --- the rules list ---------------------------------------------------------------------------

@dataclass
class RuleLine:
    """A rule as the list shows it: its place, its conditions and actions in words."""

    rule: RoutingRule
    number: int
    conditions: list[str]
    actions: list[str]
    is_first: bool = False
    is_last: bool = False


def actions_in_words(actions: dict[str, Any], queues: dict[int, str],
                     members: dict[int, str]) -> list[str]:
    words = []
    if actions.get("queue_id") is not None:
        words.append(f"Queue {queues.get(actions['queue_id'], '(deleted queue)')}")
    if actions.get("owner_id") is not None:
        words.append(f"Owner {members.get(actions['owner_id'], '(former member)')}")
    if actions.get("priority") is not None:
        words.append(f"Priority {PRIORITY_BY_NUMBER.get(actions['priority'], '?')}")
    if actions.get("tags"):
        words.append(f"Tags {', '.join(actions['tags'])}")
    return words


def rule_lines(tenant: Tenant) -> list[RuleLine]:
    rules = list(RoutingRule.objects.filter(tenant=tenant).order_by("position", "id"))
    queues = dict(Queue.objects.filter(tenant=tenant).values_list("pk", "name"))
    members = _member_names(tenant)
    lines = [RuleLine(rule=rule, number=i + 1,
                      conditions=[describe_condition(c) for c in rule.conditions or []
                                  if isinstance(c, dict)],
                      actions=actions_in_words(rule.actions or {}, queues, members))
             for i, rule in enumerate(rules)]
    if lines:
        lines[0].is_first = lines[-1].is_last = True
    return lines


def enabled_position(tenant: Tenant, rule: RoutingRule) -> int:
    """Where `rule` sits among the enabled rules: the place a preview tries it at, so a
    disabled rule is tried where it would act once enabled."""
    return RoutingRule.objects.filter(tenant=tenant, is_enabled=True).filter(
        position__lt=rule.position).count()


# --- the rule form --------------------------------------------------------------------------

def form_choices(tenant: Tenant) -> dict[str, Any]:
    """The selects and value suggestions of the rule form."""
    values: dict[str, list[str]] = {"category": [], "subcategory": [], "type": []}
    for kind, value in (PicklistValue.objects.filter(
            tenant=tenant, is_active=True,
            kind__in=[PicklistKind.CATEGORY, PicklistKind.SUBCATEGORY, PicklistKind.TYPE])
            .order_by("position", "value").values_list("kind", "value")):
        if value not in values[kind]:
            values[kind].append(value)
    values["source"] = list(Source.values)
    values["priority"] = list(PRIORITY_NAMES)
    return {
        "queues": list(Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
                       .values_list("pk", "name")),
        "owners": list(_member_names(tenant, active_only=True).items()),
        "priorities": list(PRIORITY_NAMES),
        "suggestions": values,
    }


# --- the preview ------------------------------------------------------------------------------

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
    members = _member_names(tenant) if any(r.owner_id for r in rows) else {}
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


# --- queues and people ------------------------------------------------------------------------

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
    queues = list(Queue.objects.filter(tenant=tenant).order_by("-is_active", "name")
                  .prefetch_related("members"))
    memberships = list(Membership.objects.filter(tenant=tenant, is_active=True)
                       .select_related("user").order_by("user__full_name", "user__email"))
    loads = dict(Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES,
                                     owner__isnull=False)
                 .values_list("owner_id").annotate(n=Count("id")).order_by())
    waiting = dict(Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES,
                                       owner__isnull=True, queue__isnull=False)
                   .values_list("queue_id").annotate(n=Count("id")).order_by())
    people = {m.pk: Person(membership=m, open_cases=loads.get(m.user_id, 0))
              for m in memberships}
    cards = []
    for queue in queues:
        members = [people[m.pk] for m in queue.members.all() if m.pk in people]
        members.sort(key=lambda p: p.membership.user.display_name.casefold())
        for person in members:
            person.queue_names.append(queue.name)
        cards.append(QueueCard(queue=queue, people=members, waiting=waiting.get(queue.pk, 0)))
    return cards, list(people.values())


def skill_rows(tenant: Tenant) -> list[SkillRequirement]:
    return list(SkillRequirement.objects.filter(tenant=tenant).order_by("category",
                                                                         "subcategory"))
