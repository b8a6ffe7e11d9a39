"""The case page (`/cases/<number>`) and its polls: the collision notice and the `@` mention
completion. Its actions (edits, moves, notes, referrals) are in `case_actions`.

The page comes with its panels (`case_panels`) and with the collision notice, my presence
already recorded: opening a case is one request. The presence poll that follows answers 204
while the notice would not change.
"""

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from casedesk.cases.access import get_case_for_member
from casedesk.cases.merge import merged_target
from casedesk.cases.models import Case
from casedesk.console import case_reads
from casedesk.console.case_context import TEMPLATE, page_context, render_case
from casedesk.console.case_panels import case_panels
from casedesk.console.presence import (
    presence_case,
    presence_digest,
    presence_leave,
    presence_others,
    presence_touch,
)
from casedesk.console.views import case_actions
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.tenancy.models import User
from casedesk.tenancy.web import PageRequest, member, member_required


@member_required
@require_GET
def case_detail(request: PageRequest, number: str) -> HttpResponse:
    """The page; `?edit=<field>` opens a field's editor (the no-JavaScript path of inline
    editing) and `?cursor=` shows older timeline events."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    if case.merged_into_id is not None:
        # A merged case's number leads to the case it was merged into.
        target = merged_target(case)
        messages.info(request, f"{case.display_number} was merged into "
                               f"{target.display_number}.")
        return redirect("console:case_detail", target.display_number)
    cursor = request.GET.get("cursor") or None
    editing = request.GET.get("edit") or None
    try:
        context = page_context(request, case, editing=editing, cursor=cursor,
                               search=request.GET.get("q", ""))
    except Invalid as error:  # a forged cursor
        return HttpResponse(error.detail, status=error.status_code)
    if request.htmx and cursor:
        return render_case(request, case, f"{TEMPLATE}#timeline-page", context)
    if not request.htmx:
        # The page as a browser opens it. An htmx request for the whole page (the triage
        # panel's script reads the header and details from it) gets the panels' slots,
        # which load themselves, and records no presence.
        membership = member(request)
        now = clock.now()
        presence_touch(case=case, user=membership.user, is_typing=False, now=now)
        context.update(_presence(case, membership.user, now),
                       panels=case_panels(request, case))
    return render_case(request, case, TEMPLATE, context)


def _presence(case: Case, user: User, now: datetime) -> dict[str, Any]:
    viewers = presence_others(case=case, user=user, now=now)
    return {"viewers": viewers, "presence_seen": presence_digest(viewers)}


@member_required
@require_POST
def case_presence(request: PageRequest, number: str) -> HttpResponse:
    """The collision poll: records that I have the case open (typing when `typing` is set)
    and answers with who else has; 204 when that is what the page shows (`seen`)."""
    membership = member(request)
    case = presence_case(membership, number)
    now = clock.now()
    presence_touch(case=case, user=membership.user, is_typing=bool(request.POST.get("typing")),
                   now=now)
    context = _presence(case, membership.user, now)
    if request.POST.get("seen") == context["presence_seen"]:
        return HttpResponse(status=204)
    return render(request, f"{TEMPLATE}#presence", context)


@member_required
@require_POST
def case_presence_leave(request: PageRequest, number: str) -> HttpResponse:
    """Sent by the page as it unloads, so the others stop seeing me at once."""
    membership = member(request)
    presence_leave(case=presence_case(membership, number), user=membership.user)
    return HttpResponse(status=204)


@member_required
@require_GET
def case_mentions(request: PageRequest, number: str) -> JsonResponse:
    """Members to complete an `@` in the composer: `?q=` is what follows the @."""
    membership = member(request)
    get_case_for_member(membership, number)
    found = case_reads.mention_candidates(membership.tenant_id, request.GET.get("q", ""))
    return JsonResponse({"members": found})


urlpatterns = [
    *case_actions.urlpatterns,
    path("cases/<str:number>/presence", case_presence, name="case_presence"),
    path("cases/<str:number>/presence/leave", case_presence_leave, name="case_presence_leave"),
    path("cases/<str:number>/mentions", case_mentions, name="case_mentions"),
    path("cases/<str:number>", case_detail, name="case_detail"),
]
