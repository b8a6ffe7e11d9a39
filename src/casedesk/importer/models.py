"""What the importer remembers: which record of the old desk became which object here, and
the imports admins start from the settings page."""

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class ImportFormat(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk (JSON export)"
    FRESHDESK = "freshdesk", "Freshdesk (ticket export CSV)"
    SALESFORCE = "salesforce", "Salesforce (Data Export CSVs)"
    CSV = "csv", "CSV (any columns, mapped)"


class ImportKind(models.TextChoices):
    ACCOUNT = "account"
    CONTACT = "contact"
    CASE = "case"
    NOTE = "note"


class ImportRecord(TenantScoped):
    """One record of another desk (`source`, `kind`, its id there) and the object it became
    here, with a digest of what was imported: a re-run of the same export finds every record
    here with the same digest and changes nothing."""

    source = models.CharField(max_length=20, choices=ImportFormat.choices)
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    external_id = models.CharField(max_length=255)
    object_id = models.PositiveBigIntegerField()
    digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source", "kind", "external_id"],
                                    name="import_record_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id} → {self.object_id}"


class JobStatus(models.TextChoices):
    CHECKED = "checked", "Checked (dry run)"
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(TenantScoped):
    """An import an admin started on the settings page: the uploaded files (in Django's
    storage), the format and mapping, the dry run's findings, then the worker's progress and
    summary. The worker claims a job by its lease (`lease_until`), so a worker killed mid-run
    leaves a job another worker takes up again (the import is idempotent)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    # [{"name": the uploaded file's name, "path": its name in the storage}]
    files = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    skip_invalid = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices,
                              default=JobStatus.CHECKED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # {"created": n, "updated": n, "unchanged": n, "errors": n} by kind, as the summary shows.
    counts = models.JSONField(default=dict, blank=True)
    # The rows refused: [{"where": "Case.csv line 12", "message": ...}], the first few hundred.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="import_job_recent"),
            models.Index(fields=["status", "lease_until"], name="import_job_due",
                         condition=models.Q(status__in=["queued", "running"])),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.format}, {self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
