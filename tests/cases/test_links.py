"""Linked cases (`cases.links`): parent/child, related to, caused by; the refusals (self,
duplicates, a second parent, cycles), the timeline on both cases, closing a parent with open
children, the "has open children" filter and tenant isolation."""

from typing import Any

import pytest

from casedesk.cases.lifecycle import CaseState, Status, TransitionRefused, plan_transition
from casedesk.cases.links import link_add, link_remove, links_of
from casedesk.cases.models import Case, CaseLink, EventKind, LinkKind, TimelineEvent
from casedesk.cases.selectors import CaseFilters, case_list
from casedesk.cases.services import case_transition
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.tenancy.services import tenant_settings_update
from tests.conftest import NOW
from tests.factories import make_case


def walk(case: Case, actor: Any, *statuses: str) -> Case:
    for to in statuses:
        case = case_transition(case=case, actor=actor, to=to, note="done",
                               closed_reason="Resolved", now=NOW)
    return case


def link_events(case: Case) -> list[tuple[str, str]]:
    return [(e.kind, e.message) for e in TimelineEvent.objects.filter(
        case=case, kind__in=[EventKind.LINK_ADDED, EventKind.LINK_REMOVED]).order_by("id")]


@pytest.fixture
def three(tenant) -> list[Case]:
    return [make_case(tenant, subject=f"Case {i}") for i in range(3)]


def test_a_child_link_is_shown_on_both_cases_with_an_event_on_each(tenant, agent, three
                                                                   ) -> None:
    parent, child, _ = three
    link = link_add(case=child, other=parent, kind="child_of", actor=agent.user, now=NOW)
    assert (link.from_case_id, link.to_case_id, link.kind) == (parent.pk, child.pk,
                                                                LinkKind.PARENT_OF)
    [seen_from_parent] = links_of(parent)
    [seen_from_child] = links_of(child)
    assert (seen_from_parent.role, seen_from_parent.number) == ("parent_of", child.display_number)
    assert (seen_from_child.role, seen_from_child.number) == ("child_of", parent.display_number)
    assert seen_from_child.subject == "Case 0" and seen_from_child.is_open
    assert link_events(child) == [("link_added", f"Linked as child of {parent.display_number}.")]
    assert link_events(parent) == [("link_added",
                                    f"Linked as parent of {child.display_number}.")]
    event = TimelineEvent.objects.get(case=child, kind=EventKind.LINK_ADDED)
    assert event.actor_id == agent.user_id
    assert event.new_value == {"link_id": link.pk, "role": "child_of",
                               "case": parent.display_number}


def test_related_is_symmetric_and_stored_once(tenant, agent, three) -> None:
    a, b, _ = three
    link_add(case=b, other=a, kind="related_to", actor=agent.user, now=NOW)
    link = CaseLink.objects.get()
    assert (link.from_case_id, link.to_case_id) == (a.pk, b.pk)  # lower id first
    assert [v.role for v in links_of(a)] == ["related_to"]
    assert [v.role for v in links_of(b)] == ["related_to"]
    with pytest.raises(Conflict, match="linked so already"):
        link_add(case=a, other=b, kind="related_to", actor=agent.user, now=NOW)
    assert CaseLink.objects.count() == 1


def test_caused_by_reads_as_causes_from_the_other_side(tenant, agent, three) -> None:
    outage, complaint, _ = three
    link_add(case=outage, other=complaint, kind="causes", actor=agent.user, now=NOW)
    link = CaseLink.objects.get()
    assert (link.from_case_id, link.to_case_id, link.kind) == (complaint.pk, outage.pk,
                                                                LinkKind.CAUSED_BY)
    assert [v.role for v in links_of(complaint)] == ["caused_by"]
    assert [v.role for v in links_of(outage)] == ["causes"]
    assert link_events(outage) == [("link_added",
                                    f"Linked as cause of {complaint.display_number}.")]
    with pytest.raises(Conflict, match="caused by"):
        link_add(case=outage, other=complaint, kind="caused_by", actor=agent.user, now=NOW)


def test_linking_a_case_to_itself_or_with_an_unknown_kind_is_invalid(tenant, agent, three
                                                                     ) -> None:
    a, b, _ = three
    with pytest.raises(Invalid, match="itself") as refused:
        link_add(case=a, other=a, kind="related_to", actor=agent.user, now=NOW)
    assert refused.value.field == "case"
    with pytest.raises(Invalid, match="Unknown link kind") as refused:
        link_add(case=a, other=b, kind="duplicate_of", actor=agent.user, now=NOW)
    assert refused.value.field == "kind"
    assert not CaseLink.objects.exists()
    assert link_events(a) == []


def test_a_child_has_one_parent(tenant, agent, three) -> None:
    first, second, child = three
    link_add(case=first, other=child, kind="parent_of", actor=agent.user, now=NOW)
    with pytest.raises(Conflict, match=f"has a parent already, {first.display_number}"):
        link_add(case=second, other=child, kind="parent_of", actor=agent.user, now=NOW)
    assert CaseLink.objects.count() == 1
    assert link_events(second) == []


def test_a_case_cannot_become_its_own_ancestor(tenant, agent, three) -> None:
    grandparent, parent, child = three
    link_add(case=grandparent, other=parent, kind="parent_of", actor=agent.user, now=NOW)
    link_add(case=parent, other=child, kind="parent_of", actor=agent.user, now=NOW)
    with pytest.raises(Conflict, match="own ancestor"):
        link_add(case=child, other=grandparent, kind="parent_of", actor=agent.user, now=NOW)
    with pytest.raises(Conflict, match="own ancestor"):
        link_add(case=grandparent, other=parent, kind="child_of", actor=agent.user, now=NOW)
    assert CaseLink.objects.count() == 2


def test_removing_a_link_records_it_on_both_cases(tenant, agent, three) -> None:
    parent, child, _ = three
    link = link_add(case=parent, other=child, kind="parent_of", actor=agent.user, now=NOW)
    link_remove(link=link, actor=agent.user, now=NOW)
    assert not CaseLink.objects.exists()
    assert links_of(parent) == [] and links_of(child) == []
    assert link_events(child)[-1] == (
        "link_removed", f"Link removed: no longer child of {parent.display_number}.")
    assert link_events(parent)[-1] == (
        "link_removed", f"Link removed: no longer parent of {child.display_number}.")
    with pytest.raises(NotFound):
        link_remove(link=link, actor=agent.user, now=NOW)


def test_links_of_lists_parent_first_then_children_by_number(tenant, agent) -> None:
    cases = [make_case(tenant, subject=f"Case {i}") for i in range(5)]
    middle = cases[2]
    link_add(case=middle, other=cases[4], kind="parent_of", actor=agent.user, now=NOW)
    link_add(case=middle, other=cases[3], kind="parent_of", actor=agent.user, now=NOW)
    link_add(case=middle, other=cases[0], kind="caused_by", actor=agent.user, now=NOW)
    link_add(case=middle, other=cases[1], kind="child_of", actor=agent.user, now=NOW)
    assert [(v.role, v.number) for v in links_of(middle)] == [
        ("child_of", cases[1].display_number), ("parent_of", cases[3].display_number),
        ("parent_of", cases[4].display_number), ("caused_by", cases[0].display_number)]


# --- closing a parent ----------------------------------------------------------------------


def test_a_parent_with_an_open_child_cannot_close_and_is_told_which(tenant, agent, three
                                                                    ) -> None:
    parent, child, other_child = three
    link_add(case=parent, other=child, kind="parent_of", actor=agent.user, now=NOW)
    link_add(case=parent, other=other_child, kind="parent_of", actor=agent.user, now=NOW)
    walk(other_child, agent.user, "open", "in_progress", "resolved", "closed")
    # Resolving is allowed: only closing waits for the children.
    parent = walk(parent, agent.user, "open", "in_progress", "resolved")
    with pytest.raises(Conflict, match=child.display_number) as refused:
        walk(parent, agent.user, "closed")
    assert other_child.display_number not in refused.value.detail
    assert Case.objects.get(pk=parent.pk).status == "resolved"
    walk(child, agent.user, "open", "in_progress", "resolved")  # resolved counts as done
    assert walk(parent, agent.user, "closed").status == "closed"


def test_with_the_tenant_setting_off_a_parent_closes_with_open_children(tenant, agent, three
                                                                        ) -> None:
    tenant_settings_update(tenant=tenant,
                           changes={"parent_close_needs_children_closed": False})
    parent, child, _ = three
    link_add(case=parent, other=child, kind="parent_of", actor=agent.user, now=NOW)
    parent = Case.objects.get(pk=parent.pk)
    parent = walk(parent, agent.user, "open", "in_progress", "resolved", "closed")
    assert parent.status == "closed"
    assert Case.objects.get(pk=child.pk).status == "new"


def test_related_and_caused_by_cases_do_not_hold_closing(tenant, agent, three) -> None:
    case, related, cause = three
    link_add(case=case, other=related, kind="related_to", actor=agent.user, now=NOW)
    link_add(case=case, other=cause, kind="caused_by", actor=agent.user, now=NOW)
    assert walk(case, agent.user, "open", "in_progress", "resolved", "closed").status == "closed"


def test_the_lifecycle_names_open_children_when_refusing_to_close() -> None:
    state = CaseState(status=Status.RESOLVED, open_children=("CS-2", "CS-3"))
    with pytest.raises(TransitionRefused, match=r"open child cases \(CS-2, CS-3\)"):
        plan_transition(state, Status.CLOSED, note="n", closed_reason="Resolved", now=NOW)
    many = CaseState(status=Status.RESOLVED, open_children=tuple(f"CS-{n}" for n in range(12)))
    with pytest.raises(TransitionRefused, match="and 2 more"):
        plan_transition(many, Status.CLOSED, note="n", closed_reason="Resolved", now=NOW)
    plan = plan_transition(CaseState(status=Status.IN_PROGRESS, open_children=("CS-2",)),
                           Status.RESOLVED, note="n", now=NOW)
    assert plan.to_status == Status.RESOLVED


# --- the list filter, isolation --------------------------------------------------------------


def test_has_open_children_lists_the_parents_whose_children_are_not_done(tenant, agent
                                                                         ) -> None:
    waiting, done_parent, child, done_child, loner = (
        make_case(tenant, subject=f"Case {i}") for i in range(5))
    link_add(case=waiting, other=child, kind="parent_of", actor=agent.user, now=NOW)
    link_add(case=done_parent, other=done_child, kind="parent_of", actor=agent.user, now=NOW)
    link_add(case=loner, other=child, kind="related_to", actor=agent.user, now=NOW)
    walk(done_child, agent.user, "open", "in_progress", "resolved")
    page = case_list(tenant, CaseFilters(has_open_children=True), cursor=None, limit=50)
    assert [c.pk for c in page.items] == [waiting.pk]


def test_another_tenants_case_cannot_be_linked(tenant, other_tenant, agent) -> None:
    mine, theirs = make_case(tenant), make_case(other_tenant)
    with pytest.raises(NotFound):
        link_add(case=mine, other=theirs, kind="related_to", actor=agent.user, now=NOW)
    assert not CaseLink.objects.exists()
    assert links_of(theirs) == []
