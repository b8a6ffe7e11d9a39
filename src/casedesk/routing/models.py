"""Queues, routing rules and the facts the assignment strategies work from."""

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class Strategy(models.TextChoices):
    """How a queue picks the agent for a case routed to it."""

    MANUAL = "manual", "Manual (agents claim)"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LOAD_BALANCED = "load_balanced", "Load-balanced"
    SKILLS = "skills", "Skills-based"
    TERRITORY = "territory", "Territory"


class Queue(TenantScoped):
    """A team's queue; its members may claim the unassigned cases waiting in it."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    email = models.EmailField(blank=True, help_text="Address that feeds this queue, if any.")
    members = models.ManyToManyField("tenancy.Membership", blank=True, related_name="queues")
    is_active = models.BooleanField(default=True)
    strategy = models.CharField(max_length=20, choices=Strategy.choices,
                                default=Strategy.MANUAL)
    # Round-robin's place in the rota: the user it gave the last case to. Kept in the row
    # (locked while a case is assigned) so the rota survives restarts and many processes.
    rr_last_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="queue_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(TenantScoped):
    """One of a tenant's ordered routing rules: conditions on a new case's facts, and the
    queue, owner, priority and tags to give it when they hold. The first match wins.

    `conditions` is a list of `{"field": ..., "op": ..., "value": ...}` and `actions` a dict
    with any of `queue_id`, `owner_id`, `priority`, `tags`; `routing.rules` reads both and
    `routing.services` checks them before they are stored.
    """

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="routing_rule_order")]

    def __str__(self) -> str:
        return self.name


class SkillRequirement(TenantScoped):
    """The skills a case of a category (or of one of its subcategories) needs from its agent,
    for queues that assign by skills."""

    category = models.CharField(max_length=80)
    subcategory = models.CharField(max_length=80, blank=True)
    skills = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "category", "subcategory"],
                                    name="skill_requirement_unique"),
        ]
        ordering = ["category", "subcategory"]

    def __str__(self) -> str:
        return f"{self.category}/{self.subcategory}: {', '.join(self.skills)}"
