"""Setting up a team in the browser: an admin invites an agent from the people page; the
agent opens the link from the mail in the outbox, chooses a password, lands signed in, and
claims a case waiting in the queue they were put in."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.mail.models import OutboundMail
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_invite_accept_sign_in_and_claim(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, admin: Membership,
    seeded_support_queue: Queue, second_page: Callable[[], Page],
) -> None:
    waiting = make_case(tenant, subject="Printer on fire", queue_id=seeded_support_queue.pk)

    log_in(page, admin)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="People").click()
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Email").fill("nia@acme.test")
    form.get_by_label("Role").select_option("agent")
    form.get_by_label("Queues").select_option(label="Support")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation mailed to nia@acme.test")).to_be_visible()
    expect(page.get_by_test_id("invitations")).to_contain_text("nia@acme.test")

    mail = OutboundMail.objects.get(recipient="nia@acme.test")
    link = re.search(r"https?://\S+/invitations/\S+", mail.body)
    assert link, mail.body

    invitee = second_page()
    invitee.goto(link.group(0))
    expect(invitee.get_by_role("heading", name=f"Join {tenant.name}")).to_be_visible()
    invitee.get_by_label("Your name").fill("Nia Newcomer")
    invitee.get_by_label("Password", exact=True).fill("a long enough secret 42")
    invitee.get_by_label("Password, again").fill("a long enough secret 42")
    invitee.get_by_role("button", name=f"Join {tenant.name}").click()

    expect(invitee).to_have_url(re.compile(r"/inbox/cases$"))
    expect(invitee.get_by_text(f"Welcome to {tenant.name}")).to_be_visible()
    row = invitee.locator(f"#case-{waiting.number}")
    expect(row).to_contain_text("Printer on fire")
    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("Nia Newcomer")

    newcomer = Membership.objects.get(tenant=tenant, user__email="nia@acme.test")
    assert Case.objects.get(pk=waiting.pk).owner_id == newcomer.user_id

    # The admin sees the newcomer among the people, and the invitation gone.
    page.reload()
    expect(page.get_by_test_id("members")).to_contain_text("Nia Newcomer")
    expect(page.get_by_test_id("invitations")).to_have_count(0)
