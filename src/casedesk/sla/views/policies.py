"""SLA policies (the ordered list — move, enable, delete — and the form) and the SLA
settings. The settings page's "Run breach sweep now" button posts to `console:sla_sweep`.

As on the routing pages, list actions answer htmx with the list re-rendered (a refusal as a
4xx text the page shows as a toast) and a plain post with a redirect and a message; a form
that is refused shows again with the reason and what was typed, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.pages import AdminList
from casedesk.routing.forms import MAX_ROWS
from casedesk.routing.selectors import value_suggestions
from casedesk.routing.words import (
    CUSTOM,
    NO_VALUE_OPERATORS,
    field_choices,
    operator_choices,
    operators_by_field,
)
from casedesk.sla import policies, selectors
from casedesk.sla.access import get_policy_for_member
from casedesk.sla.forms import SettingsForm
from casedesk.sla.models import SlaPolicy
from casedesk.sla.policy_forms import PolicyForm
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

FORM_TEMPLATE = "sla/policy_form.html"
SETTINGS_TEMPLATE = "sla/settings.html"


def _list_context(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = member(request)
    return {"nav": "sla", "tab": "policies", "can_edit": membership.is_admin,
            "lines": selectors.policy_lines(membership.tenant), **extra}


POLICIES = AdminList("sla/policies.html", "policies", "sla:policies", _list_context)


@member_required
@require_GET
def sla_home(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return redirect("sla:policies")


@member_required
@require_GET
def policy_list(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return POLICIES.page(request)


@member_required
@require_POST
def policy_toggle(request: PageRequest, policy_id: int) -> HttpResponse:
    """Enables (`enable=1`) or disables the policy: the state is given, not flipped."""
    membership = require_admin(member(request))
    policy = get_policy_for_member(membership, policy_id)
    enable = request.POST.get("enable") == "1"
    return POLICIES.toggled(request, policy.name, enable, lambda: policies.policy_update(
        policy=policy, changes={"is_enabled": enable}, now=clock.now()))


@member_required
@require_POST
def policy_move(request: PageRequest, policy_id: int) -> HttpResponse:
    """Moves the policy one place up or down (`direction`)."""
    membership = require_admin(member(request))
    policy = get_policy_for_member(membership, policy_id)
    return POLICIES.moved(request, pk=policy.pk, name=policy.name,
                          order=selectors.policy_ids_in_order(membership.tenant_id),
                          reorder=lambda ids: policies.policies_reorder(
                              tenant=membership.tenant, policy_ids=ids, now=clock.now()),
                          missing=f"No SLA policy with id {policy_id}.")


@member_required
@require_POST
def policy_delete(request: PageRequest, policy_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    policy = get_policy_for_member(membership, policy_id)
    policies.policy_delete(policy=policy, now=clock.now())
    return POLICIES.done(request, f"“{policy.name}” deleted.")


# --- the policy form --------------------------------------------------------------------------

def _form_page(request: PageRequest, membership: Membership, form: PolicyForm,
               policy: SlaPolicy | None, *, partial: bool = False,
               status: int = 200) -> HttpResponse:
    """The form (or, for htmx, only its conditions after a row button)."""
    tenant = membership.tenant
    error_field, error = form.first_error() if form.is_bound and not partial else ("", "")
    context = {
        "nav": "sla", "tab": "policies", "form": form, "policy": policy,
        "can_edit": membership.is_admin, "error": error, "error_field": error_field,
        "rows": form.rows, "focus_row": form.focus_row,
        "fields": field_choices(), "operators": operator_choices(),
        "ops_by_field": operators_by_field(), "custom_value": CUSTOM,
        "no_value_ops": NO_VALUE_OPERATORS, "max_rows": MAX_ROWS,
        "calendars": selectors.calendar_choices(tenant.pk),
        "suggestions": value_suggestions(tenant),
        "action_url": (reverse("sla:policy", args=[policy.pk]) if policy is not None
                       else reverse("sla:policy_new")),
    }
    template = f"{FORM_TEMPLATE}#conditions" if partial and request.htmx else FORM_TEMPLATE
    return render(request, template, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def policy_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _post(request, membership, None)
    calendars = selectors.calendar_choices(membership.tenant_id)
    form = PolicyForm(calendar_id=calendars[0][0] if calendars else None)
    return _form_page(request, membership, form, None)


@member_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: PageRequest, policy_id: int) -> HttpResponse:
    """The policy's form (read-only for managers)."""
    membership = require_manager(member(request))
    policy = get_policy_for_member(membership, policy_id)
    if request.method == "POST":
        require_admin(membership)
        return _post(request, membership, policy)
    return _form_page(request, membership, PolicyForm(policy=policy), policy)


def _post(request: PageRequest, membership: Membership, policy: SlaPolicy | None
          ) -> HttpResponse:
    """A row button re-renders the conditions; saving creates or changes the policy through
    the service, which checks all of it first."""
    form = PolicyForm(request.POST)
    if request.POST.get("action") == "edit":  # back from the what-if page, as typed
        return _form_page(request, membership, form, policy)
    if form.apply_row_button():
        return _form_page(request, membership, form, policy, partial=True)
    status = Invalid.status_code
    if form.is_valid():
        now = clock.now()
        try:
            if policy is None:
                policy = policies.policy_create(tenant=membership.tenant, values=form.values(),
                                                now=now)
                message = (f"Policy “{policy.name}” created at place {policy.position + 1}. "
                           "Open cases' clocks are being recomputed.")
            else:
                policy = policies.policy_update(policy=policy, changes=form.values(), now=now)
                message = (f"Policy “{policy.name}” saved. Open cases' clocks are being "
                           "recomputed.")
        except (Invalid, Conflict) as error:
            form.refuse(error)
            status = error.status_code
        else:
            messages.success(request, message)
            return redirect(f"{reverse('sla:policies')}#policy-{policy.pk}")
    return _form_page(request, membership, form, policy, status=status)


# --- settings ---------------------------------------------------------------------------------

def _settings_page(request: PageRequest, membership: Membership, form: SettingsForm,
                   status: int = 200) -> HttpResponse:
    _, error = form.first_error() if form.is_bound else ("", "")
    return render(request, SETTINGS_TEMPLATE, {
        "nav": "sla", "tab": "settings", "can_edit": membership.is_admin,
        "tenant": membership.tenant, "form": form, "error": error}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def sla_settings(request: PageRequest) -> HttpResponse:
    """Whether clocks pause while a case waits on the customer, and how often the scheduled
    sweep runs (0: only when an admin runs it)."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    if request.method == "GET":
        return _settings_page(request, membership, SettingsForm(initial={
            "sla_pause_when_pending": tenant.sla_pause_when_pending,
            "sla_sweep_minutes": tenant.sla_sweep_minutes}))
    require_admin(membership)
    form = SettingsForm(request.POST)
    if form.is_valid():
        changes = form.changes()
        try:
            policies.sla_settings_update(tenant=tenant, changes=changes)
        except Invalid as error:
            form.refuse(error)
        else:
            minutes = changes["sla_sweep_minutes"]
            clocks = "pause" if changes["sla_pause_when_pending"] else "keep running"
            sweep = f"every {minutes} min" if minutes else "only when an admin runs it"
            messages.success(request, f"SLA settings saved: clocks {clocks} while a case waits "
                                      f"on the customer; the sweep runs {sweep}.")
            return redirect("sla:settings")
    return _settings_page(request, membership, form, status=Invalid.status_code)
