"""Deflection events: opened and "solved it" count once per case and article, whoever and
however often (also under a race on PostgreSQL); self-service reads settle into deflections
after 30 minutes without a case, once per visitor and article."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections

from casedesk.core.errors import Conflict, Invalid
from casedesk.kb.events import (
    DEFLECTION_WINDOW,
    record_case_resolved_by_article,
    record_self_service_read,
    record_suggestion_opened,
    record_suggestions_shown,
    record_view,
    record_visitor_case,
    self_service_deflections_settle,
)
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_archive, article_create, article_publish
from casedesk.kb.suggestions import suggest_for_case
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Role
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.conftest import NOW, postgres_only
from tests.factories import make_case

DEFLECTION = KbEventKind.SELF_SERVICE_DEFLECTION


def _published(tenant, title="Reset your password", *, visibility="public"):
    article = article_create(tenant=tenant, author=None, title=title,
                             body="Choose *Forgot password*.", visibility=visibility, now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def _count(kind, **filters) -> int:
    return KbEvent.objects.filter(kind=kind, **filters).count()


@pytest.mark.django_db
def test_shown_records_each_suggestion_with_score_and_rank(tenant, agent) -> None:
    article = _published(tenant)
    _published(tenant, "Password policy")
    case = make_case(tenant, subject="Password reset")
    suggestions = suggest_for_case(case)
    assert record_suggestions_shown(case, suggestions, agent.user, NOW) == len(suggestions) == 2
    rows = KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_SHOWN).order_by("rank")
    assert [(r.article_id, r.rank, r.case_id, r.user_id) for r in rows][0] == (
        article.pk, 1, case.pk, agent.user_id)
    assert rows[0].score == 100


@pytest.mark.django_db
def test_opening_twice_in_one_case_counts_once_also_by_two_users(tenant, agent, agent2
                                                                 ) -> None:
    article = _published(tenant)
    case, other_case = make_case(tenant), make_case(tenant)
    assert record_suggestion_opened(case, article, agent.user, 100.0, 1, NOW) is True
    assert record_suggestion_opened(case, article, agent.user, 100.0, 1, NOW) is False
    assert record_suggestion_opened(case, article, agent2.user, 80.0, 2, NOW) is False
    assert record_suggestion_opened(other_case, article, agent2.user, 80.0, 2, NOW) is True
    event = KbEvent.objects.get(kind=KbEventKind.SUGGESTION_OPENED, case=case)
    assert (event.user_id, event.score, event.rank) == (agent.user_id, 100.0, 1)
    assert _count(KbEventKind.SUGGESTION_OPENED) == 2


@pytest.mark.django_db
def test_solved_counts_once_and_only_published_articles(tenant, agent, agent2) -> None:
    article = _published(tenant)
    case = make_case(tenant)
    assert record_case_resolved_by_article(case, article, agent.user, NOW) is True
    assert record_case_resolved_by_article(case, article, agent2.user, NOW) is False
    assert _count(KbEventKind.CASE_RESOLVED_BY_ARTICLE) == 1
    draft = article_create(tenant=tenant, author=None, title="Draft", body="x", now=NOW)
    archived = article_archive(article=_published(tenant, "Old"), now=NOW)
    for unpublished in (draft, archived):
        with pytest.raises(Conflict):
            record_case_resolved_by_article(case, unpublished, agent.user, NOW)
        with pytest.raises(Conflict):
            record_suggestion_opened(case, unpublished, agent.user, 1.0, 1, NOW)
    assert _count(KbEventKind.SUGGESTION_OPENED) == 0


@pytest.mark.django_db
def test_another_tenants_article_is_refused(tenant, other_tenant, agent) -> None:
    with pytest.raises(Invalid):
        record_suggestion_opened(make_case(tenant), _published(other_tenant), agent.user,
                                 1.0, 1, NOW)
    assert not KbEvent.objects.exists()


@pytest.mark.django_db
def test_a_score_off_the_scale_or_a_rank_below_one_is_refused(tenant, agent) -> None:
    article, case = _published(tenant), make_case(tenant)
    for score, rank, field in ((float("nan"), 1, "score"), (100.5, 1, "score"),
                               (50.0, 0, "rank")):
        with pytest.raises(Invalid) as refused:
            record_suggestion_opened(case, article, agent.user, score, rank, NOW)
        assert refused.value.field == field
    assert not KbEvent.objects.exists()


@pytest.mark.django_db
def test_views_and_self_service_reads(tenant, agent) -> None:
    article = _published(tenant)
    internal = _published(tenant, "Internal", visibility="internal")
    record_view(internal, user=agent.user, now=NOW)
    assert KbEvent.objects.get().user_id == agent.user_id
    with pytest.raises(Conflict):
        record_self_service_read(internal, "v1", NOW)
    with pytest.raises(Invalid):
        record_self_service_read(article, "", NOW)
    with pytest.raises(Invalid):
        record_view(article, visitor="v" * 65, now=NOW)
    with pytest.raises(Invalid):
        record_view(article, visitor="a\x00b", now=NOW)
    record_self_service_read(article, "v1", NOW)
    assert _count(KbEventKind.VIEW, visitor="v1", article=article) == 1


@pytest.mark.django_db
def test_a_read_without_a_case_within_30_minutes_settles_once(tenant, other_tenant) -> None:
    article, other = _published(tenant), _published(tenant, "Billing")
    theirs = _published(other_tenant)
    record_self_service_read(article, "quiet", NOW)
    record_self_service_read(article, "quiet", NOW + timedelta(minutes=5))  # read twice
    record_self_service_read(other, "quiet", NOW + timedelta(minutes=10))
    record_self_service_read(article, "asker", NOW)
    record_self_service_read(article, "late", NOW)
    record_self_service_read(theirs, "quiet", NOW)  # the same key in another tenant
    record_visitor_case(make_case(tenant), "asker", NOW + timedelta(minutes=29))
    record_visitor_case(make_case(tenant), "late", NOW + timedelta(minutes=31))
    record_visitor_case(make_case(other_tenant), "asker", NOW + timedelta(minutes=1))
    assert record_visitor_case(make_case(tenant), "", NOW) is None
    # Not yet 30 minutes after any read: nothing to settle.
    assert self_service_deflections_settle(NOW + DEFLECTION_WINDOW - timedelta(seconds=1)) == 0
    at = NOW + DEFLECTION_WINDOW
    assert self_service_deflections_settle(at) == 3  # quiet×article, late, theirs
    assert self_service_deflections_settle(at) == 0
    later = NOW + timedelta(hours=2)
    assert self_service_deflections_settle(later) == 1  # quiet×other, now due
    assert self_service_deflections_settle(later) == 0
    rows = {(e.tenant_id, e.visitor, e.article_id): e.created_at
            for e in KbEvent.objects.filter(kind=DEFLECTION)}
    assert rows == {
        (tenant.pk, "quiet", article.pk): NOW + DEFLECTION_WINDOW,
        (tenant.pk, "quiet", other.pk): NOW + timedelta(minutes=40),
        (tenant.pk, "late", article.pk): NOW + DEFLECTION_WINDOW,
        (other_tenant.pk, "quiet", theirs.pk): NOW + DEFLECTION_WINDOW,
    }


@pytest.mark.django_db
def test_members_views_never_settle(tenant, agent) -> None:
    record_view(_published(tenant), user=agent.user, now=NOW)
    assert self_service_deflections_settle(NOW + timedelta(hours=1)) == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_count_once_on_postgres() -> None:
    assert connection.vendor == "postgresql"
    threads = 6
    tenant = tenant_create(slug="race", name="Race", admin_email="admin@race.test")
    users = [membership_add(tenant=tenant, user=user_get_or_create(email=f"a{i}@race.test"),
                            role=Role.AGENT).user for i in range(threads)]
    article = _published(tenant)
    case = make_case(tenant)
    barrier = threading.Barrier(threads)

    def run(i: int) -> tuple[bool, bool]:
        try:
            barrier.wait(timeout=10)
            return (record_suggestion_opened(case, article, users[i], 90.0, 1, NOW),
                    record_case_resolved_by_article(case, article, users[i], NOW))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(run, range(threads)))
    assert sum(opened for opened, _ in results) == 1
    assert sum(solved for _, solved in results) == 1
    assert _count(KbEventKind.SUGGESTION_OPENED, case=case) == 1
    assert _count(KbEventKind.CASE_RESOLVED_BY_ARTICLE, case=case) == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_settles_count_once_on_postgres() -> None:
    tenant = tenant_create(slug="settle", name="Settle", admin_email="admin@settle.test")
    article = _published(tenant)
    for i in range(20):
        record_self_service_read(article, f"v{i}", NOW)
    barrier = threading.Barrier(4)

    def run(_: int) -> int:
        try:
            barrier.wait(timeout=10)
            return self_service_deflections_settle(NOW + timedelta(hours=1))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(run, range(4))) == 20
    assert _count(DEFLECTION, tenant=tenant) == 20


@pytest.mark.django_db
def test_the_worker_settles_deflections_on_its_schedule(tenant) -> None:
    from casedesk.ops import schedule

    record_self_service_read(_published(tenant), "reader", NOW)
    job = next(job for job in schedule.jobs() if job.name == "kb-deflections")
    assert schedule.run_once(job, NOW + timedelta(minutes=10)) == []
    assert schedule.run_once(job, NOW + DEFLECTION_WINDOW) == [
        "Knowledge base: 1 self-service deflection(s) counted"]
    assert _count(DEFLECTION) == 1
