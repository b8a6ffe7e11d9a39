"""The tests' tenants are copies (`tests/tenant_template.py`): a copy must be the tenant
`tenant_create` makes, row for row, or every test that starts from one tests something else."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from casedesk.core.errors import Conflict
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Membership, Tenant, User
from casedesk.tenancy.services import user_get_or_create
from tests.conftest import NOW, Clock
from tests.factories import make_case
from tests.tenant_template import tenant_copy

ACME = {"slug": "acme", "name": "Acme Support", "admin_email": "admin@acme.test",
        "admin_password": "pw-admin-123"}


def rows_written(make: Callable[[], Tenant]) -> dict[str, list[dict[str, Any]]]:
    """Every row `make()` writes (then rolled back), table by table in id order: ids as their
    rank among the rows written, moments as `NOW` or `just now`, a password as whether it
    checks."""
    tables = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed]
    before = {m: set(m._base_manager.values_list("pk", flat=True)) for m in tables}
    with transaction.atomic():
        make()
        written = {m: list(m._base_manager.exclude(pk__in=before[m]).order_by("pk"))
                   for m in tables}
        transaction.set_rollback(True)
    rank = {(m, obj.pk): i for m, objs in written.items() for i, obj in enumerate(objs)}
    wall = timezone.now()
    return {m._meta.label: [{f.attname: _plain(f, getattr(obj, f.attname), rank, wall, obj)
                             for f in m._meta.concrete_fields}
                            for obj in objs]
            for m, objs in written.items() if objs}


def _plain(field: models.Field[Any, Any], value: Any, rank: dict[tuple[Any, Any], int],
           wall: datetime, obj: Any) -> Any:
    if field.primary_key:
        return ("row", rank[type(obj), value])
    if field.is_relation and (field.related_model, value) in rank:
        return ("row", field.related_model._meta.label,  # type: ignore[union-attr]
                rank[field.related_model, value])
    if field.attname == "password" and isinstance(obj, User):
        return obj.check_password(ACME["admin_password"])
    if isinstance(value, datetime):
        return "NOW" if value == NOW else "just now" if abs(wall - value) < timedelta(
            minutes=1) else value
    return value


def test_a_copy_is_the_tenant_tenant_create_makes(db: Any, clock: Clock) -> None:
    made = rows_written(lambda: tenant_create(**ACME))
    assert {"tenancy.Tenant", "tenancy.User", "tenancy.Membership", "routing.Queue",
            "sla.SlaPolicy", "cases.PicklistValue"} <= set(made)
    assert rows_written(lambda: tenant_copy(**ACME)) == made
    assert rows_written(lambda: tenant_copy(**ACME)) == made  # the second copy, too


def test_a_copy_numbers_its_cases_from_one(db: Any) -> None:
    first = make_case(tenant_copy(**ACME))
    other = make_case(tenant_copy(slug="globex", name="Globex", admin_email="a@globex.test"))
    assert (first.number, other.number) == (1, 1)


def test_a_copy_refuses_a_slug_in_use_as_tenant_create_does(db: Any) -> None:
    tenant_copy(**ACME)
    with pytest.raises(Conflict):
        tenant_copy(**ACME)


def test_a_copy_makes_a_known_person_its_admin_as_tenant_create_does(db: Any) -> None:
    user = user_get_or_create(email="admin@acme.test", full_name="Ada Admin", password="x")
    tenant = tenant_copy(**ACME)
    assert Membership.objects.get(tenant=tenant).user_id == user.pk
    assert User.objects.filter(email="admin@acme.test").count() == 1
