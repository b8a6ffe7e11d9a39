"""Escalation rules (the list — enable, delete — and the form). Every breach sweep applies
the enabled rules to the open cases they match, once per rule and case.

The form re-renders itself for its own buttons (add or remove a condition), with htmx
swapping only the conditions, as the routing rule form does.
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
from casedesk.sla import escalation, escalation_forms, selectors
from casedesk.sla.access import get_escalation_rule_for_member
from casedesk.sla.escalation_forms import EscalationRuleForm
from casedesk.sla.models import EscalationRule
from casedesk.sla.words import NOTIFY_LABELS
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import member_names
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

FORM_TEMPLATE = "sla/escalation_form.html"
CONDITIONS_HELP = (
    "Ages and idle times are hours (1.5 is an hour and a half); “is one of” takes several "
    "values separated by commas. Priorities are low, normal, high and urgent; statuses new, "
    "open, in progress and pending customer; a queue by its name. A case is escalated once by "
    "each rule, at the first sweep that finds it matching every condition.")


def _list_context(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = member(request)
    return {"nav": "sla", "tab": "escalations", "can_edit": membership.is_admin,
            "lines": selectors.escalation_lines(membership.tenant), **extra}


RULES = AdminList("sla/escalations.html", "escalations", "sla:escalations", _list_context)


@member_required
@require_GET
def rule_list(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return RULES.page(request)


@member_required
@require_POST
def rule_toggle(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_escalation_rule_for_member(membership, rule_id)
    enable = request.POST.get("enable") == "1"
    # Enabling is refused for a rule whose queue has been deactivated since.
    return RULES.toggled(request, rule.name, enable, lambda: escalation.escalation_rule_save(
        tenant=membership.tenant, rule=rule, now=clock.now(), values={"is_enabled": enable}))


@member_required
@require_POST
def rule_delete(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_escalation_rule_for_member(membership, rule_id)
    escalation.escalation_rule_delete(rule=rule)
    return RULES.done(request, f"“{rule.name}” deleted.")


def _form_page(request: PageRequest, membership: Membership, form: EscalationRuleForm,
               rule: EscalationRule | None, queues: list[tuple[int, str, bool]], *,
               partial: bool = False, status: int = 200) -> HttpResponse:
    """The form (or, for htmx, only its conditions after a row button)."""
    error_field, error = form.first_error() if form.is_bound and not partial else ("", "")
    members = member_names(membership.tenant_id, active_only=True)
    everyone = member_names(membership.tenant_id)
    # What the rule names but can no longer be picked stays on the form, marked, so saving
    # it unchanged does not drop it silently (the service then says what is wrong).
    chosen_queue = str(form["queue"].value() or "")
    chosen_users = [str(u) for u in form["notify_user"].value() or []]
    choices = [(pk, name) for pk, name, active in queues if active]
    choices += [(pk, f"{name} (inactive)") for pk, name, active in queues
                if not active and str(pk) == chosen_queue]
    people = list(members.items()) + [
        (pk, f"{name} (inactive)") for pk, name in everyone.items()
        if pk not in members and str(pk) in chosen_users]
    context = {
        "nav": "sla", "tab": "escalations", "form": form, "rule": rule,
        "can_edit": membership.is_admin, "error": error, "error_field": error_field,
        "rows": form.rows, "focus_row": form.focus_row,
        "fields": escalation_forms.field_choices(),
        "operators": escalation_forms.operator_choices(),
        "ops_by_field": escalation_forms.operators_by_field(),
        "custom_value": "", "max_rows": MAX_ROWS, "conditions_help": CONDITIONS_HELP,
        "suggestions": escalation_forms.suggestions([name for _, name, active in queues
                                                     if active]),
        "queues": choices, "notify_roles": list(NOTIFY_LABELS.items()), "members": people,
        "action_url": (reverse("sla:escalation", args=[rule.pk]) if rule is not None
                       else reverse("sla:escalation_new")),
    }
    template = f"{FORM_TEMPLATE}#conditions" if partial and request.htmx else FORM_TEMPLATE
    return render(request, template, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def rule_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    queues = selectors.queue_choices(membership.tenant_id)
    if request.method == "POST":
        return _post(request, membership, None, queues)
    return _form_page(request, membership, EscalationRuleForm(), None, queues)


@member_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_manager(member(request))
    rule = get_escalation_rule_for_member(membership, rule_id)
    queues = selectors.queue_choices(membership.tenant_id)
    if request.method == "POST":
        require_admin(membership)
        return _post(request, membership, rule, queues)
    form = EscalationRuleForm(rule=rule, queue_names={pk: name for pk, name, _ in queues})
    return _form_page(request, membership, form, rule, queues)


def _post(request: PageRequest, membership: Membership, rule: EscalationRule | None,
          queues: list[tuple[int, str, bool]]) -> HttpResponse:
    form = EscalationRuleForm(request.POST, queue_ids={
        name.casefold(): pk for pk, name, _ in queues})
    if form.apply_row_button(escalation_forms.new_row):
        return _form_page(request, membership, form, rule, queues, partial=True)
    status = Invalid.status_code
    if form.is_valid():
        try:
            saved = escalation.escalation_rule_save(tenant=membership.tenant, rule=rule,
                                                  now=clock.now(), values=form.values())
        except (Invalid, Conflict) as error:
            form.refuse(error)
            status = error.status_code
        else:
            messages.success(request, f"Escalation rule “{saved.name}” "
                                      f"{'created' if rule is None else 'saved'}.")
            return redirect(f"{reverse('sla:escalations')}#rule-{saved.pk}")
    return _form_page(request, membership, form, rule, queues, status=status)
