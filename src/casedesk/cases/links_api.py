"""The linked-cases API: a case's links (`/cases/{number}/links`), added and removed from
either case's side; every member may link the tenant's cases."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from casedesk.cases.access import get_case_for_member, get_link_for_case
from casedesk.cases.links import LinkRequest, link_add, link_remove, links_of
from casedesk.core import clock
from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID, Error
from casedesk.tenancy.api_auth import member

router = Router(tags=["cases"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class CaseLinkIn(Schema):
    kind: LinkRequest = Field(description=(
        "What this case is to the other: `parent_of`, `child_of`, `related_to`, `caused_by` "
        "or `causes`."))
    case: str = Field(max_length=40, description="The other case's number, e.g. `CS-12`.")


class CaseLinkOut(Schema):
    id: int
    role: LinkRequest = Field(description="What this case is to the other case.")
    label: str
    case: str = Field(description="The other case's number.")
    subject: str
    status: str
    is_open: bool
    created_at: datetime


def _views_out(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = get_case_for_member(member(request), number)
    return [{"id": v.id, "role": v.role, "label": v.label, "case": v.number,
             "subject": v.subject, "status": v.status, "is_open": v.is_open,
             "created_at": v.created_at} for v in links_of(case)]


@router.get("/cases/{number}/links", response={200: list[CaseLinkOut], **ERRORS},
            summary="Linked cases")
def list_links(request: HttpRequest, number: str) -> Any:
    """The case's links from its side: parent first, then children, related cases, the cases
    that caused it and those it caused."""
    return _views_out(request, number)


@router.post("/cases/{number}/links", response={201: CaseLinkOut, **ERRORS},
             summary="Link two cases")
def add_link(request: HttpRequest, number: str, payload: CaseLinkIn) -> Any:
    """Links this case to another: `{"kind": "child_of", "case": "CS-12"}` makes this case a
    child of CS-12. A child has one parent; a case cannot be its own ancestor; the same link
    twice, a second parent or a cycle is a 409; a link to itself a 422."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    other = get_case_for_member(membership, payload.case)
    link = link_add(case=case, other=other, kind=payload.kind, actor=membership.user,
                    now=clock.now())
    return 201, next(v for v in _views_out(request, number) if v["id"] == link.pk)


@router.delete("/cases/{number}/links/{link_id}", response={204: None, **ERRORS},
               summary="Remove a link")
def remove_link(request: HttpRequest, number: str, link_id: int) -> Any:
    """Removes the link from both cases (either case's number names it)."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    if not 0 < link_id <= MAX_ID:
        raise NotFound(f"No link {link_id} on {case.display_number}.")
    link_remove(link=get_link_for_case(case, link_id), actor=membership.user,
                now=clock.now())
    return 204, None
