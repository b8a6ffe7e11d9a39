"""The gated lifecycle through the API: transitions, notes they need, re-opening, follow-ups,
notes and replies, and the timeline that records all of it."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.cases.models import Case, Note
from casedesk.cases.services import case_transition
from tests.api_checks import conforms, error
from tests.conftest import NOW, Api
from tests.factories import make_case


def move(api: Api, number: str, to: str, **extra: Any) -> Any:
    return api.post(f"/cases/{number}/transitions", {"to": to, **extra})


def walk(api: Api, number: str, *targets: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for to in targets:
        response = move(api, number, to, note=f"on to {to}", closed_reason="Resolved")
        assert response.status_code == 200, response.content
        body = response.json()
    return body


def test_a_case_walks_the_whole_lifecycle(agent_api, new_case, clock) -> None:
    number = new_case()["number"]
    body = walk(agent_api, number, "open", "in_progress", "pending_customer", "in_progress")
    assert body["status"] == "in_progress"
    assert body["allowed_transitions"] == ["pending_customer", "resolved"]
    clock.advance(hours=1)
    resolved = move(agent_api, number, "resolved", note="Fixed the driver")
    body = conforms(resolved, "POST", "/cases/{number}/transitions")
    assert body["status"] == "resolved"
    assert body["resolved_at"].startswith(clock.now.isoformat()[:19])
    assert body["allowed_transitions"] == ["closed", "open"]
    clock.advance(hours=1)
    body = move(agent_api, number, "closed", note="Customer confirmed",
                closed_reason="Resolved").json()
    assert body["status"] == "closed"
    assert body["closed_reason"] == "Resolved"
    assert body["closure_note"] == "Customer confirmed"
    assert body["closed_at"].startswith(clock.now.isoformat()[:19])
    assert body["age_seconds"] == 2 * 3600


@pytest.mark.parametrize(("start", "to", "allowed"), [
    ((), "closed", "open"),
    ((), "resolved", "open"),
    (("open",), "pending_customer", "in_progress"),
    (("open", "in_progress"), "new", "pending_customer, resolved"),
    (("open", "in_progress", "resolved"), "in_progress", "closed, open"),
])
def test_a_forbidden_move_is_refused_naming_the_allowed_moves(agent_api, new_case, start, to,
                                                              allowed) -> None:
    number = new_case()["number"]
    before = walk(agent_api, number, *start) if start else agent_api.get(
        f"/cases/{number}").json()
    body = error(move(agent_api, number, to, note="n", closed_reason="Resolved"), 409,
                 mentions=(f"Allowed moves from {before['status']}: {allowed}",))
    assert to in body["detail"]
    assert agent_api.get(f"/cases/{number}").json()["status"] == before["status"]


def test_moving_to_the_current_status_is_refused(agent_api, new_case) -> None:
    number = new_case()["number"]
    error(move(agent_api, number, "new"), 409, mentions=("already",))


def test_an_unknown_target_status_is_refused_naming_the_allowed_moves(agent_api,
                                                                      new_case) -> None:
    number = new_case()["number"]
    response = move(agent_api, number, "flying")
    assert response.status_code == 422  # not a status at all: invalid input, not a refusal
    assert "Allowed moves from new: open" in response.json()["detail"]


@pytest.mark.parametrize("to", ["resolved", "closed"])
def test_resolving_or_closing_needs_a_note(agent_api, new_case, to) -> None:
    number = new_case()["number"]
    walk(agent_api, number, "open", "in_progress", *(["resolved"] if to == "closed" else []))
    error(move(agent_api, number, to, note="   ", closed_reason="Resolved"), 422, field="note",
          mentions=("note",))
    assert agent_api.get(f"/cases/{number}").json()["status"] != to


def test_closing_needs_a_closed_reason_of_the_tenant(agent_api, new_case) -> None:
    number = new_case()["number"]
    walk(agent_api, number, "open", "in_progress", "resolved")
    body = error(move(agent_api, number, "closed", note="done"), 422, field="closed_reason")
    for reason in ("Resolved", "Duplicate", "Customer unresponsive", "Won't fix", "Other"):
        assert reason in body["detail"]
    error(move(agent_api, number, "closed", note="done", closed_reason="Bored"), 422,
          field="closed_reason", mentions=("Bored",))
    ok = move(agent_api, number, "closed", note="done", closed_reason="Won't fix")
    assert ok.json()["closed_reason"] == "Won't fix"


def test_the_note_of_a_move_is_kept_as_an_internal_note(agent_api, agent, new_case) -> None:
    number = new_case()["number"]
    move(agent_api, number, "open")
    move(agent_api, number, "in_progress")
    move(agent_api, number, "resolved", note="Replaced the toner")
    notes = agent_api.get(f"/cases/{number}/notes").json()
    assert [(n["body"], n["public"], n["author"]["id"]) for n in notes] == [
        ("Replaced the toner", False, agent.user_id)]
    items = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    event = next(e for e in reversed(items) if e["kind"] == "status_changed")
    assert (event["kind"], event["old_value"], event["new_value"]) == (
        "status_changed", "in_progress", "resolved")
    assert event["note"]["body"] == "Replaced the toner"


@pytest.mark.parametrize("payload", [{}, {"to": "open", "note": "a\x00"},
                                     {"to": "x" * 41}, {"to": 5}])
def test_a_malformed_transition_is_refused(agent_api, new_case, payload) -> None:
    number = new_case()["number"]
    error(agent_api.post(f"/cases/{number}/transitions", payload), 422)
    assert agent_api.get(f"/cases/{number}").json()["status"] == "new"


# --- re-opening and follow-ups ---------------------------------------------------------------


def closed_case(api: Api, new_case: Any) -> str:
    number = new_case()["number"]
    walk(api, number, "open", "in_progress", "resolved", "closed")
    return number


def test_a_resolved_case_reopens(agent_api, new_case) -> None:
    number = new_case()["number"]
    walk(agent_api, number, "open", "in_progress", "resolved")
    body = move(agent_api, number, "open").json()
    assert body["status"] == "open"
    assert body["resolved_at"] is None


def test_a_closed_case_reopens_once_within_the_window(agent_api, new_case, clock) -> None:
    number = closed_case(agent_api, new_case)
    clock.advance(hours=5, minutes=59)
    body = move(agent_api, number, "open").json()
    assert (body["status"], body["reopen_count"]) == ("open", 1)
    assert body["closed_at"] is None and body["closed_reason"] == ""
    events = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    assert events[-1]["message"] == "Re-opened."
    walk(agent_api, number, "in_progress", "resolved", "closed")
    body = error(move(agent_api, number, "open"), 409, mentions=("follow-up",))
    assert "once" in body["detail"]
    assert agent_api.get(f"/cases/{number}").json()["status"] == "closed"


def test_a_closed_case_does_not_reopen_after_the_window(agent_api, new_case, clock) -> None:
    number = closed_case(agent_api, new_case)
    clock.advance(hours=6, seconds=1)
    error(move(agent_api, number, "open"), 409, mentions=("6 hours", "follow-up"))
    assert agent_api.get(f"/cases/{number}").json()["reopen_count"] == 0


def test_the_reopen_limit_and_window_are_tenant_settings(agent_api, tenant, new_case,
                                                         clock) -> None:
    tenant.reopen_limit, tenant.reopen_window = 2, timedelta(days=1)
    tenant.save()
    number = closed_case(agent_api, new_case)
    clock.advance(hours=20)
    assert move(agent_api, number, "open").status_code == 200
    walk(agent_api, number, "in_progress", "resolved", "closed")
    assert move(agent_api, number, "open").json()["reopen_count"] == 2
    walk(agent_api, number, "in_progress", "resolved", "closed")
    error(move(agent_api, number, "open"), 409, mentions=("2 times",))


def test_a_follow_up_case_links_to_the_closed_case(agent_api, agent, new_case, clock,
                                                   seeded_support_queue) -> None:
    old = new_case(subject="Broken printer", priority="high", queue_id=seeded_support_queue.pk,
                   category="Technical", subcategory="Login")
    number = old["number"]
    walk(agent_api, number, "open", "in_progress", "resolved", "closed")
    clock.advance(days=2)
    error(move(agent_api, number, "open"), 409)
    response = agent_api.post(f"/cases/{number}/follow-ups", {})
    assert response.status_code == 201
    body = conforms(response, "POST", "/cases/{number}/follow-ups")
    assert body["follow_up_of"] == number
    assert body["number"] != number
    assert body["subject"] == "Follow-up: Broken printer"
    assert (body["priority"], body["queue"]["id"], body["category"]) == (
        "high", seeded_support_queue.pk, "Technical")
    assert body["status"] == "new"
    event = agent_api.get(f"/cases/{number}/timeline").json()["items"][-1]
    assert event["kind"] == "follow_up_created"
    assert event["actor"]["id"] == agent.user_id
    assert body["number"] in event["message"]


def test_a_follow_up_takes_its_own_subject(agent_api, new_case) -> None:
    number = closed_case(agent_api, new_case)
    body = agent_api.post(f"/cases/{number}/follow-ups",
                          {"subject": "Printer again", "description": "Same thing"}).json()
    assert (body["subject"], body["description"]) == ("Printer again", "Same thing")


def test_an_open_case_gets_no_follow_up(agent_api, new_case) -> None:
    number = new_case()["number"]
    error(agent_api.post(f"/cases/{number}/follow-ups", {}), 409, mentions=("closed",))
    assert Case.objects.count() == 1


# --- notes and replies -----------------------------------------------------------------------


def test_notes_and_replies_are_stored_with_author_and_time(agent_api, agent, new_case,
                                                           clock) -> None:
    number = new_case()["number"]
    internal = agent_api.post(f"/cases/{number}/notes", {"body": "Called the customer"})
    assert internal.status_code == 201
    body = conforms(internal, "POST", "/cases/{number}/notes")
    assert (body["body"], body["public"], body["author"]["id"]) == (
        "Called the customer", False, agent.user_id)
    assert body["created_at"].startswith(NOW.isoformat()[:19])
    assert agent_api.get(f"/cases/{number}").json()["first_response_at"] is None
    clock.advance(minutes=10)
    reply = agent_api.post(f"/cases/{number}/notes", {"body": "We are on it", "public": True})
    assert reply.json()["public"] is True
    first = agent_api.get(f"/cases/{number}").json()["first_response_at"]
    assert first.startswith(clock.now.isoformat()[:19])
    clock.advance(minutes=10)
    agent_api.post(f"/cases/{number}/notes", {"body": "Still on it", "public": True})
    assert agent_api.get(f"/cases/{number}").json()["first_response_at"] == first
    listed = agent_api.get(f"/cases/{number}/notes")
    assert [n["body"] for n in conforms(listed, "GET", "/cases/{number}/notes")] == [
        "Called the customer", "We are on it", "Still on it"]
    kinds = [e["kind"] for e in agent_api.get(f"/cases/{number}/timeline").json()["items"]]
    assert kinds == ["created", "routed", "note_added", "reply_added", "reply_added"]


@pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "   "}, {"body": "a\x00"},
                                     {"body": "ok", "public": "perhaps"}])
def test_an_empty_or_malformed_note_is_refused(agent_api, new_case, payload) -> None:
    number = new_case()["number"]
    error(agent_api.post(f"/cases/{number}/notes", payload), 422)
    assert not Note.objects.exists()


# --- timeline --------------------------------------------------------------------------------


def test_the_timeline_pages_oldest_first(agent_api, new_case) -> None:
    number = new_case()["number"]
    for i in range(7):
        agent_api.post(f"/cases/{number}/notes", {"body": f"note {i}"})
    first = agent_api.get(f"/cases/{number}/timeline", limit=3)
    page = conforms(first, "GET", "/cases/{number}/timeline")
    ids = [e["id"] for e in page["items"]]
    while page["next_cursor"]:
        page = agent_api.get(f"/cases/{number}/timeline", limit=3,
                             cursor=page["next_cursor"]).json()
        ids += [e["id"] for e in page["items"]]
    assert len(ids) == len(set(ids)) == 9  # created, routed and the seven notes
    assert ids == sorted(ids)


@pytest.mark.parametrize(("params", "field"), [
    ({"cursor": "nope"}, "cursor"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
])
def test_timeline_refuses_bad_paging(agent_api, new_case, params, field) -> None:
    number = new_case()["number"]
    error(agent_api.get(f"/cases/{number}/timeline", **params), 422, field=field)


def test_the_timeline_records_who_moved_the_case_and_when(agent_api, agent, admin, new_case,
                                                          clock) -> None:
    number = new_case()["number"]
    clock.advance(minutes=3)
    move(agent_api, number, "open")
    created, routed, moved = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    assert created["kind"] == "created" and created["actor"]["id"] == admin.user_id
    assert routed["kind"] == "routed" and routed["actor"]["id"] == admin.user_id
    assert created["new_value"]["status"] == "new"
    assert moved["kind"] == "status_changed" and moved["field"] == "status"
    assert (moved["old_value"], moved["new_value"]) == ("new", "open")
    assert moved["actor"] == {"id": agent.user_id, "name": "Alice Agent",
                              "email": "alice@acme.test"}
    assert moved["created_at"].startswith(clock.now.isoformat()[:19])


def test_a_refused_move_leaves_no_trace(agent_api, admin, tenant) -> None:
    case = case_transition(case=make_case(tenant), actor=admin.user, to="open", now=NOW)
    number = f"CS-{case.number}"
    before = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    error(move(agent_api, number, "closed", note="n", closed_reason="Resolved"), 409)
    assert agent_api.get(f"/cases/{number}/timeline").json()["items"] == before
    assert not Note.objects.exists()
