"""The case page's first render carries its panels and the presence; the polls (presence,
bell) answer 204 while what the page shows is still true, and the update once it is not."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case
from casedesk.console.models import CasePresence
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import notify
from tests.conftest import NOW, Clock, login
from tests.factories import make_case

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
PANELS = (
    "merge-panel",
    "tasks-panel",
    "kb-panel",
    "macros-panel",
    "triage-panel",
    "similar-panel",
    "links-panel",
    "calls-panel",
)
_SEEN = re.compile(r'data-seen="([^"]+)"')
_BELL = re.compile(r'hx-get="(/notifications/bell\?seen=\d+)"')


@pytest.fixture
def case(tenant, agent, support_queue_with_both_agents) -> Case:
    return make_case(
        tenant,
        subject="Printer on fire",
        description="Smoke everywhere.",
        queue_id=support_queue_with_both_agents.pk,
        owner_id=agent.user_id,
    )


def url(case: Case, suffix: str = "") -> str:
    return f"/cases/{case.display_number}{suffix}"


def seen(body: str) -> str:
    found = _SEEN.search(body)
    assert found, body[:500]
    return found.group(1)


# --- the first render -----------------------------------------------------------------------


def test_the_panels_come_with_the_page_and_nothing_loads_after_it(agent, case, clock: Clock):
    page = login(agent).get(url(case)).content.decode()
    for testid in PANELS:
        assert f'data-testid="{testid}"' in page, testid
    assert 'hx-trigger="load' not in page
    # They still load again when the case changes.
    assert page.count("casedesk:case-changed from:body") == 6
    # The macro menu comes closed, as it did when loaded by htmx.
    assert re.search(r'<details class="macros-menu"\s*>', page)


def test_the_panels_render_with_the_page_once_each(agent, case, clock: Clock):
    client = login(agent)
    client.get(url(case))
    with CaptureQueriesContext(connection) as queries:
        client.get(url(case))
    sessions = [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(sessions) == 1  # one request: no panel requests, each with its own floor


def test_an_htmx_request_for_the_whole_page_lets_the_panels_load_themselves(
    agent, case, clock: Clock
):
    """The triage panel's script reads the header and details from such a page."""
    page = login(agent).get(url(case), **HX).content.decode()
    assert 'data-testid="tasks-panel"' not in page
    assert page.count('hx-trigger="load') == 9  # the eight panels and the presence
    assert not CasePresence.objects.filter(case=case).exists()


def test_opening_the_page_records_the_presence(agent, agent2, case, clock: Clock):
    login(agent2).get(url(case))
    assert CasePresence.objects.filter(case=case, user=agent2.user).exists()
    page = login(agent).get(url(case)).content.decode()
    assert "<strong>Bob Agent</strong> is viewing" in page


# --- the presence poll ----------------------------------------------------------------------


def test_a_presence_poll_with_nothing_new_answers_204_and_still_counts(
    agent, agent2, case, clock: Clock
):
    alice = login(agent)
    page = alice.get(url(case)).content.decode()
    clock.advance(seconds=10)
    polled = alice.post(url(case, "/presence"), {"seen": seen(page)}, **HX)
    assert polled.status_code == 204
    # The poll kept Alice on the case: Bob sees her past the first visit's window.
    clock.advance(seconds=10)
    bob_page = login(agent2).get(url(case)).content.decode()
    assert "<strong>Alice Agent</strong> is viewing" in bob_page


def test_a_presence_poll_after_a_change_returns_the_notice(agent, agent2, case, clock: Clock):
    alice, bob = login(agent), login(agent2)
    shown = seen(alice.get(url(case)).content.decode())
    bob.get(url(case))
    arrived = alice.post(url(case, "/presence"), {"seen": shown}, **HX)
    assert arrived.status_code == 200
    body = arrived.content.decode()
    assert "<strong>Bob Agent</strong> is viewing" in body
    shown = seen(body)
    assert alice.post(url(case, "/presence"), {"seen": shown}, **HX).status_code == 204

    bob.post(url(case, "/presence"), {"typing": "1"}, **HX)
    typing = alice.post(url(case, "/presence"), {"seen": shown}, **HX)
    assert "Bob Agent</strong> is typing a reply" in typing.content.decode()

    bob.post(url(case, "/presence/leave"))
    left = alice.post(url(case, "/presence"), {"seen": seen(typing.content.decode())}, **HX)
    assert left.status_code == 200 and "Bob Agent" not in left.content.decode()


def test_a_presence_poll_without_what_it_shows_gets_the_notice(agent, case, clock: Clock):
    assert login(agent).post(url(case, "/presence"), **HX).status_code == 200


def test_the_presence_poll_finds_only_the_members_own_tenants_case(
    agent, outsider, other_tenant, clock: Clock
):
    theirs = make_case(other_tenant, subject="Theirs")
    client = login(agent)
    assert client.post(f"/cases/{theirs.display_number}/presence", **HX).status_code == 404
    assert client.post("/cases/CS-999999/presence", **HX).status_code == 404
    assert client.post("/cases/nonsense/presence/leave").status_code == 404
    assert not CasePresence.objects.filter(case=theirs).exists()


# --- the bell ---------------------------------------------------------------------------------


def test_the_bell_answers_204_while_the_count_it_shows_holds(agent, agent2, case, clock: Clock):
    client = login(agent)
    page = client.get("/inbox/cases").content.decode()
    (bell,) = _BELL.findall(page)
    count = int(bell.rsplit("=", 1)[1])
    assert client.get(bell, **HX).status_code == 204

    notify(
        case=case,
        recipients=[agent.user_id],
        actor=agent2.user,
        kind=NotificationKind.MENTION,
        message="Look",
        now=NOW,
    )
    changed = client.get(bell, **HX)
    assert changed.status_code == 200
    body = changed.content.decode()
    assert f'data-testid="bell-count">{count + 1}<' in body
    (bell,) = _BELL.findall(body)
    assert bell.endswith(f"?seen={count + 1}")
    assert client.get(bell, **HX).status_code == 204


def test_a_bell_poll_reads_only_the_count(agent, clock: Clock):
    client = login(agent)
    client.get("/notifications/bell?seen=0", **HX)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/notifications/bell?seen=0", **HX).status_code == 204
    # The session, the user, the membership and the count; no tenant list, no second count.
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]


def test_a_panel_refresh_reads_neither_the_bell_nor_the_tenant_list(agent, case, clock: Clock):
    client = login(agent)
    client.get(url(case, "/links"), **HX)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(case, "/links"), **HX).status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "notifications_notification" not in sql
    assert sql.count('FROM "tenancy_membership"') == 1
