"""Routing rules as plain data and the decision they make: which rule a new case matches.

Nothing here touches the database. `routing.services` turns stored rules into `RuleSpec`s
(checking them with `parse_conditions` and `parse_actions` before they are stored), builds a
`CaseFacts` for the case, and asks `first_match`. Text compares ignore case; a rule with no
conditions matches every case (a catch-all at the bottom of the list).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from casedesk.core.errors import Invalid
from casedesk.core.priority import parse_priority
from casedesk.core.text import is_storable

MAX_CONDITIONS = 20
MAX_LIST_VALUES = 200
MAX_VALUE_LENGTH = 500

# Each field a condition may test, and its kind (which decides the operators it takes).
TEXT = "text"
ID = "id"
PRIORITY = "priority"
LIST = "list"
ANY = "any"
NUMBER = "number"  # a prediction's confidence, 0 to 1

FIELDS: dict[str, str] = {
    "category": TEXT,
    "subcategory": TEXT,
    "type": TEXT,
    "source": TEXT,
    "language": TEXT,
    "priority": PRIORITY,
    "subject": TEXT,
    "description": TEXT,
    "text": TEXT,  # subject and description together
    "tags": LIST,
    "account.id": ID,
    "account.name": TEXT,
    "account.tier": TEXT,
    "account.segment": TEXT,
    "account.territory": TEXT,
    "contact.id": ID,
    "contact.email": TEXT,
    "contact.domain": TEXT,
}
CUSTOM_PREFIX = "custom."

# What the tenant's triage model predicts for a new case (filled in by `assist` through
# `routing.hooks.register_predictor`): the value, and how sure the model is of it. Routing
# rules only: SLA policies and automation rules do not offer them, as their facts carry no
# predictions.
PREDICTED_PREFIX = "predicted."
PREDICTION_TARGETS = ("category", "subcategory", "type", "priority", "queue")
CONFIDENCE_SUFFIX = "_confidence"
PREDICTED_FIELDS: dict[str, str] = {
    **{f"{PREDICTED_PREFIX}{target}": TEXT for target in PREDICTION_TARGETS},
    **{f"{PREDICTED_PREFIX}{target}{CONFIDENCE_SUFFIX}": NUMBER
       for target in PREDICTION_TARGETS},
}
# What a routing rule may test.
RULE_FIELDS: dict[str, str] = {**FIELDS, **PREDICTED_FIELDS}

# What a rule about an existing case may test besides: automation's rules run on cases that
# have a status, a queue and an owner (a new case has none yet, so routing does not offer them).
CASE_FIELDS: dict[str, str] = {
    **FIELDS,
    "status": TEXT,
    "queue.id": ID,
    "owner.id": ID,
}

# Every field some rule may test, for compiling a checked condition.
MATCHED_FIELDS: dict[str, str] = {**CASE_FIELDS, **PREDICTED_FIELDS}

OPERATORS: dict[str, tuple[str, ...]] = {
    TEXT: ("equals", "not_equals", "in", "not_in", "contains", "not_contains", "is_empty",
           "is_set"),
    ID: ("equals", "not_equals", "in", "not_in", "is_empty", "is_set"),
    PRIORITY: ("equals", "not_equals", "in", "not_in", "gt", "lt", "gte", "lte"),
    LIST: ("contains", "not_contains", "is_empty", "is_set"),
    ANY: ("equals", "not_equals", "in", "not_in", "contains", "not_contains", "gt", "lt",
          "gte", "lte", "is_empty", "is_set"),
    NUMBER: ("gte", "gt", "lte", "lt"),
}
ALL_OPERATORS = tuple(dict.fromkeys(op for ops in OPERATORS.values() for op in ops))


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Actions:
    queue_id: int | None = None
    owner_id: int | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.queue_id is not None:
            out["queue_id"] = self.queue_id
        if self.owner_id is not None:
            out["owner_id"] = self.owner_id
        if self.priority is not None:
            out["priority"] = self.priority
        if self.tags:
            out["tags"] = list(self.tags)
        return out

    @property
    def routes(self) -> bool:
        """Whether the rule sends the case somewhere (rather than only marking it)."""
        return self.queue_id is not None or self.owner_id is not None


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    name: str
    conditions: tuple[Condition, ...]
    actions: Actions
    match_all: bool = True


@dataclass(frozen=True)
class AccountFacts:
    id: int
    name: str = ""
    tier: str = ""
    segment: str = ""
    territory: str = ""


# target -> (value, label, confidence): a prediction as routing reads it. The value of a queue
# is its id (as text) and its label the queue's name; rules compare the name.
Prediction = tuple[str, str, float]


@dataclass(frozen=True)
class CaseFacts:
    """What routing knows about a case; the same whether it is new or being re-routed."""

    subject: str = ""
    description: str = ""
    category: str = ""
    subcategory: str = ""
    type: str = ""
    source: str = ""
    language: str = ""
    priority: int = 2
    tags: tuple[str, ...] = ()
    custom: Mapping[str, Any] = field(default_factory=dict)
    account: AccountFacts | None = None
    contact_id: int | None = None
    contact_email: str = ""
    status: str = ""
    queue_id: int | None = None
    owner_id: int | None = None
    # Filled only when an enabled rule tests a `predicted.*` field (see `uses_predictions`).
    predictions: Mapping[str, Prediction] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name.startswith(CUSTOM_PREFIX):
            return self.custom.get(name[len(CUSTOM_PREFIX):])
        if name.startswith(PREDICTED_PREFIX):
            return predicted(self.predictions, name)
        if name == "text":
            return f"{self.subject}\n{self.description}"
        if name.startswith("account."):
            if self.account is None:
                return None
            return getattr(self.account, name[len("account."):])
        if name == "contact.id":
            return self.contact_id
        if name == "queue.id":
            return self.queue_id
        if name == "owner.id":
            return self.owner_id
        if name == "contact.email":
            return self.contact_email
        if name == "contact.domain":
            return self.contact_email.rpartition("@")[2] if "@" in self.contact_email else ""
        return getattr(self, name)


def predicted(predictions: Mapping[str, Prediction], name: str) -> Any:
    """A `predicted.*` field's value: the predicted value (a queue's name), its confidence,
    or None when nothing was predicted for that target."""
    target = name[len(PREDICTED_PREFIX):]
    wants_confidence = target.endswith(CONFIDENCE_SUFFIX)
    if wants_confidence:
        target = target[:-len(CONFIDENCE_SUFFIX)]
    found = predictions.get(target)
    if found is None:
        return None
    value, label, confidence = found
    if wants_confidence:
        return confidence
    return label if target == "queue" else value


def field_kind(name: str, fields: Mapping[str, str] = FIELDS) -> str | None:
    if name.startswith(CUSTOM_PREFIX):
        return ANY if re.fullmatch(r"[a-z][a-z0-9_]{0,49}", name[len(CUSTOM_PREFIX):]) else None
    return fields.get(name)


def uses_account(rules: Sequence[RuleSpec]) -> bool:
    return any(c.field.startswith("account.") for r in rules for c in r.conditions)


def uses_predictions(rules: Sequence[RuleSpec]) -> bool:
    """Whether deciding needs the triage model's predictions (which cost a model call)."""
    return any(c.field.startswith(PREDICTED_PREFIX) for r in rules for c in r.conditions)


def predicted_targets(rules: Sequence[RuleSpec]) -> tuple[str, ...]:
    """The targets whose prediction the rules test, in `PREDICTION_TARGETS` order."""
    tested = {c.field[len(PREDICTED_PREFIX):].removesuffix(CONFIDENCE_SUFFIX)
              for r in rules for c in r.conditions if c.field.startswith(PREDICTED_PREFIX)}
    return tuple(t for t in PREDICTION_TARGETS if t in tested)


def uses_contact(rules: Sequence[RuleSpec]) -> bool:
    return any(c.field in ("contact.email", "contact.domain") for r in rules
               for c in r.conditions)


# --- checking what an admin wrote ------------------------------------------------------------

def _scalar(value: Any, kind: str, where: str) -> Any:
    if kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0 <= value <= 1):
            raise Invalid(f"{where}: a confidence is a number from 0 to 1.",
                          field="conditions")
        return float(value)
    if kind == PRIORITY:
        return parse_priority(value, where, field="conditions")
    if kind == ID:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"{where}: the value must be a record id (an integer).",
                          field="conditions")
        return value
    if isinstance(value, bool) or (kind != ANY and not isinstance(value, str)):
        if kind == ANY and isinstance(value, bool):
            return value
        raise Invalid(f"{where}: the value must be text.", field="conditions")
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise Invalid(f"{where}: the value is empty.", field="conditions")
        if len(value) > MAX_VALUE_LENGTH or not is_storable(value):
            raise Invalid(f"{where}: the value is too long or not text.", field="conditions")
        return value
    if isinstance(value, int | float):
        return value
    raise Invalid(f"{where}: the value must be text or a number.", field="conditions")


def parse_condition(raw: Any, index: int = 0, fields: Mapping[str, str] = FIELDS) -> Condition:
    where = f"condition {index + 1}"
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where}: expected an object with field, op and value.",
                      field="conditions")
    name = raw.get("field")
    op = raw.get("op")
    kind = field_kind(name, fields) if isinstance(name, str) else None
    if kind is None or not isinstance(name, str):
        raise Invalid(f"{where}: unknown field {name!r}; one of {', '.join(fields)} or "
                      f"custom.<key>.", field="conditions")
    if op not in OPERATORS[kind]:
        raise Invalid(f"{where}: {name} takes the operators {', '.join(OPERATORS[kind])}.",
                      field="conditions")
    value = raw.get("value")
    if op in ("is_empty", "is_set"):
        return Condition(name, op, None)
    if op in ("in", "not_in") or (op in ("contains", "not_contains") and isinstance(value, list)):
        if not isinstance(value, list) or not value or len(value) > MAX_LIST_VALUES:
            raise Invalid(f"{where}: {op} needs a list of 1 to {MAX_LIST_VALUES} values.",
                          field="conditions")
        scalar_kind = TEXT if kind == LIST else kind
        return Condition(name, op, tuple(_scalar(v, scalar_kind, where) for v in value))
    if op in ("gt", "lt", "gte", "lte") and kind == ANY:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Invalid(f"{where}: {op} needs a number or a date.", field="conditions")
        return Condition(name, op, _scalar(value, ANY, where))
    return Condition(name, op, _scalar(value, TEXT if kind == LIST else kind, where))


def parse_conditions(raw: Any, fields: Mapping[str, str] = FIELDS) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise Invalid("conditions must be a list.", field="conditions")
    if len(raw) > MAX_CONDITIONS:
        raise Invalid(f"A rule has at most {MAX_CONDITIONS} conditions.", field="conditions")
    return tuple(parse_condition(c, i, fields) for i, c in enumerate(raw))


def parse_actions(raw: Any) -> Actions:
    """The actions, checked for shape (that the queue and owner exist is the service's job)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise Invalid("actions must be an object.", field="actions")
    unknown = set(raw) - {"queue_id", "owner_id", "priority", "tags"}
    if unknown:
        raise Invalid(f"Unknown action {sorted(unknown)[0]!r}; actions are queue_id, owner_id, "
                      "priority and tags.", field="actions")
    ids: dict[str, int | None] = {}
    for name in ("queue_id", "owner_id"):
        value = raw.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise Invalid(f"{name} must be an id.", field="actions")
        ids[name] = value
    priority = raw.get("priority")
    if priority is not None:
        try:
            priority = parse_priority(priority, "priority", field="actions")
        except Invalid:
            raise Invalid("priority is one of low, normal, high, urgent.",
                          field="actions") from None
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise Invalid("tags must be a list of words.", field="actions")
    clean_tags = tuple(dict.fromkeys(t.strip()[:50] for t in tags))
    if len(clean_tags) > 20:
        raise Invalid("A rule adds at most 20 tags.", field="actions")
    actions = Actions(queue_id=ids["queue_id"], owner_id=ids["owner_id"], priority=priority,
                      tags=clean_tags)
    if not actions.as_dict():
        raise Invalid("A rule needs at least one action: queue_id, owner_id, priority or tags.",
                      field="actions")
    return actions


# --- matching ---------------------------------------------------------------------------------

Predicate = Callable[[CaseFacts], bool]


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == () or value == [] or value == {}


def _ordered(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides as comparable values (numbers, else text such as ISO dates), or None."""
    if isinstance(left, bool) or isinstance(right, bool) or left is None:
        return None
    if isinstance(right, int | float):
        if isinstance(left, int | float):
            return left, right
        try:
            return float(left), right
        except (TypeError, ValueError):
            return None
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    return None


def compile_condition(condition: Condition) -> Predicate:
    """The condition as a function of the facts, with its constants folded once."""
    name, op, value = condition.field, condition.op, condition.value
    get = _getter(name)
    kind = field_kind(name, MATCHED_FIELDS)

    if op == "is_empty":
        return lambda facts: _empty(get(facts))
    if op == "is_set":
        return lambda facts: not _empty(get(facts))
    if kind == LIST:
        wanted = {_fold(v) for v in (value if isinstance(value, tuple) else (value,))}
        if op == "contains":
            return lambda facts: any(_fold(t) in wanted for t in get(facts) or ())
        return lambda facts: not any(_fold(t) in wanted for t in get(facts) or ())
    if op in ("equals", "not_equals", "in", "not_in"):
        options = value if isinstance(value, tuple) else (value,)
        folded = frozenset(_fold(v) for v in options if not isinstance(v, list | dict))
        hit: Predicate = lambda facts: _member(get(facts), folded)  # noqa: E731
        if op in ("equals", "in"):
            return hit
        return lambda facts: not hit(facts)
    if op in ("contains", "not_contains"):
        needles = tuple(str(_fold(v)) for v in (value if isinstance(value, tuple) else (value,)))

        def contains(facts: CaseFacts) -> bool:
            hay = get(facts)
            if isinstance(hay, list | tuple):
                return any(_fold(item) in needles for item in hay)
            if hay is None:
                return False
            text = str(hay).casefold()
            return any(needle in text for needle in needles)

        if op == "contains":
            return contains
        return lambda facts: not contains(facts)
    compare: Callable[[Any, Any], bool] = {
        "gt": lambda a, b: a > b, "lt": lambda a, b: a < b,
        "gte": lambda a, b: a >= b, "lte": lambda a, b: a <= b,
    }[op]

    def ordered(facts: CaseFacts) -> bool:
        pair = _ordered(get(facts), value)
        return pair is not None and compare(*pair)

    return ordered


def _member(actual: Any, folded: frozenset[Any]) -> bool:
    if isinstance(actual, list | dict):
        return False
    if isinstance(actual, float) and actual.is_integer():
        actual = int(actual)
    return _fold(actual) in folded


def _getter(name: str) -> Callable[[CaseFacts], Any]:
    if name.startswith(CUSTOM_PREFIX) or "." in name or name == "text":
        return lambda facts: facts.get(name)
    return lambda facts: getattr(facts, name)


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    predicate: Predicate


def compile_rule(spec: RuleSpec) -> CompiledRule:
    predicates = tuple(compile_condition(c) for c in spec.conditions)
    if not predicates:
        return CompiledRule(spec, lambda facts: True)
    if len(predicates) == 1:
        return CompiledRule(spec, predicates[0])
    if spec.match_all:
        return CompiledRule(spec, lambda facts: all(p(facts) for p in predicates))
    return CompiledRule(spec, lambda facts: any(p(facts) for p in predicates))


def compile_rules(specs: Sequence[RuleSpec]) -> tuple[CompiledRule, ...]:
    return tuple(compile_rule(s) for s in specs)


def first_match(rules: Sequence[CompiledRule], facts: CaseFacts) -> RuleSpec | None:
    """The first rule, in order, whose conditions hold for the case."""
    for rule in rules:
        if rule.predicate(facts):
            return rule.spec
    return None


# --- the fallback map -------------------------------------------------------------------------

FALLBACK_QUEUES = {"billing": "Finance", "technical": "Engineering"}
FALLBACK_DEFAULT = "Support"


def fallback_queue_name(category: str) -> str:
    """Where a case goes when no rule of the tenant sends it anywhere."""
    return FALLBACK_QUEUES.get(category.strip().casefold(), FALLBACK_DEFAULT)
