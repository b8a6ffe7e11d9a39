"""The web-to-case form and the admin's form of its settings. They only parse what the
browser sent; `portal.webform` and `portal.webform_settings` decide what is acceptable."""

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms

from casedesk.cases.customfields import FieldKind
from casedesk.cases.models import CustomFieldDefinition
from casedesk.core.forms import CUSTOM_PREFIX
from casedesk.portal.webform import KNOWN_TYPES

# The honeypot's name: a field a person has no reason to fill (the stylesheet hides it).
HONEYPOT = "website"
# How the admin page names the types it offers.
TYPE_LABELS = {
    "image/png": "PNG images", "image/jpeg": "JPEG images", "image/gif": "GIF images",
    "image/webp": "WebP images", "application/pdf": "PDF documents",
    "text/plain": "Plain text and logs", "text/csv": "CSV files",
    "application/zip": "ZIP archives", "application/json": "JSON files",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        "Word documents (.docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        "Excel workbooks (.xlsx)",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the service checks their count, size and type."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    """A form field that parses a custom field's value; the service decides whether it is
    acceptable (required, among the choices)."""
    common: dict[str, Any] = {"label": definition.label, "required": False,
                              "help_text": definition.help_text}
    attrs = {"required": True} if definition.required else {}
    if definition.kind == FieldKind.NUMBER:
        return forms.DecimalField(**common, widget=forms.NumberInput(
            attrs={**attrs, "step": "any"}))
    if definition.kind == FieldKind.DATE:
        return forms.DateField(**common, widget=forms.DateInput(
            attrs={**attrs, "type": "date"}))
    if definition.kind == FieldKind.PICKLIST:
        return forms.ChoiceField(**common, widget=forms.Select(attrs=attrs),
                                 choices=[("", "—")] + [(c, c) for c in definition.choices])
    if definition.kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    return forms.CharField(**common, max_length=10_000, widget=forms.TextInput(attrs=attrs))


class WebForm(forms.Form):
    """A customer's request: who they are, what it is about, files, the tenant's fields."""

    name = forms.CharField(max_length=200, widget=forms.TextInput(
        attrs={"autocomplete": "name"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(
        attrs={"autocomplete": "email"}))
    subject = forms.CharField(max_length=255)
    description = forms.CharField(label="How can we help?", max_length=100_000,
                                  widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ChoiceField(required=False)
    attachments = MultipleFileField(required=False, label="Files")
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)
    website = forms.CharField(required=False, label="Leave this empty", widget=forms.TextInput(
        attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, data: Any = None, files: Any = None, *, categories: list[str],
                 definitions: list[CustomFieldDefinition],
                 initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, files, initial=initial)
        field = cast(forms.ChoiceField, self.fields["category"])
        field.choices = [("", "—"), *((c, c) for c in categories)]
        if not categories:
            del self.fields["category"]
        self.definitions = definitions
        for definition in definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = _custom_field(definition)

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + d.key] for d in self.definitions]

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, date):
                value = value.isoformat()
            values[definition.key] = value
        return values


class WebFormSettingsForm(forms.Form):
    """The admin's settings of the web form."""

    form_enabled = forms.BooleanField(required=False, label="The form takes requests")
    form_categories = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Categories offered",
        help_text="None ticked: every active category.")
    max_files = forms.IntegerField(min_value=0, max_value=20, label="Files per request")
    max_file_megabytes = forms.DecimalField(min_value=Decimal("0.1"), max_value=100,
                                            decimal_places=1, label="Largest file (MB)")
    file_types = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="File types accepted",
        choices=[(t, TYPE_LABELS[t]) for t in KNOWN_TYPES],
        help_text="Told from each file's content, not its name.")
    only_known_contacts = forms.BooleanField(
        required=False, label="Only known contacts",
        help_text="Refuse requests from email addresses that are not contacts yet.")
    embed_origins = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5_000,
        label="Sites that embed the form",
        help_text="One per line, as scheme and host: https://www.example.com")

    def __init__(self, data: Any = None, *, categories: list[str],
                 initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        cast(forms.MultipleChoiceField, self.fields["form_categories"]).choices = [
            (c, c) for c in categories]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "form_enabled": data["form_enabled"],
            "form_categories": list(data["form_categories"]),
            "max_files": data["max_files"],
            "max_file_bytes": int(data["max_file_megabytes"] * 1024 * 1024),
            "file_types": list(data["file_types"]),
            "only_known_contacts": data["only_known_contacts"],
            "embed_origins": [line.strip() for line in data["embed_origins"].splitlines()
                              if line.strip()],
        }
