"""The task forms of the pages: a task's fields (new, edit, the case panel's quick add).

Due times are typed and shown on the wall clock of the tenant's zone (the one the
middleware made current); Django stores them in UTC."""

from typing import Any

from django import forms

from casedesk.core.limits import max_length
from casedesk.tasks.models import Task
from casedesk.tasks.services import NOTES_MAX
from casedesk.tenancy.models import Membership

DUE_FORMAT = "%Y-%m-%dT%H:%M"


class DueInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DUE_FORMAT, **kwargs)


def member_choices(membership: Membership) -> list[tuple[str, str]]:
    """The tenant's active members, me first."""
    others = (Membership.objects.filter(tenant_id=membership.tenant_id, is_active=True)
              .exclude(user_id=membership.user_id).select_related("user")
              .order_by("user__full_name", "user__email"))
    return [(str(membership.user_id), f"Me ({membership.user.display_name})")] + [
        (str(m.user_id), m.user.display_name) for m in others]


class TaskForm(forms.Form):
    subject = forms.CharField(max_length=max_length(Task, "subject"), widget=forms.TextInput(
        attrs={"placeholder": "Call the customer back"}))
    due_at = forms.DateTimeField(required=False, label="Due", widget=DueInput())
    owner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    notes = forms.CharField(required=False, max_length=NOTES_MAX,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Nobody"), *member_choices(membership)]


class NewTaskForm(TaskForm):
    """A task from the "My tasks" page, optionally about a case."""

    case = forms.CharField(required=False, max_length=30, label="Case",
                           widget=forms.TextInput(attrs={"placeholder": "CS-1042"}))

    field_order = ["subject", "due_at", "owner", "case", "notes"]
