"""Merging duplicate cases into one, and undoing a merge.

`case_merge` moves everything a duplicate holds onto the target in one transaction: its
notes (with their timeline entries, so the target's history shows them), the files agents
attached, the people copied, its tags (a union), its links (re-pointed; one that would link
the target to itself, repeat a link or break the hierarchy is dropped) and, through the
`on_case_merge` hook, its mail (thread keys, so later replies thread onto the target;
messages; their files). The duplicate closes as `Duplicate` with a pointer to the target
(`merged_into`), through the lifecycle's closing step, and each timeline says what happened.
The target's SLA clocks are left as they are.

A `CaseMerge` row per duplicate keeps what moved, so `case_merge_undo` puts everything back
exactly, within `UNDO_WINDOW` and only while nothing was added to any of the cases since.

Decisions: every member may merge (as every member may change a case); another tenant's
number is not found; a case into itself is invalid; a case merged already, a merged or closed
target, a duplicate with open case assignments (another team's work), and a parent or child
of the target (not duplicates by declaration: remove the link first) are refused; cases of
two different accounts only with `confirm_other_account` (a case without an account merges
freely). A merged case leaves the reports' figures: it is not resolved (its `resolved_at` is
cleared) and has no SLA policy any more, so it counts in no SLA outcome.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from casedesk.cases.changes import case_change
from casedesk.cases.hooks import merge_moved, merge_moved_back
from casedesk.cases.lifecycle import Status, TransitionPlan
from casedesk.cases.links import _ancestors
from casedesk.cases.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    CaseLink,
    CaseMerge,
    EventKind,
    LinkKind,
    Note,
    NoteAttachment,
    Participant,
    TimelineEvent,
)
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import apply_plan, clean_tags
from casedesk.core.errors import Conflict, DomainError, Invalid, NotFound
from casedesk.core.limits import clipped
from casedesk.sla.models import SlaPause
from casedesk.tenancy.models import Tenant, User

DUPLICATE = "Duplicate"
UNDO_WINDOW = timedelta(hours=24)
MAX_SOURCES = 20
# A chain of merges longer than this is damaged data, not a desk's: the walk stops.
MAX_CHAIN = 50
# The events that carry a note and move with it.
NOTE_EVENTS = (EventKind.NOTE_ADDED, EventKind.REPLY_ADDED, EventKind.CUSTOMER_REPLIED)
# The clocks' own marks: written by the sweep, not by anyone adding to a case.
NOT_ADDITIONS = (EventKind.SLA_WARNED, EventKind.SLA_BREACHED)
# What the merge's closure changes on a duplicate, kept to put back by an undo.
STATE_FIELDS = (
    "status", "sub_status", "status_changed_at", "resolved_at", "closed_at", "closed_reason",
    "closure_note", "updated_at", "sla_policy_id", "first_response_due_at",
    "resolution_due_at", "first_response_warn_at", "resolution_warn_at",
    "first_response_warned_at", "resolution_warned_at", "first_response_breached_at",
    "resolution_breached_at", "next_response_due_at", "next_response_breached_at",
)
_MOMENTS = frozenset(name for name in STATE_FIELDS if name.endswith("_at"))


# -- pure decisions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MergeSide:
    """What the merge decision needs to know about one case."""

    id: int
    number: str
    status: str
    account_id: int | None = None
    account_name: str = ""
    merged_into: str | None = None  # the number of the case it was merged into
    open_assignments: int = 0


def merge_refusal(target: MergeSide, sources: list[MergeSide], *, confirm_other_account: bool,
                  family: dict[int, str]) -> DomainError | None:
    """Why merging `sources` into `target` is refused (None when it may go ahead).
    `family`: the sources that are the target's parent or child, by id, with which one."""
    if not sources:
        return Invalid("Name at least one case to merge.", field="sources")
    if len(sources) > MAX_SOURCES:
        return Invalid(f"Merge at most {MAX_SOURCES} cases at once.", field="sources")
    if any(s.id == target.id for s in sources):
        return Invalid(f"{target.number} cannot be merged into itself.", field="sources")
    if target.merged_into is not None:
        return Conflict(f"{target.number} was merged into {target.merged_into}; merge into "
                        "that case instead.")
    if target.status == Status.CLOSED:
        return Conflict(f"{target.number} is closed: re-open it first, or merge into an open "
                        "case.")
    for source in sources:
        if source.merged_into is not None:
            return Conflict(f"{source.number} was merged into {source.merged_into} already.")
        if source.open_assignments:
            return Conflict(f"{source.number} has open case assignments (work referred to "
                            "another team); close them before merging it.")
        if source.id in family:
            return Conflict(f"{source.number} is the {family[source.id]} of {target.number}: "
                            "linked cases are not duplicates. Remove the link first if they "
                            "are.")
        if (not confirm_other_account and source.account_id is not None
                and target.account_id is not None and source.account_id != target.account_id):
            return Conflict(f"{source.number} belongs to {source.account_name or 'another account'}"
                            f", {target.number} to {target.account_name or 'another account'}: "
                            "confirm to merge cases of different accounts.")
    return None


@dataclass(frozen=True)
class LinkEnds:
    """A stored link's two cases and kind."""

    from_id: int
    to_id: int
    kind: str


def repointed(link: LinkEnds, *, source_id: int, target_id: int) -> LinkEnds | None:
    """The link with the merged case replaced by the target (a symmetric link kept with the
    lower id first); None when it would link the target to itself."""
    from_id = target_id if link.from_id == source_id else link.from_id
    to_id = target_id if link.to_id == source_id else link.to_id
    if from_id == to_id:
        return None
    if link.kind == LinkKind.RELATED_TO and from_id > to_id:
        from_id, to_id = to_id, from_id
    return LinkEnds(from_id, to_id, link.kind)


def undo_refusal(*, merged_at: datetime, now: datetime, undone: bool, addition: str | None
                 ) -> str | None:
    """Why a merge can no longer be undone (None when it can). `addition` says what was
    added to the cases since the merge, if anything was."""
    if undone:
        return "This merge was undone already."
    if now - merged_at > UNDO_WINDOW:
        hours = UNDO_WINDOW.total_seconds() / 3600
        return f"The merge is more than {hours:g} hours old and can no longer be undone."
    if addition:
        return f"{addition} since the merge, so it can no longer be undone."
    return None


def state_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """The closure's fields as JSON (moments as ISO text)."""
    return {name: (value.isoformat() if name in _MOMENTS and value is not None else value)
            for name, value in values.items()}


def state_restored(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {name: (datetime.fromisoformat(value) if name in _MOMENTS and value is not None
                   else value) for name, value in snapshot.items()}


# -- reads ----------------------------------------------------------------------------------

def merged_target(case: Case) -> Case:
    """Where a merged case's number leads: the case it was merged into (following a chain of
    merges); the case itself when it was never merged."""
    seen = {case.pk}
    while case.merged_into_id is not None and len(seen) < MAX_CHAIN:
        found = (Case.objects.select_related("tenant", "contact")
                 .filter(tenant_id=case.tenant_id, pk=case.merged_into_id).first())
        if found is None or found.pk in seen:
            break
        seen.add(found.pk)
        case = found
    return case


@dataclass(frozen=True)
class MergeNotice:
    """A merge into a case, as its page shows it: which case, when, and whether (until
    when) it can be undone."""

    number: str
    subject: str
    merged_at: datetime
    undo_until: datetime | None


def merges_into(case: Case, now: datetime, *, limit: int = 20) -> list[MergeNotice]:
    """The recent merges into the case that still stand (newest first); `undo_until` is set
    for those an undo would take back now."""
    rows = list(CaseMerge.objects.filter(tenant_id=case.tenant_id, target=case,
                                         undone_at__isnull=True,
                                         merged_at__gte=now - UNDO_WINDOW)
                .select_related("source").order_by("-merged_at", "-id")[:limit])
    if not rows:
        return []
    undoable = _latest_batch(case)
    can_undo = undoable is not None and _undo_problem(undoable, now) is None
    prefix = case.tenant.case_prefix
    return [MergeNotice(number=f"{prefix}-{row.source.number}", subject=row.source.subject,
                        merged_at=row.merged_at,
                        undo_until=(row.merged_at + UNDO_WINDOW
                                    if can_undo and undoable and row.batch == undoable[0].batch
                                    else None))
            for row in rows]


@dataclass(frozen=True)
class MergePreview:
    """What merging one duplicate would move, as the confirmation lists it."""

    number: str
    subject: str
    status: str
    notes: int
    files: int
    participants: int
    links: int
    tags_added: list[str]


def merge_preview(target: Case, sources: list[Case], *, confirm_other_account: bool
                  ) -> list[MergePreview]:
    """What merging `sources` into `target` would move; raises the refusal the merge itself
    would give now (it decides again, under its locks, when it runs)."""
    refusal = merge_refusal(_side(target), [_side(s) for s in sources],
                            confirm_other_account=confirm_other_account,
                            family=_family(target, [s.pk for s in sources]))
    if refusal is not None:
        raise refusal
    tags = set(target.tags or [])
    shown = []
    for source in sources:
        added = [t for t in source.tags or [] if t not in tags]
        tags.update(added)
        shown.append(MergePreview(
            number=source.display_number, subject=source.subject, status=source.status,
            notes=Note.objects.filter(tenant_id=source.tenant_id, case=source).count(),
            files=NoteAttachment.objects.filter(tenant_id=source.tenant_id,
                                                case=source).count(),
            participants=Participant.objects.filter(tenant_id=source.tenant_id,
                                                    case=source).count(),
            links=CaseLink.objects.filter(Q(from_case=source) | Q(to_case=source),
                                          tenant_id=source.tenant_id).count(),
            tags_added=added))
    return shown


# -- writes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MergeResult:
    """What a merge did: the target, and one record per merged case."""

    target: Case
    records: list[CaseMerge]


def _lock(tenant_id: int, ids: Iterable[int]) -> dict[int, Case]:
    """The cases under their row locks, taken one by one in id order, so two merges (or a
    merge and a link) over the same cases queue instead of deadlocking."""
    locked = {}
    for pk in sorted(set(ids)):
        locked[pk] = (Case.objects.select_for_update(of=("self",))
                      .select_related("tenant", "contact", "account")
                      .get(pk=pk, tenant_id=tenant_id))
    return locked


def _side(case: Case) -> MergeSide:
    pointer = None
    if case.merged_into_id is not None:
        number = (Case.objects.filter(tenant_id=case.tenant_id, pk=case.merged_into_id)
                  .values_list("number", flat=True))
        pointer = f"{case.tenant.case_prefix}-{number.first()}"
    return MergeSide(
        id=case.pk, number=case.display_number, status=case.status,
        account_id=case.account_id, account_name=case.account.name if case.account else "",
        merged_into=pointer,
        open_assignments=CaseAssignment.objects.filter(
            case=case, status=AssignmentStatus.OPEN).count())


def _family(target: Case, source_ids: list[int]) -> dict[int, str]:
    family: dict[int, str] = {}
    for from_id, to_id in CaseLink.objects.filter(
            Q(from_case=target, to_case_id__in=source_ids)
            | Q(to_case=target, from_case_id__in=source_ids),
            tenant_id=target.tenant_id, kind=LinkKind.PARENT_OF
    ).values_list("from_case_id", "to_case_id"):
        if from_id == target.pk:
            family[to_id] = "child"
        else:
            family[from_id] = "parent"
    return family


def case_merge(*, target: Case, sources: list[Case], actor: User | None, now: datetime,
               confirm_other_account: bool = False) -> MergeResult:
    """Merges the source cases into the target, or refuses (Invalid, Conflict, NotFound) and
    changes nothing. One transaction; the cases' rows are locked in id order."""
    if any(s.tenant_id != target.tenant_id for s in sources):
        raise NotFound("No such case in this tenant.")
    source_ids = list(dict.fromkeys(s.pk for s in sources))
    with transaction.atomic():
        with case_change():
            locked = _lock(target.tenant_id, [target.pk, *source_ids])
            # Link changes elsewhere check the hierarchy under the tenant's row: the links
            # re-pointed here take their turn the same way (after the cases, as they do).
            Tenant.objects.select_for_update().filter(pk=target.tenant_id).exists()
            target = locked[target.pk]
            merging = [locked[pk] for pk in source_ids]
            refusal = merge_refusal(_side(target), [_side(s) for s in merging],
                                    confirm_other_account=confirm_other_account,
                                    family=_family(target, source_ids))
            if refusal is not None:
                raise refusal
            batch = uuid.uuid4()
            events: list[TimelineEvent] = []
            records = [_merge_one(target, source, actor, now, batch, events)
                       for source in merging]
            target.updated_at = now
            target.save(update_fields=["tags", "updated_at"])
            timeline_write(events)
        # The rules the merge set off have run (inside this transaction): their events are
        # part of the merge, not something added after it.
        last = _last_event_id(target.tenant_id, [target.pk, *source_ids])
        CaseMerge.objects.filter(pk__in=[r.pk for r in records]).update(last_event_id=last)
    return MergeResult(target=target, records=records)


def _last_event_id(tenant_id: int, case_ids: list[int]) -> int:
    found = (TimelineEvent.objects.filter(tenant_id=tenant_id, case_id__in=case_ids)
             .order_by("-id").values_list("id", flat=True).first())
    return found or 0


def _ids(rows: Any) -> list[int]:
    return list(rows.values_list("pk", flat=True))


def _merge_one(target: Case, source: Case, actor: User | None, now: datetime, batch: uuid.UUID,
               events: list[TimelineEvent]) -> CaseMerge:
    """Moves one duplicate onto the locked target and closes it; appends the timeline events
    to `events` (written together by the caller)."""
    tenant_id = target.tenant_id
    state = state_snapshot({name: getattr(source, name) for name in STATE_FIELDS})
    moved: dict[str, Any] = {}
    notes = _ids(Note.objects.filter(tenant_id=tenant_id, case=source))
    moved["notes"] = notes
    moved["events"] = _ids(TimelineEvent.objects.filter(
        tenant_id=tenant_id, case=source, kind__in=NOTE_EVENTS, note_id__in=notes))
    moved["note_attachments"] = _ids(NoteAttachment.objects.filter(tenant_id=tenant_id,
                                                                   case=source))
    Note.objects.filter(pk__in=notes).update(case=target)
    TimelineEvent.objects.filter(pk__in=moved["events"]).update(case=target)
    NoteAttachment.objects.filter(pk__in=moved["note_attachments"]).update(case=target)
    moved.update(_move_participants(target, source, now))
    before = target.tags or []
    added = [t for t in clean_tags(list(source.tags or [])) if t not in before]
    target.tags = clean_tags([*before, *added])
    moved["tags_added"] = added
    moved.update(_move_links(target, source))
    moved["apps"] = merge_moved(tenant_id, source.pk, target.pk)
    number = target.display_number
    intro = None
    if source.description.strip():
        intro = Note.objects.create(
            tenant_id=tenant_id, case=target, author=actor, is_public=False, created_at=now,
            body=f"{source.display_number} · {source.subject}\n\n{source.description}")
        moved["intro_note"] = intro.pk
    pauses = set(_ids(SlaPause.objects.filter(case=source)))
    if source.status != Status.CLOSED:
        plan = TransitionPlan(from_status=Status(source.status), to_status=Status.CLOSED,
                              changes={"status": Status.CLOSED.value, "closed_at": now})
        events.append(apply_plan(source, plan, actor, now,
                                 message=f"Closed as a duplicate of {number}."))
    moved["sla_pauses_added"] = sorted(set(_ids(SlaPause.objects.filter(case=source)))
                                       - pauses)
    source.closed_reason = DUPLICATE
    source.closure_note = clipped(Case, "closure_note", f"Merged into {number}.")
    source.resolved_at = None
    source.sla_policy_id = None
    source.merged_into = target
    source.merged_at = now
    source.updated_at = now
    source.save()
    record = CaseMerge.objects.create(tenant_id=tenant_id, batch=batch, target=target,
                                      source=source, actor=actor, merged_at=now, moved=moved,
                                      source_state=state)
    mail = sum(len(ids) for ids in moved["apps"].get("mail", {}).values())
    summary = _summary(moved, mail)
    events.append(event(source, actor, EventKind.MERGED_INTO, now,
                        new_value={"case": number, "merge_id": record.pk},
                        message=f"merged this case into {number}{summary}."))
    events.append(event(target, actor, EventKind.MERGED_FROM, now, note=intro,
                        new_value={"case": source.display_number, "merge_id": record.pk},
                        message=f"merged {source.display_number} into this case{summary}."))
    return record


def _summary(moved: dict[str, Any], mail: int) -> str:
    counts = [(len(moved["notes"]), "note"), (mail, "mail record"),
              (len(moved["participants"]), "participant"),
              (len(moved["links"]), "link"), (len(moved["tags_added"]), "tag")]
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n]
    return f" ({', '.join(parts)} moved)" if parts else ""


def _move_participants(target: Case, source: Case, now: datetime) -> dict[str, list[int]]:
    """The people copied on the duplicate join the target (one already there stays put on
    the duplicate), and so does its contact, unless the target's contact is the same: they
    get the target's replies, and their mail threads onto it."""
    taken = set(Participant.objects.filter(case=target).values_list("email", flat=True))
    moving = [pk for pk, email in Participant.objects.filter(case=source)
              .values_list("pk", "email") if email not in taken]
    Participant.objects.filter(pk__in=moving).update(case=target)
    taken |= set(Participant.objects.filter(pk__in=moving).values_list("email", flat=True))
    added = []
    contact = source.contact
    email = contact.email.strip().lower() if contact is not None and contact.email else ""
    target_email = (target.contact.email.strip().lower()
                    if target.contact is not None and target.contact.email else "")
    if email and email != target_email and email not in taken:
        added.append(Participant.objects.create(
            tenant_id=target.tenant_id, case=target, email=email,
            name=clipped(Participant, "name", contact.name if contact else ""),
            created_at=now).pk)
    return {"participants": moving, "participants_added": added}


def _move_links(target: Case, source: Case) -> dict[str, list[Any]]:
    """Re-points the duplicate's links to the target; drops (and keeps for the undo) the ones
    that would link the target to itself, repeat a link, give a case a second parent or close
    a parent/child cycle."""
    moved: list[dict[str, int]] = []
    dropped: list[dict[str, Any]] = []
    rows = list(CaseLink.objects.filter(Q(from_case=source) | Q(to_case=source),
                                        tenant_id=target.tenant_id).order_by("id"))
    for link in rows:
        ends = repointed(LinkEnds(link.from_case_id, link.to_case_id, link.kind),
                         source_id=source.pk, target_id=target.pk)
        if ends is None or _link_clash(ends, link.pk, target.tenant_id):
            dropped.append({"id": link.pk, "from": link.from_case_id, "to": link.to_case_id,
                            "kind": link.kind, "created_by": link.created_by_id,
                            "created_at": link.created_at.isoformat()})
            link.delete()
            continue
        moved.append({"id": link.pk, "from": link.from_case_id, "to": link.to_case_id})
        CaseLink.objects.filter(pk=link.pk).update(from_case_id=ends.from_id,
                                                   to_case_id=ends.to_id)
    return {"links": moved, "links_dropped": dropped}


def _link_clash(ends: LinkEnds, link_id: int, tenant_id: int) -> bool:
    links = CaseLink.objects.filter(tenant_id=tenant_id).exclude(pk=link_id)
    if links.filter(from_case_id=ends.from_id, to_case_id=ends.to_id, kind=ends.kind).exists():
        return True
    if ends.kind == LinkKind.CAUSED_BY and links.filter(
            from_case_id=ends.to_id, to_case_id=ends.from_id, kind=ends.kind).exists():
        return True
    if ends.kind != LinkKind.PARENT_OF:
        return False
    if links.filter(to_case_id=ends.to_id, kind=LinkKind.PARENT_OF).exists():
        return True
    return ends.to_id in _ancestors(ends.from_id, tenant_id)


# -- undo -----------------------------------------------------------------------------------

def _latest_batch(case: Case) -> list[CaseMerge] | None:
    """The merge an undo asked for on `case` would take back: the one that merged it away,
    or the latest merge into it; None when there is none."""
    standing = CaseMerge.objects.filter(tenant_id=case.tenant_id, undone_at__isnull=True
                                        ).order_by("-merged_at", "-id")
    record = standing.filter(source=case).first() or standing.filter(target=case).first()
    if record is None:
        return None
    return list(CaseMerge.objects.filter(tenant_id=case.tenant_id, batch=record.batch)
                .select_related("source", "target").order_by("id"))


_ADDED: dict[str, str] = {
    EventKind.NOTE_ADDED: "a note was added", EventKind.REPLY_ADDED: "a reply was added",
    EventKind.CUSTOMER_REPLIED: "the customer wrote",
}


def _undo_problem(records: list[CaseMerge], now: datetime) -> str | None:
    first = records[0]
    case_ids = [first.target_id, *(r.source_id for r in records)]
    later = (TimelineEvent.objects.filter(tenant_id=first.tenant_id, case_id__in=case_ids,
                                          pk__gt=min(r.last_event_id for r in records))
             .exclude(kind__in=NOT_ADDITIONS).select_related("case__tenant")
             .order_by("id").first())
    addition = None
    if later is not None:
        addition = f"{later.case.display_number}: {_ADDED.get(later.kind, 'it was changed')}"
    return undo_refusal(merged_at=first.merged_at, now=now,
                        undone=any(r.undone_at is not None for r in records), addition=addition)


def case_merge_undo(*, case: Case, actor: User | None, now: datetime) -> MergeResult:
    """Takes back the merge that merged `case` away, or the latest merge into it: every row
    moves back, dropped links come back, tags and people it added leave the target, and the
    duplicates are as they were before they closed. Conflict when there is nothing to undo,
    past `UNDO_WINDOW`, or when anything was added to the cases since. One transaction."""
    records = _latest_batch(case)
    if records is None:
        raise Conflict(f"No merge of {case.display_number} to undo.")
    tenant_id = case.tenant_id
    with case_change():
        locked = _lock(tenant_id, [records[0].target_id, *(r.source_id for r in records)])
        Tenant.objects.select_for_update().filter(pk=tenant_id).exists()
        records = list(CaseMerge.objects.select_for_update()
                       .filter(pk__in=[r.pk for r in records]).order_by("id"))
        problem = _undo_problem(records, now)
        if problem is not None:
            raise Conflict(problem)
        target = locked[records[0].target_id]
        events: list[TimelineEvent] = []
        for record in reversed(records):
            source = locked[record.source_id]
            _undo_one(record, target, source, actor, now)
            events.append(event(source, actor, EventKind.MERGE_UNDONE, now, field="status",
                                old_value=Status.CLOSED.value, new_value=source.status,
                                message=f"undid the merge of this case into "
                                        f"{target.display_number}."))
            events.append(event(target, actor, EventKind.MERGE_UNDONE, now,
                                old_value={"case": source.display_number},
                                message=f"undid the merge of {source.display_number} into "
                                        "this case."))
        target.updated_at = now
        target.save(update_fields=["tags", "updated_at"])
        timeline_write(events)
        CaseMerge.objects.filter(pk__in=[r.pk for r in records]).update(undone_at=now,
                                                                        undone_by=actor)
    return MergeResult(target=target, records=records)


def _undo_one(record: CaseMerge, target: Case, source: Case, actor: User | None,
              now: datetime) -> None:
    moved = record.moved
    tenant_id = record.tenant_id
    merge_moved_back(tenant_id, source.pk, moved.get("apps", {}))
    Note.objects.filter(tenant_id=tenant_id, pk__in=moved["notes"]).update(case=source)
    TimelineEvent.objects.filter(tenant_id=tenant_id, pk__in=moved["events"]).update(case=source)
    NoteAttachment.objects.filter(tenant_id=tenant_id, pk__in=moved["note_attachments"]
                                  ).update(case=source)
    Participant.objects.filter(tenant_id=tenant_id, pk__in=moved["participants"]
                               ).update(case=source)
    Participant.objects.filter(tenant_id=tenant_id, pk__in=moved["participants_added"]).delete()
    if moved.get("intro_note"):
        Note.objects.filter(tenant_id=tenant_id, pk=moved["intro_note"]).delete()
    added = set(moved["tags_added"])
    target.tags = [t for t in target.tags or [] if t not in added]
    for link in moved["links"]:
        CaseLink.objects.filter(tenant_id=tenant_id, pk=link["id"]).update(
            from_case_id=link["from"], to_case_id=link["to"])
    CaseLink.objects.bulk_create([
        CaseLink(pk=link["id"], tenant_id=tenant_id, from_case_id=link["from"],
                 to_case_id=link["to"], kind=link["kind"], created_by_id=link["created_by"],
                 created_at=datetime.fromisoformat(link["created_at"]))
        for link in moved["links_dropped"]])
    SlaPause.objects.filter(pk__in=moved["sla_pauses_added"], case=source).delete()
    for name, value in state_restored(record.source_state).items():
        setattr(source, name, value)
    source.merged_into = None
    source.merged_at = None
    source.save()
