"""The merge API: merge duplicates into a case (`POST /cases/{number}/merge`) and undo it
(`POST /cases/{number}/merge/undo`); every member may merge the tenant's cases."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from casedesk.cases.access import get_case_for_member
from casedesk.cases.merge import UNDO_WINDOW, MergeResult, case_merge, case_merge_undo
from casedesk.core import clock
from casedesk.core.schemas import Error, Text
from casedesk.tenancy.api_auth import member

router = Router(tags=["cases"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
CaseNumber = Annotated[Text, Field(min_length=1, max_length=40)]


class MergeIn(Schema):
    sources: list[CaseNumber] = Field(min_length=1, max_length=20, description=(
        "The numbers of the duplicates to merge into this case, e.g. `[\"CS-12\"]`."))
    confirm_other_account: bool = Field(False, description=(
        "Merge even when a duplicate belongs to another account than this case."))


class MergeSourceOut(Schema):
    case: str = Field(description="The merged case's number; it now leads to the target.")
    notes: int
    mail: int = Field(description="Mail records moved: thread keys, messages, files, sent mail.")
    note_attachments: int
    participants: int
    links_moved: int
    links_dropped: int
    tags_added: list[str]


class MergeOut(Schema):
    target: str
    merged_at: datetime
    undo_until: datetime | None = Field(description=(
        "Until when the merge can be undone (if nothing is added to the cases before)."))
    merged: list[MergeSourceOut]


class MergeMovedOut(Schema):
    """The answer for a case merged into another: where it is now."""

    detail: str
    merged_into: str


def _out(result: MergeResult, *, undone: bool) -> dict[str, Any]:
    target = result.target
    prefix = target.tenant.case_prefix
    first = result.records[0]
    merged = []
    for record in result.records:
        moved = record.moved
        merged.append({
            "case": f"{prefix}-{record.source.number}", "notes": len(moved["notes"]),
            "mail": sum(len(ids) for ids in moved.get("apps", {}).get("mail", {}).values()),
            "note_attachments": len(moved["note_attachments"]),
            "participants": len(moved["participants"]) + len(moved["participants_added"]),
            "links_moved": len(moved["links"]), "links_dropped": len(moved["links_dropped"]),
            "tags_added": moved["tags_added"]})
    return {"target": target.display_number, "merged_at": first.merged_at,
            "undo_until": None if undone else first.merged_at + UNDO_WINDOW, "merged": merged}


@router.post("/cases/{number}/merge", response={200: MergeOut, **ERRORS},
             summary="Merge duplicates into a case")
def merge_cases(request: HttpRequest, number: str, payload: MergeIn) -> Any:
    """Merges the `sources` into this case: their notes, mail (later replies to their old
    threads land here), attachments, people copied, tags and links move here; each closes
    as `Duplicate` and its number leads here from then on. This case's SLA clocks stay as
    they are. A case into itself is a 422; a case merged already, a merged or closed target,
    a parent or child of this case, a duplicate with open case assignments, or cases of two
    accounts without `confirm_other_account` are a 409; another tenant's number a 404.
    Undo within 24 hours with `POST /cases/{number}/merge/undo`."""
    membership = member(request)
    target = get_case_for_member(membership, number)
    sources = [get_case_for_member(membership, n) for n in payload.sources]
    result = case_merge(target=target, sources=sources, actor=membership.user,
                        now=clock.now(), confirm_other_account=payload.confirm_other_account)
    return _out(result, undone=False)


@router.post("/cases/{number}/merge/undo", response={200: MergeOut, **ERRORS},
             summary="Undo a merge")
def undo_merge(request: HttpRequest, number: str) -> Any:
    """Takes back the merge that merged this case away, or the latest merge into this case
    (all the cases it merged): everything moves back and the duplicates are as they were.
    A 409 says why when it cannot: nothing to undo, more than 24 hours ago, or something was
    added to any of the cases since."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    result = case_merge_undo(case=case, actor=membership.user, now=clock.now())
    return _out(result, undone=True)
