"""The demo's automations: the default rules (which every tenant gets), the time rule's start
moved back so the worker's first sweep follows up the demo's cases that have waited on their
customer for 5 days, and shared macros the agents can apply."""

from __future__ import annotations

from datetime import datetime, timedelta

from casedesk.automation.defaults import rules_seed_defaults
from casedesk.automation.macros import MacroInput, macro_create
from casedesk.automation.models import AutomationRule, Macro
from casedesk.tasks.models import Task
from casedesk.tenancy.models import Membership, Tenant

# Back to before the demo's history: the follow-up rule has "always" been on.
FOLLOW_UP_SINCE = timedelta(days=45)
# The satisfaction checks the history's resolved cases made: the team did those due more than
# this long ago, on their due day; the recent ones are still open.
DONE_BEFORE = timedelta(days=2)

MACROS = (
    MacroInput(
        name="Ask for logs",
        description="Asks the customer for the logs and waits for them.",
        reply="Hello {{ contact.name|default:'there' }},\n\nThanks for the report on "
              "{{ case.number }}. Could you send us the application logs from the time it "
              "happened? Reply to this email with the files attached.\n\n{{ case.owner }}",
        changes={"status": "pending_customer"}, tags_add=["waiting-logs"]),
    MacroInput(
        name="Known incident",
        description="Links the case to the incident on the status page and raises it.",
        reply="Hello {{ contact.name|default:'there' }},\n\nWe are aware of the problem and "
              "working on it; follow the incident on status.example.com. We will update "
              "{{ case.number }} when it is fixed.\n\n{{ tenant.name }}",
        changes={"priority": "high"}, tags_add=["incident"]),
    MacroInput(
        name="Solved: confirm and resolve",
        description="Tells the customer it is fixed and resolves the case.",
        reply="Hello {{ contact.name|default:'there' }},\n\nThe fix is live. If anything is "
              "still wrong, reply to this email and the case opens again.\n\n"
              "{{ case.owner }}",
        changes={"status": "resolved"}),
)


def automation_ensure(tenant: Tenant, admin: Membership, *, now: datetime,
                      created: bool) -> None:
    rules_seed_defaults(tenant, now)
    if created:
        since = now - FOLLOW_UP_SINCE
        AutomationRule.objects.filter(tenant=tenant, default_key="pending_follow_up").update(
            enabled_at=since, swept_until=since)
    _history_tasks_done(tenant, now)
    have = set(Macro.objects.filter(tenant=tenant, owner__isnull=True)
               .values_list("name", flat=True))
    for data in MACROS:
        if data.name not in have:
            macro_create(membership=admin, data=data, shared=True, now=now)


def _history_tasks_done(tenant: Tenant, now: datetime) -> None:
    for task in Task.objects.filter(tenant=tenant, is_done=False, made_by_rule_id__isnull=False,
                                    due_at__lt=now - DONE_BEFORE):
        assert task.due_at is not None
        task.is_done, task.done_at, task.done_by_id = True, task.due_at, task.owner_id
        task.updated_at = task.due_at
        task.save(update_fields=["is_done", "done_at", "done_by", "updated_at"])
