"""The case page's field editors as posted, in the one form idiom: a Django form parses what
the browser sent into the `changes` of `case_update` (or the owner of `case_change_owner`);
whether the value is acceptable is for the service to say. A refusal, the form's or the
service's, is an Invalid the page shows on the field's row."""

from typing import Any

from django import forms
from django.http import QueryDict

from casedesk.cases.customfields import FieldKind
from casedesk.cases.models import CustomFieldDefinition
from casedesk.console.case_fields import CUSTOM_PREFIX, FieldRow, custom_definition
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.core.schemas import MAX_ID
from casedesk.routing.access import find_queue
from casedesk.routing.models import Queue
from casedesk.tenancy.access import find_colleague
from casedesk.tenancy.models import Membership, User


def _id(raw: str, field_name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdecimal() or not 0 < int(raw) <= MAX_ID:
        raise Invalid("Choose one of the offered values.", field=field_name)
    return int(raw)


class _EditorForm(forms.Form):
    value = forms.CharField(required=False, strip=False)

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        # Text goes to the services as typed: they trim it and check it (`core.text`, which
        # refuses NUL and lone surrogates), so a refusal reads the same on every channel.
        for field in self.fields.values():
            field.validators = []

    def posted(self, name: str) -> str:
        if not self.is_valid():
            raise Invalid("That value cannot be stored.", field=name)
        return str(self.cleaned_data["value"])

    def keep(self, row: FieldRow) -> None:
        """Puts what the member typed back into a refused editor."""
        row.value = ("on" if self.data.get("value") else "") if row.editor == "checkbox" \
            else self.data.get("value", "")
        row.value2 = "" if row.editor == "checkbox" else self.data.get("subcategory", "")


class FieldEditForm(_EditorForm):
    """One field's editor: `value`, and `subcategory` beside the category."""

    subcategory = forms.CharField(required=False, strip=False)

    def __init__(self, data: QueryDict, *, name: str,
                 definitions: list[CustomFieldDefinition]) -> None:
        super().__init__(data)
        self.name, self.definitions = name, definitions

    def changes(self) -> dict[str, Any]:
        """The `changes` for `case_update` that the editor asks for."""
        name, value = self.name, self.posted(self.name)
        if name.startswith(CUSTOM_PREFIX):
            definition = custom_definition(name, self.definitions)
            custom: Any = value.strip() or None
            if definition.kind == FieldKind.CHECKBOX:
                custom = bool(value)
            return {"custom_fields": {definition.key: custom}}
        if name == "priority":
            try:
                return {"priority": Priority.from_name(value)}
            except ValueError:
                raise Invalid("Choose one of the priorities.", field="priority") from None
        if name == "category":
            return {"category": value, "subcategory": self.cleaned_data["subcategory"]}
        if name in ("queue", "account", "contact"):
            return {f"{name}_id": _id(value, f"{name}_id")}
        if name == "tags":
            return {"tags": [t for t in (part.strip() for part in value.split(",")) if t]}
        return {name: value}


class OwnerForm(_EditorForm):
    """The owner editor: `user:<id>` (a member, keeping the queue) or `queue:<id>`."""

    def __init__(self, data: QueryDict, *, membership: Membership) -> None:
        super().__init__(data)
        self.membership = membership

    def owner(self) -> tuple[User | None, Queue | None]:
        kind, _, raw = self.posted("owner_id").partition(":")
        target_id = _id(raw, "owner_id") if kind in ("user", "queue") else None
        if target_id is None:
            raise Invalid("Choose a person or a queue.", field="owner_id")
        if kind == "user":
            colleague = find_colleague(self.membership, target_id)
            if colleague is None:
                raise Invalid("That person is not a member of this tenant.", field="owner_id")
            return colleague.user, None
        queue = find_queue(self.membership, target_id)
        if queue is None:
            raise Invalid("No such queue.", field="owner_id")
        return None, queue
