"""The picklists and custom fields overview (`/settings/fields`) and the picklist values'
controls: add, rename, move up or down, retire and un-retire.

Admins change; managers read the same page without the controls; agents get a 403. A value
is never deleted here: cases store it by its spelling, so a value in use stays, and retiring
it only stops offering it for new input. Moving and (un-)retiring answer htmx with the page's
lists re-rendered (`core.pages.AdminList`); adding and renaming are plain posts answered with
a redirect and a message, or the page again with the refusal beside the form (422/409).
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casedesk.cases import picklists
from casedesk.cases.access import get_picklist_value_for_member
from casedesk.cases.forms import STATUS_CHOICES, PicklistValueForm, RenameForm
from casedesk.cases.models import CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.limits import column_limits
from casedesk.core.pages import AdminList
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

SECTIONS: dict[str, tuple[str, str]] = {
    PicklistKind.TYPE: ("Types", "What kind of request a case is."),
    PicklistKind.CATEGORY: ("Categories", "The area a case is about; routing, skills and SLA "
                            "policies often follow it."),
    PicklistKind.SUBCATEGORY: ("Subcategories", "Each subcategory belongs to one category."),
    PicklistKind.CLOSED_REASON: ("Closed reasons", "Why a case was closed; closing a case "
                                 "asks for one."),
    PicklistKind.SUB_STATUS: ("Sub-statuses", "Display statuses that map onto a canonical "
                              "status, e.g. “Waiting on vendor” → In progress."),
}
VALUE_MAX = column_limits(PicklistValue, "value")["max_length"]


@dataclass
class Line:
    """One row of an ordered list: what the move buttons need (`pk`, `name`, the ends)."""

    item: Any
    name: str
    is_first: bool = False
    is_last: bool = False

    @property
    def pk(self) -> int:
        return int(self.item.pk)


def lines_of(items: list[Any], name: str) -> list[Line]:
    return [Line(item, getattr(item, name), is_first=i == 0, is_last=i == len(items) - 1)
            for i, item in enumerate(items)]


@dataclass
class ValueGroup:
    """The values of one list: a kind, under one parent (the category of subcategories, the
    status of sub-statuses); the retired ones apart."""

    parent: str = ""
    parent_label: str = ""
    parent_retired: bool = False
    active: list[Line] = field(default_factory=list)
    retired: list[PicklistValue] = field(default_factory=list)


@dataclass
class Section:
    kind: str
    title: str
    hint: str
    groups: list[ValueGroup]
    form: PicklistValueForm

    @property
    def is_empty(self) -> bool:
        return not any(g.active or g.retired for g in self.groups)


def _parent_choices(kind: str, values: list[PicklistValue]) -> list[tuple[str, str]] | None:
    """What a new value of `kind` may name as parent: the active categories for a
    subcategory, the canonical statuses for a sub-status; None for the other kinds."""
    if kind == PicklistKind.SUBCATEGORY:
        return [(v.value, v.value) for v in values
                if v.kind == PicklistKind.CATEGORY and v.is_active]
    if kind == PicklistKind.SUB_STATUS:
        return STATUS_CHOICES
    return None


def _groups(kind: str, values: list[PicklistValue]) -> list[ValueGroup]:
    """`kind`'s values by parent: subcategories in their categories' order, sub-statuses in
    the lifecycle's order, parents no longer there last."""
    mine = [v for v in values if v.kind == kind]
    if kind == PicklistKind.SUBCATEGORY:
        categories = [v for v in values if v.kind == PicklistKind.CATEGORY]
        parents = [(c.value, c.value, not c.is_active) for c in
                   sorted(categories, key=lambda c: not c.is_active)]
    elif kind == PicklistKind.SUB_STATUS:
        parents = [(s, label, False) for s, label in STATUS_CHOICES]
    else:
        parents = [("", "", False)]
    known = {p for p, _, _ in parents}
    parents += [(p, p, True) for p in dict.fromkeys(v.parent for v in mine) if p not in known]
    groups = []
    for parent, label, gone in parents:
        here = [v for v in mine if v.parent == parent]
        if not here and parent:
            continue
        groups.append(ValueGroup(parent=parent, parent_label=label, parent_retired=gone,
                                 active=lines_of([v for v in here if v.is_active], "value"),
                                 retired=[v for v in here if not v.is_active]))
    return groups


def overview(tenant: Tenant, forms: dict[str, PicklistValueForm] | None = None
             ) -> dict[str, Any]:
    """The page's lists: every picklist by kind and the custom fields (two queries)."""
    values = picklists.picklist_values(tenant)
    sections = []
    for kind, (title, hint) in SECTIONS.items():
        form = (forms or {}).get(kind) or PicklistValueForm(
            kind=kind, parents=_parent_choices(kind, values))
        sections.append(Section(kind, title, hint, _groups(kind, values), form))
    fields = picklists.custom_fields_of(tenant)
    return {
        "sections": sections,
        "custom_fields": lines_of([f for f in fields if f.is_active], "label"),
        "retired_fields": [f for f in fields if not f.is_active],
    }


def _context(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = member(request)
    forms = extra.pop("forms", None)
    return {"nav": "settings", "can_edit": membership.is_admin, "value_max": VALUE_MAX,
            **overview(membership.tenant, forms), **extra}


FIELDS = AdminList("cases/fields.html", "fields", "cases:fields", _context)


def _refused_page(request: PageRequest, status: int, **extra: Any) -> HttpResponse:
    """The page again, with a form's refusal beside it; nothing was saved."""
    return render(request, FIELDS.template, _context(request, **extra), status=status)


@member_required
@require_GET
def fields_overview(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return FIELDS.page(request)


def _back(item: PicklistValue | CustomFieldDefinition | None = None) -> HttpResponse:
    anchor = ("" if item is None else f"#field-{item.pk}"
              if isinstance(item, CustomFieldDefinition) else f"#value-{item.pk}")
    return redirect(f"{reverse('cases:fields')}{anchor}")


@member_required
@require_POST
def value_add(request: PageRequest, kind: str) -> HttpResponse:
    membership = require_admin(member(request))
    if kind not in PicklistKind.values:
        raise NotFound(f"No picklist {kind!r}.")
    form = PicklistValueForm(request.POST, kind=kind, parents=_parent_choices(
        kind, picklists.picklist_values(membership.tenant)))
    status = Invalid.status_code
    if form.is_valid():
        try:
            values = form.values()
            item = picklists.picklist_value_add(tenant=membership.tenant, kind=kind,
                                                value=values["value"],
                                                parent=values["parent"])
        except (Invalid, Conflict) as error:
            form.refuse(error)
            status = error.status_code
        else:
            where = f" under {item.parent}" if item.parent else ""
            messages.success(request, f"“{item.value}” added to the "
                                      f"{SECTIONS[kind][0].lower()}{where}.")
            return _back(item)
    return _refused_page(request, status, forms={kind: form}, error_kind=kind)


@member_required
@require_POST
def value_rename(request: PageRequest, value_id: int) -> HttpResponse:
    """Renames the value, and the cases carrying it with it (`picklist_value_rename`); tells
    which routing rules, SLA policies and skills still name the old spelling."""
    membership = require_admin(member(request))
    item = get_picklist_value_for_member(membership, value_id)
    old = item.value
    form = RenameForm(request.POST)
    status = Invalid.status_code
    if form.is_valid():
        try:
            changed = picklists.picklist_value_rename(item=item, value=form.cleaned_data["value"])
        except (Invalid, Conflict) as error:
            form.refuse(error)
            status = error.status_code
        else:
            if item.value != old:
                cases = f"{changed} case{'' if changed == 1 else 's'}"
                messages.success(request, f"“{old}” renamed to “{item.value}”, on {cases} "
                                          "too.")
                named = picklists.still_named_by(membership.tenant, item.kind, old)
                if named and old.casefold() != item.value.casefold():
                    messages.warning(request, f"Still naming “{old}”: {', '.join(named)}. "
                                              "Change them to the new spelling to keep them "
                                              "working.")
            return _back(item)
    return _refused_page(request, status, rename_form=form, rename_id=item.pk)


@member_required
@require_POST
def value_move(request: PageRequest, value_id: int) -> HttpResponse:
    """Moves an active value one place up or down in its list."""
    membership = require_admin(member(request))
    item = get_picklist_value_for_member(membership, value_id)
    if not item.is_active:
        return FIELDS.refused(request, Invalid("A retired value has no place in the list; "
                                               "un-retire it first."))
    return FIELDS.moved(request, pk=item.pk, name=item.value,
                        order=picklists.picklist_value_ids_in_order(item),
                        reorder=lambda ids: picklists.picklist_values_reorder(
                            item=item, value_ids=ids),
                        missing=f"No picklist value with id {value_id}.")


def _set_active(request: PageRequest, value_id: int, active: bool) -> HttpResponse:
    membership = require_admin(member(request))
    item = get_picklist_value_for_member(membership, value_id)
    try:
        picklists.picklist_value_set_active(item=item, active=active)
    except (Invalid, Conflict) as error:
        return FIELDS.refused(request, error)
    if active:
        return FIELDS.done(request, f"“{item.value}” is offered again.")
    return FIELDS.done(request, f"“{item.value}” retired: cases that carry it keep it, new "
                                "input is not offered it.")


@member_required
@require_POST
def value_retire(request: PageRequest, value_id: int) -> HttpResponse:
    return _set_active(request, value_id, False)


@member_required
@require_POST
def value_restore(request: PageRequest, value_id: int) -> HttpResponse:
    return _set_active(request, value_id, True)
