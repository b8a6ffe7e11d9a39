"""The settings page's form: it parses what the browser sent; `slack.installation` decides
(and asks Slack about a new token), and its refusal lands on the field it names."""

from typing import Any

from django import forms

from casedesk.routing.models import Queue
from casedesk.slack.models import SlackInstallation
from casedesk.tenancy.models import Tenant


class SlackForm(forms.Form):
    signing_secret = forms.CharField(
        label="Signing secret",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Basic Information → App Credentials → Signing Secret.",
    )
    bot_token = forms.CharField(
        label="Bot token",
        required=False,
        max_length=255,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="OAuth & Permissions → Bot User OAuth Token (xoxb-…). Checked with Slack "
        "when saved.",
    )
    is_enabled = forms.BooleanField(label="Take cases from Slack", required=False, initial=True)
    queue = forms.TypedChoiceField(
        label="Queue for new Slack cases",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="None: the routing rules decide, as for mail.",
    )
    mirror_replies = forms.BooleanField(
        label="Post agents' public replies into the case's Slack thread",
        required=False,
        initial=True,
        help_text="Off: they are mailed to the contact instead.",
    )

    def __init__(
        self, *args: Any, tenant: Tenant, installation: SlackInstallation | None, **kwargs: Any
    ) -> None:
        if installation is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "is_enabled": installation.is_enabled,
                "queue": installation.queue_id,
                "mirror_replies": installation.mirror_replies,
            }
        super().__init__(*args, **kwargs)
        self.installed = installation is not None
        queues = Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
        field = self.fields["queue"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "— routing decides —"), *((q.pk, q.name) for q in queues)]
        if installation is not None:
            self.fields[
                "signing_secret"
            ].help_text = (
                f"Saved (ending {installation.signing_secret[-4:]}); leave empty to keep it."
            )
            self.fields["bot_token"].help_text = (
                f"Saved (ending {installation.bot_token[-4:]}); leave empty to keep it. A new "
                "token is checked with Slack when saved."
            )

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {
            "is_enabled": data["is_enabled"],
            "queue_id": data["queue"],
            "mirror_replies": data["mirror_replies"],
        }
        for name in ("signing_secret", "bot_token"):
            if data[name] or not self.installed:
                changes[name] = data[name]
        return changes
