"""The agents' new-case form (the account and contact forms and pickers: `crm.forms`).

The form only parses what the browser sent; whether a value is acceptable for the tenant
(a subcategory of its category, a required custom field, a contact of the chosen account) is
decided by the services, whose refusals `add_domain_error` puts on the matching field.
"""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.http import QueryDict

from casedesk.cases.creation import CaseInput
from casedesk.cases.customfields import FieldKind
from casedesk.cases.models import CustomFieldDefinition, PicklistKind, PicklistValue, Source
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.forms import CUSTOM_PREFIX, add_domain_error
from casedesk.core.priority import PRIORITY_CHOICES, Priority
from casedesk.crm.forms import picker_id_field
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import members_of

# Agents mostly log calls and chats; the channels that create cases by themselves come last.
SOURCE_CHOICES = [(s, s.capitalize()) for s in ("phone", "chat", "email", "web", "portal",
                                                "slack", "api")]
SOURCE_CHOICES[-1] = ("api", "API")


def _choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    """A form field that parses a custom field's value; the service decides if it is
    acceptable (required, among the choices)."""
    common: dict[str, Any] = {"label": definition.label, "required": False,
                              "help_text": definition.help_text}
    attrs = {"required": True} if definition.required else {}
    if definition.kind == FieldKind.NUMBER:
        return forms.DecimalField(**common, widget=forms.NumberInput(attrs={**attrs,
                                                                            "step": "any"}))
    if definition.kind == FieldKind.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={**attrs,
                                                                       "type": "date"}))
    if definition.kind == FieldKind.PICKLIST:
        return forms.ChoiceField(**common, widget=forms.Select(attrs=attrs),
                                 choices=[("", "—")] + [(c, c) for c in definition.choices])
    if definition.kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    return forms.CharField(**common, max_length=10_000, widget=forms.TextInput(attrs=attrs))


class CaseNewForm(forms.Form):
    """A case an agent takes in by phone, chat or at the desk."""

    subject = forms.CharField(max_length=255)
    description = forms.CharField(required=False, max_length=200_000,
                                  widget=forms.Textarea(attrs={"rows": 7}))
    source = forms.ChoiceField(choices=SOURCE_CHOICES, initial=Source.PHONE.value)
    priority = forms.ChoiceField(choices=PRIORITY_CHOICES, initial=Priority.NORMAL.label)
    type = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    subcategory = forms.ChoiceField(required=False)
    queue = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False, initial="me")
    account = picker_id_field("Account")
    contact = picker_id_field("Contact")
    tags = forms.CharField(required=False, max_length=2_000,
                           help_text="Separate tags with commas.")
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": "This form is missing its one-time key; reload the page.",
        "invalid": "This form's one-time key is damaged; reload the page."})

    SERVICE_FIELDS = {"account_id": "account", "contact_id": "contact", "queue_id": "queue",
                      "owner_id": "owner"}

    def __init__(self, data: Any = None, *, membership: Membership,
                 initial: dict[str, Any] | None = None) -> None:
        initial = {"idempotency_key": uuid.uuid4(), **(initial or {})}
        super().__init__(data, initial=initial)
        self.membership = membership
        tenant_id = membership.tenant_id
        picklists: dict[str, list[tuple[str, str]]] = {"type": [], "category": []}
        subcategories: dict[str, list[tuple[str, str]]] = {}
        for kind, parent, value in PicklistValue.objects.filter(
            tenant_id=tenant_id, is_active=True,
            kind__in=[PicklistKind.TYPE, PicklistKind.CATEGORY, PicklistKind.SUBCATEGORY],
        ).order_by("position", "value").values_list("kind", "parent", "value"):
            if kind == PicklistKind.SUBCATEGORY:
                subcategories.setdefault(parent, []).append((value, value))
            else:
                picklists[kind].append((value, value))
        _choices(self, "type", [("", "—"), *picklists["type"]])
        _choices(self, "category", [("", "—"), *picklists["category"]])
        _choices(self, "subcategory", [("", "—")] + [
            (category, subcategories[category]) for category, _ in picklists["category"]
            if category in subcategories])
        # An empty queue lets routing (rules, then the fallback map) choose one, unless the
        # case is given to someone or the tenant has routing off.
        no_queue = "Let routing decide" if membership.tenant.routing_enabled else "No queue"
        _choices(self, "queue", [("", no_queue)] + [
            (str(pk), name) for pk, name in Queue.objects.filter(
                tenant_id=tenant_id, is_active=True).order_by("name").values_list("pk", "name")])
        members = members_of(tenant_id).exclude(user_id=membership.user_id)
        _choices(self, "owner", [
            ("me", f"Me ({membership.user.display_name})"), ("", "Unassigned")] + [
            (str(m.user_id), m.user.display_name) for m in members])
        self.custom_definitions = list(CustomFieldDefinition.objects.filter(
            tenant_id=tenant_id, is_active=True, show_on_new_case=True)
            .order_by("position", "key"))
        for definition in self.custom_definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = _custom_field(definition)

    def custom_bound_fields(self) -> list[tuple[CustomFieldDefinition, forms.BoundField]]:
        return [(d, self[CUSTOM_PREFIX + d.key]) for d in self.custom_definitions]

    def one_time_key(self) -> str:
        return f"console-{self.cleaned_data['idempotency_key']}"

    def case_input(self) -> CaseInput:
        data = self.cleaned_data
        owner = data["owner"]
        custom: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = data.get(CUSTOM_PREFIX + definition.key)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, date):
                value = value.isoformat()
            custom[definition.key] = value
        return CaseInput(
            subject=data["subject"],
            description=data["description"],
            priority=Priority.from_name(data["priority"]),
            type=data["type"],
            category=data["category"],
            subcategory=data["subcategory"],
            source=data["source"],
            account_id=data["account"],
            contact_id=data["contact"],
            queue_id=int(data["queue"]) if data["queue"] else None,
            owner_id=(self.membership.user_id if owner == "me"
                      else int(owner) if owner else None),
            tags=[t for t in (part.strip() for part in data["tags"].split(",")) if t],
            custom_fields=custom,
        )

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Invalid) and error.field == "Idempotency-Key":
            # The key made a different case already (the form was sent, changed, and sent
            # again): a new key lets the agent create this one on purpose.
            data = cast(QueryDict, self.data).copy()
            data["idempotency_key"] = str(uuid.uuid4())
            self.data = data
            self.add_error(None, "This form was submitted already and made a case. Submit "
                                 "again to create another case with these details.")
            return
        add_domain_error(self, error, self.SERVICE_FIELDS)
