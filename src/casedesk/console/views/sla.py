"""The SLA set-up pages, part one: policies (the ordered list — move, enable, delete — and
the form), the SLA settings, and the "Run breach sweep now" button. Calendars and escalation
rules have their own modules.

Admins change things; managers read the same pages without the controls; agents get a 403.
As on the routing pages, list actions answer htmx with the list re-rendered (a refusal as a
4xx text the page shows as a toast) and a plain post with a redirect and a message; a form
that is refused shows again with the reason and what was typed, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.cases.models import Case
from casedesk.console import routing_reads, sla_reads
from casedesk.console.access import get_policy_for_member
from casedesk.console.rule_form import (
    CUSTOM,
    MAX_ROWS,
    NO_VALUE_OPERATORS,
    ConditionRow,
    edit_rows,
    field_choices,
    form_action,
    operator_choices,
    operators_by_field,
)
from casedesk.console.sla_forms import (
    PolicyDraft,
    policy_draft_of,
    policy_draft_of_post,
    refuse_nul,
    settings_of_post,
)
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid, NotFound
from casedesk.core.ordering import moved
from casedesk.core.pages import refused
from casedesk.sla import services
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

LIST_TEMPLATE = "console/sla_policies.html"
FORM_TEMPLATE = "console/sla_policy_form.html"
SETTINGS_TEMPLATE = "console/sla_settings.html"
SWEEP_CASES_SHOWN = 25


# --- the policies list ------------------------------------------------------------------------

def _list_context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"nav": "sla", "tab": "policies", "lines": sla_reads.policy_lines(membership.tenant),
            "can_edit": membership.is_admin, **extra}


def _list_done(request: PageRequest, message: str) -> HttpResponse:
    membership = member(request)
    if request.htmx:
        return render(request, f"{LIST_TEMPLATE}#policies",
                              _list_context(membership, flash=message))
    messages.success(request, message)
    return redirect("console:sla_policies")


def _list_refused(request: PageRequest, error: DomainError) -> HttpResponse:
    return refused(request, error, "console:sla_policies")


@member_required
@require_GET
def sla_home(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return redirect("console:sla_policies")


@member_required
@require_GET
def policy_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    return render(request, LIST_TEMPLATE, _list_context(membership))


@member_required
@require_POST
def policy_toggle(request: PageRequest, policy_id: int) -> HttpResponse:
    """Enables (`enable=1`) or disables the policy: the state is given, not flipped."""
    membership = require_admin(member(request))
    policy = get_policy_for_member(membership, policy_id)
    enable = request.POST.get("enable") == "1"
    try:
        services.policy_update(policy=policy, changes={"is_enabled": enable}, now=clock.now())
    except (Invalid, Conflict) as error:
        return _list_refused(request, error)
    return _list_done(request, f"“{policy.name}” {'enabled' if enable else 'disabled'}.")


@member_required
@require_POST
def policy_move(request: PageRequest, policy_id: int) -> HttpResponse:
    """Moves the policy one place up or down (`direction`)."""
    membership = require_admin(member(request))
    policy = get_policy_for_member(membership, policy_id)
    direction = request.POST.get("direction")
    order = list(SlaPolicy.objects.filter(tenant_id=membership.tenant_id)
                 .order_by("position", "id").values_list("pk", flat=True))
    if policy.pk not in order:  # deleted meanwhile
        raise NotFound(f"No SLA policy {policy_id} in this tenant.")
    move = moved(order, policy.pk, direction)
    if move is None:
        return _list_done(request,
                          f"“{policy.name}” stays at place {order.index(policy.pk) + 1}.")
    new_order, to = move
    try:
        services.policies_reorder(tenant=membership.tenant, policy_ids=new_order,
                                  now=clock.now())
    except (Invalid, Conflict) as error:
        return _list_refused(request, error)
    return _list_done(request, f"“{policy.name}” moved {direction} to place {to + 1}.")


@member_required
@require_POST
def policy_delete(request: PageRequest, policy_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    policy = get_policy_for_member(membership, policy_id)
    services.policy_delete(policy=policy, now=clock.now())
    return _list_done(request, f"“{policy.name}” deleted.")


# --- the policy form --------------------------------------------------------------------------

def _form_context(membership: Membership, draft: PolicyDraft, policy: SlaPolicy | None,
                  **extra: Any) -> dict[str, Any]:
    tenant = membership.tenant
    return {
        "nav": "sla", "tab": "policies", "draft": draft, "policy": policy,
        "can_edit": membership.is_admin,
        "fields": field_choices(), "operators": operator_choices(),
        "ops_by_field": operators_by_field(), "custom_value": CUSTOM,
        "no_value_ops": NO_VALUE_OPERATORS, "max_rows": MAX_ROWS,
        "calendars": list(BusinessCalendar.objects.filter(tenant=tenant).order_by("name")
                          .values_list("pk", "name", "time_zone")),
        "suggestions": routing_reads.form_choices(tenant)["suggestions"],
        "action_url": (reverse("console:sla_policy", args=[policy.pk]) if policy is not None
                       else reverse("console:sla_policy_new")),
        **extra,
    }


def _render_form(request: PageRequest, membership: Membership, context: dict[str, Any], *,
                 partial: str | None = None, status: int = 200) -> HttpResponse:
    template = f"{FORM_TEMPLATE}#{partial}" if partial and request.htmx else FORM_TEMPLATE
    return render(request, template, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def policy_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _form_post(request, membership, None)
    calendar = BusinessCalendar.objects.filter(tenant_id=membership.tenant_id).order_by(
        "name").values_list("pk", flat=True).first()
    draft = PolicyDraft(rows=[ConditionRow(field="priority", op="equals", value="normal")],
                        calendar=str(calendar or ""))
    return _render_form(request, membership, _form_context(membership, draft, None))


@member_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: PageRequest, policy_id: int) -> HttpResponse:
    """The policy's form (read-only for managers)."""
    membership = require_manager(member(request))
    policy = get_policy_for_member(membership, policy_id)
    if request.method == "POST":
        require_admin(membership)
        return _form_post(request, membership, policy)
    return _render_form(request, membership,
                        _form_context(membership, policy_draft_of(policy), policy))


def _form_post(request: PageRequest, membership: Membership, policy: SlaPolicy | None
               ) -> HttpResponse:
    draft = policy_draft_of_post(request.POST)
    action, row = form_action(request.POST)
    if action in ("add", "remove"):
        focus = edit_rows(draft.rows, action, row)
        extra = {"focus_row": focus} if action == "add" else {}
        return _render_form(request, membership,
                            _form_context(membership, draft, policy, **extra),
                            partial="conditions")
    return _save(request, membership, draft, policy)


def _save(request: PageRequest, membership: Membership, draft: PolicyDraft,
          policy: SlaPolicy | None) -> HttpResponse:
    """Creates or changes the policy through the service, which checks all of it first."""
    now = clock.now()
    try:
        refuse_nul(request.POST)
        values = draft.values()
        if policy is None:
            policy = services.policy_create(tenant=membership.tenant, values=values, now=now)
            message = (f"Policy “{policy.name}” created at place {policy.position + 1}. Open "
                       "cases' clocks are being recomputed.")
        else:
            policy = services.policy_update(policy=policy, changes=values, now=now)
            message = f"Policy “{policy.name}” saved. Open cases' clocks are being recomputed."
    except (Invalid, Conflict) as error:
        draft.mark_error(error.detail)
        context = _form_context(membership, draft, policy, error=error.detail,
                                error_field=getattr(error, "field", None) or "")
        return _render_form(request, membership, context, status=error.status_code)
    messages.success(request, message)
    return redirect(f"{reverse('console:sla_policies')}#policy-{policy.pk}")


# --- settings and the sweep -------------------------------------------------------------------

def _settings_context(membership: Membership, **extra: Any) -> dict[str, Any]:
    tenant = membership.tenant
    return {"nav": "sla", "tab": "settings", "can_edit": membership.is_admin,
            "tenant": tenant, "errors": {}, "posted": {}, **extra}


@member_required
@require_http_methods(["GET", "POST"])
def sla_settings(request: PageRequest) -> HttpResponse:
    """Whether clocks pause while a case waits on the customer, and how often the scheduled
    sweep runs (0: only when an admin runs it)."""
    membership = require_manager(member(request))
    if request.method == "GET":
        return render(request, SETTINGS_TEMPLATE,
                              _settings_context(membership))
    require_admin(membership)
    posted = {"sla_pause_when_pending": bool(request.POST.get("sla_pause_when_pending")),
              "sla_sweep_minutes": request.POST.get("sla_sweep_minutes", "")[:10]}
    try:
        changes = settings_of_post(request.POST)
        services.sla_settings_update(tenant=membership.tenant, changes=changes)
    except Invalid as error:
        return render(request, SETTINGS_TEMPLATE,
                              _settings_context(membership, errors={"settings": error.detail},
                                                posted=posted),
                              status=error.status_code)
    minutes = changes["sla_sweep_minutes"]
    messages.success(request, "SLA settings saved: clocks "
                     f"{'pause' if changes['sla_pause_when_pending'] else 'keep running'} while "
                     "a case waits on the customer; the sweep runs "
                     f"{f'every {minutes} min' if minutes else 'only when an admin runs it'}.")
    return redirect("console:sla_settings")


@member_required
@require_POST
def sweep_now(request: PageRequest) -> HttpResponse:
    """Runs the breach sweep over the tenant's open cases now and shows what it did."""
    membership = require_admin(member(request))
    report = services.sla_sweep(now=clock.now(), tenant=membership.tenant)
    if not request.htmx:
        messages.success(request, f"Breach sweep done: {report.summary()}")
        return redirect(f"{reverse('console:sla_settings')}#sweep")
    numbers = list(Case.objects.filter(tenant=membership.tenant, pk__in=report.cases)
                   .order_by("number").values_list("number", flat=True)[:SWEEP_CASES_SHOWN])
    prefix = membership.tenant.case_prefix
    return render(request, f"{SETTINGS_TEMPLATE}#sweep-report",
                          _settings_context(membership, report=report,
                                            breached=[f"{prefix}-{n}" for n in numbers]))


urlpatterns = [
    path("sla/", sla_home, name="sla"),
    path("sla/policies", policy_list, name="sla_policies"),
    path("sla/policies/new", policy_new, name="sla_policy_new"),
    path("sla/policies/<int:policy_id>", policy_edit, name="sla_policy"),
    path("sla/policies/<int:policy_id>/toggle", policy_toggle, name="sla_policy_toggle"),
    path("sla/policies/<int:policy_id>/move", policy_move, name="sla_policy_move"),
    path("sla/policies/<int:policy_id>/delete", policy_delete, name="sla_policy_delete"),
    path("sla/settings", sla_settings, name="sla_settings"),
    path("sla/sweep", sweep_now, name="sla_sweep"),
]
