"""The knowledge base on a case, and the events deflection analytics count:
`GET /cases/{number}/suggestions` (recorded as shown), `.../{article_id}/opened` and
`.../{article_id}/solved` (each counted once per case and article), and
`POST /kb/articles/{article_id}/views`, and `POST /kb/visitor-cases` (a visitor's case, which
keeps their reads from counting as deflections).

Any member of the tenant; another tenant's case or article is a 404. Only a published
article is opened or marks a case solved from a case: a draft or archived one is a 409."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Path
from pydantic import Field

from casedesk.cases.access import get_case_for_member
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID, Error, Text, fits
from casedesk.kb import access, events
from casedesk.kb.models import KbEvent
from casedesk.kb.suggestions import suggest_for_case
from casedesk.tenancy.api_auth import member

router = Router(tags=["kb"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
ArticleId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
SUGGESTIONS = 5


class SuggestionOut(Schema):
    article_id: int
    title: str
    slug: str
    summary: str
    category_id: int | None
    visibility: str
    score: float = Field(description="0–100: the best suggestion for the case scores 100.")
    rank: int = Field(description="1 for the best.")


class OpenedIn(Schema):
    score: float = Field(ge=0, le=100, allow_inf_nan=False,
                         description="The score the article was shown with.")
    rank: Annotated[int, fits(KbEvent, "rank", ge=1)] = Field(
        description="The rank it was shown at (1 for the best).")


class CountedOut(Schema):
    counted: bool = Field(description="False when the case had counted this article already.")


class ViewIn(Schema):
    visitor: Annotated[Text, fits(KbEvent, "visitor")] = Field("", description=(
        "A portal or web-form reader's opaque session key: the view is a self-service read "
        "(the article must be published and public) that may count as a deflection. Empty: "
        "the calling member viewed it."))


class ViewOut(Schema):
    recorded: bool


class VisitorCaseIn(Schema):
    case: Text = Field(max_length=40,
                       description="The case's number (CS-123) the visitor submitted.")
    visitor: Annotated[Text, fits(KbEvent, "visitor")] = Field(description=(
        "The visitor's opaque session key, as given with their self-service reads."))


@router.get("/cases/{number}/suggestions", response={200: list[SuggestionOut], **ERRORS},
            summary="Articles suggested for a case")
def case_suggestions(request: HttpRequest, number: str) -> Any:
    """The tenant's published articles that best match the case's subject, description,
    category and latest customer message, best first (at most five); recorded as shown."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    suggestions = suggest_for_case(case, limit=SUGGESTIONS)
    events.record_suggestions_shown(case, suggestions, membership.user, clock.now())
    return [{"article_id": s.article.pk, "title": s.article.title, "slug": s.article.slug,
             "summary": s.article.summary, "category_id": s.article.category_id,
             "visibility": s.article.visibility, "score": s.score, "rank": s.rank}
            for s in suggestions]


@router.post("/cases/{number}/suggestions/{article_id}/opened",
             response={200: CountedOut, **ERRORS}, summary="An agent opened a suggestion")
def suggestion_opened(request: HttpRequest, number: str, article_id: ArticleId,
                      payload: OpenedIn) -> Any:
    """Counted once per case and article, whoever opens it and however often."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    article = access.get_article_for_member(membership, article_id)
    counted = events.record_suggestion_opened(case, article, membership.user, payload.score,
                                              payload.rank, clock.now())
    return {"counted": counted}


@router.post("/cases/{number}/suggestions/{article_id}/solved",
             response={200: CountedOut, **ERRORS}, summary="This article solved the case")
def suggestion_solved(request: HttpRequest, number: str, article_id: ArticleId) -> Any:
    """Counted once per case and article."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    article = access.get_article_for_member(membership, article_id)
    counted = events.record_case_resolved_by_article(case, article, membership.user,
                                                     clock.now())
    return {"counted": counted}


@router.post("/kb/articles/{article_id}/views", response={201: ViewOut, **ERRORS},
             summary="Record a view of an article")
def article_view(request: HttpRequest, article_id: ArticleId, payload: ViewIn) -> Any:
    """A view by the calling member, or with `visitor` a self-service read by a portal or
    web-form reader (published public articles only, 409 otherwise)."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    now = clock.now()
    if payload.visitor.strip():
        events.record_self_service_read(article, payload.visitor, now)
    else:
        events.record_view(article, user=membership.user, now=now)
    return 201, {"recorded": True}


@router.post("/kb/visitor-cases", response={201: ViewOut, **ERRORS},
             summary="A portal or web-form visitor submitted a case")
def visitor_case(request: HttpRequest, payload: VisitorCaseIn) -> Any:
    """Tells the deflection count that this visitor did open a case: their self-service
    reads in the 30 minutes before it are not counted as deflections. Call it when the case
    is made (a case the visitor submits later than that changes nothing)."""
    membership = member(request)
    case = get_case_for_member(membership, payload.case)
    if not payload.visitor.strip():
        raise Invalid("The visitor's key is empty.", field="visitor")
    events.record_visitor_case(case, payload.visitor, clock.now())
    return 201, {"recorded": True}
