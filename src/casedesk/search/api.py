"""`GET /api/v1/search?q=`: the search box for integrations, as the token's member sees it
(internal notes included). The query language is that of the console's box
(`search/query.py`); a bad operator value is a 422."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.core.schemas import Error
from casedesk.search.query import MAX_QUERY_CHARS
from casedesk.search.schemas import SearchOut
from casedesk.search.selectors import FACETS, MAX_LIMIT, MAX_OFFSET, Scope, SearchResult, search
from casedesk.tenancy.api_auth import member

router = Router(tags=["search"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


@router.get("/search", response={200: SearchOut, **ERRORS}, summary="Search everything")
def search_everything(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description=(
        "Words, \"quoted phrases\", -excluded words and operators: `status:open`, "
        "`status:unresolved`, `owner:me`, `owner:jo@example.com`, `queue:Support`, "
        "`type:Bug`, `from:jo@example.com`, `#1042`, `CS-1042`, `number:1042`.")),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
) -> Any:
    """Cases ranked best first (a subject match above a match only in a note), with a
    highlighted snippet each and facets (status, queue, owner, type) counted over the
    matches; on the first page also the matching contacts, accounts and published
    articles."""
    result = search(Scope.of_member(member(request)), q, offset=offset, limit=limit)
    return 200, result_out(q, result)


def result_out(q: str, result: SearchResult) -> dict[str, Any]:
    return {
        "q": q,
        "total": result.total,
        "capped": result.capped,
        "jump": result.jump.display_number if result.jump is not None else None,
        "cases": [{
            "number": hit.case.display_number, "subject": hit.case.subject,
            "status": hit.case.status, "priority": hit.case.get_priority_display().lower(),
            "type": hit.case.type,
            "queue": hit.case.queue.name if hit.case.queue is not None else None,
            "owner": hit.case.owner.email if hit.case.owner is not None else None,
            "contact": hit.case.contact.email if hit.case.contact is not None else None,
            "updated_at": hit.case.updated_at, "score": round(hit.score, 6),
            "matched": hit.matched,
            "snippet": str(hit.snippet)} for hit in result.cases],
        "facets": {name: [vars(value) for value in result.facets.get(name, [])]
                   for name in FACETS},
        "contacts": [{"id": c.pk, "name": c.name, "email": c.email} for c in result.contacts],
        "accounts": [{"id": a.pk, "name": a.name, "domain": a.domain} for a in result.accounts],
        "articles": [{"id": a.pk, "title": a.title, "summary": a.summary}
                     for a in result.articles],
    }
