"""Working cases through the API: claiming, claim-next, changing the owner, case assignments
(work referred to other teams) and the inbox."""

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from casedesk.cases.models import CaseAssignment
from casedesk.cases.picklists import INTERNAL_REFERRAL
from casedesk.cases.services import case_transition
from casedesk.core.priority import Priority
from tests.api_checks import conforms, error, numbers
from tests.conftest import NOW, Api
from tests.factories import make_case


def shown(case: Any) -> str:
    return f"CS-{case.number}"


# --- claim -----------------------------------------------------------------------------------


def test_claiming_an_unassigned_case_makes_me_the_owner_and_opens_it(
        agent_api, agent_in_support, seeded_support_queue, tenant) -> None:
    number = shown(make_case(tenant, queue_id=seeded_support_queue.pk))
    response = agent_api.post(f"/cases/{number}/claim")
    body = conforms(response, "POST", "/cases/{number}/claim")
    assert response.status_code == 200
    assert body["owner"]["id"] == agent_in_support.user_id
    assert body["status"] == "open"
    kinds = [e["kind"] for e in agent_api.get(f"/cases/{number}/timeline").json()["items"]]
    assert kinds == ["created", "claimed", "status_changed"]


def test_claiming_my_own_case_again_changes_nothing(agent_api, agent_in_support,
                                                    seeded_support_queue, tenant) -> None:
    number = shown(make_case(tenant, queue_id=seeded_support_queue.pk))
    agent_api.post(f"/cases/{number}/claim")
    again = agent_api.post(f"/cases/{number}/claim")
    assert again.status_code == 200
    assert len(agent_api.get(f"/cases/{number}/timeline").json()["items"]) == 3


def test_claiming_a_case_someone_else_claimed_is_refused_naming_them(
        agent_api, agent2_api, agent_in_support, agent2, seeded_support_queue, tenant) -> None:
    seeded_support_queue.members.add(agent2)
    number = shown(make_case(tenant, queue_id=seeded_support_queue.pk))
    assert agent2_api.post(f"/cases/{number}/claim").status_code == 200
    error(agent_api.post(f"/cases/{number}/claim"), 409, mentions=("Bob Agent",))
    assert agent_api.get(f"/cases/{number}").json()["owner"]["id"] == agent2.user_id


def test_claiming_from_a_queue_i_am_not_in_is_forbidden(agent_api, finance, tenant) -> None:
    number = shown(make_case(tenant, queue_id=finance.pk))
    error(agent_api.post(f"/cases/{number}/claim"), 403)
    assert agent_api.get(f"/cases/{number}").json()["owner"] is None


def test_a_manager_may_claim_from_any_queue(manager_api, manager, finance, tenant) -> None:
    number = shown(make_case(tenant, queue_id=finance.pk))
    body = manager_api.post(f"/cases/{number}/claim").json()
    assert body["owner"]["id"] == manager.user_id


def test_a_closed_case_cannot_be_claimed(agent_api, admin, tenant) -> None:
    case = make_case(tenant)
    for to in ("open", "in_progress", "resolved", "closed"):
        case = case_transition(case=case, actor=admin.user, to=to, note="n",
                               closed_reason="Resolved", now=NOW)
    error(agent_api.post(f"/cases/{shown(case)}/claim"), 409, mentions=("closed",))


# --- claim next ------------------------------------------------------------------------------


def test_claim_next_takes_urgent_and_high_first_then_the_oldest(
        agent_api, agent_in_support, seeded_support_queue, finance, agent2, tenant) -> None:
    hour = timedelta(hours=1)
    made = {
        "old_normal": make_case(tenant, queue_id=seeded_support_queue.pk, now=NOW - 9 * hour),
        "new_high": make_case(tenant, queue_id=seeded_support_queue.pk, priority=Priority.HIGH,
                              now=NOW - hour),
        "old_high": make_case(tenant, queue_id=seeded_support_queue.pk, priority=Priority.HIGH,
                              now=NOW - 5 * hour),
        "urgent": make_case(tenant, queue_id=seeded_support_queue.pk, priority=Priority.URGENT,
                            now=NOW),
        "low": make_case(tenant, queue_id=seeded_support_queue.pk, priority=Priority.LOW,
                         now=NOW - 99 * hour),
        "new_normal": make_case(tenant, queue_id=seeded_support_queue.pk, now=NOW - 2 * hour),
    }
    # Not candidates: owned already, another queue, closed.
    make_case(tenant, queue_id=seeded_support_queue.pk, owner_id=agent2.user_id,
              priority=Priority.URGENT)
    make_case(tenant, queue_id=finance.pk, priority=Priority.URGENT)
    claimed = []
    for _ in made:
        response = agent_api.post(f"/queues/{seeded_support_queue.pk}/claim-next")
        body = conforms(response, "POST", "/queues/{queue_id}/claim-next")
        assert body["owner"]["id"] == agent_in_support.user_id
        claimed.append(body["number"])
    order = ["urgent", "old_high", "new_high", "old_normal", "new_normal", "low"]
    assert claimed == [shown(made[name]) for name in order]
    error(agent_api.post(f"/queues/{seeded_support_queue.pk}/claim-next"), 404,
          mentions=("Support",))


def test_claim_next_is_for_members_of_the_queue(agent_api, finance, tenant) -> None:
    make_case(tenant, queue_id=finance.pk)
    error(agent_api.post(f"/queues/{finance.pk}/claim-next"), 403, mentions=("Finance",))


@pytest.mark.parametrize(("queue_id", "status"), [
    ("999999", 404), ("0", 404), ("-1", 404), ("9" * 30, 404), ("x", 422)])
def test_claim_next_from_an_unknown_queue_is_not_found_or_invalid(agent_api, queue_id,
                                                                   status) -> None:
    response = agent_api.post(f"/queues/{queue_id}/claim-next")
    assert response.status_code == status
    assert response.json()["detail"]


# --- owner -----------------------------------------------------------------------------------


def test_giving_a_case_to_a_member_and_to_a_queue(agent_api, agent, agent2, seeded_support_queue,
                                                  finance, tenant) -> None:
    number = shown(make_case(tenant, queue_id=seeded_support_queue.pk))
    response = agent_api.put(f"/cases/{number}/owner", {"owner_id": agent2.user_id})
    body = conforms(response, "PUT", "/cases/{number}/owner")
    assert body["owner"]["id"] == agent2.user_id
    assert body["queue"]["id"] == seeded_support_queue.pk
    body = agent_api.put(f"/cases/{number}/owner", {"queue_id": finance.pk}).json()
    assert body["owner"] is None
    assert body["queue"] == {"id": finance.pk, "name": "Finance"}
    events = [e for e in agent_api.get(f"/cases/{number}/timeline").json()["items"]
              if e["kind"] == "owner_changed"]
    assert [e["new_value"] for e in events] == [
        {"owner_id": agent2.user_id, "queue_id": seeded_support_queue.pk},
        {"owner_id": None, "queue_id": finance.pk},
    ]
    assert all(e["actor"]["id"] == agent.user_id for e in events)
    assert "Finance" in events[-1]["message"]


@pytest.mark.parametrize("payload", [{}, {"owner_id": None, "queue_id": None}])
def test_changing_the_owner_needs_a_member_or_a_queue(agent_api, new_case, payload) -> None:
    number = new_case()["number"]
    error(agent_api.put(f"/cases/{number}/owner", payload), 422, field="owner_id")


def test_changing_the_owner_to_both_a_member_and_a_queue_is_refused(
        agent_api, agent, seeded_support_queue, new_case) -> None:
    number = new_case()["number"]
    error(agent_api.put(f"/cases/{number}/owner",
                        {"owner_id": agent.user_id, "queue_id": seeded_support_queue.pk}), 422)
    assert agent_api.get(f"/cases/{number}").json()["owner"] is None


def test_the_owner_must_be_an_active_member_of_the_tenant(agent_api, agent2, outsider,
                                                          new_case) -> None:
    number = new_case()["number"]
    error(agent_api.put(f"/cases/{number}/owner", {"owner_id": outsider.user_id}), 422,
          field="owner_id")
    agent2.is_active = False
    agent2.save()
    error(agent_api.put(f"/cases/{number}/owner", {"owner_id": agent2.user_id}), 422,
          field="owner_id")


def test_the_queue_must_be_this_tenants(agent_api, foreign, new_case) -> None:
    number = new_case()["number"]
    error(agent_api.put(f"/cases/{number}/owner", {"queue_id": foreign.queue_id}), 422,
          field="queue_id")


# --- case assignments ------------------------------------------------------------------------


def refer(api: Api, number: str, queue_id: int, text: str = "Please check the logs") -> Any:
    return api.post(f"/cases/{number}/assignments", {"queue_id": queue_id, "description": text})


def test_opening_an_assignment_moves_the_case_into_internal_referral(
        agent_api, agent, engineering, new_case) -> None:
    number = new_case()["number"]
    response = refer(agent_api, number, engineering.pk)
    assert response.status_code == 201
    body = conforms(response, "POST", "/cases/{number}/assignments")
    assert body["queue"] == {"id": engineering.pk, "name": "Engineering"}
    assert (body["status"], body["description"]) == ("open", "Please check the logs")
    assert body["opened_by"]["id"] == agent.user_id and body["closed_at"] is None
    case = agent_api.get(f"/cases/{number}").json()
    assert (case["status"], case["sub_status"]) == ("in_progress", INTERNAL_REFERRAL)
    events = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    # A new case is routed (here by the fallback map, to Support) before anything else.
    assert [e["kind"] for e in events] == [
        "created", "routed", "assignment_opened", "status_changed", "status_changed"]
    assert [e["new_value"] for e in events[3:]] == ["open", "in_progress"]
    listed = agent_api.get(f"/cases/{number}/assignments")
    assert [a["id"] for a in conforms(listed, "GET", "/cases/{number}/assignments")] == [
        body["id"]]


def test_closing_with_an_open_assignment_is_refused(agent_api, engineering, new_case) -> None:
    number = new_case()["number"]
    refer(agent_api, number, engineering.pk)
    move = agent_api.post(f"/cases/{number}/transitions", {"to": "resolved", "note": "done"})
    assert move.status_code == 200
    body = error(agent_api.post(f"/cases/{number}/transitions",
                                {"to": "closed", "note": "done", "closed_reason": "Resolved"}),
                 409, mentions=("1 open case assignment",))
    assert "close them" in body["detail"]
    assert agent_api.get(f"/cases/{number}").json()["status"] == "resolved"


def test_closing_the_last_assignment_puts_the_case_back_in_progress(
        agent_api, agent2_api, agent2, engineering, finance, new_case, clock) -> None:
    number = new_case()["number"]
    first = refer(agent_api, number, engineering.pk).json()
    second = refer(agent_api, number, finance.pk, "Check the invoice").json()
    clock.advance(hours=1)
    closed = agent2_api.post(f"/cases/{number}/assignments/{first['id']}/close",
                             {"note": "Logs are clean"})
    body = conforms(closed, "POST", "/cases/{number}/assignments/{assignment_id}/close")
    assert (body["status"], body["closing_note"]) == ("closed", "Logs are clean")
    assert body["closed_by"]["id"] == agent2.user_id
    assert body["closed_at"].startswith(clock.now.isoformat()[:19])
    case = agent_api.get(f"/cases/{number}").json()
    assert case["sub_status"] == INTERNAL_REFERRAL
    agent2_api.post(f"/cases/{number}/assignments/{second['id']}/close", {"note": "Paid"})
    case = agent_api.get(f"/cases/{number}").json()
    assert (case["status"], case["sub_status"]) == ("in_progress", "")
    last = agent_api.get(f"/cases/{number}/timeline").json()["items"][-1]
    assert "back in progress" in last["message"]
    assert last["actor"]["id"] == agent2.user_id


def test_when_the_last_assignment_closes_a_pending_case_returns_to_in_progress(
        agent_api, engineering, new_case) -> None:
    number = new_case()["number"]
    assignment = refer(agent_api, number, engineering.pk).json()
    agent_api.post(f"/cases/{number}/transitions", {"to": "pending_customer"})
    agent_api.post(f"/cases/{number}/assignments/{assignment['id']}/close", {"note": "ok"})
    case = agent_api.get(f"/cases/{number}").json()
    assert case["status"] == "in_progress"
    events = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    assert events[-1]["kind"] == "status_changed"
    assert "back in progress" in events[-1]["message"]


def test_after_the_assignments_close_the_case_may_close(agent_api, engineering,
                                                        new_case) -> None:
    number = new_case()["number"]
    assignment = refer(agent_api, number, engineering.pk).json()
    agent_api.post(f"/cases/{number}/assignments/{assignment['id']}/close", {"note": "ok"})
    for to in ("resolved", "closed"):
        response = agent_api.post(f"/cases/{number}/transitions",
                                  {"to": to, "note": "done", "closed_reason": "Resolved"})
        assert response.status_code == 200, response.content
    assert agent_api.get(f"/cases/{number}").json()["status"] == "closed"


def test_closing_an_assignment_twice_is_refused(agent_api, engineering, new_case) -> None:
    number = new_case()["number"]
    assignment = refer(agent_api, number, engineering.pk).json()
    path = f"/cases/{number}/assignments/{assignment['id']}/close"
    agent_api.post(path, {"note": "ok"})
    error(agent_api.post(path, {"note": "again"}), 409, mentions=("closed already",))
    assert CaseAssignment.objects.get(pk=assignment["id"]).closing_note == "ok"


@pytest.mark.parametrize("payload", [{}, {"note": ""}, {"note": "a\x00"}])
def test_closing_an_assignment_needs_a_note(agent_api, engineering, new_case, payload) -> None:
    number = new_case()["number"]
    assignment = refer(agent_api, number, engineering.pk).json()
    error(agent_api.post(f"/cases/{number}/assignments/{assignment['id']}/close", payload), 422,
          field="note")
    assert CaseAssignment.objects.get(pk=assignment["id"]).status == "open"


def test_an_assignment_of_another_case_is_not_found(agent_api, engineering, new_case) -> None:
    one, two = new_case()["number"], new_case()["number"]
    assignment = refer(agent_api, one, engineering.pk).json()
    error(agent_api.post(f"/cases/{two}/assignments/{assignment['id']}/close", {"note": "x"}),
          404)
    for bad in ("0", "99999999", "-4"):
        response = agent_api.post(f"/cases/{one}/assignments/{bad}/close", {"note": "x"})
        assert response.status_code == 404, response.content


@pytest.mark.parametrize(("payload", "field"), [
    ({"description": "x"}, "queue_id"), ({"queue_id": 999999, "description": "x"}, "queue_id"),
    ("engineering", "description"), ({"queue_id": 0, "description": "x"}, "queue_id"),
])
def test_a_bad_assignment_is_refused(agent_api, engineering, new_case, payload, field) -> None:
    number = new_case()["number"]
    if payload == "engineering":
        payload = {"queue_id": engineering.pk, "description": "   "}
    error(agent_api.post(f"/cases/{number}/assignments", payload), 422, field=field)
    assert agent_api.get(f"/cases/{number}").json()["status"] == "new"


def test_work_is_not_referred_from_a_resolved_case(agent_api, engineering, new_case) -> None:
    number = new_case()["number"]
    for to in ("open", "in_progress", "resolved"):
        agent_api.post(f"/cases/{number}/transitions", {"to": to, "note": "n"})
    error(refer(agent_api, number, engineering.pk), 409, mentions=("re-open",))
    assert not CaseAssignment.objects.exists()


# --- inbox -----------------------------------------------------------------------------------


def test_the_inbox_holds_my_cases_and_my_queues_unassigned_cases_in_claim_order(
        agent_api, agent_in_support, agent2, admin, seeded_support_queue, finance, tenant) -> None:
    me = agent_in_support.user_id
    hour = timedelta(hours=1)
    wanted = {
        "mine_old_normal": make_case(tenant, owner_id=me, queue_id=finance.pk,
                                     now=NOW - 10 * hour),
        "queue_urgent_new": make_case(tenant, queue_id=seeded_support_queue.pk,
                                      priority=Priority.URGENT, now=NOW - hour),
        "mine_high": make_case(tenant, owner_id=me, priority=Priority.HIGH, now=NOW - 3 * hour),
        "queue_high_older": make_case(tenant, queue_id=seeded_support_queue.pk,
                                      priority=Priority.HIGH, now=NOW - 4 * hour),
        "queue_normal": make_case(tenant, queue_id=seeded_support_queue.pk, now=NOW - 2 * hour),
        "mine_low": make_case(tenant, owner_id=me, priority=Priority.LOW, now=NOW - 50 * hour),
    }
    make_case(tenant, queue_id=seeded_support_queue.pk, owner_id=agent2.user_id,
              priority=Priority.URGENT)
    make_case(tenant, queue_id=finance.pk, priority=Priority.URGENT)
    # Routed by the fallback map to Engineering, which is not one of my queues.
    make_case(tenant, priority=Priority.URGENT, category="Technical")
    done = make_case(tenant, owner_id=me, priority=Priority.URGENT)
    for to in ("open", "in_progress", "resolved"):
        done = case_transition(case=done, actor=admin.user, to=to, note="n", now=NOW)
    response = agent_api.get("/inbox/cases")
    body = conforms(response, "GET", "/inbox/cases")
    order = ["queue_urgent_new", "queue_high_older", "mine_high", "mine_old_normal",
             "queue_normal", "mine_low"]
    assert numbers(body["items"]) == [shown(wanted[name]) for name in order]
    assert body["queues"] == [{"id": seeded_support_queue.pk, "name": "Support", "waiting": 3}]
    assert body["next_cursor"] is None


def test_the_inbox_pages_without_gaps_or_repeats(agent_api, agent_in_support, seeded_support_queue,
                                                 tenant) -> None:
    me = agent_in_support.user_id
    made = []
    for i in range(13):
        made.append(make_case(tenant, priority=Priority.HIGH if i % 3 == 0 else Priority.NORMAL,
                              now=NOW - timedelta(minutes=i % 5),
                              **({"owner_id": me} if i % 2
                                 else {"queue_id": seeded_support_queue.pk})))
    full = agent_api.get("/inbox/cases", limit=100).json()["items"]
    paged: list[str] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = agent_api.get("/inbox/cases", **params).json()
        paged += numbers(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == numbers(full)
    assert len(set(paged)) == 13


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("params", "field"), [
    ({"cursor": "WzFd"}, "cursor"), ({"cursor": "WyJhIiwiYiIsImMiXQ"}, "cursor"),
    ({"cursor": "%%%"}, "cursor"), ({"limit": 0}, "limit"), ({"limit": 500}, "limit"),
    ({"cursor": _cursor([2, "2026-13-01T00:00:00+00:00", 1])}, "cursor"),
    ({"cursor": _cursor([2, "0001-01-01T00:00:00+05:00", 1])}, "cursor"),
    ({"cursor": _cursor(["2", "2026-01-01T00:00:00+00:00", 1])}, "cursor"),
])
def test_the_inbox_refuses_bad_paging(agent_api, agent_in_support, seeded_support_queue, tenant,
                                      params, field) -> None:
    make_case(tenant, queue_id=seeded_support_queue.pk)
    error(agent_api.get("/inbox/cases", **params), 422, field=field)


def test_an_agent_without_queues_sees_only_their_own_cases(agent2_api, agent2, seeded_support_queue,
                                                           tenant) -> None:
    mine = make_case(tenant, owner_id=agent2.user_id)
    make_case(tenant, queue_id=seeded_support_queue.pk)
    body = agent2_api.get("/inbox/cases").json()
    assert numbers(body["items"]) == [shown(mine)]
    assert body["queues"] == []
