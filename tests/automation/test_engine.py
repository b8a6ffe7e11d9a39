"""The rule engine: each trigger kind with a controlled clock, the default automations end to
end, loop protection, and templates that see the case's own fields only."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from casedesk.automation.engine import MAX_DEPTH, events_process
from casedesk.automation.models import (
    AutomationEvent,
    AutomationRule,
    RuleRun,
    RunOutcome,
    WebhookDelivery,
    WebhookEndpoint,
)
from casedesk.automation.rules import parse_rule
from casedesk.automation.templating import check, render
from casedesk.automation.timed import time_rules_sweep
from casedesk.cases.changes import case_change
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.services import (
    CustomerMessage,
    case_add_note,
    case_customer_reply,
    case_transition,
    case_update,
)
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.crm.models import Contact
from casedesk.csat.config import csat_settings
from casedesk.csat.services import survey_answer, survey_send
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.tasks.models import Task
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.services import tenant_bump_version

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def add_rule(tenant: Tenant, *, name: str = "Rule", trigger: str = "case_created",
             options: dict[str, Any] | None = None, conditions: list[Any] | None = None,
             actions: list[Any], enabled_at: datetime = NOW) -> AutomationRule:
    """A rule as an admin saves it: checked by `parse_rule`, stored normalised."""
    rule = parse_rule(rule_id=None, name=name, trigger=trigger, trigger_options=options,
                      conditions=conditions or [], actions=actions)
    row = AutomationRule.objects.create(
        tenant=tenant, name=name, trigger=trigger, trigger_options=dict(rule.options),
        conditions=[c.as_dict() for c in rule.conditions],
        actions=[a.as_dict() for a in rule.actions],
        position=AutomationRule.objects.filter(tenant=tenant).count(),
        enabled_at=enabled_at, swept_until=enabled_at, created_at=enabled_at,
        updated_at=enabled_at)
    tenant_bump_version(tenant, "automation_version")
    return row


def contact(tenant: Tenant, email: str = "ann@customer.test") -> Contact:
    return Contact.objects.create(tenant=tenant, name="Ann Lee", email=email)


def new_case(tenant: Tenant, actor: Any = None, when: datetime = NOW, **fields: Any) -> Case:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("source", "api")
    case, _ = case_create(tenant=tenant, actor=actor, data=CaseInput(**fields), now=when)
    return Case.objects.get(pk=case.pk)


def runs_on(case: Case) -> list[str]:
    return list(TimelineEvent.objects.filter(case=case, kind=EventKind.AUTOMATION)
                .order_by("id").values_list("message", flat=True))


def mails_to(address: str, kind: str = OutboundKind.AUTOMATION) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(recipient=address, kind=kind).order_by("id"))


def move(case: Case, actor: Any, *steps: str, when: datetime = NOW) -> Case:
    for to in steps:
        case = case_transition(case=case, actor=actor, to=to, now=when,
                               note="Done." if to in ("resolved", "closed") else "",
                               closed_reason="Resolved" if to == "closed" else "")
    return case


# --- triggers -----------------------------------------------------------------------------------

def test_case_created_sets_fields_when_the_conditions_hold(tenant: Tenant) -> None:
    add_rule(tenant, name="Outages are urgent",
             conditions=[{"field": "subject", "op": "contains", "value": "outage"}],
             actions=[{"kind": "set_fields", "priority": "urgent", "tags_add": ["outage"]}])
    hit = new_case(tenant, subject="Total outage in EU")
    miss = new_case(tenant, subject="A question")
    assert hit.priority == Priority.URGENT and "outage" in hit.tags
    assert miss.priority == Priority.NORMAL and "outage" not in miss.tags
    assert runs_on(hit) == ["Rule “Outages are urgent”: set priority to urgent; added tag "
                            "outage."]
    assert runs_on(miss) == []
    run = RuleRun.objects.get(case=hit)
    assert run.outcome == RunOutcome.DONE and run.trigger == "case_created"


def test_a_disabled_rule_does_nothing(tenant: Tenant) -> None:
    rule = add_rule(tenant, actions=[{"kind": "set_fields", "tags_add": ["seen"]}])
    AutomationRule.objects.filter(pk=rule.pk).update(is_enabled=False)
    tenant_bump_version(tenant, "automation_version")
    assert new_case(tenant).tags == []


def test_field_changed_from_and_to(tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="Escalated", trigger="field_changed",
             options={"field": "priority", "from": "normal", "to": "urgent"},
             actions=[{"kind": "add_note", "body": "Now {{ case.priority }}: tell the lead."}])
    case = new_case(tenant)
    case_update(case=case, actor=agent.user, changes={"priority": Priority.HIGH}, now=NOW)
    assert runs_on(case) == []
    case_update(case=case, actor=agent.user, changes={"priority": Priority.NORMAL}, now=NOW)
    case_update(case=case, actor=agent.user, changes={"priority": Priority.URGENT}, now=NOW)
    assert runs_on(case) == ["Rule “Escalated”: added an internal note."]
    note = case.notes.get()
    assert note.body == "Now Urgent: tell the lead." and not note.is_public


def test_status_changed_to(tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="In progress", trigger="status_changed",
             options={"to": "in_progress"}, actions=[{"kind": "set_fields",
                                                      "tags_add": ["working"]}])
    case = move(new_case(tenant), agent.user, "open")
    assert "working" not in Case.objects.get(pk=case.pk).tags
    move(case, agent.user, "in_progress")
    assert "working" in Case.objects.get(pk=case.pk).tags


@pytest.mark.parametrize(("visibility", "author", "fired"), [
    ("public", "customer", [False, False, True]),
    ("internal", "agent", [True, False, False]),
    ("public", "agent", [False, True, False]),
    ("any", "any", [True, True, True]),
])
def test_note_added_by_visibility_and_author(tenant: Tenant, agent: Membership,
                                            visibility: str, author: str,
                                            fired: list[bool]) -> None:
    add_rule(tenant, name="Notes", trigger="note_added",
             options={"visibility": visibility, "author": author},
             actions=[{"kind": "set_fields", "tags_add": ["noted"]}])
    who = contact(tenant)
    results = []
    for write in ("internal", "public", "customer"):
        case = new_case(tenant, contact_id=who.pk)
        if write == "customer":
            case_customer_reply(case=case, message=CustomerMessage(
                body="Any news?", author_email=who.email), now=NOW)
        else:
            case_add_note(case=case, actor=agent.user, body="Looking", now=NOW,
                          is_public=write == "public")
        results.append("noted" in Case.objects.get(pk=case.pk).tags)
    assert results == fired


def test_sla_warning_and_breach_run_through_the_worker(tenant: Tenant) -> None:
    add_rule(tenant, name="Breached", trigger="sla_breach", options={"target": "any"},
             actions=[{"kind": "set_fields", "tags_add": ["breached"]}])
    add_rule(tenant, name="Warned", trigger="sla_warning",
             actions=[{"kind": "set_fields", "tags_add": ["warned"]}])
    case = new_case(tenant, priority=Priority.URGENT)
    assert case.first_response_due_at is not None
    sla_sweep(now=case.first_response_due_at - timedelta(minutes=1), tenant=tenant)
    # The sweep changes cases set-based: the rules' part waits for the worker.
    assert AutomationEvent.objects.filter(case=case, processed_at__isnull=True).count() == 1
    events_process(case.first_response_due_at)
    assert "warned" in Case.objects.get(pk=case.pk).tags
    sla_sweep(now=case.first_response_due_at + timedelta(minutes=1), tenant=tenant)
    assert events_process(case.first_response_due_at + timedelta(minutes=1)) == 1
    assert events_process(case.first_response_due_at + timedelta(minutes=2)) == 0
    assert {"warned", "breached"} <= set(Case.objects.get(pk=case.pk).tags)


def test_csat_received_bad(tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="Unhappy", trigger="csat_received", options={"rating": "bad"},
             actions=[{"kind": "set_fields", "priority": "high", "tags_add": ["unhappy"]}])
    who = contact(tenant)
    case = move(new_case(tenant, actor=agent.user, contact_id=who.pk, owner_id=agent.user_id),
                agent.user, "open", "in_progress", "resolved")
    survey = survey_send(case=Case.objects.select_related("contact", "tenant").get(pk=case.pk),
                         config=csat_settings(tenant), now=NOW)
    assert survey is not None
    survey_answer(survey_id=survey.pk, rating=5, now=NOW)
    assert "unhappy" not in Case.objects.get(pk=case.pk).tags
    survey_answer(survey_id=survey.pk, rating=1, now=NOW)
    assert "unhappy" in Case.objects.get(pk=case.pk).tags


# --- time rules ---------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _default_rules_on_before_now(tenant: Tenant) -> None:
    """The tenants of the tests were provisioned at the wall clock's time; their time rules
    have been on since before the tests' NOW."""
    AutomationRule.objects.filter(tenant=tenant, trigger="time").update(
        enabled_at=NOW - timedelta(days=1), swept_until=NOW - timedelta(days=1))

def worker(now: datetime) -> int:
    time_rules_sweep(now)
    return events_process(now)


def test_the_follow_up_goes_after_exactly_five_days_of_silence(tenant: Tenant,
                                                               agent: Membership) -> None:
    who = contact(tenant)
    case = move(new_case(tenant, actor=agent.user, contact_id=who.pk, owner_id=agent.user_id),
                agent.user, "open", "in_progress", "pending_customer")
    assert worker(NOW + timedelta(days=5) - timedelta(minutes=1)) == 0
    assert mails_to(who.email) == []
    assert worker(NOW + timedelta(days=5)) == 1
    [mail] = mails_to(who.email)
    assert mail.subject == f"Any news on {case.display_number}?"
    assert "We are still waiting for your answer" in mail.body and mail.in_reply_to
    # Once per occurrence: later sweeps send nothing more.
    assert worker(NOW + timedelta(days=6)) == 0
    assert len(mails_to(who.email)) == 1


def test_no_follow_up_when_the_customer_wrote_on_day_four(tenant: Tenant,
                                                          agent: Membership) -> None:
    who = contact(tenant)
    case = move(new_case(tenant, actor=agent.user, contact_id=who.pk, owner_id=agent.user_id),
                agent.user, "open", "in_progress", "pending_customer")
    case_customer_reply(case=case, message=CustomerMessage(body="Here is the log",
                                                           author_email=who.email),
                        now=NOW + timedelta(days=4))
    assert Case.objects.get(pk=case.pk).status == "in_progress"
    assert worker(NOW + timedelta(days=5)) == 0
    assert worker(NOW + timedelta(days=10)) == 0
    assert mails_to(who.email) == []


def test_waiting_again_starts_a_new_occurrence(tenant: Tenant, agent: Membership) -> None:
    who = contact(tenant)
    case = move(new_case(tenant, actor=agent.user, contact_id=who.pk, owner_id=agent.user_id),
                agent.user, "open", "in_progress", "pending_customer")
    worker(NOW + timedelta(days=5))
    day6 = NOW + timedelta(days=6)
    case = move(case, agent.user, "in_progress", when=day6)
    move(case, agent.user, "pending_customer", when=day6)
    assert worker(day6 + timedelta(days=5)) == 1
    assert len(mails_to(who.email)) == 2


def test_a_time_rule_does_not_fire_for_what_fell_due_before_it_was_on(tenant: Tenant) -> None:
    old = new_case(tenant, when=NOW - timedelta(days=30))
    add_rule(tenant, name="Stale", trigger="time", options={"anchor": "created", "hours": 48},
             actions=[{"kind": "set_fields", "tags_add": ["stale"]}], enabled_at=NOW)
    fresh = new_case(tenant, when=NOW)
    worker(NOW + timedelta(days=3))
    assert "stale" not in Case.objects.get(pk=old.pk).tags
    assert "stale" in Case.objects.get(pk=fresh.pk).tags


# --- the default automations --------------------------------------------------------------------

def test_a_new_tenant_has_the_four_default_rules(tenant: Tenant) -> None:
    rules = {r.default_key: r for r in AutomationRule.objects.filter(tenant=tenant)}
    assert set(rules) == {"acknowledge", "urgent_slack", "pending_follow_up", "resolved_task"}
    assert not rules["urgent_slack"].is_enabled
    assert all(r.is_enabled for k, r in rules.items() if k != "urgent_slack")


@pytest.mark.parametrize("source", ["web", "portal", "api", "phone"])
def test_new_cases_from_every_channel_are_acknowledged(tenant: Tenant, source: str) -> None:
    who = contact(tenant)
    case = new_case(tenant, contact_id=who.pk, source=source)
    [ack] = mails_to(who.email, OutboundKind.ACKNOWLEDGEMENT)
    assert case.display_number in ack.body
    assert runs_on(case) == ["Rule “Acknowledge new cases”: acknowledged to the contact."]


def test_a_channel_unticked_in_the_rule_is_not_acknowledged(tenant: Tenant) -> None:
    rule = AutomationRule.objects.get(tenant=tenant, default_key="acknowledge")
    rule.conditions = [{"field": "source", "op": "in", "value": ["email", "web"]},
                       {"field": "contact.email", "op": "is_set", "value": None}]
    rule.save()
    tenant_bump_version(tenant, "automation_version")
    who = contact(tenant)
    new_case(tenant, contact_id=who.pk, source="api")
    assert mails_to(who.email, OutboundKind.ACKNOWLEDGEMENT) == []
    new_case(tenant, contact_id=who.pk, source="web")
    assert len(mails_to(who.email, OutboundKind.ACKNOWLEDGEMENT)) == 1


def test_acknowledgements_stay_within_the_hourly_limit_per_sender(tenant: Tenant) -> None:
    who = contact(tenant)
    for _ in range(tenant.mail_ack_per_hour + 3):
        new_case(tenant, contact_id=who.pk, source="portal")
    assert len(mails_to(who.email, OutboundKind.ACKNOWLEDGEMENT)) == tenant.mail_ack_per_hour


def test_an_urgent_case_posts_to_slack_once_an_endpoint_is_chosen(tenant: Tenant) -> None:
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, name="Slack #support", url="https://hooks.slack.com/services/T/B/x",
        secret="s" * 64, payload_format="slack", events=[], created_at=NOW, updated_at=NOW)
    rule = AutomationRule.objects.get(tenant=tenant, default_key="urgent_slack")
    rule.actions = [{"kind": "webhook", "endpoint_id": endpoint.pk}]
    rule.is_enabled = True
    rule.save()
    tenant_bump_version(tenant, "automation_version")
    new_case(tenant, priority=Priority.NORMAL)
    assert not WebhookDelivery.objects.exists()
    urgent = new_case(tenant, priority=Priority.URGENT, subject="Checkout is down")
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.endpoint_id, delivery.case_id, delivery.rule_id) == (
        endpoint.pk, urgent.pk, rule.pk)
    assert delivery.event == "rule.webhook"


def test_a_resolved_case_gets_a_follow_up_task_for_its_owner(tenant: Tenant,
                                                            agent: Membership) -> None:
    who = contact(tenant)
    case = move(new_case(tenant, actor=agent.user, contact_id=who.pk, owner_id=agent.user_id),
                agent.user, "open", "in_progress", "resolved")
    [task] = Task.objects.filter(case=case)
    assert task.owner_id == agent.user_id and task.due_at == NOW + timedelta(days=7)
    assert task.subject == f"Confirm Ann Lee is satisfied with {case.display_number}"
    assert not task.is_done


# --- loops, failures, templates -----------------------------------------------------------------

def test_a_rule_is_not_set_off_by_its_own_change(tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="Tag on tag", trigger="field_changed", options={"field": "tags"},
             actions=[{"kind": "set_fields", "tags_add": ["again"]}])
    case = new_case(tenant)
    case_update(case=case, actor=agent.user, changes={"tags": ["first"]}, now=NOW)
    assert Case.objects.get(pk=case.pk).tags == ["first", "again"]
    assert RuleRun.objects.filter(case=case).count() == 1


def test_a_chain_of_rules_stops_with_a_note(tenant: Tenant, agent: Membership) -> None:
    # Each rule's change sets the next one off: tag t1 brings t2, t2 brings t3, ...
    for step in range(1, 9):
        add_rule(tenant, name=f"Step {step}", trigger="field_changed",
                 options={"field": "tags"},
                 conditions=[{"field": "tags", "op": "contains", "value": f"t{step}"}],
                 actions=[{"kind": "set_fields", "tags_add": [f"t{step + 1}"]}])
    case = new_case(tenant)
    case_update(case=case, actor=agent.user, changes={"tags": ["t1"]}, now=NOW)
    done = RuleRun.objects.filter(case=case, outcome=RunOutcome.DONE).count()
    assert done == MAX_DEPTH
    assert RuleRun.objects.filter(case=case, outcome=RunOutcome.STOPPED).exists()
    assert any(m.startswith("Automation stopped") for m in runs_on(case))


def test_a_refused_move_fails_the_rule_alone(tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="Close at once", actions=[
        {"kind": "set_fields", "tags_add": ["tried"]},
        {"kind": "transition", "to": "closed", "note": "Auto", "closed_reason": "Other"}])
    case = new_case(tenant)
    assert case.status == "new" and case.tags == []  # the tag went with the refused move
    run = RuleRun.objects.get(case=case)
    assert run.outcome == RunOutcome.FAILED and "allowed" in run.error.lower()
    assert runs_on(case)[0].startswith("Rule “Close at once” failed:")


def test_templates_see_the_case_and_nothing_past_it(tenant: Tenant, agent: Membership) -> None:
    who = contact(tenant)
    case = new_case(tenant, actor=agent.user, contact_id=who.pk, owner_id=agent.user_id)
    case = Case.objects.select_related("tenant", "contact", "owner", "queue").get(pk=case.pk)
    assert render("{{ case.number }} for {{ contact.name }}", case) == (
        f"{case.display_number} for Ann Lee")
    assert render("[{{ case.owner.password }}{{ tenant.api_tokens }}{{ settings.SECRET_KEY }}]",
                  case) == "[]"
    for bad in ("{% load static %}", "{% include 'console/base.html' %}", "{% debug %}",
                "{% extends 'x' %}", "{% if %}"):
        with pytest.raises(Invalid):
            check(bad)


def test_a_time_rule_takes_days_and_stores_hours(admin_api) -> None:
    response = admin_api.post("/automation/rules", {
        "name": "Nudge", "trigger": "time",
        "trigger_options": {"anchor": "status_changed", "days": 5},
        "conditions": [{"field": "status", "op": "equals", "value": "pending_customer"}],
        "actions": [{"kind": "add_note", "body": "Still waiting."}]})
    assert response.status_code == 201, response.content
    assert response.json()["trigger_options"] == {"anchor": "status_changed", "hours": 120}
    both = admin_api.post("/automation/rules", {
        "name": "Both", "trigger": "time", "trigger_options": {"hours": 3, "days": 1},
        "actions": [{"kind": "add_note", "body": "x"}]})
    assert both.status_code == 422 and both.json()["field"] == "trigger_options"


def test_events_of_a_change_that_failed_set_nothing_off(tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="Noted", trigger="note_added",
             actions=[{"kind": "set_fields", "tags_add": ["noted"]}])
    case = new_case(tenant)
    with pytest.raises(Invalid), case_change():
        case_add_note(case=case, actor=agent.user, body="Written, then undone", is_public=False,
                      now=NOW)
        raise Invalid("Something after the note failed.")
    # The next change in this thread does not take the rolled-back note's event in.
    case_update(case=case, actor=agent.user, changes={"subject": "Renamed"}, now=NOW)
    assert "noted" not in Case.objects.get(pk=case.pk).tags
    assert not RuleRun.objects.filter(case=case).exists()


def test_a_failed_rule_sets_no_other_rule_off(tenant: Tenant) -> None:
    add_rule(tenant, name="Tag then close", actions=[
        {"kind": "set_fields", "tags_add": ["tagged"]},
        {"kind": "transition", "to": "closed", "note": "x", "closed_reason": "Other"}])
    add_rule(tenant, name="On tags", trigger="field_changed", options={"field": "tags"},
             actions=[{"kind": "add_note", "body": "Tags changed"}])
    case = new_case(tenant)
    assert case.tags == [] and not case.notes.exists()
    assert list(RuleRun.objects.filter(case=case).values_list("rule__name", "outcome")) == [
        ("Tag then close", RunOutcome.FAILED)]
