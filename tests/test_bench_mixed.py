"""The mixed load (`python -m bench --only mixed`): its pacing, how answers are judged, the
figures made of locust's statistics, what the agents read off the real pages, and one short
run against a live server."""

import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bench.database import Database
from bench.mixed import (
    PAGES,
    Plan,
    Row,
    bell_url,
    case_moves,
    changed_panels,
    classify,
    csrf_token,
    figures,
    inbox_rows,
    load_panels,
    pacing,
    plan_for,
    presence_seen,
    read_stats,
    run_mixed,
)
from bench.results import TARGETS, Report
from django.db import connection

from casedesk.cases.models import Case
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from tests.conftest import Clock, login
from tests.factories import make_case

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,"
    "75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def _line(kind: str, name: str, count: int, failures: int, p50: int, p99: int) -> str:
    return (f"{kind},{name},{count},{failures},{p50},{p50 + 1.5},1,{p99 + 7},100,1.0,0.0,"
            f"{p50},{p50},{p50},{p50},{p99},{p99},{p99},{p99},{p99},{p99},{p99 + 7}")


STATS = "\n".join([
    HEADER,
    _line("POST", "api_create", 2250, 0, 40, 180),
    _line("SMTP", "mail", 750, 1, 30, 120),
    _line("GET", "inbox", 200, 0, 60, 250),
    _line("GET", "case_page", 300, 0, 70, 310),
    _line("POST", "claim", 80, 0, 20, 90),
    _line("POST", "login", 0, 0, 0, 0),
    _line("POST", "resent", 3, 0, 1, 2),
    "GET,presence,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
    _line("", "Aggregated", 3580, 1, 40, 250),
])
PLAN = Plan(agents=50, arrivals_per_s=100.0, mail_share=0.25, warmup_s=30, duration_s=30)


def test_senders_are_paced_to_the_rate_exactly() -> None:
    assert pacing(75.0) == (75, 1.0)
    senders, each = pacing(25.0, per_sender=2.0)
    assert senders == 13 and math.isclose(senders * each, 25.0) and each <= 2.0
    assert pacing(0.5) == (1, 0.5)
    assert pacing(0.0) == (0, 0.0)


def test_the_plan_splits_arrivals_between_the_api_and_mail() -> None:
    plan = plan_for("postgresql", 300.0)
    assert (plan.agents, plan.arrivals_per_s, plan.duration_s) == (50, 100.0, 300.0)
    assert plan.senders() == {"api_create": (75, 1.0), "mail": (25, 1.0)}
    assert plan.users == 150
    small = plan_for("sqlite", 60.0)
    assert small.agents < plan.agents and small.arrivals_per_s < plan.arrivals_per_s


def test_answers_are_ok_conflicts_or_errors() -> None:
    assert classify("note", 200) == "ok"
    assert classify("api_create", 201, (201,)) == "ok"
    assert classify("login", 302, (302,)) == "ok"
    # Another agent's claim or move won: answered 409 with the reason, as promised.
    assert classify("claim", 409) == "conflict"
    assert classify("transition", 409) == "conflict"
    for name, status in (("note", 409), ("case_page", 500), ("inbox", 302), ("bell", None),
                         ("claim", 422)):
        assert classify(name, status) == "error", (name, status)
    assert classify("api_create", 200, (201,)) == "error"


def test_locust_statistics_are_read_by_name() -> None:
    rows = read_stats(STATS)
    assert "Aggregated" not in rows
    assert rows["case_page"] == Row("case_page", 300, 0, 70.0, 310.0, 317.0, 71.5)
    assert math.isnan(rows["presence"].p99) and rows["presence"].requests == 0


def test_the_figures_count_arrivals_errors_and_the_worst_page() -> None:
    rows = read_stats(STATS)
    made = {name: value for name, value, _ in figures(rows, {"conflicts": 4}, PLAN, 30.0)}
    assert made["mixed_load_requests"] == 3580
    assert made["mixed_load_errors"] == 1  # the one failed mail
    assert made["mixed_load_conflicts"] == 4
    # Sent again on a fresh connection: counted apart, and not twice as requests.
    assert made["mixed_load_resent"] == 3
    assert made["mixed_load_arrivals_rate"] == pytest.approx((2250 + 749) / 30)
    assert made["mixed_load_arrivals_pct"] == pytest.approx(100 * (2250 + 749) / 30 / 100)
    assert made["mixed_load_p99_case_page"] == 310.0
    assert made["mixed_load_p50_inbox"] == 60.0
    assert made["mixed_load_p99_max"] == 310.0
    # Nothing measured, no figure: neither the idle presence poll nor the warm-up's sign-in.
    assert "mixed_load_p99_presence" not in made and "mixed_load_p99_login" not in made


def test_every_page_has_a_p99_target() -> None:
    for name in [*PAGES, "max"]:
        assert TARGETS[f"mixed_load_p99_{name}"] == ("<=", 300.0)
    assert TARGETS["mixed_load_errors"] == ("<=", 0.0)


@pytest.mark.django_db
def test_the_agents_read_the_real_pages(tenant: Any, agent: Membership, support_queue: Queue,
                                        clock: Clock) -> None:
    unowned = make_case(tenant, subject="Waiting", queue_id=support_queue.pk)
    mine = make_case(tenant, subject="Mine", queue_id=support_queue.pk,
                     owner_id=agent.user_id)
    browser = login(agent)
    inbox = browser.get("/inbox/cases").content.decode()
    rows = dict(inbox_rows(inbox))
    for case in (unowned, mine):
        case.refresh_from_db()
        assert rows[case.display_number] is (case.owner_id is None)
    assert csrf_token(inbox)
    assert load_panels(inbox) == []  # the tasks due today come with the page

    bell = bell_url(inbox)
    assert bell is not None
    assert browser.get(bell, headers={"HX-Request": "true"}).status_code == 204

    page = browser.get(f"/cases/{quote(mine.display_number)}").content.decode()
    # The page renders its panels and records the presence: it loads nothing after it.
    assert load_panels(page) == []
    seen = presence_seen(page)
    assert seen
    polled = browser.post(f"/cases/{quote(mine.display_number)}/presence",
                          {"typing": "", "seen": seen}, headers={"HX-Request": "true"})
    assert polled.status_code == 204
    # After a note the page asks its panels again, each once.
    answer = browser.post(f"/cases/{quote(mine.display_number)}/notes",
                          {"visibility": "internal", "body": "Looked"},
                          headers={"HX-Request": "true"}).content.decode()
    again = changed_panels(page, answer)
    assert len(again) == len(set(again)) == 7  # the calls panel too
    assert any("/suggestions?basis=" in url for url in again)
    assert all(browser.get(url, headers={"HX-Request": "true"}).status_code in (200, 204)
               for url in again)
    assert case_moves(page)
    assert "closed" not in case_moves(page)


def test_a_done_case_is_not_reopened_by_the_agents() -> None:
    page = ('<span class="pill status-resolved">Resolved</span>'
            '<summary data-testid="move-closed"></summary>'
            '<button data-testid="move-open"></button>')
    assert case_moves(page) == []
    assert case_moves(page.replace("status-resolved", "status-in_progress")) == ["open"]


def _database() -> Database:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or 5432
        url = f"postgres://{settings.get('USER') or 'postgres'}@{host}:{port}/{settings['NAME']}"
        return Database(url=url, vendor="postgresql", origin="test")
    return Database(url=f"sqlite:///{settings['NAME']}", vendor="sqlite", origin="test")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_short_mixed_load_runs_against_a_live_server(
        settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """3 agents and 2 cases/s (one by mail) for 5 s after a 3 s warm-up, through locust,
    against `casedesk serve` and `casedesk smtpd` on the test database."""
    from bench import database, mixed

    # The server checks passwords with the installation's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    monkeypatch.setattr(database, "BENCH_DIR", tmp_path)
    monkeypatch.setenv("CASEDESK_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CASEDESK_SECRET_KEY", "a-key-for-this-test-only-0123456789abcdef-0123")
    report = Report()
    plan = Plan(agents=3, arrivals_per_s=2.0, mail_share=0.5, warmup_s=3.0, duration_s=5.0)
    result = run_mixed(report, _database(), lambda phase: None, duration_s=5.0,
                       base_cases=60, plan=plan)
    made = {f.name: f.value for f in report.figures}
    assert made["mixed_load_errors"] == 0, result.first_errors or result.failures
    assert made["mixed_load_requests"] > 0
    assert "mixed_load_p99_api_create" in made and "mixed_load_p99_mail" in made
    assert "mixed_load_p99_inbox_poll" in made or "mixed_load_p99_bell" in made
    assert result.cases_made >= 5  # arrivals during warm-up and window
    assert Case.objects.filter(tenant__slug=mixed.SLUG, source="email").exists()
    assert os.path.exists(result.csv_prefix + "_stats.csv")
