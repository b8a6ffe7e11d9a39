"""Reads behind the case page: the timeline as the page tells it (ids turned into names, and
agents' replies joined to the mail that carries them, in a fixed number of queries), the
lifecycle moves offered, mention candidates, and the account's other open cases."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from casedesk.calls.domain import duration_text, outcome_text
from casedesk.calls.models import Direction, Outcome
from casedesk.cases import selectors
from casedesk.cases.attachments import files_of_notes
from casedesk.cases.lifecycle import (
    NOTE_REQUIRED,
    CaseState,
    ReopenPolicy,
    Status,
    allowed_moves,
    reopen_refusal,
)
from casedesk.cases.mentions import Mentionable, handles
from casedesk.cases.models import Case, EventKind, NoteAttachment, TimelineEvent
from casedesk.core.priority import Priority
from casedesk.core.text import is_storable
from casedesk.crm.models import Account, Contact, Deal
from casedesk.mail.models import OutboundMail
from casedesk.mail.selectors import mail_of_replies
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, User
from casedesk.tenancy.token_events import token_event_vias

FIELD_LABELS = {
    "subject": "Subject", "description": "Description", "priority": "Priority",
    "type": "Type", "category": "Category", "subcategory": "Subcategory",
    "sub_status": "Sub-status", "source": "Source", "account_id": "Account",
    "contact_id": "Contact", "deal_id": "Deal", "queue_id": "Queue", "owner_id": "Owner",
    "tags": "Tags", "custom_fields": "Custom fields",
}
# Which lookup table resolves the ids a field stores.
_REFERENCES = {"account_id": "account", "contact_id": "contact", "deal_id": "deal",
               "queue_id": "queue", "owner_id": "user"}
_MENTION = re.compile(r"(?<![\w.@])@[\w](?:[\w.\-]*[\w])?")
_HANDLE = re.compile(r"^[\w](?:[\w.\-]*[\w])?$")
LONG_TEXT = 120
SOURCE_NAMES = {"api": "the API", "web": "the web form"}


@dataclass
class Change:
    label: str
    old: str
    new: str
    is_long: bool = False


@dataclass
class Entry:
    """One timeline event told for people: who, what, and the values it changed."""

    event: TimelineEvent
    kind: str
    who: str
    text: str = ""
    is_customer: bool = False
    is_system: bool = False
    changes: list[Change] = field(default_factory=list)
    body: SafeString | None = None
    is_public: bool = False
    status_from: str = ""
    status_to: str = ""
    link_number: str = ""
    detail: str = ""
    inline_change: Change | None = None
    ago: str = ""
    rule_id: int | None = None  # the routing rule that decided (routed events)
    rule_name: str = ""
    rule_kind: str = ""  # "routing" or "escalation": which page the rule's link opens
    # An agent's public reply, and the mail that carries it (None: nobody had an address).
    is_agent_reply: bool = False
    mail: OutboundMail | None = None
    files: list[NoteAttachment] = field(default_factory=list)  # what the note carries
    via: str = ""  # "MCP · <token name>" for what an AI agent did through the MCP server

    @property
    def initials(self) -> str:
        words = [w for w in self.who.replace("@", " ").replace(".", " ").split() if w[:1].isalnum()]
        return "".join(w[0] for w in words[:2]).upper() or "·"


@dataclass
class Names:
    """Display names of the records a page of events refers to, one query per table."""

    tables: dict[str, dict[int, str]] = field(default_factory=dict)

    def of(self, table: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, int) and not isinstance(value, bool):
            return self.tables.get(table, {}).get(value, f"#{value} (deleted)")
        return str(value)


def _collect_ids(events: list[TimelineEvent]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}

    def add(table: str, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            wanted.setdefault(table, set()).add(value)

    for event in events:
        if event.kind == EventKind.FIELD_CHANGED and event.field in _REFERENCES:
            add(_REFERENCES[event.field], event.old_value)
            add(_REFERENCES[event.field], event.new_value)
        elif event.kind in (EventKind.ASSIGNMENT_OPENED, EventKind.ASSIGNMENT_CLOSED):
            for value in (event.old_value, event.new_value):
                if isinstance(value, dict):
                    add("queue", value.get("queue_id"))
        elif event.kind in (EventKind.OWNER_CHANGED, EventKind.CREATED, EventKind.ROUTED):
            for value in (event.old_value, event.new_value):
                if isinstance(value, dict):
                    add("user", value.get("owner_id"))
                    add("queue", value.get("queue_id"))
    return wanted


def _names(tenant_id: int, wanted: dict[str, set[int]]) -> Names:
    tables: dict[str, dict[int, str]] = {}
    for table, ids in wanted.items():
        if table == "user":
            users = User.objects.filter(pk__in=ids, memberships__tenant_id=tenant_id)
            tables[table] = {u.pk: u.display_name for u in users}
            continue
        model = {"account": Account, "contact": Contact, "deal": Deal, "queue": Queue}[table]
        rows = model.objects.filter(tenant_id=tenant_id, pk__in=ids)
        tables[table] = {row.pk: str(getattr(row, "name", "") or row) for row in rows}
    return Names(tables)


def note_html(body: str) -> SafeString:
    """The note as paragraphs, escaped, with `@mentions` marked."""
    marked = _MENTION.sub(lambda m: f'<span class="mention">{m.group(0)}</span>',
                          str(escape(body)))
    return mark_safe(linebreaks(marked, autoescape=False))  # noqa: S308 - escaped above


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return str(value)


def _field_changes(event: TimelineEvent, names: Names, custom_labels: dict[str, str]
                   ) -> list[Change]:
    name = event.field
    if name == "custom_fields":
        old = event.old_value if isinstance(event.old_value, dict) else {}
        new = event.new_value if isinstance(event.new_value, dict) else {}
        return [Change(custom_labels.get(key, key), _value(old.get(key)), _value(new.get(key)))
                for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    label = FIELD_LABELS.get(name, name)
    if name in _REFERENCES:
        table = _REFERENCES[name]
        old_text = names.of(table, event.old_value) or "—"
        new_text = names.of(table, event.new_value) or "—"
        return [Change(label, old_text, new_text)]
    if name == "priority":
        return [Change(label, _value(event.old_value).capitalize(),
                       _value(event.new_value).capitalize())]
    old_text, new_text = _value(event.old_value), _value(event.new_value)
    return [Change(label, old_text, new_text,
                   is_long=len(old_text) > LONG_TEXT or len(new_text) > LONG_TEXT)]


def _owner_changes(event: TimelineEvent, names: Names) -> list[Change]:
    old = event.old_value if isinstance(event.old_value, dict) else {}
    new = event.new_value if isinstance(event.new_value, dict) else {}
    changes = []
    for key, table, label, empty in (("owner_id", "user", "Owner", "Unassigned"),
                                     ("queue_id", "queue", "Queue", "No queue")):
        if old.get(key) != new.get(key):
            changes.append(Change(label, names.of(table, old.get(key)) or empty,
                                  names.of(table, new.get(key)) or empty))
    return changes


def _status_label(value: Any) -> str:
    try:
        return Status(value).label
    except ValueError:
        return str(value)


def _entry(event: TimelineEvent, case: Case, names: Names, custom_labels: dict[str, str]
           ) -> Entry:
    actor = event.actor
    contact = case.contact
    customer = (contact.name or contact.email) if contact is not None else "Customer"
    who = actor.display_name if actor is not None else "casedesk"
    entry = Entry(event=event, kind=event.kind, who=who, is_system=actor is None)
    if event.note is not None:
        entry.body = note_html(event.note.body)
        entry.is_public = event.note.is_public
    kind = event.kind
    if kind == EventKind.CREATED:
        values = event.new_value if isinstance(event.new_value, dict) else {}
        source = str(values.get("source") or "")
        bits = [f"via {SOURCE_NAMES.get(source, source)}" if source else "",
                f"{str(values.get('priority', '')).capitalize()} priority"
                if values.get("priority") else "",
                f"in {names.of('queue', values.get('queue_id'))}"
                if values.get("queue_id") else ""]
        entry.text = "created the case " + " · ".join(b for b in bits if b)
        if actor is None and case.contact_id:
            entry.who, entry.is_customer, entry.is_system = customer, True, False
            entry.text = "wrote in " + " · ".join(b for b in bits if b)
    elif kind in (EventKind.NOTE_ADDED, EventKind.REPLY_ADDED):
        entry.text = "replied" if kind == EventKind.REPLY_ADDED else "added an internal note"
        if actor is None and kind == EventKind.REPLY_ADDED:
            entry.who, entry.is_customer, entry.is_system = customer, True, False
            entry.text = "wrote"
        elif kind == EventKind.REPLY_ADDED and entry.is_public:
            entry.is_agent_reply = True
    elif kind == EventKind.STATUS_CHANGED:
        entry.status_from = _status_label(event.old_value)
        entry.status_to = _status_label(event.new_value)
        entry.text = event.message
    elif kind == EventKind.FIELD_CHANGED:
        entry.changes = _field_changes(event, names, custom_labels)
        entry.text = event.message
        if not entry.text and len(entry.changes) == 1 and not entry.changes[0].is_long:
            entry.inline_change, entry.changes = entry.changes[0], []
        elif not entry.text:
            entry.text = f"changed {FIELD_LABELS.get(event.field, event.field).lower()}"
    elif kind == EventKind.OWNER_CHANGED:
        entry.changes = _owner_changes(event, names)
        new = event.new_value if isinstance(event.new_value, dict) else {}
        if new.get("owner_id"):
            entry.text = f"gave the case to {names.of('user', new.get('owner_id'))}"
        else:
            entry.text = f"gave the case to the {names.of('queue', new.get('queue_id'))} queue"
    elif kind == EventKind.CLAIMED:
        entry.text = "claimed the case"
    elif kind in (EventKind.ASSIGNMENT_OPENED, EventKind.ASSIGNMENT_CLOSED):
        raw = event.new_value if kind == EventKind.ASSIGNMENT_OPENED else event.old_value
        queue = names.of("queue", raw.get("queue_id")) if isinstance(raw, dict) else ""
        _, colon, detail = event.message.partition(": ")
        if queue and colon:
            entry.text = (f"referred work to {queue}" if kind == EventKind.ASSIGNMENT_OPENED
                          else f"closed the referral to {queue}")
            entry.detail = detail
        else:
            entry.text = event.message
    elif kind == EventKind.ROUTED:
        _routed(entry, event, names)
    elif kind == EventKind.SLA_BREACHED:
        _sla_breached(entry, event)
    elif kind == EventKind.ESCALATED:
        _escalated(entry, event)
    elif kind == EventKind.AUTOMATION:
        entry.who, entry.is_system, entry.is_customer = "Automation", True, False
        entry.text = event.message
        rule = event.new_value if isinstance(event.new_value, dict) else {}
        if isinstance(rule.get("rule_id"), int) and rule.get("rule"):
            entry.rule_name, entry.rule_kind = str(rule["rule"]), "automation"
            entry.rule_id = rule["rule_id"]
    elif kind == EventKind.FOLLOW_UP_CREATED:
        entry.text = "created a follow-up case"
        if isinstance(event.new_value, int):
            entry.link_number = f"{case.tenant.case_prefix}-{event.new_value}"
    elif kind == EventKind.CALL_LOGGED:
        _call_logged(entry, event)
    else:
        entry.text = event.message
    return entry


def _call_logged(entry: Entry, event: TimelineEvent) -> None:
    """A phone call logged on the case: which way, the number, how long and how it ended;
    its notes (internal: never mailed) as the entry's body."""
    call = event.new_value if isinstance(event.new_value, dict) else {}
    direction, number, outcome = call.get("direction"), call.get("number"), call.get("outcome")
    if direction in Direction.values and isinstance(number, str) and outcome in Outcome.values:
        way = "from" if direction == Direction.INBOUND else "to"
        bits = [f"logged an {direction} call {way} {number}"]
        duration = call.get("duration_seconds")
        if isinstance(duration, int) and duration > 0:
            bits.append(duration_text(duration))
        entry.text = " · ".join([*bits, outcome_text(outcome)])
    else:
        entry.text = event.message
    notes = call.get("notes")
    if isinstance(notes, str) and notes.strip():
        entry.body = note_html(notes)


def _routed(entry: Entry, event: TimelineEvent, names: Names) -> None:
    """A routing decision: where the case went and why (the event's message names the rule or
    the fallback map, and what the queue's strategy did). Routing on creation is the router's
    doing, whoever created the case; a re-route is the member's who asked for it."""
    new = event.new_value if isinstance(event.new_value, dict) else {}
    old = event.old_value if isinstance(event.old_value, dict) else None
    if old is not None:
        entry.text = "re-routed the case"
        entry.changes = _owner_changes(event, names)
        if new.get("priority") is not None and old.get("priority") != new["priority"]:
            entry.changes.append(Change("Priority", _priority_label(old.get("priority")),
                                        _priority_label(new["priority"])))
    else:
        entry.who, entry.is_system, entry.is_customer = "Routing", True, False
        entry.text = "routed the case"
    queue = names.of("queue", new.get("queue_id"))
    if queue and not entry.changes:
        entry.text += f" to {queue}"
    entry.detail = event.message
    rule_id = new.get("rule_id")
    if new.get("via") == "rule" and new.get("rule"):
        entry.rule_name, entry.rule_kind = str(new["rule"]), "routing"
        entry.rule_id = rule_id if isinstance(rule_id, int) and not isinstance(rule_id, bool) \
            else None


def _sla_breached(entry: Entry, event: TimelineEvent) -> None:
    """A breach marked by the sweep: which targets, and the priority it raised."""
    new = event.new_value if isinstance(event.new_value, dict) else {}
    targets = [str(t) for t in new.get("targets") or [] if isinstance(t, str)]
    entry.who, entry.is_system, entry.is_customer = "SLA", True, False
    if targets:
        noun = "target" if len(targets) == 1 else "targets"
        entry.text = f"{noun} missed: {' and '.join(targets)}"
    else:
        entry.text = event.message or "breached"
    if new.get("elevated") and event.old_value:
        entry.changes = [Change("Priority", _value(event.old_value).capitalize(),
                                _value(new.get("priority")).capitalize())]
    elif new.get("priority"):
        entry.detail = f"Priority stays {_value(new.get('priority')).capitalize()}."


def _escalated(entry: Entry, event: TimelineEvent) -> None:
    """An escalation rule acted on the case: the rule, and what it did."""
    new = event.new_value if isinstance(event.new_value, dict) else {}
    entry.who, entry.is_system, entry.is_customer = "Escalation", True, False
    entry.text = "escalated the case"
    _, colon, done = event.message.partition(": ")
    if colon and done:
        entry.detail = done[:1].upper() + done[1:]
    if new.get("rule"):
        entry.rule_name, entry.rule_kind = str(new["rule"]), "escalation"
        rule_id = new.get("rule_id")
        entry.rule_id = rule_id if isinstance(rule_id, int) and not isinstance(
            rule_id, bool) else None


def _priority_label(value: Any) -> str:
    try:
        return Priority(value).label.capitalize()
    except ValueError:
        return _value(value)


def last_routing_message(case: Case) -> str:
    """What the case's latest routing decision said (shown after a re-route)."""
    message = (TimelineEvent.objects
               .filter(tenant_id=case.tenant_id, case=case, kind=EventKind.ROUTED)
               .order_by("-id").values_list("message", flat=True).first())
    return message or "Routed again."


@dataclass
class Timeline:
    entries: list[Entry]
    next_cursor: str | None


def ago(moment: datetime, now: datetime) -> str:
    if now - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now)} ago"


# What the reply's status line shows of its mail; the body, which may be long, is not read.
def timeline_for(case: Case, *, now: datetime, cursor: str | None = None, limit: int = 50,
                 custom_labels: dict[str, str] | None = None) -> Timeline:
    """One page of the case's history, newest first, ready to show; the number of queries
    does not depend on the page's length."""
    page = selectors.timeline_page(case, cursor=cursor, limit=limit, newest_first=True)
    names = _names(case.tenant_id, _collect_ids(page.items))
    entries = [_entry(e, case, names, custom_labels or {}) for e in page.items]
    mailed = mail_of_replies(case, [e.event.note_id for e in entries
                               if e.is_agent_reply and e.event.note_id is not None])
    files = files_of_notes(case, [e.event.note_id for e in entries if e.event.note_id])
    vias = token_event_vias(case.tenant_id, [e.event.pk for e in entries])
    for entry in entries:
        entry.ago = ago(entry.event.created_at, now)
        entry.via = vias.get(entry.event.pk, "")
        if entry.is_agent_reply and entry.event.note_id is not None:
            entry.mail = mailed.get(entry.event.note_id)
        if entry.event.note_id is not None:
            entry.files = files.get(entry.event.note_id, [])
    return Timeline(entries=entries, next_cursor=page.next_cursor)


@dataclass(frozen=True)
class Move:
    """A lifecycle move the page offers, and what it asks for first."""

    to: str
    label: str
    needs_note: bool
    needs_reason: bool


def _move_label(current: Status, to: Status) -> str:
    if to == Status.OPEN:
        return "Open" if current == Status.NEW else "Re-open"
    if to == Status.IN_PROGRESS:
        return "Start work" if current == Status.OPEN else "Back to in progress"
    return {Status.PENDING_CUSTOMER: "Wait for customer", Status.RESOLVED: "Resolve",
            Status.CLOSED: "Close"}.get(to, to.label)


def lifecycle_offer(case: Case, now: datetime) -> tuple[list[Move], str | None]:
    """The moves to offer from the case's status, and why a closed case may not re-open
    (then the page offers a follow-up case instead of the move)."""
    current = Status(case.status)
    refusal = None
    if current == Status.CLOSED:
        refusal = reopen_refusal(
            CaseState(status=current, closed_at=case.closed_at, reopen_count=case.reopen_count),
            ReopenPolicy(limit=case.tenant.reopen_limit, window=case.tenant.reopen_window), now)
    moves = [Move(to=to.value, label=_move_label(current, to), needs_note=to in NOTE_REQUIRED,
                  needs_reason=to == Status.CLOSED)
             for to in allowed_moves(current)
             if not (refusal and to == Status.OPEN)]
    return moves, refusal


def mention_handle(member: Mentionable) -> str | None:
    """The handle the composer inserts for a member: the email's local part when the mention
    syntax can carry it, else the dotted name."""
    local = member.email.split("@", 1)[0].lower()
    known = handles(member)
    for handle in (local, member.full_name.lower().replace(" ", ".")):
        if handle in known and _HANDLE.match(handle):
            return handle
    return None


def mention_candidates(tenant_id: int, text: str, *, limit: int = 8) -> list[dict[str, str]]:
    """Active members whose email or name starts with / contains `text`, for `@` completion."""
    text = text.strip().lstrip("@")[:50]
    if not is_storable(text):  # no member's name or address holds NUL or a lone surrogate
        return []
    qs = (Membership.objects.filter(tenant_id=tenant_id, is_active=True, user__is_active=True)
          .select_related("user").order_by("user__full_name", "user__email"))
    if text:
        qs = qs.filter(Q(user__email__istartswith=text) | Q(user__full_name__icontains=text))
    found = []
    for membership in qs[:limit]:
        user = membership.user
        handle = mention_handle(Mentionable(user_id=user.pk, email=user.email,
                                            full_name=user.full_name))
        if handle:
            found.append({"handle": handle, "name": user.display_name, "email": user.email})
    return found


def account_open_cases(case: Case, *, limit: int = 5) -> list[Case]:
    """A few other open cases of the case's account, newest first."""
    if case.account_id is None:
        return []
    page = selectors.case_list(case.tenant, selectors.CaseFilters(account_id=case.account_id,
                                                                   open_only=True),
                               limit=limit + 1)
    return [c for c in page.items if c.pk != case.pk][:limit]
