"""What the CRM pages read of cases: open cases per account or contact, and an account's or
contact's cases as its page shows them. They join the two floors, so they live on the higher
one; `CasesConfig.ready()` registers them as the readers of `crm.hooks`.

The per-row figures of a list come from one grouped query per page, so a page costs the same
however many rows it shows.
"""

from django.db.models import Count, Q

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import OPEN_STATUS_VALUES, Case
from casedesk.cases.selectors import CaseFilters, Page, case_list
from casedesk.crm.hooks import CaseHolder, CasePage, CasePanel
from casedesk.crm.models import Account, Contact
from casedesk.tenancy.models import Tenant

CLOSED_VALUES = [Status.RESOLVED.value, Status.CLOSED.value]


def open_case_counts(tenant: Tenant, by: CaseHolder, ids: list[int]) -> dict[int, int]:
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


def _page(page: Page) -> CasePage:
    return CasePage(items=page.items, next_cursor=page.next_cursor)


def case_panel(record: Account | Contact, open_cursor: str | None,
               closed_cursor: str | None, limit: int) -> CasePanel:
    """The record's open cases newest first, its resolved or closed ones by when they last
    changed (their closing), each a bounded keyset page; and its open and total counts."""
    account_id = record.pk if isinstance(record, Account) else None
    contact_id = record.pk if isinstance(record, Contact) else None
    tenant = record.tenant
    open_page = case_list(tenant, CaseFilters(open_only=True, account_id=account_id,
                                              contact_id=contact_id),
                          cursor=open_cursor, limit=limit, sort="-number")
    closed_page = case_list(tenant, CaseFilters(status=CLOSED_VALUES, account_id=account_id,
                                                contact_id=contact_id),
                            cursor=closed_cursor, limit=limit, sort="-updated")
    holder = Q(account_id=account_id) if account_id is not None else Q(contact_id=contact_id)
    counts = Case.objects.filter(holder, tenant_id=record.tenant_id).aggregate(
        total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUS_VALUES)))
    return CasePanel(open=_page(open_page), closed=_page(closed_page),
                     open_count=counts["open"], total=counts["total"])
