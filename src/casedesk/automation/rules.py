"""Automation rules as plain data: what sets a rule off (trigger and its options), what must
hold (routing's condition language, `routing.rules`, with the fields an existing case has),
and what it does (actions). Nothing here touches the database: `parse_rule` checks what an
admin wrote, `matches` decides whether an event sets a rule off.

A rule is stored as JSON and read back through `parse_rule`, so what the engine runs is
always what was checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from casedesk.cases.lifecycle import Status
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_BY_RUNG, parse_priority
from casedesk.routing.rules import (
    CASE_FIELDS,
    CaseFacts,
    CompiledRule,
    Condition,
    RuleSpec,
    compile_rule,
    parse_conditions,
)
from casedesk.routing.rules import Actions as RoutingActions

MAX_ACTIONS = 10
MAX_HOURS = 24 * 366
MAX_TEXT = 500

TRIGGERS = ("case_created", "field_changed", "status_changed", "note_added", "sla_warning",
            "sla_breach", "csat_received", "time")

# The fields a "field changed" trigger watches, as the timeline names them.
WATCHED_FIELDS = ("priority", "type", "category", "subcategory", "queue", "owner", "tags",
                  "source", "language", "subject", "account", "contact")

# The times a time rule counts from: the case's column that holds each.
ANCHORS: dict[str, str] = {
    "created": "created_at",
    "status_changed": "status_changed_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
    "updated": "updated_at",
}
ANCHOR_LABELS = {"created": "the case was created", "status_changed": "it entered its status",
                 "resolved": "it was resolved", "closed": "it was closed",
                 "updated": "it last changed"}

ACTION_KINDS = ("set_fields", "add_note", "email", "webhook", "create_task", "apply_macro",
                "transition", "acknowledge")
SETTABLE = ("priority", "type", "category", "subcategory", "queue_id", "owner_id")
EMAIL_TO = ("contact", "owner", "user")
STATUSES = tuple(s.value for s in Status)


@dataclass(frozen=True)
class Action:
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.options}


@dataclass(frozen=True)
class Rule:
    id: int | None
    name: str
    trigger: str
    options: Mapping[str, Any]
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    match_all: bool = True

    @property
    def after(self) -> timedelta:
        """A time rule's wait."""
        return timedelta(hours=int(self.options.get("hours", 0)))

    @property
    def anchor_column(self) -> str:
        return ANCHORS[str(self.options.get("anchor", "created"))]


@dataclass(frozen=True)
class Occurrence:
    """What happened to a case, as a trigger sees it (from a timeline event)."""

    trigger: str
    field: str = ""
    old: Any = None
    new: Any = None
    is_public: bool | None = None
    by_customer: bool = False
    rating: int | None = None
    targets: tuple[str, ...] = ()


# --- checking what an admin wrote ------------------------------------------------------------

def _choice(raw: Mapping[str, Any], name: str, options: tuple[str, ...], default: str,
            where: str) -> str:
    value = raw.get(name, default)
    if value in (None, ""):
        value = default
    if value not in options:
        raise Invalid(f"{where}: {name} is one of {', '.join(options)}.", field="trigger_options")
    return str(value)


def _status_or_none(value: Any, name: str) -> str | None:
    if value in (None, "", "any"):
        return None
    if value not in STATUSES:
        raise Invalid(f"{name} is a status: one of {', '.join(STATUSES)}.",
                      field="trigger_options")
    return str(value)


def _short_text(value: Any, name: str, where: str = "trigger_options") -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"{name} must be text.", field=where)
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise Invalid(f"{name} is longer than {MAX_TEXT} characters.", field=where)
    return text or None


def parse_trigger(trigger: Any, raw: Any) -> dict[str, Any]:
    """The trigger's options, checked and normalised."""
    if trigger not in TRIGGERS:
        raise Invalid(f"trigger is one of {', '.join(TRIGGERS)}.", field="trigger")
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise Invalid("trigger_options must be an object.", field="trigger_options")
    where = f"The {trigger.replace('_', ' ')} trigger"
    if trigger == "field_changed":
        name = raw.get("field")
        if name not in WATCHED_FIELDS:
            raise Invalid(f"{where}: field is one of {', '.join(WATCHED_FIELDS)}.",
                          field="trigger_options")
        out: dict[str, Any] = {"field": name}
        for side in ("from", "to"):
            value = _short_text(raw.get(side), side)
            if value is not None and name == "priority":
                value = PRIORITY_BY_RUNG[parse_priority(value, side, field="trigger_options")]
            if value is not None:
                out[side] = value
        return out
    if trigger == "status_changed":
        out = {}
        for side in ("from", "to"):
            value = _status_or_none(raw.get(side), side)
            if value is not None:
                out[side] = value
        return out
    if trigger == "note_added":
        return {"visibility": _choice(raw, "visibility", ("any", "public", "internal"), "any",
                                      where),
                "author": _choice(raw, "author", ("any", "customer", "agent"), "any", where)}
    if trigger in ("sla_warning", "sla_breach"):
        return {"target": _choice(raw, "target", ("any", "first_response", "resolution",
                                                  "next_response"), "any", where)}
    if trigger == "csat_received":
        return {"rating": _choice(raw, "rating", ("any", "good", "bad"), "any", where)}
    if trigger == "time":
        anchor = _choice(raw, "anchor", tuple(ANCHORS), "created", where)
        hours = raw.get("hours")
        days = raw.get("days")
        if days is not None:
            # "days" is a convenience for whole days; stored as hours, like every wait.
            if hours is not None:
                raise Invalid(f"{where}: give hours or days, not both.",
                              field="trigger_options")
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                raise Invalid(f"{where}: days is a whole number from 1 to {MAX_HOURS // 24}.",
                              field="trigger_options")
            hours = days * 24
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
            raise Invalid(f"{where}: hours is a whole number from 1 to {MAX_HOURS}.",
                          field="trigger_options")
        return {"anchor": anchor, "hours": hours}
    if raw:
        raise Invalid(f"{where} takes no options.", field="trigger_options")
    return {}


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"{name} must be an id.", field="actions")
    return value


def _template(value: Any, name: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{name} must be text.", field="actions")
    if required and not value.strip():
        raise Invalid(f"{name} is empty.", field="actions")
    return value


def _tags(value: Any, name: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise Invalid(f"{name} must be a list of words.", field="actions")
    tags = list(dict.fromkeys(t.strip()[:50] for t in value if t.strip()))
    if len(tags) > 20:
        raise Invalid(f"{name}: at most 20 tags.", field="actions")
    return tags


def parse_action(raw: Any, index: int) -> Action:
    """One action, checked for shape; that the ids it names exist is the service's job."""
    where = f"Action {index + 1}"
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where}: expected an object with a kind.", field="actions")
    kind = raw.get("kind")
    if kind not in ACTION_KINDS:
        raise Invalid(f"{where}: kind is one of {', '.join(ACTION_KINDS)}.", field="actions")
    known = {"kind"}
    options: dict[str, Any] = {}
    if kind == "set_fields":
        known |= {*SETTABLE, "tags_add", "tags_remove"}
        for name in ("type", "category", "subcategory"):
            value = _short_text(raw.get(name), f"{where}: {name}", "actions")
            if value is not None:
                options[name] = value[:80]
        if raw.get("priority") not in (None, ""):
            options["priority"] = PRIORITY_BY_RUNG[parse_priority(
                raw["priority"], f"{where}: priority", field="actions")]
        for name in ("queue_id", "owner_id"):
            if raw.get(name) is not None:
                options[name] = _id(raw[name], f"{where}: {name}")
        for name in ("tags_add", "tags_remove"):
            tags = _tags(raw.get(name), f"{where}: {name}")
            if tags:
                options[name] = tags
        if not options:
            raise Invalid(f"{where}: set at least one field or tag.", field="actions")
    elif kind == "add_note":
        known |= {"body"}
        options["body"] = _template(raw.get("body"), f"{where}: body", required=True)
    elif kind == "email":
        known |= {"to", "user_id", "subject", "body"}
        to = raw.get("to", "contact")
        if to not in EMAIL_TO:
            raise Invalid(f"{where}: to is one of {', '.join(EMAIL_TO)}.", field="actions")
        options["to"] = to
        if to == "user":
            options["user_id"] = _id(raw.get("user_id"), f"{where}: user_id")
        options["subject"] = _template(raw.get("subject"), f"{where}: subject", required=False)
        options["body"] = _template(raw.get("body"), f"{where}: body", required=True)
    elif kind == "webhook":
        known |= {"endpoint_id"}
        endpoint = raw.get("endpoint_id")
        options["endpoint_id"] = None if endpoint is None else _id(endpoint,
                                                                   f"{where}: endpoint_id")
    elif kind == "create_task":
        known |= {"subject", "due_in_hours", "owner", "owner_id", "notes"}
        options["subject"] = _template(raw.get("subject"), f"{where}: subject", required=True)
        hours = raw.get("due_in_hours")
        if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int)
                                  or not 0 <= hours <= MAX_HOURS):
            raise Invalid(f"{where}: due_in_hours is a whole number from 0 to {MAX_HOURS}.",
                          field="actions")
        options["due_in_hours"] = hours
        owner = raw.get("owner", "case_owner")
        if owner not in ("case_owner", "user"):
            raise Invalid(f"{where}: owner is case_owner or user.", field="actions")
        options["owner"] = owner
        if owner == "user":
            options["owner_id"] = _id(raw.get("owner_id"), f"{where}: owner_id")
        options["notes"] = _template(raw.get("notes"), f"{where}: notes", required=False)
    elif kind == "apply_macro":
        known |= {"macro_id"}
        options["macro_id"] = _id(raw.get("macro_id"), f"{where}: macro_id")
    elif kind == "transition":
        known |= {"to", "note", "closed_reason"}
        to = _status_or_none(raw.get("to"), f"{where}: to")
        if to is None:
            raise Invalid(f"{where}: to is a status: one of {', '.join(STATUSES)}.",
                          field="actions")
        options["to"] = to
        options["note"] = _template(raw.get("note"), f"{where}: note", required=False)
        reason = _short_text(raw.get("closed_reason"), f"{where}: closed_reason", "actions")
        if reason is not None:
            options["closed_reason"] = reason[:80]
    unknown = set(raw) - known
    if unknown:
        raise Invalid(f"{where}: unknown option {sorted(unknown)[0]!r} for {kind}.",
                      field="actions")
    return Action(kind, options)


def parse_actions(raw: Any) -> tuple[Action, ...]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("A rule needs at least one action.", field="actions")
    if len(raw) > MAX_ACTIONS:
        raise Invalid(f"A rule has at most {MAX_ACTIONS} actions.", field="actions")
    return tuple(parse_action(a, i) for i, a in enumerate(raw))


def parse_rule(*, rule_id: int | None, name: str, trigger: Any, trigger_options: Any,
               conditions: Any, actions: Any, match: str = "all") -> Rule:
    if match not in ("all", "any"):
        raise Invalid("match is all or any.", field="match")
    return Rule(id=rule_id, name=name, trigger=str(trigger),
                options=parse_trigger(trigger, trigger_options),
                conditions=parse_conditions(conditions, CASE_FIELDS),
                actions=parse_actions(actions), match_all=match == "all")


def rule_of(row: Any) -> Rule:
    """A stored rule (an `AutomationRule`) as the engine reads it; stored rules were checked
    when written, so this fails only for a rule whose shape an upgrade changed."""
    return parse_rule(rule_id=row.pk, name=row.name, trigger=row.trigger,
                      trigger_options=row.trigger_options, conditions=row.conditions,
                      actions=row.actions, match=row.match)


# --- deciding ---------------------------------------------------------------------------------

def compiled_conditions(rule: Rule) -> CompiledRule:
    """The rule's conditions as one predicate over a case's facts (routing's compiler)."""
    return compile_rule(RuleSpec(id=rule.id, name=rule.name, conditions=rule.conditions,
                                 actions=RoutingActions(), match_all=rule.match_all))


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_same(v, wanted) for v in value)
    return str(value if value is not None else "").casefold() == str(wanted).casefold()


def triggered(rule: Rule, what: Occurrence) -> bool:
    """Whether `what` is the kind of thing that sets the rule off (its conditions aside)."""
    if rule.trigger != what.trigger:
        return False
    options = rule.options
    if what.trigger == "field_changed":
        if options.get("field") != what.field:
            return False
        if "from" in options and not _same(what.old, options["from"]):
            return False
        return "to" not in options or _same(what.new, options["to"])
    if what.trigger == "status_changed":
        return (options.get("from") in (None, what.old)
                and options.get("to") in (None, what.new))
    if what.trigger == "note_added":
        visibility, author = options.get("visibility", "any"), options.get("author", "any")
        if visibility == "public" and not what.is_public:
            return False
        if visibility == "internal" and what.is_public:
            return False
        if author == "customer" and not what.by_customer:
            return False
        return not (author == "agent" and what.by_customer)
    if what.trigger in ("sla_warning", "sla_breach"):
        target = options.get("target", "any")
        return bool(target == "any" or target.replace("_", " ") in what.targets)
    if what.trigger == "csat_received":
        wanted = options.get("rating", "any")
        if wanted == "any" or what.rating is None:
            return bool(wanted == "any")
        # Ratings are 1 to 5 on either scale (good = 5, bad = 1): 4 and up is good.
        return bool((what.rating >= 4) == (wanted == "good"))
    return True


def matches(rule: Rule, compiled: CompiledRule, what: Occurrence, facts: CaseFacts) -> bool:
    return triggered(rule, what) and compiled.predicate(facts)


def describe_trigger(trigger: str, options: Mapping[str, Any]) -> str:
    """The trigger in words, for lists and the timeline."""
    if trigger == "time":
        hours = int(options.get("hours", 0))
        span = f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else (
            "1 day" if hours == 24 else f"{hours} hours" if hours != 1 else "1 hour")
        return f"{span} after {ANCHOR_LABELS.get(str(options.get('anchor')), '?')}"
    if trigger == "field_changed":
        text = f"{options.get('field', '?')} changed"
        if options.get("from"):
            text += f" from {options['from']}"
        if options.get("to"):
            text += f" to {options['to']}"
        return text
    if trigger == "status_changed":
        text = "status changed"
        if options.get("from"):
            text += f" from {options['from']}"
        if options.get("to"):
            text += f" to {options['to']}"
        return text
    if trigger == "note_added":
        who = {"customer": " by the customer", "agent": " by an agent"}.get(
            str(options.get("author")), "")
        what = {"public": "public reply", "internal": "internal note"}.get(
            str(options.get("visibility")), "note or reply")
        return f"{what} added{who}"
    if trigger in ("sla_warning", "sla_breach"):
        target = str(options.get("target", "any"))
        word = "warning" if trigger == "sla_warning" else "breach"
        return f"SLA {word}" + ("" if target == "any" else f" ({target.replace('_', ' ')})")
    if trigger == "csat_received":
        rating = str(options.get("rating", "any"))
        return "satisfaction rating received" + ("" if rating == "any" else f" ({rating})")
    return "case created"
