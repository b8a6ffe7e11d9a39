"""The macro form of `/settings/macros`: it parses what the browser sent; `automation.macros`
decides whether the values exist and may be used, and its refusal lands on the field."""

from typing import Any

from django import forms

from casedesk.automation.macros import MAX_POSITION, MacroInput
from casedesk.automation.models import Macro
from casedesk.automation.templating import MAX_TEMPLATE_LENGTH
from casedesk.core.priority import PRIORITY_BY_RUNG

# The service's names for the fields (`changes.queue_id`) → the form's.
FIELD_NAMES = {"changes.priority": "priority", "changes.type": "type",
               "changes.category": "category", "changes.subcategory": "subcategory",
               "changes.queue_id": "queue", "changes.owner_id": "owner",
               "changes.status": "status", "changes": "status"}
KEEP, NONE = "", "none"


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class MacroForm(forms.Form):
    """Every field of a macro; a select left on "keep" leaves the case's value alone."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)
    scope = forms.ChoiceField(choices=[("personal", "Personal: only me"),
                                       ("shared", "Shared with the team")],
                              required=False, initial="personal")
    reply = forms.CharField(max_length=MAX_TEMPLATE_LENGTH, required=False, strip=False)
    visibility = forms.ChoiceField(choices=[("public", "Public reply"),
                                            ("internal", "Internal note")], initial="public")
    priority = forms.CharField(max_length=20, required=False)
    type = forms.CharField(max_length=200, required=False)
    category = forms.CharField(max_length=200, required=False)
    subcategory = forms.CharField(max_length=200, required=False)
    queue = forms.CharField(max_length=20, required=False)
    owner = forms.CharField(max_length=20, required=False)
    status = forms.CharField(max_length=20, required=False)
    tags_add = forms.CharField(max_length=1100, required=False)
    tags_remove = forms.CharField(max_length=1100, required=False)
    is_active = forms.BooleanField(required=False, initial=True)
    position = forms.IntegerField(min_value=0, max_value=MAX_POSITION, initial=0)

    def clean_queue(self) -> int | None | str:
        return self._reference("queue")

    def clean_owner(self) -> int | None | str:
        return self._reference("owner")

    def _reference(self, name: str) -> int | None | str:
        value = (self.cleaned_data.get(name) or "").strip()
        if value in (KEEP, NONE):
            return value if value == KEEP else None
        if not value.isascii() or not value.isdecimal() or not 0 < int(value) < 2**63:
            raise forms.ValidationError("Pick one from the list.")
        return int(value)

    @staticmethod
    def initial_of(macro: Macro) -> dict[str, Any]:
        changes = dict(macro.changes or {})

        def reference(name: str) -> str:
            if name not in changes:
                return KEEP
            return NONE if changes[name] is None else str(changes[name])

        priority = changes.get("priority", "")
        if isinstance(priority, int):
            priority = PRIORITY_BY_RUNG.get(priority, "")
        return {
            "name": macro.name, "description": macro.description,
            "scope": "personal" if macro.owner_id else "shared", "reply": macro.reply,
            "visibility": "public" if macro.reply_is_public else "internal",
            "priority": priority, "type": changes.get("type", ""),
            "category": changes.get("category", ""),
            "subcategory": changes.get("subcategory", ""), "queue": reference("queue_id"),
            "owner": reference("owner_id"), "status": changes.get("status", ""),
            "tags_add": ", ".join(macro.tags_add or []),
            "tags_remove": ", ".join(macro.tags_remove or []),
            "is_active": macro.is_active, "position": macro.position,
        }

    @property
    def is_shared(self) -> bool:
        return self.cleaned_data.get("scope") == "shared"

    def macro_input(self) -> MacroInput:
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for name in ("priority", "type", "category", "subcategory", "status"):
            if data[name].strip():
                changes[name] = data[name].strip()
        for name, key in (("queue", "queue_id"), ("owner", "owner_id")):
            if data[name] != KEEP:
                changes[key] = data[name]
        return MacroInput(
            name=data["name"], description=data["description"], reply=data["reply"],
            reply_is_public=data["visibility"] == "public", changes=changes,
            tags_add=_tags(data["tags_add"]), tags_remove=_tags(data["tags_remove"]),
            is_active=data["is_active"], position=data["position"])
