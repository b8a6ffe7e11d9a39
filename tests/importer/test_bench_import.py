"""The import benchmark (bench/imports.py) end to end at a small scale on the test
database: the generated export imports whole, and a second run changes nothing."""

import pytest
from bench import imports
from bench.database import Database
from bench.results import Report

from casedesk.cases.models import Case, Note
from casedesk.tenancy.models import Tenant


@pytest.mark.django_db
def test_the_import_bench_runs_at_a_small_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "USERS", 60)
    monkeypatch.setattr(imports, "ORGANIZATIONS", 10)
    report = Report()
    result = imports.run_import(report, Database(url="", vendor="sqlite", origin="test"),
                                tickets=120)
    tenant = Tenant.objects.get(slug=imports.SLUG)
    assert Case.objects.filter(tenant=tenant).count() == 120
    assert Note.objects.filter(tenant=tenant).count() == result.comments
    assert [f.name for f in report.figures] == ["import_rate", "import_rerun_rate"]
    assert result.cases_per_s > 0
