"""The analytics page `/kb/analytics`: the totals and per-article figures of a period, the
searches that found nothing, periods in the tenant's zone, bad periods as form errors, and
managers only."""

from datetime import timedelta

import pytest

from casedesk.kb.events import record_search
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from tests.conftest import NOW, login
from tests.factories import make_case

pytestmark = pytest.mark.django_db
K = KbEventKind


def _published(tenant, title):
    article = article_create(tenant=tenant, author=None, title=title, body="Body",
                             visibility="public", now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def _event(article, kind, *, at=NOW, **values):
    return KbEvent.objects.create(tenant_id=article.tenant_id, article=article, kind=kind,
                                  created_at=at, **values)


@pytest.fixture
def seeded(tenant, other_tenant):
    reset = _published(tenant, "Reset your password")
    theirs = _published(other_tenant, "Globex invoices")
    case = make_case(tenant, subject="Password")
    _event(reset, K.SUGGESTION_SHOWN, case=case, score=100, rank=1)
    _event(reset, K.SUGGESTION_OPENED, case=case, score=100, rank=1)
    _event(reset, K.CASE_RESOLVED_BY_ARTICLE, case=case)
    _event(reset, K.VIEW, visitor="v1")
    _event(reset, K.VIEW, at=NOW - timedelta(days=60))
    _event(theirs, K.VIEW)
    record_search(tenant, "Refund policy", 0, None, NOW)
    record_search(tenant, "refund POLICY", 0, None, NOW)
    record_search(tenant, "password", 3, None, NOW)
    return reset


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_page_shows_the_last_30_days(manager, clock, seeded) -> None:
    response = login(manager).get("/kb/analytics")
    html = _text(response)
    assert response.status_code == 200
    assert 'data-testid="total-views">1<' in html
    assert 'data-testid="total-opened">1<' in html
    assert 'data-testid="total-solved">1<' in html
    assert 'data-testid="total-rate">50%<' in html  # 1 solved of 1 opened + 1 read
    assert f'data-testid="solved-{seeded.pk}">1<' in html
    assert "Globex invoices" not in html
    assert "<td>refund policy</td><td class=\"count\">2</td>" in html
    assert ">password<" not in html


def test_a_period_counts_only_its_days(manager, clock, seeded) -> None:
    day = (NOW - timedelta(days=60)).date()
    response = login(manager).get("/kb/analytics", {"since": day.isoformat(),
                                                    "until": (day + timedelta(days=1))
                                                    .isoformat()})
    html = _text(response)
    assert 'data-testid="total-views">1<' in html
    assert 'data-testid="total-opened">0<' in html
    assert 'data-testid="total-rate">—<' in html


@pytest.mark.parametrize("query", [
    {"since": "2026-11-10", "until": "2026-11-01"},
    {"since": "2020-01-01", "until": "2026-01-01"},
    {"since": "not a date"},
    {"since": "2026-11-01\x00"},
])
def test_a_bad_period_is_a_form_error(manager, clock, query) -> None:
    response = login(manager).get("/kb/analytics", query)
    assert response.status_code == 400
    assert 'data-testid="period-error"' in response.content.decode() or (
        'role="alert"' in response.content.decode())
    assert 'data-testid="kb-totals"' not in response.content.decode()


def test_agents_may_not_see_it(agent) -> None:
    assert login(agent).get("/kb/analytics").status_code == 403
