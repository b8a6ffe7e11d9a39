"""The page forms and the routing API's schemas take a text column's limit from the model field
that defines the column (`core.limits.max_length`, `core.schemas.fits`), never a number of
their own: a column made longer or shorter changes what they accept with it."""

from typing import Any

import pytest
from django import forms
from django.db import models

from casedesk.core.limits import column_limits
from casedesk.crm.forms import AccountForm, ContactForm
from casedesk.crm.models import Account, Contact
from casedesk.mail.forms import MailboxForm, MailSettingsForm
from casedesk.mail.models import Mailbox
from casedesk.routing.api import PreviewIn, RuleIn, RulePatch, SkillRequirementIn
from casedesk.routing.forms import SkillRowForm
from casedesk.routing.models import RoutingRule, SkillRequirement
from casedesk.sla.forms import CalendarForm, HolidayForm
from casedesk.sla.models import BusinessCalendar, Holiday
from casedesk.tenancy.models import Tenant
from tests.conftest import login

# (form, its field) → (model, the column it fills)
FORM_COLUMNS: list[tuple[type[forms.Form], str, type[models.Model], str]] = [
    *((AccountForm, name, Account, name)
      for name in ("name", "domain", "tier", "segment", "territory")),
    *((ContactForm, name, Contact, name) for name in ("name", "email", "phone")),
    *((MailboxForm, name, Mailbox, name)
      for name in ("name", "host", "username", "password", "folder", "move_to")),
    *((MailSettingsForm, name, Tenant, name)
      for name in ("mail_address", "mail_from", "mail_from_name", "mail_authserv_ids")),
    # Text the service checks whole is cut (`clip`) only where the column ends anyway.
    (CalendarForm, "time_zone", BusinessCalendar, "time_zone"),
    (HolidayForm, "name", Holiday, "name"),
    (SkillRowForm, "category", SkillRequirement, "category"),
    (SkillRowForm, "subcategory", SkillRequirement, "subcategory"),
]


def limit_of(field: forms.Field) -> Any:
    return getattr(field, "clip", None) or getattr(field, "max_length", None)


@pytest.mark.parametrize(("form", "name", "model", "column"), FORM_COLUMNS,
                         ids=[f"{f.__name__}.{n}" for f, n, _, _ in FORM_COLUMNS])
def test_a_form_field_takes_its_columns_limit(form, name, model, column) -> None:
    assert limit_of(form.base_fields[name]) == column_limits(model, column)["max_length"]


# (schema, its field) → (model, the column it fills)
SCHEMA_COLUMNS: list[tuple[Any, str, type[models.Model], str]] = [
    (RuleIn, "name", RoutingRule, "name"),
    (RulePatch, "name", RoutingRule, "name"),
    (PreviewIn, "name", RoutingRule, "name"),
    (SkillRequirementIn, "category", SkillRequirement, "category"),
    (SkillRequirementIn, "subcategory", SkillRequirement, "subcategory"),
]


def schema_max_length(schema: Any, name: str) -> int:
    found = schema.model_json_schema()["properties"][name]
    branches = [found, *found.get("anyOf", [])]
    return next(b["maxLength"] for b in branches if "maxLength" in b)


@pytest.mark.parametrize(("schema", "name", "model", "column"), SCHEMA_COLUMNS,
                         ids=[f"{s.__name__}.{n}" for s, n, _, _ in SCHEMA_COLUMNS])
def test_a_routing_schema_takes_its_columns_limit(schema, name, model, column) -> None:
    assert schema_max_length(schema, name) == column_limits(model, column)["max_length"]


def test_the_pages_tell_the_browser_the_columns_limits(tenant, admin) -> None:
    client = login(admin)
    for path, name, limit in (
        ("/accounts/new", "territory", column_limits(Account, "territory")["max_length"]),
        ("/contacts/new", "phone", column_limits(Contact, "phone")["max_length"]),
        ("/mail/mailboxes/new", "folder", column_limits(Mailbox, "folder")["max_length"]),
        ("/mail/settings", "mail_from_name",
         column_limits(Tenant, "mail_from_name")["max_length"]),
    ):
        page = client.get(path).content.decode()
        tag = page.split(f'name="{name}"', 1)[1].split(">", 1)[0]
        assert f'maxlength="{limit}"' in tag, (path, tag)
