"""In-app notifications: the bell in the console."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.core.models import TenantScoped


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mentioned you"
    ASSIGNED = "assigned", "Assigned to you"
    REFERRAL = "referral", "Referred to your team"
    SLA_WARNING = "sla_warning", "SLA target coming due"
    SLA_BREACH = "sla_breach", "SLA breached"
    ESCALATION = "escalation", "Escalated"
    CUSTOMER_REPLY = "customer_reply", "Customer replied"
    CSAT_BAD = "csat_bad", "Bad satisfaction rating"
    TASK_OVERDUE = "task_overdue", "Task overdue"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook switched off"
    AUTOMATION = "automation", "Automation"


class Notification(TenantScoped):
    """Something a member should see; unread until they open or dismiss it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "recipient", "-id"], name="notification_list"),
            models.Index(fields=["tenant", "recipient"], condition=Q(read_at__isnull=True),
                         name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.message}"
