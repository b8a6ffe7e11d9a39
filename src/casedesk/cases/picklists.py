"""Tenant picklists and custom field definitions: defaults, reads and admin writes."""

from collections import defaultdict
from typing import Any

from django.db import IntegrityError, transaction

from casedesk.cases.customfields import FieldKind, FieldSpec
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.text import check_texts
from casedesk.tenancy.models import Tenant

DEFAULT_TYPES = ("Question", "Bug", "Feature Request", "Billing", "Onboarding", "Other")
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Billing": ("Invoice", "Refund", "Payment method", "Pricing"),
    "Technical": ("Login", "Performance", "Integration", "Data import", "Error message"),
    "Account": ("Access", "Users and roles", "Cancellation"),
    "Onboarding": ("Setup", "Training"),
    "General": ("How-to", "Feedback"),
}
DEFAULT_CLOSED_REASONS = ("Resolved", "Duplicate", "Customer unresponsive", "Won't fix", "Other")
DEFAULT_SUB_STATUSES = (("In Progress – Internal Referral", Status.IN_PROGRESS),)
INTERNAL_REFERRAL = DEFAULT_SUB_STATUSES[0][0]


def picklists_seed_defaults(tenant: Tenant) -> None:
    """Gives a tenant the default picklists; running it again adds nothing twice."""
    rows: list[PicklistValue] = []
    for position, value in enumerate(DEFAULT_TYPES):
        rows.append(PicklistValue(tenant=tenant, kind=PicklistKind.TYPE, value=value,
                                  position=position))
    for position, (category, subs) in enumerate(DEFAULT_CATEGORIES.items()):
        rows.append(PicklistValue(tenant=tenant, kind=PicklistKind.CATEGORY, value=category,
                                  position=position))
        rows.extend(
            PicklistValue(tenant=tenant, kind=PicklistKind.SUBCATEGORY, value=sub,
                          parent=category, position=sub_position)
            for sub_position, sub in enumerate(subs)
        )
    for position, value in enumerate(DEFAULT_CLOSED_REASONS):
        rows.append(PicklistValue(tenant=tenant, kind=PicklistKind.CLOSED_REASON, value=value,
                                  position=position))
    for position, (value, status) in enumerate(DEFAULT_SUB_STATUSES):
        rows.append(PicklistValue(tenant=tenant, kind=PicklistKind.SUB_STATUS, value=value,
                                  parent=status.value, position=position))
    PicklistValue.objects.bulk_create(rows, ignore_conflicts=True)


class Picklists:
    """A tenant's active picklist values, loaded in one query, for validating a case."""

    def __init__(self, tenant: Tenant, kinds: tuple[str, ...] | None = None) -> None:
        self.values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        qs = PicklistValue.objects.filter(tenant=tenant, is_active=True)
        if kinds is not None:
            qs = qs.filter(kind__in=kinds)
        rows = qs.values_list("kind", "parent", "value")
        for kind, parent, value in rows:
            self.values[kind][parent].add(value)

    def all(self, kind: str) -> set[str]:
        return set().union(*self.values[kind].values()) if self.values[kind] else set()

    def check(self, kind: str, value: str, *, parent: str = "") -> None:
        if not value:
            return
        if kind == PicklistKind.SUBCATEGORY:
            allowed = self.values[kind].get(parent, set())
            if value not in allowed:
                where = f"of category {parent!r}" if parent else "without a category"
                raise Invalid(
                    f"{value!r} is not a subcategory {where} (one of: "
                    f"{', '.join(sorted(allowed)) or 'none'}).", field=kind)
            return
        if kind == PicklistKind.SUB_STATUS:
            allowed = self.values[kind].get(parent, set())
            if value not in allowed:
                raise Invalid(f"{value!r} is not a sub-status of {parent} (one of: "
                              f"{', '.join(sorted(allowed)) or 'none'}).", field=kind)
            return
        allowed = self.all(kind)
        if value not in allowed:
            label = PicklistKind(kind).label.lower()
            raise Invalid(f"{value!r} is not a {label} of this tenant (one of: "
                          f"{', '.join(sorted(allowed)) or 'none'}).", field=kind)


def field_specs(tenant: Tenant) -> list[FieldSpec]:
    return [
        FieldSpec(key=d.key, label=d.label, kind=FieldKind(d.kind), required=d.required,
                  choices=tuple(d.choices))
        for d in CustomFieldDefinition.objects.filter(tenant=tenant, is_active=True)
    ]


def picklist_value_add(*, tenant: Tenant, kind: str, value: str, parent: str = "",
                       position: int = 0) -> PicklistValue:
    """Adds a value to one of the tenant's picklists."""
    check_texts({"value": value, "parent": parent}, ("value", "parent"))
    value = value.strip()
    if not value:
        raise Invalid("A picklist value cannot be empty.", field="value")
    if kind == PicklistKind.SUBCATEGORY:
        Picklists(tenant).check(PicklistKind.CATEGORY, parent)
        if not parent:
            raise Invalid("A subcategory needs its category as parent.", field="parent")
    elif kind == PicklistKind.SUB_STATUS:
        if parent not in {s.value for s in Status}:
            raise Invalid("A sub-status needs the canonical status it maps onto as parent.",
                          field="parent")
    elif parent:
        raise Invalid(f"A {kind} value has no parent.", field="parent")
    try:
        with transaction.atomic():
            return PicklistValue.objects.create(tenant=tenant, kind=kind, value=value,
                                                parent=parent, position=position)
    except IntegrityError:
        raise Conflict(f"{value!r} is in the {kind} picklist already.") from None


def picklist_value_update(*, item: PicklistValue, changes: dict[str, Any]) -> PicklistValue:
    """Changes position or active flag; values are not renamed, since cases store them."""
    for field in ("position", "is_active"):
        if field in changes:
            setattr(item, field, changes[field])
    item.save()
    return item


def custom_field_create(*, tenant: Tenant, key: str, label: str, kind: str,
                        required: bool = False, choices: list[str] | None = None,
                        position: int = 0) -> CustomFieldDefinition:
    """Defines a new custom field for the tenant's cases."""
    check_texts({"key": key, "label": label, "choices": choices or []},
                ("key", "label", "choices"))
    choices = _clean_choices(kind, choices or [])
    try:
        with transaction.atomic():
            return CustomFieldDefinition.objects.create(
                tenant=tenant, key=key, label=label, kind=kind, required=required,
                choices=choices, position=position)
    except IntegrityError:
        raise Conflict(f"A custom field with the key {key!r} exists already.") from None


def custom_field_update(*, definition: CustomFieldDefinition,
                        changes: dict[str, Any]) -> CustomFieldDefinition:
    """Changes label, required, choices, position or active flag; the kind is fixed."""
    check_texts(changes, ("label", "choices"))
    if "choices" in changes:
        changes["choices"] = _clean_choices(definition.kind, changes["choices"] or [])
    for field in ("label", "required", "choices", "position", "is_active"):
        if field in changes:
            setattr(definition, field, changes[field])
    definition.save()
    return definition


def _clean_choices(kind: str, choices: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(c.strip() for c in choices if c.strip()))
    if kind == FieldKind.PICKLIST and not cleaned:
        raise Invalid("A picklist field needs at least one choice.", field="choices")
    if kind != FieldKind.PICKLIST and cleaned:
        raise Invalid("Only picklist fields have choices.", field="choices")
    return cleaned
