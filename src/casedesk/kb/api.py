"""The knowledge base API: categories, articles, publishing, versions (`/kb/...`).

Every member reads the tenant's articles (internal and public, any status). Managers and
admins change categories and edit, publish, archive and restore articles; agents create and
edit drafts while the tenant's `kb_agents_may_draft` is on (`kb.access`)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Path, Query

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.limits import column_limits
from casedesk.core.schemas import MAX_ID, Error, Text
from casedesk.kb import access, events, selectors, services
from casedesk.kb.models import Article, ArticleVersion
from casedesk.kb.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    StatusName,
    VersionOut,
    VersionPage,
    VisibilityName,
)
from casedesk.tenancy.api_auth import member
from casedesk.tenancy.models import Membership

router = Router(tags=["kb"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
# Writes that carry an article's body: a request over the installation's size limit is
# refused before it is read.
WRITE_ERRORS: dict[int, type[Error]] = {**ERRORS, 413: Error}
_NUMBER = column_limits(ArticleVersion, "number")


def _category_out(node: selectors.CategoryNode) -> dict[str, Any]:
    c = node.category
    return {"id": c.pk, "name": c.name, "slug": c.slug, "parent_id": c.parent_id,
            "position": c.position, "depth": node.depth, "path": node.path,
            "created_at": c.created_at}


def _category_answer(membership: Membership, category_id: int) -> dict[str, Any]:
    node = next(n for n in selectors.category_tree(membership.tenant)
                if n.category.pk == category_id)
    return _category_out(node)


def _summary_out(article: Article, score: float | None = None) -> dict[str, Any]:
    return {
        "id": article.pk, "title": article.title, "slug": article.slug,
        "summary": article.summary, "category_id": article.category_id, "tags": article.tags,
        "language": article.language, "visibility": article.visibility,
        "status": article.status, "author_id": article.author_id, "version": article.version,
        "created_at": article.created_at, "updated_at": article.updated_at,
        "published_at": article.published_at, "score": score,
    }


def _article_out(article: Article) -> dict[str, Any]:
    return {**_summary_out(article), "body": article.body, "body_html": article.body_html,
            "old_slugs": selectors.old_slugs(article)}


def _refuse_nulls(changes: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    for name, value in changes.items():
        if value is None and name not in allowed:
            raise Invalid(f"{name} cannot be null.", field=name)


# --- categories --------------------------------------------------------------------------------


@router.get("/kb/categories", response={200: list[CategoryOut], **ERRORS},
            summary="The category tree")
def list_categories(request: HttpRequest) -> Any:
    """Every category of the tenant, each after its parent (`depth`, `path` tell the tree)."""
    return [_category_out(n) for n in selectors.category_tree(member(request).tenant)]


@router.post("/kb/categories", response={201: CategoryOut, **ERRORS},
             summary="Create a category")
def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
    """Managers and admins; the name is unique among the category's siblings (409)."""
    membership = access.require_categories(member(request))
    category = services.category_create(tenant=membership.tenant, now=clock.now(),
                                        **payload.dict())
    return 201, _category_answer(membership, category.pk)


@router.patch("/kb/categories/{category_id}", response={200: CategoryOut, **ERRORS},
              summary="Rename, move or order a category")
def patch_category(request: HttpRequest, category_id: int, payload: CategoryPatch) -> Any:
    """`parent_id` null moves it to the top level; it cannot move under itself (422)."""
    membership = member(request)
    category = access.get_category_for_member(membership, category_id)
    access.require_categories(membership)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, allowed=("parent_id",))
    services.category_update(category=category, changes=changes)
    return _category_answer(membership, category.pk)


@router.delete("/kb/categories/{category_id}", response={204: None, **ERRORS},
               summary="Delete an empty category")
def delete_category(request: HttpRequest, category_id: int) -> Any:
    """Only a category without articles and subcategories (409 otherwise)."""
    membership = member(request)
    category = access.get_category_for_member(membership, category_id)
    access.require_categories(membership)
    services.category_delete(category=category)
    return 204, None


# --- articles ----------------------------------------------------------------------------------


@router.get("/kb/articles", response={200: ArticlePage, **ERRORS},
            summary="List or search articles")
def list_articles(request: HttpRequest, status: StatusName | None = None,
                  visibility: VisibilityName | None = None,
                  category: int | None = Query(None, ge=1, le=MAX_ID, description=(
                      "Articles in this category or any below it.")),
                  q: Text | None = Query(None, max_length=200, description=(
                      "Full-text search: the best matches first, each with its `score`.")),
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    """The tenant's articles, latest change first (or best match first with `q`)."""
    filters = selectors.ArticleFilters(status=status, visibility=visibility,
                                       category_id=category, q=q)
    membership = member(request)
    page = selectors.article_list(membership.tenant, filters, cursor=cursor, limit=limit)
    if q is not None and q.strip() and not cursor:
        # Only the first page is a search; the next pages are the same search read on.
        events.record_search(membership.tenant, q, len(page.items), membership.user,
                             clock.now())
    return {"items": [_summary_out(a, page.scores.get(a.pk)) for a in page.items],
            "next_cursor": page.next_cursor}


@router.post("/kb/articles", response={201: ArticleOut, **WRITE_ERRORS},
             summary="Create an article (a draft)")
def create_article(request: HttpRequest, payload: ArticleIn) -> Any:
    """A draft; agents may write one while the tenant lets them (`kb_agents_may_draft`)."""
    membership = access.require_draft(member(request))
    article = services.article_create(tenant=membership.tenant, author=membership.user,
                                      now=clock.now(), **payload.dict())
    return 201, _article_out(article)


@router.get("/kb/articles/{article_id}", response={200: ArticleOut, **ERRORS},
            summary="Read an article")
def get_article(request: HttpRequest, article_id: int) -> Any:
    return _article_out(access.get_article_for_member(member(request), article_id))


@router.patch("/kb/articles/{article_id}", response={200: ArticleOut, **WRITE_ERRORS},
              summary="Change an article's working copy")
def patch_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Any:
    """Changes the fields sent. A published article shows the change at once; publishing
    again records it as a version. Agents edit drafts only."""
    membership = member(request)
    article = access.require_edit(membership,
                                  access.get_article_for_member(membership, article_id))
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, allowed=("category_id",))
    return _article_out(services.article_update(article=article, changes=changes,
                                                now=clock.now()))


@router.delete("/kb/articles/{article_id}", response={204: None, **ERRORS},
               summary="Delete a draft that was never published")
def delete_article(request: HttpRequest, article_id: int) -> Any:
    """An article once published is archived instead (409 here)."""
    membership = member(request)
    article = access.require_edit(membership,
                                  access.get_article_for_member(membership, article_id))
    services.article_delete(article=article)
    return 204, None


@router.post("/kb/articles/{article_id}/publish", response={200: ArticleOut, **ERRORS},
             summary="Publish an article")
def publish_article(request: HttpRequest, article_id: int) -> Any:
    """Records the working copy as the next version and publishes it (managers, admins)."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    access.require_publish(membership)
    return _article_out(services.article_publish(article=article, actor=membership.user,
                                                 now=clock.now()))


@router.post("/kb/articles/{article_id}/archive", response={200: ArticleOut, **ERRORS},
             summary="Archive an article")
def archive_article(request: HttpRequest, article_id: int) -> Any:
    """Readers no longer see it; publishing brings it back (managers, admins)."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    access.require_publish(membership)
    return _article_out(services.article_archive(article=article, now=clock.now()))


@router.get("/kb/articles/{article_id}/versions", response={200: VersionPage, **ERRORS},
            summary="An article's published versions")
def list_versions(request: HttpRequest, article_id: int,
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(20, ge=1, le=100)) -> Any:
    """Newest first."""
    article = access.get_article_for_member(member(request), article_id)
    items, next_cursor = selectors.article_versions(article, cursor=cursor, limit=limit)
    return {"items": [VersionOut.from_orm(v) for v in items], "next_cursor": next_cursor}


@router.post("/kb/articles/{article_id}/versions/{number}/restore",
             response={200: ArticleOut, **ERRORS}, summary="Restore an older version")
def restore_version(request: HttpRequest, article_id: int,
                    number: int = Path(..., ge=1, le=_NUMBER["le"])) -> Any:
    """Copies the version's title, summary and body back as the working copy; the status
    stays (a published article shows the restored text; the next publish records it)."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    access.require_publish(membership)
    return _article_out(services.article_restore_version(article=article, number=number,
                                                         now=clock.now()))
