"""What the CRM pages show of cases, through readers the cases app registers in its
`AppConfig.ready()`: crm stands below cases and never imports it (docs/architecture.md).

- `open_case_counts`: open cases per account or per contact, for the lists;
- `case_panel`: an account's or contact's cases, as its page shows them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from casedesk.crm.models import Account, Contact
from casedesk.tenancy.models import Tenant

CaseHolder = Literal["account", "contact"]


@dataclass(frozen=True)
class CasePage:
    """One bounded keyset page of cases; crm only hands the cases to its templates."""

    items: list[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class CasePanel:
    """An account's or contact's cases: a page of the open ones (newest first), a page of the
    resolved or closed ones (latest change first), and how many it has open and in all."""

    open: CasePage
    closed: CasePage
    open_count: int
    total: int


# (tenant, "account" or "contact", their ids) -> open cases by id (ids without any left out)
OpenCaseCounter = Callable[[Tenant, CaseHolder, list[int]], dict[int, int]]
# (account or contact, cursor of the open page, cursor of the closed page, page size)
CasePanelReader = Callable[[Account | Contact, str | None, str | None, int], CasePanel]

_readers: dict[str, Any] = {}


def register_readers(*, open_case_counts: OpenCaseCounter, case_panel: CasePanelReader
                     ) -> None:
    _readers["open_case_counts"] = open_case_counts
    _readers["case_panel"] = case_panel


def _reader(name: str) -> Any:
    try:
        return _readers[name]
    except KeyError:
        raise RuntimeError("The cases app has not registered the CRM's readers "
                           "(is casedesk.cases in INSTALLED_APPS?)") from None


def open_case_counts(tenant: Tenant, by: CaseHolder, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    reader: OpenCaseCounter = _reader("open_case_counts")
    return reader(tenant, by, ids)


def case_panel(record: Account | Contact, *, open_cursor: str | None = None,
               closed_cursor: str | None = None, limit: int) -> CasePanel:
    """The record's cases; Invalid for a cursor that is not one."""
    reader: CasePanelReader = _reader("case_panel")
    return reader(record, open_cursor, closed_cursor, limit)
