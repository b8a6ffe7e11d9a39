"""The kanban board: a column per status, and moves through the lifecycle by drag and drop,
by the keyboard, or (without JavaScript) by a plain form post.

The board only shows and asks: every move goes to `case_transition`, which decides. Each
column reads a bounded number of cards and a count capped by a LIMIT subquery, so the page
costs the same at 1,000,000 cases as at 100.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib import messages
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from casedesk.cases import selectors, services
from casedesk.cases.access import get_case_for_member
from casedesk.cases.lifecycle import NOTE_REQUIRED, Status, allowed_moves, case_age, is_open
from casedesk.cases.models import Case
from casedesk.cases.selectors import CaseFilters
from casedesk.console import bulk
from casedesk.console.filters import CaseFilterForm
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.redirects import list_query
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required

CARDS_PER_COLUMN = 25
COUNT_CAP = 50
# Query parameters that belong to the board, not to the case filters.
BOARD_PARAMS = ("column", "sort", "cursor")


@dataclass
class Column:
    status: Status
    cards: list[Case]
    count: int
    more_url: str

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)

    @property
    def needs_note(self) -> bool:
        return self.status in NOTE_REQUIRED


def _short_age(age: timedelta) -> str:
    """A card-sized age: 12m, 5h, 3d, 6w, 4mo."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h"
    days = minutes // (24 * 60)
    if days < 14:
        return f"{days}d"
    if days < 60:
        return f"{days // 7}w"
    return f"{days // 30}mo"


def _initials(name: str) -> str:
    parts = [p for p in name.replace("@", " ").replace(".", " ").split() if p[:1].isalpha()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def _short_name(name: str) -> str:
    """A card-sized owner name: Sofia Lindqvist → Sofia L.; an address → its local part."""
    if "@" in name:
        return name.split("@", 1)[0]
    parts = name.split()
    return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else name


def _decorate(case: Case, now: datetime) -> Case:
    """Adds what a card shows beyond the model: its age, the allowed moves, the owner's
    short name and initials."""
    age = case_age(case.created_at, closed_at=case.closed_at, now=now)
    case.board_age = _short_age(age)  # type: ignore[attr-defined]
    case.board_moves = allowed_moves(Status(case.status))  # type: ignore[attr-defined]
    case.board_moves_attr = " ".join(s.value for s in case.board_moves)  # type: ignore[attr-defined]
    if case.owner is not None:
        name = case.owner.display_name
        case.board_initials = _initials(name)  # type: ignore[attr-defined]
        case.board_owner = _short_name(name)  # type: ignore[attr-defined]
    return case


def _filter_query(query: QueryDict) -> QueryDict:
    """The case filters of the request, without the board's own parameters or empty ones
    (so the links and the address bar stay short)."""
    params = QueryDict(mutable=True)
    for name, values in query.lists():
        kept = [v for v in values if v]
        if name not in BOARD_PARAMS and kept:
            params.setlist(name, kept)
    return params


def _shown_statuses(filters: CaseFilters) -> list[Status]:
    """The status filter picks the columns; "open only" hides resolved and closed."""
    statuses = list(Status)
    if filters.status:
        return [s for s in statuses if s.value in filters.status]
    if filters.open_only:
        return [s for s in statuses if is_open(s)]
    return statuses


def _column(membership: Membership, filters: CaseFilters, status: Status, query: QueryDict,
            now: datetime) -> Column:
    narrowed = replace(filters, status=[status.value], open_only=False)
    page = selectors.case_list(membership.tenant, narrowed, limit=CARDS_PER_COLUMN,
                               sort="-number")
    count = selectors.case_count_capped(membership.tenant, narrowed, cap=COUNT_CAP + 1)
    list_query = query.copy()
    list_query.setlist("status", [status.value])
    list_query.pop("open", None)
    return Column(status=status, cards=[_decorate(c, now) for c in page.items], count=count,
                  more_url=f"{reverse('console:case_list')}?{list_query.urlencode()}")


def _board_url(back: str) -> str:
    # `back` is only ever a query string appended to the board's own path.
    clean = list_query(back)
    return f"{reverse('console:board')}?{clean}" if clean else reverse("console:board")


@member_required
def board(request: PageRequest) -> HttpResponse:
    membership = member(request)
    query = _filter_query(request.GET)
    form = CaseFilterForm(query or None, membership=membership)
    filters = form.to_filters(membership)
    now = clock.now()
    wanted = request.GET.get("column")
    if wanted in {s.value for s in Status}:
        # One column, refreshed after a move.
        column = _column(membership, filters, Status(wanted), query, now)
        return render(request, "console/board.html#column",
                      {"col": column, "query": query.urlencode()})
    columns = [_column(membership, filters, s, query, now) for s in _shown_statuses(filters)]
    query_string = query.urlencode()
    context = {
        "nav": "board", "form": form, "columns": columns, "query": query_string,
        "closed_reasons": bulk.closed_reasons(membership),
        "cards_per_column": CARDS_PER_COLUMN,
    }
    if request.htmx and request.htmx.target == "board":
        response = render(request, "console/board.html#board", context)
        return push_url(response, _board_url(query_string))
    if query and not form.is_valid():
        messages.error(request, "Some filters were not understood and were ignored.")
    return render(request, "console/board.html", context)


def _wants_json(request: PageRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@member_required
@require_POST
def board_move(request: PageRequest, number: str) -> HttpResponse:
    """Asks the lifecycle to move a case to `to`. Answers JSON to the board's script (200, or
    the refusal's 4xx with its detail), and otherwise redirects back to the board with a
    message, or shows the note form a move into resolved or closed needs."""
    membership = member(request)
    to = request.POST.get("to") or ""
    note = request.POST.get("note") or ""
    closed_reason = request.POST.get("closed_reason") or ""
    back = request.POST.get("back") or ""
    wants_json = _wants_json(request)
    try:
        case = get_case_for_member(membership, number)
    except DomainError as error:
        if wants_json:
            return JsonResponse({"detail": error.detail}, status=error.status_code)
        raise
    was = case.status
    try:
        case = services.case_transition(case=case, actor=membership.user, to=to,
                                        now=clock.now(), note=note,
                                        closed_reason=closed_reason)
    except DomainError as error:
        field = getattr(error, "field", None)
        if wants_json:
            return JsonResponse(
                {"detail": error.detail, "field": field,
                 "allowed": [s.value for s in allowed_moves(Status(was))]},
                status=error.status_code)
        if isinstance(error, Invalid) and field in ("note", "closed_reason"):
            return render(request, "console/board_move.html", {
                "nav": "board", "case": case, "to": Status(to), "note": note,
                "closed_reason": closed_reason, "back": back, "error": error.detail,
                "closed_reasons": bulk.closed_reasons(membership),
            }, status=error.status_code)
        messages.error(request, f"{case.display_number}: {error.detail}")
        return redirect(_board_url(back))
    detail = f"{case.display_number} moved to {Status(case.status).label}."
    if wants_json:
        return JsonResponse({"detail": detail, "number": case.display_number,
                             "from": was, "to": case.status})
    messages.success(request, detail)
    return redirect(_board_url(back))


urlpatterns = [
    path("cases/board", board, name="board"),
    path("cases/<str:number>/board-move", board_move, name="board_move"),
]
