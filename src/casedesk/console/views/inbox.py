"""The inbox: my open cases and the unassigned cases of my queues, in claim order."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.cases import ownership, selectors
from casedesk.cases.access import get_case_for_member
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.core.redirects import redirect_back
from casedesk.routing.access import get_queue_for_member
from casedesk.routing.models import Queue
from casedesk.routing.queues import queue_join
from casedesk.tasks.views import due_today_html
from casedesk.tenancy.web import PageRequest, member, member_required

INBOX_SIZE = 50


def _waiting(count: int) -> str:
    return f"{count:,}+" if count >= selectors.QUEUE_COUNT_CAP else f"{count:,}"


def _inbox_context(request: PageRequest) -> dict[str, object]:
    membership = member(request)
    queue_ids = selectors.inbox_queue_ids(membership)
    page = selectors.inbox_cases(membership, limit=INBOX_SIZE, queue_ids=queue_ids,
                                 cursor=request.GET.get("cursor") or None)
    counts = selectors.queue_counts(membership, queue_ids)
    queues = Queue.objects.filter(pk__in=queue_ids).order_by("name")
    joinable = [] if queue_ids else list(Queue.objects.filter(
        tenant_id=membership.tenant_id, is_active=True).order_by("name"))
    return {
        "nav": "inbox", "page": page, "now": clock.now(), "joinable": joinable,
        "queues": [(q, _waiting(counts.get(q.pk, 0))) for q in queues],
        "mine": sum(1 for c in page.items if c.owner_id == membership.user_id),
    }


@member_required
def inbox(request: PageRequest) -> HttpResponse:
    try:
        context = _inbox_context(request)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("console:inbox")
    if request.htmx:
        return render(request, "console/inbox.html#inbox-body", context)
    # The tasks panel comes with the page instead of a request of its own.
    return render(request, "console/inbox.html", {**context, "due_today": due_today_html(request)})


@member_required
@require_POST
def claim(request: PageRequest, number: str) -> HttpResponse:
    """Claims one case; the loser of a race is told who won."""
    membership = member(request)
    try:
        case = get_case_for_member(membership, number)
        ownership.case_claim(case=case, membership=membership, now=clock.now())
    except NotFound:
        raise
    except DomainError as error:
        if request.htmx:
            return HttpResponse(error.detail, status=error.status_code)
        messages.error(request, error.detail)
        return redirect_back(request, request.POST.get("next"), "console:inbox")
    if request.htmx:
        return render(request, "console/inbox.html#inbox-body",
                              _inbox_context(request))
    messages.success(request, f"You claimed {case.display_number}.")
    return redirect_back(request, request.POST.get("next"), "console:inbox")


@member_required
@require_POST
def join_queue(request: PageRequest, queue_id: int) -> HttpResponse:
    """One click from an empty inbox into a queue's work."""
    membership = member(request)
    queue = get_queue_for_member(membership, queue_id)
    try:
        queue_join(queue=queue, membership=membership)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"You joined {queue.name}: its waiting cases are below.")
    return redirect("console:inbox")


@member_required
@require_POST
def claim_next(request: PageRequest, queue_id: int) -> HttpResponse:
    membership = member(request)
    queue = get_queue_for_member(membership, queue_id)
    try:
        case = ownership.case_claim_next(queue=queue, membership=membership, now=clock.now())
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("console:inbox")
    if case is None:
        messages.info(request, f"Nothing is waiting in {queue.name}.")
        return redirect("console:inbox")
    messages.success(request, f"You claimed {case.display_number} from {queue.name}.")
    return redirect("console:case_detail", number=case.display_number)
