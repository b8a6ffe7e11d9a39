"""What routing reads of cases, through readers the cases app registers in its
`AppConfig.ready()`: routing stands on a lower floor and never imports cases.

- the open-case load of some agents (by owner and priority), for the strategies and the
  queues page;
- the tenant's latest cases, for trying a rule on them before saving it;
- the open cases waiting unowned in each queue, for the queues page;
- the values the cases' fields take (category, subcategory, type, source), suggested by the
  condition forms;

and what the tenant's triage model predicts for a case (`register_predictor`, filled by
`assist`), for rules that test `predicted.*` fields.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from casedesk.routing.rules import CaseFacts, Prediction
from casedesk.tenancy.models import Tenant

# (tenant, owner user ids, a case id left out) -> (owner id, priority, open cases) rows
LoadReader = Callable[[Tenant, Sequence[int], int | None], Iterable[tuple[int, int, int]]]
# (tenant, how many) -> the latest cases, newest first, account and contact loaded
RecentCasesReader = Callable[[Tenant, int], Iterable[Any]]
# (tenant) -> {queue id: open cases waiting there without an owner}
WaitingReader = Callable[[Tenant], Mapping[int, int]]
# (tenant) -> {case field: the values it takes, in the tenant's order}
FieldValuesReader = Callable[[Tenant], Mapping[str, list[str]]]

_readers: dict[str, Any] = {}


def register_readers(*, loads: LoadReader, recent_cases: RecentCasesReader,
                     waiting: WaitingReader, field_values: FieldValuesReader) -> None:
    _readers["loads"] = loads
    _readers["recent_cases"] = recent_cases
    _readers["waiting"] = waiting
    _readers["field_values"] = field_values


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


def waiting_by_queue(tenant: Tenant) -> Mapping[int, int]:
    reader: WaitingReader = _reader("waiting")
    return reader(tenant)


def case_field_values(tenant: Tenant) -> Mapping[str, list[str]]:
    reader: FieldValuesReader = _reader("field_values")
    return reader(tenant)


# --- predictions ------------------------------------------------------------------------------
# (tenant, the case's facts) -> {target: (value, label, confidence)}; the `assist` app
# registers its triage model here, so routing rules can test `predicted.*` fields.
Predictor = Callable[[Tenant, CaseFacts], Mapping[str, Prediction]]

_predictors: list[Predictor] = []


def register_predictor(fn: Predictor) -> None:
    """Sets the predictor (registering again replaces it: one model speaks for a case)."""
    _predictors[:] = [fn]


def predictions_for(tenant: Tenant, facts: CaseFacts) -> Mapping[str, Prediction]:
    """What the registered predictor says of the case; nothing when none is registered."""
    if not _predictors:
        return {}
    return _predictors[0](tenant, facts)
