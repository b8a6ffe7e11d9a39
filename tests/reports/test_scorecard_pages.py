"""The scorecard, agent and queue report pages on the hand-computed history of
test_scorecard.py (Berlin, the DST week 23–29 March 2026): who sees what, the filter form and
its refusals, the CSV downloads, and the tiles' links, which the case list must honour with
exactly the cases behind each figure."""

import csv
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.reports.rollup import facts_refresh
from casedesk.reports.scorecard_display import figure_change, human_duration
from casedesk.routing.models import Queue
from casedesk.routing.queues import queue_create
from casedesk.tenancy.models import Role
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.conftest import login
from tests.factories import make_case
from tests.reports import test_scorecard

WEEK = {"since": "2026-03-23", "until": "2026-03-29"}

# The hand-computed history (cases A to F), under a name of this module.
week_cases = test_scorecard.history


def tile_value(body: str, key: str) -> str:
    found = re.search(rf'data-testid="value-{key}">([^<]*)<', body)
    assert found, f"no tile {key}"
    return html.unescape(found.group(1))


def tile_href(body: str, key: str) -> str | None:
    found = re.search(rf'<a class="report-tile" href="([^"]+)" data-testid="tile-{key}">', body)
    return html.unescape(found.group(1)) if found else None


def listed(client, href: str) -> set[int]:
    """The case numbers the case list shows at `href`."""
    response = client.get(href)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Some filters were not understood" not in body, href
    return {int(n) for n in re.findall(r'<tr id="case-(\d+)"', body)}


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def numbers(week_cases):
    return {name.upper(): case.number for name, case in week_cases.items()}


def test_the_scorecard_shows_the_weeks_figures_with_the_previous_ones(
        week_cases, manager, clock) -> None:
    response = login(manager).get("/reports/scorecard", WEEK)
    assert response.status_code == 200
    body = response.content.decode()
    shown = {key: tile_value(body, key) for key in (
        "created", "resolved", "closed", "backlog", "first_response_median",
        "first_response_p90", "resolution_median", "sla_first_response", "reopen_rate",
        "one_touch_rate", "csat")}
    assert shown == {
        "created": "4", "resolved": "4", "closed": "1", "backlog": "1",
        "first_response_median": "30 min", "first_response_p90": "1 h 42 min",
        "resolution_median": "14 h", "sla_first_response": "66.7%", "reopen_rate": "25%",
        "one_touch_rate": "50%", "csat": "100%"}
    # Created 4 against 1 the week before; the median first response 30 min against 20.
    assert "↑ 300%" in body and "vs 20 min" in body
    assert "1 breached of 3 due" in body
    # Deflection is the knowledge base's figure: its tile opens the analytics of the week.
    assert tile_href(body, "deflection") == "/kb/analytics?since=2026-03-23&until=2026-03-30"
    assert "23 Mar 2026 – 29 Mar 2026" in body and "16 Mar 2026 – 22 Mar 2026" in body
    # Every chart's numbers are on the page without JavaScript.
    for chart in ("volume", "backlog", "frt-trend", "resolution-trend", "sla-by-queue",
                  "csat-trend", "heat"):
        assert f'id="{chart}"' in body
    assert "Data as a table" in body
    assert '<a href="/reports/scorecard" aria-current="page">Reports</a>' in body


@pytest.mark.parametrize("key, cases", [
    ("created", "ABCE"), ("resolved", "ABDE"), ("closed", "E"), ("backlog", "C"),
    ("first_response_median", "ABE"), ("first_response_business_p90", "ABE"),
    ("resolution_median", "ABDE"), ("sla_first_response", "B"), ("sla_resolution", "B"),
    ("reopen_rate", "D"), ("one_touch_rate", "AE"), ("csat", "E"),
])
def test_each_tile_links_to_the_cases_behind_it(week_cases, numbers, manager, clock, key,
                                                cases) -> None:
    client = login(manager)
    href = tile_href(client.get("/reports/scorecard", WEEK).content.decode(), key)
    assert href is not None and href.startswith("/cases?")
    assert listed(client, href) == {numbers[c] for c in cases}


def test_links_carry_the_reports_filters(week_cases, numbers, manager, agent, clock) -> None:
    client = login(manager)
    query = {**WEEK, "agent": str(agent.user_id), "priority": "normal"}
    body = client.get("/reports/scorecard", query).content.decode()
    href = tile_href(body, "created")
    assert f"owner={agent.user_id}" in href and "priority=normal" in href
    assert tile_value(body, "created") == "3"
    assert listed(client, href) == {numbers["A"], numbers["B"], numbers["E"]}
    team = client.get("/reports/scorecard", {**WEEK, "team": str(manager.pk)}).content.decode()
    assert f"team={manager.pk}" in tile_href(team, "resolved")
    assert listed(client, tile_href(team, "resolved")) == {
        numbers[c] for c in "ABDE"}


def test_an_agent_sees_their_own_cases_and_is_told(week_cases, numbers, agent, agent2,
                                                   clock) -> None:
    client = login(agent)
    # Asking for Bob's cases changes nothing: an agent's reports are their own.
    response = client.get("/reports/scorecard", {**WEEK, "agent": str(agent2.user_id)})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="own-cases-note"' in body
    assert (tile_value(body, "created"), tile_value(body, "resolved")) == ("3", "3")
    assert 'name="agent"' not in body and 'name="team"' not in body
    assert listed(client, tile_href(body, "created")) == {
        numbers["A"], numbers["B"], numbers["E"]}
    # The deflection figure is the tenant's, and says so.
    assert "tenant-wide" in body


@pytest.mark.parametrize("page", ["/reports/agents", "/reports/queues"])
def test_agent_and_queue_reports_are_for_managers(week_cases, agent, manager, admin, clock,
                                                  page) -> None:
    assert login(agent).get(page, WEEK).status_code == 403
    assert login(manager).get(page, WEEK).status_code == 200
    assert login(admin).get(page, WEEK).status_code == 200


def test_the_agent_report(week_cases, numbers, manager, agent, clock) -> None:
    client = login(manager)
    body = client.get("/reports/agents", WEEK).content.decode()
    assert "Alice Agent" in body and "Bob Agent" in body and "Unassigned" in body
    assigned = re.search(
        rf'href="(/cases\?[^"]*owner={agent.user_id}[^"]*created_after[^"]*)">3</a>', body)
    assert assigned, "Alice's assigned cases link"
    assert listed(client, html.unescape(assigned.group(1))) == {
        numbers["A"], numbers["B"], numbers["E"]}
    rows = rows_of(client.get("/reports/agents", {**WEEK, "format": "csv"}))
    assert rows[0][:3] == ["agent", "assigned", "resolved"]
    alice = next(r for r in rows if r[0] == "Alice Agent")
    assert alice[1:5] == ["3", "3", "1800", "14400"]
    assert alice[5] == "66.67"


def test_the_queue_report_has_the_wait_to_claim(week_cases, manager, clock) -> None:
    client = login(manager)
    body = client.get("/reports/queues", WEEK).content.decode()
    assert "Wait to claim, median" in body
    rows = rows_of(client.get("/reports/queues", {**WEEK, "format": "csv",
                                                  "table": "queues"}))
    assert rows[0][-1] == "claim_wait_median_seconds"
    assert sum(int(r[1]) for r in rows[1:]) == 4


@pytest.mark.parametrize("query, field, message", [
    ({"period": "forever"}, "period", "Unknown period"),
    ({"since": "2026-13-01", "until": "2026-03-29"}, "since", "since must be a date"),
    ({"since": "2026-03-29", "until": "2026-03-01"}, "until", "until must not be before"),
    ({"period": "custom", "since": "2026-03-01"}, "until", "needs both since and until"),
    ({"priority": "extreme"}, "priority", "priority"),
    ({"queue": "abc"}, "queue", "queue must be an id"),
    ({"queue": "999999999"}, "queue", "No such queue"),
    ({"agent": "-1"}, "agent", "agent must be an id"),
    ({"source": "pigeon"}, "source", "No such source"),
    ({"category": "x" * 81}, "category", "at most 80"),
    ({"tier": "a\x00b"}, "tier", "at most 80"),
])
def test_invalid_input_is_shown_on_the_form(week_cases, manager, clock, query, field,
                                            message) -> None:
    response = login(manager).get("/reports/scorecard", query)
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert f'id="rf-{field}-error" role="alert">' in body and message in body
    assert 'data-testid="tile-created"' not in body
    csv_response = login(manager).get("/reports/scorecard",
                                      {**query, "format": "csv", "table": "figures"})
    assert csv_response.status_code == 400


def test_another_tenants_ids_are_refused_and_nothing_leaks(
        week_cases, manager, outsider, clock) -> None:
    client = login(manager)
    foreign_queue = Queue.objects.filter(tenant=outsider.tenant).first()
    for query in ({"queue": str(foreign_queue.pk)}, {"team": str(outsider.pk)},
                  {"agent": str(outsider.user_id)}):
        for page in ("/reports/scorecard", "/reports/agents", "/reports/queues"):
            response = client.get(page, {**WEEK, **query})
            assert response.status_code == 400, (page, query)
            assert "No such" in response.content.decode()
    # The other tenant's admin sees their own (empty) week, not this tenant's cases.
    theirs = login(outsider).get("/reports/scorecard", WEEK).content.decode()
    assert tile_value(theirs, "created") == "0"
    assert "Alice Agent" not in login(outsider).get("/reports/agents", WEEK).content.decode()


def test_the_scorecard_tables_as_csv(week_cases, manager, clock) -> None:
    client = login(manager)
    response = client.get("/reports/scorecard", {**WEEK, "format": "csv", "table": "figures"})
    assert response["Content-Disposition"] == (
        'attachment; filename="scorecard-figures-2026-03-23-to-2026-03-29.csv"')
    figures = {row[0]: row[1:] for row in rows_of(response)[1:]}
    assert figures["created"] == ["cases", "4", "1", "300", "percent"]
    assert figures["first_response_median"] == ["seconds", "1800", "1200", "50", "percent"]
    assert figures["sla_first_response"] == ["percent", "66.67", "100.00", "-33.33",
                                             "points"]
    days = rows_of(client.get("/reports/scorecard", {**WEEK, "format": "csv",
                                                     "table": "days"}))
    assert len(days) == 8
    assert days[1][:5] == ["2026-03-23", "1", "1", "1", "1800"]
    heat = rows_of(client.get("/reports/scorecard", {**WEEK, "format": "csv",
                                                     "table": "heat"}))
    assert heat[1][0] == "Mon" and heat[1][1 + 9] == "1"
    sla = rows_of(client.get("/reports/scorecard", {**WEEK, "format": "csv",
                                                    "table": "sla_by_queue"}))
    assert ["Support", "first_response", "2", "1", "1", "66.67"] in sla
    missing = client.get("/reports/scorecard", {**WEEK, "format": "csv", "table": "nope"})
    assert missing.status_code == 404


def test_csv_cells_cannot_start_a_formula(week_cases, manager, agent2, clock) -> None:
    Queue.objects.filter(tenant=manager.tenant, name="Support").update(
        name='=HYPERLINK("http://evil.test","<b>x</b>")')
    agent2.user.full_name = "+1+cmd|' /C calc'!A0"
    agent2.user.save()
    client = login(manager)
    sla = rows_of(client.get("/reports/scorecard", {**WEEK, "format": "csv",
                                                    "table": "sla_by_queue"}))
    assert {row[0] for row in sla[1:]} == {"'=HYPERLINK(\"http://evil.test\",\"<b>x</b>\")"}
    queues = rows_of(client.get("/reports/queues", {**WEEK, "format": "csv"}))
    assert any(row[0].startswith("'=HYPERLINK") for row in queues)
    agents = rows_of(client.get("/reports/agents", {**WEEK, "format": "csv"}))
    assert "'+1+cmd|' /C calc'!A0" in {row[0] for row in agents}
    # On the page, the name is text.
    body = client.get("/reports/scorecard", WEEK).content.decode()
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body


def test_pages_need_a_sign_in(db) -> None:
    from django.test import Client

    for page in ("/reports/scorecard", "/reports/agents", "/reports/queues"):
        response = Client().get(page)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("seconds, shown", [
    (None, "—"), (0, "0 s"), (45, "45 s"), (59.6, "1 min"), (5400, "1 h 30 min"),
    (7200, "2 h"), (86400, "1 d"), (93600, "1 d 2 h"), (454320, "5 d 6 h"),
])
def test_durations_read_as_people_say_them(seconds, shown) -> None:
    assert human_duration(seconds) == shown


def test_changes_say_which_way_is_better() -> None:
    slower = figure_change("duration", 1800, 1200, -1)
    assert (slower.text, slower.words, slower.verdict) == ("↑ 50%", "up 50 percent", "worse")
    rate = figure_change("rate", 0.95, 0.917, 1)
    assert (rate.text, rate.verdict) == ("↑ 3.3 pts", "better")
    assert figure_change("count", 4, 1, 0).verdict == ""
    assert figure_change("count", 4, 0, 1).text == "—"  # nothing to compare with
    assert figure_change("count", 5, 5, 1).text == "→ 0%"


def test_the_query_count_does_not_grow_with_agents_queues_or_cases(
        week_cases, tenant, manager, clock) -> None:
    """Names of queues and agents are read in one query each, whatever the rows."""
    client = login(manager)
    pages = ("/reports/scorecard", "/reports/agents", "/reports/queues")

    def queries() -> dict[str, int]:
        found = {}
        for page in pages:
            with CaptureQueriesContext(connection) as run:
                assert client.get(page, WEEK).status_code == 200
            found[page] = len(run)
        return found

    queries()  # the first requests of a session read what later ones find cached
    before = queries()
    for n in range(3):
        user = user_get_or_create(email=f"extra{n}@acme.test", full_name=f"Extra {n}",
                                  password="pw-extra-123")
        extra = membership_add(tenant=tenant, user=user, role=Role.AGENT, manager=manager)
        queue = queue_create(tenant=tenant, name=f"Extra queue {n}", member_ids=[extra.pk])
        for day in (24, 25):
            make_case(tenant, now=test_scorecard.at(3, day, 10), subject=f"More {n}",
                      queue_id=queue.pk, owner_id=user.pk)
    facts_refresh()
    assert queries() == before
    body = client.get("/reports/queues", WEEK).content.decode()
    assert "Extra queue 2" in body
