"""The case page's "Calls" panel: the case's logged calls, the latest first, and a form to
log one.

The case page renders the panel with itself (`calls_panel_html`, through the console's
`case_panels`) and loads it again when the case changes. Logging a call with htmx answers
with the panel in place and sends `casedesk:case-changed` (the other panels look again) and
`casedesk:call-logged` (the panel's script reads the case's timeline again); a refusal
answers with the panel and the form's errors. Without JavaScript the form posts normally and
goes back to the case page with a message."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from casedesk.calls import selectors, services
from casedesk.calls.domain import duration_text, outcome_text
from casedesk.calls.forms import CallForm
from casedesk.calls.models import Call, Direction
from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.tenancy.web import PageRequest, member, member_required

PANEL = "calls/partials/_calls_panel.html"
# The case page swaps a 4xx marked with this header in place of what was asked for.
PARTIAL_HEADER = "X-Case-Partial"
LOGGED_EVENTS = '{"casedesk:case-changed": null, "casedesk:call-logged": null}'
SHOWN = 50  # the latest calls on the page; the API lists them all


@dataclass(frozen=True)
class CallRow:
    """A call as the panel shows it."""

    call: Call
    is_inbound: bool
    duration: str
    outcome: str


def _rows(case: Case) -> list[CallRow]:
    return [
        CallRow(
            call=call,
            is_inbound=call.direction == Direction.INBOUND,
            duration=duration_text(call.duration_seconds),
            outcome=outcome_text(call.outcome),
        )
        for call in selectors.calls_of_case(case, limit=SHOWN)
    ]


def _form(case: Case, data: Any = None) -> CallForm:
    # Prefixed: the panel's fields keep their own ids beside the rest of the case page.
    return CallForm(data, prefix=f"case-call-{case.number}")


def _context(case: Case, form: CallForm, *, flash: str = "") -> dict[str, Any]:
    return {"case": case, "rows": _rows(case), "shown": SHOWN, "form": form, "flash": flash}


def calls_panel_html(request: PageRequest, case: Case) -> SafeString:
    """The panel's content as it first shows; the case page renders it with itself."""
    return render_to_string(PANEL, _context(case, _form(case)), request)


def _panel(
    request: PageRequest, case: Case, form: CallForm, *, flash: str = "", status: int = 200
) -> HttpResponse:
    response = render(request, PANEL, _context(case, form, flash=flash), status=status)
    if status >= 400:
        response[PARTIAL_HEADER] = "1"  # swapped in all the same (console's case.js)
    return response


@member_required
@require_GET
def case_panel(request: PageRequest, number: str) -> HttpResponse:
    case = get_case_for_member(member(request), number)
    return _panel(request, case, _form(case))


@member_required
@require_POST
def call_add(request: PageRequest, number: str) -> HttpResponse:
    """Logs a call on the case; any member who may see the case may."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    form = _form(case, request.POST)
    status = Invalid.status_code
    if form.is_valid():
        try:
            services.call_log(
                case=case, actor=membership.user, data=form.call_input(), now=clock.now()
            )
        except DomainError as error:
            add_domain_error(form, error, CallForm.SERVICE_FIELDS)
            status = error.status_code
        else:
            if not request.htmx:
                messages.success(request, "Call logged.")
                return redirect("console:case_detail", case.display_number)
            response = _panel(request, case, _form(case), flash="Call logged.")
            response["HX-Trigger-After-Settle"] = LOGGED_EVENTS
            return response
    if not request.htmx:
        problems = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, f"The call was not logged. {problems}")
        return redirect("console:case_detail", case.display_number)
    return _panel(request, case, form, status=status)
