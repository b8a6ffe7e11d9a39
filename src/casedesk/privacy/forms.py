"""The privacy pages' forms: the retention period, and the confirmation of an erasure."""

from typing import Any

from django import forms

from casedesk.privacy.settings import MAX_RETENTION_MONTHS


class RetentionForm(forms.Form):
    retention_months = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_RETENTION_MONTHS,
        label="Anonymise closed cases after (months)",
        help_text="Closed cases lose their personal data this many months after they closed. "
                  "Empty: keep cases as they are.")

    @staticmethod
    def initial_of(months: int | None) -> dict[str, Any]:
        return {"retention_months": months}


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this cannot be undone",
        error_messages={"required": "Tick the box to confirm the erasure."})
