"""The public help centre of a tenant, `/portal/<tenant slug>/kb/`: no sign-in, only the
tenant's published public articles (`kb.public_access` decides), with its own layout
(`kb/public/base.html`) and no JavaScript.

- the home: the tenant's name as title, a search box (`?q=`: ranked results, each search
  recorded for the content gaps), the categories with their article counts, the latest
  articles;
- a category: its subcategories and articles (a wrong slug in the address redirects to the
  right one);
- an article: the page search engines index (title, meta description, canonical address); an
  old slug redirects (301) to the current one. A person's read is recorded: a visitor's as a
  self-service read (the cookie of `kb.visitors`), a member's of the tenant as a plain view;
  crawlers and HEAD requests are nobody's reads;
- `sitemap.xml`: the home, the categories and every public article with its last change.

Anything a reader may not see answers the same friendly 404 page as what does not exist.
Dates are shown in the tenant's time zone (the tenancy middleware sets it only for members).
"""

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.views.decorators.http import require_safe

from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.core.redirects import site_base
from casedesk.core.text import is_storable, search_term
from casedesk.kb import events, public_access
from casedesk.kb.models import Article
from casedesk.kb.search import query_words
from casedesk.kb.visitors import has_visitor_key, is_reader, remember_visitor, visitor_key
from casedesk.tenancy.middleware import tenant_zone
from casedesk.tenancy.models import Tenant, User

RECENT = 10
RELATED = 5
SEARCH_RESULTS = 20
CATEGORY_PAGE = 50
DESCRIPTION_CHARS = 155

type PublicView = Callable[..., HttpResponse]


def _not_found(request: HttpRequest, tenant: Tenant | None) -> HttpResponse:
    return render(request, "kb/public/not_found.html", {"tenant": tenant}, status=404)


def public_page(view: PublicView) -> PublicView:
    """Finds the tenant the address names and shows the page in its time zone; an unknown
    tenant, and NotFound from `public_access`, answer the help centre's 404 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, tenant_slug: str, **kwargs: Any) -> HttpResponse:
        tenant = None
        try:
            tenant = public_access.get_tenant(tenant_slug)
            with timezone.override(tenant_zone(tenant)):
                return view(request, tenant, **kwargs)
        except NotFound:
            return _not_found(request, tenant)

    return wrapper


def describe(article: Article) -> str:
    """The meta description: the summary, else the start of the body's text, cut at a word
    to about DESCRIPTION_CHARS characters."""
    text = article.summary or html.unescape(strip_tags(article.body_html))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= DESCRIPTION_CHARS:
        return text
    cut = text[:DESCRIPTION_CHARS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def _article_url(tenant: Tenant, article: Article) -> str:
    return reverse("kb:public_article", args=[tenant.slug, article.slug])


@require_safe
@public_page
def public_home(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    q = search_term(request.GET.get("q"))
    results: list[Article] | None = None
    if q:
        results = public_access.search_public(tenant, q, limit=SEARCH_RESULTS)
        # A query of no words (punctuation) is no question the content could answer.
        if is_reader(request) and is_storable(q) and query_words(q):
            events.record_search(tenant, q, len(results), None, clock.now())
    categories = public_access.category_counts(tenant)
    return render(request, "kb/public/home.html", {
        "tenant": tenant, "q": q, "results": results,
        "tree": public_access.nested(categories),
        "recent": public_access.recent_articles(tenant, RECENT) if results is None else [],
        "canonical": site_base(request) + reverse("kb:public_home", args=[tenant.slug]),
    })


@require_safe
@public_page
def public_category(request: HttpRequest, tenant: Tenant, category_id: int,
                    category_slug: str) -> HttpResponse:
    categories = public_access.category_counts(tenant)
    node = next((n for n in categories if n.category.pk == category_id), None)
    if node is None:
        raise NotFound("There is no such category.")
    category = node.category
    here = reverse("kb:public_category", args=[tenant.slug, category.pk, category.slug])
    if category_slug != category.slug:
        return HttpResponsePermanentRedirect(here)
    page = Paginator(public_access.category_articles(tenant, category),
                     CATEGORY_PAGE).get_page(request.GET.get("page"))
    return render(request, "kb/public/category.html", {
        "tenant": tenant, "category": category, "count": node.count, "page": page,
        "path": public_access.category_path(tenant, category)[:-1],
        "children": public_access.subcategories(categories, category),
        "canonical": site_base(request) + here
        + (f"?page={page.number}" if page.number > 1 else ""),
    })


@require_safe
@public_page
def public_article(request: HttpRequest, tenant: Tenant, article_slug: str) -> HttpResponse:
    article = public_access.get_article(tenant, article_slug)
    url = _article_url(tenant, article)
    if article.slug != article_slug:
        return HttpResponsePermanentRedirect(url)
    key = None
    if is_reader(request):
        now = clock.now()
        user = request.user
        if isinstance(user, User) and public_access.is_member(tenant, user.pk):
            events.record_view(article, user=user, now=now)
        else:
            key = visitor_key(request)
            events.record_self_service_read(article, key, now)
    response = render(request, "kb/public/article.html", {
        "tenant": tenant, "article": article, "description": describe(article),
        "canonical": site_base(request) + url,
        "path": public_access.category_path(tenant, article.category),
        "related": public_access.related_articles(article, RELATED),
    })
    if key is not None and not has_visitor_key(request, key):
        remember_visitor(response, key, request)
    return response


def _w3c(moment: datetime | None) -> str:
    """A sitemap's lastmod: the W3C datetime, in UTC, to the second."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@require_safe
@public_page
def public_sitemap(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    base = site_base(request)
    home = reverse("kb:public_home", args=[tenant.slug])
    categories = public_access.category_counts(tenant)
    # An article's address is the home's followed by its slug (the pattern below); built
    # here rather than reversed per article, which costs seconds at tens of thousands.
    articles = ({"loc": f"{base}{home}{quote(a.slug)}", "lastmod": _w3c(a.updated_at)}
                for a in public_access.sitemap_articles(
                    tenant, public_access.SITEMAP_MAX_URLS - 1 - len(categories)))
    return render(request, "kb/public/sitemap.xml", {
        "home": base + home, "home_lastmod": _w3c(public_access.last_change(tenant)),
        "categories": [base + reverse("kb:public_category",
                                      args=[tenant.slug, n.category.pk, n.category.slug])
                       for n in categories],
        "articles": articles,
    }, content_type="application/xml; charset=utf-8")


urlpatterns = [
    path("portal/<slug:tenant_slug>/kb/", public_home, name="public_home"),
    path("portal/<slug:tenant_slug>/kb/sitemap.xml", public_sitemap, name="public_sitemap"),
    path("portal/<slug:tenant_slug>/kb/category/<int:category_id>/<str:category_slug>",
         public_category, name="public_category"),
    path("portal/<slug:tenant_slug>/kb/<str:article_slug>", public_article,
         name="public_article"),
]
