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
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.console import routing_reads
from casedesk.console.access import get_rule_for_member
from casedesk.console.rule_form import (
    CUSTOM,
    MAX_ROWS,
    NO_VALUE_OPERATORS,
    ConditionRow,
    RuleDraft,
    draft_of_post,
    draft_of_rule,
    edit_rows,
    field_choices,
    form_action,
    operator_choices,
    operators_by_field,
)
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid, NotFound
from casedesk.core.ordering import moved
from casedesk.core.pages import refused
from casedesk.core.schemas import MAX_ID
from casedesk.routing import services
from casedesk.routing.models import RoutingRule
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

LIST_TEMPLATE = "console/routing_rules.html"
FORM_TEMPLATE = "console/routing_rule_form.html"


# --- the list ---------------------------------------------------------------------------------

def _list_context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"nav": "routing", "tab": "rules", "lines": routing_reads.rule_lines(membership.tenant),
            "can_edit": membership.is_admin, **extra}


def _list_done(request: PageRequest, message: str) -> HttpResponse:
    """After a change: htmx gets the list (with the message for screen readers), a plain post
    goes back to the page."""
    membership = member(request)
    if request.htmx:
        return render(request, f"{LIST_TEMPLATE}#rules", _list_context(membership, flash=message))
    messages.success(request, message)
    return redirect("console:routing_rules")


def _list_refused(request: PageRequest, error: DomainError) -> HttpResponse:
    return refused(request, error, "console:routing_rules")


@member_required
@require_GET
def rule_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    return render(request, LIST_TEMPLATE, _list_context(membership))


@member_required
@require_POST
def rule_toggle(request: PageRequest, rule_id: int) -> HttpResponse:
    """Enables (`enable=1`) or disables the rule: the state is given, not flipped, so a double
    click cannot undo itself."""
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, rule_id)
    enable = request.POST.get("enable") == "1"
    try:
        services.rule_update(rule=rule, changes={"is_enabled": enable}, now=clock.now())
    except (Invalid, Conflict) as error:
        return _list_refused(request, error)
    return _list_done(request, f"“{rule.name}” {'enabled' if enable else 'disabled'}.")


def _current_order(membership: Membership) -> list[int]:
    return list(RoutingRule.objects.filter(tenant_id=membership.tenant_id)
                .order_by("position", "id").values_list("pk", flat=True))


@member_required
@require_POST
def rule_move(request: PageRequest, rule_id: int) -> HttpResponse:
    """Moves the rule one place up or down (`direction`), the keyboard's way to reorder."""
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, rule_id)
    direction = request.POST.get("direction")
    order = _current_order(membership)
    if rule.pk not in order:  # deleted meanwhile
        raise NotFound(f"No routing rule {rule_id} in this tenant.")
    move = moved(order, rule.pk, direction)
    if move is None:
        return _list_done(request, f"“{rule.name}” stays at place {order.index(rule.pk) + 1}.")
    new_order, to = move
    try:
        services.rules_reorder(tenant=membership.tenant, rule_ids=new_order)
    except (Invalid, Conflict) as error:
        return _list_refused(request, error)
    return _list_done(request, f"“{rule.name}” moved {direction} to place {to + 1}.")


def _ids(request: PageRequest) -> list[int]:
    """`rule_ids` as repeated fields or one comma-separated field; junk is refused."""
    raw = [part for value in request.POST.getlist("rule_ids") for part in value.split(",")]
    ids = []
    for part in (p.strip() for p in raw):
        if not part.isdecimal() or not 0 < int(part) <= MAX_ID:
            raise Invalid("The order must list rule ids.", field="rule_ids")
        ids.append(int(part))
    return ids


@member_required
@require_POST
def rule_reorder(request: PageRequest) -> HttpResponse:
    """Puts the rules in the order given (what dragging a rule sends)."""
    membership = require_admin(member(request))
    try:
        services.rules_reorder(tenant=membership.tenant, rule_ids=_ids(request))
    except (Invalid, Conflict) as error:
        return _list_refused(request, error)
    return _list_done(request, "Rules reordered.")


@member_required
@require_POST
def rule_delete(request: PageRequest, rule_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    rule = get_rule_for_member(membership, rule_id)
    services.rule_delete(rule=rule)
    return _list_done(request, f"“{rule.name}” deleted.")


# --- the form ---------------------------------------------------------------------------------

def _form_context(membership: Membership, draft: RuleDraft, rule: RoutingRule | None,
                  **extra: Any) -> dict[str, Any]:
    return {
        "nav": "routing", "tab": "rules", "draft": draft, "rule": rule,
        "can_edit": membership.is_admin,
        "fields": field_choices(), "operators": operator_choices(),
        "ops_by_field": operators_by_field(), "custom_value": CUSTOM,
        "no_value_ops": NO_VALUE_OPERATORS, "max_rows": MAX_ROWS,
        "action_url": (reverse("console:routing_rule", args=[rule.pk]) if rule is not None
                       else reverse("console:routing_rule_new")),
        **routing_reads.form_choices(membership.tenant), **extra,
    }


def _preview(membership: Membership, draft: RuleDraft, rule: RoutingRule | None
             ) -> routing_reads.Preview:
    """Where the tenant's last cases would go with the draft among the enabled rules: in the
    rule's own place when it exists, else last (where a new rule goes)."""
    tenant = membership.tenant
    spec = services.rule_spec_from_input(tenant, draft.rule_input(),
                                         rule.pk if rule is not None else None)
    rows = services.rule_preview(
        tenant=tenant, draft=spec, replacing_id=rule.pk if rule is not None else None,
        position=routing_reads.enabled_position(tenant, rule) if rule is not None else None)
    return routing_reads.preview_of(tenant, rows)


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
    draft = RuleDraft(rows=[ConditionRow()])
    return _render_form(request, _form_context(membership, draft, None))


@member_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: PageRequest, rule_id: int) -> HttpResponse:
    """The rule's form (read-only for managers); `?try=1` previews the rule as stored."""
    membership = require_manager(member(request))
    rule = get_rule_for_member(membership, rule_id)
    if request.method == "POST":
        require_admin(membership)
        return _form_post(request, membership, rule)
    draft = draft_of_rule(rule)
    extra: dict[str, Any] = {}
    if request.GET.get("try"):
        # The rule exactly as stored (not as the form would re-read it).
        rows = services.rule_preview(
            tenant=membership.tenant, draft=services.spec_of(rule), replacing_id=rule.pk,
            position=routing_reads.enabled_position(membership.tenant, rule))
        extra["preview"] = routing_reads.preview_of(membership.tenant, rows)
    return _render_form(request, _form_context(membership, draft, rule, **extra))


def _form_post(request: PageRequest, membership: Membership, rule: RoutingRule | None
               ) -> HttpResponse:
    draft = draft_of_post(request.POST)
    action, row = form_action(request.POST)
    extra: dict[str, Any] = {}
    if action in ("add", "remove"):
        focus = edit_rows(draft.rows, action, row)
        if action == "add":
            extra["focus_row"] = focus
        return _render_form(request, _form_context(membership, draft, rule, **extra),
                            partial="conditions")
    if action == "preview":
        try:
            extra["preview"] = _preview(membership, draft, rule)
        except Invalid as error:
            draft.mark_error(error.detail)
            extra.update(preview_error=error.detail)
        return _render_form(request, _form_context(membership, draft, rule, **extra),
                            partial="preview")
    return _save(request, membership, draft, rule)


def _save(request: PageRequest, membership: Membership, draft: RuleDraft,
          rule: RoutingRule | None) -> HttpResponse:
    """Creates or changes the rule through the service, which checks all of it first: a
    refusal shows the form again with the reason, and nothing is stored."""
    data = draft.rule_input()
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
        draft.mark_error(error.detail)
        context = _form_context(membership, draft, rule, error=error.detail,
                                error_field=getattr(error, "field", None) or "")
        return render(request, FORM_TEMPLATE, context, status=error.status_code)
    messages.success(request, message)
    return redirect(f"{reverse('console:routing_rules')}#rule-{rule.pk}")


urlpatterns = [
    path("routing/rules", rule_list, name="routing_rules"),
    path("routing/rules/new", rule_new, name="routing_rule_new"),
    path("routing/rules/reorder", rule_reorder, name="routing_rules_reorder"),
    path("routing/rules/<int:rule_id>", rule_edit, name="routing_rule"),
    path("routing/rules/<int:rule_id>/toggle", rule_toggle, name="routing_rule_toggle"),
    path("routing/rules/<int:rule_id>/move", rule_move, name="routing_rule_move"),
    path("routing/rules/<int:rule_id>/delete", rule_delete, name="routing_rule_delete"),
]
