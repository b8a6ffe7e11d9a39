"""Tasks: a follow-up someone must do by a time, on a case or on its own."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.core.models import TenantScoped


class Task(TenantScoped):
    """Something a member must do, optionally about a case (and so its account and contact).

    An open task past `due_at` is overdue; its owner is told once (`overdue_notified_at`)."""

    subject = models.CharField(max_length=255)
    notes = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="tasks")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="tasks")
    account = models.ForeignKey("crm.Account", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="tasks")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="tasks")
    is_done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    # The automation rule that made it, if one did (by id: tasks stand below automation).
    made_by_rule_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "My tasks": a member's open tasks by due time.
            models.Index(fields=["tenant", "owner", "due_at"], condition=Q(is_done=False),
                         name="task_open_owner"),
            models.Index(fields=["case", "id"], name="task_case"),
            # The overdue job: open tasks past due whose owner was not yet told.
            models.Index(fields=["due_at"], name="task_overdue_due",
                         condition=Q(is_done=False, overdue_notified_at__isnull=True,
                                     due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.subject
