"""Automation's reads of rules, for its API and pages: the rules in order (with their trigger
and actions in words and their run counts), a rule's run log, and the names a rule's actions
point at. Each read takes the tenant and costs a fixed number of queries, however many rules
or runs there are."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q

from casedesk.automation.models import AutomationRule, Macro, RuleRun, RunOutcome, WebhookEndpoint
from casedesk.automation.rules import Action, describe_trigger
from casedesk.cases.models import PicklistKind, PicklistValue
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.selectors import member_names

# --- the names actions point at -----------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The tenant's queues, members, webhook endpoints and macros by id."""

    queues: Mapping[int, str] = field(default_factory=dict)
    members: Mapping[int, str] = field(default_factory=dict)
    endpoints: Mapping[int, str] = field(default_factory=dict)
    macros: Mapping[int, str] = field(default_factory=dict)


def target_names(tenant: Tenant) -> Names:
    return Names(
        queues=dict(Queue.objects.filter(tenant=tenant).values_list("pk", "name")),
        members=member_names(tenant.pk),
        endpoints=dict(WebhookEndpoint.objects.filter(tenant=tenant)
                       .values_list("pk", "name")),
        macros=dict(Macro.objects.filter(tenant=tenant).values_list("pk", "name")),
    )


def _span(hours: int) -> str:
    if hours and hours % 24 == 0:
        days = hours // 24
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if hours == 1 else f"{hours} hours"


def _quoted(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def _plural(word: str, items: list[str]) -> str:
    return f"{word}{'s' if len(items) > 1 else ''} {', '.join(items)}"


def describe_action(action: Action, names: Names) -> list[str]:
    """One action in words (a "set fields" action may say several things)."""
    options = action.options
    kind = action.kind
    if kind == "set_fields":
        words = []
        for name in ("priority", "type", "category", "subcategory"):
            if options.get(name):
                words.append(f"set {name} to {options[name]}")
        if options.get("queue_id") is not None:
            words.append(f"move to queue {names.queues.get(options['queue_id'], '(deleted)')}")
        if options.get("owner_id") is not None:
            words.append(f"give to {names.members.get(options['owner_id'], '(former member)')}")
        if options.get("tags_add"):
            words.append(f"add {_plural('tag', list(options['tags_add']))}")
        if options.get("tags_remove"):
            words.append(f"remove {_plural('tag', list(options['tags_remove']))}")
        return words
    if kind == "add_note":
        return ["add an internal note"]
    if kind == "email":
        to = options.get("to")
        whom = ("the contact" if to == "contact" else "the owner" if to == "owner"
                else names.members.get(options.get("user_id") or 0, "(former member)"))
        subject = options.get("subject")
        return [f"email {whom}" + (f" {_quoted(subject)}" if subject else "")]
    if kind == "webhook":
        endpoint = options.get("endpoint_id")
        if endpoint is None:
            return ["post to a webhook (none chosen yet)"]
        return [f"post to webhook {names.endpoints.get(endpoint, '(deleted)')}"]
    if kind == "create_task":
        text = f"create a task {_quoted(options.get('subject'))}"
        hours = options.get("due_in_hours")
        if hours is not None:
            text += " due now" if hours == 0 else f" due in {_span(int(hours))}"
        if options.get("owner") == "user":
            text += f" for {names.members.get(options.get('owner_id') or 0, '(former member)')}"
        return [text]
    if kind == "apply_macro":
        return [f"apply macro {names.macros.get(options.get('macro_id') or 0, '(deleted)')}"]
    if kind == "transition":
        return [f"move to {str(options.get('to', '?')).replace('_', ' ')}"]
    if kind == "acknowledge":
        return ["acknowledge"]
    return [kind]


def describe_actions(actions: Iterable[Action], names: Names) -> list[str]:
    """A rule's actions in words, in order: "set priority to urgent", "add tag vip"."""
    return [words for action in actions for words in describe_action(action, names)]


def stored_actions(raw: Any) -> list[Action]:
    """Stored actions as `Action`s for describing (they were checked when written)."""
    if not isinstance(raw, list):
        return []
    return [Action(str(a.get("kind")), {k: v for k, v in a.items() if k != "kind"})
            for a in raw if isinstance(a, dict)]


# --- the rules ----------------------------------------------------------------------------------

def rules_in_order(tenant: Tenant) -> list[AutomationRule]:
    return list(AutomationRule.objects.filter(tenant=tenant).order_by("position", "id"))


def rule_ids_in_order(tenant: Tenant) -> list[int]:
    return list(AutomationRule.objects.filter(tenant=tenant).order_by("position", "id")
                .values_list("pk", flat=True))


@dataclass(frozen=True)
class RunCounts:
    total: int = 0
    failed: int = 0
    last_run: datetime | None = None


def run_counts(tenant: Tenant) -> dict[int, RunCounts]:
    """Runs in total, failed runs and the last run of each of the tenant's rules that ran:
    one aggregate query over the run log."""
    rows = (RuleRun.objects.filter(tenant=tenant).values("rule_id")
            .annotate(total=Count("id"), failed=Count("id", filter=Q(outcome=RunOutcome.FAILED)),
                      last=Max("created_at")).order_by())
    return {r["rule_id"]: RunCounts(total=r["total"], failed=r["failed"], last_run=r["last"])
            for r in rows}


@dataclass
class RuleLine:
    """A rule as the list shows it."""

    rule: AutomationRule
    number: int
    trigger: str
    actions: list[str]
    counts: RunCounts
    is_first: bool = False
    is_last: bool = False


def rule_lines(tenant: Tenant) -> list[RuleLine]:
    rules = rules_in_order(tenant)
    names = target_names(tenant)
    counts = run_counts(tenant)
    lines = [RuleLine(rule=rule, number=i + 1,
                      trigger=describe_trigger(rule.trigger, rule.trigger_options or {}),
                      actions=describe_actions(stored_actions(rule.actions), names),
                      counts=counts.get(rule.pk, RunCounts()))
             for i, rule in enumerate(rules)]
    if lines:
        lines[0].is_first = lines[-1].is_last = True
    return lines


# --- the run log --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunPage:
    items: list[RuleRun]
    next_cursor: str | None


def rule_runs(tenant: Tenant, rule: AutomationRule, *, cursor: str | None = None,
              limit: int = 50) -> RunPage:
    """The rule's runs, newest first, their cases loaded; `next_cursor` when more follow."""
    qs = RuleRun.objects.filter(tenant=tenant, rule=rule)
    if cursor:
        (last,) = decode_cursor(cursor, length=1)
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= MAX_ID:
            raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                          field="cursor")
        qs = qs.filter(pk__lt=last)
    rows = list(qs.select_related("case", "case__tenant").order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None
    return RunPage(items=rows[:limit], next_cursor=next_cursor)


# --- what the editor offers ---------------------------------------------------------------------

def editor_choices(tenant: Tenant) -> dict[str, Any]:
    """The selects of the rule editor: active queues and members, webhook endpoints, shared
    active macros, and the tenant's picklist values."""
    picklists: dict[str, list[str]] = {}
    for kind, value in (PicklistValue.objects.filter(tenant=tenant, is_active=True)
                        .order_by("kind", "parent", "position", "value")
                        .values_list("kind", "value")):
        picklists.setdefault(kind, [])
        if value not in picklists[kind]:
            picklists[kind].append(value)
    return {
        "queues": list(Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
                       .values_list("pk", "name")),
        "members": list(member_names(tenant.pk, active_only=True).items()),
        "endpoints": list(WebhookEndpoint.objects.filter(tenant=tenant).order_by("name")
                          .values_list("pk", "name")),
        "macros": list(Macro.objects.filter(tenant=tenant, owner__isnull=True, is_active=True)
                       .order_by("name").values_list("pk", "name")),
        "types": picklists.get(PicklistKind.TYPE, []),
        "categories": picklists.get(PicklistKind.CATEGORY, []),
        "subcategories": picklists.get(PicklistKind.SUBCATEGORY, []),
        "closed_reasons": picklists.get(PicklistKind.CLOSED_REASON, []),
    }
