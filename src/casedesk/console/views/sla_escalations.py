"""The SLA set-up pages, part three: escalation rules (the list — enable, delete — and the
form). Every breach sweep applies the enabled rules to the open cases they match, once per
rule and case.

Managers read; admins change. The form re-renders itself for its own buttons (add or remove
a condition), with htmx swapping only the conditions, as the routing rule form does.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.console import escalation_form, sla_reads
from casedesk.console.access import get_escalation_rule_for_member
from casedesk.console.escalation_form import EscalationDraft, draft_of_post, draft_of_rule
from casedesk.console.rule_form import MAX_ROWS, edit_rows, form_action
from casedesk.console.sla_forms import refuse_nul
from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.pages import refused
from casedesk.routing.models import Queue
from casedesk.sla import services
from casedesk.sla.models import EscalationRule
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

LIST_TEMPLATE = "console/sla_escalations.html"
FORM_TEMPLATE = "console/sla_escalation_form.html"
CONDITIONS_HELP = (
    "Ages and idle times are hours (1.5 is an hour and a half); “is one of” takes several "
    "values separated by commas. Priorities are low, normal, high and urgent; statuses new, "
    "open, in progress and pending customer; a queue by its name. A case is escalated once by "
    "each rule, at the first sweep that finds it matching every condition.")


def _list_context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"nav": "sla", "tab": "escalations", "can_edit": membership.is_admin,
            "lines": sla_reads.escalation_lines(membership.tenant), **extra}


def _list_done(request: PageRequest, message: str) -> HttpResponse:
    membership = member(request)
    if request.htmx:
        return render(request, f"{LIST_TEMPLATE}#escalations",
                              _list_context(membership, flash=message))
    messages.success(request, message)
    return redirect("console:sla_escalations")


@member_required
@require_GET
def rule_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    return render(request, LIST_TEMPLATE, _list_context(membership))


@member_required
@require_POST
def rule_toggle(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_escalation_rule_for_member(membership, rule_id)
    enable = request.POST.get("enable") == "1"
    try:
        services.escalation_rule_save(tenant=membership.tenant, rule=rule, now=clock.now(),
                                      values={"is_enabled": enable})
    except (Invalid, Conflict) as error:  # a rule whose queue has been deactivated since
        return refused(request, error, "console:sla_escalations")
    return _list_done(request, f"“{rule.name}” {'enabled' if enable else 'disabled'}.")


@member_required
@require_POST
def rule_delete(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_escalation_rule_for_member(membership, rule_id)
    services.escalation_rule_delete(rule=rule)
    return _list_done(request, f"“{rule.name}” deleted.")


def _queues(membership: Membership) -> list[tuple[int, str, bool]]:
    return list(Queue.objects.filter(tenant_id=membership.tenant_id).order_by("name")
                .values_list("pk", "name", "is_active"))


def _form_context(membership: Membership, draft: EscalationDraft,
                  rule: EscalationRule | None, **extra: Any) -> dict[str, Any]:
    queues = _queues(membership)
    members = sla_reads.member_names(membership.tenant, active_only=True)
    everyone = sla_reads.member_names(membership.tenant)
    # What the rule names but can no longer be picked stays on the form, marked, so saving
    # it unchanged does not drop it silently (the service then says what is wrong).
    chosen_queues = [(pk, name) for pk, name, active in queues if active]
    chosen_queues += [(pk, f"{name} (inactive)") for pk, name, active in queues
                      if not active and str(pk) == draft.queue]
    people = list(members.items()) + [
        (pk, f"{name} (inactive)") for pk, name in everyone.items()
        if pk not in members and str(pk) in draft.users]
    return {
        "nav": "sla", "tab": "escalations", "draft": draft, "rule": rule,
        "can_edit": membership.is_admin,
        "fields": escalation_form.field_choices(),
        "operators": escalation_form.operator_choices(),
        "ops_by_field": escalation_form.operators_by_field(),
        "custom_value": "", "max_rows": MAX_ROWS, "conditions_help": CONDITIONS_HELP,
        "suggestions": escalation_form.suggestions([name for _, name, active in queues
                                                    if active]),
        "queues": chosen_queues,
        "notify_roles": list(escalation_form.NOTIFY_LABELS.items()),
        "members": people,
        "action_url": (reverse("console:sla_escalation", args=[rule.pk]) if rule is not None
                       else reverse("console:sla_escalation_new")),
        **extra,
    }


def _render_form(request: PageRequest, membership: Membership, context: dict[str, Any], *,
                 partial: str | None = None, status: int = 200) -> HttpResponse:
    template = f"{FORM_TEMPLATE}#{partial}" if partial and request.htmx else FORM_TEMPLATE
    return render(request, template, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def rule_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _form_post(request, membership, None)
    draft = EscalationDraft(rows=[escalation_form.new_row()], notify=["owner_manager"])
    return _render_form(request, membership, _form_context(membership, draft, None))


@member_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_manager(member(request))
    rule = get_escalation_rule_for_member(membership, rule_id)
    if request.method == "POST":
        require_admin(membership)
        return _form_post(request, membership, rule)
    queues = {pk: name for pk, name, _ in _queues(membership)}
    return _render_form(request, membership,
                        _form_context(membership, draft_of_rule(rule, queues), rule))


def _form_post(request: PageRequest, membership: Membership, rule: EscalationRule | None
               ) -> HttpResponse:
    draft = draft_of_post(request.POST)
    action, row = form_action(request.POST)
    if action in ("add", "remove"):
        focus = edit_rows(draft.rows, action, row, new_row=escalation_form.new_row)
        extra = {"focus_row": focus} if action == "add" else {}
        return _render_form(request, membership,
                            _form_context(membership, draft, rule, **extra),
                            partial="conditions")
    try:
        refuse_nul(request.POST)
        by_name = {name.casefold(): pk for pk, name, _ in _queues(membership)}
        saved = services.escalation_rule_save(tenant=membership.tenant, rule=rule,
                                              now=clock.now(), values=draft.values(by_name))
    except (Invalid, Conflict) as error:
        draft.mark_error(error.detail)
        context = _form_context(membership, draft, rule, error=error.detail,
                                error_field=getattr(error, "field", None) or "")
        return _render_form(request, membership, context, status=error.status_code)
    messages.success(request, f"Escalation rule “{saved.name}” "
                              f"{'created' if rule is None else 'saved'}.")
    return redirect(f"{reverse('console:sla_escalations')}#rule-{saved.pk}")


urlpatterns = [
    path("sla/escalations", rule_list, name="sla_escalations"),
    path("sla/escalations/new", rule_new, name="sla_escalation_new"),
    path("sla/escalations/<int:rule_id>", rule_edit, name="sla_escalation"),
    path("sla/escalations/<int:rule_id>/toggle", rule_toggle, name="sla_escalation_toggle"),
    path("sla/escalations/<int:rule_id>/delete", rule_delete, name="sla_escalation_delete"),
]
