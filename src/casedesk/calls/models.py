"""Calls: phone calls logged on a case, by an agent, as an activity on its timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.core.models import TenantScoped

MAX_DURATION_SECONDS = 86_400  # one day: longer is a typing mistake, not a call


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Outcome(models.TextChoices):
    ANSWERED = "answered", "Answered"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    VOICEMAIL = "voicemail", "Voicemail"
    FAILED = "failed", "Failed"


class Call(TenantScoped):
    """One phone call about a case: who called whom, how long, how it ended, what was said.

    Written by `calls.services.call_log` together with its `call_logged` timeline event, in
    the case's change; `number` is the other party's, as typed (trimmed)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="calls")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    number = models.CharField(max_length=32)
    duration_seconds = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.ANSWERED)
    notes = models.TextField(blank=True)
    started_at = models.DateTimeField()
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "started_at"], name="call_case_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=0, duration_seconds__lte=MAX_DURATION_SECONDS),
                name="call_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} call {self.number} on case {self.case_id}"
