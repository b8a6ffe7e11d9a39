"""The last pass of an erasure: every text, email and JSON column of every tenant-owned
table of casedesk, searched for the person and struck through (`redaction`).

It is what makes "no trace left" hold for tables no one remembered to name (a log, a payload,
a table a later feature adds): the specific steps of `erasure` decide what becomes of the
person's own rows; this pass finds mentions everywhere else. The email is looked for in every
row of the tenant; the name, phone and the texts the person wrote only in rows that belong to
the person's cases or records (a "Jo" elsewhere may be another Jo), and in any row that also
holds the email.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

from casedesk.cases.models import Case
from casedesk.privacy.redaction import Terms, fit, redact_json, redact_text

# Privacy's own tables record erasures and never hold the erased data.
SKIPPED_APPS = frozenset({"privacy"})
_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@dataclass(frozen=True)
class Scope:
    """The person's own rows: their cases, their contact record."""

    case_ids: Sequence[int]
    contact_id: int


def tenant_models() -> Iterator[type[models.Model]]:
    """Every model of a casedesk app whose rows carry a tenant."""
    for model in apps.get_models():
        config = model._meta.app_config
        if (config is None or not config.name.startswith("casedesk.")
                or config.label in SKIPPED_APPS or model._meta.proxy):
            continue
        if any(f.name == "tenant" and f.is_relation for f in model._meta.concrete_fields):
            yield model


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Columns that can hold a person's words: free text, emails and JSON; not choices,
    slugs or keys, whose values are the tenant's own vocabulary."""
    return [f for f in model._meta.concrete_fields
            if isinstance(f, _TEXT_FIELDS) and not f.choices and not f.primary_key
            and not isinstance(f, models.SlugField)]


def _relation_to(model: type[models.Model], label: str) -> str | None:
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is not None \
                and f.related_model._meta.label == label:
            return f.attname
    return None


def _scope_q(model: type[models.Model], scope: Scope) -> Q | None:
    label = model._meta.label
    if label == "cases.Case":
        return Q(pk__in=scope.case_ids)
    if label == "crm.Contact":
        return Q(pk=scope.contact_id)
    if label == "tenancy.AuditEntry":
        return Q(target_type="contact", target_id=str(scope.contact_id))
    condition: Q | None = None
    if (case := _relation_to(model, "cases.Case")) is not None and scope.case_ids:
        condition = Q(**{f"{case}__in": scope.case_ids})
    if (contact := _relation_to(model, "crm.Contact")) is not None:
        mine = Q(**{contact: scope.contact_id})
        condition = mine if condition is None else condition | mine
    return condition


def _any_contains(fields: Sequence[models.Field[Any, Any]], needles: Sequence[str]) -> Q:
    condition = Q(pk__in=[])
    for f in fields:
        for needle in needles:
            condition |= Q(**{f"{f.name}__icontains": needle})
    return condition


def _in_scope(model: type[models.Model], scope: Scope) -> Any:
    """A test of one fetched row: is it the person's own?"""
    label = model._meta.label
    cases = set(scope.case_ids)
    if label == "cases.Case":
        return lambda row: row.pk in cases
    if label == "crm.Contact":
        return lambda row: row.pk == scope.contact_id
    if label == "tenancy.AuditEntry":
        return lambda row: (row.target_type == "contact"
                            and row.target_id == str(scope.contact_id))
    case, contact = _relation_to(model, "cases.Case"), _relation_to(model, "crm.Contact")

    def test(row: Any) -> bool:
        return bool((case is not None and getattr(row, case) in cases)
                    or (contact is not None and getattr(row, contact) == scope.contact_id))
    return test


def _redacted(row: Any, fields: Sequence[models.Field[Any, Any]], terms: Terms,
              with_name: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for f in fields:
        value = getattr(row, f.attname)
        if isinstance(f, models.JSONField):
            new = redact_json(value, terms, with_name=with_name)
        elif isinstance(value, str):
            new = fit(redact_text(value, terms, with_name=with_name), f.max_length)
        else:
            continue
        if new != value:
            changes[f.attname] = new
    return changes


def sweep(*, tenant_id: int, terms: Terms, scope: Scope) -> dict[str, int]:
    """Strikes the person out of every tenant table, in the caller's transaction; by model
    label, how many rows changed."""
    changed: dict[str, int] = {}
    plain, personal = terms.needles(with_name=False), terms.needles(with_name=True)
    for model in tenant_models():
        fields = text_fields(model)
        if not fields or not plain:
            continue
        condition = _any_contains(fields, plain)
        own = _scope_q(model, scope)
        if own is not None:
            personal_condition = _any_contains(fields, personal)
            if terms.texts:
                personal_condition |= _any_contains(fields, list(terms.texts))
            condition |= own & personal_condition
        is_own = _in_scope(model, scope)
        count = 0
        manager = model._default_manager
        # Fetched whole before writing: a cursor left open over a table being updated is
        # not safe on SQLite, and the matches are the few rows that name the person.
        for row in list(manager.filter(tenant_id=tenant_id).filter(condition)):
            with_name = is_own(row) or any(
                terms.email in str(getattr(row, f.attname) or "").lower() for f in fields)
            changes = _redacted(row, fields, terms, with_name)
            if changes:
                manager.filter(pk=row.pk).update(**changes)
                count += 1
        if count:
            changed[model._meta.label] = count
    return changed


def sweep_cases(*, tenant_id: int, people: dict[int, list[Terms]]) -> dict[str, int]:
    """Strikes each case's people (`people` by case id) out of the rows that hang off those
    cases, in every tenant table with a case column: the retention job's pass over a batch,
    bounded by the batch's rows instead of the tenant's."""
    changed: dict[str, int] = {}
    case_ids = [pk for pk, terms in people.items() if terms]
    if not case_ids:
        return changed
    for model in tenant_models():
        # A case's own columns are the job's to decide (the subject stays); a follow-up or
        # merge pointer names another case.
        case = _relation_to(model, "cases.Case") if model is not Case else None
        fields = text_fields(model)
        if case is None or not fields:
            continue
        manager = model._default_manager
        count = 0
        rows = manager.filter(tenant_id=tenant_id, **{f"{case}__in": case_ids}).only(
            "pk", case, *[f.attname for f in fields])
        for row in list(rows):
            changes: dict[str, Any] = {}
            for terms in people[getattr(row, case)]:
                changes.update(_redacted(_Patched(row, changes), fields, terms, True))
            if changes:
                manager.filter(pk=row.pk).update(**changes)
                count += 1
        if count:
            changed[model._meta.label] = count
    return changed


class _Patched:
    """A row seen with the changes already decided for it (several people struck out in
    turn)."""

    def __init__(self, row: Any, changes: dict[str, Any]) -> None:
        self._row, self._changes = row, changes

    def __getattr__(self, name: str) -> Any:
        if name in self._changes:
            return self._changes[name]
        return getattr(self._row, name)
