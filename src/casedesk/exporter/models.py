"""Full tenant exports: the job an admin asks for and the worker builds."""

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJob(TenantScoped):
    """One full export of a tenant: a zip archive in Django's storage.

    The worker claims a queued job (or a running one whose lease ran out: its worker died)
    by moving its lease forward in one conditional update, so two workers never build the
    same job at once; the archive is written under a name of its own and set on the job only
    when complete. Archives expire `EXPORT_KEEP_DAYS` after they were made (`jobs`).
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    step = models.CharField(max_length=100, blank=True, help_text="What it is writing now.")
    file = models.FileField(upload_to="exports/", max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="export_job_tenant"),
            # The worker's safety net: jobs waiting or running, by lease.
            models.Index(fields=["status", "lease_until"], name="export_job_due",
                         condition=models.Q(status__in=["queued", "running"])),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Export {self.pk} of tenant {self.tenant_id} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file)

    @property
    def is_pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
