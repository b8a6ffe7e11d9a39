"""Reads of the knowledge base, always for one tenant: article lists (filtered, searched),
an article's versions and the category tree.

A plain list is a keyset page by (updated_at, id), newest change first; a search (`q`) is
ranked by `search.search_articles`, so its pages continue by position in the ranking, up to
MAX_SEARCH_RESULTS hits."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.kb import search
from casedesk.kb.models import Article, ArticleVersion, KbCategory
from casedesk.tenancy.models import Tenant

MAX_SEARCH_RESULTS = 500


@dataclass(frozen=True)
class ArticleFilters:
    status: str | None = None
    visibility: str | None = None
    category_id: int | None = None
    q: str | None = None


@dataclass
class ArticlePage:
    items: list[Article]
    next_cursor: str | None
    # The search's score of each article, when the list is a search.
    scores: dict[int, float] = field(default_factory=dict)


def _bad_cursor() -> Invalid:
    return Invalid("The cursor is not valid; use next_cursor from a previous page.",
                   field="cursor")


def category_with_descendants(tenant: Tenant, category_id: int) -> set[int]:
    """The category's id and its descendants' (empty when the tenant has no such category)."""
    children: dict[int | None, list[int]] = {}
    known: set[int] = set()
    for pk, parent_id in KbCategory.objects.filter(tenant=tenant).values_list("pk",
                                                                               "parent_id"):
        children.setdefault(parent_id, []).append(pk)
        known.add(pk)
    if category_id not in known:
        return set()
    found: set[int] = set()
    pending = [category_id]
    while pending:
        pk = pending.pop()
        if pk not in found:
            found.add(pk)
            pending.extend(children.get(pk, []))
    return found


def _filtered(tenant: Tenant, filters: ArticleFilters) -> QuerySet[Article]:
    qs = Article.objects.filter(tenant=tenant)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.visibility is not None:
        qs = qs.filter(visibility=filters.visibility)
    if filters.category_id is not None:
        qs = qs.filter(category_id__in=category_with_descendants(tenant, filters.category_id))
    return qs


def article_list(tenant: Tenant, filters: ArticleFilters, *, cursor: str | None = None,
                 limit: int = 50) -> ArticlePage:
    """The tenant's articles matching `filters`: by latest change, or by rank for `q`."""
    if filters.q is not None and filters.q.strip():
        return _search_page(tenant, filters, cursor, limit)
    qs = _filtered(tenant, filters)
    if cursor:
        raw_updated, pk = decode_cursor(cursor, length=2)
        updated = _cursor_time(raw_updated)
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk <= MAX_ID:
            raise _bad_cursor()
        qs = qs.filter(Q(updated_at__lt=updated) | Q(updated_at=updated, pk__lt=pk))
    rows = list(qs.select_related("category").order_by("-updated_at", "-pk")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.updated_at.isoformat(), last.pk])
    return ArticlePage(items=rows[:limit], next_cursor=next_cursor)


def _cursor_time(raw: Any) -> datetime:
    try:
        value = parse_datetime(raw) if isinstance(raw, str) else None
        if value is not None and value.tzinfo is not None:
            value.astimezone(UTC)  # a forged offset can push it out of datetime's range
    except (ValueError, OverflowError):
        value = None
    if value is None or value.tzinfo is None:
        raise _bad_cursor()
    return value


def _search_page(tenant: Tenant, filters: ArticleFilters, cursor: str | None,
                 limit: int) -> ArticlePage:
    start = 0
    if cursor:
        (start,) = decode_cursor(cursor, length=1)
        if (not isinstance(start, int) or isinstance(start, bool)
                or not 0 <= start < MAX_SEARCH_RESULTS):
            raise _bad_cursor()
    category_ids = (category_with_descendants(tenant, filters.category_id)
                    if filters.category_id is not None else None)
    hits = search.search_articles(
        tenant.pk, filters.q or "",
        visibility={filters.visibility} if filters.visibility is not None else None,
        statuses={filters.status} if filters.status is not None else None,
        category_ids=category_ids, limit=min(start + limit + 1, MAX_SEARCH_RESULTS))
    window = hits[start:start + limit]
    articles = Article.objects.select_related("category").in_bulk(
        [hit.article_id for hit in window])
    items = [articles[hit.article_id] for hit in window if hit.article_id in articles]
    more = len(hits) > start + limit
    return ArticlePage(items=items,
                       next_cursor=encode_cursor([start + limit]) if more else None,
                       scores={hit.article_id: hit.score for hit in window})


def article_versions(article: Article, *, cursor: str | None = None,
                     limit: int = 50) -> tuple[list[ArticleVersion], str | None]:
    """The article's published versions, newest first, one keyset page at a time."""
    qs = ArticleVersion.objects.filter(article=article)
    if cursor:
        (last,) = decode_cursor(cursor, length=1)
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= MAX_ID:
            raise _bad_cursor()
        qs = qs.filter(number__lt=last)
    rows = list(qs.order_by("-number")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1].number]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def old_slugs(article: Article) -> list[str]:
    """The slugs the article had once published, which still lead to it."""
    return list(article.old_slugs.order_by("created_at", "pk").values_list("slug", flat=True))


@dataclass
class CategoryNode:
    category: KbCategory
    depth: int
    path: list[str]  # the names from the top, the category's own last


def category_tree(tenant: Tenant) -> list[CategoryNode]:
    """The tenant's categories, each after its parent and its siblings in order (position,
    then name): the order a tree shows them in."""
    categories = list(KbCategory.objects.filter(tenant=tenant).order_by("position", "name",
                                                                         "pk"))
    children: dict[int | None, list[KbCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    nodes: list[CategoryNode] = []
    pending: list[tuple[KbCategory, int, list[str]]] = [
        (c, 0, [c.name]) for c in reversed(children.get(None, []))]
    while pending:
        category, depth, path = pending.pop()
        nodes.append(CategoryNode(category, depth, path))
        pending.extend((c, depth + 1, [*path, c.name])
                       for c in reversed(children.get(category.pk, [])))
    return nodes
