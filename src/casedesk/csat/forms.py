"""The survey page's form (the customer's rating and comment) and the settings form."""

from typing import Any

from django import forms

from casedesk.csat.config import CHOICES
from casedesk.csat.models import COMMENT_MAX, MAX_DELAY_HOURS, CsatSettings, Scale
from casedesk.routing.models import Queue


class AnswerForm(forms.Form):
    """A rating (optional: the link gave one already) and an optional comment."""

    rating = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    comment = forms.CharField(required=False, max_length=COMMENT_MAX, strip=True,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              label="Anything you would like to tell us? (optional)")

    def __init__(self, *args: Any, scale: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rating"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(str(value), label) for value, label in CHOICES[scale]]


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Send satisfaction surveys")
    delay_hours = forms.IntegerField(
        min_value=0, max_value=MAX_DELAY_HOURS, label="Hours after resolution",
        help_text=f"The survey goes out this long after a case is resolved (0 to "
                  f"{MAX_DELAY_HOURS}), if the case is still resolved or closed then.")
    scale = forms.ChoiceField(choices=Scale.choices, label="Rating scale")
    queues = forms.ModelMultipleChoiceField(
        queryset=Queue.objects.none(), required=False, label="Queues surveyed",
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every case is surveyed, with a queue or without.")

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["queues"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Queue.objects.filter(tenant_id=tenant_id).order_by("name")

    @staticmethod
    def initial_of(config: CsatSettings) -> dict[str, Any]:
        return {"enabled": config.enabled, "delay_hours": config.delay_hours,
                "scale": config.scale, "queues": list(config.queues)}
