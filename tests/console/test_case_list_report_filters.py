"""The case-list filters the reports' links use (team, source, account tier, moment ranges,
open at a moment, SLA result, re-opened, one-touch, rated in a range): each means what the
reports count, checked against the facts of the hand-computed history of
tests/reports/test_scorecard.py, and through the page's query string."""

import re
from datetime import UTC, datetime

import pytest

from casedesk.cases.models import PicklistKind, PicklistValue
from casedesk.cases.selectors import SLA_RESULTS, CaseFilters, case_list
from casedesk.reports.models import CaseFact
from tests.conftest import login
from tests.factories import AccountFactory, make_case
from tests.reports import test_scorecard

# The week of the history in UTC: Berlin's local days 23 to 29 March 2026.
WEEK_START = datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
WEEK_END = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)

# The hand-computed history (cases A to F), under a name of this module.
week_cases = test_scorecard.history


def found(tenant, **filters) -> set[int]:
    return {c.number for c in case_list(tenant, CaseFilters(**filters), limit=500).items}


def listed(client, query: dict[str, str]) -> set[int]:
    body = client.get("/cases", query).content.decode()
    assert "Some filters were not understood" not in body
    return {int(n) for n in re.findall(r'<tr id="case-(\d+)"', body)}


@pytest.fixture
def n(week_cases):
    return {name.upper(): case.number for name, case in week_cases.items()}


def test_each_sla_result_matches_the_facts(tenant, week_cases) -> None:
    facts = CaseFact.objects.filter(tenant=tenant)
    for result in SLA_RESULTS:
        target, outcome = result.rsplit("_", 1)
        expected = set(facts.filter(**{f"{target}_outcome": outcome})
                       .values_list("number", flat=True))
        assert found(tenant, sla_result=result) == expected, result
    assert found(tenant, sla_result="first_response_breached") == {week_cases["b"].number}
    assert found(tenant, sla_result="resolution_pending") == {week_cases["c"].number,
                                                              week_cases["f"].number}


def test_moment_ranges_open_at_reopened_and_one_touch(tenant, week_cases, n) -> None:
    week = {"after": WEEK_START, "before": WEEK_END}
    assert found(tenant, resolved_after=week["after"], resolved_before=week["before"]) == {
        n["A"], n["B"], n["D"], n["E"]}
    assert found(tenant, closed_after=week["after"], closed_before=week["before"]) == {n["E"]}
    assert found(tenant, first_response_after=week["after"],
                 first_response_before=week["before"]) == {n["A"], n["B"], n["E"]}
    assert found(tenant, csat_after=week["after"], csat_before=week["before"]) == {n["E"]}
    assert found(tenant, csat_after=WEEK_END) == set()
    # Open at the end of the week: C (F came the Monday after). At the end of Tuesday 24th:
    # B, and D, which counts as open from its creation to its latest resolution (the 26th),
    # as the scorecard's backlog counts it.
    assert found(tenant, open_at=WEEK_END) == {n["C"]}
    assert found(tenant, open_at=datetime(2026, 3, 24, 22, 0, tzinfo=UTC)) == {n["B"], n["D"]}
    assert found(tenant, reopened=True) == {n["D"]}
    assert found(tenant, one_touch=True) == {n["A"], n["E"]}


def test_the_page_reads_local_days(tenant, week_cases, n, manager) -> None:
    client = login(manager)
    assert listed(client, {"resolved_after": "2026-03-23",
                           "resolved_before": "2026-03-29"}) == {n["A"], n["B"], n["D"],
                                                                 n["E"]}
    # Sunday 29 March in Berlin ends at 22:00 UTC: E, resolved at 10:40 UTC, is in.
    assert listed(client, {"resolved_after": "2026-03-29",
                           "resolved_before": "2026-03-29"}) == {n["E"]}
    assert listed(client, {"responded_after": "2026-03-24",
                           "responded_before": "2026-03-24"}) == {n["B"]}
    assert listed(client, {"closed_after": "2026-03-23", "closed_before": "2026-03-29",
                           "rated_after": "2026-03-29", "rated_before": "2026-03-29",
                           "csat": "good"}) == {n["E"]}
    assert listed(client, {"open_on": "2026-03-24"}) == {n["B"], n["D"]}
    assert listed(client, {"sla_result": "resolution_met"}) == {n["A"], n["E"]}
    assert listed(client, {"reopened": "on"}) == {n["D"]}
    assert listed(client, {"one_touch": "on", "resolved_after": "2026-03-29"}) == {n["E"]}
    body = client.get("/cases", {"open_on": "2026-03-24"}).content.decode()
    assert re.search(r'<details class="more-filters" open', body)
    assert not re.search(r'<details class="more-filters" open',
                         client.get("/cases", {"q": "x"}).content.decode())


def test_team_source_and_tier(tenant, manager, agent, agent2, admin) -> None:
    big = AccountFactory(tenant=tenant, tier="Enterprise")
    small = AccountFactory(tenant=tenant, tier="SMB")
    mine = make_case(tenant, subject="Alice's", source="phone", account_id=big.pk,
                     owner_id=agent.user_id)
    bobs = make_case(tenant, subject="Bob's", source="email", account_id=small.pk,
                     owner_id=agent2.user_id)
    admins = make_case(tenant, subject="The admin's", source="phone", owner_id=admin.user_id)
    # Mona's team: the members who report to her (Alice and Bob), and Mona.
    assert found(tenant, team_id=manager.pk) == {mine.number, bobs.number}
    assert found(tenant, source="phone") == {mine.number, admins.number}
    assert found(tenant, account_tier="Enterprise") == {mine.number}
    assert found(tenant, source="pho\x00ne") == set()
    client = login(agent)
    assert listed(client, {"team": str(manager.pk), "source": "phone"}) == {mine.number}
    assert listed(client, {"tier": "SMB"}) == {bobs.number}
    body = client.get("/cases", {"tier": "Enterprise"}).content.decode()
    assert f'<option value="{manager.pk}">Mona Manager&#x27;s team</option>' in body


def test_a_retired_category_in_a_link_still_filters(tenant, agent) -> None:
    case = make_case(tenant, subject="Old one", category="Onboarding")
    make_case(tenant, subject="Other", category="Billing")
    PicklistValue.objects.filter(tenant=tenant, kind=PicklistKind.CATEGORY,
                                 value="Onboarding").delete()
    assert listed(login(agent), {"category": "Onboarding"}) == {case.number}


def test_unknown_values_are_refused_not_guessed(tenant, agent) -> None:
    client = login(agent)
    response = client.get("/cases", {"sla_result": "first_response_late"}, follow=True)
    assert "Some filters were not understood" in response.content.decode()
    with pytest.raises(Exception, match="sla_result is one of"):
        case_list(tenant, CaseFilters(sla_result="first_response_late"))
