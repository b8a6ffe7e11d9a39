"""What assist keeps: each tenant's trained triage models, versioned."""

from django.db import models

from casedesk.tenancy.models import Tenant


class TriageModel(models.Model):
    """One training run's result for a tenant. The newest `usable` version is the one that
    predicts; older versions stay for the admin's history (and are pruned by the trainer)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField()
    # How the run was started: `schedule`, `command`, `web` or `api`.
    trigger = models.CharField(max_length=20)
    trained_on = models.PositiveIntegerField(help_text="cases the model learned from")
    held_out = models.PositiveIntegerField(help_text="cases kept back to measure it")
    # {target: {"accuracy": float, "baseline": float, "classes": int, "usable": bool}}
    scores = models.JSONField(default=dict)
    usable = models.BooleanField(default=False)
    # Why a run made no usable model (too little history, ...); empty when usable.
    reason = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # The fitted estimators, serialised by assist/triage.py; empty for an unusable run.
    blob = models.BinaryField(default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "version"],
                                               name="assist_triage_version_unique")]
        indexes = [models.Index(fields=["tenant", "-version"], name="assist_triage_latest")]

    def __str__(self) -> str:
        return f"triage model v{self.version} of tenant {self.tenant_id}"
