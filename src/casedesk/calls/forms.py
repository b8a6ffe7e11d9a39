"""The call form of the pages: the case page's "Log a call" and the new-case page's phone
call. It only parses what the browser sent; `calls.domain.check_call` (through the services)
decides what is acceptable, and its refusals land on the matching field (`SERVICE_FIELDS`).

Times are typed on the wall clock of the tenant's zone (the one the middleware made
current); Django stores them in UTC."""

from typing import Any

from django import forms

from casedesk.calls.domain import NOTES_MAX, NUMBER_MAX_LENGTH, CallInput
from casedesk.calls.models import MAX_DURATION_SECONDS, Direction, Outcome

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class StartInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=TIME_FORMAT, **kwargs)


class CallForm(forms.Form):
    """A call's fields; the duration is typed as minutes and seconds. The direction and
    outcome a browser always sends; a post without them (another client, an older page)
    takes their defaults."""

    direction = forms.TypedChoiceField(
        choices=Direction.choices,
        initial=Direction.INBOUND,
        required=False,
        empty_value=Direction.INBOUND.value,
    )
    number = forms.CharField(
        required=False,
        max_length=2 * NUMBER_MAX_LENGTH,
        label="Phone number",
        widget=forms.TextInput(
            attrs={"placeholder": "+44 20 7946 0958", "inputmode": "tel", "autocomplete": "off"}
        ),
    )
    minutes = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_DURATION_SECONDS // 60,
        label="Duration, minutes",
        widget=forms.NumberInput(attrs={"placeholder": "0"}),
    )
    seconds = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=59,
        label="Duration, seconds",
        widget=forms.NumberInput(attrs={"placeholder": "0"}),
    )
    outcome = forms.TypedChoiceField(
        choices=Outcome.choices,
        initial=Outcome.ANSWERED,
        required=False,
        empty_value=Outcome.ANSWERED.value,
    )
    started_at = forms.DateTimeField(
        required=False, label="Started", help_text="Leave empty for now.", widget=StartInput()
    )
    notes = forms.CharField(
        required=False,
        max_length=NOTES_MAX,
        label="Notes",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # The services' field names → this form's.
    SERVICE_FIELDS = {"duration_seconds": "minutes"}

    def is_blank(self) -> bool:
        """Nothing typed about a call (the direction and outcome always hold a choice, so
        they do not count): on the new-case page, a phone case made without logging a call."""
        data = self.cleaned_data
        return not (
            data.get("number", "").strip()
            or data.get("minutes")
            or data.get("seconds")
            or data.get("started_at")
            or data.get("notes", "").strip()
        )

    def call_input(self) -> CallInput:
        data = self.cleaned_data
        return CallInput(
            direction=data["direction"],
            number=data["number"],
            duration_seconds=(data["minutes"] or 0) * 60 + (data["seconds"] or 0),
            outcome=data["outcome"],
            notes=data["notes"],
            started_at=data["started_at"],
        )
