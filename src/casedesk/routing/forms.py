"""The routing pages' forms: a rule with its condition rows, a queue (its details, its
members, its strategy), a member's routing facts, and the category → skills table.

Each form only parses what the browser sent; whether the values make sense is decided by
the services, whose refusal `add_domain_error` puts on the field it names (a condition's
refusal, "condition 2: …", also marks its row). The forms work without JavaScript: condition
rows are inputs named `c-<n>-field`, `c-<n>-key` (the key of a `custom.<key>` field),
`c-<n>-op` and `c-<n>-value`, and the submit buttons say what to do with them (`action`:
save, add, remove:<n>, preview). SLA policies use the same condition rows.
"""

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from casedesk.core.errors import DomainError
from casedesk.core.forms import NumberedRows, add_domain_error
from casedesk.core.limits import max_length
from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement, Strategy
from casedesk.routing.rules import ANY, ID, MAX_CONDITIONS, NUMBER, RULE_FIELDS, field_kind
from casedesk.routing.services import RuleInput
from casedesk.routing.words import NO_VALUE_OPERATORS, ConditionRow, rows_of_conditions, shown

MAX_ROWS = MAX_CONDITIONS + 5  # a little room, so the service (not the form) says "at most"
LIST_OPERATORS = ("in", "not_in")
_CONDITION = re.compile(r"^condition (\d+):")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class TypedText(forms.Field):
    """Text exactly as typed (cut at `clip` characters): the form refuses nothing, so that the
    service, which checks text everywhere, says what is wrong with it."""

    def __init__(self, *, clip: int | None = None, strip: bool = False,
                 missing: str = "") -> None:
        super().__init__(required=False)
        self.clip, self.strip, self.missing = clip, strip, missing

    def to_python(self, value: Any) -> str:
        text = self.missing if value is None else str(value)
        text = text.strip() if self.strip else text
        return text[:self.clip] if self.clip is not None else text


def split_list(text: str) -> list[str]:
    """"vip, money" as ["vip", "money"]: how lists (tags, skills, "is one of") are typed."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


# --- condition rows ----------------------------------------------------------------------------

class ConditionForm(forms.Form):
    """One condition row as typed."""

    field = TypedText(strip=True)
    key = TypedText(clip=60)
    op = TypedText(strip=True)
    value = TypedText(clip=10_000)

    def row(self) -> ConditionRow:
        data = self.cleaned_data
        return ConditionRow(field=data["field"], key=data["key"], op=data["op"],
                            value=data["value"])


class ConditionFormSet(NumberedRows[ConditionForm]):
    """The condition rows sent (prefix `c`)."""

    form = ConditionForm
    max_num = absolute_max = MAX_ROWS

    def rows(self) -> list[ConditionRow]:
        """The rows as typed, in the order sent (every row parses: see `TypedText`)."""
        return [form.row() for form in self.forms if form.is_valid()]


def _scalar(name: str, op: str, text: str) -> Any:
    """A typed value in the type the rules compare: record ids as integers, and for custom
    fields numbers as numbers and true/false as booleans (custom values are stored typed)."""
    kind = field_kind(name, RULE_FIELDS)
    text = text.strip()
    if kind == ID and text.isdecimal() and len(text) < 19:
        return int(text)
    if kind == NUMBER and _NUMBER.match(text) and len(text) < 19:
        return float(text)
    if kind == ANY and op not in ("contains", "not_contains"):
        if _NUMBER.match(text) and len(text) < 19:
            return float(text) if "." in text else int(text)
        if op in ("equals", "not_equals", "in", "not_in") and text.lower() in ("true", "false"):
            return text.lower() == "true"
    return text


def condition_of_row(row: ConditionRow) -> dict[str, Any]:
    """The condition as the rules take it: a list for "is one of", and for "contains" when
    several values are given ("contains any of"); no value for "is empty" and "is set"."""
    name, op, text = row.name, row.op, row.value
    value: Any
    if op in NO_VALUE_OPERATORS:
        value = None
    elif op in LIST_OPERATORS or (op in ("contains", "not_contains") and "," in text):
        value = [_scalar(name, op, part) for part in split_list(text)]
    else:
        value = _scalar(name, op, text)
    return {"field": name, "op": op, "value": value}


def mark_row_error(rows: list[ConditionRow], message: str) -> None:
    """Marks the condition row a refusal names ("condition 2: …")."""
    found = _CONDITION.match(message)
    if found and 0 < int(found.group(1)) <= len(rows):
        rows[int(found.group(1)) - 1].has_error = True


def edit_rows(rows: list[ConditionRow], action: str, row: int | None, *,
              new_row: Callable[[], ConditionRow] = ConditionRow) -> int | None:
    """Applies the form's own buttons to its rows: "add" appends `new_row()` (returning its
    index, to focus it), "remove" drops row `row`."""
    if action == "add":
        if len(rows) < MAX_ROWS:
            rows.append(new_row())
        return len(rows) - 1
    if action == "remove" and row is not None and row < len(rows):
        del rows[row]
    return None


def form_action(post: QueryDict) -> tuple[str, int | None]:
    """What the pressed button asks: ("save"|"add"|"preview"|"remove", row number)."""
    action = (post.get("action") or "save").strip()
    if action.startswith("remove:"):
        raw = action.removeprefix("remove:")
        return ("remove", int(raw)) if raw.isdecimal() and len(raw) < 4 else ("save", None)
    if action in ("add", "preview"):
        return action, None
    return "save", None


# --- the rule ----------------------------------------------------------------------------------

class RuleForm(forms.Form):
    """A routing rule as typed: its name, match, actions and (in `rows`) its conditions."""

    name = TypedText(clip=300)
    match = TypedText(missing=RoutingRule.Match.ALL)
    is_enabled = forms.BooleanField(required=False)
    queue = TypedText()
    owner = TypedText()
    priority = TypedText()
    tags = TypedText(clip=2_000)

    def __init__(self, data: QueryDict | None = None, *, rule: RoutingRule | None = None
                 ) -> None:
        """Bound to what was sent, or else showing `rule` (a blank rule without one)."""
        super().__init__(data, initial=_initial(rule))
        self.error_field = ""  # the service's name of what a refusal is about
        if data is not None:
            self.rows = ConditionFormSet(data, prefix="c").rows()
        elif rule is not None:
            self.rows = rows_of_conditions(rule.conditions)
        else:
            self.rows = [ConditionRow()]

    def rule_input(self) -> RuleInput:
        data = self.cleaned_data
        actions: dict[str, Any] = {}
        for name, form_name in (("queue_id", "queue"), ("owner_id", "owner")):
            raw = data[form_name].strip()
            if raw:
                actions[name] = int(raw) if raw.isdecimal() and len(raw) < 19 else raw
        if data["priority"].strip():
            actions["priority"] = data["priority"].strip()
        tags = split_list(data["tags"])
        if tags:
            actions["tags"] = tags
        return RuleInput(name=data["name"], match=data["match"], is_enabled=data["is_enabled"],
                         conditions=[condition_of_row(row) for row in self.rows],
                         actions=actions)

    def refuse(self, error: DomainError) -> None:
        """Shows the service's refusal on the field (or the condition row) it names."""
        add_domain_error(self, error)
        self.error_field = getattr(error, "field", None) or ""
        mark_row_error(self.rows, error.detail)


def _initial(rule: RoutingRule | None) -> dict[str, Any]:
    if rule is None:
        return {"match": RoutingRule.Match.ALL, "is_enabled": True}
    actions = rule.actions if isinstance(rule.actions, dict) else {}
    priority = actions.get("priority")
    return {
        "name": rule.name, "match": rule.match, "is_enabled": rule.is_enabled,
        "queue": shown(actions.get("queue_id")), "owner": shown(actions.get("owner_id")),
        "priority": PRIORITY_BY_RUNG.get(priority, "") if isinstance(priority, int) else "",
        "tags": ", ".join(actions.get("tags") or []),
    }


# --- queues and people -------------------------------------------------------------------------

STRATEGY_REFUSED = f"Choose one of the strategies: {', '.join(Strategy.labels)}."


class QueueForm(forms.Form):
    """A queue's name, description and the address that feeds it, as typed (the service
    trims them and checks their lengths against the columns)."""

    name = TypedText(clip=1_000)
    description = TypedText(clip=5_000)
    email = TypedText(clip=1_000)

    def __init__(self, data: QueryDict | None = None, *, queue: Queue | None = None) -> None:
        initial = ({"name": queue.name, "description": queue.description,
                    "email": queue.email} if queue is not None else {})
        super().__init__(data, initial=initial)

    def refuse(self, error: DomainError) -> None:
        add_domain_error(self, error)


MEMBERS_REFUSED = "Choose members from the list."


class IdList(forms.Field):
    """User ids sent as a repeated input (one value per checkbox checked). Any id parses:
    whether it may be used is the service's to say."""

    widget = forms.MultipleHiddenInput

    def __init__(self) -> None:
        super().__init__(required=False)

    def to_python(self, value: Any) -> list[int]:
        raw = [str(v).strip() for v in (value or [])]
        if not all(v.isdecimal() and len(v) < 19 for v in raw):
            raise ValidationError(MEMBERS_REFUSED)
        return sorted({int(v) for v in raw})


class MembersForm(forms.Form):
    """The members of a queue: the user ids checked (`members`)."""

    members = IdList()

    def refuse(self, error: DomainError) -> None:
        add_domain_error(self, error, {"member_ids": "members"})


class StrategyForm(forms.Form):
    """How a queue picks the agent for a case routed to it."""

    strategy = forms.ChoiceField(choices=Strategy.choices, error_messages={
        "required": STRATEGY_REFUSED, "invalid_choice": STRATEGY_REFUSED})


class MemberFactsForm(forms.Form):
    """A member's skills (comma-separated), territory and capacity."""

    skills = TypedText()
    territory = TypedText()
    capacity = TypedText(strip=True)

    def __init__(self, data: QueryDict, *, user_id: int) -> None:
        super().__init__(data)
        self.user_id = user_id  # whose row of the people table shows the form

    def clean_capacity(self) -> int:
        raw: str = self.cleaned_data["capacity"]
        if not raw.isdecimal() or len(raw) > 6:
            raise ValidationError("Capacity is a whole number of open cases, such as 20.")
        return int(raw)


class SkillRowForm(forms.Form):
    """One row of the category → skills table, as typed."""

    category = TypedText(clip=max_length(SkillRequirement, "category"))
    subcategory = TypedText(clip=max_length(SkillRequirement, "subcategory"))
    skills = TypedText(clip=2_000)

    def as_typed(self) -> tuple[str, str, str]:
        data = self.cleaned_data
        return data["category"], data["subcategory"], data["skills"]


class SkillFormSet(NumberedRows[SkillRowForm]):
    """The rows of the category → skills table sent (prefix `sk`)."""

    form = SkillRowForm
    max_num = absolute_max = 500

    def typed(self) -> list[tuple[str, str, str]]:
        return [form.as_typed() for form in self.forms if form.is_valid()]

    def requirements(self) -> list[tuple[str, str, list[str]]]:
        """The rows the service takes; empty rows are dropped (that is how a row is
        removed)."""
        return [(category, subcategory, split_list(skills))
                for category, subcategory, skills in self.typed()
                if category.strip() or subcategory.strip() or skills.strip()]

