"""What each kind of action does to a case, through the services that own each change: the
case services (fields, notes, the gated lifecycle), mail's outbox, tasks, macros and
webhooks. Each returns a line for the rule's run log and the case's timeline; a refusal is a
DomainError, which fails the whole rule (the engine rolls it back)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from casedesk.automation.macros import macro_apply
from casedesk.automation.models import Macro
from casedesk.automation.rules import Action, Rule
from casedesk.automation.templating import render
from casedesk.automation.webhooks import webhook_rule_post
from casedesk.cases.models import Case, Source
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.cases.writing import clean_tags
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_NAMES
from casedesk.mail.models import AckWithheld
from casedesk.mail.outbox import queue_acknowledgement, queue_automation_mail
from casedesk.tasks.services import task_create
from casedesk.tenancy.models import Membership

# Channels that acknowledge a new case they take in themselves (no member made it), in the
# same transaction, so the acknowledgement threads on the customer's own message (mail asks
# the engine whether to).
SELF_ACKNOWLEDGED = {Source.EMAIL}


def self_acknowledged(case: Case) -> bool:
    """Whether the channel that took the case in acknowledges it itself (`SELF_ACKNOWLEDGED`)."""
    return case.source in SELF_ACKNOWLEDGED and case.created_by_id is None


def nothing_to_do(rule: Rule, case: Case) -> bool:
    """Whether every action of the rule is one that leaves this case alone (an
    acknowledgement its own channel sends), so the engine need not run it."""
    return all(a.kind == "acknowledge" for a in rule.actions) and self_acknowledged(case)


def _text(source: str, case: Case) -> str:
    return render(source, case, base_url=settings.BASE_URL)


def perform(action: Action, *, case: Case, rule: Rule, now: datetime) -> str:
    do = _ACTIONS[action.kind]
    return do(dict(action.options), case, rule, now)


def _set_fields(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    changes: dict[str, Any] = {}
    done = []
    if "priority" in options:
        changes["priority"] = PRIORITY_NAMES[options["priority"]]
        done.append(f"set priority to {options['priority']}")
    for name in ("type", "category", "subcategory", "queue_id", "owner_id"):
        if name in options:
            changes[name] = options[name]
            done.append(f"set {name.removesuffix('_id')}")
    tags = list(case.tags or [])
    if options.get("tags_add") or options.get("tags_remove"):
        removed = {t.casefold() for t in options.get("tags_remove", ())}
        tags = clean_tags([t for t in [*tags, *options.get("tags_add", ())]
                           if t.casefold() not in removed])
        if tags != list(case.tags or []):
            changes["tags"] = tags
        if options.get("tags_add"):
            done.append("added tag " + ", ".join(options["tags_add"]))
        if options.get("tags_remove"):
            done.append("removed tag " + ", ".join(options["tags_remove"]))
    case_update(case=case, actor=None, changes=changes, now=now)
    return "; ".join(done)


def _add_note(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    body = _text(options["body"], case).strip()
    if not body:
        raise Invalid("The note's template rendered empty.", field="actions")
    case_add_note(case=case, actor=None, body=body, is_public=False, now=now)
    return "added an internal note"


def _recipient(options: dict[str, Any], case: Case) -> tuple[str, str]:
    """(address, who) of an email action."""
    to = options["to"]
    if to == "contact":
        contact = case.contact if case.contact_id is not None else None
        if contact is None or not contact.email:
            raise Invalid("The case has no contact with an email address.", field="actions")
        return contact.email, "the contact"
    user_id = case.owner_id if to == "owner" else options.get("user_id")
    if user_id is None:
        raise Invalid("The case has no owner to email.", field="actions")
    member = (Membership.objects.filter(tenant_id=case.tenant_id, user_id=user_id,
                                        is_active=True, user__is_active=True)
              .select_related("user").first())
    if member is None:
        raise Invalid(f"User {user_id} is no longer an active member.", field="actions")
    return member.user.email, member.user.display_name


def _email(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    address, who = _recipient(options, case)
    subject = _text(options.get("subject") or "", case)
    body = _text(options["body"], case)
    if not body.strip():
        raise Invalid("The mail's template rendered empty.", field="actions")
    queue_automation_mail(case=case, to=address, subject=subject, body=body, now=now,
                          threaded=options["to"] == "contact")
    return f"emailed {who}"


def _webhook(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    endpoint_id = options.get("endpoint_id")
    if endpoint_id is None:
        raise Invalid("The rule's webhook action names no endpoint.", field="actions")
    assert rule.id is not None
    delivery = webhook_rule_post(case=case, endpoint_id=endpoint_id, rule_id=rule.id,
                                 rule_name=rule.name, now=now)
    return f"posted to webhook {delivery.endpoint.name}"


def _create_task(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    hours = options.get("due_in_hours")
    due_at = now + timedelta(hours=hours) if hours is not None else None
    owner_id = case.owner_id if options.get("owner") == "case_owner" else options.get("owner_id")
    task = task_create(tenant=case.tenant, actor=None, subject=_text(options["subject"], case),
                       now=now, due_at=due_at, owner_id=owner_id, case=case,
                       notes=_text(options.get("notes") or "", case), made_by_rule_id=rule.id)
    zone = ZoneInfo(case.tenant.time_zone)
    due = (f", due {task.due_at.astimezone(zone):%d %b %Y %H:%M %Z}" if task.due_at else "")
    return f"created task “{task.subject}”{due}"


def _apply_macro(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    macro = Macro.objects.filter(tenant_id=case.tenant_id, pk=options["macro_id"],
                                 owner__isnull=True, is_active=True).first()
    if macro is None:
        raise Invalid(f"No active shared macro with id {options['macro_id']}.", field="actions")
    macro_apply(macro=macro, case=case, actor=None, now=now)
    return f"applied macro “{macro.name}”"


def _transition(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    if case.status == options["to"]:
        return ""
    case_transition(case=case, actor=None, to=options["to"], now=now,
                    note=_text(options.get("note") or "", case).strip(),
                    closed_reason=options.get("closed_reason", ""))
    return f"moved the case to {options['to'].replace('_', ' ')}"


def _acknowledge(options: dict[str, Any], case: Case, rule: Rule, now: datetime) -> str:
    if self_acknowledged(case):
        # Mail took the case in, and acknowledged it then (`acknowledgement_wanted`).
        return ""
    contact = case.contact if case.contact_id is not None else None
    if contact is None or not contact.email:
        return "no acknowledgement: the case has no contact address"
    outcome = queue_acknowledgement(case=case, address=contact.email, now=now)
    if outcome.mail is not None:
        return "acknowledged to the contact"
    if outcome.withheld:
        return f"no acknowledgement: {AckWithheld(outcome.withheld).label.lower()}"
    # The tenant sends none (acknowledgements off), or mail is held (a replayed history).
    return ""


_ACTIONS = {
    "set_fields": _set_fields,
    "add_note": _add_note,
    "email": _email,
    "webhook": _webhook,
    "create_task": _create_task,
    "apply_macro": _apply_macro,
    "transition": _transition,
    "acknowledge": _acknowledge,
}
