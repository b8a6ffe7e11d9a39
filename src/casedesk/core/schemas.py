"""Schema pieces shared by every API router."""

from collections.abc import Callable
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from ninja import Schema
from pydantic import AfterValidator, Field
from pydantic.fields import FieldInfo

from casedesk.core.limits import column_limits, largest_decimal
from casedesk.core.text import json_text_problem, text_problem

MAX_ID = 2**63 - 1


def _safe_text(value: str) -> str:
    """Refuses text a database cannot store: NUL characters and lone surrogates (the one
    check of `casedesk.core.text`, which the services apply too)."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError("must be an email address") from None
    return value


Text = Annotated[str, AfterValidator(_safe_text)]
ShortText = Annotated[str, Field(max_length=255), AfterValidator(_safe_text)]
RequiredText = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_safe_text),
                         AfterValidator(_non_blank)]
LongText = Annotated[str, Field(max_length=200_000), AfterValidator(_safe_text)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_safe_text), AfterValidator(_email)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def fits(model: type[models.Model], name: str, **narrower: Any) -> FieldInfo:
    """The pydantic bounds of the column `model.name` (its length, its integer range, a
    decimal's digits and so its range), so a schema states no limit of its own:
    `name: Annotated[Text, fits(Account, "name")]`. `narrower` bounds it further
    (`min_length=1`, a smaller `le`, `ge=0`)."""
    bounds: dict[str, Any] = dict(column_limits(model, name))
    if "max_digits" in bounds:
        largest = largest_decimal(bounds["max_digits"], bounds["decimal_places"])
        bounds.update(ge=-largest, le=largest)
        bounds = {**bounds, **narrower}
        bounds["json_schema_extra"] = _decimal_text(
            bounds["max_digits"] - bounds["decimal_places"], bounds["decimal_places"],
            signed=bounds["ge"] < 0)
    return Field(**{**bounds, **narrower})  # type: ignore[no-any-return]


def _decimal_text(whole: int, places: int, *, signed: bool) -> Callable[[dict[str, Any]], None]:
    """Documents the decimal's text form: pydantic takes a decimal as a JSON number or a
    string and checks its digits, but its JSON schema leaves the string unbounded."""
    sign = "-?" if signed else ""
    pattern = rf"^{sign}\d{{1,{whole}}}(\.\d{{1,{places}}})?$"

    def extra(schema: dict[str, Any]) -> None:
        for branch in schema.get("anyOf", [schema]):
            if isinstance(branch, dict) and branch.get("type") == "string":
                branch["pattern"] = pattern

    return extra


def check_json_text(value: Any) -> Any:
    """Refuses a JSON value holding strings the database cannot store, or nesting deeper than
    `casedesk.core.text.MAX_JSON_DEPTH`."""
    problem = json_text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class Error(Schema):
    detail: str
    field: str | None = None


class Message(Schema):
    detail: str


# A record named in another's answer: its id and name.
class RefOut(Schema):
    id: int
    name: str
