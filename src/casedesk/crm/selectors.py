"""Reads of accounts, contacts and deals, always for one tenant.

Lists are keyset pages by (name, id). The figures that count cases beside them (open cases
per account or contact) are read by `cases.crm_reads`: cases stand on a higher floor.
"""

from typing import Any

from django.db.models import Count, F, Q, QuerySet

from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import filter_search
from casedesk.crm.models import Account, Contact, Deal
from casedesk.tenancy.models import Tenant


def _after(qs: QuerySet[Any], cursor: str | None) -> QuerySet[Any]:
    if not cursor:
        return qs
    name, pk = decode_cursor(cursor, length=2)
    if not isinstance(name, str) or not isinstance(pk, int) or not 0 <= pk <= MAX_ID:
        raise Invalid("The cursor is not valid.", field="cursor")
    return qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))


def keyset_page(qs: QuerySet[Any], cursor: str | None, limit: int) -> tuple[list[Any],
                                                                              str | None]:
    rows = list(_after(qs, cursor).order_by("name", "pk")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.name, last.pk])
    return rows[:limit], next_cursor


def contact_counts(tenant: Tenant, account_ids: list[int]) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = (Contact.objects.filter(tenant=tenant, account_id__in=account_ids)
            .order_by().values("account_id").annotate(n=Count("id")))
    return {row["account_id"]: row["n"] for row in rows}


def account_filter(tenant: Tenant, q: str | None) -> QuerySet[Account]:
    return filter_search(Account.objects.filter(tenant=tenant), q, ("name", "domain"))


def contact_filter(tenant: Tenant, q: str | None, account_id: int | None = None
                    ) -> QuerySet[Contact]:
    qs = Contact.objects.filter(tenant=tenant).select_related("account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return filter_search(qs, q, ("name", "email"))


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
