"""The webhook endpoint form: what the browser sent, as the values `automation.webhooks`
takes. It checks the shape only; whether the URL may be reached is the service's to decide,
and its refusal lands on the field through `core.forms.add_domain_error`."""

from typing import Any

from django import forms

from casedesk.automation.models import PayloadFormat, WebhookEndpoint
from casedesk.automation.webhooks import EVENTS, SUBSCRIBABLE, EndpointInput
from casedesk.core.limits import max_length


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=max_length(WebhookEndpoint, "name"),
                           help_text="e.g. Ops Slack channel")
    # A plain text field: the service says why a URL is refused (scheme, address, DNS).
    url = forms.CharField(label="URL", max_length=max_length(WebhookEndpoint, "url"),
                          help_text="http:// or https://. For Slack, paste the incoming-webhook "
                                    "URL and choose the Slack format.")
    events = forms.MultipleChoiceField(
        choices=[(name, EVENTS[name]) for name in SUBSCRIBABLE], required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A rule's “post a webhook” action posts to the endpoint whatever is ticked.")
    payload_format = forms.ChoiceField(label="Format", choices=PayloadFormat.choices,
                                       initial=PayloadFormat.JSON)
    is_enabled = forms.BooleanField(label="On: events are posted to it", required=False,
                                    initial=True)

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint) -> "EndpointForm":
        return cls(initial={"name": endpoint.name, "url": endpoint.url,
                            "events": list(endpoint.events),
                            "payload_format": endpoint.payload_format,
                            "is_enabled": endpoint.is_enabled})

    def values(self) -> EndpointInput:
        data: dict[str, Any] = self.cleaned_data
        return EndpointInput(name=data["name"], url=data["url"], events=list(data["events"]),
                             payload_format=data["payload_format"],
                             is_enabled=data["is_enabled"])

    def changes(self) -> dict[str, Any]:
        values = self.values()
        return {"name": values.name, "url": values.url, "events": values.events,
                "payload_format": values.payload_format, "is_enabled": values.is_enabled}
