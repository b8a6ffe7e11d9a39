"""What the public help centre (`/portal/<tenant slug>/kb/`) may show, and the only way its
pages fetch: a tenant's published public articles, nothing else.

No one signs in there, so every function takes the tenant the URL names and raises NotFound
for anything a reader must not see — an unknown tenant, another tenant's article, a draft, an
internal or archived article, a category holding no public article (its name alone may be
internal) — exactly as for something that does not exist."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from casedesk.core.errors import NotFound
from casedesk.core.text import is_storable
from casedesk.kb import search
from casedesk.kb.models import Article, ArticleSlug, ArticleStatus, KbCategory, Visibility
from casedesk.kb.selectors import category_tree
from casedesk.tenancy.models import Membership, Tenant

VISIBILITY = {Visibility.PUBLIC.value}
STATUSES = {ArticleStatus.PUBLISHED.value}
# A sitemap holds at most 50,000 addresses (sitemaps.org); the home page and the categories
# take some of them.
SITEMAP_MAX_URLS = 50_000


@dataclass(frozen=True)
class PublicCategory:
    """A category of the help centre, with the number of public articles in it and in its
    subcategories."""

    category: KbCategory
    depth: int
    count: int


@dataclass
class TreeNode:
    """A category of the help centre with its subcategories, for a nested list."""

    category: KbCategory
    count: int
    children: list["TreeNode"] = field(default_factory=list)


def public_articles(tenant: Tenant) -> QuerySet[Article]:
    """The tenant's articles a reader may see."""
    return Article.objects.filter(tenant=tenant, visibility__in=VISIBILITY,
                                  status__in=STATUSES)


def get_tenant(slug: str) -> Tenant:
    """The tenant whose help centre `slug` names, or NotFound."""
    tenant = Tenant.objects.filter(slug=slug).first() if is_storable(slug) else None
    if tenant is None:
        raise NotFound("There is no help centre here.")
    return tenant


def is_member(tenant: Tenant, user_id: int | None) -> bool:
    """Whether the signed-in user (`user_id`, None for nobody) works in `tenant`: their reads
    are the desk's own, not self-service."""
    return user_id is not None and Membership.objects.filter(
        tenant=tenant, user_id=user_id, is_active=True).exists()


def get_article(tenant: Tenant, slug: str) -> Article:
    """The published public article with the slug `slug` now or once (an `ArticleSlug`: the
    caller compares `article.slug` and redirects), or NotFound."""
    if is_storable(slug):
        article = (public_articles(tenant).select_related("category").filter(slug=slug)
                   .first())
        if article is None:
            old = (ArticleSlug.objects.filter(tenant=tenant, slug=slug)
                   .values_list("article_id", flat=True).first())
            if old is not None:
                article = public_articles(tenant).select_related("category").filter(
                    pk=old).first()
        if article is not None:
            return article
    raise NotFound("There is no such article.")


def category_counts(tenant: Tenant) -> list[PublicCategory]:
    """The tenant's categories in tree order, each with its public articles counted with
    its subcategories'; the ones without any are left out."""
    own = dict(public_articles(tenant).filter(category__isnull=False).order_by()
               .values("category_id").annotate(n=Count("pk")).values_list("category_id", "n"))
    nodes = category_tree(tenant)
    totals = {node.category.pk: own.get(node.category.pk, 0) for node in nodes}
    # The tree lists each category before its subcategories: backwards, children come first.
    for node in reversed(nodes):
        parent_id = node.category.parent_id
        if parent_id is not None and parent_id in totals:
            totals[parent_id] += totals[node.category.pk]
    return [PublicCategory(node.category, node.depth, totals[node.category.pk])
            for node in nodes if totals[node.category.pk] > 0]


def nested(categories: list[PublicCategory]) -> list[TreeNode]:
    """`categories` (from `category_counts`, in tree order) as a tree: the top ones, each
    with its subcategories."""
    roots: list[TreeNode] = []
    made: dict[int, TreeNode] = {}
    for node in categories:
        item = TreeNode(node.category, node.count)
        made[node.category.pk] = item
        parent = made.get(node.category.parent_id or 0)
        (parent.children if parent is not None else roots).append(item)
    return roots


def get_category(tenant: Tenant, category_id: int) -> PublicCategory:
    """The tenant's category `category_id` when it holds public articles (itself or its
    subcategories), or NotFound."""
    for node in category_counts(tenant):
        if node.category.pk == category_id:
            return node
    raise NotFound("There is no such category.")


def category_path(tenant: Tenant, category: KbCategory | None) -> list[KbCategory]:
    """`category` and its ancestors, the top one first (the breadcrumbs)."""
    if category is None:
        return []
    categories = KbCategory.objects.filter(tenant=tenant).in_bulk()
    path: list[KbCategory] = []
    at: KbCategory | None = categories.get(category.pk, category)
    while at is not None and at not in path:
        path.append(at)
        at = categories.get(at.parent_id) if at.parent_id is not None else None
    return path[::-1]


def subcategories(tree: list[PublicCategory], category: KbCategory) -> list[PublicCategory]:
    """The children of `category` in `tree` (from `category_counts`)."""
    return [node for node in tree if node.category.parent_id == category.pk]


def category_articles(tenant: Tenant, category: KbCategory) -> QuerySet[Article]:
    """The public articles filed directly in `category`, by title."""
    return public_articles(tenant).filter(category=category).order_by("title", "pk")


def recent_articles(tenant: Tenant, limit: int = 10) -> list[Article]:
    """The latest published public articles, newest first."""
    return list(public_articles(tenant).select_related("category")
                .order_by("-published_at", "-pk")[:limit])


def related_articles(article: Article, limit: int = 5) -> list[Article]:
    """Other public articles of `article`'s category, newest first (none when it has no
    category)."""
    if article.category_id is None:
        return []
    return list(public_articles(article.tenant).filter(category_id=article.category_id)
                .exclude(pk=article.pk).order_by("-published_at", "-pk")[:limit])


def search_public(tenant: Tenant, q: str, limit: int = 20) -> list[Article]:
    """The public articles matching `q`, best first (`search.search_articles`)."""
    hits = search.search_articles(tenant.pk, q, visibility=VISIBILITY, statuses=STATUSES,
                                  limit=limit)
    found = public_articles(tenant).select_related("category").in_bulk(
        [hit.article_id for hit in hits])
    return [found[hit.article_id] for hit in hits if hit.article_id in found]


def last_change(tenant: Tenant) -> datetime | None:
    """When a public article last changed (None: there is none)."""
    latest: datetime | None = public_articles(tenant).aggregate(at=Max("updated_at"))["at"]
    return latest


def sitemap_articles(tenant: Tenant, limit: int) -> Iterator[Article]:
    """The public articles for the sitemap (slug and last change), newest change first."""
    return (public_articles(tenant).only("slug", "updated_at", "tenant_id")
            .order_by("-updated_at", "-pk")[:max(limit, 0)].iterator(chunk_size=2000))
