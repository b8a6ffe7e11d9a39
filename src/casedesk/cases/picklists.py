"""Tenant picklists and custom field definitions: the defaults, what new input is offered
and accepted, and the admins' writes (the `/settings/fields` pages and the configuration API).

A picklist value or a custom field is never deleted: cases store picklist values by their
spelling and custom field values under the field's key, so a value or field in use must stay.
Retiring one (`is_active` off) takes it out of what new input is offered and accepted, while
the cases that carry it keep it, also when their other fields change.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.signals import post_delete, post_save

from casedesk.cases.customfields import FieldKind, FieldSpec
from casedesk.cases.hooks import cases_touched
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits, column_limits
from casedesk.core.ordering import write_positions
from casedesk.core.text import check_text, check_texts
from casedesk.routing.selectors import rules_in_order, skill_requirements
from casedesk.sla.selectors import policies_in_order
from casedesk.tenancy.audit import audit_change, audit_created, audit_snapshot
from casedesk.tenancy.models import Tenant, User
from casedesk.tenancy.versioned import TenantCache

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
    fields_changed(tenant.pk, tenant)


# Each process keeps the picklists and custom fields a tenant's new cases are checked
# against (tenancy/versioned.py); every write of either moves `Tenant.fields_version` on
# (`fields_changed`).
_picklists_cache: TenantCache["Picklists"] = TenantCache("fields_version")
_fields_cache: TenantCache[list[CustomFieldDefinition]] = TenantCache("fields_version")


def fields_changed(tenant_id: int, tenant: Tenant | None = None) -> None:
    """Called in the writing transaction: other processes see the new version with the
    commit; this one forgets its copies now and again at the commit (one read in between
    saw the uncommitted change). A saved or deleted row calls it by itself (`_row_changed`,
    so the admin site and tests' fixtures count too); set-based writes call it."""
    Tenant.objects.filter(pk=tenant_id).update(fields_version=F("fields_version") + 1)
    if tenant is not None:
        tenant.fields_version += 1

    def forget() -> None:
        _picklists_cache.forget(tenant_id)
        _fields_cache.forget(tenant_id)

    forget()
    transaction.on_commit(forget)


def _row_changed(sender: type, instance: PicklistValue | CustomFieldDefinition,
                 **_: Any) -> None:
    fields_changed(instance.tenant_id)


post_save.connect(_row_changed, sender=PicklistValue, dispatch_uid="picklist-saved")
post_delete.connect(_row_changed, sender=PicklistValue, dispatch_uid="picklist-deleted")
post_save.connect(_row_changed, sender=CustomFieldDefinition, dispatch_uid="field-saved")
post_delete.connect(_row_changed, sender=CustomFieldDefinition, dispatch_uid="field-deleted")


class Picklists:
    """A tenant's active picklist values, loaded in one query, for validating a case."""

    @classmethod
    def of(cls, tenant: Tenant) -> "Picklists":
        """All the tenant's active values, from this process's copy while it is current.
        Shared: only read it."""
        return _picklists_cache.get(tenant, lambda: cls(tenant))

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


# Where a new case of each source is asked for its custom fields: the web form and the
# portal ask for those shown on the web form; mail asks for none; every other source (the
# console's new-case page, the API, phone and chat taken by an agent) for those shown on the
# new-case page. A required field binds only the cases that were asked for it.
_WEB_FORM_SOURCES = frozenset({"web", "portal"})
_UNASKED_SOURCES = frozenset({"email"})


def field_specs(tenant: Tenant, *, source: str = "") -> list[FieldSpec]:
    """The tenant's active custom fields, as `customfields.clean_custom_fields` checks them
    for a new case from `source` (or for a change of a case: `on_new_case` then does not
    matter)."""
    def asked(definition: CustomFieldDefinition) -> bool:
        if source in _WEB_FORM_SOURCES:
            return definition.show_on_web_form
        if source in _UNASKED_SOURCES:
            return False
        return definition.show_on_new_case

    definitions = _fields_cache.get(tenant, lambda: list(
        CustomFieldDefinition.objects.filter(tenant=tenant, is_active=True)))
    return [
        FieldSpec(key=d.key, label=d.label, kind=FieldKind(d.kind), required=d.required,
                  choices=tuple(d.choices), on_new_case=asked(d))
        for d in definitions
    ]


# --- picklist values --------------------------------------------------------------------------

# The case column each picklist fills.
CASE_COLUMNS: dict[str, str] = {
    PicklistKind.TYPE: "type", PicklistKind.CATEGORY: "category",
    PicklistKind.SUBCATEGORY: "subcategory", PicklistKind.CLOSED_REASON: "closed_reason",
    PicklistKind.SUB_STATUS: "sub_status",
}
# The picklists whose values routing rules and SLA policies test (`routing.rules.FIELDS`).
ROUTED_KINDS = (PicklistKind.TYPE, PicklistKind.CATEGORY, PicklistKind.SUBCATEGORY)


def picklist_values(tenant: Tenant) -> list[PicklistValue]:
    """Every value of the tenant's picklists, retired ones too: by kind, parent, position."""
    return list(PicklistValue.objects.filter(tenant=tenant)
                .order_by("kind", "parent", "position", "value", "id"))


def _siblings(tenant_id: int, kind: str, parent: str) -> QuerySet[PicklistValue]:
    return PicklistValue.objects.filter(tenant_id=tenant_id, kind=kind, parent=parent)


def picklist_value_ids_in_order(item: PicklistValue) -> list[int]:
    """The active values of `item`'s list (its kind, under its parent), first first."""
    return list(_siblings(item.tenant_id, item.kind, item.parent).filter(is_active=True)
                .order_by("position", "value", "id").values_list("pk", flat=True))


def _clean_value(value: str, *, field: str = "value") -> str:
    check_text(value, field=field, label="The value")
    value = value.strip()
    if not value:
        raise Invalid("A picklist value cannot be empty.", field=field)
    check_fits(PicklistValue, {field: value}, fields={field: "value"})
    return value


def _at_end(rows: QuerySet[Any], active_ids: Iterable[int], item_pk: int) -> None:
    """Puts `item_pk` after the other active rows of its list (positions renumbered from 0,
    so they never run out)."""
    write_positions(rows, [pk for pk in active_ids if pk != item_pk] + [item_pk])


PICKLIST_AUDITED = ("value", "parent", "is_active", "position")


def _audit_value(item: PicklistValue, action: str, before: dict[str, Any],
                 actor: User | None) -> None:
    audit_change(tenant=item.tenant_id, actor=actor, action=action,
                 target_type="picklist_value", target_id=item.pk,
                 target_label=f"{_noun(item.kind)}: {item.value}", before=before,
                 after=audit_snapshot(item, PICKLIST_AUDITED))


def picklist_value_add(*, tenant: Tenant, kind: str, value: str, parent: str = "",
                       position: int | None = None,
                       actor: User | None = None) -> PicklistValue:
    """Adds a value to one of the tenant's picklists: at `position`, or after the active
    values of its list. A subcategory names an active category as `parent`, a sub-status the
    canonical status it maps onto; the other kinds have none."""
    if kind not in PicklistKind.values:
        raise Invalid(f"{kind!r} is not a picklist.", field="kind")
    check_texts({"parent": parent}, ("parent",))
    value = _clean_value(value)
    check_fits(PicklistValue, {"parent": parent, "position": position})
    if kind == PicklistKind.SUBCATEGORY:
        if not parent:
            raise Invalid("A subcategory needs its category as parent.", field="parent")
        Picklists(tenant, kinds=(PicklistKind.CATEGORY,)).check(PicklistKind.CATEGORY, parent)
    elif kind == PicklistKind.SUB_STATUS:
        if parent not in {s.value for s in Status}:
            raise Invalid("A sub-status needs the canonical status it maps onto as parent.",
                          field="parent")
    elif parent:
        raise Invalid(f"A {kind} value has no parent.", field="parent")
    try:
        with transaction.atomic():
            item = PicklistValue.objects.create(tenant=tenant, kind=kind, value=value,
                                                parent=parent, position=position or 0)
            if position is None:
                rows = _siblings(tenant.pk, kind, parent)
                _at_end(rows, picklist_value_ids_in_order(item), item.pk)
                item.refresh_from_db(fields=["position"])
            _audit_value(item, "picklist_value.added", {}, actor)
    except IntegrityError:
        raise Conflict(f"{value!r} is in the {_noun(kind)} picklist already.") from None
    return item


def picklist_value_update(*, item: PicklistValue, changes: dict[str, Any],
                          actor: User | None = None) -> PicklistValue:
    """The API's change of a value: its spelling (`picklist_value_rename`), retired or not
    (`picklist_value_set_active`) and its position, in one transaction and one audit
    entry."""
    check_fits(PicklistValue, {k: v for k, v in changes.items() if k == "position"})
    with transaction.atomic():
        before = audit_snapshot(item, PICKLIST_AUDITED)
        if "value" in changes:
            picklist_value_rename(item=item, value=changes["value"], audited=False)
        if "is_active" in changes:
            picklist_value_set_active(item=item, active=bool(changes["is_active"]),
                                      audited=False)
        if "position" in changes:
            item.position = changes["position"]
            item.save(update_fields=["position"])
        _audit_value(item, "picklist_value.updated", before, actor)
    return item


def picklist_value_rename(*, item: PicklistValue, value: str, actor: User | None = None,
                          audited: bool = True) -> int:
    """Changes a value's spelling, and the spelling the tenant's cases carry with it; returns
    how many cases changed.

    Renaming is a change of spelling, not of meaning: the cases carrying the value get the
    new spelling in one set-based update in the same transaction (a category's subcategories
    follow it too), with no timeline entry and no new `updated_at` — no one worked those
    cases — and their SLA clocks stay as set. Routing rules, SLA policies and skill
    requirements belong to their own apps and are left as written (they compare text without
    regard to case): `still_named_by` tells the admin which ones name the old spelling.
    The sub-status that referrals set keeps its name (referrals look for it by name).
    Audited (unless `audited` is False: the caller records the change it is part of).
    """
    if item.kind == PicklistKind.SUB_STATUS and item.value == INTERNAL_REFERRAL:
        raise Invalid("Referrals set this sub-status by its name, so it cannot be renamed.",
                      field="value")
    value = _clean_value(value)
    taken = Conflict(f"{value!r} is in the {_noun(item.kind)} picklist already"
                     f"{_under(item)}: un-retire or rename that one instead.")
    try:
        with transaction.atomic():
            locked = PicklistValue.objects.select_for_update().get(pk=item.pk)
            old = locked.value
            if value == old:
                return 0
            if _siblings(locked.tenant_id, locked.kind, locked.parent).filter(
                    value=value).exists():
                raise taken
            column = CASE_COLUMNS[locked.kind]
            cases = Case.objects.filter(tenant_id=locked.tenant_id, **{column: old})
            if locked.kind == PicklistKind.SUBCATEGORY:
                cases = cases.filter(category=locked.parent)
            elif locked.kind == PicklistKind.SUB_STATUS:
                cases = cases.filter(status=locked.parent)
            if locked.kind == PicklistKind.CATEGORY:
                cases_touched(locked.tenant_id, list(cases.values_list("pk", flat=True)))
            changed = cases.update(**{column: value})
            if locked.kind == PicklistKind.CATEGORY:
                _siblings(locked.tenant_id, PicklistKind.SUBCATEGORY, old).update(parent=value)
            before = audit_snapshot(locked, PICKLIST_AUDITED)
            locked.value = value
            locked.save(update_fields=["value"])
            if audited:
                audit_change(tenant=locked.tenant_id, actor=actor,
                             action="picklist_value.renamed", target_type="picklist_value",
                             target_id=locked.pk,
                             target_label=f"{_noun(locked.kind)}: {value}", before=before,
                             after=audit_snapshot(locked, PICKLIST_AUDITED),
                             detail={"cases_changed": changed})
    except IntegrityError:  # the spelling was added meanwhile
        raise taken from None
    item.value = value
    return changed


def picklist_value_set_active(*, item: PicklistValue, active: bool,
                              actor: User | None = None,
                              audited: bool = True) -> PicklistValue:
    """Retires a value (offered and accepted for new input no more; the cases that carry it
    keep it) or un-retires it (back at the end of its list). Giving the state it has already
    changes nothing, so a double click cannot undo itself."""
    if item.is_active == active:
        return item
    if (not active and item.kind == PicklistKind.SUB_STATUS
            and item.value == INTERNAL_REFERRAL):
        raise Invalid("Referrals set this sub-status themselves, so it cannot be retired.",
                      field="is_active")
    with transaction.atomic():
        rows = _siblings(item.tenant_id, item.kind, item.parent)
        _lock(rows)
        before = audit_snapshot(item, PICKLIST_AUDITED)
        order = picklist_value_ids_in_order(item)
        item.is_active = active
        item.save(update_fields=["is_active"])
        if active:
            _at_end(rows, order, item.pk)
            item.refresh_from_db(fields=["position"])
        if audited:
            _audit_value(item, "picklist_value.restored" if active
                         else "picklist_value.retired", before, actor)
    return item


def picklist_values_reorder(*, item: PicklistValue, value_ids: list[int],
                            actor: User | None = None) -> None:
    """Puts the active values of `item`'s list in the given order; the order must name each
    of them once (retired values keep their place apart). Audited with the values' old and
    new order."""
    with transaction.atomic():
        rows = _siblings(item.tenant_id, item.kind, item.parent)
        current = set(_lock(rows.filter(is_active=True)))
        if len(value_ids) != len(set(value_ids)) or set(value_ids) != current:
            raise Invalid("The order must list every active value of the list exactly once.",
                          field="value_ids")
        active = rows.filter(is_active=True)
        old = list(active.order_by("position", "pk").values_list("value", flat=True))
        write_positions(rows, value_ids)
        fields_changed(item.tenant_id)
        audit_change(tenant=item.tenant_id, actor=actor, action="picklist.reordered",
                     target_type="picklist", target_id=item.kind,
                     target_label=_noun(item.kind) + (f" under {item.parent}"
                                                      if item.parent else ""),
                     before={"order": old},
                     after={"order": list(active.order_by("position", "pk")
                                          .values_list("value", flat=True))})


def still_named_by(tenant: Tenant, kind: str, value: str) -> list[str]:
    """The routing rules, SLA policies and skill requirements that name `value` of a
    `kind` routing tests (compared as they compare it, without regard to case)."""
    if kind not in ROUTED_KINDS:
        return []
    wanted = value.casefold()
    named: list[str] = []
    for label, rows in (("routing rule", rules_in_order(tenant)),
                        ("SLA policy", list(policies_in_order(tenant.pk)))):
        for row in rows:
            if any(c.get("field") == kind and _names(c.get("value"), wanted)
                   for c in row.conditions if isinstance(c, dict)):
                named.append(f"{label} “{row.name}”")
    for requirement in skill_requirements(tenant):
        if _names(getattr(requirement, kind, None), wanted):
            named.append(f"skills for “{requirement.category}"
                         f"{' › ' + requirement.subcategory if requirement.subcategory else ''}”")
    return named


def _lock(rows: QuerySet[Any]) -> list[int]:
    """Locks `rows` until the transaction ends (two admins reordering one list at once take
    turns); their ids."""
    return list(rows.select_for_update().values_list("pk", flat=True))


def _names(given: Any, wanted: str) -> bool:
    values = given if isinstance(given, list) else [given]
    return any(isinstance(v, str) and v.strip().casefold() == wanted for v in values)


def _noun(kind: str) -> str:
    return PicklistKind(kind).label.lower()


def _under(item: PicklistValue) -> str:
    return f" under {item.parent}" if item.parent else ""


# --- custom fields ----------------------------------------------------------------------------

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_CHOICES = 500
# A picklist field's choice is as long as a picklist value may be.
CHOICE_MAX_LENGTH = column_limits(PicklistValue, "value")["max_length"]
# What `custom_field_update` changes; `key` and `kind` are fixed once cases hold values.
FIELD_CHANGES = ("label", "required", "choices", "help_text", "show_on_case_page",
                 "show_on_new_case", "show_on_web_form", "position", "is_active")


def custom_fields_of(tenant: Tenant) -> list[CustomFieldDefinition]:
    """The tenant's custom fields, retired ones too, in their order."""
    return list(CustomFieldDefinition.objects.filter(tenant=tenant).order_by("position", "key"))


def custom_field_ids_in_order(tenant_id: int) -> list[int]:
    """The active custom fields of the tenant, first first."""
    return list(CustomFieldDefinition.objects.filter(tenant_id=tenant_id, is_active=True)
                .order_by("position", "key").values_list("pk", flat=True))


def _check_definition(values: dict[str, Any]) -> None:
    """Refuses text that cannot be stored or does not fit, naming the field."""
    check_texts(values, ("key", "label", "help_text", "choices"))
    check_fits(CustomFieldDefinition, values)
    if "label" in values and not str(values["label"]).strip():
        raise Invalid("A custom field needs a label.", field="label")


def custom_field_create(*, tenant: Tenant, key: str, label: str, kind: str,
                        required: bool = False, choices: list[str] | None = None,
                        help_text: str = "", show_on_case_page: bool = True,
                        show_on_new_case: bool = True, show_on_web_form: bool = False,
                        position: int | None = None,
                        actor: User | None = None) -> CustomFieldDefinition:
    """Defines a new custom field for the tenant's cases, at `position` or after the active
    fields. The key (lower-case letters, digits, underscores) and the kind are fixed."""
    key = key.strip()
    _check_definition({"key": key, "label": label, "help_text": help_text,
                       "choices": choices or [], "position": position})
    if not KEY_PATTERN.match(key):
        raise Invalid("A key starts with a lower-case letter, followed by lower-case letters, "
                      "digits or underscores.", field="key")
    if kind not in {k.value for k in FieldKind}:
        raise Invalid(f"{kind!r} is not a kind of field (one of: "
                      f"{', '.join(k.value for k in FieldKind)}).", field="kind")
    choices = _clean_choices(kind, choices or [])
    try:
        with transaction.atomic():
            definition = CustomFieldDefinition.objects.create(
                tenant=tenant, key=key, label=label.strip(), kind=kind, required=required,
                choices=choices, help_text=help_text.strip(),
                show_on_case_page=show_on_case_page, show_on_new_case=show_on_new_case,
                show_on_web_form=show_on_web_form, position=position or 0)
            if position is None:
                _at_end(CustomFieldDefinition.objects.filter(tenant=tenant),
                        custom_field_ids_in_order(tenant.pk), definition.pk)
                definition.refresh_from_db(fields=["position"])
            audit_created(tenant=tenant, actor=actor, action="custom_field.created",
                          target_type="custom_field", target_id=definition.pk,
                          target_label=definition.label,
                          values=audit_snapshot(definition, CUSTOM_FIELD_AUDITED))
    except IntegrityError:
        raise Conflict(f"A custom field with the key {key!r} exists already.") from None
    return definition


CUSTOM_FIELD_AUDITED = ("key", "label", "kind", "required", "choices", "help_text",
                        "show_on_case_page", "show_on_new_case", "show_on_web_form",
                        "is_active", "position")


def custom_field_update(*, definition: CustomFieldDefinition, changes: dict[str, Any],
                        actor: User | None = None) -> CustomFieldDefinition:
    """Changes what `FIELD_CHANGES` names. Changing the choices of a picklist field changes
    what new input may pick; cases keep the choice they hold. A retired field is offered
    nowhere and its values stay on the cases; un-retired, it comes back after the active
    fields (unless a position is given)."""
    unknown = sorted(set(changes) - set(FIELD_CHANGES))
    if unknown:
        raise Invalid(f"{unknown[0]} cannot be changed.", field=unknown[0])
    _check_definition(changes)
    values = dict(changes)
    if "choices" in values:
        values["choices"] = _clean_choices(definition.kind, values["choices"] or [])
    for name in ("label", "help_text"):
        if name in values:
            values[name] = values[name].strip()
    with transaction.atomic():
        restored = values.get("is_active") is True and not definition.is_active
        rows = CustomFieldDefinition.objects.filter(tenant_id=definition.tenant_id)
        _lock(rows)
        order = custom_field_ids_in_order(definition.tenant_id)
        before = audit_snapshot(definition, CUSTOM_FIELD_AUDITED)
        for name, value in values.items():
            setattr(definition, name, value)
        definition.save()
        if restored and "position" not in values:
            _at_end(rows, order, definition.pk)
            definition.refresh_from_db(fields=["position"])
        after = audit_snapshot(definition, CUSTOM_FIELD_AUDITED)
        action = "custom_field.updated"
        if before["is_active"] != after["is_active"]:
            action = "custom_field.restored" if after["is_active"] else "custom_field.retired"
        audit_change(tenant=definition.tenant_id, actor=actor, action=action,
                     target_type="custom_field", target_id=definition.pk,
                     target_label=definition.label, before=before, after=after)
    return definition


def custom_fields_reorder(*, tenant: Tenant, field_ids: list[int],
                          actor: User | None = None) -> None:
    """Puts the tenant's active custom fields in the given order; it must name each once.
    Audited with the fields' old and new order (their keys)."""
    with transaction.atomic():
        rows = CustomFieldDefinition.objects.filter(tenant=tenant)
        current = set(_lock(rows.filter(is_active=True)))
        if len(field_ids) != len(set(field_ids)) or set(field_ids) != current:
            raise Invalid("The order must list every active custom field exactly once.",
                          field="field_ids")
        active = rows.filter(is_active=True).order_by("position", "pk")
        old = list(active.values_list("key", flat=True))
        write_positions(rows, field_ids)
        fields_changed(tenant.pk, tenant)
        audit_change(tenant=tenant, actor=actor, action="custom_fields.reordered",
                     target_type="custom_field", target_id="", target_label="Custom fields",
                     before={"order": old}, after={"order": list(active.values_list(
                         "key", flat=True))})


def _clean_choices(kind: str, choices: list[str]) -> list[str]:
    if len(choices) > MAX_CHOICES:
        raise Invalid(f"A picklist field has at most {MAX_CHOICES} choices.", field="choices")
    cleaned = list(dict.fromkeys(c.strip() for c in choices if c.strip()))
    too_long = next((c for c in cleaned if len(c) > CHOICE_MAX_LENGTH), None)
    if too_long is not None:
        raise Invalid(f"A choice has at most {CHOICE_MAX_LENGTH} characters.", field="choices")
    if kind == FieldKind.PICKLIST and not cleaned:
        raise Invalid("A picklist field needs at least one choice.", field="choices")
    if kind != FieldKind.PICKLIST and cleaned:
        raise Invalid("Only picklist fields have choices.", field="choices")
    return cleaned
