"""Queues: where cases wait for a team."""

from django.db import models

from casedesk.core.models import TenantScoped


class Queue(TenantScoped):
    """A team's queue; its members may claim the unassigned cases waiting in it."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    email = models.EmailField(blank=True, help_text="Address that feeds this queue, if any.")
    members = models.ManyToManyField("tenancy.Membership", blank=True, related_name="queues")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="queue_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
