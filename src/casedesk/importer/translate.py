"""The old desks' values in casedesk's terms (pure): statuses, priorities, channels, picklist
values and custom fields. The mapping a user gives wins over the built-in tables; a value
neither knows is refused with the way to map it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from casedesk.cases.customfields import FieldKind, FieldSpec
from casedesk.cases.lifecycle import Status
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.importer.mapping import Mapping
from casedesk.importer.sources import SourceError, parse_bool

# Every desk's status names (Zendesk, Freshdesk, Salesforce's defaults, casedesk's own),
# case-folded. Zendesk's "hold" waits on a third party: the desk is still working it.
STATUSES: dict[str, Status] = {
    "new": Status.NEW, "open": Status.OPEN, "pending": Status.PENDING_CUSTOMER,
    "hold": Status.IN_PROGRESS, "on hold": Status.IN_PROGRESS, "on-hold": Status.IN_PROGRESS,
    "solved": Status.RESOLVED, "resolved": Status.RESOLVED, "closed": Status.CLOSED,
    "waiting on customer": Status.PENDING_CUSTOMER,
    "waiting on third party": Status.IN_PROGRESS, "working": Status.IN_PROGRESS,
    "escalated": Status.IN_PROGRESS, "in progress": Status.IN_PROGRESS,
    "in_progress": Status.IN_PROGRESS, "pending customer": Status.PENDING_CUSTOMER,
    "pending_customer": Status.PENDING_CUSTOMER,
}
PRIORITIES: dict[str, int] = {
    "low": Priority.LOW, "normal": Priority.NORMAL, "medium": Priority.NORMAL,
    "high": Priority.HIGH, "urgent": Priority.URGENT, "critical": Priority.URGENT,
    "1": Priority.LOW, "2": Priority.NORMAL, "3": Priority.HIGH, "4": Priority.URGENT,
}
# Zendesk's via.channel, Freshdesk's Source, Salesforce's Origin → casedesk's sources.
CHANNELS: dict[str, str] = {
    "email": "email", "e-mail": "email", "mail": "email", "outbound email": "email",
    "web": "web", "web_form": "web", "web form": "web", "mobile": "web", "mobile_sdk": "web",
    "help_center": "portal", "portal": "portal", "forum": "portal",
    "feedback widget": "web", "mobihelp": "web", "e-commerce": "web",
    "phone": "phone", "voice": "phone", "call": "phone",
    "chat": "chat", "live chat": "chat", "native_messaging": "chat", "messaging": "chat",
    "sms": "chat", "twitter": "chat", "facebook": "chat", "whatsapp": "chat",
    "slack": "slack", "api": "api", "rule": "api", "system": "api", "any_channel": "api",
    "sample_ticket": "api", "side_conversation": "api", "closed_ticket": "api",
}
# The old desks' default ticket types that casedesk's default types cover under another name.
TYPES: dict[str, str] = {"incident": "Bug", "problem": "Bug", "task": "Other",
                         "refund": "Billing"}
DEFAULT_CLOSED_REASON = "Resolved"


def _mapping_hint(name: str, raw: str) -> str:
    return f'map it in the mapping\'s values ({{"values": {{"{name}": {{"{raw}": ...}}}}}})'


def status_of(raw: str, mapping: Mapping, *, is_closed: bool | None = None,
              has_resolved: bool = False, has_closed: bool = False) -> Status:
    """The casedesk status of an old desk's status. Without one: closed or resolved when
    the record has those times, else open. Salesforce's IsClosed closes a case whose
    (custom) status says nothing more."""
    mapped = mapping.value("status", raw)
    name = (mapped if mapped is not None else raw).strip()
    if not name:
        return (Status.CLOSED if has_closed or is_closed else
                Status.RESOLVED if has_resolved else Status.OPEN)
    found = STATUSES.get(name.casefold())
    if found is None and is_closed:
        return Status.CLOSED
    if found is None:
        raise Invalid(f"Unknown status {raw!r}; casedesk's are "
                      f"{', '.join(s.value for s in Status)}: {_mapping_hint('status', raw)}.",
                      field="status")
    if is_closed and found not in (Status.RESOLVED, Status.CLOSED):
        return Status.CLOSED
    return found


def priority_of(raw: str, mapping: Mapping) -> int:
    mapped = mapping.value("priority", raw)
    name = (mapped if mapped is not None else raw).strip()
    if not name:
        return Priority.NORMAL
    found = PRIORITIES.get(name.casefold())
    if found is None:
        raise Invalid(f"Unknown priority {raw!r} (low, normal, high, urgent): "
                      f"{_mapping_hint('priority', raw)}.", field="priority")
    return found


def channel_of(raw: str, mapping: Mapping) -> str:
    """casedesk's source for the channel a case came in by; email when the export says
    nothing (most imported history came by mail)."""
    mapped = mapping.value("channel", raw)
    name = (mapped if mapped is not None else raw).strip()
    if not name:
        return "email"
    found = CHANNELS.get(name.casefold())
    if found is None:
        raise Invalid(f"Unknown channel {raw!r} (email, web, phone, chat, slack, api, portal)"
                      f": {_mapping_hint('channel', raw)}.", field="channel")
    return found


def picklist_value(name: str, raw: str, mapping: Mapping, allowed: Iterable[str], *,
                   defaults: dict[str, str] | None = None) -> str:
    """The tenant's own spelling of a picklist value (type, category, subcategory, closed
    reason): mapped, else a built-in equivalent, else the tenant's value of the same name
    in any case. Unknown values are left for the picklist check to refuse, with the mapping
    hint."""
    mapped = mapping.value(name, raw)
    value = (mapped if mapped is not None else raw).strip()
    if not value:
        return ""
    by_folded = {v.casefold(): v for v in allowed}
    if value.casefold() in by_folded:
        return by_folded[value.casefold()]
    default = (defaults or {}).get(value.casefold())
    if default is not None and default.casefold() in by_folded:
        return by_folded[default.casefold()]
    raise Invalid(f"{name.replace('_', ' ').capitalize()} {raw!r} is not one of this "
                  f"tenant's ({', '.join(sorted(by_folded.values())) or 'none'}): add it "
                  f"under Settings → Fields, or {_mapping_hint(name, raw)}.", field=name)


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.casefold().removesuffix("__c")).strip("_")


@dataclass
class CustomFields:
    """How an import's custom fields land on the tenant's definitions."""

    specs: list[FieldSpec]
    mapping: Mapping
    _keys: dict[str, str | None] = field(default_factory=dict)

    def key_of(self, source_key: str) -> str | None:
        """The casedesk key of an old desk's field; None when the mapping leaves it out;
        Invalid when nothing names a casedesk field for it."""
        if source_key in self._keys:
            return self._keys[source_key]
        defined = {spec.key for spec in self.specs}
        if source_key in self.mapping.custom_fields:
            key = self.mapping.custom_fields[source_key]
            if key is not None and key not in defined:
                raise Invalid(f"The mapping sends custom field {source_key!r} to {key!r}, "
                              "which is no active custom field of this tenant.",
                              field="custom_fields")
        elif source_key in defined:
            key = source_key
        elif _slug(source_key) in defined:
            key = _slug(source_key)
        else:
            raise Invalid(
                f"Custom field {source_key!r} has no casedesk field: add one (Settings → "
                f"Fields, key {_slug(source_key) or 'of your choice'}), or name it in the "
                f'mapping ({{"custom_fields": {{"{source_key}": "<key>"}}}}, or null to '
                "leave it out).", field="custom_fields")
        self._keys[source_key] = key
        return key

    def values(self, source: dict[str, Any]) -> dict[str, Any]:
        """The custom field values by casedesk key, converted from the export's text where
        the field wants a yes/no or a picklist value in another case."""
        by_key = {spec.key: spec for spec in self.specs}
        found: dict[str, Any] = {}
        for source_key, value in source.items():
            key = self.key_of(source_key)
            if key is None:
                continue
            spec = by_key[key]
            if spec.kind == FieldKind.CHECKBOX and isinstance(value, str):
                try:
                    value = parse_bool(value, name=source_key)
                except SourceError as error:
                    raise Invalid(error.message, field="custom_fields") from None
            elif spec.kind == FieldKind.PICKLIST and isinstance(value, str):
                choices = {c.casefold(): c for c in spec.choices}
                value = choices.get(value.strip().casefold(), value)
            found[key] = value
        return found
