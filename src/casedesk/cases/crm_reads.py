"""The CRM pages' reads that count cases: accounts and contacts with their open cases, an
account's case figures. They join the two floors, so they live on the higher one: cases.

Lists are keyset pages by (name, id), and the per-row figures come from one grouped query
per page, so a page costs the same however many rows it shows.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from casedesk.cases.models import OPEN_STATUS_VALUES, Case
from casedesk.crm.models import Account, Contact, Deal
from casedesk.crm.selectors import account_filter, contact_counts, contact_filter, keyset_page
from casedesk.tenancy.models import Tenant


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


def open_case_counts(tenant: Tenant, *, by: str, ids: list[int]) -> dict[int, int]:
    """Open cases per account (`by="account"`) or contact (`by="contact"`), in one query."""
    if by not in ("account", "contact"):
        raise ValueError(by)
    if not ids:
        return {}
    column = f"{by}_id"
    rows = (Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES,
                                **{f"{column}__in": ids})
            .order_by().values(column).annotate(n=Count("id")))
    return {row[column]: row["n"] for row in rows}


def account_page(tenant: Tenant, *, q: str | None = None, cursor: str | None = None,
                 limit: int = 50) -> RowPage[Account]:
    """Accounts by name matching `q` (name or domain), with open cases and contacts each."""
    accounts, next_cursor = keyset_page(account_filter(tenant, q), cursor, limit)
    ids = [a.pk for a in accounts]
    open_cases = open_case_counts(tenant, by="account", ids=ids)
    contacts = contact_counts(tenant, ids)
    return RowPage(rows=[Row(a, open_cases.get(a.pk, 0), contacts.get(a.pk, 0))
                         for a in accounts], next_cursor=next_cursor)


def contact_page(tenant: Tenant, *, q: str | None = None, account_id: int | None = None,
                 cursor: str | None = None, limit: int = 50) -> RowPage[Contact]:
    """Contacts by name matching `q` (name or email), with their open cases each."""
    contacts, next_cursor = keyset_page(contact_filter(tenant, q, account_id), cursor,
                                         limit)
    open_cases = open_case_counts(tenant, by="contact", ids=[c.pk for c in contacts])
    return RowPage(rows=[Row(c, open_cases.get(c.pk, 0)) for c in contacts],
                   next_cursor=next_cursor)


@dataclass
class AccountSummary:
    contacts: int
    deals: int
    open_cases: int
    cases: int


def account_summary(account: Account) -> AccountSummary:
    """Counts for an account's header, in one query each."""
    cases = Case.objects.filter(tenant_id=account.tenant_id, account=account).aggregate(
        total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUS_VALUES)))
    contacts = Contact.objects.filter(tenant_id=account.tenant_id, account=account).count()
    deals = Deal.objects.filter(tenant_id=account.tenant_id, account=account).count()
    return AccountSummary(contacts=contacts, deals=deals, open_cases=cases["open"],
                          cases=cases["total"])
