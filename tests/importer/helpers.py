"""Shared by the importer's tests: the sample exports, the tenant's custom field they need,
and a shortcut to run an import through the service."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casedesk.cases.models import CustomFieldDefinition
from casedesk.importer.mapping import Mapping, mapping_load
from casedesk.importer.services import ImportOutcome, import_run
from casedesk.importer.sources import SourceFile
from casedesk.tenancy.models import Tenant

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FILES = {
    "zendesk": ["organizations.json", "users.json", "tickets.json"],
    "freshdesk": ["tickets.csv"],
    "salesforce": ["Account.csv", "Contact.csv", "User.csv", "Case.csv", "CaseComment.csv",
                   "EmailMessage.csv"],
    "csv": ["cases.csv"],
}
MAPPINGS = {"zendesk": "mapping.json", "salesforce": "mapping.json", "csv": "mapping.json"}


def sample_files(format: str) -> list[SourceFile]:
    return [SourceFile(name=name, data=(SAMPLES / format / name).read_bytes())
            for name in FILES[format]]


def sample_mapping(format: str) -> Mapping:
    name = MAPPINGS.get(format)
    return mapping_load((SAMPLES / format / name).read_bytes()) if name else Mapping()


def define_fields(tenant: Tenant) -> None:
    """The custom fields the samples fill: `plan` (Zendesk, Salesforce, CSV via the
    mapping) and `plan_tier` (Freshdesk's "Plan tier" column, by its label)."""
    for key, label in (("plan", "Plan"), ("plan_tier", "Plan tier")):
        CustomFieldDefinition.objects.get_or_create(
            tenant=tenant, key=key, defaults={"label": label, "kind": "text"})


def run(tenant: Tenant, format: str, *, files: list[SourceFile] | None = None,
        **options: Any) -> ImportOutcome:
    options.setdefault("mapping", sample_mapping(format))
    options.setdefault("now", NOW)
    return import_run(tenant=tenant, actor=None, format=format,
                      files=files if files is not None else sample_files(format), **options)
