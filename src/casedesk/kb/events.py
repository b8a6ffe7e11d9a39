"""Recording what deflection analytics count: suggestions shown and opened on a case, "this
article solved it", article views, and self-service deflections. Each is one service and one
transaction; the caller passes `now`.

Opened and "solved it" count once per case and article, whoever and however often
(`ONCE_PER_CASE`): the partial unique constraint `kb_event_once_per_case` decides, so two
requests at the same moment cannot both count. The insert runs in a savepoint; the one that
loses the race gets an IntegrityError there (on PostgreSQL it waits for the winner's commit),
which means "already counted", and the caller's transaction goes on.

Self-service deflection: a reader without an account (portal, web form: an opaque `visitor`
key of their session) reads a public article — recorded as a VIEW with the `visitor` — and
does not submit a case within `DEFLECTION_WINDOW` of that read. `self_service_deflections_settle`
runs later (a periodic job) and turns each (visitor, article) whose read has passed the
window with no case from the visitor in it into one SELF_SERVICE_DEFLECTION, dated at the end
of the window (so a period's figures do not depend on when the job ran). A pair once counted
is never counted again, so the job may run as often as it likes.

A case a visitor submits (portal, web form) is recorded as a VISITOR_CASE event with the
visitor's key and the case (`record_visitor_case`, in the case's creation transaction); the
job reads those. VISITOR_CASE counts in no figure of its own."""

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from casedesk.cases.models import Case
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits, clipped
from casedesk.core.text import check_text
from casedesk.kb.models import (
    Article,
    ArticleStatus,
    KbEvent,
    KbEventKind,
    Visibility,
)
from casedesk.kb.suggestions import Suggestion
from casedesk.tenancy.models import Tenant, User

DEFLECTION_WINDOW = timedelta(minutes=30)
# How far back the settling job looks for reads: it runs every few minutes, so older reads
# were settled long ago; the bound keeps each run's work small.
SETTLE_LOOKBACK = timedelta(days=7)


def _same_tenant(case: Case, article: Article) -> None:
    if article.tenant_id != case.tenant_id:
        # Callers fetch both through the member's tenant; this only guards against a bug.
        raise Invalid("The article belongs to another tenant.", field="article_id")


def _refuse_unpublished(article: Article) -> None:
    if article.status != ArticleStatus.PUBLISHED:
        raise Conflict(f"The article is {article.get_status_display().lower()}, not "
                       "published: it is not suggested on cases.")


def _visitor(visitor: str) -> str:
    check_text(visitor, field="visitor")
    check_fits(KbEvent, {"visitor": visitor})
    return visitor.strip()


def record_suggestions_shown(case: Case, suggestions: Sequence[Suggestion], user: User | None,
                             now: datetime) -> int:
    """One SUGGESTION_SHOWN per suggested article, with its score and rank; how many."""
    rows = []
    for suggestion in suggestions:
        _same_tenant(case, suggestion.article)
        rows.append(KbEvent(tenant_id=case.tenant_id, kind=KbEventKind.SUGGESTION_SHOWN,
                            article=suggestion.article, case=case, user=user,
                            score=suggestion.score, rank=suggestion.rank, created_at=now))
    with transaction.atomic():
        KbEvent.objects.bulk_create(rows)
    return len(rows)


def _once_per_case(kind: KbEventKind, case: Case, article: Article, values: dict[str, Any]
                   ) -> bool:
    _same_tenant(case, article)
    _refuse_unpublished(article)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: losing the race leaves the outer intact
                KbEvent.objects.create(tenant_id=case.tenant_id, kind=kind, article=article,
                                       case=case, **values)
        except IntegrityError:
            return False
    return True


def record_suggestion_opened(case: Case, article: Article, user: User | None, score: float,
                             rank: int, now: datetime) -> bool:
    """Counts an agent opening a suggested article from the case: once per case and article
    (False: it was counted before). Only a published article (Conflict otherwise)."""
    check_fits(KbEvent, {"rank": rank})
    if not (math.isfinite(score) and 0 <= score <= 100):
        raise Invalid("The score is from 0 to 100.", field="score")
    if rank < 1:
        raise Invalid("The rank starts at 1.", field="rank")
    return _once_per_case(KbEventKind.SUGGESTION_OPENED, case, article,
                          {"user": user, "score": score, "rank": rank, "created_at": now})


def record_case_resolved_by_article(case: Case, article: Article, user: User | None,
                                    now: datetime) -> bool:
    """Counts "this article solved it": once per case and article (False: counted before)."""
    return _once_per_case(KbEventKind.CASE_RESOLVED_BY_ARTICLE, case, article,
                          {"user": user, "created_at": now})


def record_view(article: Article, *, user: User | None = None, visitor: str = "",
                now: datetime) -> KbEvent:
    """A view of the article, by a member (`user`) or a reader without an account
    (`visitor`)."""
    visitor = _visitor(visitor)
    with transaction.atomic():
        return KbEvent.objects.create(tenant_id=article.tenant_id, kind=KbEventKind.VIEW,
                                      article=article, user=user, visitor=visitor,
                                      created_at=now)


def record_self_service_read(article: Article, visitor: str, now: datetime) -> KbEvent:
    """A visitor's read of a published public article: the view that a deflection may come
    of (`self_service_deflections_settle`)."""
    visitor = _visitor(visitor)
    if not visitor:
        raise Invalid("A self-service read needs the visitor's key.", field="visitor")
    if article.visibility != Visibility.PUBLIC or article.status != ArticleStatus.PUBLISHED:
        raise Conflict("Only a published public article is read in self-service.")
    return record_view(article, visitor=visitor, now=now)


def record_self_service_deflection(article: Article, visitor: str, now: datetime
                                   ) -> KbEvent | None:
    """A visitor said a published public article answered their question (the chat widget's
    "this answered it", the chatbot's "yes"): their read counts as a deflection now, without
    waiting for the window. Once per (visitor, article): None when counted before, by this
    or by the settling job."""
    visitor = _visitor(visitor)
    if not visitor:
        raise Invalid("A self-service deflection needs the visitor's key.", field="visitor")
    if article.visibility != Visibility.PUBLIC or article.status != ArticleStatus.PUBLISHED:
        raise Conflict("Only a published public article deflects in self-service.")
    with transaction.atomic():
        # Serialised per tenant, as the settling job is, so the pair is counted once.
        list(Tenant.objects.select_for_update().filter(pk=article.tenant_id)
             .values_list("pk", flat=True))
        if KbEvent.objects.filter(kind=KbEventKind.SELF_SERVICE_DEFLECTION,
                                  tenant_id=article.tenant_id, visitor=visitor,
                                  article=article).exists():
            return None
        if not KbEvent.objects.filter(kind=KbEventKind.VIEW, tenant_id=article.tenant_id,
                                      visitor=visitor, article=article).exists():
            KbEvent.objects.create(tenant_id=article.tenant_id, kind=KbEventKind.VIEW,
                                   article=article, visitor=visitor, created_at=now)
        return KbEvent.objects.create(tenant_id=article.tenant_id,
                                      kind=KbEventKind.SELF_SERVICE_DEFLECTION,
                                      article=article, visitor=visitor, created_at=now)


def self_service_deflections_settle(now: datetime) -> int:
    """Records a SELF_SERVICE_DEFLECTION for each (visitor, article) read at least
    `DEFLECTION_WINDOW` ago with no case from that visitor within the window after a read of
    it, unless the pair has one already; how many it recorded. Idempotent."""
    with transaction.atomic():
        reads = list(KbEvent.objects.filter(kind=KbEventKind.VIEW, article__isnull=False,
                                            created_at__lte=now - DEFLECTION_WINDOW,
                                            created_at__gt=now - SETTLE_LOOKBACK)
                     .exclude(visitor="").order_by("created_at", "pk")
                     .values_list("tenant_id", "visitor", "article_id", "created_at"))
        submitted = _visitor_cases({(tenant_id, visitor) for tenant_id, visitor, _, _ in reads},
                                   since=now - SETTLE_LOOKBACK)
        # The first read after which no case followed, per pair.
        deflected: dict[tuple[int, str, int], datetime] = {}
        for tenant_id, visitor, article_id, read_at in reads:
            key = (tenant_id, visitor, article_id)
            if key in deflected:
                continue
            end = read_at + DEFLECTION_WINDOW
            if not any(read_at <= at <= end for at in submitted.get((tenant_id, visitor), ())):
                deflected[key] = end
        if not deflected:
            return 0
        # Two runs at once: the second waits here for the first's commit, then sees its rows.
        tenant_ids = sorted({tenant_id for tenant_id, _, _ in deflected})
        list(Tenant.objects.select_for_update().filter(pk__in=tenant_ids).order_by("pk")
             .values_list("pk", flat=True))
        counted = set(KbEvent.objects.filter(
            kind=KbEventKind.SELF_SERVICE_DEFLECTION, tenant_id__in=tenant_ids,
            visitor__in={visitor for _, visitor, _ in deflected},
        ).values_list("tenant_id", "visitor", "article_id"))
        rows = [KbEvent(tenant_id=tenant_id, kind=KbEventKind.SELF_SERVICE_DEFLECTION,
                        article_id=article_id, visitor=visitor, created_at=at)
                for (tenant_id, visitor, article_id), at in deflected.items()
                if (tenant_id, visitor, article_id) not in counted]
        KbEvent.objects.bulk_create(rows)
    return len(rows)


def _visitor_cases(visitors: set[tuple[int, str]], since: datetime
                   ) -> dict[tuple[int, str], list[datetime]]:
    """When each of these (tenant, visitor) submitted cases, since `since`."""
    submitted: dict[tuple[int, str], list[datetime]] = {}
    if not visitors:
        return submitted
    rows = KbEvent.objects.filter(
        kind=KbEventKind.VISITOR_CASE, created_at__gt=since,
        tenant_id__in={tenant_id for tenant_id, _ in visitors},
        visitor__in={visitor for _, visitor in visitors},
    ).values_list("tenant_id", "visitor", "created_at")
    for tenant_id, visitor, at in rows:
        submitted.setdefault((tenant_id, visitor), []).append(at)
    return submitted


def record_visitor_case(case: Case, visitor: str, now: datetime) -> KbEvent | None:
    """Notes that the reader with key `visitor` submitted `case` (portal, web form): their
    reads in the window before it are then not deflections. Nothing for an empty key (a
    visitor who read nothing has none)."""
    visitor = _visitor(visitor)
    if not visitor:
        return None
    with transaction.atomic():
        return KbEvent.objects.create(tenant_id=case.tenant_id, kind=KbEventKind.VISITOR_CASE,
                                      case=case, visitor=visitor, created_at=now)


def record_search(tenant: Tenant, query: str, results: int, user: User | None,
                  now: datetime) -> KbEvent:
    """A search of the articles and how many it found: the content gaps are the queries that
    found nothing. The query is kept to its first characters (the column's length)."""
    if results < 0:
        raise Invalid("The number of results cannot be negative.", field="results")
    query = clipped(KbEvent, "query", query.strip())
    with transaction.atomic():
        return KbEvent.objects.create(tenant=tenant, kind=KbEventKind.SEARCH, query=query,
                                      results=results, user=user, created_at=now)
