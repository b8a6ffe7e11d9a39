"""The rules every new tenant starts with: the automations a desk is expected to have on day
one, as ordinary rules an admin can change, switch off or delete.

- Acknowledge new cases, for each channel the source condition lists (the per-channel
  switch); mail acknowledges threaded on the customer's message, the other channels through
  the engine; every acknowledgement stays within the hourly limits per sender and per tenant.
- An urgent case posts to Slack: off until an admin adds a Slack endpoint and chooses it.
- A case waiting on the customer for 5 days gets a follow-up mail to the contact.
- A resolved case gets a task for its owner, due in 7 days, to confirm satisfaction.

`DEFAULT_RULES` is plain data so the migration that gives existing tenants these rules reads
the same definitions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from casedesk.automation.models import AutomationRule
from casedesk.tenancy.models import Tenant

ACK_SOURCES = ["email", "web", "portal", "api", "phone", "chat"]

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "default_key": "acknowledge",
        "name": "Acknowledge new cases",
        "description": "Mails the customer the desk's acknowledgement (Settings → Mail) when "
                       "a case arrives on one of the listed channels. Untick a channel in the "
                       "condition to stop acknowledging it.",
        "trigger": "case_created",
        "trigger_options": {},
        "conditions": [{"field": "source", "op": "in", "value": ACK_SOURCES},
                       {"field": "contact.email", "op": "is_set"}],
        "actions": [{"kind": "acknowledge"}],
        "is_enabled": True,
    },
    {
        "default_key": "urgent_slack",
        "name": "Urgent case → Slack",
        "description": "Posts new urgent cases to the team's Slack channel. Add a Slack "
                       "incoming-webhook URL under Webhooks (format: Slack), choose it here, "
                       "and switch the rule on.",
        "trigger": "case_created",
        "trigger_options": {},
        "conditions": [{"field": "priority", "op": "equals", "value": 4}],
        "actions": [{"kind": "webhook", "endpoint_id": None}],
        "is_enabled": False,
    },
    {
        "default_key": "pending_follow_up",
        "name": "Follow up after 5 days waiting on the customer",
        "description": "When a case has waited on the customer for 5 days without an answer, "
                       "mails the contact a reminder. A reply from the customer moves the case "
                       "out of pending, so no reminder goes to someone who answered.",
        "trigger": "time",
        "trigger_options": {"anchor": "status_changed", "hours": 120},
        "conditions": [{"field": "status", "op": "equals", "value": "pending_customer"}],
        "actions": [{
            "kind": "email", "to": "contact",
            "subject": "Any news on {{ case.number }}?",
            "body": "Hello{% if contact.name %} {{ contact.name }}{% endif %},\n\n"
                    "We are still waiting for your answer on {{ case.number }}: "
                    "\"{{ case.subject }}\".\nReply to this email and we will pick it up "
                    "again.\n\n{{ tenant.name }}\n",
        }],
        "is_enabled": True,
    },
    {
        "default_key": "resolved_task",
        "name": "Confirm satisfaction 7 days after resolution",
        "description": "When a case is resolved, gives its owner a task due 7 days later to "
                       "check the customer is happy.",
        "trigger": "status_changed",
        "trigger_options": {"to": "resolved"},
        "conditions": [],
        "actions": [{
            "kind": "create_task", "owner": "case_owner", "due_in_hours": 168,
            "subject": "Confirm {{ contact.name|default:'the customer' }} is satisfied with "
                       "{{ case.number }}",
            "notes": "Resolved case: {{ case.subject }}",
        }],
        "is_enabled": True,
    },
]


def rules_seed_defaults(tenant: Tenant, now: datetime) -> int:
    """Gives the tenant the default rules it lacks (by `default_key`); how many were made."""
    with transaction.atomic():
        have = set(AutomationRule.objects.filter(tenant=tenant).exclude(default_key="")
                   .values_list("default_key", flat=True))
        position = AutomationRule.objects.filter(tenant=tenant).count()
        made = 0
        for spec in DEFAULT_RULES:
            if spec["default_key"] in have:
                continue
            timed = spec["trigger"] == "time"
            AutomationRule.objects.create(
                tenant=tenant, position=position, created_at=now, updated_at=now,
                enabled_at=now if spec["is_enabled"] else None,
                swept_until=now if timed and spec["is_enabled"] else None, **spec)
            position += 1
            made += 1
        if made:
            Tenant.objects.filter(pk=tenant.pk).update(
                automation_version=tenant.automation_version + 1)
            tenant.automation_version += 1
    return made
