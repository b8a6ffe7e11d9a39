"""The forecast page, its CSV downloads and `GET /api/v1/reports/forecast`: who may see
them, what they show, bad input, and another tenant's queues and cases."""

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Api, Clock, Foreign, login
from tests.reports.test_forecast_data import at, office_hours

URL = "/reports/forecast"
TODAY = date(2026, 11, 23)  # NOW, a Monday


@pytest.fixture
def history(tenant: Tenant, finance: Queue) -> None:
    """Five steady weeks in Finance (40 cases a week, weekdays 09:00-17:00 UTC)."""
    office_hours(tenant, weeks=5, until=TODAY, queue=finance)


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- the page -----------------------------------------------------------------------------

def test_manager_sees_the_forecast_backtest_and_staffing(
        clock: Clock, manager: Membership, finance: Queue, history: None) -> None:
    response = login(manager).get(URL, {"queue": finance.pk})

    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("weekly-table", "daily-table", "backtest-errors", "staffing-table"):
        assert f'data-testid="{testid}"' in html
    assert "200</strong> cases created in <strong>Finance" in html
    # Steady weeks forecast themselves: 40 a week, 8 a weekday, with no back-test error.
    weekly = re.search(r'data-testid="weekly-table">(.*?)</table>', html, re.S)
    assert weekly is not None and weekly.group(1).count("<td class=\"num\">40.0</td>") == 9
    assert 'data-testid="backtest-wape">0.0&nbsp;%' in html
    assert 'data-testid="staffing-peak">1<' in html
    assert "Mon 30 Nov" in html  # the staffing grid is next week's
    assert ' style="' not in html


def test_admin_may_see_it_and_an_agent_may_not(
        clock: Clock, admin: Membership, agent: Membership) -> None:
    assert login(admin).get(URL).status_code == 200
    assert login(agent).get(URL).status_code == 403


def test_signed_out_visitors_go_to_sign_in(client: Any, db: Any) -> None:
    response = client.get(URL)

    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_tenant_without_cases_is_told_so(clock: Clock, manager: Membership) -> None:
    html = login(manager).get(URL).content.decode()

    assert 'data-testid="no-history"' in html
    assert 'data-testid="no-backtest"' in html
    assert 'data-testid="staffing-peak">0<' in html


def test_little_history_is_flagged(clock: Clock, tenant: Tenant, manager: Membership) -> None:
    at(tenant, [datetime(2026, 11, 19, 10, tzinfo=UTC)])

    html = login(manager).get(URL).content.decode()

    assert 'data-testid="little-history"' in html
    assert 'data-testid="no-backtest"' in html


@pytest.mark.parametrize("query", [{"service_level": "0"}, {"service_level": "100"},
                                   {"service_level": "nan"}, {"target_minutes": "0"},
                                   {"target_minutes": "many"}, {"queue": "x"}])
def test_bad_choices_are_refused_with_the_form(clock: Clock, manager: Membership,
                                               query: dict[str, str]) -> None:
    response = login(manager).get(URL, query)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error"' in html and 'data-testid="weekly-table"' not in html


def test_your_target_and_service_level_drive_the_staffing(
        clock: Clock, manager: Membership, history: None) -> None:
    html = login(manager).get(URL, {"service_level": "95", "target_minutes": "5"}).content \
        .decode()

    assert "<strong>95&nbsp;%</strong>" in html
    assert "<strong>5 minutes</strong>" in html and "your target" in html


# --- CSV ----------------------------------------------------------------------------------

def test_each_table_downloads_as_csv(clock: Clock, manager: Membership, finance: Queue,
                                     history: None) -> None:
    browser = login(manager)
    query = {"queue": finance.pk, "format": "csv"}

    weekly = browser.get(URL, {**query, "table": "weekly"})
    assert weekly["Content-Disposition"] == (
        'attachment; filename="forecast-weekly-finance-2026-11-23.csv"')
    rows = read_csv(weekly)
    assert rows[0] == ["week_start", "hours", "expected", "low", "high"]
    assert [r[:3] for r in rows[1:3]] == [["2026-11-23", "168", "40.00"],
                                          ["2026-11-30", "168", "40.00"]]
    assert len(rows) == 1 + 9

    daily = read_csv(browser.get(URL, {**query, "table": "daily"}))
    assert len(daily) == 1 + 63
    assert [r[2] for r in daily[1:8]] == ["8.00"] * 5 + ["0.00"] * 2

    staffing = read_csv(browser.get(URL, {**query, "table": "staffing"}))
    assert staffing[0] == ["hour_start", "weekday", "expected_cases", "agents",
                           "expected_service_level_percent", "occupancy_percent"]
    assert len(staffing) == 1 + 168
    assert staffing[1 + 9][:4] == ["2026-11-30T09:00:00+00:00", "Monday", "1.00", "1"]
    assert staffing[1 + 3][3] == "0"

    backtest = read_csv(browser.get(URL, {**query, "table": "backtest"}))
    assert backtest[0] == ["day", "actual", "forecast", "low", "high", "naive"]
    assert len(backtest) == 1 + 14 and backtest[1][:2] == ["2026-11-09", "8"]


def test_an_unknown_table_is_not_found(clock: Clock, manager: Membership) -> None:
    assert login(manager).get(URL, {"format": "csv", "table": "secrets"}).status_code == 404


def test_the_page_links_its_downloads_with_its_choices(
        clock: Clock, manager: Membership, finance: Queue) -> None:
    html = login(manager).get(URL, {"queue": finance.pk, "service_level": "90"}).content \
        .decode()

    assert (f'href="?queue={finance.pk}&amp;service_level=90&amp;format=csv&amp;'
            'table=staffing"') in html


# --- another tenant -----------------------------------------------------------------------

def test_another_tenant_s_queue_is_not_found(clock: Clock, manager: Membership,
                                            manager_api: Api, foreign: Foreign) -> None:
    assert login(manager).get(URL, {"queue": foreign.queue_id}).status_code == 404
    assert login(manager).get(URL, {"queue": foreign.queue_id, "format": "csv",
                                    "table": "weekly"}).status_code == 404
    assert manager_api.get("/reports/forecast", queue=foreign.queue_id).status_code == 404


def test_another_tenant_s_cases_are_not_counted(clock: Clock, manager_api: Api,
                                                other_tenant: Tenant, outsider: Membership,
                                                outsider_api: Api, finance: Queue) -> None:
    office_hours(other_tenant, weeks=3, until=TODAY)

    ours = manager_api.get("/reports/forecast").json()
    theirs = outsider_api.get("/reports/forecast").json()

    assert ours["history_cases"] == 0 and ours["method"] == "none"
    assert theirs["history_cases"] == 120
    assert outsider_api.get("/reports/forecast", queue=finance.pk).status_code == 404


# --- the API ------------------------------------------------------------------------------

def test_api_gives_the_page_s_figures(clock: Clock, manager: Membership, manager_api: Api,
                                      finance: Queue, history: None) -> None:
    response = manager_api.get("/reports/forecast", queue=finance.pk, service_level=90,
                               target_minutes=30)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["queue"] == {"id": finance.pk, "name": "Finance"}
    assert (body["today"], body["history_start"], body["history_cases"]) == (
        "2026-11-23", "2026-10-19", 200)
    assert body["enough_history"] is True and body["method"] == "weekly_ets"
    assert body["target"] == {"minutes": 30, "source": "user", "policy_id": None,
                              "policy_name": ""}
    assert body["service_level_percent"] == 90
    assert body["handle_time"]["source"] == "default"
    assert [w["cases"] for w in body["past_weeks"]] == [40] * 5
    assert body["backtest"]["holdout_weeks"] == 2
    assert body["backtest"]["model"]["wape_daily_percent"] == pytest.approx(0, abs=1e-6)
    assert len(body["staffing"]) == 168
    assert body["staffing"][9]["start"] == "2026-11-30T09:00:00Z"
    assert body["staffing"][9]["agents"] == 1
    page_weekly = read_csv(login(manager).get(URL, {
        "queue": finance.pk, "service_level": 90, "target_minutes": 30, "format": "csv",
        "table": "weekly"}))
    assert [f"{w['expected']:.2f}" for w in body["weekly"]] == [r[2] for r in page_weekly[1:]]


def test_api_takes_the_dominant_policy_s_target_by_default(
        clock: Clock, tenant: Tenant, manager_api: Api, finance: Queue) -> None:
    at(tenant, [datetime(2026, 11, 20, 10, tzinfo=UTC)], finance)

    target = manager_api.get("/reports/forecast", queue=finance.pk).json()["target"]

    assert (target["source"], target["policy_name"], target["minutes"]) == (
        "policy", "Normal priority", 8 * 60)


def test_api_is_for_managers(clock: Clock, agent_api: Api, anonymous_api: Api,
                             admin_api: Api) -> None:
    assert admin_api.get("/reports/forecast").status_code == 200
    assert agent_api.get("/reports/forecast").status_code == 403
    assert anonymous_api.get("/reports/forecast").status_code == 401


@pytest.mark.parametrize("query", [{"service_level": 0}, {"service_level": 100},
                                   {"service_level": "nan"}, {"service_level": "lots"},
                                   {"target_minutes": 0}, {"target_minutes": 10081},
                                   {"queue": 0}, {"queue": "support"}])
def test_api_refuses_bad_values(clock: Clock, manager_api: Api,
                                query: dict[str, Any]) -> None:
    response = manager_api.get("/reports/forecast", **query)

    assert response.status_code == 422, response.content
    assert response.json()["field"] == next(iter(query))


def test_api_unknown_queue_is_not_found(clock: Clock, manager_api: Api) -> None:
    response = manager_api.get("/reports/forecast", queue=987654321)

    assert response.status_code == 404
    assert response.json() == {"detail": "No queue with id 987654321."}


def test_api_is_documented(admin_api: Api) -> None:
    spec = admin_api.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/reports/forecast"]["get"]

    assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"queue", "service_level",
                                                            "target_minutes"}


def test_no_time_mixing(clock: Clock) -> None:
    # The page and API read the entry points' clock: frozen here at the suite's NOW.
    assert clock() == NOW
