"""The CRM's forms (account, contact) and the account and contact pickers that any form with
an account or contact field draws (the contact form here, the console's new-case form).

The forms only parse what the browser sent; whether a value is acceptable for the tenant (an
account of this tenant, an email no other contact has) is decided by the services, whose
refusals `add_domain_error` puts on the matching field.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.urls import reverse

from casedesk.core.errors import Conflict, DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.limits import max_length
from casedesk.core.schemas import MAX_ID
from casedesk.crm import selectors
from casedesk.crm.models import Account, Contact
from casedesk.tenancy.models import Membership

PICKER_FALLBACK_SIZE = 200
_DOMAIN = re.compile(r"^[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff.-]*[a-z0-9\u00a1-\uffff])?$")


def picker_id_field(label: str) -> forms.IntegerField:
    """The form field behind a record picker: the chosen record's id."""
    return forms.IntegerField(label=label, required=False, min_value=1, max_value=MAX_ID,
                              error_messages={"invalid": "Choose from the list."})


@dataclass
class Picker:
    """What the picker partial needs to draw a record picker: a search box enhanced by htmx
    over a plain select of the first records, which is what works without JavaScript."""

    name: str
    label: str
    url: str
    value: int | None
    text: str
    options: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    account_id: int | None = None
    placeholder: str = ""


def contact_label(contact: Contact) -> str:
    label = f"{contact.name} <{contact.email}>" if contact.name else contact.email
    return f"{label} · {contact.account.name}" if contact.account is not None else label


def _raw_id(form: forms.Form, name: str) -> int | None:
    """The id the form holds for `name`: the submitted one, else the initial one."""
    raw = form[name].value()
    text = str(raw).strip() if raw is not None else ""
    return int(text) if text.isdecimal() and 0 < int(text) <= MAX_ID else None


def _errors_of(form: forms.Form, name: str) -> list[str]:
    return [str(e) for e in form.errors.get(name, [])] if form.is_bound else []


def record_pickers(form: forms.Form, membership: Membership, *, contact: bool = True
                   ) -> dict[str, Picker]:
    """The account (and contact) pickers of `form`, with the chosen records' labels."""
    tenant = membership.tenant
    account_id = _raw_id(form, "account")
    accounts = selectors.accounts_by_id(tenant, [account_id] if account_id else [])
    options = [(a.pk, a.name) for a in selectors.account_choices(
        tenant, limit=PICKER_FALLBACK_SIZE)]
    chosen = accounts.get(account_id) if account_id else None
    if chosen is not None and all(pk != chosen.pk for pk, _ in options):
        options.insert(0, (chosen.pk, chosen.name))
    pickers = {"account": Picker(
        name="account", label="Account", url=reverse("crm:pick_account"),
        value=account_id, text=chosen.name if chosen else "", options=options,
        errors=_errors_of(form, "account"),
        placeholder="Search accounts by name or domain…")}
    if contact:
        contact_id = _raw_id(form, "contact")
        contacts = selectors.contacts_by_id(tenant, [contact_id] if contact_id else [])
        picked = contacts.get(contact_id) if contact_id else None
        contact_options = [(c.pk, contact_label(c)) for c in selectors.contact_choices(
            tenant, limit=PICKER_FALLBACK_SIZE)]
        if picked is not None and all(pk != picked.pk for pk, _ in contact_options):
            contact_options.insert(0, (picked.pk, contact_label(picked)))
        pickers["contact"] = Picker(
            name="contact", label="Contact", url=reverse("crm:pick_contact"),
            value=contact_id, text=(picked.name or picked.email) if picked else "",
            options=contact_options, account_id=picked.account_id if picked else None,
            errors=_errors_of(form, "contact"),
            placeholder="Search contacts by name or email…")
    return pickers


class AccountForm(forms.Form):
    name = forms.CharField(max_length=max_length(Account, "name"))
    domain = forms.CharField(max_length=max_length(Account, "domain"), required=False,
                             help_text="The customer's email domain, e.g. example.com")
    tier = forms.CharField(max_length=max_length(Account, "tier"), required=False,
                           help_text="e.g. Enterprise, SMB",
                           widget=forms.TextInput(attrs={"list": "tier-values"}))
    segment = forms.CharField(max_length=max_length(Account, "segment"), required=False,
                              widget=forms.TextInput(attrs={"list": "segment-values"}))
    territory = forms.CharField(max_length=max_length(Account, "territory"), required=False,
                                widget=forms.TextInput(attrs={"list": "territory-values"}))

    @classmethod
    def for_account(cls, account: Account) -> "AccountForm":
        return cls(initial={f: getattr(account, f) for f in cls.base_fields})

    def clean_domain(self) -> str:
        domain: str = self.cleaned_data["domain"].strip().lower()
        domain = re.sub(r"^[a-z]+://", "", domain).split("/", 1)[0].removeprefix("www.")
        if domain and not _DOMAIN.match(domain):
            raise forms.ValidationError("Enter a domain such as example.com.")
        return domain

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}

    def add_domain_error(self, error: DomainError) -> None:
        add_domain_error(self, error)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=max_length(Contact, "name"), required=False)
    email = forms.EmailField(max_length=max_length(Contact, "email"))
    phone = forms.CharField(max_length=max_length(Contact, "phone"), required=False)
    account = picker_id_field("Account")
    is_portal_admin = forms.BooleanField(
        required=False, label="Portal admin of the account",
        help_text="Sees all of the account's cases in the customers' portal, not only their own.")

    SERVICE_FIELDS = {"account_id": "account"}

    @classmethod
    def for_contact(cls, contact: Contact) -> "ContactForm":
        return cls(initial={"name": contact.name, "email": contact.email,
                            "phone": contact.phone, "account": contact.account_id,
                            "is_portal_admin": contact.is_portal_admin})

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"].strip(), "email": data["email"],
                "phone": data["phone"].strip(), "account_id": data["account"],
                "is_portal_admin": data["is_portal_admin"]}

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Conflict):
            self.add_error("email", error.detail)  # the only unique field of a contact
        else:
            add_domain_error(self, error, self.SERVICE_FIELDS)
