"""The macros API: the macros a member sees (the team's shared ones and their own), their
writes, and a macro previewed on or applied to a case.

Shared macros are made and changed by managers and admins; a personal one by its owner only,
and nobody else sees it (404, an admin too). Applying goes through the case services, so it
is on the case's timeline and the lifecycle still decides: a move it refuses is a 409 and
nothing of the macro is applied."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query
from pydantic import ConfigDict, Field

from casedesk.automation import macros, templating
from casedesk.automation.models import Macro
from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case
from casedesk.cases.presenters import case_out
from casedesk.cases.schemas import CaseOut
from casedesk.cases.writing import MAX_TAG_LENGTH
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.priority import PriorityName
from casedesk.core.schemas import Error, Id, RequiredText, Text, fits
from casedesk.tenancy.api_auth import member

router = Router(tags=["macros"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}

MacroStatus = Literal["open", "in_progress", "pending_customer", "resolved"]
Tag = Annotated[Text, Field(max_length=MAX_TAG_LENGTH)]
Reply = Annotated[Text, Field(max_length=templating.MAX_TEMPLATE_LENGTH, description=(
    "A template: Django template syntax over the case's own fields (" +
    ", ".join(templating.VARIABLES) + "), e.g. `Hello {{ contact.name }}`."))]


class MacroChanges(Schema):
    """The fields a macro sets on a case; leave one out to keep the case's value."""

    model_config = ConfigDict(extra="forbid")

    priority: PriorityName | None = None
    type: Annotated[Text, fits(Case, "type")] | None = None
    category: Annotated[Text, fits(Case, "category")] | None = None
    subcategory: Annotated[Text, fits(Case, "subcategory")] | None = Field(None, description=(
        "Of `category` when given, else of the case's category when applied."))
    queue_id: Id | None = Field(None, description="An active queue; null takes the case out "
                                                  "of its queue.")
    owner_id: Id | None = Field(None, description="An active member's user id; null "
                                                  "unassigns the case.")
    status: MacroStatus | None = Field(None, description=(
        "A lifecycle move, gated as ever (refused moves are a 409 when applied). `resolved` "
        "needs a reply, which becomes the resolution note."))


class MacroIn(Schema):
    name: Annotated[RequiredText, fits(Macro, "name")]
    description: Annotated[Text, fits(Macro, "description")] = ""
    shared: bool = Field(False, description=(
        "true: the whole team sees it (managers and admins only); false: yours alone."))
    reply: Reply = ""
    reply_is_public: bool = Field(True, description="true a public reply, false an internal "
                                                    "note.")
    changes: MacroChanges | None = Field(None, description="The fields it sets; none "
                                                         "by default.")
    tags_add: list[Tag] = Field(default_factory=list, max_length=macros.MAX_MACRO_TAGS)
    tags_remove: list[Tag] = Field(default_factory=list, max_length=macros.MAX_MACRO_TAGS)
    is_active: bool = True
    position: int = Field(0, ge=0, le=macros.MAX_POSITION, description="Lower comes first.")


class MacroPatch(Schema):
    name: Annotated[RequiredText, fits(Macro, "name")] | None = None
    description: Annotated[Text, fits(Macro, "description")] | None = None
    reply: Reply | None = None
    reply_is_public: bool | None = None
    changes: MacroChanges | None = Field(None, description="Replaces the field changes.")
    tags_add: list[Tag] | None = Field(None, max_length=macros.MAX_MACRO_TAGS)
    tags_remove: list[Tag] | None = Field(None, max_length=macros.MAX_MACRO_TAGS)
    is_active: bool | None = None
    position: int | None = Field(None, ge=0, le=macros.MAX_POSITION)


class MacroOut(Schema):
    id: int
    name: str
    description: str
    shared: bool
    owner_id: int | None
    can_edit: bool
    reply: str
    reply_is_public: bool
    changes: dict[str, str | int | None] = Field(description=(
        "The fields it sets (priority, type, category, subcategory, queue_id, owner_id, "
        "status); a null queue_id or owner_id clears it."))
    tags_add: list[str]
    tags_remove: list[str]
    is_active: bool
    position: int
    use_count: int
    created_at: datetime
    updated_at: datetime


class ChangeLineOut(Schema):
    field: str
    text: str = Field(description="e.g. “Priority: Normal → Urgent”")
    refused: str = Field(description="Why applying would be refused; empty when it would not.")


class MacroPreviewOut(Schema):
    case_number: str
    macro_id: int
    reply: str = Field(description="The reply as rendered for this case.")
    reply_is_public: bool
    changes: list[ChangeLineOut]
    can_apply: bool


class MacroApplyOut(Schema):
    case_number: str
    macro_id: int
    changes: list[str] = Field(description="What changed, as the timeline tells it.")
    note_id: int | None = Field(description="The reply or note written; null without one.")
    case: CaseOut


def _out(macro: Macro, membership: Any) -> dict[str, Any]:
    return {
        "id": macro.pk, "name": macro.name, "description": macro.description,
        "shared": macro.owner_id is None, "owner_id": macro.owner_id,
        "can_edit": macros.may_change(membership, macro), "reply": macro.reply,
        "reply_is_public": macro.reply_is_public, "changes": dict(macro.changes or {}),
        "tags_add": list(macro.tags_add or []), "tags_remove": list(macro.tags_remove or []),
        "is_active": macro.is_active, "position": macro.position,
        "use_count": macro.use_count, "created_at": macro.created_at,
        "updated_at": macro.updated_at,
    }


def _changes(payload: MacroChanges) -> dict[str, Any]:
    given = payload.dict(exclude_unset=True)
    for name, value in given.items():
        if value is None and name not in ("queue_id", "owner_id"):
            raise Invalid(f"changes.{name} cannot be null; leave it out to keep the case's "
                          "value.", field=f"changes.{name}")
    return given


@router.get("/macros", response={200: list[MacroOut], **ERRORS}, summary="List macros")
def list_macros(request: HttpRequest,
                active: bool | None = Query(None, description="Only active (true) or "
                                                              "inactive (false) ones."),
                scope: Literal["shared", "mine"] | None = Query(None),
                q: Text | None = Query(None, max_length=200,
                                       description="Words in the name or description.")
                ) -> Any:
    """The team's shared macros and your personal ones, in order."""
    membership = member(request)
    rows = macros.macros_for_member(membership, q=q)
    if active is not None:
        rows = rows.filter(is_active=active)
    if scope == "shared":
        rows = rows.filter(owner__isnull=True)
    elif scope == "mine":
        rows = rows.filter(owner_id=membership.user_id)
    return [_out(m, membership) for m in rows[:macros.MAX_MACROS]]


@router.post("/macros", response={201: MacroOut, **ERRORS}, summary="Create a macro")
def create_macro(request: HttpRequest, payload: MacroIn) -> Any:
    """A shared macro (`shared`: managers and admins) or a personal one (anyone). The reply
    must compile and every value must exist in the tenant (422 otherwise)."""
    membership = member(request)
    data = payload.dict(exclude={"shared", "changes"})
    macro = macros.macro_create(
        membership=membership, shared=payload.shared, now=clock.now(),
        data=macros.MacroInput(**data, changes=_changes(payload.changes)
                               if payload.changes is not None else {}))
    return 201, _out(macro, membership)


@router.get("/macros/{macro_id}", response={200: MacroOut, **ERRORS}, summary="Read a macro")
def get_macro(request: HttpRequest, macro_id: int) -> Any:
    membership = member(request)
    return _out(macros.get_macro_for_member(membership, macro_id), membership)


@router.patch("/macros/{macro_id}", response={200: MacroOut, **ERRORS},
              summary="Change a macro")
def patch_macro(request: HttpRequest, macro_id: int, payload: MacroPatch) -> Any:
    """Shared macros: managers and admins; personal ones: their owner."""
    membership = member(request)
    macro = macros.get_macro_for_member(membership, macro_id, write=True)
    changes = payload.dict(exclude_unset=True, exclude={"changes"})
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    if "changes" in payload.model_fields_set:
        if payload.changes is None:
            raise Invalid("changes cannot be null; send {} for none.", field="changes")
        changes["changes"] = _changes(payload.changes)
    macros.macro_update(macro=macro, changes=changes, now=clock.now())
    return _out(macro, membership)


@router.delete("/macros/{macro_id}", response={204: None, **ERRORS}, summary="Delete a macro")
def delete_macro(request: HttpRequest, macro_id: int) -> Any:
    """Shared macros: managers and admins; personal ones: their owner. What it did to cases
    stays on their timelines."""
    membership = member(request)
    macros.macro_delete(macro=macros.get_macro_for_member(membership, macro_id, write=True))
    return 204, None


@router.get("/cases/{number}/macros/{macro_id}/preview",
            response={200: MacroPreviewOut, **ERRORS}, summary="Preview a macro on a case")
def preview_macro(request: HttpRequest, number: str, macro_id: int) -> Any:
    """The reply rendered for the case and each change applying would make, with the reason
    for any that would be refused. Changes nothing."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    macro = macros.get_macro_for_member(membership, macro_id)
    preview = macros.macro_preview(macro=macro, case=case, now=clock.now())
    return {"case_number": case.display_number, "macro_id": macro.pk, "reply": preview.reply,
            "reply_is_public": preview.reply_is_public, "can_apply": preview.can_apply,
            "changes": [{"field": line.field, "text": line.text, "refused": line.refused}
                        for line in preview.lines]}


@router.post("/cases/{number}/macros/{macro_id}/apply",
             response={200: MacroApplyOut, **ERRORS}, summary="Apply a macro to a case")
def apply_macro(request: HttpRequest, number: str, macro_id: int) -> Any:
    """Writes the reply or note, sets the fields and tags and makes the status move, in one
    transaction, each on the timeline. A move the lifecycle refuses is a 409, a value retired
    since the macro was saved a 422, a switched-off macro a 409; nothing is applied then."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    macro = macros.check_active(macros.get_macro_for_member(membership, macro_id))
    now = clock.now()
    result = macros.macro_apply(macro=macro, case=case, actor=membership.user, now=now)
    fresh = get_case_for_member(membership, number)
    return {"case_number": fresh.display_number, "macro_id": macro.pk,
            "changes": result.changes, "note_id": result.note_id, "case": case_out(fresh, now)}
