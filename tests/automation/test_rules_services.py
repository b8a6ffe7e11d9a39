"""Automation rule writes: every trigger's options stored normalised, refusals for bad shapes
and unknown targets, time rules' start, the version bump, ordering, and the preview."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.automation import services
from casedesk.automation.models import AutomationRule, Macro, RuleRun, WebhookEndpoint
from casedesk.automation.selectors import rule_lines, run_counts
from casedesk.automation.services import RuleInput, rule_create, rule_update
from casedesk.core.errors import Conflict, Invalid
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import make_case

TAG = [{"kind": "set_fields", "tags_add": ["vip"]}]


@pytest.fixture(autouse=True)
def no_default_rules(tenant: Tenant) -> None:
    """A tenant without the default rules, so orders and counts are this test's own."""
    AutomationRule.objects.filter(tenant=tenant).delete()


def make(tenant: Tenant, name: str = "Rule", **kwargs: Any) -> AutomationRule:
    kwargs.setdefault("actions", TAG)
    return rule_create(tenant=tenant, actor=None, data=RuleInput(name=name, **kwargs), now=NOW)


def endpoint(tenant: Tenant, name: str = "Slack") -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(tenant=tenant, name=name, url="https://hooks.example/x",
                                          secret="s" * 32, created_at=NOW, updated_at=NOW)


def macro(tenant: Tenant, **kwargs: Any) -> Macro:
    return Macro.objects.create(tenant=tenant, name=kwargs.pop("name", "Refund"),
                                created_at=NOW, updated_at=NOW, **kwargs)


@pytest.mark.parametrize(("trigger", "given", "stored"), [
    ("case_created", {}, {}),
    ("field_changed", {"field": "priority", "to": "URGENT"}, {"field": "priority", "to": "urgent"}),
    ("status_changed", {"from": "", "to": "resolved"}, {"to": "resolved"}),
    ("note_added", {"author": "customer"}, {"visibility": "any", "author": "customer"}),
    ("sla_warning", {}, {"target": "any"}),
    ("sla_breach", {"target": "resolution"}, {"target": "resolution"}),
    ("csat_received", {"rating": "bad"}, {"rating": "bad"}),
    ("time", {"hours": 120}, {"anchor": "created", "hours": 120}),
])
def test_every_trigger_kind_is_stored_normalised(tenant: Tenant, trigger: str,
                                                 given: dict[str, Any],
                                                 stored: dict[str, Any]) -> None:
    rule = make(tenant, trigger=trigger, trigger_options=given)
    rule.refresh_from_db()
    assert rule.trigger == trigger
    assert rule.trigger_options == stored


def test_actions_and_conditions_are_stored_normalised(tenant: Tenant, admin: Membership) -> None:
    rule = make(tenant, conditions=[{"field": "priority", "op": "equals", "value": "Urgent"}],
                actions=[{"kind": "set_fields", "priority": "URGENT", "tags_add": [" vip ", "vip"]},
                         {"kind": "email", "body": "Hello {{ contact.name }}"}])
    rule.refresh_from_db()
    assert rule.conditions == [{"field": "priority", "op": "equals", "value": 4}]
    assert rule.actions == [{"kind": "set_fields", "priority": "urgent", "tags_add": ["vip"]},
                            {"kind": "email", "to": "contact", "subject": "",
                             "body": "Hello {{ contact.name }}"}]


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"name": "  "}, "name", "needs a name"),
    ({"name": "x" * 201}, "name", ""),
    ({"description": "d" * 2001}, "description", "longer"),
    ({"trigger": "sometimes"}, "trigger", "trigger is one of"),
    ({"trigger": "time", "trigger_options": {"hours": 0}}, "trigger_options", "hours"),
    ({"trigger": "field_changed", "trigger_options": {"field": "secret"}}, "trigger_options",
     "field is one of"),
    ({"conditions": [{"field": "nope", "op": "equals", "value": "x"}]}, "conditions",
     "unknown field"),
    ({"actions": []}, "actions", "at least one action"),
    ({"actions": [{"kind": "add_note", "body": "{% load static %}"}]}, "actions", "may not use"),
    ({"actions": [{"kind": "email", "body": "{% if %}"}]}, "actions", "does not compile"),
    ({"actions": [{"kind": "create_task", "subject": "{{ x|nofilter }}"}]}, "actions",
     "does not compile"),
    ({"actions": [{"kind": "transition", "to": "resolved"}]}, "actions",
     "a move into resolved needs a note"),
    ({"actions": [{"kind": "transition", "to": "closed", "note": "done"}]}, "actions",
     "closed reason"),
    ({"actions": [{"kind": "transition", "to": "closed", "note": "x", "closed_reason": "Nope"}]},
     "actions", "not a closed reason"),
    ({"actions": [{"kind": "set_fields", "type": "Nonsense"}]}, "actions", "not a type"),
    ({"actions": [{"kind": "set_fields", "category": "Billing", "subcategory": "Login"}]},
     "actions", "not a subcategory"),
    ({"actions": [{"kind": "set_fields", "queue_id": 99999999}]}, "actions", "no active queue"),
    ({"actions": [{"kind": "set_fields", "owner_id": 99999999}]}, "actions", "no active member"),
    ({"actions": [{"kind": "email", "to": "user", "user_id": 99999999, "body": "x"}]}, "actions",
     "no active member"),
    ({"actions": [{"kind": "create_task", "subject": "x", "owner": "user", "owner_id": 99999999}]},
     "actions", "no active member"),
    ({"actions": [{"kind": "webhook", "endpoint_id": 99999999}]}, "actions", "no webhook"),
    ({"actions": [{"kind": "webhook", "endpoint_id": None}]}, "actions",
     "choose an endpoint before switching the rule on"),
    ({"actions": [{"kind": "apply_macro", "macro_id": 99999999}]}, "actions", "no shared"),
    ({"name": "a\x00b"}, "name", "NUL"),
])
def test_bad_input_is_refused_and_nothing_stored(tenant: Tenant, data: dict[str, Any],
                                                 field: str, words: str) -> None:
    data = {"name": "Rule", "actions": TAG, **data}
    with pytest.raises(Invalid) as refused:
        rule_create(tenant=tenant, actor=None, data=RuleInput(**data), now=NOW)
    assert refused.value.field == field
    assert words in refused.value.detail
    assert not AutomationRule.objects.filter(tenant=tenant).exists()


def test_targets_of_another_tenant_are_unknown(tenant: Tenant, other_tenant: Tenant,
                                               outsider: Membership) -> None:
    foreign_queue = Queue.objects.filter(tenant=other_tenant).first()
    assert foreign_queue is not None
    cases = [
        {"kind": "set_fields", "queue_id": foreign_queue.pk},
        {"kind": "set_fields", "owner_id": outsider.user_id},
        {"kind": "webhook", "endpoint_id": endpoint(other_tenant).pk},
        {"kind": "apply_macro", "macro_id": macro(other_tenant).pk},
    ]
    for action in cases:
        with pytest.raises(Invalid):
            make(tenant, actions=[action])


def test_personal_and_retired_macros_are_refused(tenant: Tenant, admin: Membership) -> None:
    with pytest.raises(Invalid):
        personal = macro(tenant, owner=admin.user)
        make(tenant, actions=[{"kind": "apply_macro", "macro_id": personal.pk}])
    with pytest.raises(Invalid):
        make(tenant, actions=[{"kind": "apply_macro",
                               "macro_id": macro(tenant, name="Old", is_active=False).pk}])
    shared = macro(tenant, name="Shared")
    assert make(tenant, actions=[{"kind": "apply_macro", "macro_id": shared.pk}]).pk


def test_good_targets_are_taken(tenant: Tenant, admin: Membership, finance: Queue) -> None:
    rule = make(tenant, actions=[
        {"kind": "set_fields", "queue_id": finance.pk, "owner_id": admin.user_id,
         "type": "Bug", "category": "Billing", "subcategory": "Refund"},
        {"kind": "webhook", "endpoint_id": endpoint(tenant).pk},
        {"kind": "create_task", "subject": "Follow up {{ case.number }}", "due_in_hours": 168},
        {"kind": "transition", "to": "closed", "note": "Done", "closed_reason": "Resolved"},
        {"kind": "acknowledge"},
    ])
    assert len(rule.actions) == 5


def test_webhook_without_endpoint_is_allowed_on_a_disabled_rule_only(tenant: Tenant) -> None:
    rule = make(tenant, is_enabled=False, actions=[{"kind": "webhook", "endpoint_id": None}])
    with pytest.raises(Invalid, match="choose an endpoint"):
        rule_update(rule=rule, changes={"is_enabled": True}, now=NOW)
    rule.refresh_from_db()
    assert rule.is_enabled is False
    hook = endpoint(tenant)
    rule = rule_update(rule=rule, changes={"actions": [{"kind": "webhook", "endpoint_id": hook.pk}],
                                           "is_enabled": True}, now=NOW)
    assert rule.is_enabled


def test_a_time_rule_starts_when_it_is_switched_on(tenant: Tenant) -> None:
    on = make(tenant, trigger="time", trigger_options={"hours": 24})
    assert on.enabled_at == on.swept_until == NOW
    off = make(tenant, "Off", trigger="time", trigger_options={"hours": 24}, is_enabled=False)
    assert off.enabled_at is None and off.swept_until is None
    later = NOW + timedelta(days=3)
    off = rule_update(rule=off, changes={"is_enabled": True}, now=later)
    assert off.enabled_at == off.swept_until == later
    # Switching it off leaves them; renaming an enabled rule does not restart it.
    off = rule_update(rule=off, changes={"is_enabled": False}, now=later + timedelta(days=1))
    assert off.enabled_at == later
    on = rule_update(rule=on, changes={"name": "Renamed"}, now=later)
    assert on.enabled_at == NOW
    # An event rule has no clock.
    assert make(tenant, "Event").enabled_at is None


def test_every_write_bumps_the_version(tenant: Tenant) -> None:
    start = tenant.automation_version
    rule = make(tenant)
    other = make(tenant, "Other")
    rule_update(rule=rule, changes={"name": "New"}, now=NOW)
    services.rules_reorder(tenant=tenant, rule_ids=[other.pk, rule.pk])
    services.rule_delete(rule=other)
    tenant.refresh_from_db()
    assert tenant.automation_version == start + 5


def test_rules_keep_their_order(tenant: Tenant) -> None:
    a, b = make(tenant, "A"), make(tenant, "B")
    c = rule_create(tenant=tenant, actor=None, data=RuleInput(name="C", actions=TAG), now=NOW,
                    position=0)
    assert [r.name for r in AutomationRule.objects.filter(tenant=tenant)] == ["C", "A", "B"]
    rule_update(rule=c, changes={"position": 5}, now=NOW)
    assert [r.name for r in AutomationRule.objects.filter(tenant=tenant)] == ["A", "B", "C"]
    services.rules_reorder(tenant=tenant, rule_ids=[b.pk, c.pk, a.pk])
    assert [r.name for r in AutomationRule.objects.filter(tenant=tenant)] == ["B", "C", "A"]
    with pytest.raises(Invalid):
        services.rules_reorder(tenant=tenant, rule_ids=[b.pk, c.pk])
    services.rule_delete(rule=c)
    assert list(AutomationRule.objects.filter(tenant=tenant).values_list("name", "position")) == [
        ("B", 0), ("A", 1)]


def test_a_tenant_has_at_most_500_rules(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "RULE_LIMIT", 2)
    make(tenant, "A")
    make(tenant, "B")
    with pytest.raises(Conflict):
        make(tenant, "C")


def test_preview_matches_real_cases_and_tells_what_it_would_do(tenant: Tenant) -> None:
    outage = make_case(tenant, subject="Total outage in EU", now=NOW - timedelta(days=6))
    make_case(tenant, subject="Invoice question", now=NOW - timedelta(hours=2))
    draft = services.rule_from_input(tenant, RuleInput(
        name="Draft", conditions=[{"field": "subject", "op": "contains", "value": "outage"}],
        actions=[{"kind": "set_fields", "priority": "urgent", "tags_add": ["vip"]},
                 {"kind": "email", "subject": "We are on it", "body": "Hi"}]))
    rows = services.rule_preview(tenant=tenant, draft=draft, now=NOW)
    assert [r.matched for r in rows] == [False, True]  # newest first
    assert rows[1].number == outage.display_number
    assert rows[1].due is None and rows[1].would_run
    assert rows[1].actions == ("set priority to urgent; add tag vip; "
                               "email the contact “We are on it”")
    assert not AutomationRule.objects.filter(tenant=tenant).exists()


def test_preview_of_a_time_rule_says_whose_wait_has_passed(tenant: Tenant) -> None:
    old = make_case(tenant, subject="Old", now=NOW - timedelta(days=6))
    make_case(tenant, subject="New", now=NOW - timedelta(days=1))
    draft = services.rule_from_input(tenant, RuleInput(
        name="Draft", trigger="time", trigger_options={"anchor": "created", "hours": 120},
        actions=[{"kind": "create_task", "subject": "Call", "due_in_hours": 168}]))
    rows = {r.number: r for r in services.rule_preview(tenant=tenant, draft=draft, now=NOW)}
    assert rows[old.display_number].due is True and rows[old.display_number].would_run
    assert [r.due for r in rows.values() if r.number != old.display_number] == [False]
    assert rows[old.display_number].actions == "create a task “Call” due in 7 days"


def test_run_counts_come_from_the_run_log(tenant: Tenant) -> None:
    case = make_case(tenant, now=NOW)  # before the rules, which would run on it
    rule, quiet = make(tenant), make(tenant, "Quiet")
    for i, outcome in enumerate(("done", "failed", "done")):
        RuleRun.objects.create(tenant=tenant, rule=rule, case=case, trigger="case_created",
                               outcome=outcome, created_at=NOW + timedelta(minutes=i))
    counts = run_counts(tenant)
    assert counts[rule.pk].total == 3 and counts[rule.pk].failed == 1
    assert counts[rule.pk].last_run == NOW + timedelta(minutes=2)
    assert quiet.pk not in counts
    lines = rule_lines(tenant)
    assert [(line.rule.name, line.counts.total) for line in lines] == [("Rule", 3), ("Quiet", 0)]
    assert lines[0].trigger == "case created" and lines[0].actions == ["add tag vip"]
