"""The API for a tenant's case configuration: picklists and custom field definitions."""

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.cases import picklists as config
from casedesk.cases.models import CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.limits import column_limits
from casedesk.core.schemas import MAX_ID, Error, RequiredText, Text, fits
from casedesk.tenancy.api_auth import member, require_admin

router = Router(tags=["configuration"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
KindName = Literal["type", "category", "subcategory", "closed_reason", "sub_status"]
FieldKindName = Literal["text", "number", "date", "picklist", "checkbox"]
# A picklist field's choice is as long as a picklist value may be.
Choice = Annotated[Text, fits(PicklistValue, "value")]
Choices = Annotated[list[Choice], Field(max_length=config.MAX_CHOICES)]
ValuePosition = Annotated[int, fits(PicklistValue, "position")]
FieldPosition = Annotated[int, fits(CustomFieldDefinition, "position")]
Label = Annotated[RequiredText, fits(CustomFieldDefinition, "label")]
HelpText = Annotated[Text, fits(CustomFieldDefinition, "help_text")]


class PicklistValueIn(Schema):
    value: Annotated[RequiredText, fits(PicklistValue, "value")]
    parent: Annotated[Text, fits(PicklistValue, "parent")] = ""
    position: ValuePosition = 0


class PicklistValuePatch(Schema):
    """A new spelling renames the value on the cases that carry it too; retiring a value
    (`is_active` false) keeps it on those cases but offers it for new input no more."""

    value: Annotated[RequiredText, fits(PicklistValue, "value")] | None = None
    position: ValuePosition | None = None
    is_active: bool | None = None


class PicklistValueOut(Schema):
    id: int
    kind: KindName
    value: str
    parent: str
    position: int
    is_active: bool


class CustomFieldIn(Schema):
    """`show_on_*`: where the field is offered for input. A required field binds new cases
    only when the new-case page shows it (`show_on_new_case`)."""

    key: Annotated[str, fits(CustomFieldDefinition, "key", min_length=1,
                             pattern=config.KEY_PATTERN.pattern)]
    label: Label
    kind: FieldKindName
    required: bool = False
    choices: Choices = Field(default_factory=list)
    help_text: HelpText = ""
    show_on_case_page: bool = True
    show_on_new_case: bool = True
    show_on_web_form: bool = False
    position: FieldPosition = 0


class CustomFieldPatch(Schema):
    label: Label | None = None
    required: bool | None = None
    choices: Choices | None = None
    help_text: HelpText | None = None
    show_on_case_page: bool | None = None
    show_on_new_case: bool | None = None
    show_on_web_form: bool | None = None
    position: FieldPosition | None = None
    is_active: bool | None = None


class CustomFieldOut(Schema):
    key: str
    label: str
    kind: FieldKindName
    required: bool
    choices: list[str]
    help_text: str
    show_on_case_page: bool
    show_on_new_case: bool
    show_on_web_form: bool
    position: int
    is_active: bool


@router.get("/picklists", response={200: list[PicklistValueOut], **ERRORS})
def list_picklists(request: HttpRequest) -> Any:
    """Every picklist value of the tenant (type, category, subcategory, closed reason,
    sub-status)."""
    return PicklistValue.objects.for_tenant(member(request).tenant)


@router.get("/picklists/{kind}", response={200: list[PicklistValueOut], **ERRORS})
def list_picklist(request: HttpRequest, kind: KindName) -> Any:
    return PicklistValue.objects.for_tenant(member(request).tenant).filter(kind=kind)


@router.post("/picklists/{kind}", response={201: PicklistValueOut, **ERRORS})
def add_picklist_value(request: HttpRequest, kind: KindName, payload: PicklistValueIn) -> Any:
    admin = require_admin(request)
    return 201, config.picklist_value_add(tenant=admin.tenant, kind=PicklistKind(kind),
                                          value=payload.value, parent=payload.parent.strip(),
                                          position=payload.position)


@router.patch("/picklists/{kind}/{value_id}", response={200: PicklistValueOut, **ERRORS})
def patch_picklist_value(request: HttpRequest, kind: KindName, value_id: int,
                         payload: PicklistValuePatch) -> Any:
    admin = require_admin(request)
    item = (PicklistValue.objects.filter(tenant_id=admin.tenant_id, kind=kind, pk=value_id)
            .first() if 0 < value_id <= MAX_ID else None)
    if item is None:
        raise NotFound(f"No {kind} value with id {value_id}.")
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes)
    return config.picklist_value_update(item=item, changes=changes)


@router.get("/custom-fields", response={200: list[CustomFieldOut], **ERRORS})
def list_custom_fields(request: HttpRequest) -> Any:
    return CustomFieldDefinition.objects.for_tenant(member(request).tenant)


@router.post("/custom-fields", response={201: CustomFieldOut, **ERRORS})
def create_custom_field(request: HttpRequest, payload: CustomFieldIn) -> Any:
    admin = require_admin(request)
    return 201, config.custom_field_create(tenant=admin.tenant, **payload.dict())


@router.patch("/custom-fields/{key}", response={200: CustomFieldOut, **ERRORS})
def patch_custom_field(request: HttpRequest, key: str, payload: CustomFieldPatch) -> Any:
    admin = require_admin(request)
    # A key longer than its column holds, or with NUL (which PostgreSQL refuses in a query),
    # names no field.
    fits_key = len(key) <= column_limits(CustomFieldDefinition, "key")["max_length"]
    definition = (CustomFieldDefinition.objects.filter(tenant_id=admin.tenant_id,
                                                       key=key).first()
                  if fits_key and "\x00" not in key else None)
    if definition is None:
        raise NotFound(f"No custom field {key!r}.")
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes)
    return config.custom_field_update(definition=definition, changes=changes)


def _refuse_nulls(changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
