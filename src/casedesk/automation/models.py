"""Automation tables: rules and their run log, the events waiting for the worker, webhook
endpoints and their deliveries, and macros."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.core.models import TenantScoped


class Trigger(models.TextChoices):
    CASE_CREATED = "case_created", "Case created"
    FIELD_CHANGED = "field_changed", "Field changed"
    STATUS_CHANGED = "status_changed", "Status changed"
    NOTE_ADDED = "note_added", "Note or reply added"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breached"
    CSAT_RECEIVED = "csat_received", "Satisfaction rating received"
    TIME = "time", "Time passed"


class Match(models.TextChoices):
    ALL = "all", "All conditions"
    ANY = "any", "Any condition"


class AutomationRule(TenantScoped):
    """When `trigger` happens to a case (with `trigger_options` narrowing it) and the
    conditions hold, do `actions`, in order. Conditions are routing's condition language
    (`routing.rules`); actions are checked by `automation.actions`.

    A time rule (`trigger` = time) fires `trigger_options["hours"]` after the case's anchor
    time (`trigger_options["anchor"]`) if the conditions still hold then; the worker looks
    for such cases set-based, past `swept_until`, and fires once per case and anchor."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    trigger_options = models.JSONField(default=dict, blank=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    # Which of the defaults every new tenant gets this is ("" for a rule someone wrote), so
    # provisioning twice makes it once.
    default_key = models.CharField(max_length=40, blank=True)
    # A time rule: the anchor times up to which cases were looked at, and since when the rule
    # has been on (it does not fire for what fell due before).
    swept_until = models.DateTimeField(null=True, blank=True)
    enabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "trigger", "position"],
                                name="automation_rule_trigger")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "default_key"],
                                    condition=~Q(default_key=""),
                                    name="automation_rule_default_once"),
        ]

    def __str__(self) -> str:
        return self.name


class RunOutcome(models.TextChoices):
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped (chain too deep)"


class RuleRun(TenantScoped):
    """One run of a rule on a case: the per-rule run log (what it did, or why it failed). The
    rule's counts are counted from here, not kept on the rule row, so concurrent runs of one
    rule (the acknowledgement runs on every new case) never queue on a lock."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    trigger = models.CharField(max_length=30)
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices)
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["rule", "-id"], name="automation_run_rule"),
                   models.Index(fields=["tenant", "-id"], name="automation_run_tenant")]

    def __str__(self) -> str:
        return f"Run of rule {self.rule_id} on case {self.case_id}: {self.outcome}"


class AutomationEvent(TenantScoped):
    """Work for the rules that waits for the worker: a case event written by a set-based
    change (the breach sweep), or a time rule falling due for a case. Written in the same
    transaction as what caused it; claimed by one worker at a time (`claimed_until`); done
    when `processed_at` is set. A time rule's event is unique per rule, case and anchor time
    (`occurrence`), so two workers sweeping at once make it once."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    payload = models.JSONField(default=dict, blank=True)
    rule = models.ForeignKey(AutomationRule, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    occurrence = models.DateTimeField(null=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    chain = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "case", "occurrence"],
                                    condition=Q(rule__isnull=False),
                                    name="automation_event_fires_once"),
        ]
        indexes = [models.Index(fields=["id"], condition=Q(processed_at__isnull=True),
                                name="automation_event_pending")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class PayloadFormat(models.TextChoices):
    JSON = "json", "casedesk JSON"
    SLACK = "slack", "Slack incoming webhook"


class WebhookEndpoint(TenantScoped):
    """Where a tenant's events are posted: signed with `secret` (HMAC-SHA256), for the
    `events` it names (a rule may post to it for any event), switched off by an admin or
    after too many failures in a row."""

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=128)
    events = models.JSONField(default=list, blank=True)
    payload_format = models.CharField(max_length=10, choices=PayloadFormat.choices,
                                      default=PayloadFormat.JSON)
    is_enabled = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantScoped):
    """One event for one endpoint: the outbox row the worker posts, retried with backoff,
    and the delivery log's line (the latest attempt's answer; every attempt in
    `WebhookAttempt`)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event = models.CharField(max_length=60)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    rule = models.ForeignKey(AutomationRule, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"),
                         name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to endpoint {self.endpoint_id}: {self.status}"


class WebhookAttempt(TenantScoped):
    """One try at posting a delivery: what the receiver answered, or why it did not."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["delivery", "id"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"Attempt on delivery {self.delivery_id}"


class Macro(TenantScoped):
    """A canned answer an agent applies to a case in one click: a reply (or internal note)
    from a template, field changes and tags. Shared with the team (no `owner`) or personal."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.CASCADE, related_name="+")
    reply = models.TextField(blank=True)
    reply_is_public = models.BooleanField(default=True)
    # Field changes: priority, type, category, subcategory, queue_id, owner_id, status.
    changes = models.JSONField(default=dict, blank=True)
    tags_add = models.JSONField(default=list, blank=True)
    tags_remove = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    use_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "name", "id"]

    def __str__(self) -> str:
        return self.name
