"""The mapping an import is told (a JSON file on the command line, the column choices on the
settings page), checked once, and the columns suggested for a CSV file's headers (pure).

    {
      "columns": {"subject": "Title", "created_at": "Opened", "custom:plan": "Plan"},
      "values": {"status": {"Waiting on us": "in_progress"}, "type": {"Incident": "Bug"}},
      "custom_fields": {"360001234567": "plan", "Internal score": null}
    }

- `columns` (CSV format only): casedesk's field → the CSV column holding it
  (`CSV_FIELDS`; `custom:<key>` for a custom field);
- `values`: per field (`VALUE_FIELDS`), the old desk's value → casedesk's, on top of the
  built-in translation of each format (matching is case-insensitive);
- `custom_fields`: the old desk's custom field (Zendesk's field id, a Freshdesk or CSV
  column, a Salesforce `__c` column) → the key of a casedesk custom field, or null to leave
  it out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from casedesk.core.errors import Invalid
from casedesk.core.text import json_text_problem

# casedesk's fields a generic CSV may fill, with the header spellings suggested for them.
CSV_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ticketid", "ticketnumber", "caseid", "casenumber", "number", "ref",
           "reference", "externalid"),
    "subject": ("subject", "title", "summary", "topic"),
    "description": ("description", "body", "details", "message", "text", "content"),
    "status": ("status", "state"),
    "priority": ("priority", "severity", "urgency"),
    "type": ("type", "tickettype", "casetype", "kind"),
    "category": ("category",),
    "subcategory": ("subcategory",),
    "channel": ("channel", "source", "origin", "via"),
    "tags": ("tags", "labels", "keywords"),
    "created_at": ("createdat", "created", "createdtime", "createddate", "opened",
                   "openedat", "dateopened", "submitted"),
    "updated_at": ("updatedat", "updated", "lastupdatetime", "lastmodified",
                   "lastmodifieddate", "modified"),
    "resolved_at": ("resolvedat", "resolved", "resolvedtime", "solvedat", "solved"),
    "closed_at": ("closedat", "closed", "closedtime", "closeddate", "dateclosed"),
    "closed_reason": ("closedreason", "resolution", "reason", "resolutioncode"),
    "contact_email": ("email", "contactemail", "requesteremail", "customeremail", "from",
                      "requester"),
    "contact_name": ("name", "fullname", "contactname", "requestername", "customername",
                     "customer"),
    "contact_phone": ("phone", "contactphone", "telephone", "mobile"),
    "account_name": ("company", "companyname", "account", "accountname", "organization",
                     "organisation", "organizationname"),
    "owner_email": ("owneremail", "assigneeemail", "agentemail", "assignee", "owner"),
}
REQUIRED_CSV_FIELDS = ("id", "subject", "created_at")
CUSTOM_PREFIX = "custom:"
VALUE_FIELDS = ("status", "priority", "type", "category", "subcategory", "channel",
                "closed_reason")
MAX_ENTRIES = 1000
MAX_TEXT = 255
MAX_MAPPING_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Mapping:
    """A checked mapping; empty when none was given."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    custom_fields: dict[str, str | None] = field(default_factory=dict)

    def value(self, name: str, raw: str) -> str | None:
        """The mapped value of `raw` for field `name`, or None when the mapping is silent."""
        table = self.values.get(name, {})
        if raw in table:
            return table[raw]
        folded = raw.strip().casefold()
        for key, mapped in table.items():
            if key.strip().casefold() == folded:
                return mapped
        return None

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "values": self.values,
                "custom_fields": self.custom_fields}


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"Mapping: {where} must be a non-empty string.", field="mapping")
    if len(value) > MAX_TEXT:
        raise Invalid(f"Mapping: {where} is longer than {MAX_TEXT} characters.",
                      field="mapping")
    return value.strip()


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"Mapping: {where} must be an object.", field="mapping")
    if len(value) > MAX_ENTRIES:
        raise Invalid(f"Mapping: {where} has more than {MAX_ENTRIES} entries.",
                      field="mapping")
    return value


def mapping_from_json(data: Any) -> Mapping:
    """Checks a parsed mapping document; Invalid names the first thing wrong."""
    problem = json_text_problem(data)
    if problem is not None:
        raise Invalid(f"Mapping {problem}.", field="mapping")
    data = _table(data, "the mapping")
    unknown = sorted(set(data) - {"columns", "values", "custom_fields"})
    if unknown:
        raise Invalid(f"Mapping: unknown section {unknown[0]!r} (sections: columns, values, "
                      "custom_fields).", field="mapping")
    columns: dict[str, str] = {}
    for name, column in _table(data.get("columns", {}), "columns").items():
        if name not in CSV_FIELDS and not (name.startswith(CUSTOM_PREFIX)
                                           and len(name) > len(CUSTOM_PREFIX)):
            raise Invalid(f"Mapping: {name!r} is not a field an import fills (one of: "
                          f"{', '.join(CSV_FIELDS)}, or custom:<key>).", field="mapping")
        columns[name] = _text(column, f"columns.{name}")
    values: dict[str, dict[str, str]] = {}
    for name, table in _table(data.get("values", {}), "values").items():
        if name not in VALUE_FIELDS:
            raise Invalid(f"Mapping: values.{name} is not a field with mapped values (one "
                          f"of: {', '.join(VALUE_FIELDS)}).", field="mapping")
        values[name] = {_text(raw, f"a key of values.{name}"): (
                            mapped.strip() if isinstance(mapped, str) else
                            _text(mapped, f"values.{name}.{raw}"))
                        for raw, mapped in _table(table, f"values.{name}").items()}
    custom: dict[str, str | None] = {}
    for raw, key in _table(data.get("custom_fields", {}), "custom_fields").items():
        custom[_text(raw, "a key of custom_fields")] = (
            None if key is None else _text(key, f"custom_fields.{raw}"))
    return Mapping(columns=columns, values=values, custom_fields=custom)


def mapping_load(raw: bytes | str) -> Mapping:
    """A mapping from the text of a JSON file; Invalid when it is not one."""
    if len(raw) > MAX_MAPPING_BYTES:
        raise Invalid("The mapping file is larger than 1 MB.", field="mapping")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Invalid(f"The mapping file is not JSON ({error}).", field="mapping") from None
    return mapping_from_json(data)


def _folded(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def suggest_columns(headers: list[str]) -> dict[str, str]:
    """casedesk's field → the header that most likely holds it, for the fields some header
    matches (each header used once, the first spelling listed winning)."""
    by_folded: dict[str, str] = {}
    for header in headers:
        by_folded.setdefault(_folded(header), header)
    taken: set[str] = set()
    suggested: dict[str, str] = {}
    for name, spellings in CSV_FIELDS.items():
        for spelling in spellings:
            found = by_folded.get(spelling)
            if found is not None and found not in taken:
                suggested[name] = found
                taken.add(found)
                break
    return suggested
