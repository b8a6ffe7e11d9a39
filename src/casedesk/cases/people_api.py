"""A member's open cases, and handing them all on when they leave: `/members/{id}/cases`.
Listed with the people API (tag "people"), written here because cases stand on the floor
above tenancy."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query

from casedesk.cases import people, selectors
from casedesk.cases.presenters import case_out
from casedesk.cases.schemas import CasePage
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.schemas import Error, Id
from casedesk.tenancy.access import find_colleague, get_member
from casedesk.tenancy.api_auth import member, require_admin, require_manager
from casedesk.tenancy.models import Membership

router = Router(tags=["people"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class HandOnIn(Schema):
    to_user_id: Id | None = None


class HandOnOut(Schema):
    moved: int


def _member_of_tenant(request: HttpRequest, user_id: int) -> Membership:
    """A member of the tenant by user id, active or not (a deactivated member's cases are
    the point here)."""
    return get_member(member(request), user_id)


@router.get("/members/{user_id}/cases", response={200: CasePage, **ERRORS})
def member_cases(request: HttpRequest, user_id: int,
                 cursor: str | None = Query(None, max_length=500),
                 limit: int = Query(50, ge=1, le=100)) -> Any:
    """The open cases the member owns, newest first (managers and admins)."""
    require_manager(request)
    owner = _member_of_tenant(request, user_id)
    page = selectors.case_list(owner.tenant, selectors.CaseFilters(
        open_only=True, owner_id=owner.user_id), cursor=cursor, limit=limit)
    now = clock.now()
    return {"items": [case_out(c, now) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/members/{user_id}/cases/hand-on", response={200: HandOnOut, **ERRORS})
def hand_on_cases(request: HttpRequest, user_id: int, payload: HandOnIn) -> Any:
    """Gives all the member's open cases to `to_user_id` (an active member), or without it
    back to each case's queue, unassigned (admins): the step after deactivating someone."""
    admin = require_admin(request)
    owner = _member_of_tenant(request, user_id)
    to = None
    if payload.to_user_id is not None:
        to = find_colleague(admin, payload.to_user_id)
        if to is None:
            raise Invalid(f"No active member with user id {payload.to_user_id}.",
                          field="to_user_id")
    moved = people.cases_hand_on(member=owner, actor=admin.user, to=to, now=clock.now())
    return {"moved": moved}
