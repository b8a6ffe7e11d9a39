"""Routing through the one case-creation service: rules, the fallback map, each queue
strategy, re-routing, and the rule services (order, versions, preview)."""

from datetime import timedelta

import pytest

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.services import case_reroute, case_transition, case_update
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.priority import Priority
from casedesk.notifications.models import Notification
from casedesk.routing import services as routing
from casedesk.routing.models import Queue, RoutingRule, Strategy
from casedesk.routing.queues import queue_update
from casedesk.routing.rules import parse_actions, parse_conditions
from casedesk.routing.services import (
    RuleInput,
    rule_create,
    rule_delete,
    rule_preview,
    rule_spec_from_input,
    rule_update,
    rules_reorder,
    skill_requirements_set,
)
from casedesk.tenancy.models import Availability, Membership, Role, Tenant
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case


def queue(tenant: Tenant, name: str) -> Queue:
    return Queue.objects.get(tenant=tenant, name=name)


def routed(case: Case) -> TimelineEvent:
    return TimelineEvent.objects.get(case=case, kind=EventKind.ROUTED)


def team(tenant: Tenant, q: Queue, n: int, **facts: object) -> list[Membership]:
    members = []
    for i in range(n):
        user = user_get_or_create(email=f"{q.name.lower()}{i}@acme.test",
                                  full_name=f"{q.name} Agent {i}")
        members.append(membership_add(tenant=tenant, user=user, role=Role.AGENT, **facts))
    q.members.set(members)  # exactly these: not the first admin, who is in every default queue
    return members


def strategy(q: Queue, value: str) -> Queue:
    queue_update(queue=q, changes={"strategy": value})
    return q


@pytest.mark.parametrize(("category", "expected"), [
    ("Billing", "Finance"), ("Technical", "Engineering"), ("Account", "Support"),
    ("General", "Support"), ("", "Support"),
])
def test_the_fallback_map_routes_a_new_tenant_out_of_the_box(tenant, category, expected) -> None:
    case = make_case(tenant, category=category)
    assert case.queue.name == expected
    assert case.owner_id is None
    event = routed(case)
    assert event.new_value["via"] == "fallback"
    assert event.message == f"Routed by the fallback map to {expected}."


def test_a_matching_rule_sets_queue_priority_and_tags_and_is_named_on_the_timeline(
        tenant) -> None:
    rule = rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Enterprise billing", conditions=[
            {"field": "category", "op": "equals", "value": "Billing"},
            {"field": "account.tier", "op": "equals", "value": "Enterprise"}],
        actions={"queue_id": queue(tenant, "Engineering").pk, "priority": "high",
                 "tags": ["vip"]}))
    big = AccountFactory(tenant=tenant, tier="Enterprise")
    case = make_case(tenant, category="Billing", account_id=big.pk, tags=["renewal"])
    assert case.queue.name == "Engineering"
    assert case.priority == Priority.HIGH
    assert case.tags == ["renewal", "vip"]
    event = routed(case)
    assert event.new_value["rule_id"] == rule.pk
    assert "Enterprise billing" in event.message and "Priority set to high" in event.message
    small = make_case(tenant, category="Billing", account_id=AccountFactory(tenant=tenant).pk)
    assert small.queue.name == "Finance"  # the rule does not hold: fallback map


def test_a_rule_that_only_marks_the_case_still_lets_the_fallback_map_route_it(tenant) -> None:
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Urgent words", conditions=[{"field": "text", "op": "contains",
                                          "value": ["outage", "down"]}],
        actions={"priority": "urgent"}))
    case = make_case(tenant, subject="Site is DOWN", category="Technical")
    assert case.priority == Priority.URGENT
    assert case.queue.name == "Engineering"


def test_a_rule_may_give_the_case_to_an_owner_who_is_notified(tenant, agent) -> None:
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Jo's account", conditions=[{"field": "contact.domain", "op": "equals",
                                          "value": "jo.example"}],
        actions={"owner_id": agent.user_id}))
    contact = ContactFactory(tenant=tenant, email="jo@jo.example")
    case = make_case(tenant, contact_id=contact.pk)
    assert case.owner_id == agent.user_id
    assert Notification.objects.filter(recipient=agent.user, case=case).exists()


def test_disabled_rules_and_tenants_without_routing_route_nothing(tenant) -> None:
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Off", is_enabled=False, conditions=[], actions={
            "queue_id": queue(tenant, "Engineering").pk}))
    assert make_case(tenant, category="Billing").queue.name == "Finance"
    Tenant.objects.filter(pk=tenant.pk).update(routing_enabled=False)
    tenant.refresh_from_db()
    case = make_case(tenant, category="Billing")
    assert case.queue_id is None
    assert not TimelineEvent.objects.filter(case=case, kind=EventKind.ROUTED).exists()


def test_an_owner_given_on_creation_is_kept(tenant, agent) -> None:
    case = make_case(tenant, owner_id=agent.user_id, category="Billing")
    assert case.owner_id == agent.user_id and case.queue_id is None
    assert not TimelineEvent.objects.filter(case=case, kind=EventKind.ROUTED).exists()


def test_round_robin_takes_turns_and_skips_who_is_away(tenant) -> None:
    finance = strategy(queue(tenant, "Finance"), Strategy.ROUND_ROBIN)
    a, b, c = team(tenant, finance, 3)
    owners = [make_case(tenant, category="Billing").owner_id for _ in range(6)]
    assert owners == [a.user_id, b.user_id, c.user_id] * 2
    Membership.objects.filter(pk=b.pk).update(availability=Availability.AWAY)
    owners = [make_case(tenant, category="Billing").owner_id for _ in range(4)]
    assert owners == [a.user_id, c.user_id, a.user_id, c.user_id]
    case = make_case(tenant, category="Billing")
    assert "round-robin" in routed(case).message


def test_round_robin_survives_a_restart(tenant) -> None:
    finance = strategy(queue(tenant, "Finance"), Strategy.ROUND_ROBIN)
    a, b = team(tenant, finance, 2)
    assert make_case(tenant, category="Billing").owner_id == a.user_id
    routing._compiled.clear()  # a new process knows nothing but the database
    assert make_case(tenant, category="Billing").owner_id == b.user_id


def test_a_queue_given_on_creation_still_picks_its_agent(tenant) -> None:
    support = strategy(queue(tenant, "Support"), Strategy.LOAD_BALANCED)
    (a,) = team(tenant, support, 1)
    case = make_case(tenant, queue_id=support.pk, category="Billing")
    assert case.queue_id == support.pk and case.owner_id == a.user_id


def test_load_balancing_never_goes_over_capacity_and_then_leaves_cases_waiting(tenant) -> None:
    support = strategy(queue(tenant, "Support"), Strategy.LOAD_BALANCED)
    a, b = team(tenant, support, 2, capacity=2)
    owners = [make_case(tenant).owner_id for _ in range(4)]
    assert sorted(owners) == sorted([a.user_id, a.user_id, b.user_id, b.user_id])
    waiting = make_case(tenant)
    assert waiting.owner_id is None and waiting.queue_id == support.pk
    assert "at capacity" in routed(waiting).message
    # Resolving a case frees room for the next one.
    mine = Case.objects.filter(owner_id=a.user_id).first()
    for to in ("open", "in_progress", "resolved"):
        mine = case_transition(case=mine, actor=None, to=to, note="done", now=NOW)
    assert make_case(tenant).owner_id == a.user_id


def test_load_balancing_weighs_priority(tenant) -> None:
    support = strategy(queue(tenant, "Support"), Strategy.LOAD_BALANCED)
    a, b = team(tenant, support, 2, capacity=2)
    make_case(tenant, priority=Priority.URGENT)  # weighs two normal cases: a is full
    assert make_case(tenant, priority=Priority.URGENT).owner_id == b.user_id
    assert make_case(tenant, priority=Priority.LOW).owner_id is None


def test_skills_come_from_the_category_and_the_language(tenant) -> None:
    finance = strategy(queue(tenant, "Finance"), Strategy.SKILLS)
    skill_requirements_set(tenant=tenant, requirements=[
        ("Billing", "", ["billing"]), ("Billing", "Refund", ["refunds"])])
    generalist, german, refunds = team(tenant, finance, 3)
    Membership.objects.filter(pk=generalist.pk).update(skills=["billing"])
    Membership.objects.filter(pk=german.pk).update(skills=["Billing", "de"])
    Membership.objects.filter(pk=refunds.pk).update(skills=["billing", "refunds"])
    assert make_case(tenant, category="Billing", language="de").owner_id == german.user_id
    assert make_case(tenant, category="Billing", subcategory="Refund").owner_id == \
        refunds.user_id
    nobody = make_case(tenant, category="Billing", language="ja")
    assert nobody.owner_id is None
    assert "billing, ja" in routed(nobody).message


def test_territory_follows_the_accounts_territory(tenant) -> None:
    support = strategy(queue(tenant, "Support"), Strategy.TERRITORY)
    emea, apac = team(tenant, support, 2)
    Membership.objects.filter(pk=emea.pk).update(territory="EMEA")
    Membership.objects.filter(pk=apac.pk).update(territory="APAC")
    account = AccountFactory(tenant=tenant, territory="APAC")
    assert make_case(tenant, account_id=account.pk).owner_id == apac.user_id
    assert make_case(tenant).owner_id is None  # no account, no territory


def test_rerouting_applies_the_current_rules(tenant, agent) -> None:
    case = make_case(tenant, category="General")
    assert case.queue.name == "Support"
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="General to Finance", conditions=[{"field": "category", "op": "equals",
                                                "value": "General"}],
        actions={"queue_id": queue(tenant, "Finance").pk}))
    case = case_reroute(case=case, actor=agent.user, now=NOW + timedelta(minutes=1))
    assert case.queue.name == "Finance"
    event = TimelineEvent.objects.filter(case=case, kind=EventKind.ROUTED).last()
    assert event.actor == agent.user
    assert event.old_value["queue_id"] == queue(tenant, "Support").pk
    for to in ("open", "in_progress", "resolved"):
        case = case_transition(case=case, actor=None, to=to, note="done", now=NOW)
    with pytest.raises(Conflict):
        case_reroute(case=case, actor=agent.user, now=NOW)


def test_a_category_change_reroutes_only_when_the_tenant_asks(tenant) -> None:
    case = make_case(tenant, category="General")
    case = case_update(case=case, actor=None, changes={"category": "Billing"}, now=NOW)
    assert case.queue.name == "Support"
    Tenant.objects.filter(pk=tenant.pk).update(reroute_on_category_change=True)
    case = Case.objects.get(pk=case.pk)
    case = case_update(case=case, actor=None, changes={"category": "Technical"}, now=NOW)
    assert case.queue.name == "Engineering"
    kinds = list(TimelineEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.FIELD_CHANGED, EventKind.ROUTED]


def test_rules_keep_their_order_and_a_change_applies_at_once(tenant) -> None:
    eng = queue(tenant, "Engineering")
    first = rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="All to Engineering", conditions=[], actions={"queue_id": eng.pk}))
    assert make_case(tenant, category="Billing").queue_id == eng.pk
    second = rule_create(tenant=tenant, now=NOW, position=0, data=RuleInput(
        name="Billing to Support", conditions=[{"field": "category", "op": "equals",
                                                "value": "Billing"}],
        actions={"queue_id": queue(tenant, "Support").pk}))
    assert list(RoutingRule.objects.filter(tenant=tenant).values_list("pk", flat=True)) == [
        second.pk, first.pk]
    assert make_case(tenant, category="Billing").queue.name == "Support"
    rules_reorder(tenant=tenant, rule_ids=[first.pk, second.pk])
    assert make_case(tenant, category="Billing").queue_id == eng.pk
    rule_update(rule=first, changes={"is_enabled": False}, now=NOW)
    assert make_case(tenant, category="Billing").queue.name == "Support"
    rule_update(rule=second, changes={"position": 5}, now=NOW)
    assert [r.position for r in RoutingRule.objects.filter(tenant=tenant)] == [0, 1]
    rule_delete(rule=RoutingRule.objects.get(pk=second.pk))
    assert make_case(tenant, category="Billing").queue.name == "Finance"
    with pytest.raises(Invalid):
        rules_reorder(tenant=tenant, rule_ids=[first.pk, first.pk])


def test_rules_naming_another_tenants_queue_or_a_stranger_are_refused(tenant, other_tenant,
                                                                       outsider) -> None:
    foreign = Queue.objects.get(tenant=other_tenant, name="Support")
    with pytest.raises(Invalid, match="No active queue"):
        rule_create(tenant=tenant, now=NOW, data=RuleInput(
            name="x", actions={"queue_id": foreign.pk}))
    with pytest.raises(Invalid, match="No active member"):
        rule_create(tenant=tenant, now=NOW, data=RuleInput(
            name="x", actions={"owner_id": outsider.user_id}))
    with pytest.raises(Invalid, match="needs a name"):
        rule_create(tenant=tenant, now=NOW, data=RuleInput(name=" ", actions={"tags": ["a"]}))
    assert not RoutingRule.objects.exists()


def test_preview_shows_where_the_last_cases_would_go(tenant) -> None:
    for category in ("Billing", "Technical", "General"):
        make_case(tenant, category=category)
    support = queue(tenant, "Support")
    draft = rule_spec_from_input(tenant, RuleInput(
        name="Tech to Support", conditions=[{"field": "category", "op": "equals",
                                             "value": "Technical"}],
        actions={"queue_id": support.pk}))
    rows = {row.category: row for row in rule_preview(tenant=tenant, draft=draft)}
    assert rows["Technical"].matched and rows["Technical"].queue == "Support"
    assert rows["Technical"].current_queue == "Engineering"
    assert rows["Technical"].rule == "Tech to Support"
    assert not rows["Billing"].matched and rows["Billing"].queue == "Finance"
    assert rows["Billing"].rule == ""


def test_a_routing_decision_uses_no_query_per_rule(tenant, django_assert_max_num_queries) -> None:
    support = queue(tenant, "Support")
    for i in range(50):
        RoutingRule.objects.create(
            tenant=tenant, name=f"r{i}", position=i, created_at=NOW, updated_at=NOW,
            conditions=[{"field": "subject", "op": "contains", "value": f"word{i}"}],
            actions={"queue_id": support.pk})
    Tenant.objects.filter(pk=tenant.pk).update(routing_version=99)
    tenant.refresh_from_db()
    make_case(tenant)  # compiles and caches
    with django_assert_max_num_queries(12):
        make_case(tenant, subject="word49 appears")
    assert parse_conditions([]) == () and parse_actions({"tags": ["a"]}).tags == ("a",)


def test_rerouting_does_not_count_the_case_against_its_own_owner(tenant) -> None:
    support = strategy(queue(tenant, "Support"), Strategy.LOAD_BALANCED)
    (a,) = team(tenant, support, 1, capacity=1)
    case = make_case(tenant)
    assert case.owner_id == a.user_id
    assert case_reroute(case=case, actor=None, now=NOW).owner_id == a.user_id


def test_rerouting_needs_routing_on(tenant) -> None:
    case = make_case(tenant)
    Tenant.objects.filter(pk=tenant.pk).update(routing_enabled=False)
    with pytest.raises(Conflict, match="turned off"):
        case_reroute(case=Case.objects.get(pk=case.pk), actor=None, now=NOW)
