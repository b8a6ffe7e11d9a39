"""A member who has been deactivated — their membership, or their user account everywhere —
gets no case from routing: not from any queue strategy, not from a rule that names them as
owner, and not in a rule's preview."""

from collections.abc import Callable

import pytest

from casedesk.routing.models import Queue, Strategy
from casedesk.routing.queues import queue_update
from casedesk.routing.services import RuleInput, rule_create, rule_preview, rule_spec_from_input
from casedesk.tenancy.models import Membership, Role, Tenant, User
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.conftest import NOW
from tests.factories import AccountFactory, make_case


def team(tenant: Tenant, queue: Queue, size: int, **facts: object) -> list[Membership]:
    """`size` new agents, exactly the members of `queue`, with the same routing facts."""
    members = []
    for i in range(size):
        user = user_get_or_create(email=f"routed{i}@acme.test", full_name=f"Routed {i}")
        members.append(membership_add(tenant=tenant, user=user, role=Role.AGENT, **facts))
    queue.members.set(members)
    return members


def membership_off(membership: Membership) -> None:
    Membership.objects.filter(pk=membership.pk).update(is_active=False)


def user_off(membership: Membership) -> None:
    User.objects.filter(pk=membership.user_id).update(is_active=False)


DEACTIVATIONS = pytest.mark.parametrize("deactivate", [membership_off, user_off],
                                        ids=["membership", "user"])


def owners_of(tenant: Tenant, count: int, **fields: object) -> set[int | None]:
    return {make_case(tenant, **fields).owner_id for _ in range(count)}


@DEACTIVATIONS
def test_round_robin_skips_a_deactivated_member(tenant, finance,
                                                deactivate: Callable[[Membership], None]):
    queue_update(queue=finance, changes={"strategy": Strategy.ROUND_ROBIN})
    gone, stays = team(tenant, finance, 2)  # `gone` comes first in the rota (lower user id)
    deactivate(gone)
    assert owners_of(tenant, 4, category="Billing") == {stays.user_id}


@DEACTIVATIONS
def test_load_balancing_skips_a_deactivated_member(tenant, seeded_support_queue,
                                                   deactivate: Callable[[Membership], None]):
    queue_update(queue=seeded_support_queue, changes={"strategy": Strategy.LOAD_BALANCED})
    gone, stays = team(tenant, seeded_support_queue, 2)  # `gone` wins ties (lower user id)
    deactivate(gone)
    assert owners_of(tenant, 3) == {stays.user_id}


@DEACTIVATIONS
def test_skills_based_routing_skips_a_deactivated_member(tenant, engineering,
                                                         deactivate: Callable[[Membership],
                                                                              None]):
    queue_update(queue=engineering, changes={"strategy": Strategy.SKILLS})
    gone, stays = team(tenant, engineering, 2, skills=["de"])
    deactivate(gone)
    assert owners_of(tenant, 3, category="Technical", language="de") == {stays.user_id}


@DEACTIVATIONS
def test_territory_routing_skips_a_deactivated_member(tenant, seeded_support_queue,
                                                      deactivate: Callable[[Membership], None]):
    queue_update(queue=seeded_support_queue, changes={"strategy": Strategy.TERRITORY})
    gone, stays = team(tenant, seeded_support_queue, 2, territory="EMEA")
    deactivate(gone)
    account = AccountFactory(tenant=tenant, territory="EMEA")
    assert owners_of(tenant, 3, account_id=account.pk) == {stays.user_id}


@DEACTIVATIONS
def test_a_queue_whose_only_member_was_deactivated_leaves_cases_waiting(
        tenant, finance, deactivate: Callable[[Membership], None]):
    queue_update(queue=finance, changes={"strategy": Strategy.ROUND_ROBIN})
    (gone,) = team(tenant, finance, 1)
    deactivate(gone)
    case = make_case(tenant, category="Billing")
    assert (case.queue_id, case.owner_id) == (finance.pk, None)


@DEACTIVATIONS
def test_a_rule_naming_a_deactivated_owner_leaves_the_case_to_the_queue(
        tenant, agent, finance, deactivate: Callable[[Membership], None]):
    queue_update(queue=finance, changes={"strategy": Strategy.ROUND_ROBIN})
    (member,) = team(tenant, finance, 1)
    rule = RuleInput(name="Billing to Alice", conditions=[
        {"field": "category", "op": "equals", "value": "Billing"}],
        actions={"owner_id": agent.user_id})
    rule_create(tenant=tenant, data=rule, now=NOW)
    assert make_case(tenant, category="Billing").owner_id == agent.user_id
    deactivate(agent)
    case = make_case(tenant, category="Billing")
    assert (case.queue_id, case.owner_id) == (finance.pk, member.user_id)
    # The preview tells the same: no owner, and the fallback map's queue.
    draft = rule_spec_from_input(tenant, rule, check_targets=False)
    rows = rule_preview(tenant=tenant, draft=draft, limit=1)
    assert (rows[0].owner_id, rows[0].queue) == (None, "Finance")
