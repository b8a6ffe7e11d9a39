"""SLA policies, business-hours calendars and holidays, and the pauses of a case's clocks."""

from django.db import models

from casedesk.core.models import TenantScoped


class BusinessCalendar(TenantScoped):
    """A weekly schedule in a time zone, with holidays. `week` maps "mon" … "sun" to a list
    of ["HH:MM", "HH:MM"] shifts; a shift whose end is not after its start runs overnight."""

    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="UTC")
    week = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="calendar_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Holiday(TenantScoped):
    """A day or a range of days (inclusive) on which a calendar has no business hours."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE,
                                 related_name="holidays")
    name = models.CharField(max_length=200, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on}–{self.ends_on})"


class SlaPolicy(TenantScoped):
    """Targets for the cases its conditions match (same shape as routing conditions); the
    first enabled policy in order that matches a case applies to it."""

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=list, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="policies",
                                 help_text="Business hours for the targets kept in business "
                                           "hours; none means round the clock.")
    first_response_minutes = models.PositiveIntegerField()
    first_response_business = models.BooleanField(default=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_business = models.BooleanField(default=True)
    resolution_minutes = models.PositiveIntegerField()
    resolution_business = models.BooleanField(default=True)
    warn_at_percent = models.PositiveSmallIntegerField(default=75)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaPause(TenantScoped):
    """A stretch of time a case's clocks stood still (waiting on the customer); the open one
    has no end yet."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sla_pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "started_at"], name="sla_pause_case")]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(ended_at__isnull=True),
                                    name="sla_one_open_pause"),
        ]


class EscalationRule(TenantScoped):
    """Time-based escalation, checked by every breach sweep: open cases matching all its
    conditions get its actions, once per case.

    `conditions`: list of {"field", "op", "value"} over age_hours, idle_hours (no update for N
    hours), priority, status, queue_id, breached (first_response, resolution or any).
    `actions`: any of {"notify": ["owner", "owner_manager", "managers", "admins",
    "user:<id>"], "queue_id": id, "raise_priority": true}.
    """

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=list)
    actions = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class EscalationHit(TenantScoped):
    """That a rule has escalated a case: the rule fires once per case."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="hits")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "case"],
                                               name="escalation_once_per_case")]
