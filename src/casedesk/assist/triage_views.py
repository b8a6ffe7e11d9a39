"""The triage pages: the case page's "Suggested triage" panel with its one-click apply, and
the admins' `/settings/assist` (the model's versions, their measured accuracy, "Train now").

The case page renders the panel with itself (`triage_panel_html`) in its side column.
Applying posts a form: with htmx the panel answers in place and sends
`casedesk:case-changed` (the other panels look again) and `casedesk:triage-applied` (the
panel's script refreshes the case's details and timeline); without JavaScript it goes back
to the case page with a message.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from casedesk.assist import triage_services
from casedesk.assist.triage_choices import TARGET_LABELS, score_rows
from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

PANEL = "assist/triage_panel.html"
SETTINGS = "assist/settings.html"
# The case page swaps a 4xx marked with this header in place of what was asked for.
PARTIAL_HEADER = "X-Case-Partial"
APPLIED_EVENTS = '{"casedesk:case-changed": null, "casedesk:triage-applied": null}'


def _panel_context(case: Case, *, flash: str = "", error: str = "") -> dict[str, object]:
    return {
        "case": case,
        "triage": triage_services.case_triage(case),
        "flash": flash,
        "error": error,
    }


def _panel(
    request: PageRequest, case: Case, *, flash: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    return render(request, PANEL, _panel_context(case, flash=flash, error=error), status=status)


def triage_panel_html(request: PageRequest, case: Case) -> SafeString:
    """The panel's content; the case page renders it with itself."""
    return render_to_string(PANEL, _panel_context(case), request)


@member_required
@require_GET
def case_triage(request: PageRequest, number: str) -> HttpResponse:
    """The panel: each suggestion with its confidence and an apply button, or "agrees"."""
    case = get_case_for_member(member(request), number)
    return _panel(request, case)


@member_required
@require_POST
def case_triage_apply(request: PageRequest, number: str) -> HttpResponse:
    """Sets the one field the posted suggestion (`target`, `value`; a subcategory's
    `category`) is about."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    target = (request.POST.get("target") or "").strip()
    value = request.POST.get("value") or ""
    try:
        case = triage_services.suggestion_apply(
            case=case,
            actor=membership.user,
            target=target,
            value=value,
            category=request.POST.get("category") or "",
            now=clock.now(),
        )
    except (Invalid, Conflict) as error:
        return _refused(request, case, error)
    done = f"{TARGET_LABELS.get(target, target)} set as suggested."
    if not request.htmx:
        messages.success(request, done)
        return redirect("console:case_detail", case.display_number)
    response = _panel(request, case, flash=done)
    response["HX-Trigger"] = APPLIED_EVENTS
    return response


def _refused(request: PageRequest, case: Case, error: DomainError) -> HttpResponse:
    if not request.htmx:
        messages.error(request, error.detail)
        return redirect("console:case_detail", case.display_number)
    response = _panel(request, case, error=error.detail, status=error.status_code)
    response[PARTIAL_HEADER] = "1"
    return response


@member_required
@require_GET
def assist_settings(request: PageRequest) -> HttpResponse:
    """The model's versions, newest first, with how each was trained and measured (managers
    read it, as the other set-up pages)."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    models = triage_services.model_history(tenant)
    current = next((m for m in models if m.usable), None)
    context = {
        "nav": "settings",
        "runs": [(m, score_rows(m.scores)) for m in models],
        "current": current,
        "queued": triage_services.training_queued(tenant),
        "can_train": membership.is_admin,
    }
    return render(request, SETTINGS, context)


@member_required
@require_POST
def assist_train(request: PageRequest) -> HttpResponse:
    """Queues a training run for the worker ("Train now", admins), once however often it is
    pressed."""
    membership = require_admin(member(request))
    asked = triage_services.training_request(tenant=membership.tenant, trigger="web")
    messages.success(
        request,
        "A training run was already queued; the worker will run it."
        if asked.already_queued
        else "Training queued: the worker trains the model from the resolved cases.",
    )
    return redirect("assist:assist_settings")


urlpatterns: list[URLPattern] = [
    path("cases/<str:number>/triage", case_triage, name="case_triage"),
    path("cases/<str:number>/triage/apply", case_triage_apply, name="case_triage_apply"),
    path("settings/assist", assist_settings, name="assist_settings"),
    path("settings/assist/train", assist_train, name="assist_train"),
]
