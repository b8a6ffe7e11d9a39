"""The database's own limits on what a column holds, read from the model field that defines
the column: the one definition the API's schemas and the services' checks both use, so a
value that passes them fits on every engine (SQLite enforces no lengths; PostgreSQL does)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from casedesk.core.errors import Invalid

# PostgreSQL's ranges, the strictest of the engines casedesk runs on; a value inside them
# fits everywhere.
_INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "SmallIntegerField": (-(2**15), 2**15 - 1),
    "PositiveSmallIntegerField": (0, 2**15 - 1),
    "IntegerField": (-(2**31), 2**31 - 1),
    "PositiveIntegerField": (0, 2**31 - 1),
    "BigIntegerField": (-(2**63), 2**63 - 1),
    "PositiveBigIntegerField": (0, 2**63 - 1),
    "BigAutoField": (1, 2**63 - 1),
    "AutoField": (1, 2**31 - 1),
}


def column_limits(model: type[models.Model], name: str) -> dict[str, int]:
    """What the column behind `model.name` holds: `{"max_length": n}` for text with a
    length, `{"ge": lo, "le": hi}` for an integer, `{}` for anything unbounded."""
    field = model._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    kind = field.get_internal_type()
    if kind in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[kind]
        return {"ge": low, "le": high}
    max_length = getattr(field, "max_length", None)
    if isinstance(max_length, int) and kind in ("CharField", "SlugField", "EmailField",
                                                "URLField"):
        return {"max_length": max_length}
    return {}


def fit_problem(model: type[models.Model], name: str, value: Any) -> str | None:
    """Why `value` does not fit the column `model.name`, or None when it does."""
    limits = column_limits(model, name)
    if isinstance(value, str) and "max_length" in limits and len(value) > limits["max_length"]:
        return f"{name} has at most {limits['max_length']} characters."
    if (isinstance(value, int) and not isinstance(value, bool) and "ge" in limits
            and not limits["ge"] <= value <= limits["le"]):
        return f"{name} is from {limits['ge']} to {limits['le']}."
    return None


def check_fits(model: type[models.Model], values: Mapping[str, Any], *,
               fields: Mapping[str, str] | None = None) -> None:
    """Refuses (Invalid, naming the field) the first value that its column cannot hold.
    `fields` maps a value's name to the model field it fills when the two differ."""
    for name, value in values.items():
        column = (fields or {}).get(name, name)
        try:
            problem = fit_problem(model, column, value)
        except FieldDoesNotExist:
            continue
        if problem is not None:
            raise Invalid(problem.replace(column, name, 1), field=name)
