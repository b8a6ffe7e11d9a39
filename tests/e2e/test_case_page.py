"""The case page: open a case from the list; a note with an @mention rings the other agent's
bell without a reload."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Note
from casedesk.cases.services import case_add_note
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn, Settle
from tests.factories import AccountFactory, make_case

pytestmark = pytest.mark.e2e


def test_open_a_case_from_the_list(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    account = AccountFactory(tenant=tenant, name="Initech")
    case = make_case(
        tenant,
        subject="VPN drops every hour",
        account_id=account.pk,
        description="Since Monday the tunnel resets at :00.",
        owner_id=agent.user_id,
    )
    case_add_note(
        case=case, actor=agent.user, body="Asked for the router logs.", is_public=False, now=NOW
    )
    make_case(tenant, subject="Another case")

    log_in(page, agent)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page).to_have_url(re.compile(r"/cases$"))
    page.get_by_test_id("case-table").get_by_role("link", name="VPN drops every hour").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case.display_number}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("VPN drops every hour"))
    expect(page.get_by_test_id("case-status")).to_have_text("New")
    expect(page.get_by_text("Since Monday the tunnel resets at :00.")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Asked for the router logs.")
    expect(timeline.locator("li.entry").first).to_contain_text("Alice Agent")
    assert timeline.locator("li.entry").count() >= 2  # the note and the case's creation


def test_mention_rings_the_other_agents_bell_without_a_reload(
    page: Page,
    second_page: Callable[[], Page],
    live_server: Any,
    log_in: LogIn,
    tenant: Tenant,
    agent: Membership,
    agent2: Membership,
    settle: Settle,
) -> None:
    case = make_case(tenant, subject="Refund stuck in approval", owner_id=agent.user_id)

    bob = log_in(second_page(), agent2)
    bell = bob.get_by_test_id("bell-count")
    expect(bell).to_have_text("0")
    bob.evaluate("window.e2eSamePage = true")  # gone if the page reloads

    alice = log_in(page, agent)
    alice.goto(f"{live_server.url}/cases/{case.display_number}")
    settle(alice)
    composer = alice.get_by_test_id("composer")
    composer.fill("@bob please check")
    alice.locator("#composer .composer-foot button").click()

    expect(alice.get_by_test_id("timeline")).to_contain_text("please check")
    expect(composer).to_have_value("")
    note = Note.objects.get(case=case)
    assert note.body == "@bob please check" and not note.is_public

    # The bell polls every 5 seconds.
    expect(bell).to_have_text("1", timeout=15_000)
    assert bob.evaluate("window.e2eSamePage") is True
    mentions = Notification.objects.filter(kind=NotificationKind.MENTION, case=case)
    assert [n.recipient_id for n in mentions] == [agent2.user_id]
