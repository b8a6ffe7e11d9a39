"""The what-if pages: `/sla/whatif` and `/routing/whatif`.

The SLA policy form and the routing rule form post their unsaved values here with a "What
if…" button (`formaction`); the page replays them on the last N days and shows what would
have changed, keeping the proposal in hidden inputs so that "Back to edit" posts it back to
its form (`action=edit`, which re-renders the form as typed) and "Replay" tries another
window. `/routing/whatif` also has its own editor for the whole rule list (which rules are
on, in which order). Managers and admins; nothing is saved here, ever.
"""

from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from casedesk.assist import whatif_reads, whatif_runs
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.routing import selectors as routing_selectors
from casedesk.routing.access import get_rule_for_member
from casedesk.routing.forms import RuleForm
from casedesk.routing.rules import RuleSpec
from casedesk.routing.services import spec_of
from casedesk.sla import selectors as sla_selectors
from casedesk.sla.access import get_policy_for_member
from casedesk.sla.policy_forms import PolicyForm
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required, require_manager

SLA_TEMPLATE = "assist/whatif_sla.html"
ROUTING_TEMPLATE = "assist/whatif_routing.html"
DAY_CHOICES = (7, 14, 30, 60, 90)
# What the page does not carry back to the form: its own controls.
OWN_FIELDS = frozenset({"csrfmiddlewaretoken", "action", "days"})
MAX_CARRIED = 400


def _days(data: QueryDict) -> int:
    raw = str(data.get("days") or "").strip()
    if raw.isdecimal() and len(raw) < 4:
        return int(raw)
    return whatif_reads.DEFAULT_DAYS


def _carried(data: QueryDict) -> list[tuple[str, str]]:
    """The proposal as posted, to post back to its form or replay again."""
    return [
        (name, value)
        for name, values in list(data.lists())[:MAX_CARRIED]
        if name not in OWN_FIELDS
        for value in values
    ]


def _id(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdecimal() and len(text) < 19 else None


def _base(membership: Membership, nav: str, days: int, **extra: Any) -> dict[str, Any]:
    return {
        "nav": nav,
        "can_edit": membership.is_admin,
        "days": days,
        "day_choices": DAY_CHOICES,
        "max_days": whatif_reads.MAX_DAYS,
        **extra,
    }


# --- SLA --------------------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def sla_whatif(request: PageRequest) -> HttpResponse:
    """GET `?policy=<id>`: the stored policy replayed as it is; POST: the policy form's
    values (`whatif_policy`: the policy they edit, none for a new one)."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    data = request.POST if request.method == "POST" else request.GET
    days = _days(data)
    policy_id = _id(data.get("whatif_policy") or data.get("policy"))
    editing = get_policy_for_member(membership, policy_id) if policy_id is not None else None
    context = _base(
        membership,
        "sla",
        days,
        policy=editing,
        carried=_carried(data),
        edit_url=(
            reverse("sla:policy", args=[editing.pk])
            if editing is not None
            else reverse("sla:policy_new")
        ),
        policies=sla_selectors.policies_in_order(tenant.pk),
    )
    if request.method == "GET" and editing is None:
        return render(request, SLA_TEMPLATE, context)  # the choice of a policy
    status = 200
    try:
        if request.method == "POST":
            form = PolicyForm(request.POST)
            if not form.is_valid():
                raise Invalid(form.first_error()[1])
            values = form.values()
            position = None
        else:
            values, position = {}, None
        checked = whatif_runs.sla_proposal(tenant=tenant, editing=editing, values=values)
        result = whatif_runs.sla_whatif_out(
            whatif_runs.sla_whatif(
                tenant=tenant,
                values=checked,
                editing=editing,
                position=position,
                days=days,
                now=clock.now(),
            )
        )
        context["result"] = result
        context["targets"] = [
            ("First response", result["first_response"]),
            ("Resolution", result["resolution"]),
        ]
    except Invalid as error:
        context["error"] = error.detail
        status = error.status_code
    return render(request, SLA_TEMPLATE, context, status=status)


# --- routing ----------------------------------------------------------------------------------


def _list_proposal(
    membership: Membership, data: QueryDict
) -> tuple[list[RuleSpec], list[dict[str, Any]]]:
    """The stored rules with the switches and places the list editor sent (`on-<id>`,
    `place-<id>`; nothing sent: as they are), and the editor's rows."""
    rules = routing_selectors.rules_in_order(membership.tenant)
    sent = "mode" in data
    rows: list[dict[str, Any]] = []
    for index, rule in enumerate(rules):
        place = _id(data.get(f"place-{rule.pk}")) if sent else None
        rows.append(
            {
                "rule": rule,
                "place": place if place is not None else index + 1,
                "on": data.get(f"on-{rule.pk}") == "1" if sent else rule.is_enabled,
            }
        )
    rows.sort(key=lambda row: (row["place"], row["rule"].position, row["rule"].pk))
    for number, row in enumerate(rows, start=1):
        row["place"] = number
    return [spec_of(row["rule"]) for row in rows if row["on"]], rows


@member_required
@require_http_methods(["GET", "POST"])
def routing_whatif(request: PageRequest) -> HttpResponse:
    """GET: the rule list editor (switches and order) with the current rules replayed;
    POST `mode=list`: the list as edited; POST from the rule form: that rule tried in its
    place among the enabled rules (`whatif_rule`: the rule it edits, none for a new one)."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    data = request.POST if request.method == "POST" else request.GET
    days = _days(data)
    specs, rows = _list_proposal(membership, data)
    from_form = request.method == "POST" and "mode" not in data
    rule_id = _id(data.get("whatif_rule")) if from_form else None
    editing = get_rule_for_member(membership, rule_id) if rule_id is not None else None
    context = _base(
        membership,
        "routing",
        days,
        rows=rows,
        from_form=from_form,
        rule=editing,
        carried=_carried(data) if from_form else [],
        edit_url=(
            reverse("routing:rule", args=[editing.pk])
            if editing is not None
            else reverse("routing:rule_new")
        ),
    )
    status = 200
    try:
        if from_form:
            form = RuleForm(request.POST)
            if not form.is_valid():
                raise Invalid("The rule form was not understood; go back to edit it.")
            context["draft_name"] = form.cleaned_data["name"]
            specs = whatif_runs.rules_with_draft(
                tenant, form.rule_input(), editing=editing, position=None
            )
        context["result"] = whatif_runs.routing_whatif_out(
            whatif_runs.routing_whatif(tenant=tenant, specs=specs, days=days, now=clock.now())
        )
    except Invalid as error:
        context["error"] = error.detail
        status = error.status_code
    return render(request, ROUTING_TEMPLATE, context, status=status)


urlpatterns = [
    path("sla/whatif", sla_whatif, name="sla_whatif"),
    path("routing/whatif", routing_whatif, name="routing_whatif"),
]
