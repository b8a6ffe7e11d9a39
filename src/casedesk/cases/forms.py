"""The forms of the picklists and custom fields pages (`/settings/fields`), and the case
page's "link a case" form.

They only parse what the browser sent. Whether a value is acceptable — not empty, not too
long for its column, not a duplicate, a parent that exists — is decided by the services in
`cases.picklists`, whose refusal `refuse` puts on the field it names.
"""

from typing import Any, ClassVar, cast

from django import forms

from casedesk.cases.customfields import FieldKind
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.core.errors import Conflict, DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.limits import column_limits

KIND_CHOICES = [(k.value, {FieldKind.TEXT: "Text", FieldKind.NUMBER: "Number",
                           FieldKind.DATE: "Date", FieldKind.PICKLIST: "Picklist",
                           FieldKind.CHECKBOX: "Checkbox"}[k]) for k in FieldKind]
STATUS_CHOICES = [(s.value, s.value.replace("_", " ").capitalize()) for s in Status]


def _text(model: type[Any], name: str, *, label: str | None = None, help_text: str = "",
          **attrs: Any) -> forms.CharField:
    """Text as typed (the service trims and checks it); the browser is told the column's
    length, the service refuses what is longer."""
    limit = column_limits(model, name).get("max_length")
    widget_attrs = {**({"maxlength": limit} if limit else {}), **attrs}
    return forms.CharField(required=False, strip=False, label=label, help_text=help_text,
                           widget=forms.TextInput(attrs=widget_attrs))


class ConfigForm(forms.Form):
    """A form of these pages: a service's refusal goes on the field it names; a duplicate
    (Conflict) on `conflict_field`."""

    service_fields: ClassVar[dict[str, str]] = {}
    conflict_field: ClassVar[str] = ""

    def refuse(self, error: DomainError) -> None:
        if isinstance(error, Conflict) and self.conflict_field in self.fields:
            self.add_error(self.conflict_field, error.detail)
        else:
            add_domain_error(self, error, self.service_fields)


class PicklistValueForm(ConfigForm):
    """A new value of one picklist; `parent` (the category of a subcategory, the status a
    sub-status maps onto) only where the picklist has one."""

    value = _text(PicklistValue, "value", placeholder="New value")
    parent = forms.ChoiceField(required=False)

    # The service names the category of a subcategory "category" when it is not one.
    service_fields = {"category": "parent"}
    conflict_field = "value"

    def __init__(self, data: Any = None, *, kind: str,
                 parents: list[tuple[str, str]] | None = None) -> None:
        super().__init__(data, auto_id=f"add-{kind}-%s")
        self.kind = kind
        self.fields["value"].label = "New value"
        if parents is None:
            del self.fields["parent"]
        else:
            parent = cast(forms.ChoiceField, self.fields["parent"])
            parent.choices = [("", "Choose…"), *parents]
            parent.label = "In category" if kind == PicklistKind.SUBCATEGORY else "Maps onto"

    def values(self) -> dict[str, str]:
        data = self.cleaned_data
        return {"value": data["value"], "parent": data.get("parent") or ""}


class RenameForm(ConfigForm):
    """A value's new spelling."""

    value = _text(PicklistValue, "value")
    conflict_field = "value"


def _choices_text(choices: list[str]) -> str:
    return "\n".join(choices)


class CustomFieldForm(ConfigForm):
    """A custom field: everything for a new one; without key and kind (fixed once made) for
    one that exists. Choices are typed one per line."""

    key = _text(CustomFieldDefinition, "key", placeholder="e.g. order_ref",
                pattern="[a-z][a-z0-9_]*", autocomplete="off",
                help_text="Lower-case letters, digits and underscores. The API and routing "
                          "rules name the field by it; it is fixed once made.")
    label = _text(CustomFieldDefinition, "label")
    kind = forms.ChoiceField(choices=KIND_CHOICES, initial=FieldKind.TEXT.value)
    required = forms.BooleanField(required=False, label="Required where it shows")
    choices = forms.CharField(required=False, strip=False, label="Choices (picklist fields)",
                              help_text="One choice a line. Cases keep a choice taken away.",
                              widget=forms.Textarea(attrs={"rows": 5}))
    help_text = _text(CustomFieldDefinition, "help_text", label="Help text",
                      help_text="Shown under the input.")
    show_on_case_page = forms.BooleanField(required=False, initial=True,
                                           label="The case page")
    show_on_new_case = forms.BooleanField(required=False, initial=True,
                                          label="The new-case page")
    show_on_web_form = forms.BooleanField(required=False, label="The customers' web form")

    conflict_field = "key"

    def __init__(self, data: Any = None, *,
                 definition: CustomFieldDefinition | None = None) -> None:
        initial = None
        if definition is not None:
            initial = {name: getattr(definition, name) for name in (
                "label", "required", "help_text", "show_on_case_page", "show_on_new_case",
                "show_on_web_form")}
            initial["choices"] = _choices_text(definition.choices)
        super().__init__(data, initial=initial, auto_id="field-%s")
        self.definition = definition
        if definition is not None:
            del self.fields["key"], self.fields["kind"]

    def values(self) -> dict[str, Any]:
        """What the service takes: for a new field everything, for a stored one the
        changes (the fields it lets change)."""
        data = dict(self.cleaned_data)
        data["choices"] = [line for line in data["choices"].splitlines() if line.strip()]
        return data

    @property
    def is_picklist(self) -> bool:
        kind = (self.definition.kind if self.definition is not None
                else self["kind"].value())
        return bool(kind == FieldKind.PICKLIST)


class CaseLinkForm(forms.Form):
    """Links the case to another: what this case is to it, and its number."""

    kind = forms.ChoiceField(label="This case is", choices=[
        ("related_to", "Related to"), ("child_of", "Child of"), ("parent_of", "Parent of"),
        ("caused_by", "Caused by"), ("causes", "Cause of")])
    case = forms.CharField(label="Case number", max_length=40,
                           widget=forms.TextInput(attrs={"placeholder": "e.g. CS-12"}))
