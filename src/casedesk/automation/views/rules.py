"""The automation rules pages: the ordered list (enable, move, drag, delete), the editor with
its "test on the last 50 cases" preview, and a rule's run log.

Admins change rules; managers read the same pages without the controls; agents get a 403.
The editor re-renders itself for its own buttons (add or remove a condition or an action,
show the fields of a trigger or action kind, preview), so it works without JavaScript; with
htmx only the form or the preview is swapped.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.automation import selectors, services
from casedesk.automation.access import get_rule_for_member
from casedesk.automation.models import AutomationRule, Trigger
from casedesk.automation.rule_forms import RuleForm, edit_action_rows, form_action
from casedesk.automation.rules import ANCHOR_LABELS, STATUSES, WATCHED_FIELDS
from casedesk.automation.templating import VARIABLES
from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.pages import AdminList
from casedesk.core.priority import PRIORITY_CHOICES
from casedesk.routing.forms import MAX_ROWS, edit_rows, mark_row_error
from casedesk.routing.rules import ANY, CASE_FIELDS, OPERATORS
from casedesk.routing.words import (
    CUSTOM,
    FIELD_LABELS,
    NO_VALUE_OPERATORS,
    operator_choices,
)
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

FORM_TEMPLATE = "automation/rule_form.html"
CASE_FIELD_LABELS = {**FIELD_LABELS, "status": "Status", "queue.id": "Queue (id)",
                     "owner.id": "Owner (user id)"}
ACTION_LABELS = {
    "set_fields": "Set fields and tags", "add_note": "Add an internal note",
    "email": "Send an email", "webhook": "Post to a webhook", "create_task": "Create a task",
    "apply_macro": "Apply a macro", "transition": "Move through the lifecycle",
    "acknowledge": "Acknowledge (the acknowledgement mail)",
}


# --- the list ---------------------------------------------------------------------------------

def _list_context(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = member(request)
    return {"nav": "automation", "lines": selectors.rule_lines(membership.tenant),
            "can_edit": membership.is_admin, **extra}


RULES = AdminList("automation/rules.html", "rules", "automation:rules", _list_context)


@member_required
@require_GET
def rule_list(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return RULES.page(request)


@member_required
@require_POST
def rule_toggle(request: PageRequest, automation_rule_id: int) -> HttpResponse:
    """Enables (`enable=1`) or disables the rule: the state is given, not flipped."""
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, automation_rule_id)
    enable = request.POST.get("enable") == "1"
    return RULES.toggled(request, rule.name, enable, lambda: services.rule_update(
        rule=rule, changes={"is_enabled": enable}, now=clock.now()))


@member_required
@require_POST
def rule_move(request: PageRequest, automation_rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, automation_rule_id)
    return RULES.moved(request, pk=rule.pk, name=rule.name,
                       order=selectors.rule_ids_in_order(membership.tenant),
                       reorder=lambda ids: services.rules_reorder(tenant=membership.tenant,
                                                                  rule_ids=ids),
                       missing=f"No automation rule with id {automation_rule_id}.")


@member_required
@require_POST
def rule_reorder(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    return RULES.reordered(request, "rule_ids", "rule", lambda ids: services.rules_reorder(
        tenant=membership.tenant, rule_ids=ids))


@member_required
@require_POST
def rule_delete(request: PageRequest, automation_rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, automation_rule_id)
    services.rule_delete(rule=rule)
    return RULES.done(request, f"“{rule.name}” deleted.")


# --- the editor -------------------------------------------------------------------------------

def _ops_by_field() -> dict[str, list[str]]:
    ops = {name: list(OPERATORS[kind]) for name, kind in CASE_FIELDS.items()}
    ops[CUSTOM] = list(OPERATORS[ANY])
    return ops


def _form_context(membership: Membership, form: RuleForm, rule: AutomationRule | None,
                  **extra: Any) -> dict[str, Any]:
    return {
        "nav": "automation", "form": form, "rows": form.rows, "actions": form.actions,
        "rule": rule, "error_field": form.error_field, "can_edit": membership.is_admin,
        "fields": [(n, CASE_FIELD_LABELS.get(n, n)) for n in CASE_FIELDS] + [
            (CUSTOM, "Custom field…")],
        "operators": operator_choices(), "ops_by_field": _ops_by_field(),
        "custom_value": CUSTOM, "no_value_ops": NO_VALUE_OPERATORS, "max_rows": MAX_ROWS,
        "triggers": Trigger.choices, "watched_fields": WATCHED_FIELDS, "statuses": STATUSES,
        "anchors": list(ANCHOR_LABELS.items()), "action_kinds": list(ACTION_LABELS.items()),
        "priorities": PRIORITY_CHOICES, "variables": list(VARIABLES.items()),
        "action_url": (reverse("automation:rule", args=[rule.pk]) if rule is not None
                       else reverse("automation:rule_new")),
        **selectors.editor_choices(membership.tenant), **extra,
    }


def _render_form(request: PageRequest, context: dict[str, Any], *, partial: str | None = None,
                 status: int = 200) -> HttpResponse:
    template = f"{FORM_TEMPLATE}#{partial}" if partial and request.htmx else FORM_TEMPLATE
    return render(request, template, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def rule_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _form_post(request, membership, None)
    return _render_form(request, _form_context(membership, RuleForm(), None))


@member_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: PageRequest, automation_rule_id: int) -> HttpResponse:
    """The rule's editor (read-only for managers)."""
    membership = require_manager(member(request))
    rule = get_rule_for_member(membership, automation_rule_id)
    if request.method == "POST":
        require_admin(membership)
        return _form_post(request, membership, rule)
    return _render_form(request, _form_context(membership, RuleForm(rule=rule), rule))


def _form_post(request: PageRequest, membership: Membership, rule: AutomationRule | None
               ) -> HttpResponse:
    form = RuleForm(request.POST)
    action, row = form_action(request.POST)
    if action in ("add", "remove", "add_action", "remove_action", "refresh"):
        if action in ("add", "remove"):
            edit_rows(form.rows, action, row)
        else:
            edit_action_rows(form.actions, action, row)
        form.is_valid()  # the form shows what was typed
        return _render_form(request, _form_context(membership, form, rule), partial="form")
    if not form.is_valid():
        return _render_form(request, _form_context(membership, form, rule), status=422)
    if action == "preview":
        extra: dict[str, Any] = {}
        try:
            draft = services.rule_from_input(membership.tenant, form.rule_input(),
                                             rule.pk if rule is not None else None)
            extra["preview"] = services.rule_preview(tenant=membership.tenant, draft=draft,
                                                     now=clock.now())
            extra["preview_is_time"] = draft.trigger == "time"
            extra["preview_runs"] = sum(1 for row in extra["preview"] if row.would_run)
        except Invalid as error:
            mark_row_error(form.rows, error.detail)
            extra["preview_error"] = error.detail
        return _render_form(request, _form_context(membership, form, rule, **extra),
                            partial="preview")
    return _save(request, membership, form, rule)


def _save(request: PageRequest, membership: Membership, form: RuleForm,
          rule: AutomationRule | None) -> HttpResponse:
    """Creates or changes the rule through the service, which checks all of it first: a
    refusal shows the form again with the reason, and nothing is stored."""
    data = form.rule_input()
    try:
        if rule is None:
            rule = services.rule_create(tenant=membership.tenant, actor=membership.user,
                                        data=data, now=clock.now())
            message = f"Rule “{rule.name}” created at place {rule.position + 1}."
        else:
            rule = services.rule_update(rule=rule, now=clock.now(), changes={
                "name": data.name, "description": data.description, "trigger": data.trigger,
                "trigger_options": data.trigger_options, "conditions": data.conditions,
                "actions": data.actions, "match": data.match, "is_enabled": data.is_enabled})
            message = f"Rule “{rule.name}” saved."
    except (Invalid, Conflict) as error:
        form.refuse(error)
        return _render_form(request, _form_context(membership, form, rule),
                            status=error.status_code)
    messages.success(request, message)
    return redirect(f"{reverse('automation:rules')}#rule-{rule.pk}")


# --- the run log ------------------------------------------------------------------------------

@member_required
@require_GET
def rule_runs(request: PageRequest, automation_rule_id: int) -> HttpResponse:
    """The rule's runs, newest first, 50 a page (`?cursor=` from the "older" link)."""
    membership = require_manager(member(request))
    rule = get_rule_for_member(membership, automation_rule_id)
    cursor = (request.GET.get("cursor") or "")[:500] or None
    try:
        page = selectors.rule_runs(membership.tenant, rule, cursor=cursor)
    except Invalid:
        page = selectors.rule_runs(membership.tenant, rule)
    counts = selectors.run_counts(membership.tenant).get(rule.pk, selectors.RunCounts())
    return render(request, "automation/rule_runs.html", {
        "nav": "automation", "rule": rule, "runs": page.items,
        "next_cursor": page.next_cursor, "counts": counts})


urls: list[URLPattern] = [
    path("automations", rule_list, name="rules"),
    path("automations/new", rule_new, name="rule_new"),
    path("automations/reorder", rule_reorder, name="rules_reorder"),
    path("automations/<int:automation_rule_id>", rule_edit, name="rule"),
    path("automations/<int:automation_rule_id>/toggle", rule_toggle, name="rule_toggle"),
    path("automations/<int:automation_rule_id>/move", rule_move, name="rule_move"),
    path("automations/<int:automation_rule_id>/delete", rule_delete, name="rule_delete"),
    path("automations/<int:automation_rule_id>/runs", rule_runs, name="rule_runs"),
]
