"""The import page's forms: the upload (format, files, an optional mapping file) and, for a
CSV file, which column holds which field."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from casedesk.cases.models import CustomFieldDefinition
from casedesk.importer.mapping import CSV_FIELDS, CUSTOM_PREFIX, REQUIRED_CSV_FIELDS
from casedesk.importer.models import ImportFormat

FIELD_LABELS = {
    "id": "Id in the old desk", "subject": "Subject", "description": "Description",
    "status": "Status", "priority": "Priority", "type": "Type", "category": "Category",
    "subcategory": "Subcategory", "channel": "Channel", "tags": "Tags",
    "created_at": "Created at", "updated_at": "Updated at", "resolved_at": "Resolved at",
    "closed_at": "Closed at", "closed_reason": "Closed reason",
    "contact_email": "Contact's email", "contact_name": "Contact's name",
    "contact_phone": "Contact's phone", "account_name": "Account (company)",
    "owner_email": "Owner's email",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items
                if item] or [super().clean(None, initial)]


class UploadForm(forms.Form):
    format = forms.ChoiceField(choices=ImportFormat.choices, initial=ImportFormat.ZENDESK)
    export_files = MultipleFileField(
        label="Files",
        help_text="Zendesk: tickets, users and organizations JSON files; Freshdesk: the "
                  "ticket export CSV; Salesforce: Case.csv, Account.csv, Contact.csv, "
                  "CaseComment.csv (EmailMessage.csv, User.csv optional); CSV: one file.")
    mapping = forms.FileField(
        required=False, label="Mapping (optional)",
        help_text="A JSON file mapping values and custom fields (see the README). For a CSV "
                  "file, the columns are chosen on the next page.")
    skip_invalid = forms.BooleanField(
        required=False, label="Import the good rows even when some are refused")


class ColumnsForm(forms.Form):
    """One choice per casedesk field: the CSV column that holds it (or none)."""

    skip_invalid = forms.BooleanField(
        required=False, label="Import the good rows even when some are refused")

    def __init__(self, *args: Any, headers: list[str], tenant_id: int, **kwargs: Any
                 ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not imported —"), *((h, h) for h in headers)]
        for name in CSV_FIELDS:
            self.fields[f"col_{name}"] = forms.ChoiceField(
                choices=choices, required=name in REQUIRED_CSV_FIELDS,
                label=FIELD_LABELS.get(name, name))
        for key, label in (CustomFieldDefinition.objects
                           .filter(tenant_id=tenant_id, is_active=True)
                           .values_list("key", "label")):
            self.fields[f"col_{CUSTOM_PREFIX}{key}"] = forms.ChoiceField(
                choices=choices, required=False, label=f"Custom field: {label}")
        self.fields["skip_invalid"] = self.fields.pop("skip_invalid")

    def columns(self) -> dict[str, str]:
        return {name.removeprefix("col_"): value
                for name, value in self.cleaned_data.items()
                if name.startswith("col_") and value}

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("col_")]
