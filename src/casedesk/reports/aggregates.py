"""Percentiles of the facts, computed by the database where it can (PostgreSQL's
`percentile_cont`) and otherwise in Python with the same formula (`facts.percentile`), so
both engines give the same figures."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, QuerySet

from casedesk.reports.facts import percentile


class PercentileCont(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


@dataclass(frozen=True)
class Spread:
    """The median and 90th percentile of some durations, in seconds; None for none."""

    count: int
    median: float | None
    p90: float | None


NO_SPREAD = Spread(0, None, None)


def spreads(qs: QuerySet[Any], field: str, keys: Sequence[str] = ()
            ) -> dict[tuple[Any, ...], Spread]:
    """The spread of `field` over the rows of `qs` (those where it is set), grouped by the
    `keys` (names of fields or annotations of `qs`); the key of no grouping is ()."""
    rows = qs.filter(**{f"{field}__isnull": False})
    if connections[qs.db].vendor == "postgresql":
        grouped = rows.values(*keys) if keys else rows
        if keys:
            found = grouped.annotate(n=Count(field), p50=PercentileCont(F(field), 0.5),
                                     p90=PercentileCont(F(field), 0.9)).order_by()
            return {tuple(r[k] for k in keys): Spread(r["n"], r["p50"], r["p90"])
                    for r in found}
        total = grouped.aggregate(n=Count(field), p50=PercentileCont(F(field), 0.5),
                                  p90=PercentileCont(F(field), 0.9))
        return {(): Spread(total["n"], total["p50"], total["p90"])} if total["n"] else {}
    values: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for row in rows.values_list(*keys, field).order_by():
        values[tuple(row[:-1])].append(float(row[-1]))
    return {key: Spread(len(v), percentile(v, 0.5), percentile(v, 0.9))
            for key, v in values.items()}

