"""The one way pages build forms: a Django form parses what the browser sent (repeated rows
are a formset), a service decides whether it is acceptable, and the service's refusal lands
on the field it names."""

from django import forms

from casedesk.core.errors import DomainError

# Custom fields are `cf_<key>` on a form and `custom_fields.<key>` in a service's refusal.
CUSTOM_PREFIX = "cf_"


def add_domain_error(form: forms.Form, error: DomainError,
                     fields: dict[str, str] | None = None) -> None:
    """Shows a service's refusal on the form field it names, else above the form.

    `fields` maps the service's field names (e.g. `contact_id`) to the form's; custom fields
    (`custom_fields.<key>`) go to `cf_<key>`.
    """
    name = getattr(error, "field", None) or ""
    target = (fields or {}).get(name, name)
    if name.startswith("custom_fields."):
        target = CUSTOM_PREFIX + name.removeprefix("custom_fields.")
    if target in form.fields:
        form.add_error(target, error.detail)
    else:
        form.add_error(None, error.detail)
