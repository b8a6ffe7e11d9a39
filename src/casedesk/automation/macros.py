"""Macros: canned answers an agent applies to a case in one click (a reply or internal note
from a template, field changes, tags), shared with the team or personal to one member.

Who sees what: a shared macro (no owner) is visible to every member and changed by managers
and admins; a personal one is seen and changed by its owner only (anyone else, an admin too,
gets NotFound). `get_macro_for_member` is the only way pages and the API reach one.

A macro is checked when it is saved (the template compiles, the values exist in the tenant,
a status is one a macro may move to) and again when it is applied, through the case services
themselves: what was retired since is refused then, and a refused lifecycle move refuses the
whole macro (one transaction, nothing half-applied). `macro_preview` tells the same story
without writing.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet

from casedesk.automation import templating
from casedesk.automation.models import Macro
from casedesk.cases.changes import case_change
from casedesk.cases.lifecycle import Status, TransitionRefused, plan_transition
from casedesk.cases.models import Case, EventKind, PicklistKind, TimelineEvent
from casedesk.cases.picklists import Picklists
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.cases.writing import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    check_references,
    lock_case,
    reopen_policy,
    state_of,
)
from casedesk.core import clock
from casedesk.core.access import tenant_row
from casedesk.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from casedesk.core.limits import check_fits
from casedesk.core.priority import PRIORITY_BY_RUNG, Priority, parse_priority
from casedesk.core.text import check_text, filter_search, one_line
from casedesk.routing.models import Queue
from casedesk.tenancy.audit import audit_change, audit_deleted, audit_snapshot
from casedesk.tenancy.models import Membership, Tenant, User

# What a macro may change, in the order it is shown and applied.
MACRO_FIELDS = ("priority", "type", "category", "subcategory", "queue_id", "owner_id", "status")
FIELD_LABELS = {"priority": "Priority", "type": "Type", "category": "Category",
                "subcategory": "Subcategory", "queue_id": "Queue", "owner_id": "Owner",
                "status": "Status"}
# Closing needs a closed reason, which a macro does not carry, and nothing moves a case back
# to new: those stay with the lifecycle's own controls.
MACRO_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED)
MAX_MACRO_TAGS = 20
MAX_POSITION = 10_000
MAX_MACROS = 1_000  # per tenant: the menu and the settings list stay readable


@dataclass(frozen=True)
class MacroInput:
    """A macro as typed: everything is checked by `macro_create` / `macro_update`."""

    name: str
    description: str = ""
    reply: str = ""
    reply_is_public: bool = True
    changes: dict[str, Any] = field(default_factory=dict)
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)
    is_active: bool = True
    position: int = 0


@dataclass(frozen=True)
class ChangeLine:
    """One thing applying the macro would do to a case, as shown ("Priority: Normal →
    Urgent"), and why it would be refused ("" when it would not)."""

    field: str
    text: str
    refused: str = ""


@dataclass(frozen=True)
class MacroPreview:
    """What applying the macro to the case would do, written nowhere."""

    reply: str
    reply_is_public: bool
    lines: list[ChangeLine]

    @property
    def refusals(self) -> list[str]:
        return [line.refused for line in self.lines if line.refused]

    @property
    def can_apply(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class MacroResult:
    """What applying a macro did: the case as it is now, the lines of what changed, and the
    reply or note written (None when the macro had no reply)."""

    case: Case
    changes: list[str]
    note_id: int | None


# --- who sees and changes a macro -------------------------------------------------------------

def macros_for_member(membership: Membership, *, active_only: bool = False,
                      q: str | None = None) -> QuerySet[Macro]:
    """The macros the member sees: the team's shared ones and their own, in order."""
    rows = Macro.objects.filter(Q(owner__isnull=True) | Q(owner_id=membership.user_id),
                                tenant_id=membership.tenant_id)
    if active_only:
        rows = rows.filter(is_active=True)
    return filter_search(rows, q, ("name", "description"))


def get_macro_for_member(membership: Membership, macro_id: int, *, write: bool = False
                         ) -> Macro:
    """A macro the member sees (NotFound for another tenant's and another member's personal
    one); with `write`, PermissionDenied unless the member may change it (a shared macro:
    managers and admins; a personal one: its owner)."""
    macro = tenant_row(macros_for_member(membership), membership.tenant_id, macro_id,
                       f"No macro with id {macro_id}.")
    if write:
        check_may_change(membership, shared=macro.owner_id is None)
    return macro


def check_may_change(membership: Membership, *, shared: bool) -> None:
    if shared and not membership.is_manager:
        raise PermissionDenied("Only managers and admins make and change shared macros; "
                               "make a personal macro instead.")


def check_active(macro: Macro) -> Macro:
    """A member applies active macros only (a rule may apply one switched off: its author
    chose it)."""
    if not macro.is_active:
        raise Conflict(f"“{macro.name}” is switched off; switch it on to apply it.")
    return macro


def may_change(membership: Membership, macro: Macro) -> bool:
    return macro.owner_id == membership.user_id or (macro.owner_id is None
                                                    and membership.is_manager)


# --- checking what a macro says ---------------------------------------------------------------

def _clean_tags(tags: Any, name: str) -> list[str]:
    if not isinstance(tags, list | tuple):
        raise Invalid("Tags are a list of words.", field=name)
    cleaned: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise Invalid("A tag is text.", field=name)
        tag = one_line(check_text(tag, field=name, label="A tag"))
        if len(tag) > MAX_TAG_LENGTH:
            raise Invalid(f"Tag {tag[:20]!r}… is longer than {MAX_TAG_LENGTH} characters.",
                          field=name)
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_MACRO_TAGS:
        raise Invalid(f"A macro adds or removes at most {MAX_MACRO_TAGS} tags.", field=name)
    return cleaned


def _clean_changes(tenant: Tenant, changes: Any, *, has_reply: bool) -> dict[str, Any]:
    if not isinstance(changes, dict):
        raise Invalid("The field changes are a mapping of field to value.", field="changes")
    unknown = sorted(set(changes) - set(MACRO_FIELDS))
    if unknown:
        raise Invalid(f"A macro cannot change {unknown[0]!r}; it changes "
                      f"{', '.join(MACRO_FIELDS)}.", field="changes")
    cleaned: dict[str, Any] = {}
    picklists = Picklists(tenant, kinds=(PicklistKind.TYPE, PicklistKind.CATEGORY,
                                         PicklistKind.SUBCATEGORY))
    for name in MACRO_FIELDS:
        if name not in changes:
            continue
        value = changes[name]
        where = f"changes.{name}"
        if name == "priority":
            cleaned[name] = PRIORITY_BY_RUNG[parse_priority(value, "Priority", field=where)]
        elif name in ("type", "category", "subcategory"):
            if not isinstance(value, str) or not value.strip():
                raise Invalid(f"{FIELD_LABELS[name]}: pick a value.", field=where)
            value = check_text(value.strip(), field=where, label=FIELD_LABELS[name])
            try:
                if name == "subcategory" and "category" not in changes:
                    # The case's own category is the parent: known only when applied.
                    if value not in picklists.all(PicklistKind.SUBCATEGORY):
                        raise Invalid(f"{value!r} is not a subcategory of this tenant.",
                                      field=name)
                else:
                    picklists.check(name, value, parent=str(changes.get("category", "")))
            except Invalid as error:
                raise Invalid(error.detail, field=where) from None
            cleaned[name] = value
        elif name in ("queue_id", "owner_id"):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise Invalid(f"{FIELD_LABELS[name]}: an id, or null for none.", field=where)
            if value is not None:
                try:
                    check_references(tenant, {name: value}, account_given=False)
                except Invalid as error:
                    raise Invalid(error.detail, field=where) from None
            cleaned[name] = value
        else:
            if value not in [s.value for s in MACRO_STATUSES]:
                raise Invalid("A macro moves a case to one of: "
                              f"{', '.join(s.value for s in MACRO_STATUSES)} (closing needs "
                              "a closed reason: close from the case).", field=where)
            if value == Status.RESOLVED and not has_reply:
                raise Invalid("Resolving needs a note: give the macro a reply, which becomes "
                              "the resolution note.", field=where)
            cleaned[name] = value
    return cleaned


def _clean(tenant: Tenant, values: dict[str, Any], *, owner_id: int | None,
           macro_id: int | None) -> dict[str, Any]:
    name = one_line(check_text(str(values["name"] or ""), field="name", label="The name"))
    if not name:
        raise Invalid("A macro needs a name.", field="name")
    description = check_text(str(values["description"] or "").strip(), field="description",
                             label="The description")
    reply = templating.check(
        check_text(str(values["reply"] or "").strip(), field="reply", label="The reply"),
        field="reply", label="The reply")
    check_fits(Macro, {"name": name, "description": description})
    tags_add = _clean_tags(values["tags_add"], "tags_add")
    tags_remove = _clean_tags(values["tags_remove"], "tags_remove")
    both = set(tags_add) & set(tags_remove)
    if both:
        raise Invalid(f"Tag {sorted(both)[0]!r} is both added and removed.", field="tags_remove")
    changes = _clean_changes(tenant, values["changes"], has_reply=bool(reply))
    if not (reply or changes or tags_add or tags_remove):
        raise Invalid("A macro needs a reply, a field change or a tag to add or remove.",
                      field="reply")
    position = values["position"]
    if isinstance(position, bool) or not isinstance(position, int) or not (
            0 <= position <= MAX_POSITION):
        raise Invalid(f"The order is a number from 0 to {MAX_POSITION}.", field="position")
    same_name = Macro.objects.filter(tenant=tenant, owner_id=owner_id, name__iexact=name)
    if macro_id is not None:
        same_name = same_name.exclude(pk=macro_id)
    if same_name.exists():
        raise Invalid(f"There is a {'personal' if owner_id else 'shared'} macro called "
                      f"“{name}” already.", field="name")
    return {"name": name, "description": description, "reply": reply,
            "reply_is_public": bool(values["reply_is_public"]), "changes": changes,
            "tags_add": tags_add, "tags_remove": tags_remove,
            "is_active": bool(values["is_active"]), "position": position}


# --- writes -----------------------------------------------------------------------------------

# The audit log keeps the team's shared macros, which are the tenant's set-up; a member's
# personal macros are their own shortcuts.
AUDITED = ("name", "description", "reply", "reply_is_public", "changes", "tags_add",
           "tags_remove", "position", "is_active")


def _audit(macro: Macro, action: str, before: dict[str, Any], after: dict[str, Any],
           actor: User | None) -> None:
    if macro.owner_id is None:
        audit_change(tenant=macro.tenant_id, actor=actor, action=action, target_type="macro",
                     target_id=macro.pk, target_label=macro.name, before=before, after=after)

def macro_create(*, membership: Membership, data: MacroInput, shared: bool, now: datetime
                 ) -> Macro:
    """Makes a macro: shared with the team (managers and admins only) or the member's own.
    Everything is checked first; a refusal stores nothing."""
    check_may_change(membership, shared=shared)
    tenant = membership.tenant
    owner_id = None if shared else membership.user_id
    if Macro.objects.filter(tenant=tenant).count() >= MAX_MACROS:
        raise Conflict(f"A tenant has at most {MAX_MACROS} macros; delete some first.")
    values = _clean(tenant, vars(data), owner_id=owner_id, macro_id=None)
    with transaction.atomic():
        macro = Macro.objects.create(tenant=tenant, owner_id=owner_id,
                                     created_by=membership.user, created_at=now,
                                     updated_at=now, **values)
        _audit(macro, "macro.created", {}, audit_snapshot(macro, AUDITED), membership.user)
    return macro


def macro_update(*, macro: Macro, changes: dict[str, Any], now: datetime,
                 actor: User | None = None) -> Macro:
    """Changes the fields given (those of `MacroInput`), checking the macro as a whole
    again; a refusal changes nothing."""
    unknown = sorted(set(changes) - set(MacroInput.__dataclass_fields__))
    if unknown:
        raise Invalid(f"Field {unknown[0]!r} cannot be changed.", field=unknown[0])
    current = {name: getattr(macro, name) for name in MacroInput.__dataclass_fields__}
    values = _clean(macro.tenant, {**current, **changes}, owner_id=macro.owner_id,
                    macro_id=macro.pk)
    before = audit_snapshot(macro, AUDITED)
    for name, value in values.items():
        setattr(macro, name, value)
    macro.updated_at = now
    with transaction.atomic():
        macro.save()
        _audit(macro, "macro.updated", before, audit_snapshot(macro, AUDITED), actor)
    return macro


def macro_delete(*, macro: Macro, actor: User | None = None) -> None:
    """Deletes the macro; what it did to cases stays on their timelines. A shared one's
    deletion is audited."""
    with transaction.atomic():
        if macro.owner_id is None:
            audit_deleted(tenant=macro.tenant_id, actor=actor, action="macro.deleted",
                          target_type="macro", target_id=macro.pk, target_label=macro.name,
                          values=audit_snapshot(macro, AUDITED))
        Macro.objects.filter(pk=macro.pk, tenant_id=macro.tenant_id).delete()


# --- what a macro does to a case --------------------------------------------------------------

@dataclass
class _Plan:
    reply: str
    fields: dict[str, Any]  # for `case_update`
    status: str | None  # the move, when the case is not there yet
    lines: list[ChangeLine]


def _priority_label(rung: int) -> str:
    return str(Priority(rung).label).capitalize()


def _status_label(value: str) -> str:
    return Status(value).label


def _names(tenant_id: int, queue_ids: set[int], user_ids: set[int]
           ) -> tuple[dict[int, Queue], dict[int, str]]:
    queues = {q.pk: q for q in Queue.objects.filter(tenant_id=tenant_id, pk__in=queue_ids)}
    members = {m.user_id: m.user.display_name for m in Membership.objects.filter(
        tenant_id=tenant_id, user_id__in=user_ids).select_related("user")}
    return queues, members


def _plan(macro: Macro, case: Case, now: datetime) -> _Plan:
    """What the macro would change on the case, line by line, with what the case services
    would refuse (the same checks they make, read-only)."""
    changes = dict(macro.changes or {})
    reply = templating.render(macro.reply, case, base_url=settings.BASE_URL).strip() \
        if macro.reply else ""
    lines: list[ChangeLine] = []
    fields: dict[str, Any] = {}
    queues, members = _names(case.tenant_id,
                             {v for v in (changes.get("queue_id"), case.queue_id) if v},
                             {v for v in (changes.get("owner_id"), case.owner_id) if v})
    picklists = Picklists(case.tenant, kinds=(PicklistKind.TYPE, PicklistKind.CATEGORY,
                                              PicklistKind.SUBCATEGORY))

    def line(name: str, old: str, new: str, refused: str = "") -> None:
        lines.append(ChangeLine(name, f"{FIELD_LABELS[name]}: {old or 'none'} → "
                                      f"{new or 'none'}", refused))

    if "priority" in changes:
        try:
            rung = parse_priority(changes["priority"], "Priority", field="priority")
        except Invalid as error:
            line("priority", _priority_label(case.priority), str(changes["priority"]),
                 error.detail)
        else:
            if rung != case.priority:
                fields["priority"] = rung
                line("priority", _priority_label(case.priority), _priority_label(rung))
    category = changes.get("category", case.category)
    for name in ("type", "category", "subcategory"):
        if name not in changes or changes[name] == getattr(case, name) and (
                name != "subcategory" or category == case.category):
            continue
        value = str(changes[name])
        refused = ""
        try:
            picklists.check(name, value, parent=category if name == "subcategory" else "")
        except Invalid as error:
            refused = error.detail
        fields[name] = value
        line(name, getattr(case, name), value, refused)
    if "category" in fields and "subcategory" not in changes and case.subcategory:
        # The case's subcategory belongs to its old category: it goes with it.
        fields["subcategory"] = ""
        line("subcategory", case.subcategory, "")
    if "queue_id" in changes and changes["queue_id"] != case.queue_id:
        new_queue = queues.get(changes["queue_id"]) if changes["queue_id"] else None
        old_queue = queues.get(case.queue_id) if case.queue_id else None
        refused = ""
        if changes["queue_id"] and (new_queue is None or not new_queue.is_active):
            refused = "That queue is archived or gone."
        fields["queue_id"] = changes["queue_id"]
        line("queue_id", old_queue.name if old_queue else "",
             new_queue.name if new_queue else ("(archived queue)" if refused else ""), refused)
    if "owner_id" in changes and changes["owner_id"] != case.owner_id:
        refused = ""
        if changes["owner_id"]:
            try:
                check_references(case.tenant, {"owner_id": changes["owner_id"]},
                                 account_given=False)
            except Invalid as error:
                refused = error.detail
        fields["owner_id"] = changes["owner_id"]
        line("owner_id", members.get(case.owner_id or 0, ""),
             members.get(changes["owner_id"] or 0, "(former member)" if refused else ""),
             refused)
    tags = list(case.tags or [])
    added = [t for t in macro.tags_add or [] if t not in tags]
    removed = [t for t in macro.tags_remove or [] if t in tags]
    if added or removed:
        new_tags = [t for t in tags if t not in removed] + added
        fields["tags"] = new_tags
        parts = [f"+ {t}" for t in added] + [f"− {t}" for t in removed]
        lines.append(ChangeLine("tags", "Tags: " + ", ".join(parts),
                                f"A case has at most {MAX_TAGS} tags." if len(new_tags)
                                > MAX_TAGS else ""))
    if reply:
        kind = "Public reply" if macro.reply_is_public else "Internal note"
        lines.append(ChangeLine("reply", f"{kind}: {reply[:120]}"
                                         f"{'…' if len(reply) > 120 else ''}"))
    elif macro.reply:
        lines.append(ChangeLine("reply", "Reply: (renders empty for this case: none is "
                                         "written)"))
    status = changes.get("status")
    if status is not None and status != case.status:
        refused = ""
        try:
            plan_transition(state_of(case), status, note=reply or "",
                            policy=reopen_policy(case.tenant), now=now)
        except TransitionRefused as refusal:
            refused = refusal.detail
            if refusal.field == "note":
                refused = ("Resolving needs a note, and this macro's reply renders empty "
                           "for this case.")
        line("status", _status_label(case.status), _status_label(status), refused)
    else:
        status = None
    return _Plan(reply=reply, fields=fields, status=status, lines=lines)


def macro_preview(*, macro: Macro, case: Case, now: datetime | None = None) -> MacroPreview:
    """The rendered reply and every change applying the macro would make to the case,
    those the case services would refuse included (with the reason). Writes nothing.
    `now` matters only to a re-opening (the lifecycle's window); the entry points' clock
    when not given."""
    plan = _plan(macro, case, now or clock.now())
    return MacroPreview(reply=plan.reply, reply_is_public=macro.reply_is_public,
                        lines=plan.lines)


def macro_apply(*, macro: Macro, case: Case, actor: User | None, now: datetime
                ) -> MacroResult:
    """Applies the macro to the case in one transaction, through the case services only
    (`case_add_note`, `case_update`, `case_transition`), so every change is on the timeline
    and every rule of the lifecycle holds: a refused move raises (Conflict, or Invalid for a
    value retired since the macro was saved) and nothing is applied. `actor` None is an
    automation rule. Fields the case holds already are left alone; the use count goes up."""
    if macro.tenant_id != case.tenant_id:
        raise NotFound(f"No macro with id {macro.pk}.")
    with case_change():
        case = lock_case(case)
        plan = _plan(macro, case, now)
        refused = [line.refused for line in plan.lines if line.refused]
        status_refused = [line.refused for line in plan.lines
                          if line.refused and line.field == "status"]
        if status_refused:
            raise Conflict(f"“{macro.name}” was not applied: {status_refused[0]}")
        if refused:
            raise Invalid(f"“{macro.name}” was not applied: {refused[0]}", field="macro")
        note_id: int | None = None
        resolves_with_note = plan.status == Status.RESOLVED and not macro.reply_is_public
        if plan.reply and not resolves_with_note:
            note_id = case_add_note(case=case, actor=actor, body=plan.reply,
                                    is_public=macro.reply_is_public, now=now).pk
        if plan.fields:
            case = case_update(case=case, actor=actor, changes=plan.fields, now=now)
        if plan.status is not None:
            # An internal reply is the resolution's note itself (not written twice); a public
            # one went to the customer above and is kept as the note too.
            case = case_transition(case=case, actor=actor, to=plan.status, now=now,
                                   note=plan.reply if plan.status == Status.RESOLVED else "")
            if resolves_with_note and plan.reply:
                note_id = (TimelineEvent.objects.filter(
                    tenant_id=case.tenant_id, case=case, kind=EventKind.STATUS_CHANGED)
                    .order_by("-id").values_list("note_id", flat=True).first())
        Macro.objects.filter(pk=macro.pk).update(use_count=F("use_count") + 1)
    return MacroResult(case=case, changes=[line.text for line in plan.lines], note_id=note_id)

