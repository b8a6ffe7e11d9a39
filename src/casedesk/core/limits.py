"""The database's own limits on what a column holds, read from the model field that defines
the column: the one definition the API's schemas and the services' checks both use, so a
value that passes them fits on every engine (SQLite enforces no lengths; PostgreSQL does)."""

from collections.abc import Mapping
from decimal import Decimal
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
_TEXT_KINDS = ("CharField", "SlugField", "EmailField", "URLField")


def column_limits(model: type[models.Model], name: str) -> dict[str, int]:
    """What the column behind `model.name` holds: `{"max_length": n}` for text with a
    length, `{"ge": lo, "le": hi}` for an integer, `{"max_digits": d, "decimal_places": p}`
    for a decimal, `{}` for anything unbounded."""
    field = model._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    kind = field.get_internal_type()
    if kind in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[kind]
        return {"ge": low, "le": high}
    if isinstance(field, models.DecimalField):
        return {"max_digits": field.max_digits, "decimal_places": field.decimal_places}
    max_length = getattr(field, "max_length", None)
    if isinstance(max_length, int) and kind in _TEXT_KINDS:
        return {"max_length": max_length}
    return {}


def max_length(model: type[models.Model], name: str) -> int:
    """The most characters the text column behind `model.name` holds."""
    return column_limits(model, name)["max_length"]


def clipped(model: type[models.Model], name: str, value: str) -> str:
    """`value` cut to what the column behind `model.name` holds. Only for text that casedesk
    keeps as much of as fits instead of refusing it: what arrives by mail, what it composes
    itself. What a person typed is checked (`check_fits`) and refused instead."""
    limit = column_limits(model, name).get("max_length")
    return value if limit is None else value[:limit]


def largest_decimal(max_digits: int, decimal_places: int) -> Decimal:
    """The largest value a decimal column of this precision and scale holds (999.99)."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(10) ** -decimal_places


def _problem(limits: Mapping[str, int], name: str, value: Any) -> str | None:
    if isinstance(value, str) and "max_length" in limits and len(value) > limits["max_length"]:
        return f"{name} has at most {limits['max_length']} characters."
    if (isinstance(value, int) and not isinstance(value, bool) and "ge" in limits
            and not limits["ge"] <= value <= limits["le"]):
        return f"{name} is from {limits['ge']} to {limits['le']}."
    if isinstance(value, Decimal) and "max_digits" in limits:
        places = limits["decimal_places"]
        whole = limits["max_digits"] - places
        # The size first: rounding a huge value would overflow the decimal context.
        if (not value.is_finite() or abs(value) > largest_decimal(limits["max_digits"], places)
                or value != round(value, places)):
            return (f"{name} has at most {whole} digits before the decimal point and "
                    f"{places} after it.")
    return None


def fit_problem(model: type[models.Model], name: str, value: Any) -> str | None:
    """Why `value` does not fit the column `model.name`, or None when it does."""
    return _problem(column_limits(model, name), name, value)


def check_fits(model: type[models.Model], values: Mapping[str, Any], *,
               fields: Mapping[str, str] | None = None) -> None:
    """Refuses (Invalid, naming the field) the first value that its column cannot hold.
    `fields` maps a value's name to the model field it fills when the two differ; names
    that are no field of `model` are left to other checks."""
    for name, value in values.items():
        try:
            limits = column_limits(model, (fields or {}).get(name, name))
        except FieldDoesNotExist:
            continue
        problem = _problem(limits, name, value)
        if problem is not None:
            raise Invalid(problem, field=name)
