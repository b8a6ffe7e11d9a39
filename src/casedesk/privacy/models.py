"""What privacy keeps: each erasure of a person (never their data), and which cases the
retention job has anonymised, so each is done once."""

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class ErasureReason(models.TextChoices):
    REQUEST = "request", "Erasure request"
    RETENTION = "retention", "Retention period over"


class Erasure(TenantScoped):
    """One erasure of a contact: who asked, when, which way, and how many rows of each kind
    were removed or replaced. The contact is named by its id only (the row stays, anonymised),
    so this record can never be read back into the person it was about."""

    contact_id_erased = models.BigIntegerField(db_index=True)
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    via = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=10, choices=ErasureReason.choices,
                              default=ErasureReason.REQUEST)
    counts = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "-at"], name="erasure_tenant_at")]

    def __str__(self) -> str:
        return f"Erasure of contact {self.contact_id_erased}"


class AnonymisedCase(models.Model):
    """A closed case whose personal data the retention job removed; its presence is what
    keeps the job from doing a case twice."""

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "at"], name="anonymised_tenant_at")]

    def __str__(self) -> str:
        return f"Case {self.case_id} anonymised"
