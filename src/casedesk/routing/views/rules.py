"""The routing rules pages: the ordered list (enable, move, drag, delete) and the rule form
with its "try on the last 200 cases" preview.

Admins change rules; managers read the same pages without the controls; agents get a 403.
Every list action answers htmx with the list re-rendered (a refusal as a 4xx text the page
shows as a toast) and a plain form post with a redirect and a message. The form re-renders
itself for its own buttons (add or remove a condition, preview) so that it works the same
without JavaScript; with htmx only the changed part is swapped.
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
from casedesk.routing import selectors, services
from casedesk.routing.access import get_rule_for_member
from casedesk.routing.forms import MAX_ROWS, RuleForm, edit_rows, form_action, mark_row_error
from casedesk.routing.models import RoutingRule
from casedesk.routing.rules import RULE_FIELDS
from casedesk.routing.words import (
    CUSTOM,
    NO_VALUE_OPERATORS,
    field_choices,
    operator_choices,
    operators_by_field,
)
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

FORM_TEMPLATE = "routing/rule_form.html"


# --- the list ---------------------------------------------------------------------------------

def _list_context(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = member(request)
    return {"nav": "routing", "tab": "rules", "lines": selectors.rule_lines(membership.tenant),
            "can_edit": membership.is_admin, **extra}


RULES = AdminList("routing/rules.html", "rules", "routing:rules", _list_context)


@member_required
@require_GET
def rule_list(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return RULES.page(request)


@member_required
@require_POST
def rule_toggle(request: PageRequest, rule_id: int) -> HttpResponse:
    """Enables (`enable=1`) or disables the rule: the state is given, not flipped, so a double
    click cannot undo itself."""
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, rule_id)
    enable = request.POST.get("enable") == "1"
    return RULES.toggled(request, rule.name, enable, lambda: services.rule_update(
        rule=rule, changes={"is_enabled": enable}, now=clock.now()))


@member_required
@require_POST
def rule_move(request: PageRequest, rule_id: int) -> HttpResponse:
    """Moves the rule one place up or down (`direction`), the keyboard's way to reorder."""
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, rule_id)
    return RULES.moved(request, pk=rule.pk, name=rule.name,
                       order=selectors.rule_ids_in_order(membership.tenant),
                       reorder=lambda ids: services.rules_reorder(tenant=membership.tenant,
                                                                  rule_ids=ids),
                       missing=f"No routing rule with id {rule_id}.")


@member_required
@require_POST
def rule_reorder(request: PageRequest) -> HttpResponse:
    """Puts the rules in the order given (what dragging a rule sends)."""
    membership = require_admin(member(request))
    return RULES.reordered(request, "rule_ids", "rule", lambda ids: services.rules_reorder(
        tenant=membership.tenant, rule_ids=ids))


@member_required
@require_POST
def rule_delete(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, rule_id)
    services.rule_delete(rule=rule)
    return RULES.done(request, f"“{rule.name}” deleted.")


# --- the form ---------------------------------------------------------------------------------

def _form_context(membership: Membership, form: RuleForm, rule: RoutingRule | None,
                  **extra: Any) -> dict[str, Any]:
    return {
        "nav": "routing", "tab": "rules", "form": form, "rows": form.rows, "rule": rule,
        "error_field": form.error_field, "can_edit": membership.is_admin,
        "fields": field_choices(RULE_FIELDS), "operators": operator_choices(),
        "ops_by_field": operators_by_field(RULE_FIELDS), "custom_value": CUSTOM,
        "no_value_ops": NO_VALUE_OPERATORS, "max_rows": MAX_ROWS,
        "action_url": (reverse("routing:rule", args=[rule.pk]) if rule is not None
                       else reverse("routing:rule_new")),
        **selectors.rule_form_choices(membership.tenant), **extra,
    }


def _preview(membership: Membership, form: RuleForm, rule: RoutingRule | None
             ) -> selectors.Preview:
    """Where the tenant's last cases would go with the rule as typed among the enabled rules:
    in the rule's own place when it exists, else last (where a new rule goes)."""
    tenant = membership.tenant
    spec = services.rule_spec_from_input(tenant, form.rule_input(),
                                         rule.pk if rule is not None else None)
    rows = services.rule_preview(
        tenant=tenant, draft=spec, replacing_id=rule.pk if rule is not None else None,
        position=selectors.enabled_position(tenant, rule) if rule is not None else None)
    return selectors.preview_of(tenant, rows)


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
def rule_edit(request: PageRequest, rule_id: int) -> HttpResponse:
    """The rule's form (read-only for managers); `?try=1` previews the rule as stored."""
    membership = require_manager(member(request))
    rule = get_rule_for_member(membership, rule_id)
    if request.method == "POST":
        require_admin(membership)
        return _form_post(request, membership, rule)
    extra: dict[str, Any] = {}
    if request.GET.get("try"):
        # The rule exactly as stored (not as the form would re-read it).
        rows = services.rule_preview(
            tenant=membership.tenant, draft=services.spec_of(rule), replacing_id=rule.pk,
            position=selectors.enabled_position(membership.tenant, rule))
        extra["preview"] = selectors.preview_of(membership.tenant, rows)
    return _render_form(request, _form_context(membership, RuleForm(rule=rule), rule, **extra))


def _form_post(request: PageRequest, membership: Membership, rule: RoutingRule | None
               ) -> HttpResponse:
    form = RuleForm(request.POST)
    if request.POST.get("action") == "edit":  # back from the what-if page, as typed
        return _render_form(request, _form_context(membership, form, rule))
    action, row = form_action(request.POST)
    extra: dict[str, Any] = {}
    if action in ("add", "remove"):
        focus = edit_rows(form.rows, action, row)
        if action == "add":
            extra["focus_row"] = focus
        return _render_form(request, _form_context(membership, form, rule, **extra),
                            partial="conditions")
    if not form.is_valid():
        return _render_form(request, _form_context(membership, form, rule), status=422)
    if action == "preview":
        try:
            extra["preview"] = _preview(membership, form, rule)
        except Invalid as error:
            mark_row_error(form.rows, error.detail)
            extra["preview_error"] = error.detail
        return _render_form(request, _form_context(membership, form, rule, **extra),
                            partial="preview")
    return _save(request, membership, form, rule)


def _save(request: PageRequest, membership: Membership, form: RuleForm,
          rule: RoutingRule | None) -> HttpResponse:
    """Creates or changes the rule through the service, which checks all of it first: a
    refusal shows the form again with the reason, and nothing is stored."""
    data = form.rule_input()
    try:
        if rule is None:
            rule = services.rule_create(tenant=membership.tenant, data=data, now=clock.now())
            message = f"Rule “{rule.name}” created at place {rule.position + 1}."
        else:
            rule = services.rule_update(rule=rule, now=clock.now(), changes={
                "name": data.name, "match": data.match, "conditions": data.conditions,
                "actions": data.actions, "is_enabled": data.is_enabled})
            message = f"Rule “{rule.name}” saved."
    except (Invalid, Conflict) as error:
        form.refuse(error)
        return _render_form(request, _form_context(membership, form, rule),
                            status=error.status_code)
    messages.success(request, message)
    return redirect(f"{reverse('routing:rules')}#rule-{rule.pk}")
