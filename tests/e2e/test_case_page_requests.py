"""What the browser asks for around the case page: the page comes with its panels, so opening
a case is one request; the presence poll tells what the notice shows and gets 204 while
nothing changed."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from casedesk.tenancy.models import Membership, Tenant
from tests.console.test_case_page_polls import PANELS
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e



def test_opening_a_case_is_one_request_and_the_polls_answer_204(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    case = make_case(tenant, subject="Printer on fire", owner_id=agent.user_id)
    log_in(page, agent)
    asked: list[Request] = []
    page.on("request", lambda r: asked.append(r) if r.resource_type in ("xhr", "fetch") else None)

    with page.expect_response(re.compile(r"/presence$")) as polled:
        page.goto(f"{live_server.url}/cases/{case.display_number}")
        for testid in PANELS:
            expect(page.get_by_test_id(testid)).to_be_attached()
    # The first poll comes after its 4 s: nothing was asked for before it but the bell.
    assert polled.value.status == 204
    (poll,) = [r for r in asked if r.url.endswith("/presence")]
    assert poll.method == "POST" and "seen=" in (poll.post_data or "")
    assert all(
        not re.search(r"/(tasks|links|similar|triage|macros|panel|suggestions|calls)\b", r.url)
        for r in asked
    ), [r.url for r in asked]
    # The panels kept what the page brought.
    expect(page.get_by_test_id("tasks-panel")).to_be_visible()
    expect(page.get_by_test_id("links-panel")).to_be_visible()


def test_after_a_note_each_panel_is_asked_once(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    case = make_case(tenant, subject="Printer on fire", owner_id=agent.user_id)
    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    expect(page.get_by_test_id("tasks-panel")).to_be_attached()
    asked: list[str] = []
    page.on(
        "request",
        lambda r: (
            asked.append(r.url.split("?")[0])
            if r.resource_type in ("xhr", "fetch") and r.method == "GET"
            else None
        ),
    )

    page.get_by_test_id("composer").fill("Checked the toner")
    with page.expect_response(re.compile(r"/triage$")):
        page.locator("#composer .composer-foot button").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Checked the toner")
    for testid in ("triage-panel", "similar-panel", "links-panel"):
        expect(page.get_by_test_id(testid)).to_be_visible()
    page.wait_for_timeout(500)
    panels = [u for u in asked if "/bell" not in u]
    assert len(panels) == len(set(panels)) == 7, panels
