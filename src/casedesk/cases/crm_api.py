"""The cases hanging off CRM records: `/accounts/{id}/cases`, `/contacts/{id}/cases`. Listed
with the CRM API (tag and operation ids as ever), written here because cases stand on the
floor above the CRM."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.cases import selectors
from casedesk.cases.presenters import case_out
from casedesk.cases.schemas import CasePage
from casedesk.core import clock
from casedesk.core.schemas import Error
from casedesk.crm.access import get_account_for_member, get_contact_for_member
from casedesk.tenancy.api_auth import member

router = Router(tags=["crm"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _related_cases(request: HttpRequest, open_only: bool, cursor: str | None, limit: int,
                   **filters: Any) -> dict[str, Any]:
    membership = member(request)
    page = selectors.case_list(
        membership.tenant, selectors.CaseFilters(open_only=open_only, **filters),
        cursor=cursor, limit=limit)
    now = clock.now()
    return {"items": [case_out(c, now) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/accounts/{account_id}/cases", response={200: CasePage, **ERRORS},
            operation_id="casedesk_crm_api_account_cases")
def account_cases(request: HttpRequest, account_id: int, open: bool = True,
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    """The account's cases, newest first; open ones only unless `open=false`."""
    account = get_account_for_member(member(request), account_id)
    return _related_cases(request, open, cursor, limit, account_id=account.pk)


@router.get("/contacts/{contact_id}/cases", response={200: CasePage, **ERRORS},
            operation_id="casedesk_crm_api_contact_cases")
def contact_cases(request: HttpRequest, contact_id: int, open: bool = False,
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    contact = get_contact_for_member(member(request), contact_id)
    return _related_cases(request, open, cursor, limit, contact_id=contact.pk)
