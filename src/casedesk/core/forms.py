"""The one way pages build forms: a Django form parses what the browser sent (repeated rows
are a formset), a service decides whether it is acceptable, and the service's refusal lands
on the field it names."""

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT

from casedesk.core.errors import DomainError


class NumberedRows[F: forms.Form](forms.BaseFormSet[F]):
    """Repeated rows as the pages send them: numbered in their input names only
    (`<prefix>-<n>-<field>`, whatever the numbers), without Django's management form. The
    rows are those that sent their first field, in the order of their numbers, up to
    `max_num`; they are handed to the forms numbered from 0, and each is cleaned, an empty
    one too (what an empty row means is the page's to say).

    A subclass names its `form` and `max_num` (and `absolute_max`, the same)."""

    extra = 0
    min_num = 0
    can_order = can_delete = validate_min = validate_max = False
    can_delete_extra = True
    renderer = None  # the project's default

    def __init__(self, data: Mapping[str, Any] | None = None, *, prefix: str | None = None,
                 **kwargs: Any) -> None:
        prefix = prefix or self.get_default_prefix()
        super().__init__(None if data is None else self._numbered(data, prefix),
                         prefix=prefix, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "empty_permitted": False}

    def _numbered(self, data: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        names = list(self.form.base_fields)
        sent = re.compile(rf"^{re.escape(prefix)}-(\d{{1,3}})-{re.escape(names[0])}$")
        numbers = sorted({int(m.group(1)) for key in data if (m := sent.match(key))})
        numbers = numbers[:self.max_num]
        rows: dict[str, Any] = {f"{prefix}-{TOTAL_FORM_COUNT}": len(numbers),
                                f"{prefix}-{INITIAL_FORM_COUNT}": 0}
        for row, number in enumerate(numbers):
            for name in names:
                if (key := f"{prefix}-{number}-{name}") in data:
                    rows[f"{prefix}-{row}-{name}"] = data.get(key)
        return rows


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
