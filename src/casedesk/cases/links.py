"""Linked cases: parent and child, "related to", "caused by".

One `CaseLink` row per link, shown on both cases. A link is asked for from one case's side
(`LINK_REQUESTS`: "this case is <kind> the other"); `child_of` and `causes` are stored as the
reverse `parent_of` and `caused_by`, and `related_to` with the lower id first. Each change
runs in `case_change()` and writes a timeline event on both cases.

Decisions: a child has one parent and no case is its own ancestor; a pair is caused-by one
way only; linking a case to itself is invalid. Whether a parent may close while a child is
open is the tenant's `parent_close_needs_children_closed` (`writing.state_of`); only
closing is held back, not resolving, as case assignments do.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import Q

from casedesk.cases.changes import case_change
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, CaseLink, EventKind, LinkKind
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import lock_case
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.tenancy.models import Tenant, User

LinkRequest = Literal["parent_of", "child_of", "related_to", "caused_by", "causes"]
# What a link is asked for as, from the asking case's side: (stored kind, whether the
# asking case is the stored link's `to_case`).
_REQUESTS: dict[str, tuple[LinkKind, bool]] = {
    "parent_of": (LinkKind.PARENT_OF, False),
    "child_of": (LinkKind.PARENT_OF, True),
    "related_to": (LinkKind.RELATED_TO, False),
    "caused_by": (LinkKind.CAUSED_BY, False),
    "causes": (LinkKind.CAUSED_BY, True),
}
LINK_REQUESTS: tuple[str, ...] = tuple(_REQUESTS)
ROLE_LABELS: dict[str, str] = {
    "parent_of": "Parent of", "child_of": "Child of", "related_to": "Related to",
    "caused_by": "Caused by", "causes": "Causes",
}
# How each role reads in a timeline message: "Linked as child of CS-12".
_ROLE_PHRASES: dict[str, str] = {
    "parent_of": "parent of", "child_of": "child of", "related_to": "related to",
    "caused_by": "caused by", "causes": "cause of",
}
_ROLE_ORDER = ("child_of", "parent_of", "related_to", "caused_by", "causes")
# A parent chain longer than this is a damaged hierarchy, not a desk's: the walk stops.
MAX_DEPTH = 1000


def role_of(link: CaseLink, case_id: int) -> str:
    """What the case is to the other case of the link (one of `LINK_REQUESTS`)."""
    is_from = link.from_case_id == case_id
    if link.kind == LinkKind.PARENT_OF:
        return "parent_of" if is_from else "child_of"
    if link.kind == LinkKind.CAUSED_BY:
        return "caused_by" if is_from else "causes"
    return "related_to"


@dataclass(frozen=True)
class LinkView:
    """A link as one of its cases shows it: the other case and what this case is to it."""

    id: int
    role: str
    label: str
    number: str
    subject: str
    status: str
    is_open: bool
    created_at: datetime

    @property
    def status_label(self) -> str:
        return Status(self.status).label


def links_of(case: Case) -> list[LinkView]:
    """The case's links, from its side, by role (parent first) then the other's number."""
    rows = (CaseLink.objects.filter(tenant_id=case.tenant_id)
            .filter(Q(from_case=case) | Q(to_case=case))
            .select_related("from_case", "to_case"))
    prefix = case.tenant.case_prefix
    shown = []
    for link in rows:
        other = link.to_case if link.from_case_id == case.pk else link.from_case
        role = role_of(link, case.pk)
        shown.append(((_ROLE_ORDER.index(role), other.number), LinkView(
            id=link.pk, role=role, label=ROLE_LABELS[role], number=f"{prefix}-{other.number}",
            subject=other.subject, status=other.status, is_open=other.is_open,
            created_at=link.created_at)))
    return [view for _, view in sorted(shown, key=lambda pair: pair[0])]


def _ancestors(case_id: int, tenant_id: int) -> list[int]:
    """The case's parent, its parent's parent, and so on (nearest first)."""
    chain: list[int] = []
    current: int | None = case_id
    while current is not None and len(chain) < MAX_DEPTH:
        current = (CaseLink.objects.filter(tenant_id=tenant_id, to_case_id=current,
                                           kind=LinkKind.PARENT_OF)
                   .values_list("from_case_id", flat=True).first())
        if current is None or current in chain:
            break
        chain.append(current)
    return chain


def _lock_pair(case: Case, other: Case) -> tuple[Case, Case]:
    """Both cases under their row locks, the lower id first so two changes of one pair
    queue instead of deadlocking."""
    first, second = sorted((case, other), key=lambda c: c.pk)
    locked = {c.pk: lock_case(c) for c in (first, second)}
    return locked[case.pk], locked[other.pk]


def _refusal(kind: LinkKind, parent: Case, child: Case) -> str | None:
    """Why the link `parent -kind-> child` may not be added now (None when it may)."""
    tenant_id = parent.tenant_id
    if CaseLink.objects.filter(tenant_id=tenant_id, from_case=parent, to_case=child,
                               kind=kind).exists():
        return f"{parent.display_number} and {child.display_number} are linked so already."
    if kind == LinkKind.CAUSED_BY and CaseLink.objects.filter(
            tenant_id=tenant_id, from_case=child, to_case=parent, kind=kind).exists():
        return (f"{child.display_number} was caused by {parent.display_number} already; "
                "remove that link first.")
    if kind != LinkKind.PARENT_OF:
        return None
    existing = (CaseLink.objects.filter(tenant_id=tenant_id, to_case=child, kind=kind)
                .select_related("from_case").first())
    if existing is not None:
        return (f"{child.display_number} has a parent already, "
                f"{existing.from_case.display_number}; remove that link first.")
    if child.pk in _ancestors(parent.pk, tenant_id):
        return (f"{child.display_number} is an ancestor of {parent.display_number}: a case "
                "cannot be its own ancestor.")
    return None


def link_add(*, case: Case, other: Case, kind: str, actor: User | None, now: datetime
             ) -> CaseLink:
    """Links `case` to `other` as `kind` ("this case is <kind> the other", one of
    `LINK_REQUESTS`), with an event on both timelines, in one transaction.

    Invalid for an unknown kind or a case linked to itself; NotFound for another tenant's
    case; Conflict for the same link twice, a second parent, a parent/child cycle, or
    caused-by both ways.
    """
    if kind not in _REQUESTS:
        raise Invalid(f"Unknown link kind {kind!r}; one of: {', '.join(LINK_REQUESTS)}.",
                      field="kind")
    if other.tenant_id != case.tenant_id:
        raise NotFound("No such case in this tenant.")
    if other.pk == case.pk:
        raise Invalid("A case cannot be linked to itself.", field="case")
    stored, reverse = _REQUESTS[kind]
    with case_change():
        case, other = _lock_pair(case, other)
        if stored == LinkKind.PARENT_OF:
            # Two parent links added at once could close a cycle between four cases that
            # share no row; the tenant's row makes hierarchy changes take turns (taken after
            # the cases, the order every other change that locks both keeps).
            Tenant.objects.select_for_update().filter(pk=case.tenant_id).exists()
        source, target = (other, case) if reverse else (case, other)
        if stored == LinkKind.RELATED_TO and source.pk > target.pk:
            source, target = target, source
        refusal = _refusal(stored, source, target)
        if refusal:
            raise Conflict(refusal)
        link = CaseLink.objects.create(tenant_id=case.tenant_id, from_case=source,
                                       to_case=target, kind=stored, created_by=actor,
                                       created_at=now)
        _record(link, source, target, actor, now, EventKind.LINK_ADDED)
    return link


def link_remove(*, link: CaseLink, actor: User | None, now: datetime) -> None:
    """Removes a link, with an event on both timelines, in one transaction."""
    with case_change():
        source, target = _lock_pair(link.from_case, link.to_case)
        locked = CaseLink.objects.select_for_update().filter(pk=link.pk).first()
        if locked is None:
            raise NotFound("This link was removed already.")
        locked.delete()
        locked.pk = link.pk  # the events name the link that was
        _record(locked, source, target, actor, now, EventKind.LINK_REMOVED)


def _record(link: CaseLink, source: Case, target: Case, actor: User | None, now: datetime,
            kind: EventKind) -> None:
    events = []
    for case, other in ((source, target), (target, source)):
        role = role_of(link, case.pk)
        value = {"link_id": link.pk, "role": role, "case": other.display_number}
        phrase = f"{_ROLE_PHRASES[role]} {other.display_number}"
        if kind == EventKind.LINK_ADDED:
            events.append(event(case, actor, kind, now, new_value=value,
                                message=f"Linked as {phrase}."))
        else:
            events.append(event(case, actor, kind, now, old_value=value,
                                message=f"Link removed: no longer {phrase}."))
        case.updated_at = now
        case.save(update_fields=["updated_at"])
    timeline_write(events)

