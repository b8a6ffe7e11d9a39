"""Retention jobs racing on PostgreSQL: every due case is anonymised exactly once, whichever
worker takes it (SKIP LOCKED batches, one AnonymisedCase row per case)."""

from datetime import timedelta

import pytest
from django.db import connection

from casedesk.cases.models import Case, Note
from casedesk.ops.provisioning import tenant_create
from casedesk.privacy.models import AnonymisedCase
from casedesk.privacy.retention import REMOVED, tenant_retention_apply
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.cases.test_concurrency import _race
from tests.conftest import NOW, postgres_only
from tests.factories import make_case

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
CASES = 40


def test_racing_retention_jobs_anonymise_each_case_once() -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="retrace", name="Retention race", admin_email="a@ret.test")
    Tenant.objects.filter(pk=tenant.pk).update(retention_months=6)
    tenant.refresh_from_db()
    old = NOW - timedelta(days=400)
    cases = [make_case(tenant, now=old, subject=f"Old {i}") for i in range(CASES)]
    # A closed past, set directly: the race is about the job, not about closing.
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(status="closed", closed_at=old)
    Note.objects.bulk_create([
        Note(tenant=tenant, case=c, body="Please call me back.", is_public=True,
             author_email=f"c{c.pk}@ret.example", author_name="Cus Tomer", created_at=old)
        for c in cases])
    reports = _race(lambda i: tenant_retention_apply(tenant=tenant, now=NOW, batch=5))
    assert not [r for r in reports if isinstance(r, BaseException)], reports
    assert sum(r.cases for r in reports) == CASES
    assert AnonymisedCase.objects.filter(tenant=tenant).count() == CASES
    assert set(Note.objects.filter(tenant=tenant, author__isnull=True)
               .values_list("body", flat=True)) == {REMOVED}
    audited = AuditEntry.objects.filter(tenant=tenant, action="retention.applied")
    assert sum(e.detail["cases"] for e in audited) == CASES
