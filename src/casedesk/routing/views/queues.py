"""Queues and people (`/routing/queues`): each queue's assignment strategy and members, what
routing knows about each member (availability, skills, territory, capacity, load), and the
category → skills table the skills-based strategy reads.

Managers read it; admins change strategies, members' routing facts and the skills table.
The forms are plain posts answered with a redirect to the changed part of the page and a
message; a refusal shows the page again with the reason and what was typed, and nothing is
saved.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.routing import queues, selectors, services
from casedesk.routing.access import get_queue_for_member
from casedesk.routing.forms import MemberFactsForm, SkillFormSet, StrategyForm, split_list
from casedesk.routing.models import Strategy
from casedesk.tenancy.access import get_colleague
from casedesk.tenancy.availability import membership_set_routing_facts
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

TEMPLATE = "routing/queues.html"
BLANK_SKILL_ROWS = 3

STRATEGY_HELP = {
    Strategy.MANUAL: "Cases wait in the queue until an agent claims one.",
    Strategy.ROUND_ROBIN: "Each case goes to the next available member in turn.",
    Strategy.LOAD_BALANCED: "Each case goes to the available member with the most room "
                            "left against their capacity (urgent cases weigh double).",
    Strategy.SKILLS: "Each case goes to the least loaded available member who has every "
                     "skill its category needs (see the table below), and its language.",
    Strategy.TERRITORY: "Each case goes to the least loaded available member who works the "
                        "territory of the case's account.",
}


def _page(request: PageRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The page; after a refusal (`status`), with the reason and what was typed."""
    membership = member(request)
    tenant = membership.tenant
    cards, people = selectors.queues_and_people(tenant)
    skills = [(row.category, row.subcategory, ", ".join(row.skills))
              for row in selectors.skill_requirements(tenant)]
    return render(request, TEMPLATE, {
        "nav": "routing", "tab": "queues", "cards": cards, "people": people,
        "can_edit": membership.is_admin, "strategies": Strategy.choices,
        "strategy_help": {str(k): v for k, v in STRATEGY_HELP.items()},
        "skill_rows": skills + [("", "", "")] * BLANK_SKILL_ROWS,
        "categories": selectors.value_suggestions(tenant)["category"],
        **extra,
    }, status=status)


def _back(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('routing:queues')}#{anchor}")


@member_required
@require_GET
def queue_overview(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return _page(request)


@member_required
@require_POST
def queue_strategy(request: PageRequest, queue_id: int) -> HttpResponse:
    """Sets how the queue picks the agent for each case routed to it."""
    membership = require_admin(member(request))
    queue = get_queue_for_member(membership, queue_id)
    form = StrategyForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["strategy"][0]))
        return _back(f"queue-{queue.pk}")
    strategy = Strategy(form.cleaned_data["strategy"])
    queues.queue_update(queue=queue, changes={"strategy": strategy.value})
    messages.success(request, f"{queue.name} now assigns: {strategy.label}.")
    return _back(f"queue-{queue.pk}")


@member_required
@require_POST
def member_facts(request: PageRequest, user_id: int) -> HttpResponse:
    """Sets a member's skills, territory and capacity."""
    membership = require_admin(member(request))
    colleague = get_colleague(membership, user_id)
    form = MemberFactsForm(request.POST, user_id=colleague.user_id)
    if not form.is_valid():
        return _page(request, status=422, member_form=form)
    try:
        membership_set_routing_facts(
            membership=colleague, skills=split_list(form.cleaned_data["skills"]),
            territory=form.cleaned_data["territory"], capacity=form.cleaned_data["capacity"])
    except Invalid as error:
        add_domain_error(form, error)
        return _page(request, status=error.status_code, member_form=form)
    messages.success(request, f"Saved {colleague.user.display_name}'s skills, territory and "
                              "capacity.")
    return _back(f"member-{colleague.user_id}")


@member_required
@require_POST
def skill_requirements(request: PageRequest) -> HttpResponse:
    """Replaces the category → skills table; empty rows are dropped (that is how a row is
    removed)."""
    membership = require_admin(member(request))
    rows = SkillFormSet(request.POST, prefix="sk")
    try:
        services.skill_requirements_set(tenant=membership.tenant,
                                        requirements=rows.requirements())
    except (Invalid, Conflict) as error:
        return _page(request, status=error.status_code, skills_error=error.detail,
                     skill_rows=rows.typed() + [("", "", "")] * BLANK_SKILL_ROWS)
    messages.success(request, "Skills per category saved.")
    return _back("skills")
