"""What an agent does on the case page: edit a field, give the case to someone, move it
through the lifecycle, write a note or reply, refer work to a team, create a follow-up,
route the case again.

Each view parses the form, fetches the case through the access helper and calls one
service. With htmx, success answers with the page's parts to swap (out of band) and a
refusal with the one part that shows it next to the control; without JavaScript the form
posts normally and the page comes back with a message (or, for a field, with its editor
and the error).
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.cases import creation, ownership, referrals, services
from casedesk.cases.access import get_assignment_for_case, get_case_for_member
from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.lifecycle import NOTE_REQUIRED, Status, allowed_moves
from casedesk.cases.models import Case
from casedesk.console import case_fields, case_reads
from casedesk.console.case_context import TEMPLATE, page_context, render_case
from casedesk.console.field_forms import FieldEditForm, OwnerForm
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid, NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.routing.access import find_queue
from casedesk.routing.models import Queue
from casedesk.tenancy.web import PageRequest, member, member_required

PARTIAL_HEADER = "X-Case-Partial"  # lets case.js swap a refusal (4xx) into its place
CASE_CHANGED = "casedesk:case-changed"


def _page(number: str) -> str:
    return reverse("console:case_detail", args=[number])


def _done(request: PageRequest, number: str, message: str, *,
          reset_composer: bool = False) -> HttpResponse:
    """After a change: htmx gets the header, details and timeline re-rendered out of band;
    a plain form post goes back to the page with the message."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(_page(number))
    case = get_case_for_member(member(request), number)
    context = page_context(request, case, oob=True, flash=message,
                           reset_composer=reset_composer)
    response = render_case(request, case, f"{TEMPLATE}#refresh", context)
    response["HX-Reswap"] = "none"
    # What the case says may have changed: the panels look again. After the settle, so the
    # event reaches the side column's cards this answer swapped in (which wait for it instead
    # of loading themselves), and each panel asks once.
    response["HX-Trigger-After-Settle"] = CASE_CHANGED
    return response


def _refused(request: PageRequest, case: Case, error: DomainError, partial: str,
             **extra: Any) -> HttpResponse:
    """A refusal shown next to the control that caused it; nothing was changed."""
    if not request.htmx:
        messages.error(request, error.detail)
        return redirect(_page(case.display_number))
    context = page_context(request, case, **extra)
    response = render_case(request, case, f"{TEMPLATE}#{partial}", context,
                           status=error.status_code)
    response[PARTIAL_HEADER] = "1"
    return response


def _text(request: PageRequest, name: str) -> str:
    return request.POST.get(name) or ""


@member_required
@require_http_methods(["GET", "POST"])
def case_field(request: PageRequest, number: str, name: str) -> HttpResponse:
    """GET: a field's editor (`?options=1&q=` just the options of a picker, `?cancel=1` the
    field shown again). POST: saves it through `case_update`."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    definitions = case_fields.custom_definitions(case)
    if not case_fields.is_known(name, definitions):
        raise NotFound(f"No field {name!r} on cases.")
    row = case_fields.field_row(case, name, definitions)
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{_page(number)}?edit={name}#{row.dom_id}")
        if not request.GET.get("cancel"):
            case_fields.fill_editor(row, case, membership, definitions,
                                    search=request.GET.get("q", ""))
        partial = "field-options" if request.GET.get("options") else "field"
        return render_case(request, case, f"{TEMPLATE}#{partial}", {"case": case, "row": row})
    try:
        form = FieldEditForm(request.POST, name=name, definitions=definitions)
        services.case_update(case=case, actor=membership.user, changes=form.changes(),
                             now=clock.now())
    except (Invalid, Conflict) as error:
        case_fields.fill_editor(row, case, membership, definitions)
        form.keep(row)
        row.error = error.detail
        if request.htmx:
            response = render_case(request, case, f"{TEMPLATE}#field",
                                   {"case": case, "row": row}, status=error.status_code)
            response[PARTIAL_HEADER] = "1"
            return response
        context = page_context(request, case)
        context["rows"][name] = row
        context["detail_rows"] = [context["rows"].get(r.name, r) for r in context["detail_rows"]]
        return render_case(request, case, TEMPLATE, context, status=error.status_code)
    return _done(request, number, f"{row.label} saved.")


@member_required
@require_POST
def case_owner(request: PageRequest, number: str) -> HttpResponse:
    """Gives the case to a member (keeping its queue) or back to a queue, unassigned."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    try:
        form = OwnerForm(request.POST, membership=membership)
        owner, queue = form.owner()
        ownership.case_change_owner(case=case, actor=membership.user, owner=owner, queue=queue,
                                   now=clock.now())
    except (Invalid, Conflict) as error:
        if not request.htmx:
            messages.error(request, error.detail)
            return redirect(f"{_page(number)}?edit=owner#field-owner")
        definitions = case_fields.custom_definitions(case)
        row = case_fields.fill_editor(case_fields.field_row(case, "owner", definitions), case,
                                      membership, definitions)
        form.keep(row)
        row.error = error.detail
        response = render_case(request, case, f"{TEMPLATE}#field", {"case": case, "row": row},
                               status=error.status_code)
        response[PARTIAL_HEADER] = "1"
        return response
    who = owner.display_name if owner is not None else f"the {queue.name if queue else ''} queue"
    return _done(request, number, f"Given to {who}.")


def _has_dialog(case: Case, to: str) -> bool:
    """Whether the page asks for this move in a dialog (which then shows the refusal)."""
    return to in NOTE_REQUIRED and to in allowed_moves(Status(case.status))


@member_required
@require_POST
def case_transition(request: PageRequest, number: str) -> HttpResponse:
    """Moves the case through the lifecycle; a refusal says why and keeps the typed note."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    to = (request.POST.get("to") or "").strip()
    note, reason = _text(request, "note"), (request.POST.get("closed_reason") or "").strip()
    try:
        services.case_transition(case=case, actor=membership.user, to=to, note=note,
                                 closed_reason=reason, now=clock.now())
    except (Invalid, Conflict) as error:
        return _refused(request, case, error, "header", errors={"transition": error.detail},
                        posted={"to": to, "note": note, "closed_reason": reason,
                                "in_dialog": _has_dialog(case, to)})
    label = Status(to).label.lower()
    return _done(request, number, f"Moved to {label}.")


@member_required
@require_POST
def case_note(request: PageRequest, number: str) -> HttpResponse:
    """Adds an internal note or a public reply, with the files chosen in the composer (a
    public reply mails them); `@name` mentions notify those members. A refused file (too
    large: 413, a type the tenant does not take: 422) keeps the note unwritten."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    body = _text(request, "body")
    is_public = request.POST.get("visibility") == "public"
    uploads = request.FILES.getlist("files")
    try:
        note_add_with_files(case=case, actor=membership.user, body=body, is_public=is_public,
                            now=clock.now(), uploads=uploads)
    except (Invalid, Conflict) as error:
        errors = {"note": error.detail}
        posted = {"body": body, "public": is_public, "had_files": bool(uploads)}
        if request.htmx:
            return _refused(request, case, error, "composer", errors=errors, posted=posted)
        # Without JavaScript the page comes back with the refusal on the composer and the
        # text kept (a redirect would lose it).
        context = page_context(request, case, errors=errors, posted=posted)
        return render_case(request, case, TEMPLATE, context, status=error.status_code)
    return _done(request, number, "Reply added." if is_public else "Internal note added.",
                 reset_composer=True)


def _queue(request: PageRequest, case: Case) -> Queue:
    raw = (request.POST.get("queue") or "").strip()
    queue = None
    if raw.isdecimal() and 0 < int(raw) <= MAX_ID:
        queue = find_queue(request.membership, int(raw))
    if queue is None or not queue.is_active:
        raise Invalid("Choose a team queue to refer the work to.", field="queue")
    return queue


@member_required
@require_POST
def case_assignment_open(request: PageRequest, number: str) -> HttpResponse:
    """Refers part of the work to another team's queue."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    description = _text(request, "description")
    try:
        queue = _queue(request, case)
        referrals.assignment_open(case=case, actor=membership.user, queue=queue,
                                 description=description, now=clock.now())
    except (Invalid, Conflict) as error:
        return _refused(request, case, error, "assignments", errors={"assignment": error.detail},
                        posted={"queue": request.POST.get("queue", ""),
                                "description": description})
    return _done(request, number, f"Referred to {queue.name}.")


@member_required
@require_POST
def case_assignment_close(request: PageRequest, number: str, assignment_id: int
                          ) -> HttpResponse:
    """Closes a referral with a note."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    if not 0 < assignment_id <= MAX_ID:
        raise NotFound(f"No case assignment {assignment_id} on {case.display_number}.")
    assignment = get_assignment_for_case(case, assignment_id)
    note = _text(request, "note")
    try:
        referrals.assignment_close(assignment=assignment, actor=membership.user, note=note,
                                  now=clock.now())
    except (Invalid, Conflict) as error:
        return _refused(request, case, error, "assignments", errors={"close": error.detail},
                        posted={"close_id": assignment_id, "close_note": note})
    return _done(request, number, f"Referral to {assignment.queue.name} closed.")


@member_required
@require_POST
def case_follow_up(request: PageRequest, number: str) -> HttpResponse:
    """Creates a follow-up case of a closed case and opens it."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    try:
        follow_up = creation.case_follow_up_create(case=case, actor=membership.user,
                                                   now=clock.now())
    except (Invalid, Conflict) as error:
        return _refused(request, case, error, "header", errors={"follow_up": error.detail})
    new_number = f"{case.tenant.case_prefix}-{follow_up.number}"
    messages.success(request, f"Follow-up case {new_number} created from "
                              f"{case.display_number}.")
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = _page(new_number)
        return response
    return redirect(_page(new_number))


@member_required
@require_POST
def case_reroute(request: PageRequest, number: str) -> HttpResponse:
    """Routes the open case again with today's rules, fallback map and queue strategies; the
    message says where it went and why (the new `routed` timeline event)."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    try:
        services.case_reroute(case=case, actor=membership.user, now=clock.now())
    except (Invalid, Conflict) as error:
        return _refused(request, case, error, "header", errors={"reroute": error.detail})
    return _done(request, number, case_reads.last_routing_message(case))


urlpatterns = [
    path("cases/<str:number>/fields/<str:name>", case_field, name="case_field"),
    path("cases/<str:number>/owner", case_owner, name="case_owner"),
    path("cases/<str:number>/transition", case_transition, name="case_transition"),
    path("cases/<str:number>/notes", case_note, name="case_note"),
    path("cases/<str:number>/assignments", case_assignment_open, name="case_assignment_open"),
    path("cases/<str:number>/assignments/<int:assignment_id>/close", case_assignment_close,
         name="case_assignment_close"),
    path("cases/<str:number>/follow-up", case_follow_up, name="case_follow_up"),
    path("cases/<str:number>/reroute", case_reroute, name="case_reroute"),
]
