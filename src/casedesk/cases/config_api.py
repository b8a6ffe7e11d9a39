"""The API for a tenant's case configuration: picklists and custom field definitions."""

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.cases import picklists as config
from casedesk.cases.models import CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import MAX_ID, Error, RequiredText, Text
from casedesk.tenancy.api_auth import member, require_admin

router = Router(tags=["configuration"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
KindName = Literal["type", "category", "subcategory", "closed_reason", "sub_status"]
FieldKindName = Literal["text", "number", "date", "picklist", "checkbox"]
Choice = Annotated[Text, Field(max_length=80)]


class PicklistValueIn(Schema):
    value: Annotated[RequiredText, Field(max_length=80)]
    parent: Annotated[Text, Field(max_length=80)] = ""
    position: int = Field(0, ge=0, le=32767)


class PicklistValuePatch(Schema):
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class PicklistValueOut(Schema):
    id: int
    kind: KindName
    value: str
    parent: str
    position: int
    is_active: bool


class CustomFieldIn(Schema):
    key: Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
    label: Annotated[RequiredText, Field(max_length=100)]
    kind: FieldKindName
    required: bool = False
    choices: list[Choice] = Field(default_factory=list, max_length=500)
    position: int = Field(0, ge=0, le=32767)


class CustomFieldPatch(Schema):
    label: Annotated[RequiredText, Field(max_length=100)] | None = None
    required: bool | None = None
    choices: list[Choice] | None = Field(None, max_length=500)
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class CustomFieldOut(Schema):
    key: str
    label: str
    kind: FieldKindName
    required: bool
    choices: list[str]
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
    # Keys are at most 50 characters, and PostgreSQL refuses NUL in a query.
    definition = (CustomFieldDefinition.objects.filter(tenant_id=admin.tenant_id,
                                                       key=key).first()
                  if len(key) <= 50 and "\x00" not in key else None)
    if definition is None:
        raise NotFound(f"No custom field {key!r}.")
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes)
    return config.custom_field_update(definition=definition, changes=changes)


def _refuse_nulls(changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
