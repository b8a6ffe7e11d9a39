"""What routing reads of cases, through readers the cases app registers in its
`AppConfig.ready()`: routing stands on a lower floor and never imports cases.

- the open-case load of some agents (by owner and priority), for the strategies;
- the tenant's latest cases, for trying a rule on them before saving it.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from casedesk.tenancy.models import Tenant

# (tenant, owner user ids, a case id left out) -> (owner id, priority, open cases) rows
LoadReader = Callable[[Tenant, Sequence[int], int | None], Iterable[tuple[int, int, int]]]
# (tenant, how many) -> the latest cases, newest first, account and contact loaded
RecentCasesReader = Callable[[Tenant, int], Iterable[Any]]

_readers: dict[str, Any] = {}


def register_readers(*, loads: LoadReader, recent_cases: RecentCasesReader) -> None:
    _readers["loads"] = loads
    _readers["recent_cases"] = recent_cases


def _reader(name: str) -> Any:
    try:
        return _readers[name]
    except KeyError:
        raise RuntimeError("The cases app has not registered routing's readers "
                           "(is casedesk.cases in INSTALLED_APPS?)") from None


def open_loads(tenant: Tenant, owner_ids: Sequence[int], leaving: int | None
               ) -> Iterable[tuple[int, int, int]]:
    reader: LoadReader = _reader("loads")
    return reader(tenant, owner_ids, leaving)


def recent_cases(tenant: Tenant, limit: int) -> Iterable[Any]:
    reader: RecentCasesReader = _reader("recent_cases")
    return reader(tenant, limit)
