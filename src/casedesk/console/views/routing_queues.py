"""Queues and people (`/routing/queues`): each queue's assignment strategy and members, what
routing knows about each member (availability, skills, territory, capacity, load), and the
category → skills table the skills-based strategy reads.

Managers read it; admins change strategies, members' routing facts and the skills table.
The forms are plain posts answered with a redirect and a message; a refusal shows the page
again with the reason and what was typed, and nothing is saved.
"""

import re
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from casedesk.console import routing_reads
from casedesk.console.access import get_queue_for_member
from casedesk.console.rule_form import split_list
from casedesk.core.errors import Conflict, DomainError, Invalid
from casedesk.routing import services
from casedesk.routing.models import Strategy
from casedesk.tenancy.availability import membership_set_routing_facts
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    get_colleague,
    member,
    member_required,
    require_admin,
    require_manager,
)

TEMPLATE = "console/routing_queues.html"
BLANK_SKILL_ROWS = 3
MAX_SKILL_ROWS = 500
_SKILL_ROW = re.compile(r"^sk-(\d{1,3})-category$")

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


def _page(membership: Membership, *, status: int = 200, request: PageRequest,
          **extra: Any) -> HttpResponse:
    cards, people = routing_reads.queues_and_people(membership.tenant)
    skills = [(row.category, row.subcategory, ", ".join(row.skills))
              for row in routing_reads.skill_rows(membership.tenant)]
    context = {
        "nav": "routing", "tab": "queues", "cards": cards, "people": people,
        "can_edit": membership.is_admin, "strategies": Strategy.choices,
        "strategy_help": {str(k): v for k, v in STRATEGY_HELP.items()},
        "skill_rows": skills + [("", "", "")] * BLANK_SKILL_ROWS,
        "categories": routing_reads.form_choices(membership.tenant)["suggestions"]["category"],
        "errors": {}, "posted": {},
    }
    context.update(extra)
    return render(request, TEMPLATE, context, status=status)


def _back(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('console:routing_queues')}#{anchor}")


@member_required
@require_GET
def queue_overview(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    return _page(membership, request=request)


@member_required
@require_POST
def queue_strategy(request: PageRequest, queue_id: int) -> HttpResponse:
    """Sets how the queue picks the agent for each case routed to it."""
    membership = require_admin(member(request))
    queue = get_queue_for_member(membership, queue_id)
    strategy = request.POST.get("strategy") or ""
    if strategy not in Strategy.values:
        messages.error(request, f"Choose one of the strategies: {', '.join(Strategy.labels)}.")
        return _back(f"queue-{queue.pk}")
    services.queue_update(queue=queue, changes={"strategy": strategy})
    messages.success(request, f"{queue.name} now assigns: {Strategy(strategy).label}.")
    return _back(f"queue-{queue.pk}")


@member_required
@require_POST
def member_facts(request: PageRequest, user_id: int) -> HttpResponse:
    """Sets a member's skills, territory and capacity."""
    membership = require_admin(member(request))
    colleague = get_colleague(membership, user_id)
    raw_capacity = (request.POST.get("capacity") or "").strip()
    skills, territory = request.POST.get("skills", ""), request.POST.get("territory", "")
    posted = {"user_id": colleague.user_id, "skills": skills, "territory": territory,
              "capacity": raw_capacity}
    try:
        if not raw_capacity.isdecimal() or len(raw_capacity) > 6:
            raise Invalid("Capacity is a whole number of open cases, such as 20.",
                          field="capacity")
        membership_set_routing_facts(membership=colleague, skills=split_list(skills),
                                     territory=territory, capacity=int(raw_capacity))
    except Invalid as error:
        return _page(membership, request=request, status=error.status_code,
                     errors={"member": error.detail}, posted=posted)
    messages.success(request, f"Saved {colleague.user.display_name}'s skills, territory and "
                              "capacity.")
    return _back(f"member-{colleague.user_id}")


def _skill_rows(request: PageRequest) -> list[tuple[str, str, str]]:
    indexes = sorted(int(m.group(1)) for key in request.POST
                     if (m := _SKILL_ROW.match(key)) is not None)[:MAX_SKILL_ROWS]
    return [(request.POST.get(f"sk-{i}-category", "")[:80],
             request.POST.get(f"sk-{i}-subcategory", "")[:80],
             request.POST.get(f"sk-{i}-skills", "")[:2_000]) for i in indexes]


@member_required
@require_POST
def skill_requirements(request: PageRequest) -> HttpResponse:
    """Replaces the category → skills table; empty rows are dropped (that is how a row is
    removed)."""
    membership = require_admin(member(request))
    rows = _skill_rows(request)
    kept = [(category, subcategory, split_list(skills)) for category, subcategory, skills in rows
            if category.strip() or subcategory.strip() or skills.strip()]
    try:
        services.skill_requirements_set(tenant=membership.tenant, requirements=kept)
    except (Invalid, Conflict) as error:
        return _refused_skills(request, membership, error, rows)
    messages.success(request, "Skills per category saved.")
    return _back("skills")


def _refused_skills(request: PageRequest, membership: Membership, error: DomainError,
                    rows: list[tuple[str, str, str]]) -> HttpResponse:
    return _page(membership, request=request, status=error.status_code,
                 errors={"skills": error.detail},
                 skill_rows=rows + [("", "", "")] * BLANK_SKILL_ROWS)


urlpatterns = [
    path("routing/queues", queue_overview, name="routing_queues"),
    path("routing/queues/<int:queue_id>/strategy", queue_strategy,
         name="routing_queue_strategy"),
    path("routing/members/<int:user_id>", member_facts, name="routing_member"),
    path("routing/skills", skill_requirements, name="routing_skills"),
]
