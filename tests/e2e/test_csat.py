"""The customer's survey, end to end: the survey mail the worker's job queues, its one-click
link opened in a browser, a comment, and the answer on the agent's case page."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from casedesk.csat.services import surveys_send_due
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock
from tests.csat.helpers import links_of, resolved_case, survey_mail
from tests.e2e.conftest import LogIn

pytestmark = pytest.mark.e2e


def test_rate_from_the_mail_comment_and_see_it_on_the_case_page(
    page: Page, new_context: Callable[..., BrowserContext], live_server: Any, log_in: LogIn,
    tenant: Tenant, agent: Membership, clock: Clock,
) -> None:
    case = resolved_case(tenant, agent, NOW, subject="Printer jams on page two",
                         owner_id=agent.user_id)
    # The live server runs in this process and reads the same clock.
    clock.now = NOW + timedelta(hours=24)
    assert surveys_send_due(clock.now) == 1
    good_link = links_of(survey_mail(case))[0]

    customer = new_context()  # the customer's own browser: no console session
    survey_page = customer.new_page()
    survey_page.goto(live_server.url + good_link)
    expect(survey_page.get_by_test_id("survey-thanks")).to_be_visible()
    expect(survey_page.get_by_test_id("survey-rating")).to_have_text("Good")
    survey_page.get_by_label("Anything you would like to tell us?").fill(
        "Fixed within the hour, thank you.")
    survey_page.get_by_test_id("survey-submit").click()
    expect(survey_page.get_by_test_id("survey-saved")).to_be_visible()
    customer.close()

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    card = page.get_by_test_id("csat-card")
    expect(card.get_by_test_id("csat-rating")).to_have_text("Good")
    expect(card.get_by_test_id("csat-comment")).to_have_text("Fixed within the hour, thank you.")
    expect(page.get_by_test_id("timeline")).to_contain_text("The customer rated: Good")
