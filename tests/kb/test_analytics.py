"""Deflection analytics: per-article figures and totals counted in SQL over a period, the
deflection rate, content gaps, and `GET /kb/analytics` (managers and admins)."""

from datetime import timedelta

import pytest

from casedesk.kb.analytics import article_figures, content_gaps, tenant_totals
from casedesk.kb.events import record_search
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from casedesk.tenancy.services import tenant_settings_update
from tests.conftest import NOW
from tests.factories import make_case

K = KbEventKind
SINCE = NOW - timedelta(days=7)
UNTIL = NOW + timedelta(days=1)


def _published(tenant, title):
    article = article_create(tenant=tenant, author=None, title=title, body="Body",
                             visibility="public", now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def _event(article, kind, *, at=NOW, visitor="", case=None, **values):
    return KbEvent.objects.create(tenant_id=article.tenant_id, article=article, kind=kind,
                                  visitor=visitor, case=case, created_at=at, **values)


@pytest.fixture
def seeded(tenant, other_tenant):
    """Two articles of ours with events in the period and around it, one of another tenant."""
    reset = _published(tenant, "Reset your password")
    vpn = _published(tenant, "Set up the VPN")
    theirs = _published(other_tenant, "Globex invoices")
    cases = [make_case(tenant, subject=f"Case {i}") for i in range(3)]
    for _ in range(3):
        _event(reset, K.VIEW)
    _event(reset, K.VIEW, visitor="v1")
    _event(reset, K.VIEW, visitor="v2")
    _event(reset, K.SUGGESTION_SHOWN, case=cases[0], score=90, rank=1)
    _event(reset, K.SUGGESTION_SHOWN, case=cases[1], score=80, rank=1)
    _event(reset, K.SUGGESTION_OPENED, case=cases[0], score=90, rank=1)
    _event(reset, K.SUGGESTION_OPENED, case=cases[1], score=80, rank=1)
    _event(reset, K.CASE_RESOLVED_BY_ARTICLE, case=cases[0])
    _event(reset, K.SELF_SERVICE_DEFLECTION, visitor="v1")
    # Outside the period: the day before and exactly at its (exclusive) end.
    _event(reset, K.VIEW, at=SINCE - timedelta(seconds=1))
    _event(reset, K.SUGGESTION_OPENED, case=cases[2], at=UNTIL, score=10, rank=2)
    _event(vpn, K.VIEW, at=SINCE)
    _event(vpn, K.SUGGESTION_SHOWN, case=cases[2], score=40, rank=2)
    _event(theirs, K.VIEW, visitor="v1")
    _event(theirs, K.SUGGESTION_OPENED, case=make_case(other_tenant), score=50, rank=1)
    _event(theirs, K.CASE_RESOLVED_BY_ARTICLE, case=make_case(other_tenant))
    return reset, vpn, theirs


@pytest.mark.django_db
def test_figures_per_article_count_this_tenants_events_in_the_period(tenant, seeded) -> None:
    reset, vpn, _ = seeded
    figures = article_figures(tenant, since=SINCE, until=UNTIL)
    assert [f.article_id for f in figures] == [reset.pk, vpn.pk]
    first, second = figures
    assert (first.title, first.views, first.suggestions_shown, first.opened, first.solved,
            first.self_service_deflections, first.self_service_reads) == (
        "Reset your password", 5, 2, 2, 1, 1, 2)
    # (1 solved + 1 deflection) / (2 opened + 2 self-service reads)
    assert first.deflection_rate == pytest.approx(0.5)
    assert (second.views, second.suggestions_shown, second.opened) == (1, 1, 0)
    assert second.deflection_rate is None  # nothing opened, no self-service read


@pytest.mark.django_db
def test_figures_can_be_limited_to_some_articles(tenant, seeded) -> None:
    reset, vpn, theirs = seeded
    figures = article_figures(tenant, since=SINCE, until=UNTIL, article_ids={vpn.pk, theirs.pk})
    assert [f.article_id for f in figures] == [vpn.pk]


@pytest.mark.django_db
def test_totals_sum_the_articles(tenant, other_tenant, seeded) -> None:
    totals = tenant_totals(tenant, since=SINCE, until=UNTIL)
    assert (totals.views, totals.suggestions_shown, totals.opened, totals.solved,
            totals.self_service_deflections, totals.self_service_reads) == (6, 3, 2, 1, 1, 2)
    assert totals.deflection_rate == pytest.approx(0.5)
    theirs = tenant_totals(other_tenant, since=SINCE, until=UNTIL)
    assert (theirs.views, theirs.opened, theirs.solved) == (1, 1, 1)
    assert theirs.deflection_rate == pytest.approx(0.5)


@pytest.mark.django_db
def test_an_empty_period_has_zeros_and_no_rate(tenant, seeded) -> None:
    later = UNTIL + timedelta(days=1)
    assert article_figures(tenant, since=later, until=later + timedelta(days=1)) == []
    totals = tenant_totals(tenant, since=later, until=later + timedelta(days=1))
    assert (totals.views, totals.opened) == (0, 0)
    assert totals.deflection_rate is None


@pytest.mark.django_db
def test_content_gaps_group_searches_without_results(tenant, other_tenant, agent) -> None:
    for query in ("VPN error 809", "vpn ERROR 809", "printer", "vpn error 809"):
        record_search(tenant, query, 0, agent.user, NOW)
    record_search(tenant, "password", 3, agent.user, NOW)  # found something
    record_search(tenant, "printer", 0, None, SINCE - timedelta(days=1))  # before the period
    record_search(other_tenant, "globex thing", 0, None, NOW)
    gaps = content_gaps(tenant, since=SINCE, until=UNTIL)
    assert [(g.query, g.searches) for g in gaps] == [("vpn error 809", 3), ("printer", 1)]
    assert len(content_gaps(tenant, since=SINCE, until=UNTIL, limit=1)) == 1


@pytest.mark.django_db
def test_record_search_keeps_the_first_200_characters(tenant) -> None:
    event = record_search(tenant, "x" * 300, 0, None, NOW)
    assert event.query == "x" * 200 and event.results == 0 and event.kind == K.SEARCH


@pytest.mark.django_db
def test_searching_articles_over_the_api_records_one_search(tenant, agent_api, clock) -> None:
    _published(tenant, "Reset your password")
    assert agent_api.get("/kb/articles?q=password").status_code == 200
    assert agent_api.get("/kb/articles?q=kerberos").status_code == 200
    assert agent_api.get("/kb/articles").status_code == 200
    rows = list(KbEvent.objects.filter(kind=K.SEARCH).order_by("pk")
                .values_list("tenant_id", "query", "results", "created_at"))
    assert rows == [(tenant.pk, "password", 1, NOW), (tenant.pk, "kerberos", 0, NOW)]


@pytest.mark.django_db
def test_the_api_answers_the_period(manager_api, tenant, seeded, agent) -> None:
    reset, vpn, theirs = seeded
    record_search(tenant, "VPN error", 0, agent.user, NOW)
    response = manager_api.get("/kb/analytics?since=2026-11-16&until=2026-11-24")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["since"], body["until"]) == ("2026-11-16", "2026-11-24")
    # Whole days (UTC): the view a second before SINCE (11-16 08:59) counts too, the open at
    # UNTIL (11-24 09:00) does not.
    assert body["totals"]["views"] == 7 and body["totals"]["opened"] == 2
    assert body["totals"]["deflection_rate"] == 0.5
    assert [(a["id"], a["title"]) for a in body["articles"]] == [
        (reset.pk, "Reset your password"), (vpn.pk, "Set up the VPN")]
    assert body["articles"][1]["deflection_rate"] is None
    assert body["content_gaps"] == [{"query": "vpn error", "searches": 1}]
    assert "Globex" not in response.content.decode()


@pytest.mark.django_db
def test_the_api_defaults_to_the_last_30_days(admin_api, tenant, seeded, clock) -> None:
    body = admin_api.get("/kb/analytics").json()
    assert (body["since"], body["until"]) == ("2026-10-25", "2026-11-24")
    assert body["totals"]["opened"] == 2


@pytest.mark.django_db
def test_agents_may_not_see_the_analytics(agent_api) -> None:
    assert agent_api.get("/kb/analytics").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    "since=2025-01-01&until=2026-01-03",  # 367 days
    "since=2026-11-20&until=2026-11-20",
    "since=2026-11-21&until=2026-11-20",
    "until=0001-01-02",
    "since=yesterday",
])
def test_the_api_refuses_a_bad_period(manager_api, query) -> None:
    response = manager_api.get(f"/kb/analytics?{query}")
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_a_period_of_366_days_is_allowed(manager_api) -> None:
    assert manager_api.get("/kb/analytics?since=2025-01-01&until=2026-01-02").status_code == 200


def test_the_api_counts_days_in_the_tenants_time_zone(tenant, manager_api, clock) -> None:
    tenant_settings_update(tenant=tenant, changes={"time_zone": "Asia/Tokyo"})
    article = _published(tenant, "Reset your password")
    # 23 Nov, 01:00 in Tokyo, still 22 Nov in UTC.
    _event(article, K.VIEW, at=NOW.replace(hour=16) - timedelta(days=1))
    on_the_23rd = manager_api.get("/kb/analytics", since="2026-11-23", until="2026-11-24")
    assert on_the_23rd.json()["totals"]["views"] == 1
    on_the_22nd = manager_api.get("/kb/analytics", since="2026-11-22", until="2026-11-23")
    assert on_the_22nd.json()["totals"]["views"] == 0
