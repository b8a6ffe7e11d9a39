"""The search pages: the console's `/search` (the header's box) and the portal's
`/portal/<slug>/search` (a customer's own cases and the public articles). Both parse the box,
call `selectors.search` with the searcher's scope and render; a case named by its number
(`#1042`, `CS-1042`, or a number alone) opens at once."""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_safe

from casedesk.core.errors import Invalid
from casedesk.core.forms import add_domain_error
from casedesk.portal.views import PortalRequest, customer_page, portal_render
from casedesk.search.forms import PAGE_SIZE, SearchForm
from casedesk.search.selectors import FACETS, Scope, SearchResult, search
from casedesk.tenancy.web import PageRequest, member, member_required

FACET_LABELS = {"status": "Status", "queue": "Queue", "owner": "Owner", "type": "Type"}


def _run(form: SearchForm, scope: Scope) -> tuple[str, int, SearchResult | None]:
    """The query, the page number and the result (None: nothing asked, or refused with the
    reason on the form)."""
    if not form.is_valid():
        return "", 1, None
    q = form.cleaned_data["q"].strip()
    page = form.cleaned_data["page"] or 1
    if not q:
        return q, page, None
    try:
        return q, page, search(scope, q, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    except Invalid as error:
        add_domain_error(form, error)
        return q, page, None


def _opens_at_once(result: SearchResult) -> bool:
    """The query is a case number and nothing else: go to the case."""
    query = result.query
    only_number = not (query.has_text or query.has_filters) or (
        query.maybe_number is not None and query.words == (str(query.maybe_number),)
        and not query.phrases and not query.has_filters)
    return result.jump is not None and only_number


def _context(q: str, page: int, result: SearchResult | None) -> dict[str, Any]:
    facets = []
    if result is not None:
        for name in FACETS:
            values = result.facets.get(name, [])
            if values:
                facets.append({"name": name, "label": FACET_LABELS[name], "values": [
                    {"value": v, "href": "?" + urlencode({"q": f"{q} {v.operator}"}),
                     "active": v.operator in q} for v in values]})
    pages = {}
    if result is not None:
        if page > 1:
            pages["previous"] = "?" + urlencode({"q": q, "page": page - 1})
        if page * PAGE_SIZE < min(result.total, 50 * PAGE_SIZE):
            pages["next"] = "?" + urlencode({"q": q, "page": page + 1})
    return {"q": q, "result": result, "facets": facets, "pages": pages, "page": page,
            "search_q": q}


@require_safe
@member_required
def search_page(request: PageRequest) -> HttpResponse:
    membership = member(request)
    form = SearchForm(request.GET)
    q, page, result = _run(form, Scope.of_member(membership))
    if result is not None and result.jump is not None and _opens_at_once(result):
        return redirect("console:case_detail", number=result.jump.display_number)
    return render(request, "search/search.html", {
        "form": form, "membership": membership, "nav": "search", **_context(q, page, result)},
        status=200 if form.is_valid() else 422)


@require_safe
@customer_page
def portal_search(request: PortalRequest) -> HttpResponseBase:
    assert request.customer is not None  # customer_page lets only customers through
    form = SearchForm(request.GET)
    q, page, result = _run(form, Scope.of_customer(request.customer))
    if result is not None and result.jump is not None and _opens_at_once(result):
        return redirect("portal:case", request.tenant.slug, result.jump.number)
    return portal_render(request, "search/portal_search.html", {
        "form": form, **_context(q, page, result)},
        status=200 if form.is_valid() else 422)


urlpatterns = [
    path("search", search_page, name="search"),
    path("portal/<slug:tenant_slug>/search", portal_search, name="portal_search"),
]
