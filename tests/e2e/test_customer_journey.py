"""The customer's whole journey, in two browsers: the web form makes a case (acknowledged in
the outbox), the customer signs in to the portal with the mailed link and replies, the agent
answers on the case page, the customer sees the answer, the agent resolves the case, the
worker's job mails the survey a day later, the customer rates from the mail, and the agent
sees the rating on the case page."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.csat.services import surveys_send_due
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.portal.webform import MIN_FILL_SECONDS
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import Clock
from tests.csat.helpers import links_of, survey_mail
from tests.e2e.conftest import LogIn, Settle
from tests.portal.helpers import link_token

pytestmark = pytest.mark.e2e


def test_form_portal_reply_answer_resolve_survey_rating(
    page: Page, new_context: Callable[..., BrowserContext], live_server: Any, log_in: LogIn,
    tenant: Tenant, agent: Membership, clock: Clock, settle: Settle,
) -> None:
    customer = new_context().new_page()  # the customer's own browser: no agent session
    customer.goto(f"{live_server.url}/portal/{tenant.slug}/new")
    customer.get_by_label("Name").fill("Carla Customer")
    customer.get_by_label("Email").fill("carla@example.com")
    customer.get_by_label("Subject").fill("The printer jams on page two")
    customer.get_by_label("How can we help?").fill("Every report longer than a page jams.")
    # The entry points' clock is stopped: move it past the form's minimum fill time.
    clock.now = clock.now + timedelta(seconds=MIN_FILL_SECONDS + 1)
    customer.get_by_test_id("webform-submit").click()
    expect(customer.get_by_test_id("webform-thanks")).to_be_visible()
    case = Case.objects.get(tenant=tenant)
    assert case.source == "web" and case.contact is not None
    assert OutboundMail.objects.filter(case=case, kind=OutboundKind.ACKNOWLEDGEMENT).exists()

    customer.goto(f"{live_server.url}/portal/{tenant.slug}/")
    customer.get_by_label("Your email address").fill("carla@example.com")
    customer.get_by_test_id("send-link").click()
    expect(customer.get_by_test_id("sign-in-sent")).to_be_visible()
    customer.goto(f"{live_server.url}/portal/{tenant.slug}/sign-in/{link_token(case.contact)}")
    customer.get_by_test_id("sign-in").click()
    customer.get_by_role("link", name="The printer jams on page two").click()
    customer.get_by_label("Your reply").fill("It is the HP in room 4.")
    customer.get_by_test_id("send-reply").click()
    conversation = customer.get_by_test_id("conversation")
    expect(conversation).to_contain_text("It is the HP in room 4.")

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    expect(page.get_by_test_id("timeline")).to_contain_text("It is the HP in room 4.")
    settle(page)
    page.get_by_label("Public reply").check()
    page.get_by_test_id("composer").fill("Replaced the roller: please try again.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Replaced the roller")

    customer.reload()
    expect(customer.get_by_test_id("conversation")).to_contain_text(
        "Replaced the roller: please try again.")

    case.refresh_from_db()
    path = ["new", "open", "in_progress", "resolved"]
    for to in path[path.index(case.status) + 1:]:
        case = case_transition(case=case, actor=agent.user, to=to, note="Roller replaced",
                               now=clock.now)
    # A day later the worker's job mails the survey; the live server reads the same clock.
    clock.now = clock.now + timedelta(hours=25)
    assert surveys_send_due(clock.now) == 1
    customer.goto(live_server.url + links_of(survey_mail(case))[0])
    expect(customer.get_by_test_id("survey-thanks")).to_be_visible()

    page.goto(f"{live_server.url}/cases/{case.display_number}")
    expect(page.get_by_test_id("csat-card").get_by_test_id("csat-rating")).to_have_text("Good")
