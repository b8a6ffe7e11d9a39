"""The automation rule editor's form: name, description, trigger (with the options of each
trigger), condition rows (routing's, prefix `c`) and action rows (prefix `actions`).

The form only parses what the browser sent; the services decide whether it is acceptable,
and their refusal lands on the field it names ("Action 2: …" also marks the action row,
"condition 1: …" the condition row). Every action row sends `actions-<n>-kind` and the inputs
of its kind only: the page renders each kind's inputs, and those of the other kinds disabled
(the page script switches them when the kind changes; without it, "Show the fields" re-renders
the form for the kind chosen).
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from casedesk.automation.models import AutomationRule, Match
from casedesk.automation.rules import MAX_ACTIONS
from casedesk.automation.services import RuleInput
from casedesk.core.errors import DomainError
from casedesk.core.forms import NumberedRows, add_domain_error
from casedesk.routing.forms import (
    ConditionFormSet,
    TypedText,
    condition_of_row,
    mark_row_error,
    split_list,
)
from casedesk.routing.words import NO_VALUE_OPERATORS, ConditionRow, rows_of_conditions

ID_FIELDS = ("queue.id", "owner.id")
_ACTION = re.compile(r"^Action (\d+):")
# The inputs each action kind sends (besides `kind`).
KIND_INPUTS: dict[str, tuple[str, ...]] = {
    "set_fields": ("priority", "type", "category", "subcategory", "queue_id", "owner_id",
                   "tags_add", "tags_remove"),
    "add_note": ("body",),
    "email": ("to", "user_id", "subject", "body"),
    "webhook": ("endpoint_id",),
    "create_task": ("subject", "due_in", "due_unit", "owner", "owner_id", "notes"),
    "apply_macro": ("macro_id",),
    "transition": ("status", "note", "closed_reason"),
    "acknowledge": (),
}


class ActionForm(forms.Form):
    """One action row as typed (every input of every kind; a row sends its kind's)."""

    kind = TypedText(strip=True)
    priority = TypedText(strip=True)
    type = TypedText(clip=500)
    category = TypedText(clip=500)
    subcategory = TypedText(clip=500)
    queue_id = TypedText(strip=True)
    owner_id = TypedText(strip=True)
    tags_add = TypedText(clip=2_000)
    tags_remove = TypedText(clip=2_000)
    to = TypedText(strip=True)
    user_id = TypedText(strip=True)
    subject = TypedText(clip=25_000)
    body = TypedText(clip=25_000)
    endpoint_id = TypedText(strip=True)
    due_in = TypedText(strip=True)
    due_unit = TypedText(strip=True, missing="days")
    owner = TypedText(strip=True, missing="case_owner")
    notes = TypedText(clip=25_000)
    macro_id = TypedText(strip=True)
    status = TypedText(strip=True)
    note = TypedText(clip=25_000)
    closed_reason = TypedText(clip=500)


class ActionFormSet(NumberedRows[ActionForm]):
    form = ActionForm
    max_num = absolute_max = MAX_ACTIONS + 2  # the service, not the form, says "at most"


@dataclass
class ActionRow:
    """One action as its row shows it: its kind and its inputs as typed."""

    kind: str = "set_fields"
    values: dict[str, str] = field(default_factory=dict)
    has_error: bool = False

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def _id(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdecimal() and len(text) < 19 else text


def action_of_row(row: ActionRow) -> dict[str, Any]:
    """The action as the rules take it (what is wrong with it is theirs to say)."""
    v = row.get
    out: dict[str, Any] = {"kind": row.kind}
    if row.kind == "set_fields":
        for name in ("priority", "type", "category", "subcategory"):
            if v(name).strip():
                out[name] = v(name).strip()
        for name in ("queue_id", "owner_id"):
            if (value := _id(v(name))) is not None:
                out[name] = value
        for name in ("tags_add", "tags_remove"):
            if split_list(v(name)):
                out[name] = split_list(v(name))
    elif row.kind == "add_note":
        out["body"] = v("body")
    elif row.kind == "email":
        out["to"] = v("to") or "contact"
        if out["to"] == "user":
            out["user_id"] = _id(v("user_id"))
        out["subject"] = v("subject")
        out["body"] = v("body")
    elif row.kind == "webhook":
        out["endpoint_id"] = _id(v("endpoint_id"))
    elif row.kind == "create_task":
        out["subject"] = v("subject")
        amount = v("due_in").strip()
        if amount:
            hours: Any = amount
            if amount.isdecimal() and len(amount) < 7:
                hours = int(amount) * (24 if v("due_unit") != "hours" else 1)
            out["due_in_hours"] = hours
        out["owner"] = v("owner") or "case_owner"
        if out["owner"] == "user":
            out["owner_id"] = _id(v("owner_id"))
        out["notes"] = v("notes")
    elif row.kind == "apply_macro":
        out["macro_id"] = _id(v("macro_id"))
    elif row.kind == "transition":
        out["to"] = v("status")
        out["note"] = v("note")
        if v("closed_reason").strip():
            out["closed_reason"] = v("closed_reason").strip()
    return out


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def row_of_action(action: dict[str, Any]) -> ActionRow:
    """A stored action as its form row shows it."""
    kind = str(action.get("kind") or "set_fields")
    values = {k: _shown(v) for k, v in action.items() if k != "kind"}
    if kind == "transition":
        values["status"] = values.pop("to", "")
    if kind == "create_task":
        hours = action.get("due_in_hours")
        if isinstance(hours, int):
            days = hours % 24 == 0 and hours > 0
            values["due_in"] = str(hours // 24 if days else hours)
            values["due_unit"] = "days" if days else "hours"
    return ActionRow(kind=kind, values=values)


def _hours_shown(hours: Any) -> tuple[str, str]:
    if isinstance(hours, int) and hours > 0 and hours % 24 == 0:
        return str(hours // 24), "days"
    return (str(hours), "hours") if isinstance(hours, int) else ("", "days")


def form_action(post: QueryDict) -> tuple[str, int | None]:
    """What the pressed button asks: save, preview, refresh, add, remove (a condition row),
    add_action, remove_action (an action row), with the row number."""
    action = (post.get("action") or "save").strip()
    for prefix in ("remove:", "remove_action:"):
        if action.startswith(prefix):
            raw = action.removeprefix(prefix)
            if raw.isdecimal() and len(raw) < 4:
                return prefix[:-1], int(raw)
            return "save", None
    if action in ("add", "add_action", "preview", "refresh"):
        return action, None
    return "save", None


class RuleForm(forms.Form):
    """An automation rule as typed."""

    name = TypedText(clip=300)
    description = TypedText(clip=5_000)
    is_enabled = forms.BooleanField(required=False)
    trigger = TypedText(strip=True, missing="case_created")
    match = TypedText(missing=Match.ALL)
    # The options of each trigger (only the chosen trigger's are read).
    field_name = TypedText(strip=True)
    field_from = TypedText(clip=600)
    field_to = TypedText(clip=600)
    status_from = TypedText(strip=True)
    status_to = TypedText(strip=True)
    note_visibility = TypedText(strip=True, missing="any")
    note_author = TypedText(strip=True, missing="any")
    sla_target = TypedText(strip=True, missing="any")
    csat_rating = TypedText(strip=True, missing="any")
    time_anchor = TypedText(strip=True, missing="created")
    time_amount = TypedText(strip=True)
    time_unit = TypedText(strip=True, missing="days")

    def __init__(self, data: QueryDict | None = None, *, rule: AutomationRule | None = None
                 ) -> None:
        super().__init__(data, initial=_initial(rule))
        self.error_field = ""
        if data is not None:
            self.rows = ConditionFormSet(data, prefix="c").rows()
            self.actions = [ActionRow(kind=f.cleaned_data["kind"] or "set_fields",
                                      values={k: v for k, v in f.cleaned_data.items()
                                              if k != "kind"})
                            for f in ActionFormSet(data, prefix="actions").forms
                            if f.is_valid()]
        elif rule is not None:
            self.rows = rows_of_conditions(rule.conditions)
            self.actions = [row_of_action(a) for a in rule.actions or []
                            if isinstance(a, dict)]
        else:
            self.rows = [ConditionRow(field="subject", op="contains")]
            self.actions = [ActionRow()]

    def trigger_options(self) -> dict[str, Any]:
        data = self.cleaned_data
        trigger = data["trigger"]
        if trigger == "field_changed":
            out: dict[str, Any] = {"field": data["field_name"]}
            for side in ("from", "to"):
                if data[f"field_{side}"].strip():
                    out[side] = data[f"field_{side}"].strip()
            return out
        if trigger == "status_changed":
            return {side: data[f"status_{side}"] for side in ("from", "to")
                    if data[f"status_{side}"]}
        if trigger == "note_added":
            return {"visibility": data["note_visibility"], "author": data["note_author"]}
        if trigger in ("sla_warning", "sla_breach"):
            return {"target": data["sla_target"]}
        if trigger == "csat_received":
            return {"rating": data["csat_rating"]}
        if trigger == "time":
            amount = data["time_amount"]
            hours: Any = amount
            if amount.isdecimal() and len(amount) < 7:
                hours = int(amount) * (1 if data["time_unit"] == "hours" else 24)
            return {"anchor": data["time_anchor"], "hours": hours}
        return {}

    def conditions(self) -> list[dict[str, Any]]:
        """The condition rows as the rules take them; a row with nothing to compare with is
        left out (a blank editor row means no condition, not "equals nothing")."""
        out = []
        for row in self.rows:
            if row.op not in NO_VALUE_OPERATORS and not row.value.strip():
                continue
            condition = condition_of_row(row)
            if condition["field"] in ID_FIELDS:  # record ids compare as numbers
                value = condition["value"]
                condition["value"] = ([_id(str(v)) for v in value] if isinstance(value, list)
                                      else _id(str(value)))
            out.append(condition)
        return out

    def rule_input(self) -> RuleInput:
        data = self.cleaned_data
        return RuleInput(name=data["name"], description=data["description"],
                         trigger=data["trigger"], trigger_options=self.trigger_options(),
                         conditions=self.conditions(),
                         actions=[action_of_row(a) for a in self.actions],
                         match=data["match"], is_enabled=data["is_enabled"])

    def refuse(self, error: DomainError) -> None:
        """Shows the service's refusal on the field (or the row) it names."""
        add_domain_error(self, error, {"trigger_options": "trigger"})
        self.error_field = getattr(error, "field", None) or ""
        mark_row_error(self.rows, error.detail)
        found = _ACTION.match(error.detail)
        if found and 0 < int(found.group(1)) <= len(self.actions):
            self.actions[int(found.group(1)) - 1].has_error = True


def _initial(rule: AutomationRule | None) -> dict[str, Any]:
    if rule is None:
        return {"match": Match.ALL, "is_enabled": True, "trigger": "case_created",
                "time_unit": "days", "time_anchor": "created"}
    options = rule.trigger_options or {}
    initial: dict[str, Any] = {"name": rule.name, "description": rule.description,
                               "is_enabled": rule.is_enabled, "trigger": rule.trigger,
                               "match": rule.match}
    if rule.trigger == "field_changed":
        initial.update(field_name=options.get("field", ""), field_from=options.get("from", ""),
                       field_to=options.get("to", ""))
    elif rule.trigger == "status_changed":
        initial.update(status_from=options.get("from", ""), status_to=options.get("to", ""))
    elif rule.trigger == "note_added":
        initial.update(note_visibility=options.get("visibility", "any"),
                       note_author=options.get("author", "any"))
    elif rule.trigger in ("sla_warning", "sla_breach"):
        initial["sla_target"] = options.get("target", "any")
    elif rule.trigger == "csat_received":
        initial["csat_rating"] = options.get("rating", "any")
    elif rule.trigger == "time":
        amount, unit = _hours_shown(options.get("hours"))
        initial.update(time_anchor=options.get("anchor", "created"), time_amount=amount,
                       time_unit=unit)
    return initial


def edit_action_rows(rows: list[ActionRow], action: str, row: int | None) -> int | None:
    """The form's own buttons on its action rows: add one (returning its index), remove
    one."""
    if action == "add_action":
        if len(rows) < MAX_ACTIONS:
            rows.append(ActionRow())
        return len(rows) - 1
    if action == "remove_action" and row is not None and row < len(rows):
        del rows[row]
    return None

