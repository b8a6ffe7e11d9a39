"""The checks a mail setting's value goes through (a mailbox's, the tenant's): one-line text,
a whole number in a range, a flag. Pure: each returns the clean value or raises `Invalid`
naming the field, whatever the caller (a form, a JSON body) sent."""

from typing import Any

from casedesk.core.errors import Invalid


def checked_text(values: dict[str, Any], name: str, label: str, *, max_length: int,
                 required: bool = True, strip: bool = True) -> str:
    """A single-line text value: control characters (a CR/LF smuggling a second IMAP
    command, a NUL PostgreSQL cannot store) are refused."""
    value = values.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=name)
    if strip:
        value = value.strip()
    if required and not value:
        raise Invalid(f"{label} is required.", field=name)
    if len(value) > max_length:
        raise Invalid(f"{label} is at most {max_length} characters.", field=name)
    if any(not ch.isprintable() for ch in value):
        raise Invalid(f"{label} must not contain control characters.", field=name)
    return value


def checked_whole(values: dict[str, Any], name: str, label: str, low: int, high: int) -> int:
    value = values.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{label} must be a whole number.", field=name)
    if not low <= value <= high:
        raise Invalid(f"{label} is from {low} to {high}.", field=name)
    return value


def checked_flag(values: dict[str, Any], name: str) -> bool:
    value = values.get(name)
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false.", field=name)
    return value
