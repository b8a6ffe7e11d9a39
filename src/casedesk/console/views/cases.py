"""The case list (filters, sort by any column, saved views, bulk actions).
The header's search box is the search app's page (`search:search`)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from casedesk.cases import selectors
from casedesk.console import bulk
from casedesk.console.case_columns import sort_headers
from casedesk.console.filters import CaseFilterForm
from casedesk.console.models import SavedView
from casedesk.console.saved_views import saved_view_save
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.redirects import list_redirect
from casedesk.routing.models import Queue
from casedesk.tenancy.selectors import members_of
from casedesk.tenancy.web import PageRequest, member, member_required

PAGE_SIZE = 50


@member_required
def case_list(request: PageRequest) -> HttpResponse:
    membership = member(request)
    form = CaseFilterForm(request.GET or None, membership=membership)
    if request.GET and not form.is_valid() and not form.only_sort_is_wrong():
        messages.error(request, "Some filters were not understood and were ignored.")
    sort = form.sort_order()
    try:
        page = selectors.case_list(membership.tenant, form.to_filters(membership),
                                   cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE,
                                   sort=sort)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("console:case_list")
    query = request.GET.copy()
    query.pop("cursor", None)
    if "sort" in form.errors:  # shown as the form's error, never saved into a view
        query.pop("sort", None)
    next_query = query.copy()
    if page.next_cursor:
        next_query["cursor"] = page.next_cursor
    context = {
        "nav": "cases", "form": form, "page": page, "now": clock.now(), "sort": sort,
        "headers": sort_headers(query, sort),
        "query": query.urlencode(), "next_query": next_query.urlencode(),
        "is_first_page": not request.GET.get("cursor"),
        "saved_views": SavedView.objects.filter(tenant_id=membership.tenant_id,
                                                user_id=membership.user_id),
        "queues": Queue.objects.filter(tenant_id=membership.tenant_id, is_active=True),
        "members": members_of(membership.tenant_id),
        "bulk_statuses": bulk.STATUS_TARGETS,
        "closed_reasons": bulk.closed_reasons(membership),
    }
    if request.htmx and request.htmx.target == "case-results":
        return render(request, "console/case_list.html#results",
                              context)
    return render(request, "console/case_list.html", context)


@member_required
@require_POST
def case_bulk(request: PageRequest) -> HttpResponse:
    """Applies one action to the selected cases, each through its own service call; reports
    what changed and what the lifecycle refused."""
    membership = member(request)
    numbers = request.POST.getlist("numbers")
    back = request.POST.get("back") or ""
    if not numbers:
        messages.error(request, "Select at least one case.")
    else:
        try:
            report = bulk.apply(membership, numbers, request.POST, now=clock.now())
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            if report.changed:
                messages.success(request, f"Updated {len(report.changed)} case"
                                          f"{'s' if len(report.changed) != 1 else ''}.")
            for number, reason in report.refused:
                messages.error(request, f"{number}: {reason}")
    return list_redirect(_list_url(), back)


def _list_url() -> str:
    from django.urls import reverse

    return reverse("console:case_list")


@member_required
@require_POST
def view_save(request: PageRequest) -> HttpResponse:
    membership = member(request)
    query = request.POST.get("query") or ""
    try:
        view = saved_view_save(membership=membership, name=request.POST.get("name") or "",
                               query=query)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Saved the view “{view.name}”.")
    return list_redirect(_list_url(), query)


@member_required
@require_POST
def view_delete(request: PageRequest, view_id: int) -> HttpResponse:
    membership = member(request)
    view = get_object_or_404(SavedView, tenant_id=membership.tenant_id,
                             user_id=membership.user_id, pk=view_id)
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("console:case_list")
