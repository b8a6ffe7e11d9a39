"""The scorecard API (`GET /reports/scorecard`, `/reports/agents`, `/reports/queues`): the
selector's figures on a small history (tenant in Berlin, the week of 16 to 22 November 2026,
local, and the week before), its filters, an agent's own cases, who may read what, and bad
values refused naming their parameter."""

from datetime import UTC, date, datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from casedesk.cases.ownership import case_claim
from casedesk.cases.services import case_add_note, case_transition
from casedesk.core.priority import Priority
from casedesk.reports.periods import PERIODS, period_of
from casedesk.reports.rollup import facts_refresh
from casedesk.reports.schemas import ReportPeriodName, ReportSource
from casedesk.reports.scorecard import SOURCES, ReportFilters, group_report, scorecard
from tests.api_checks import conforms, error, spec
from tests.factories import AccountFactory, make_case

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = {"since": "2026-11-16", "until": "2026-11-22"}
FILTERS = ("period", "since", "until", "queue", "team", "agent", "priority", "category",
           "source", "tier")
OPERATIONS = ("/reports/scorecard", "/reports/agents", "/reports/queues")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(tenant, agent, agent2, support_queue_with_both_agents, clock) -> dict[str, Any]:
    """Berlin is UTC+1 all month. A (Alice, Enterprise account) and B (Bob, high, by phone,
    Billing) are answered and resolved this week; C waits unowned; D (Alice) is last
    week's."""
    tenant.time_zone = "Europe/Berlin"
    tenant.save()
    enterprise = AccountFactory(tenant=tenant, tier="Enterprise")
    support = support_queue_with_both_agents

    def case(created: datetime, owner=None, **fields: Any):
        c = make_case(tenant, now=created, queue_id=support.pk, **fields)
        return case_claim(case=c, membership=owner, now=created) if owner else c

    def work(c, owner, answered: datetime, resolved: datetime) -> None:
        case_add_note(case=c, actor=owner.user, body="On it.", is_public=True, now=answered)
        for to in ("in_progress", "resolved"):
            c.refresh_from_db()
            case_transition(case=c, actor=owner.user, to=to, note="Fixed.", now=resolved)

    a = case(at(16, 8), agent, account_id=enterprise.pk)         # Mon 09:00 local
    work(a, agent, at(16, 8, 30), at(16, 12))
    b = case(at(17, 9), agent2, priority=Priority.HIGH, source="phone", category="Billing")
    work(b, agent2, at(17, 11), at(18, 9))
    c = case(at(20, 22, 30))                                     # Fri 23:30 local
    d = case(at(10, 10), agent)                                  # last week
    work(d, agent, at(10, 10, 20), at(11, 10))
    facts_refresh()
    return {"a": a, "b": b, "c": c, "d": d, "support": support}


def week() -> Any:
    return period_of("custom", today=date(2026, 11, 23), zone=BERLIN,
                     first=date(2026, 11, 16), last=date(2026, 11, 22))


def get(api, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return conforms(response, "GET", path)


def spread(s) -> dict[str, Any]:
    return {"count": s.count, "median": s.median, "p90": s.p90}


def test_the_scorecard_holds_the_selectors_figures(tenant, history, manager_api) -> None:
    body = get(manager_api, "/reports/scorecard", **WEEK)
    card = scorecard(tenant, week(), ReportFilters())
    now, before = body["current"], body["previous"]
    assert (now["created"], now["resolved"], now["closed"], now["backlog"]) == (3, 2, 0, 1)
    assert (now["created"], now["resolved"], now["backlog"]) == (
        card.current.created, card.current.resolved, card.current.backlog)
    assert now["first_response"] == spread(card.current.first_response)
    assert now["first_response"]["median"] == pytest.approx(4500)  # 30 min and 2 h
    assert now["resolution"] == spread(card.current.resolution)
    assert now["resolution_business"] == spread(card.current.resolution_business)
    for target in ("first_response", "resolution"):
        figures = card.current.sla[target]
        assert now["sla"][target] == {"met": figures.met, "breached": figures.breached,
                                      "pending": figures.pending,
                                      "attainment": figures.attainment}
    assert (now["one_touch"], now["one_touch_rate"]) == (2, 1.0)
    assert (now["reopened"], now["reopen_rate"]) == (0, 0.0)
    assert now["csat_score"] is None and now["deflection"]["deflection_rate"] is None
    assert (before["created"], before["resolved"]) == (1, 1)
    assert body["change"]["created"] == pytest.approx(2.0)  # 3 against 1
    assert body["change"]["resolved"] == pytest.approx(1.0)
    assert body["change"]["csat_score"] is None
    # Rates move in points: none re-opened in either week is no change, not "no figure".
    assert (body["change"]["reopen_rate"], body["change"]["one_touch_rate"]) == (0.0, 0.0)
    assert body["period"] == {
        "key": "custom", "label": "16 Nov 2026 – 22 Nov 2026", "first": "2026-11-16",
        "last": "2026-11-22", "start": "2026-11-15T23:00:00Z", "end": "2026-11-22T23:00:00Z",
        "time_zone": "Europe/Berlin"}
    assert body["previous_period"]["first"] == "2026-11-09"


def test_the_days_heat_map_and_queues(tenant, history, manager_api) -> None:
    body = get(manager_api, "/reports/scorecard", **WEEK)
    card = scorecard(tenant, week(), ReportFilters())
    assert [d["day"] for d in body["days"]] == [d.day.isoformat() for d in card.days]
    assert [d["created"] for d in body["days"]] == [1, 1, 0, 0, 1, 0, 0]
    assert [d["backlog"] for d in body["days"]] == [d.backlog for d in card.days]
    assert body["days"][0]["first_response_median"] == 1800
    assert len(body["heat"]) == 7 and {len(row) for row in body["heat"]} == {24}
    cells = {(wd, h): n for wd, row in enumerate(body["heat"]) for h, n in enumerate(row) if n}
    assert cells == {(0, 9): 1, (1, 10): 1, (4, 23): 1}  # local hours, Monday first
    assert body["heat"] == card.heat
    assert [q["queue_id"] for q in body["sla_by_queue"]] == [
        q.queue_id for q in card.sla_by_queue]


def test_the_default_period_is_the_last_30_days_to_today(history, manager_api) -> None:
    body = get(manager_api, "/reports/scorecard")
    assert body["period"]["key"] == "last_30_days"
    assert (body["period"]["first"], body["period"]["last"]) == ("2026-10-25", "2026-11-23")
    assert body["current"]["created"] == 4
    named = get(manager_api, "/reports/scorecard", period="last_7_days")["period"]
    assert (named["first"], named["last"]) == ("2026-11-17", "2026-11-23")


@pytest.mark.parametrize(("params", "created", "resolved"), [
    ({"priority": "high"}, 1, 1),
    ({"source": "phone"}, 1, 1),
    ({"category": "Billing"}, 1, 1),
    ({"tier": "Enterprise"}, 1, 1),
    ({"source": "web"}, 0, 0),
])
def test_each_filter_narrows_the_figures(history, manager_api, params, created,
                                         resolved) -> None:
    body = get(manager_api, "/reports/scorecard", **WEEK, **params)
    assert (body["current"]["created"], body["current"]["resolved"]) == (created, resolved)
    assert {k: v for k, v in body["filters"].items() if v is not None} == params


def test_queue_team_and_agent_filters(tenant, history, manager_api, manager, agent,
                                      finance) -> None:
    queue = get(manager_api, "/reports/scorecard", **WEEK, queue=history["support"].pk)
    assert queue["current"]["created"] == 3
    assert get(manager_api, "/reports/scorecard", **WEEK,
               queue=finance.pk)["current"]["created"] == 0
    alice = get(manager_api, "/reports/scorecard", **WEEK, agent=agent.user_id)
    expected = scorecard(tenant, week(), ReportFilters(owner_id=agent.user_id)).current
    assert (alice["current"]["created"], alice["current"]["resolved"]) == (
        expected.created, expected.resolved) == (1, 1)
    assert alice["filters"]["agent"] == agent.user_id
    team = get(manager_api, "/reports/scorecard", **WEEK, team=manager.pk)["current"]
    assert (team["created"], team["resolved"]) == (2, 2)  # Alice's and Bob's, not C


def test_an_agent_sees_only_their_own_cases(history, agent_api, agent, agent2,
                                            manager) -> None:
    for params in ({}, {"agent": agent2.user_id}, {"team": manager.pk}):
        body = get(agent_api, "/reports/scorecard", **WEEK, **params)
        assert body["filters"]["agent"] == agent.user_id and body["filters"]["team"] is None
        assert (body["current"]["created"], body["current"]["resolved"]) == (1, 1)  # A
        assert body["previous"]["created"] == 1  # D


def test_agent_and_queue_reports_hold_the_selectors_rows(tenant, history, manager_api,
                                                         admin_api) -> None:
    body = get(manager_api, "/reports/agents", **WEEK)
    rows = group_report(tenant, week(), ReportFilters(), by="owner_id")
    assert [(r["user_id"], r["name"], r["assigned"], r["resolved"], r["open_now"])
            for r in body["agents"]] == [(g.key, g.name, g.assigned, g.resolved, g.open_now)
                                         for g in rows]
    alice = next(r for r in body["agents"] if r["name"] == "Alice Agent")
    assert (alice["assigned"], alice["resolved"]) == (1, 1)
    assert alice["first_response"]["median"] == 1800
    assert next(r for r in body["agents"] if r["user_id"] is None)["open_now"] == 1  # C
    queues = get(admin_api, "/reports/queues", **WEEK)
    support = next(q for q in queues["queues"] if q["queue_id"] == history["support"].pk)
    assert (support["name"], support["assigned"], support["resolved"]) == ("Support", 3, 2)
    expected = next(g for g in group_report(tenant, week(), ReportFilters(), by="queue_id")
                    if g.key == history["support"].pk)
    assert support["claim_wait"] == spread(expected.claim_wait)
    assert support["sla_attainment"] == expected.sla_attainment
    narrowed = get(manager_api, "/reports/queues", **WEEK, priority="high")
    assert sum(q["assigned"] for q in narrowed["queues"]) == 1


@pytest.mark.parametrize("path", ["/reports/agents", "/reports/queues"])
def test_agents_may_not_read_the_agent_and_queue_reports(history, agent_api, path) -> None:
    error(agent_api.get(path), 403)


@pytest.mark.parametrize("path", OPERATIONS)
def test_without_a_token_is_401(anonymous_api, path) -> None:
    error(anonymous_api.get(path), 401)


@pytest.mark.parametrize(("params", "field"), [
    ({"period": "forever"}, "period"),
    ({"period": "custom", "until": "2026-11-22"}, "since"),
    ({"since": "2026-11-22", "until": "2026-11-16"}, "until"),
    ({"since": "2025-01-01", "until": "2026-11-22"}, "since"),  # over 366 days
    ({"since": "1999-12-30", "until": "1999-12-31"}, "since"),
    ({"since": "16/11/2026"}, "since"),
    ({"queue": 0}, "queue"),
    ({"queue": "one"}, "queue"),
    ({"priority": "critical"}, "priority"),
    ({"source": "fax"}, "source"),
    ({"category": "x" * 81}, "category"),
    ({"category": "a\x00b"}, "category"),
    ({"tier": "x" * 81}, "tier"),
])
def test_bad_values_are_refused_naming_the_parameter(history, manager_api, params,
                                                     field) -> None:
    for path in OPERATIONS:
        response = manager_api.get(path, **params)
        error(response, 422, field=field)
        conforms(response, "GET", path)


def test_another_tenants_queue_team_or_agent_is_refused(history, manager_api, foreign,
                                                        outsider) -> None:
    for params, field in (({"queue": foreign.queue_id}, "queue"),
                          ({"team": outsider.pk}, "team"),
                          ({"agent": foreign.admin.user_id}, "agent")):
        for path in OPERATIONS:
            body = error(manager_api.get(path, **params), 422, field=field)
            assert "Globex" not in body["detail"]


def test_the_openapi_document_describes_every_filter() -> None:
    assert get_args(ReportPeriodName) == tuple(PERIODS)
    assert get_args(ReportSource) == SOURCES
    for path in OPERATIONS:
        operation = spec()["paths"][f"/api/v1{path}"]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert tuple(parameters) == FILTERS
        assert all(p["in"] == "query" and not p["required"] and p.get("description")
                   for p in parameters.values())
        enums = {name: next(s["enum"] for s in parameters[name]["schema"]["anyOf"]
                            if "enum" in s) for name in ("period", "priority", "source")}
        assert enums == {"period": list(PERIODS), "priority": ["low", "normal", "high", "urgent"],
                         "source": list(SOURCES)}
        queue = parameters["queue"]["schema"]["anyOf"][0]
        assert (queue["type"], queue["minimum"]) == ("integer", 1)
        assert parameters["since"]["schema"]["anyOf"][0]["format"] == "date"
        assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])
