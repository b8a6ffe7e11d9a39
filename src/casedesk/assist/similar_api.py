"""`GET /api/v1/cases/{number}/similar` and `GET /api/v1/cases/{number}/draft`: the similar
earlier cases (resolved first) with their resolution note, and a draft public reply with its
sources. Both only read; a draft is never sent. Another tenant's case is a 404."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query

from casedesk.assist.drafts import reply_draft
from casedesk.assist.similar import MAX_LIMIT, similar_cases
from casedesk.cases.access import get_case_for_member
from casedesk.core.redirects import site_base
from casedesk.core.schemas import Error
from casedesk.tenancy.api_auth import member

router = Router(tags=["assist"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class SimilarCaseOut(Schema):
    number: str
    subject: str
    status: str
    score: float
    resolution: str
    resolution_source: str


class SimilarCasesOut(Schema):
    number: str
    similar: list[SimilarCaseOut]


class ReplyDraftSourceOut(Schema):
    kind: str
    label: str
    url: str
    ref: str


class ReplyDraftOut(Schema):
    number: str
    found: bool
    text: str
    note: str
    sources: list[ReplyDraftSourceOut]


@router.get(
    "/cases/{number}/similar",
    response={200: SimilarCasesOut, **ERRORS},
    summary="Similar earlier cases",
)
def case_similar(
    request: HttpRequest, number: str, limit: int = Query(5, ge=1, le=MAX_LIMIT)
) -> Any:
    """The most similar earlier cases of the tenant, resolved and closed ones first, each
    with its similarity (0–1) and its resolution note (the closure note, else the last
    public agent reply). Never the case itself nor a case merged into another."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    found = similar_cases(membership.tenant, case, limit=limit)
    return 200, {"number": case.display_number, "similar": [vars(s) for s in found]}


@router.get(
    "/cases/{number}/draft", response={200: ReplyDraftOut, **ERRORS}, summary="A draft public reply"
)
def case_draft(request: HttpRequest, number: str) -> Any:
    """A draft public reply from the best-matching public articles and past public replies
    to similar resolved cases, with its sources. Nothing is written or sent: post the text
    (edited) as a reply yourself. `found` is false, with a `note`, when nothing matches."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    draft = reply_draft(membership.tenant, case, member=membership, base_url=site_base(request))
    return 200, {
        "number": case.display_number,
        "found": bool(draft.text),
        "text": draft.text,
        "note": draft.note,
        "sources": [vars(s) for s in draft.sources],
    }
