"""The CRM API: accounts, contacts and deals (their cases: `cases.crm_api`)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Query

from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.core.schemas import MAX_ID, Error, Text
from casedesk.crm import selectors, services
from casedesk.crm.access import (
    get_account_for_member,
    get_contact_for_member,
    get_deal_for_member,
)
from casedesk.crm.models import Contact
from casedesk.crm.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountPatch,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    DealIn,
    DealOut,
    DealPage,
    DealPatch,
)
from casedesk.tenancy.api_auth import member

router = Router(tags=["crm"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


@router.get("/accounts", response={200: AccountPage, **ERRORS})
def list_accounts(request: HttpRequest, q: Text | None = Query(None, max_length=200),
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    # The API's `q` searches names only (the pages' search also matches the domain).
    qs = selectors.account_filter(member(request).tenant, q, fields=("name",))
    items, next_cursor = selectors.id_page(qs, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def create_account(request: HttpRequest, payload: AccountIn) -> Any:
    return 201, services.account_create(tenant=member(request).tenant, **payload.dict())


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def get_account(request: HttpRequest, account_id: int) -> Any:
    return get_account_for_member(member(request), account_id)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def patch_account(request: HttpRequest, account_id: int, payload: AccountPatch) -> Any:
    account = get_account_for_member(member(request), account_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, ("name", "domain", "tier", "segment", "territory"))
    return services.account_update(account=account, changes=changes)


@router.get("/contacts", response={200: ContactPage, **ERRORS})
def list_contacts(request: HttpRequest, account: int | None = Query(None, ge=1, le=MAX_ID),
                  email: Text | None = Query(None, max_length=max_length(Contact, "email")),
                  q: Text | None = Query(None, max_length=200),
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    qs = selectors.contact_filter(member(request).tenant, q, account, email=email)
    items, next_cursor = selectors.id_page(qs, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/contacts", response={201: ContactOut, **ERRORS})
def create_contact(request: HttpRequest, payload: ContactIn) -> Any:
    return 201, services.contact_create(tenant=member(request).tenant, **payload.dict())


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return get_contact_for_member(member(request), contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def patch_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    contact = get_contact_for_member(member(request), contact_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, ("email", "name", "phone", "is_portal_admin"))
    return services.contact_update(contact=contact, changes=changes)


@router.get("/deals", response={200: DealPage, **ERRORS})
def list_deals(request: HttpRequest, account: int | None = Query(None, ge=1, le=MAX_ID),
               cursor: str | None = Query(None, max_length=500),
               limit: int = Query(50, ge=1, le=100)) -> Any:
    qs = selectors.deal_filter(member(request).tenant, account)
    items, next_cursor = selectors.id_page(qs, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/deals", response={201: DealOut, **ERRORS})
def create_deal(request: HttpRequest, payload: DealIn) -> Any:
    return 201, services.deal_create(tenant=member(request).tenant, **payload.dict())


@router.get("/deals/{deal_id}", response={200: DealOut, **ERRORS})
def get_deal(request: HttpRequest, deal_id: int) -> Any:
    return get_deal_for_member(member(request), deal_id)


@router.patch("/deals/{deal_id}", response={200: DealOut, **ERRORS})
def patch_deal(request: HttpRequest, deal_id: int, payload: DealPatch) -> Any:
    deal = get_deal_for_member(member(request), deal_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, ("name", "account_id", "stage"))
    return services.deal_update(deal=deal, changes=changes)


def _refuse_nulls(changes: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
