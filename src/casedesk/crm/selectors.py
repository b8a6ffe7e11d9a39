"""Reads of accounts, contacts and deals, always for one tenant, shared by the CRM API and
the CRM pages.

The pages' lists are keyset pages by (name, id), the API's by id. The open cases beside a
page's rows come from the cases app through `crm.hooks`: cases stand on a higher floor.
"""

from dataclasses import dataclass

from django.db.models import Count, F, Model, Q, QuerySet

from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import filter_search
from casedesk.crm import hooks
from casedesk.crm.models import Account, Contact, Deal
from casedesk.tenancy.models import Tenant


def _after[M: Model](qs: QuerySet[M], cursor: str | None) -> QuerySet[M]:
    if not cursor:
        return qs
    name, pk = decode_cursor(cursor, length=2)
    if not isinstance(name, str) or not isinstance(pk, int) or not 0 <= pk <= MAX_ID:
        raise Invalid("The cursor is not valid.", field="cursor")
    return qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))


def keyset_page[M: Account | Contact](qs: QuerySet[M], cursor: str | None, limit: int
                                      ) -> tuple[list[M], str | None]:
    """A page by (name, id); Invalid for a cursor that is not one."""
    rows = list(_after(qs, cursor).order_by("name", "pk")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.name, last.pk])
    return rows[:limit], next_cursor


def id_page[M: Model](qs: QuerySet[M], cursor: str | None, limit: int
                      ) -> tuple[list[M], str | None]:
    """A page by ascending id (the API's lists); Invalid for a cursor that is not one."""
    if cursor:
        (last,) = decode_cursor(cursor, length=1)
        if not isinstance(last, int):
            raise Invalid("The cursor is not valid.", field="cursor")
        qs = qs.filter(pk__gt=last)
    rows = list(qs.order_by("pk")[: limit + 1])
    return rows[:limit], (encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None)


@dataclass
class Row[M]:
    """A record with the figures a list shows beside it."""

    record: M
    open_cases: int = 0
    contacts: int = 0


@dataclass
class RowPage[M]:
    rows: list[Row[M]]
    next_cursor: str | None


def account_page(tenant: Tenant, *, q: str | None = None, cursor: str | None = None,
                 limit: int = 50) -> RowPage[Account]:
    """Accounts by name matching `q` (name or domain), with open cases and contacts each."""
    accounts, next_cursor = keyset_page(account_filter(tenant, q), cursor, limit)
    ids = [a.pk for a in accounts]
    open_cases = hooks.open_case_counts(tenant, "account", ids)
    contacts = contact_counts(tenant, ids)
    return RowPage(rows=[Row(a, open_cases.get(a.pk, 0), contacts.get(a.pk, 0))
                         for a in accounts], next_cursor=next_cursor)


def contact_page(tenant: Tenant, *, q: str | None = None, account_id: int | None = None,
                 cursor: str | None = None, limit: int = 50) -> RowPage[Contact]:
    """Contacts by name matching `q` (name or email), with their open cases each."""
    contacts, next_cursor = keyset_page(contact_filter(tenant, q, account_id), cursor,
                                         limit)
    open_cases = hooks.open_case_counts(tenant, "contact", [c.pk for c in contacts])
    return RowPage(rows=[Row(c, open_cases.get(c.pk, 0)) for c in contacts],
                   next_cursor=next_cursor)


@dataclass
class AccountSummary:
    contacts: int
    deals: int
    open_cases: int
    cases: int


def account_summary(account: Account, cases: hooks.CasePanel) -> AccountSummary:
    """The counts of an account's header, its case counts from its case panel."""
    contacts = Contact.objects.filter(tenant_id=account.tenant_id, account=account).count()
    deals = Deal.objects.filter(tenant_id=account.tenant_id, account=account).count()
    return AccountSummary(contacts=contacts, deals=deals, open_cases=cases.open_count,
                          cases=cases.total)


def contact_counts(tenant: Tenant, account_ids: list[int]) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = (Contact.objects.filter(tenant=tenant, account_id__in=account_ids)
            .order_by().values("account_id").annotate(n=Count("id")))
    return {row["account_id"]: row["n"] for row in rows}


def account_filter(tenant: Tenant, q: str | None, *,
                   fields: tuple[str, ...] = ("name", "domain")) -> QuerySet[Account]:
    """The tenant's accounts whose name or domain contains `q` (the API's `q`: the name)."""
    return filter_search(Account.objects.filter(tenant=tenant), q, fields)


def contact_filter(tenant: Tenant, q: str | None, account_id: int | None = None, *,
                   email: str | None = None) -> QuerySet[Contact]:
    """The tenant's contacts whose name or email contains `q`, of one account if given, with
    exactly the address `email` if given (compared lower-case, as stored)."""
    qs = Contact.objects.filter(tenant=tenant).select_related("account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if email:
        qs = qs.filter(email=email.strip().lower())
    return filter_search(qs, q, ("name", "email"))


def deal_filter(tenant: Tenant, account_id: int | None = None) -> QuerySet[Deal]:
    qs = Deal.objects.filter(tenant=tenant)
    return qs.filter(account_id=account_id) if account_id is not None else qs


def account_contacts(account: Account, *, limit: int) -> list[Contact]:
    return list(Contact.objects.filter(tenant_id=account.tenant_id, account=account)
                .order_by("name", "pk")[:limit])


def account_deals(account: Account, *, limit: int) -> list[Deal]:
    """The account's deals, latest close date first (undated ones last)."""
    return list(Deal.objects.filter(tenant_id=account.tenant_id, account=account)
                .order_by(F("close_date").desc(nulls_last=True), "-pk")[:limit])


def account_search(tenant: Tenant, q: str, *, limit: int = 10) -> list[Account]:
    """Accounts for a picker: name or domain containing `q`, by name."""
    return list(account_filter(tenant, q).order_by("name", "pk")[:limit])


def contact_search(tenant: Tenant, q: str, *, account_id: int | None = None,
                   limit: int = 10) -> list[Contact]:
    """Contacts for a picker: name or email containing `q`, by name; with an account and no
    text, that account's contacts."""
    if account_id is not None and not q.strip():
        return list(contact_filter(tenant, "", account_id).order_by("name", "pk")[:limit])
    return list(contact_filter(tenant, q).order_by("name", "pk")[:limit])


def accounts_by_id(tenant: Tenant, ids: list[int]) -> dict[int, Account]:
    ids = [i for i in ids if 0 < i <= MAX_ID]
    return {a.pk: a for a in Account.objects.filter(tenant=tenant, pk__in=ids)} if ids else {}


def contacts_by_id(tenant: Tenant, ids: list[int]) -> dict[int, Contact]:
    ids = [i for i in ids if 0 < i <= MAX_ID]
    if not ids:
        return {}
    return {c.pk: c for c in Contact.objects.filter(tenant=tenant, pk__in=ids)
            .select_related("account")}


def account_values(tenant: Tenant, field: str, *, limit: int = 50) -> list[str]:
    """The distinct non-blank values of `field` (tier, segment, territory) in use, for
    suggestions."""
    if field not in ("tier", "segment", "territory"):
        raise ValueError(field)
    return list(Account.objects.filter(tenant=tenant).exclude(**{field: ""})
                .order_by(field).values_list(field, flat=True).distinct()[:limit])


def account_choices(tenant: Tenant, *, limit: int) -> list[Account]:
    """The first accounts by name: the options of a picker when JavaScript is off."""
    return list(Account.objects.filter(tenant=tenant).order_by("name", "pk")[:limit])


def contact_choices(tenant: Tenant, *, limit: int) -> list[Contact]:
    return list(Contact.objects.filter(tenant=tenant).select_related("account")
                .order_by("name", "pk")[:limit])
