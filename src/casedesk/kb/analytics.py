"""Deflection analytics: what the knowledge base's events (`KbEvent`) add up to over a period.

Every figure counts the events of one tenant with `since <= created_at < until`, in SQL: one
grouped query with a conditional count per figure, never a query per article.

Per article:

- views: VIEW events, by members and by readers without an account;
- suggestions shown: SUGGESTION_SHOWN events (each time the article was suggested on a case);
- opened: SUGGESTION_OPENED events (once per case and article, `events.ONCE_PER_CASE`);
- solved: CASE_RESOLVED_BY_ARTICLE events ("this article solved it", once per case);
- self-service deflections: SELF_SERVICE_DEFLECTION events (a visitor read it and no case
  followed, `events.self_service_deflections_settle`);
- self-service reads: the views with a `visitor` (a reader without an account).

Deflection rate = (solved + self-service deflections) / (opened + self-service reads): of the
times the article was put to use — an agent opened it from a case, or a visitor read it — the
share that ended the need for (more) work on a case. A float from 0 to 1, or None when the
denominator is 0 (nothing to judge by). Each event counts in the period it happened in, so a
deflection settled early in a period for a read late in the previous one can lift the rate;
over any longer span the two balance out, and the rate is clamped to 1.

Content gaps: the searches that found nothing (SEARCH events with `results == 0`), grouped by
the lower-cased query, most searched first."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower

from casedesk.core.errors import Invalid
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.tenancy.middleware import tenant_zone
from casedesk.tenancy.models import Tenant

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Whole days as the tenant's people count them: `since` to `until` (exclusive) in its
    time zone, and the instants they start at."""

    since: date
    until: date
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return self.until - timedelta(days=1)


def period(tenant: Tenant, since: date | None, until: date | None, now: datetime) -> Period:
    """The period from `since` to `until` (exclusive); by default the 30 days up to and
    including today in the tenant's zone. Invalid for an empty or reversed period, or one
    longer than MAX_DAYS."""
    zone = tenant_zone(tenant) or UTC
    if until is None:
        until = now.astimezone(zone).date() + timedelta(days=1)
    if since is None:
        if until <= date.min + timedelta(days=DEFAULT_DAYS):
            raise Invalid("until is too early.", field="until")
        since = until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise Invalid("since must be before until.", field="since")
    if (until - since).days > MAX_DAYS:
        raise Invalid(f"The period is at most {MAX_DAYS} days.", field="since")
    return Period(since, until, datetime.combine(since, time.min, tzinfo=zone),
                  datetime.combine(until, time.min, tzinfo=zone))


@dataclass(frozen=True)
class Figures:
    """The counts of a period, for one article or summed over the tenant."""

    views: int
    suggestions_shown: int
    opened: int
    solved: int
    self_service_deflections: int
    self_service_reads: int

    @property
    def deflection_rate(self) -> float | None:
        """(solved + self-service deflections) / (opened + self-service reads); None when
        the denominator is 0."""
        used = self.opened + self.self_service_reads
        if used == 0:
            return None
        return min(1.0, (self.solved + self.self_service_deflections) / used)


@dataclass(frozen=True)
class ArticleFigures(Figures):
    article_id: int
    title: str


@dataclass(frozen=True)
class ContentGap:
    query: str
    searches: int


_SELF_SERVICE_READ = Q(kind=KbEventKind.VIEW) & ~Q(visitor="")
_FIGURES = ("views", "suggestions_shown", "opened", "solved", "self_service_deflections",
            "self_service_reads")
_ARTICLE_KINDS = [KbEventKind.VIEW, KbEventKind.SUGGESTION_SHOWN, KbEventKind.SUGGESTION_OPENED,
                  KbEventKind.CASE_RESOLVED_BY_ARTICLE, KbEventKind.SELF_SERVICE_DEFLECTION]


def _article_events(tenant: Tenant, since: datetime, until: datetime,
                    article_ids: set[int] | None) -> QuerySet[KbEvent]:
    qs = KbEvent.objects.filter(tenant=tenant, kind__in=_ARTICLE_KINDS, article__isnull=False,
                                created_at__gte=since, created_at__lt=until)
    if article_ids is not None:
        qs = qs.filter(article_id__in=article_ids)
    return qs


def _counts() -> dict[str, Count]:
    """One conditional count per figure (`_FIGURES`), each an aggregate over the events."""
    return {
        "views": Count("pk", filter=Q(kind=KbEventKind.VIEW)),
        "suggestions_shown": Count("pk", filter=Q(kind=KbEventKind.SUGGESTION_SHOWN)),
        "opened": Count("pk", filter=Q(kind=KbEventKind.SUGGESTION_OPENED)),
        "solved": Count("pk", filter=Q(kind=KbEventKind.CASE_RESOLVED_BY_ARTICLE)),
        "self_service_deflections": Count("pk",
                                          filter=Q(kind=KbEventKind.SELF_SERVICE_DEFLECTION)),
        "self_service_reads": Count("pk", filter=_SELF_SERVICE_READ),
    }


def article_figures(tenant: Tenant, *, since: datetime, until: datetime,
                    article_ids: set[int] | None = None,
                    limit: int | None = None) -> list[ArticleFigures]:
    """The figures of each article with an event in the period (`until` exclusive), most
    opened first, then most viewed; at most `limit` of them when given."""
    # F(): the counts are named by `_counts()`, which the type checker's plugin cannot follow.
    rows = (_article_events(tenant, since, until, article_ids)
            .values("article_id", "article__title")
            .annotate(**_counts())
            .order_by(F("opened").desc(), F("views").desc(), "article_id"))
    if limit is not None:
        rows = rows[:limit]
    figures: list[ArticleFigures] = []
    for row in rows:
        values: dict[str, Any] = dict(row)
        figures.append(ArticleFigures(article_id=values["article_id"],
                                      title=values["article__title"],
                                      **{name: values[name] for name in _FIGURES}))
    return figures


def tenant_totals(tenant: Tenant, *, since: datetime, until: datetime,
                  article_ids: set[int] | None = None) -> Figures:
    """The same figures summed over every article of the tenant, in one query."""
    row = _article_events(tenant, since, until, article_ids).aggregate(**_counts())
    return Figures(**{name: row[name] or 0 for name in _FIGURES})


def content_gaps(tenant: Tenant, *, since: datetime, until: datetime,
                 limit: int = 20) -> list[ContentGap]:
    """The queries searched most often that found nothing, lower-cased."""
    rows = (KbEvent.objects.filter(tenant=tenant, kind=KbEventKind.SEARCH, results=0,
                                   created_at__gte=since, created_at__lt=until)
            .exclude(query="")
            .annotate(q=Lower("query"))
            .values("q")
            .annotate(searches=Count("pk"))
            .order_by("-searches", "q")[:limit])
    return [ContentGap(query=row["q"], searches=row["searches"]) for row in rows]
