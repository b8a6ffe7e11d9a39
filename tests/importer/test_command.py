"""`casedesk import`: the sample exports from the command line, dry runs, and clear refusals
with a non-zero exit."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from casedesk.cases.models import Case
from casedesk.tenancy.models import Tenant
from tests.importer.helpers import FILES, SAMPLES, define_fields


def paths(format: str) -> list[str]:
    return [str(SAMPLES / format / name) for name in FILES[format]]


def call(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def fields(tenant: Tenant) -> Tenant:
    define_fields(tenant)
    return tenant


def test_import_then_again_changes_nothing(fields: Tenant) -> None:
    mapping = str(SAMPLES / "salesforce" / "mapping.json")
    out, _ = call("--tenant", "acme", "--format", "salesforce", "--mapping", mapping,
                  *paths("salesforce"))
    assert "cases: 3 created, 0 updated, 0 unchanged" in out
    out, _ = call("--tenant", "acme", "--format", "salesforce", "--mapping", mapping,
                  *paths("salesforce"))
    assert "cases: 0 created, 0 updated, 3 unchanged" in out
    assert Case.objects.filter(tenant=fields).count() == 3


def test_dry_run_writes_nothing(fields: Tenant) -> None:
    out, _ = call("--tenant", "acme", "--format", "freshdesk", "--dry-run",
                  *paths("freshdesk"))
    assert "cases: 4 would be created" in out and "Dry run: nothing was written." in out
    assert not Case.objects.filter(tenant=fields).exists()


def test_refused_rows_exit_non_zero_with_their_lines(fields: Tenant, tmp_path: Path) -> None:
    broken = tmp_path / "tickets.csv"
    broken.write_text((SAMPLES / "freshdesk" / "tickets.csv").read_text()
                      .replace('"High","Email"', '"Sky-high","Email"'))
    with pytest.raises(CommandError, match="1 row refused: nothing was imported"):
        out, err = StringIO(), StringIO()
        try:
            call_command("import", "--tenant", "acme", "--format", "freshdesk", str(broken),
                         stdout=out, stderr=err)
        finally:
            assert "tickets.csv line 2: Unknown priority 'Sky-high'" in err.getvalue()
    assert not Case.objects.filter(tenant=fields).exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--tenant", "nope", "--format", "csv"], "No tenant with the slug 'nope'"),
    (["--tenant", "acme", "--format", "csv", "--mapping", "/nonexistent.json"],
     "no such mapping file"),
])
def test_bad_arguments_are_refused(tenant: Tenant, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call(*args, *paths("csv"))


def test_a_missing_file_or_bad_mapping_is_refused(tenant: Tenant, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call("--tenant", "acme", "--format", "csv", str(tmp_path / "missing.csv"))
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"columns": {"colour": "Colour"}}')
    with pytest.raises(CommandError, match="'colour' is not a field an import fills"):
        call("--tenant", "acme", "--format", "csv", "--mapping", str(mapping), *paths("csv"))


def test_a_csv_without_the_needed_columns_is_refused(tenant: Tenant, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Colour,Size\nred,10\n")
    with pytest.raises(CommandError, match="1 row refused"):
        call("--tenant", "acme", "--format", "csv", str(odd))



def test_a_dry_run_with_refused_rows_exits_non_zero(tenant: Tenant) -> None:
    # No `plan` custom field in this tenant: the tickets that carry it are refused.
    with pytest.raises(CommandError, match="2 rows would be refused"):
        call("--tenant", "acme", "--format", "zendesk", "--dry-run", *paths("zendesk"))
