"""Validation of a case's custom field values against the tenant's definitions (pure)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from casedesk.core.errors import Invalid
from casedesk.core.text import text_problem


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    PICKLIST = "picklist"
    CHECKBOX = "checkbox"


TEXT_MAX = 10_000


@dataclass(frozen=True)
class FieldSpec:
    """An active custom field as the checks see it. `on_new_case`: new cases are asked for
    it (the new-case page shows it), so `required` binds them."""

    key: str
    label: str
    kind: FieldKind
    required: bool = False
    choices: tuple[str, ...] = ()
    on_new_case: bool = True


def _invalid(spec: FieldSpec, message: str) -> Invalid:
    return Invalid(f"Custom field {spec.key!r} ({spec.label}): {message}",
                   field=f"custom_fields.{spec.key}")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_value(spec: FieldSpec, value: Any) -> Any:
    """The stored form of `value` for `spec` (JSON-safe), or an Invalid naming the field."""
    if spec.kind == FieldKind.TEXT:
        if not isinstance(value, str):
            raise _invalid(spec, "expected text.")
        if len(value) > TEXT_MAX:
            raise _invalid(spec, f"at most {TEXT_MAX} characters.")
        problem = text_problem(value)
        if problem is not None:
            raise _invalid(spec, f"{problem}.")
        return value
    if spec.kind == FieldKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _invalid(spec, "expected a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _invalid(spec, f"{value!r} is not a number.") from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            raise _invalid(spec, "expected a finite number below 10^15.")
        if number == number.to_integral_value():
            return int(number)
        return float(number)
    if spec.kind == FieldKind.DATE:
        if not isinstance(value, str):
            raise _invalid(spec, "expected a date as YYYY-MM-DD.")
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise _invalid(spec, f"{value!r} is not a date (YYYY-MM-DD).") from None
    if spec.kind == FieldKind.PICKLIST:
        if not isinstance(value, str) or value not in spec.choices:
            raise _invalid(spec, f"{value!r} is not one of: {', '.join(spec.choices)}.")
        return value
    if spec.kind == FieldKind.CHECKBOX:
        if not isinstance(value, bool):
            raise _invalid(spec, "expected true or false.")
        return value
    raise _invalid(spec, "unknown field kind.")


def clean_custom_fields(
    specs: list[FieldSpec], values: dict[str, Any], *, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The merged, validated custom fields of a case.

    `specs` are the tenant's active fields; `values` the incoming ones; `current` the case's
    stored ones (None when creating). A value of null clears a field. Unknown keys (a
    retired field's included) are refused as input, but the values a case holds for retired
    fields are kept: old cases keep what they were given.

    Required means "where it is asked for": a new case needs the required fields that new
    cases are asked for (`on_new_case`), so a field hidden from the new-case page never
    blocks making a case; a change cannot clear a required field, but an empty required field
    the change does not touch (one added later, or hidden where the case was made) does not
    block it.
    """
    by_key = {spec.key: spec for spec in specs}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise Invalid(f"Unknown custom field {unknown[0]!r}; defined: "
                      f"{', '.join(sorted(by_key)) or 'none'}.",
                      field=f"custom_fields.{unknown[0]}")
    merged = dict(current or {})
    for key, value in values.items():
        if _is_empty(value):
            merged.pop(key, None)
        else:
            merged[key] = clean_value(by_key[key], value)
    for spec in specs:
        binding = spec.on_new_case if current is None else spec.key in values
        if spec.required and binding and _is_empty(merged.get(spec.key)):
            if spec.kind == FieldKind.CHECKBOX:
                merged[spec.key] = False
                continue
            raise _invalid(spec, "this field is required.")
    return merged
