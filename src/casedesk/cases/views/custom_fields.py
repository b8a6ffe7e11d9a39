"""The custom field pages: the form that adds one or changes one (label, required, help text,
choices, where it shows), and the list's controls on the overview (move up or down, retire,
un-retire).

Admins change; managers read the form without the controls; agents get a 403. A custom field
is never deleted: the cases holding a value for it keep the value, a retired field is only
offered nowhere. Its key and kind are fixed once it exists, since cases hold values under
that key, in that kind.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.cases import picklists
from casedesk.cases.access import get_custom_field_for_member
from casedesk.cases.forms import CustomFieldForm
from casedesk.cases.models import CustomFieldDefinition
from casedesk.cases.views.fields import FIELDS
from casedesk.core.errors import Conflict, Invalid
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

FORM_TEMPLATE = "cases/custom_field_form.html"


def _form_page(request: PageRequest, membership: Membership, form: CustomFieldForm,
               definition: CustomFieldDefinition | None, *, status: int = 200) -> HttpResponse:
    return render(request, FORM_TEMPLATE, {
        "nav": "settings", "can_edit": membership.is_admin, "form": form,
        "definition": definition,
        "action_url": (reverse("cases:custom_field", args=[definition.pk])
                       if definition is not None else reverse("cases:custom_field_new")),
    }, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def custom_field_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _save(request, membership, CustomFieldForm(request.POST), None)
    return _form_page(request, membership, CustomFieldForm(), None)


@member_required
@require_http_methods(["GET", "POST"])
def custom_field_edit(request: PageRequest, field_id: int) -> HttpResponse:
    """The field's form (read-only for managers)."""
    membership = require_manager(member(request))
    definition = get_custom_field_for_member(membership, field_id)
    if request.method == "POST":
        require_admin(membership)
        return _save(request, membership,
                     CustomFieldForm(request.POST, definition=definition), definition)
    return _form_page(request, membership, CustomFieldForm(definition=definition), definition)


def _save(request: PageRequest, membership: Membership, form: CustomFieldForm,
          definition: CustomFieldDefinition | None) -> HttpResponse:
    """Creates or changes the field through the service, which checks all of it first: a
    refusal shows the form again with the reason on its field, and nothing is stored."""
    status = Invalid.status_code
    if form.is_valid():
        values: dict[str, Any] = form.values()
        try:
            if definition is None:
                saved = picklists.custom_field_create(tenant=membership.tenant, **values)
                message = f"Custom field “{saved.label}” added."
            else:
                saved = picklists.custom_field_update(definition=definition, changes=values)
                message = f"Custom field “{saved.label}” saved."
        except (Invalid, Conflict) as error:
            form.refuse(error)
            status = error.status_code
        else:
            messages.success(request, message)
            return redirect(f"{reverse('cases:fields')}#field-{saved.pk}")
    return _form_page(request, membership, form, definition, status=status)


@member_required
@require_POST
def custom_field_move(request: PageRequest, field_id: int) -> HttpResponse:
    """Moves an active field one place up or down (the order the case pages show)."""
    membership = require_admin(member(request))
    definition = get_custom_field_for_member(membership, field_id)
    if not definition.is_active:
        return FIELDS.refused(request, Invalid("A retired field has no place in the list; "
                                               "un-retire it first."))
    return FIELDS.moved(request, pk=definition.pk, name=definition.label,
                        order=picklists.custom_field_ids_in_order(membership.tenant_id),
                        reorder=lambda ids: picklists.custom_fields_reorder(
                            tenant=membership.tenant, field_ids=ids),
                        missing=f"No custom field with id {field_id}.")


def _set_active(request: PageRequest, field_id: int, active: bool) -> HttpResponse:
    membership = require_admin(member(request))
    definition = get_custom_field_for_member(membership, field_id)
    if definition.is_active == active:  # a double click changes nothing
        return FIELDS.done(request, f"“{definition.label}” unchanged.")
    try:
        picklists.custom_field_update(definition=definition, changes={"is_active": active})
    except (Invalid, Conflict) as error:
        return FIELDS.refused(request, error)
    if active:
        return FIELDS.done(request, f"“{definition.label}” is offered again.")
    return FIELDS.done(request, f"“{definition.label}” retired: cases keep their values, "
                                "no page offers the field.")


@member_required
@require_POST
def custom_field_retire(request: PageRequest, field_id: int) -> HttpResponse:
    return _set_active(request, field_id, False)


@member_required
@require_POST
def custom_field_restore(request: PageRequest, field_id: int) -> HttpResponse:
    return _set_active(request, field_id, True)
