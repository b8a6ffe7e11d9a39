"""The kanban board (/cases/board) and its move endpoint (cases/<number>/board-move)."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.console.views import board as board_view
from casedesk.routing.models import Queue
from tests.conftest import NOW, login
from tests.factories import AccountFactory, make_case

JSON = {"HTTP_ACCEPT": "application/json"}


def move_to(case: Case, *steps: str) -> Case:
    """Walks a case along the lifecycle (notes and a reason where a step needs them)."""
    for to in steps:
        note = "done" if to in ("resolved", "closed") else ""
        case = case_transition(case=case, actor=None, to=to, now=NOW, note=note,
                               closed_reason="Duplicate" if to == "closed" else "")
    return case


def columns(body: str) -> dict[str, str]:
    """The HTML of each column of the board, by status."""
    parts = re.split(r'<section class="board-column" id="board-col-', body)[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def cards_in(html: str) -> list[str]:
    return re.findall(r'data-testid="board-card-([^"]+)"', html)


def count_in(html: str, status: str) -> str:
    match = re.search(rf'data-testid="board-count-{status}"[^>]*>([^<]+)<', html)
    assert match, f"no count for {status}"
    return match.group(1)


def card_html(html: str, number: str) -> str:
    for card in html.split('<li class="board-card')[1:]:
        if f'data-testid="board-card-{number}"' in card:
            return card.split("</li>")[0]
    raise AssertionError(f"no card {number}")


def events(case: Case) -> int:
    return TimelineEvent.objects.filter(case=case, kind=EventKind.STATUS_CHANGED).count()


# --- The board page -----------------------------------------------------------------------

def test_board_needs_login(tenant: Any) -> None:
    case = make_case(tenant)
    response = Client().get("/cases/board")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = Client().post(f"/cases/{case.display_number}/board-move", {"to": "open"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    case.refresh_from_db()
    assert case.status == "new"


@pytest.mark.parametrize("who", ["agent", "manager", "admin"])
def test_board_shows_each_case_in_its_status_column_with_counts(
        request: pytest.FixtureRequest, tenant: Any, who: str) -> None:
    membership = request.getfixturevalue(who)
    account = AccountFactory(tenant=tenant, name="Initech")
    new = make_case(tenant, subject="Printer on fire", account_id=account.pk, priority=4,
                    owner_id=membership.user_id)
    new2 = make_case(tenant, subject="Second new one")
    opened = move_to(make_case(tenant, subject="Opened"), "open")
    working = move_to(make_case(tenant, subject="Working"), "open", "in_progress")
    waiting = move_to(make_case(tenant), "open", "in_progress", "pending_customer")
    resolved = move_to(make_case(tenant), "open", "in_progress", "resolved")
    closed = move_to(make_case(tenant), "open", "in_progress", "resolved", "closed")

    response = login(membership).get("/cases/board")
    assert response.status_code == 200
    body = response.content.decode()
    cols = columns(body)
    assert list(cols) == ["new", "open", "in_progress", "pending_customer", "resolved",
                          "closed"]
    expected = {"new": [new2, new], "open": [opened], "in_progress": [working],
                "pending_customer": [waiting], "resolved": [resolved], "closed": [closed]}
    for status, cases in expected.items():
        assert cards_in(cols[status]) == [c.display_number for c in cases]
        assert count_in(cols[status], status) == str(len(cases))
    card = card_html(cols["new"], new.display_number)
    assert "Printer on fire" in card and "Initech" in card and "Urgent" in card
    assert membership.user.display_name in card
    assert f'href="/cases/{new.display_number}"' in card
    # The lifecycle's allowed moves ride along on every card, for the drag hints and the
    # keyboard's "Move to…".
    assert 'data-allowed="open"' in card
    assert re.search(r'<button class="move-option" name="to" value="open">', card)
    resolved_card = card_html(cols["resolved"], resolved.display_number)
    assert 'data-allowed="closed open"' in resolved_card
    # The filter form is on the page.
    assert 'id="board-filters"' in body and 'name="q"' in body


def test_a_full_column_shows_a_bounded_number_of_cards_and_a_capped_count(
        tenant: Any, agent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(board_view, "CARDS_PER_COLUMN", 3)
    monkeypatch.setattr(board_view, "COUNT_CAP", 5)
    cases = [make_case(tenant, subject=f"Case {i}") for i in range(4)]
    cols = columns(login(agent).get("/cases/board").content.decode())
    assert cards_in(cols["new"]) == [c.display_number for c in reversed(cases)][:3]
    assert count_in(cols["new"], "new") == "4"
    assert 'href="/cases?status=new"' in cols["new"]
    assert "All 4 in the list" in cols["new"]
    assert "in the list" not in cols["open"]

    cases += [make_case(tenant, subject=f"More {i}") for i in range(3)]
    cols = columns(login(agent).get("/cases/board?priority=normal").content.decode())
    assert len(cards_in(cols["new"])) == 3
    assert count_in(cols["new"], "new") == "5+"
    assert "All 5+ in the list" in cols["new"]
    # "more" opens the list with the board's filters and this column's status.
    assert 'href="/cases?priority=normal&amp;status=new"' in cols["new"]


def test_filters_apply_to_every_column(tenant: Any, agent: Any, agent2: Any) -> None:
    account = AccountFactory(tenant=tenant)
    mine = make_case(tenant, subject="Mine urgent", owner_id=agent.user_id, priority=4)
    mine_open = move_to(make_case(tenant, subject="Mine open", owner_id=agent.user_id), "open")
    theirs = make_case(tenant, subject="Theirs", owner_id=agent2.user_id, priority=4,
                       account_id=account.pk)
    done = move_to(make_case(tenant, subject="Done billing", owner_id=agent.user_id),
                   "open", "in_progress", "resolved")
    client = login(agent)

    cols = columns(client.get("/cases/board?owner=me").content.decode())
    shown = {status: cards_in(html) for status, html in cols.items()}
    assert shown["new"] == [mine.display_number]
    assert shown["open"] == [mine_open.display_number]
    assert shown["resolved"] == [done.display_number]

    cols = columns(client.get("/cases/board?priority=urgent").content.decode())
    assert cards_in(cols["new"]) == [theirs.display_number, mine.display_number]
    assert cards_in(cols["open"]) == []
    assert count_in(cols["open"], "open") == "0"

    cols = columns(client.get(f"/cases/board?account={account.pk}").content.decode())
    assert sum(len(cards_in(html)) for html in cols.values()) == 1

    cols = columns(client.get("/cases/board?q=billing").content.decode())
    assert [n for html in cols.values() for n in cards_in(html)] == [done.display_number]

    # The status filter picks the columns; "open only" hides resolved and closed.
    assert list(columns(client.get("/cases/board?status=new&status=resolved")
                        .content.decode())) == ["new", "resolved"]
    assert list(columns(client.get("/cases/board?open=on").content.decode())) == [
        "new", "open", "in_progress", "pending_customer"]
    # The chosen filters stay checked in the form.
    body = client.get("/cases/board?priority=urgent").content.decode()
    assert re.search(r'name="priority" value="urgent" checked', body)


def test_bad_filters_are_ignored_with_a_message(tenant: Any, agent: Any) -> None:
    make_case(tenant)
    response = login(agent).get("/cases/board?created_after=yesterday&queue=999999")
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()


def test_board_queries_do_not_grow_with_the_cases(tenant: Any, agent: Any, agent2: Any) -> None:
    queue = Queue.objects.get(tenant=tenant, name="Support")
    accounts = [AccountFactory(tenant=tenant) for _ in range(3)]

    def add(n: int) -> None:
        for i in range(n):
            case = make_case(tenant, subject=f"Case {i}", queue_id=queue.pk,
                             account_id=accounts[i % 3].pk,
                             owner_id=(agent, agent2)[i % 2].user_id, priority=1 + i % 4)
            if i % 3 == 1:
                move_to(case, "open")
            elif i % 3 == 2:
                move_to(case, "open", "in_progress", "resolved")

    client = login(agent)
    add(5)
    client.get("/cases/board")  # warm the session and per-process caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/cases/board").status_code == 200
    add(30)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/cases/board").content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(cards_in(body)) == 35


def test_one_column_can_be_fetched_alone_for_a_refresh(tenant: Any, agent: Any) -> None:
    case = make_case(tenant, subject="Only me", priority=4)
    make_case(tenant, subject="Not urgent")
    response = login(agent).get("/cases/board?priority=urgent&column=new")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert list(columns(body)) == ["new"]
    assert cards_in(body) == [case.display_number]
    # The move form of each card sends the board's filters back with it.
    assert 'name="back" value="priority=urgent"' in body


def test_htmx_filtering_answers_the_board_fragment(tenant: Any, agent: Any) -> None:
    make_case(tenant)
    response = login(agent).get("/cases/board?q=&owner=none&type=", HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="board")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board"') and "<html" not in body
    # Empty filters are dropped from the links and from the address pushed to the history.
    assert 'data-query="owner=none"' in body
    assert response["HX-Push-Url"] == "/cases/board?owner=none"


def test_other_tenants_cases_are_not_on_the_board(tenant: Any, other_tenant: Any,
                                                  agent: Any) -> None:
    make_case(other_tenant, subject="Globex secret")
    body = login(agent).get("/cases/board").content.decode()
    assert "Globex secret" not in body


# --- The move endpoint --------------------------------------------------------------------

def test_allowed_move_changes_the_status_and_writes_the_timeline(tenant: Any,
                                                                 agent: Any) -> None:
    case = make_case(tenant)
    response = login(agent).post(f"/cases/{case.display_number}/board-move", {"to": "open"},
                                 **JSON)
    assert response.status_code == 200
    assert response.json() == {"detail": f"{case.display_number} moved to Open.",
                               "number": case.display_number, "from": "new", "to": "open"}
    case.refresh_from_db()
    assert case.status == "open"
    event = TimelineEvent.objects.get(case=case, kind=EventKind.STATUS_CHANGED)
    assert (event.old_value, event.new_value, event.actor_id) == ("new", "open", agent.user_id)


def test_forbidden_move_is_409_naming_the_allowed_moves_and_changes_nothing(
        tenant: Any, agent: Any) -> None:
    case = make_case(tenant)
    response = login(agent).post(f"/cases/{case.display_number}/board-move",
                                 {"to": "pending_customer"}, **JSON)
    assert response.status_code == 409
    data = response.json()
    assert "Allowed moves from new: open" in data["detail"]
    assert data["allowed"] == ["open"]
    case.refresh_from_db()
    assert case.status == "new" and events(case) == 0


def test_unknown_status_is_422(tenant: Any, agent: Any) -> None:
    case = make_case(tenant)
    response = login(agent).post(f"/cases/{case.display_number}/board-move", {"to": "limbo"},
                                 **JSON)
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.status == "new"


def test_resolve_needs_a_note(tenant: Any, agent: Any) -> None:
    case = move_to(make_case(tenant), "open", "in_progress")
    client = login(agent)
    url = f"/cases/{case.display_number}/board-move"
    before = events(case)
    response = client.post(url, {"to": "resolved", "note": "   "}, **JSON)
    assert response.status_code == 422
    assert response.json()["field"] == "note"
    assert "needs a note" in response.json()["detail"]
    case.refresh_from_db()
    assert case.status == "in_progress" and events(case) == before
    assert not Note.objects.filter(case=case).exists()

    response = client.post(url, {"to": "resolved", "note": "Patched the printer."}, **JSON)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_at is not None
    assert Note.objects.get(case=case).body == "Patched the printer."


def test_close_needs_a_closed_reason_from_the_picklist(tenant: Any, agent: Any) -> None:
    case = move_to(make_case(tenant), "open", "in_progress", "resolved")
    client = login(agent)
    url = f"/cases/{case.display_number}/board-move"
    response = client.post(url, {"to": "closed", "note": "Confirmed"}, **JSON)
    assert response.status_code == 422 and response.json()["field"] == "closed_reason"
    response = client.post(url, {"to": "closed", "note": "Confirmed", "closed_reason": "Bored"},
                           **JSON)
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.status == "resolved"

    response = client.post(url, {"to": "closed", "note": "Confirmed", "closed_reason": "Duplicate"},
                           **JSON)
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.closed_reason, case.closure_note) == (
        "closed", "Duplicate", "Confirmed")


def test_the_dialog_offers_the_tenants_closed_reasons(tenant: Any, agent: Any) -> None:
    body = login(agent).get("/cases/board").content.decode()
    dialog = body.split('<dialog id="board-dialog"')[1].split("</dialog>")[0]
    for reason in ("Resolved", "Duplicate", "Customer unresponsive", "Won't fix", "Other"):
        assert reason.replace("'", "&#x27;") in dialog


def test_another_tenants_case_is_404(tenant: Any, other_tenant: Any, agent: Any) -> None:
    make_case(other_tenant)
    theirs = make_case(other_tenant)
    make_case(tenant)  # our tenant has case 1 only
    client = login(agent)
    for number in (theirs.display_number, f"{tenant.case_prefix}-{theirs.number}"):
        url = f"/cases/{number}/board-move"
        assert client.post(url, {"to": "open"}, **JSON).status_code == 404
        assert client.post(url, {"to": "open"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "new" and events(theirs) == 0


def test_outsider_cannot_move_our_case(tenant: Any, outsider: Any) -> None:
    case = make_case(tenant)
    response = login(outsider).post(f"/cases/{case.display_number}/board-move",
                                    {"to": "open"}, **JSON)
    # The outsider's tenant has its own CS-1 (or none): ours is never found or changed.
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == "new"


def test_move_endpoint_is_post_only(tenant: Any, agent: Any) -> None:
    case = make_case(tenant)
    assert login(agent).get(f"/cases/{case.display_number}/board-move").status_code == 405


# --- Without JavaScript -------------------------------------------------------------------

def test_form_post_moves_and_redirects_back_to_the_filtered_board(tenant: Any,
                                                                 agent: Any) -> None:
    case = make_case(tenant)
    client = login(agent)
    response = client.post(f"/cases/{case.display_number}/board-move",
                           {"to": "open", "back": "owner=none&priority=normal"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/board?owner=none&priority=normal"
    body = client.get(response["Location"]).content.decode()
    assert f"{case.display_number} moved to Open." in body
    case.refresh_from_db()
    assert case.status == "open"


def test_form_post_of_a_forbidden_move_says_why(tenant: Any, agent: Any) -> None:
    case = make_case(tenant)
    response = login(agent).post(f"/cases/{case.display_number}/board-move",
                                 {"to": "closed"}, follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == "/cases/board"
    assert "Allowed moves from new: open" in body
    case.refresh_from_db()
    assert case.status == "new"


def test_form_post_into_resolved_asks_for_the_note(tenant: Any, agent: Any) -> None:
    case = move_to(make_case(tenant), "open", "in_progress", "resolved")
    client = login(agent)
    url = f"/cases/{case.display_number}/board-move"
    response = client.post(url, {"to": "closed", "back": "q=x"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "needs a note" in body
    assert 'name="note"' in body and 'name="closed_reason"' in body
    assert 'name="back" value="q=x"' in body
    case.refresh_from_db()
    assert case.status == "resolved"

    response = client.post(url, {"to": "closed", "note": "ok", "closed_reason": "Other",
                                 "back": "q=x"})
    assert response.status_code == 302 and response["Location"] == "/cases/board?q=x"
    case.refresh_from_db()
    assert case.status == "closed"


def test_back_can_only_point_at_the_board(tenant: Any, agent: Any) -> None:
    case = make_case(tenant)
    response = login(agent).post(f"/cases/{case.display_number}/board-move",
                                 {"to": "open", "back": "//evil.example/\r\nx"})
    assert response.status_code == 302
    assert response["Location"].startswith("/cases/board?")
    assert "evil.example/" not in response["Location"].split("?", 1)[0]
