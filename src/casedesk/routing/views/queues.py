"""Queues and people (`/routing/queues`): each queue's assignment strategy and members, what
routing knows about each member (availability, skills, territory, capacity, load), and the
category → skills table the skills-based strategy reads; and a queue's own page
(`/routing/queues/<id>`, `/routing/queues/new`): its name, description and address, its
members, and archiving or restoring it.

Managers read it; admins create and change queues, strategies, members' routing facts and the
skills table. The forms are plain posts answered with a redirect to the changed part of the
page and a message; a refusal shows the page again with the reason and what was typed, and
nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core.errors import Conflict, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.routing import queues, selectors, services
from casedesk.routing.access import get_queue_for_member
from casedesk.routing.forms import (
    MemberFactsForm,
    MembersForm,
    QueueForm,
    SkillFormSet,
    StrategyForm,
    split_list,
)
from casedesk.routing.models import Queue, Strategy
from casedesk.tenancy.access import get_colleague
from casedesk.tenancy.availability import membership_set_routing_facts
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

TEMPLATE = "routing/queues.html"
FORM_TEMPLATE = "routing/queue_form.html"
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


# --- a queue's own page -------------------------------------------------------------------------

def _queue_page(request: PageRequest, membership: Membership, queue: Queue | None, *,
                form: QueueForm | None = None, members_form: MembersForm | None = None,
                checked: set[int] | None = None, archive_error: str = "",
                status: int = 200) -> HttpResponse:
    """The queue's form and, for a stored queue, its members (`checked`: the user ids sent,
    else its members) and its archive button; the refusal of whichever form was sent is shown
    beside it."""
    return render(request, FORM_TEMPLATE, {
        "nav": "routing", "tab": "queues", "can_edit": membership.is_admin, "queue": queue,
        "form": form or QueueForm(queue=queue),
        "action_url": (reverse("routing:queue", args=[queue.pk]) if queue is not None
                       else reverse("routing:queue_new")),
        "choices": selectors.member_choices(queue, checked) if queue is not None else [],
        "members_errors": ([e for errors in members_form.errors.values() for e in errors]
                           if members_form is not None else []),
        "ties": selectors.queue_ties(queue) if queue is not None else None,
        "archive_error": archive_error,
    }, status=status)


def _refused(request: PageRequest, membership: Membership, queue: Queue | None,
             form: QueueForm, error: Invalid | Conflict) -> HttpResponse:
    form.refuse(error)
    return _queue_page(request, membership, queue, form=form, status=error.status_code)


@member_required
@require_http_methods(["GET", "POST"])
def queue_new(request: PageRequest) -> HttpResponse:
    """A new queue: its name, description and address; its members come next, on its page."""
    membership = require_admin(member(request))
    if request.method != "POST":
        return _queue_page(request, membership, None)
    form = QueueForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, membership, None, form=form, status=Invalid.status_code)
    try:
        queue = queues.queue_create(tenant=membership.tenant, **form.cleaned_data)
    except (Invalid, Conflict) as error:
        return _refused(request, membership, None, form, error)
    messages.success(request, f"Queue “{queue.name}” created. Choose its members below.")
    return redirect(f"{reverse('routing:queue', args=[queue.pk])}#members")


@member_required
@require_http_methods(["GET", "POST"])
def queue_edit(request: PageRequest, queue_id: int) -> HttpResponse:
    """The queue's page (read-only for managers); a post renames it or changes its
    description or address."""
    membership = require_manager(member(request))
    queue = get_queue_for_member(membership, queue_id)
    if request.method != "POST":
        return _queue_page(request, membership, queue)
    require_admin(membership)
    form = QueueForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, membership, queue, form=form, status=Invalid.status_code)
    try:
        queues.queue_update(queue=queue, changes=dict(form.cleaned_data))
    except (Invalid, Conflict) as error:
        return _refused(request, membership, queue, form, error)
    messages.success(request, f"Queue “{queue.name}” saved.")
    return redirect("routing:queue", queue_id=queue.pk)


@member_required
@require_POST
def queue_members(request: PageRequest, queue_id: int) -> HttpResponse:
    """Replaces the queue's members with the ones checked."""
    membership = require_admin(member(request))
    queue = get_queue_for_member(membership, queue_id)
    form = MembersForm(request.POST)
    if form.is_valid():
        chosen: list[int] = form.cleaned_data["members"]
        try:
            queues.queue_set_members(queue=queue, member_ids=chosen)
        except Invalid as error:
            form.refuse(error)
            return _queue_page(request, membership, queue, members_form=form,
                               checked=set(chosen), status=error.status_code)
        count = len(chosen)
        messages.success(request, f"{queue.name} has {count} member{'s' if count != 1 else ''} "
                                  "now.")
        return redirect(f"{reverse('routing:queue', args=[queue.pk])}#members")
    return _queue_page(request, membership, queue, members_form=form,
                       status=Invalid.status_code)


@member_required
@require_POST
def queue_archive(request: PageRequest, queue_id: int) -> HttpResponse:
    """Archives the queue: it takes no new cases (refused while cases wait in it unowned or
    a rule sends cases to it)."""
    membership = require_admin(member(request))
    queue = get_queue_for_member(membership, queue_id)
    try:
        queues.queue_archive(queue=queue)
    except Conflict as error:
        return _queue_page(request, membership, queue, archive_error=error.detail,
                           status=error.status_code)
    messages.success(request, f"{queue.name} is archived: it takes no new cases, and the "
                              "cases in it stay there.")
    return redirect("routing:queue", queue_id=queue.pk)


@member_required
@require_POST
def queue_restore(request: PageRequest, queue_id: int) -> HttpResponse:
    """Brings an archived queue back, with its members, address and strategy."""
    membership = require_admin(member(request))
    queue = get_queue_for_member(membership, queue_id)
    queues.queue_restore(queue=queue)
    messages.success(request, f"{queue.name} is back: it takes new cases again.")
    return redirect("routing:queue", queue_id=queue.pk)
