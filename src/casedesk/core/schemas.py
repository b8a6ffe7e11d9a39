"""Schema pieces shared by every API router."""

from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1


def _safe_text(value: str) -> str:
    """Refuses text a database cannot store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
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


MAX_JSON_DEPTH = 32


def check_json_text(value: Any) -> Any:
    """Walks a JSON value and refuses strings the database cannot store, and nesting deeper
    than MAX_JSON_DEPTH (iteratively: a deeply nested body must not exhaust the stack)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"must not nest deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str):
            _safe_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _safe_text(key)
                pending.append((child, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return value


class Error(Schema):
    detail: str
    field: str | None = None


class Message(Schema):
    detail: str
