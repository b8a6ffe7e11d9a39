"""factory-boy factories for tenant-owned records (pass `tenant=`)."""

from datetime import UTC, datetime
from typing import Any

import factory

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case
from casedesk.crm.models import Account, Contact, Deal


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    domain = factory.Sequence(lambda n: f"account{n}.example")
    tier = "Standard"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")


def make_case(tenant: Any, *, actor: Any = None, now: datetime | None = None,
              **fields: Any) -> Case:
    """A case made the way every channel makes one: through `case_create`."""
    fields.setdefault("subject", "Cannot log in")
    case, _ = case_create(tenant=tenant, actor=actor, data=CaseInput(**fields),
                          now=now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return case
