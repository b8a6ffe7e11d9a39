"""The "Suggested articles" panel of the case page: the top five published articles for the
case with their scores, an article opened in place (counted as `suggestion_opened`), its
link or text put into a public reply, and "this article solved it".

The case page renders the panel with itself (`case_panel_html`, called by the console) and
asks again when something on the case changed (`casedesk:case-changed`, which the case
page's actions send) and every minute, for mail that arrived meanwhile. Each answer carries
a basis: a digest of the words the suggestions were searched with. A request whose basis is
still the case's gets a 204 and the panel stays as it is, so suggestions are searched (and
recorded as shown) only when what the case says changed.

Without JavaScript the panel's forms post normally: opening goes to the article's page,
"solved it" back to the case page with a message."""

import hashlib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.redirects import site_base
from casedesk.kb import access, events
from casedesk.kb.models import Article, ArticleStatus, KbEvent, KbEventKind, Visibility
from casedesk.kb.suggestions import (
    latest_customer_message,
    query_text,
    suggest_for_case,
)
from casedesk.tenancy.web import PageRequest, member, member_required

SHOWN = 5
# The case page swaps a 4xx marked with this header in place of what was asked for.
PARTIAL_HEADER = "X-Case-Partial"
PANEL = "kb/case_panel.html"


def suggestion_basis(case: Case) -> str:
    """A digest of what the case's suggestions are searched with (see the module)."""
    words = query_text(case, latest_customer_message(case))
    return hashlib.sha256(words.encode()).hexdigest()[:16]


def public_url(request: PageRequest, article: Article) -> str:
    """The absolute link a customer can follow: only for a published public article."""
    path_ = reverse("kb:public_article", args=[article.tenant.slug, article.slug])
    return site_base(request) + path_


def _solved_ids(case: Case) -> set[int]:
    return set(KbEvent.objects.filter(
        tenant_id=case.tenant_id, case=case, kind=KbEventKind.CASE_RESOLVED_BY_ARTICLE,
    ).values_list("article_id", flat=True))


def case_panel_html(request: PageRequest, case: Case, *, basis: str | None = None
                    ) -> SafeString:
    """The panel's content, its suggestions recorded as shown. The case page renders it with
    itself the first time; `basis`, when the caller computed it already."""
    membership = member(request)
    suggestions = suggest_for_case(case, limit=SHOWN)
    events.record_suggestions_shown(case, suggestions, membership.user, clock.now())
    context = {"case": case, "suggestions": suggestions,
               "basis": basis if basis is not None else suggestion_basis(case),
               "solved_ids": _solved_ids(case)}
    return render_to_string(PANEL, context, request)


def _reader(request: PageRequest, case: Case, article: Article, *, flash: str = "",
            error: str = "", status: int = 200) -> HttpResponse:
    """The opened article, in the panel, with what an agent does with it."""
    context = {"case": case, "opened": article, "solved": article.pk in _solved_ids(case),
               "flash": flash, "error": error}
    if article.visibility == Visibility.PUBLIC and article.status == ArticleStatus.PUBLISHED:
        context["opened_link"] = public_url(request, article)
    return render(request, f"{PANEL}#reader", context, status=status)


@member_required
@require_GET
def case_suggestions(request: PageRequest, number: str) -> HttpResponse:
    """The panel; 204 when `basis` is still the case's (nothing to refresh)."""
    case = get_case_for_member(member(request), number)
    basis = suggestion_basis(case)
    if request.GET.get("basis") == basis:
        return HttpResponse(status=204)
    return HttpResponse(case_panel_html(request, case, basis=basis))


def _shown_at(request: PageRequest) -> tuple[float, int]:
    """The score and rank the article was shown with, as the panel posts them."""
    try:
        score = float(request.POST.get("score", ""))
        rank = int(request.POST.get("rank", ""))
    except ValueError:
        raise Invalid("The suggestion's score and rank are missing.", field="score") from None
    return score, rank


@member_required
@require_POST
def suggestion_open(request: PageRequest, number: str, article_id: int) -> HttpResponse:
    """Counts the opening (once per case and article) and shows the article in the panel."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    article = access.get_article_for_member(membership, article_id)
    try:
        score, rank = _shown_at(request)
        events.record_suggestion_opened(case, article, membership.user, score, rank,
                                        clock.now())
    except DomainError as error:
        return _refused(request, case, article, error)
    if not request.htmx:
        return redirect("kb:article_detail", article.pk)
    return _reader(request, case, article)


@member_required
@require_POST
def suggestion_solved(request: PageRequest, number: str, article_id: int) -> HttpResponse:
    """Marks the article as having solved the case (counted once per case and article)."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    article = access.get_article_for_member(membership, article_id)
    try:
        counted = events.record_case_resolved_by_article(case, article, membership.user,
                                                         clock.now())
    except DomainError as error:
        return _refused(request, case, article, error)
    note = (f"Noted: “{article.title}” solved this case." if counted
            else f"“{article.title}” was already noted as solving this case.")
    if not request.htmx:
        messages.success(request, note)
        return redirect("console:case_detail", case.display_number)
    return _reader(request, case, article, flash=note)


def _refused(request: PageRequest, case: Case, article: Article,
             error: DomainError) -> HttpResponse:
    if not request.htmx:
        messages.error(request, error.detail)
        return redirect("console:case_detail", case.display_number)
    response = _reader(request, case, article, error=error.detail, status=error.status_code)
    response[PARTIAL_HEADER] = "1"  # swapped in all the same (console's case.js)
    return response


urlpatterns = [
    path("kb/cases/<str:number>/suggestions", case_suggestions, name="case_suggestions"),
    path("kb/cases/<str:number>/suggestions/<int:article_id>/open", suggestion_open,
         name="suggestion_open"),
    path("kb/cases/<str:number>/suggestions/<int:article_id>/solved", suggestion_solved,
         name="suggestion_solved"),
]
