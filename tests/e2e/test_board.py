"""The kanban board: native drag and drop through the lifecycle, the resolve/close dialog, a
refused move snapping back with its reason, and the same moves from the keyboard."""

from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from casedesk.cases.models import Case, Note
from casedesk.cases.services import case_transition
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def walk(case: Case, *steps: str) -> Case:
    for to in steps:
        case = case_transition(case=case, actor=None, to=to, now=NOW)
    return case


def card_in(page: Page, status: str, case: Case) -> Locator:
    return page.get_by_test_id(f"board-column-{status}").get_by_test_id(
        f"board-card-{case.display_number}"
    )


def test_drag_to_resolved_asks_for_the_note_and_a_forbidden_drag_snaps_back(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    working = walk(
        make_case(tenant, subject="Printer on fire", owner_id=agent.user_id), "open", "in_progress"
    )
    fresh = make_case(tenant, subject="Password reset loop")

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/board")
    card = card_in(page, "in_progress", working)
    expect(card).to_be_visible()
    dialog = page.locator("#board-dialog")

    # Dropping on resolved opens the note dialog; cancelling puts the card back.
    card.drag_to(page.get_by_test_id("board-column-resolved"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Resolve {working.display_number}")
    expect(page.locator("#board-reason-field")).to_be_hidden()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(card_in(page, "in_progress", working)).to_be_visible()
    working.refresh_from_db()
    assert working.status == "in_progress"

    # Now for real: the note is asked for, then the card lands in resolved.
    card_in(page, "in_progress", working).drag_to(page.get_by_test_id("board-column-resolved"))
    expect(dialog).to_be_visible()
    page.locator("#board-note").fill("Replaced the fuser; printing again.")
    page.locator("#board-dialog-submit").click()
    expect(dialog).to_be_hidden()
    expect(card_in(page, "resolved", working)).to_be_visible()
    expect(card_in(page, "in_progress", working)).to_have_count(0)
    expect(page.get_by_test_id("board-count-resolved")).to_have_text("1")
    expect(page.locator("#toast")).to_contain_text(f"{working.display_number} moved to Resolved")
    working.refresh_from_db()
    assert working.status == "resolved" and working.resolved_at is not None
    assert Note.objects.filter(case=working, body="Replaced the fuser; printing again.").exists()

    # new → closed is not a move of the lifecycle: no dialog, the card snaps back, the reason
    # shows in the toast.
    card_in(page, "new", fresh).drag_to(page.get_by_test_id("board-column-closed"))
    expect(page.locator("#toast")).to_contain_text("Cannot move a case from new to closed")
    expect(dialog).to_be_hidden()
    expect(card_in(page, "new", fresh)).to_be_visible()
    expect(card_in(page, "closed", fresh)).to_have_count(0)
    fresh.refresh_from_db()
    assert fresh.status == "new"


def test_keyboard_moves_go_through_the_same_dialog(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    case = walk(
        make_case(tenant, subject="Export times out", owner_id=agent.user_id), "open", "in_progress"
    )

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/board")
    dialog = page.locator("#board-dialog")

    # M opens "Move to…" on the focused card; the arrows pick Resolved.
    card_in(page, "in_progress", case).focus()
    page.keyboard.press("m")
    options = card_in(page, "in_progress", case).locator(".move-option")
    expect(options.first).to_be_focused()
    expect(options).to_have_text(["Pending customer", "Resolved"])
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(page.locator("#board-note")).to_be_focused()
    page.keyboard.type("Raised the export timeout.")
    page.locator("#board-dialog-submit").press("Enter")
    expect(dialog).to_be_hidden()
    moved = card_in(page, "resolved", case)
    expect(moved).to_be_focused()
    case.refresh_from_db()
    assert case.status == "resolved"

    # Closing asks for a closed reason too; the dialog will not send without one.
    page.keyboard.press("m")
    moved.get_by_role("button", name="Closed").press("Enter")
    expect(dialog).to_be_visible()
    expect(page.locator("#board-reason-field")).to_be_visible()
    page.keyboard.type("Customer confirmed.")
    page.locator("#board-dialog-submit").click()
    expect(page.locator("#board-reason")).to_be_focused()  # the browser asks for it first
    expect(dialog).to_be_visible()
    page.locator("#board-reason").select_option("Duplicate")
    page.locator("#board-dialog-submit").click()
    expect(dialog).to_be_hidden()
    expect(card_in(page, "closed", case)).to_be_focused()
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_reason == "Duplicate"
