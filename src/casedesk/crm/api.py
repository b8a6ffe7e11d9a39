"""The CRM API: accounts, contacts and deals (their cases: `cases.crm_api`)."""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import MAX_ID, Error, Text
from casedesk.crm import services
from casedesk.crm.models import Account, Contact, Deal
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
from casedesk.tenancy.models import Membership

router = Router(tags=["crm"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def get_record[M: Model](model: type[M], membership: Membership, pk: int) -> M:
    """A record of the member's tenant; NotFound for anything else."""
    obj = (model._default_manager.filter(tenant_id=membership.tenant_id, pk=pk).first()
           if 0 < pk <= MAX_ID else None)
    if obj is None:
        raise NotFound(f"No {model._meta.verbose_name} with id {pk}.")
    return obj


def _page(qs: QuerySet[Any], cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Keyset page by ascending id."""
    if cursor:
        (last,) = decode_cursor(cursor, length=1)
        if not isinstance(last, int):
            raise Invalid("The cursor is not valid.", field="cursor")
        qs = qs.filter(pk__gt=last)
    rows = list(qs.order_by("pk")[: limit + 1])
    return rows[:limit], (encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None)


@router.get("/accounts", response={200: AccountPage, **ERRORS})
def list_accounts(request: HttpRequest, q: Text | None = Query(None, max_length=200),
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    qs = Account.objects.for_tenant(member(request).tenant)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    items, next_cursor = _page(qs, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def create_account(request: HttpRequest, payload: AccountIn) -> Any:
    data = payload.dict()
    return 201, services.account_create(tenant=member(request).tenant, **data)


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def get_account(request: HttpRequest, account_id: int) -> Any:
    return get_record(Account, member(request), account_id)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def patch_account(request: HttpRequest, account_id: int, payload: AccountPatch) -> Any:
    account = get_record(Account, member(request), account_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, ("name", "domain", "tier", "segment", "territory"))
    return services.account_update(account=account, changes=changes)


@router.get("/contacts", response={200: ContactPage, **ERRORS})
def list_contacts(request: HttpRequest, account: int | None = Query(None, ge=1, le=MAX_ID),
                  email: Text | None = Query(None, max_length=254),
                  q: Text | None = Query(None, max_length=200),
                  cursor: str | None = Query(None, max_length=500),
                  limit: int = Query(50, ge=1, le=100)) -> Any:
    qs = Contact.objects.for_tenant(member(request).tenant)
    if account is not None:
        qs = qs.filter(account_id=account)
    if email:
        qs = qs.filter(email=email.strip().lower())
    if q:
        qs = qs.filter(name__icontains=q.strip()) | qs.filter(email__icontains=q.strip())
    items, next_cursor = _page(qs, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/contacts", response={201: ContactOut, **ERRORS})
def create_contact(request: HttpRequest, payload: ContactIn) -> Any:
    return 201, services.contact_create(tenant=member(request).tenant, **payload.dict())


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return get_record(Contact, member(request), contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def patch_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    contact = get_record(Contact, member(request), contact_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, ("email", "name", "phone"))
    return services.contact_update(contact=contact, changes=changes)


@router.get("/deals", response={200: DealPage, **ERRORS})
def list_deals(request: HttpRequest, account: int | None = Query(None, ge=1, le=MAX_ID),
               cursor: str | None = Query(None, max_length=500),
               limit: int = Query(50, ge=1, le=100)) -> Any:
    qs = Deal.objects.for_tenant(member(request).tenant)
    if account is not None:
        qs = qs.filter(account_id=account)
    items, next_cursor = _page(qs, cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/deals", response={201: DealOut, **ERRORS})
def create_deal(request: HttpRequest, payload: DealIn) -> Any:
    return 201, services.deal_create(tenant=member(request).tenant, **payload.dict())


@router.get("/deals/{deal_id}", response={200: DealOut, **ERRORS})
def get_deal(request: HttpRequest, deal_id: int) -> Any:
    return get_record(Deal, member(request), deal_id)


@router.patch("/deals/{deal_id}", response={200: DealOut, **ERRORS})
def patch_deal(request: HttpRequest, deal_id: int, payload: DealPatch) -> Any:
    deal = get_record(Deal, member(request), deal_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, ("name", "account_id", "stage"))
    return services.deal_update(deal=deal, changes=changes)


def _refuse_nulls(changes: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
