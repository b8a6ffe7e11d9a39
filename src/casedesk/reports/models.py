"""Reports tables: the per-case facts the scorecard reads (the rollup), the cases whose facts
wait to be refreshed, and the stored monthly SLA compliance reports."""

from django.db import models
from django.db.models import Q

from casedesk.core.models import TenantScoped


class Outcome(models.TextChoices):
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    PENDING = "pending", "Pending"


class CaseFact(models.Model):
    """One case as the reports count it, kept up to date by `rollup.facts_refresh`.

    The columns are what the figures need and nothing else: the case's dimensions (plain ids,
    so no foreign key here ever blocks or cascades a change elsewhere), its moments, and what
    is derived from more than the case row (business-hours durations, SLA outcomes, agent
    replies, the first claim, the satisfaction answer). The case's deletion takes its facts
    with it. `rollup.facts_rebuild` recomputes every row from scratch; the two must agree."""

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20)
    priority = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=10)
    queue_id = models.BigIntegerField(null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    frt_seconds = models.BigIntegerField(null=True, blank=True)
    frt_business_seconds = models.BigIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.BigIntegerField(null=True, blank=True)
    resolution_business_seconds = models.BigIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the case stopped being open (resolved or closed); None while it is open. The
    # backlog of a past day is read from this and `created_at`.
    left_open_at = models.DateTimeField(null=True, blank=True)
    # Times the case went from resolved or closed back to an open status (the case's own
    # `reopen_count` counts re-openings of closed cases only, the ones its limit is about).
    reopen_count = models.PositiveSmallIntegerField(default=0)
    agent_replies = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_wait_seconds = models.BigIntegerField(null=True, blank=True)
    first_response_outcome = models.CharField(max_length=10, choices=Outcome.choices,
                                              blank=True)
    resolution_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    csat_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_satisfied = models.BooleanField(null=True, blank=True)
    csat_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="fact_created"),
            models.Index(fields=["tenant", "resolved_at"], name="fact_resolved",
                         condition=Q(resolved_at__isnull=False)),
            models.Index(fields=["tenant", "closed_at"], name="fact_closed",
                         condition=Q(closed_at__isnull=False)),
            models.Index(fields=["tenant", "first_response_at"], name="fact_first_response",
                         condition=Q(first_response_at__isnull=False)),
            models.Index(fields=["tenant", "left_open_at"], name="fact_left_open",
                         condition=Q(left_open_at__isnull=False)),
            models.Index(fields=["tenant", "csat_answered_at"], name="fact_csat",
                         condition=Q(csat_answered_at__isnull=False)),
            # Open load now, per agent and per queue.
            models.Index(fields=["tenant", "owner_id"], name="fact_open_owner",
                         condition=Q(left_open_at__isnull=True)),
            models.Index(fields=["tenant", "queue_id"], name="fact_open_queue",
                         condition=Q(left_open_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"facts of case {self.case_id}"


class FactStale(models.Model):
    """A case whose facts are to be refreshed: written in the transaction that changed the
    case (`cases.hooks.cases_touched`), taken and deleted by the refresh job."""

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"stale facts of case {self.case_id}"


class MonthlyCompliance(TenantScoped):
    """A tenant's SLA compliance report for one month of its time zone (`month` is the first
    day), as `compliance.to_json` stores it; re-generating the month replaces it."""

    month = models.DateField()
    data = models.JSONField()
    generated_at = models.DateTimeField()
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "month"],
                                               name="compliance_one_per_month")]
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"SLA compliance {self.month:%Y-%m} of tenant {self.tenant_id}"
