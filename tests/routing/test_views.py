"""The routing pages: rules (list, order, enable, delete, form, preview),
queues and people (strategies, members' routing facts, skills per category), the availability
switch in the top bar, and re-routing from the case page with its timeline entry."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement, Strategy
from casedesk.routing.queues import queue_update
from casedesk.routing.services import RuleInput, rule_create
from casedesk.tenancy.models import Availability, Tenant
from tests.conftest import NOW, login
from tests.factories import make_case

HX = {"HTTP_HX_REQUEST": "true"}


def make_rule(
    tenant: Tenant,
    name: str,
    conditions: list[dict[str, Any]],
    actions: dict[str, Any],
    **kwargs: Any,
) -> RoutingRule:
    return rule_create(
        tenant=tenant,
        now=NOW,
        data=RuleInput(name=name, conditions=conditions, actions=actions, **kwargs),
    )


@pytest.fixture
def rules(tenant: Tenant, finance: Queue, engineering: Queue) -> list[RoutingRule]:
    return [
        make_rule(
            tenant,
            "Billing to Finance",
            [{"field": "category", "op": "equals", "value": "Billing"}],
            {"queue_id": finance.pk},
        ),
        make_rule(
            tenant,
            "Outages to Engineering",
            [{"field": "subject", "op": "contains", "value": "outage"}],
            {"queue_id": engineering.pk, "priority": "urgent"},
        ),
        make_rule(
            tenant,
            "VIP tag",
            [{"field": "account.tier", "op": "equals", "value": "Gold"}],
            {"tags": ["vip"]},
        ),
    ]


def order(tenant: Tenant) -> list[str]:
    return list(
        RoutingRule.objects.filter(tenant=tenant)
        .order_by("position")
        .values_list("name", flat=True)
    )


def form(
    name: str = "Billing to Finance", *conditions: tuple[str, str, str], **extra: str
) -> dict[str, str]:
    """The rule form as a browser sends it; conditions as (field, op, value), custom fields
    as ("custom:<key>", op, value)."""
    data = {
        "name": name,
        "match": "all",
        "is_enabled": "1",
        "queue": "",
        "owner": "",
        "priority": "",
        "tags": "",
        "action": "save",
    }
    for i, (field, op, value) in enumerate(conditions):
        key = ""
        if field.startswith("custom:"):
            field, key = "custom", field.removeprefix("custom:")
        data.update(
            {f"c-{i}-field": field, f"c-{i}-key": key, f"c-{i}-op": op, f"c-{i}-value": value}
        )
    data.update(extra)
    return data


# --- who may see and change what -------------------------------------------------------------


def test_agents_get_403_everywhere(agent, rules, finance):
    client = login(agent)
    rule = rules[0]
    for path in (
        "/routing/rules",
        "/routing/rules/new",
        f"/routing/rules/{rule.pk}",
        f"/routing/rules/{rule.pk}?try=1",
        "/routing/queues",
    ):
        assert client.get(path).status_code == 403, path
    for path, data in (
        (f"/routing/rules/{rule.pk}/toggle", {"enable": "0"}),
        (f"/routing/rules/{rule.pk}/move", {"direction": "down"}),
        (f"/routing/rules/{rule.pk}/delete", {}),
        ("/routing/rules/reorder", {"rule_ids": ""}),
        ("/routing/rules/new", form("Sneaky")),
        (f"/routing/rules/{rule.pk}", form("Renamed")),
        (f"/routing/queues/{finance.pk}/strategy", {"strategy": "round_robin"}),
        (f"/routing/members/{agent.user_id}", {"skills": "x", "territory": "", "capacity": "1"}),
        ("/routing/skills", {"sk-0-category": "Billing", "sk-0-skills": "x"}),
    ):
        assert client.post(path, data).status_code == 403, path
    assert order(agent.tenant) == ["Billing to Finance", "Outages to Engineering", "VIP tag"]
    assert RoutingRule.objects.filter(is_enabled=False).count() == 0
    finance.refresh_from_db()
    assert finance.strategy == Strategy.MANUAL and not SkillRequirement.objects.exists()


def test_nav_shows_routing_to_admins_and_managers_only(admin, manager, agent):
    link = 'href="/routing/rules"'
    assert link in login(admin).get("/inbox/cases").content.decode()
    assert link in login(manager).get("/inbox/cases").content.decode()
    assert link not in login(agent).get("/inbox/cases").content.decode()


def test_managers_read_but_do_not_change(manager, rules, finance, agent):
    client = login(manager)
    rule = rules[0]
    listing = client.get("/routing/rules")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "Billing to Finance" in body and 'data-testid="read-only"' in body
    assert "/toggle" not in body and "/move" not in body and "New rule" not in body
    page = client.get(f"/routing/rules/{rule.pk}").content.decode()
    assert 'class="bare" disabled' in page and 'data-testid="save-rule"' not in page
    assert f'href="/routing/rules/{rule.pk}?try=1#preview"' in page
    assert client.get("/routing/rules/new").status_code == 403
    queues = client.get("/routing/queues").content.decode()
    assert "Finance" in queues and 'data-testid="save-strategy"' not in queues
    assert 'name="capacity"' not in queues
    for path, data in (
        (f"/routing/rules/{rule.pk}", form("Renamed")),
        (f"/routing/rules/{rule.pk}/toggle", {"enable": "0"}),
        (f"/routing/rules/{rule.pk}/delete", {}),
        (f"/routing/queues/{finance.pk}/strategy", {"strategy": "round_robin"}),
        (f"/routing/members/{agent.user_id}", {"skills": "x", "territory": "", "capacity": "1"}),
    ):
        assert client.post(path, data).status_code == 403, path
    rule.refresh_from_db()
    assert rule.name == "Billing to Finance" and rule.is_enabled


def test_another_tenants_rule_queue_and_member_are_404(outsider, rules, finance, agent):
    client = login(outsider)  # an admin, of Globex
    rule = rules[0]
    assert client.get(f"/routing/rules/{rule.pk}").status_code == 404
    assert client.get(f"/routing/rules/{rule.pk}?try=1").status_code == 404
    for path, data in (
        (f"/routing/rules/{rule.pk}", form("Mine now")),
        (f"/routing/rules/{rule.pk}/toggle", {"enable": "0"}),
        (f"/routing/rules/{rule.pk}/move", {"direction": "down"}),
        (f"/routing/rules/{rule.pk}/delete", {}),
        (f"/routing/queues/{finance.pk}/strategy", {"strategy": "round_robin"}),
        (f"/routing/members/{agent.user_id}", {"skills": "x", "territory": "", "capacity": "1"}),
    ):
        assert client.post(path, data).status_code == 404, path
    # Reordering names rules Globex does not have: refused, Acme's order untouched.
    ids = ",".join(str(r.pk) for r in reversed(rules))
    assert client.post("/routing/rules/reorder", {"rule_ids": ids}).status_code == 302
    assert order(rules[0].tenant) == ["Billing to Finance", "Outages to Engineering", "VIP tag"]
    rule.refresh_from_db()
    assert rule.name == "Billing to Finance" and rule.is_enabled
    finance.refresh_from_db()
    assert finance.strategy == Strategy.MANUAL
    agent.refresh_from_db()
    assert agent.skills == [] and agent.capacity == 20
    # Globex's own list does not show Acme's rules.
    body = client.get("/routing/rules").content.decode()
    assert 'data-testid="rule-row"' not in body and "No rules yet" in body


def test_rule_ids_out_of_range_are_404(admin):
    assert login(admin).get(f"/routing/rules/{2**63}").status_code == 404


# --- the list: order, enable, delete ---------------------------------------------------------


def test_list_shows_rules_in_order_in_words(admin, rules):
    body = login(admin).get("/routing/rules").content.decode()
    positions = [body.index(name) for name in order(admin.tenant)]
    assert positions == sorted(positions)
    assert "Category is Billing" in body and "Queue Finance" in body
    assert "Subject contains outage" in body and "Priority urgent" in body
    assert "Account tier is Gold" in body and "Tags vip" in body
    first, last = rules[0].pk, rules[-1].pk
    disabled = re.findall(r'id="(\w+-\d+)"\s+aria-label="[^"]+" disabled', body)
    assert disabled == [f"up-{first}", f"down-{last}"]  # first can't go up, last can't go down


def test_move_up_and_down_plain_and_by_htmx(admin, rules):
    client = login(admin)
    tenant = admin.tenant
    response = client.post(f"/routing/rules/{rules[2].pk}/move", {"direction": "up"}, follow=True)
    assert order(tenant) == ["Billing to Finance", "VIP tag", "Outages to Engineering"]
    assert "“VIP tag” moved up to place 2." in response.content.decode()
    response = client.post(f"/routing/rules/{rules[0].pk}/move", {"direction": "down"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="rules"')  # just the list, for the swap
    assert "moved down to place 2" in html
    table = html[html.index('data-testid="rules"') :]
    assert table.index("VIP tag") < table.index("Billing to Finance") < table.index("Outages")
    assert order(tenant) == ["VIP tag", "Billing to Finance", "Outages to Engineering"]
    # Already first: nothing moves, nothing breaks.
    client.post(f"/routing/rules/{rules[2].pk}/move", {"direction": "up"}, **HX)
    assert order(tenant) == ["VIP tag", "Billing to Finance", "Outages to Engineering"]


def test_reorder_by_drag_sends_the_whole_order(admin, rules):
    client = login(admin)
    ids = [rules[1].pk, rules[2].pk, rules[0].pk]
    response = client.post("/routing/rules/reorder", {"rule_ids": ",".join(map(str, ids))}, **HX)
    assert response.status_code == 200
    assert order(admin.tenant) == ["Outages to Engineering", "VIP tag", "Billing to Finance"]
    # A stale order (a rule missing) is refused with the service's reason; nothing moves.
    refused = client.post("/routing/rules/reorder", {"rule_ids": f"{ids[0]},{ids[1]}"}, **HX)
    assert refused.status_code == 422
    assert "every rule" in refused.content.decode()
    junk = client.post("/routing/rules/reorder", {"rule_ids": "1,x"}, **HX)
    assert junk.status_code == 422
    assert order(admin.tenant) == ["Outages to Engineering", "VIP tag", "Billing to Finance"]


def test_toggle_disables_and_enables(admin, rules):
    client = login(admin)
    rule = rules[1]
    response = client.post(f"/routing/rules/{rule.pk}/toggle", {"enable": "0"}, **HX)
    assert response.status_code == 200
    rule.refresh_from_db()
    assert not rule.is_enabled
    html = response.content.decode()
    assert "“Outages to Engineering” disabled." in html
    assert 'aria-label="Enable Outages to Engineering"' in html
    # The state is given, not flipped: the same post twice keeps it disabled.
    client.post(f"/routing/rules/{rule.pk}/toggle", {"enable": "0"})
    rule.refresh_from_db()
    assert not rule.is_enabled
    response = client.post(f"/routing/rules/{rule.pk}/toggle", {"enable": "1"}, follow=True)
    rule.refresh_from_db()
    assert rule.is_enabled and "“Outages to Engineering” enabled." in response.content.decode()


def test_delete_removes_the_rule_and_closes_the_gap(admin, rules):
    client = login(admin)
    response = client.post(f"/routing/rules/{rules[1].pk}/delete", follow=True)
    assert "“Outages to Engineering” deleted." in response.content.decode()
    assert order(admin.tenant) == ["Billing to Finance", "VIP tag"]
    assert list(
        RoutingRule.objects.filter(tenant=admin.tenant)
        .order_by("position")
        .values_list("position", flat=True)
    ) == [0, 1]
    assert client.post(f"/routing/rules/{rules[1].pk}/delete").status_code == 404


# --- the form -----------------------------------------------------------------------------------


def test_new_rule_form_offers_fields_operators_and_actions(admin, finance):
    body = login(admin).get("/routing/rules/new").content.decode()
    assert 'name="c-0-field"' in body and '<option value="custom">Custom field…</option>' in body
    assert '<option value="account.territory">Account territory</option>' in body
    assert '<option value="not_in">is not one of</option>' in body
    assert f'<option value="{finance.pk}">Finance</option>' in body
    assert '<option value="urgent">Urgent</option>' in body
    assert 'id="rule-operators"' in body  # the operators per field, for the page script
    assert '<datalist id="values-category"><option value="Billing">' in body


def test_create_a_rule(admin, finance, agent):
    client = login(admin)
    response = client.post(
        "/routing/rules/new",
        form(
            "Billing to Finance",
            ("category", "equals", "Billing"),
            ("priority", "in", "high, urgent"),
            queue=str(finance.pk),
            owner=str(agent.user_id),
            priority="high",
            tags="vip, money",
        ),
    )
    rule = RoutingRule.objects.get(tenant=admin.tenant)
    assert response.status_code == 302 and response["Location"] == f"/routing/rules#rule-{rule.pk}"
    assert rule.name == "Billing to Finance" and rule.is_enabled and rule.match == "all"
    assert rule.conditions == [
        {"field": "category", "op": "equals", "value": "Billing"},
        {"field": "priority", "op": "in", "value": [3, 4]},
    ]
    assert rule.actions == {
        "queue_id": finance.pk,
        "owner_id": agent.user_id,
        "priority": 3,
        "tags": ["vip", "money"],
    }
    listing = client.get("/routing/rules").content.decode()
    assert "Rule “Billing to Finance” created at place 1." in listing


def test_create_with_custom_ids_and_no_value_operators(admin, finance):
    client = login(admin)
    response = client.post(
        "/routing/rules/new",
        form(
            "Big spenders",
            ("custom:seats", "gte", "50"),
            ("custom:trial", "equals", "true"),
            ("account.id", "not_in", "7, 9"),
            ("tags", "contains", "vip, gold"),
            ("description", "is_empty", "ignored"),
            queue=str(finance.pk),
            match="any",
        ),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(tenant=admin.tenant)
    assert rule.match == "any"
    assert rule.conditions == [
        {"field": "custom.seats", "op": "gte", "value": 50},
        {"field": "custom.trial", "op": "equals", "value": True},
        {"field": "account.id", "op": "not_in", "value": [7, 9]},
        {"field": "tags", "op": "contains", "value": ["vip", "gold"]},
        {"field": "description", "op": "is_empty", "value": None},
    ]
    # Opened again, the form shows what was stored the way it was typed.
    page = client.get(f"/routing/rules/{rule.pk}").content.decode()
    assert 'name="c-0-key" value="seats"' in page and 'name="c-0-value" value="50"' in page
    assert 'name="c-1-value" value="true"' in page
    assert 'name="c-2-value" value="7, 9"' in page
    assert '<option value="any" selected>' in page


def test_a_new_rule_goes_last_and_can_be_disabled_from_the_start(admin, rules, finance):
    login(admin).post(
        "/routing/rules/new",
        form("Late one", ("source", "equals", "email"), queue=str(finance.pk), is_enabled=""),
    )
    rule = RoutingRule.objects.get(name="Late one")
    assert rule.position == 3 and not rule.is_enabled


def test_edit_a_rule(admin, rules, engineering):
    client = login(admin)
    rule = rules[0]
    page = client.get(f"/routing/rules/{rule.pk}").content.decode()
    assert 'value="Billing to Finance"' in page and 'name="c-0-value" value="Billing"' in page
    response = client.post(
        f"/routing/rules/{rule.pk}",
        form(
            "Invoices to Engineering",
            ("subcategory", "equals", "Invoice"),
            queue=str(engineering.pk),
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Invoices to Engineering" and rule.position == 0
    assert rule.conditions == [{"field": "subcategory", "op": "equals", "value": "Invoice"}]
    assert rule.actions == {"queue_id": engineering.pk}


@pytest.mark.parametrize(
    ("conditions", "extra", "message", "row"),
    [
        ([("category", "gt", "Billing")], {}, "condition 1: category takes the operators", 0),
        (
            [("category", "equals", "Billing"), ("priority", "equals", "sky-high")],
            {},
            "condition 2: a priority is one of low, normal, high, urgent.",
            1,
        ),
        ([("custom:Bad Key", "equals", "x")], {}, "condition 1: unknown field 'custom.Bad Key'", 0),
        ([("category", "equals", "")], {}, "condition 1: the value is empty.", 0),
        (
            [("category", "equals", "Billing")],
            {"queue": ""},
            "A rule needs at least one action",
            None,
        ),
        ([("category", "equals", "Billing")], {"name": "  "}, "A rule needs a name.", None),
    ],
)
def test_invalid_rule_shows_the_reason_and_saves_nothing(
    admin, rules, finance, conditions, extra, message, row
):
    client = login(admin)
    data = form("Broken", *conditions, queue=str(finance.pk))
    data.update(extra)
    before = list(RoutingRule.objects.order_by("pk").values())
    response = client.post("/routing/rules/new", data)
    assert response.status_code == 422
    body = response.content.decode()
    shown = message[0].upper() + message[1:]  # the service's message, capitalised
    assert 'data-testid="form-error"' in body and shown in body.replace("&#x27;", "'")
    assert "Nothing was saved." in body
    if row is not None:
        rows = body.split('data-testid="condition-row"')[1:]
        assert 'has-error"' in body.split('data-testid="condition-row"')[row][-40:]
        assert all("has-error" not in r.split(">")[0] for r in rows)  # marked on the <li>
    # What was typed is still there.
    assert f'name="c-0-value" value="{conditions[0][2]}"' in body
    assert list(RoutingRule.objects.order_by("pk").values()) == before

    # The same mistake in an edit leaves the stored rule as it was.
    rule = rules[0]
    response = client.post(f"/routing/rules/{rule.pk}", data)
    assert response.status_code == 422 and shown in response.content.decode().replace("&#x27;", "'")
    assert list(RoutingRule.objects.order_by("pk").values()) == before


def test_add_and_remove_condition_rows_without_javascript(admin):
    client = login(admin)
    data = form("Two", ("category", "equals", "Billing"), action="add")
    page = client.post("/routing/rules/new", data)
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-testid="condition-row"') == 2
    assert 'name="c-0-value" value="Billing"' in body and 'name="c-1-field"' in body
    assert 'value="Two"' in body  # the rest of the form kept
    data = form(
        "Two",
        ("category", "equals", "Billing"),
        ("subject", "contains", "refund"),
        action="remove:0",
    )
    body = client.post("/routing/rules/new", data).content.decode()
    assert body.count('data-testid="condition-row"') == 1
    assert 'name="c-0-field"' in body and 'name="c-0-value" value="refund"' in body
    assert not RoutingRule.objects.exists()


def test_add_condition_by_htmx_swaps_only_the_conditions(admin):
    response = login(admin).post(
        "/routing/rules/new", form("Two", ("category", "equals", "Billing"), action="add"), **HX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<fieldset id="conditions"')
    assert html.count('data-testid="condition-row"') == 2 and "<html" not in html
    assert 'id="c-1-field" name="c-1-field" data-cond="field" autofocus' in html


# --- the preview -------------------------------------------------------------------------------


@pytest.fixture
def past_cases(tenant: Tenant) -> list[Case]:
    """Cases routed by the fallback map: Billing → Finance, the others → Support."""
    return [
        make_case(tenant, subject="Invoice twice", category="Billing"),
        make_case(tenant, subject="Refund please", category="Billing"),
        make_case(tenant, subject="Cannot log in", category="Technical"),
        make_case(tenant, subject="Where is the button", category="General"),
    ]


def test_preview_shows_where_the_last_cases_would_go(admin, past_cases, engineering):
    client = login(admin)
    data = form(
        "Billing to Engineering",
        ("category", "equals", "Billing"),
        queue=str(engineering.pk),
        action="preview",
    )
    response = client.post("/routing/rules/new", data, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="preview"')
    assert "Matched 2 of 4" in html
    table = html[html.index('data-testid="preview-table"') :]
    for case in past_cases:
        assert f'href="/cases/{case.display_number}"' in table
    # Billing cases now in Finance would go to Engineering by the draft rule; the rest by the
    # fallback map (Technical → Engineering, General → Support).
    row = table[table.index(past_cases[0].display_number) :].split("</tr>")[0]
    assert "Invoice twice" in row and "Finance" in row and "Yes" in row
    assert "Billing to Engineering" in row and "Engineering" in row
    row = table[table.index(past_cases[3].display_number) :].split("</tr>")[0]
    assert "Fallback map" in row and "Support" in row and ">No<" in row
    destinations = html[html.index('data-testid="preview-destinations"') :].split("</ul>")[0]
    assert "<span>Engineering</span> <strong>3</strong>" in destinations
    assert "<span>Support</span> <strong>1</strong>" in destinations
    assert "2 would land in another queue" in html
    assert not RoutingRule.objects.exists()  # trying saves nothing


def test_preview_works_without_javascript_as_a_full_page(admin, past_cases, finance):
    data = form(
        "Logins",
        ("subcategory", "is_empty", ""),
        ("text", "contains", "log in"),
        queue=str(finance.pk),
        action="preview",
    )
    response = login(admin).post("/routing/rules/new", data)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" in body
    assert "Matched 1 of 4" in body and 'value="Logins"' in body


def test_preview_of_an_existing_rule_tries_it_in_its_place(
    admin, rules, past_cases, seeded_support_queue
):
    client = login(admin)
    rule = rules[0]  # Billing → Finance, first
    data = form(
        rule.name,
        ("category", "in", "Billing, Technical"),
        queue=str(seeded_support_queue.pk),
        action="preview",
    )
    html = client.post(f"/routing/rules/{rule.pk}", data, **HX).content.decode()
    assert "Matched 3 of 4" in html
    assert "<span>Support</span> <strong>4</strong>" in html
    rule.refresh_from_db()
    assert rule.conditions == [{"field": "category", "op": "equals", "value": "Billing"}]


def test_preview_of_an_invalid_draft_says_why(admin, past_cases):
    data = form("Broken", ("priority", "contains", "high"), action="preview")
    html = login(admin).post("/routing/rules/new", data, **HX).content.decode()
    assert 'data-testid="preview-error"' in html
    assert "Condition 1: priority takes the operators" in html


def test_managers_try_the_stored_rule(manager, rules, past_cases):
    response = login(manager).get(f"/routing/rules/{rules[0].pk}?try=1")
    assert response.status_code == 200
    assert "Matched 2 of 4" in response.content.decode()


def test_preview_reads_a_fixed_number_of_queries(admin, past_cases, finance):
    client = login(admin)
    data = form(
        "Billing", ("category", "equals", "Billing"), queue=str(finance.pk), action="preview"
    )
    with CaptureQueriesContext(connection) as few:
        client.post("/routing/rules/new", data, **HX)
    for i in range(6):
        make_case(admin.tenant, subject=f"More {i}", category="Billing")
    with CaptureQueriesContext(connection) as more:
        assert "Matched 8 of 10" in client.post("/routing/rules/new", data, **HX).content.decode()
    assert len(more) <= len(few), [q["sql"] for q in more.captured_queries]


# --- queues and people ---------------------------------------------------------------------------


def test_queues_page_shows_strategies_members_and_their_facts(admin, agent, agent2, finance):
    finance.members.add(agent, agent2)
    agent2.availability = Availability.AWAY
    agent2.skills, agent2.territory, agent2.capacity = ["billing", "de"], "EMEA", 12
    agent2.save()
    make_case(admin.tenant, subject="Mine", owner_id=agent.user_id)
    body = login(admin).get("/routing/queues").content.decode()
    card = body[body.index(f'id="queue-{finance.pk}"') :].split("</section>")[0]
    assert "Alice Agent" in card and "Bob Agent" in card
    assert '<option value="manual" selected>Manual (agents claim)</option>' in card
    assert "billing, de" in card and "EMEA" in card and "12" in card
    assert 'avail-away">Away' in card
    assert "1 / 20" in card  # Alice: one open case of twenty
    assert 'data-testid="save-strategy"' in card


def test_admin_changes_a_queues_strategy(admin, finance):
    client = login(admin)
    response = client.post(
        f"/routing/queues/{finance.pk}/strategy", {"strategy": "round_robin"}, follow=True
    )
    finance.refresh_from_db()
    assert finance.strategy == Strategy.ROUND_ROBIN
    assert "Finance now assigns: Round-robin." in response.content.decode()
    response = client.post(
        f"/routing/queues/{finance.pk}/strategy", {"strategy": "lottery"}, follow=True
    )
    finance.refresh_from_db()
    assert finance.strategy == Strategy.ROUND_ROBIN
    assert "Choose one of the strategies" in response.content.decode()


def test_admin_sets_a_members_skills_territory_and_capacity(admin, agent):
    client = login(admin)
    response = client.post(
        f"/routing/members/{agent.user_id}",
        {"skills": "Billing, de, billing, ", "territory": " EMEA ", "capacity": "5"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/routing/queues#member-{agent.user_id}"
    agent.refresh_from_db()
    assert (agent.skills, agent.territory, agent.capacity) == (["Billing", "de"], "EMEA", 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"skills": "x", "territory": "", "capacity": "lots"}, "Capacity is a whole number"),
        ({"skills": "x", "territory": "", "capacity": "20000"}, "Capacity is a whole number"),
        ({"skills": "x" * 60, "territory": "", "capacity": "3"}, "at most 50 characters"),
        ({"skills": "x", "territory": "T" * 101, "capacity": "3"}, "at most 100 characters"),
    ],
)
def test_invalid_member_facts_are_refused_whole(admin, agent, data, message):
    response = login(admin).post(f"/routing/members/{agent.user_id}", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and 'data-testid="member-error"' in body
    assert f'value="{data["capacity"]}"' in body  # what was typed stays
    agent.refresh_from_db()
    assert (agent.skills, agent.territory, agent.capacity) == ([], "", 20)


def test_admin_edits_the_skills_per_category(admin):
    client = login(admin)
    response = client.post(
        "/routing/skills",
        {
            "sk-0-category": "Billing",
            "sk-0-subcategory": "",
            "sk-0-skills": "billing, payments",
            "sk-1-category": "Technical",
            "sk-1-subcategory": "Integration",
            "sk-1-skills": "api",
            "sk-2-category": "",
            "sk-2-subcategory": "",
            "sk-2-skills": "",
        },
    )
    assert response.status_code == 302
    rows = {(r.category, r.subcategory): r.skills for r in SkillRequirement.objects.all()}
    assert rows == {("Billing", ""): ["billing", "payments"], ("Technical", "Integration"): ["api"]}
    page = client.get("/routing/queues").content.decode()
    assert 'value="billing, payments"' in page and 'value="Integration"' in page
    # Emptying a row removes it.
    client.post(
        "/routing/skills",
        {
            "sk-0-category": "Billing",
            "sk-0-subcategory": "",
            "sk-0-skills": "billing",
            "sk-1-category": "",
            "sk-1-subcategory": "",
            "sk-1-skills": "",
        },
    )
    assert list(SkillRequirement.objects.values_list("category", "skills")) == [
        ("Billing", ["billing"])
    ]


def test_invalid_skills_table_saves_nothing(admin):
    client = login(admin)
    client.post("/routing/skills", {"sk-0-category": "Billing", "sk-0-skills": "billing"})
    response = client.post(
        "/routing/skills",
        {
            "sk-0-category": "Billing",
            "sk-0-skills": "billing, payments",
            "sk-1-category": "",
            "sk-1-subcategory": "Refund",
            "sk-1-skills": "refunds",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Each entry needs a category." in body and 'value="billing, payments"' in body
    assert list(SkillRequirement.objects.values_list("category", "skills")) == [
        ("Billing", ["billing"])
    ]


# --- the availability switch -------------------------------------------------------------------


def pressed(html: str) -> list[str]:
    """The availability buttons shown as pressed."""
    return re.findall(r'value="(\w+)" class="avail avail-\w+"\s+aria-pressed="true"', html)


def test_every_member_has_the_availability_switch(agent):
    body = login(agent).get("/inbox/cases").content.decode()
    assert 'id="availability"' in body
    assert 'aria-label="My availability: Available"' in body
    assert pressed(body) == ["available"]


def test_availability_switch_by_htmx(agent):
    response = login(agent).post(
        "/me/availability", {"availability": "away", "next": "/cases"}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="availability"')
    assert pressed(html) == ["away"] and 'aria-label="My availability: Away"' in html
    assert "You are now away." in html and 'name="next" value="/cases"' in html
    agent.refresh_from_db()
    assert agent.availability == Availability.AWAY


def test_availability_switch_without_javascript(agent):
    client = login(agent)
    response = client.post("/me/availability", {"availability": "offline", "next": "/cases"})
    assert response.status_code == 302 and response["Location"] == "/cases"
    agent.refresh_from_db()
    assert agent.availability == Availability.OFFLINE
    page = client.get("/cases").content.decode()
    assert "You are now offline." in page
    # Only our own pages are followed back.
    response = client.post(
        "/me/availability", {"availability": "available", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/inbox/cases"


def test_unknown_availability_is_refused(agent):
    client = login(agent)
    response = client.post("/me/availability", {"availability": "asleep"}, **HX)
    assert response.status_code == 422 and "Availability is one of" in response.content.decode()
    agent.refresh_from_db()
    assert agent.availability == Availability.AVAILABLE


def test_availability_is_per_tenant(agent, other_tenant):
    from casedesk.tenancy.services import membership_add

    elsewhere = membership_add(tenant=other_tenant, user=agent.user)
    login(agent).post("/me/availability", {"availability": "away"})
    agent.refresh_from_db()
    elsewhere.refresh_from_db()
    assert agent.availability == Availability.AWAY
    assert elsewhere.availability == Availability.AVAILABLE


def test_availability_needs_login():
    response = Client().post("/me/availability", {"availability": "away"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- re-routing from the case page and the routed timeline entries ------------------------------


def test_case_routed_on_creation_names_the_rule_in_its_timeline(admin, agent, rules, finance):
    case = make_case(agent.tenant, subject="Double charge", category="Billing", actor=agent.user)
    assert case.queue_id == finance.pk
    body = login(admin).get(f"/cases/{case.display_number}").content.decode()
    timeline = body[body.index('data-testid="timeline"') :]
    entry = timeline[: timeline.index("</li>")]
    assert "Routing</strong>" in entry and "routed the case to Finance" in entry
    assert f'<a href="/routing/rules/{rules[0].pk}">Billing to Finance</a>' in entry
    assert "Routed by rule “Billing to Finance” to Finance." in entry
    # Agents see the rule's name without a link to a page they may not open.
    agent_view = login(agent).get(f"/cases/{case.display_number}").content.decode()
    assert 'data-testid="routed-rule">Rule Billing to Finance</span>' in agent_view


def test_fallback_routing_has_no_rule_badge(agent):
    case = make_case(agent.tenant, subject="Hello", category="General")
    body = login(agent).get(f"/cases/{case.display_number}").content.decode()
    assert "routed the case to Support" in body and "Routed by the fallback map" in body
    assert 'data-testid="routed-rule"' not in body


def test_reroute_button_routes_again_and_tells_where(
    admin, agent, seeded_support_queue, engineering
):
    case = make_case(agent.tenant, subject="Where is the button", category="General")
    assert case.queue_id == seeded_support_queue.pk
    make_rule(
        agent.tenant,
        "General to Engineering",
        [{"field": "category", "op": "equals", "value": "General"}],
        {"queue_id": engineering.pk},
    )
    client = login(agent)
    page = client.get(f"/cases/{case.display_number}").content.decode()
    assert 'data-testid="reroute"' in page
    response = client.post(f"/cases/{case.display_number}/reroute", follow=True)
    body = response.content.decode()
    case.refresh_from_db()
    assert case.queue_id == engineering.pk
    assert "Routed by rule “General to Engineering” to Engineering." in body  # the message
    event = TimelineEvent.objects.filter(case=case, kind=EventKind.ROUTED).latest("id")
    assert (
        event.actor_id == agent.user_id and event.old_value["queue_id"] == seeded_support_queue.pk
    )
    timeline = body[body.index('data-testid="timeline"') :]
    entry = timeline[: timeline.index("</li>")]
    assert "Alice Agent</strong>" in entry and "re-routed the case" in entry
    assert "<del>Support</del>" in entry and "<ins>Engineering</ins>" in entry


def test_reroute_by_htmx_refreshes_the_page_parts(agent, seeded_support_queue, engineering):
    case = make_case(agent.tenant, subject="Where is the button", category="General")
    queue_update(queue=engineering, changes={"strategy": Strategy.ROUND_ROBIN})
    engineering.members.set([agent])
    make_rule(
        agent.tenant,
        "General to Engineering",
        [{"field": "category", "op": "equals", "value": "General"}],
        {"queue_id": engineering.pk, "priority": "high"},
    )
    response = login(agent).post(f"/cases/{case.display_number}/reroute", **HX)
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    html = response.content.decode()
    assert html.count('hx-swap-oob="true"') == 3
    assert "Assigned to Alice Agent (round-robin)." in html
    assert "<del>Normal</del>" in html and "<ins>High</ins>" in html
    case.refresh_from_db()
    assert case.owner_id == agent.user_id and case.priority == 3


def test_reroute_of_a_closed_case_is_refused(agent, seeded_support_queue):
    case = make_case(agent.tenant, subject="Done", category="General")
    for to in ("open", "in_progress"):
        case_transition(case=case, actor=None, to=to, now=NOW)
    case_transition(case=case, actor=None, to="resolved", note="ok", now=NOW)
    client = login(agent)
    page = client.get(f"/cases/{case.display_number}").content.decode()
    assert 'data-testid="reroute"' not in page
    before = TimelineEvent.objects.filter(case=case).count()
    response = client.post(f"/cases/{case.display_number}/reroute", **HX)
    assert response.status_code == 409
    assert 'data-testid="reroute-error"' in response.content.decode()
    assert "re-open it first" in response.content.decode()
    plain = client.post(f"/cases/{case.display_number}/reroute", follow=True)
    assert "re-open it first" in plain.content.decode()
    assert TimelineEvent.objects.filter(case=case).count() == before


def test_reroute_of_another_tenants_case_is_a_404(outsider, agent):
    case = make_case(agent.tenant, subject="Ours", category="General")
    assert login(outsider).post(f"/cases/{case.display_number}/reroute").status_code == 404
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.ROUTED).count() == 1


def test_routed_entries_keep_the_case_page_query_count_flat(agent, rules, engineering):
    case = make_case(agent.tenant, subject="Outage", category="Billing")
    client = login(agent)
    client.get(f"/cases/{case.display_number}")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/cases/{case.display_number}")
    for _ in range(5):
        client.post(f"/cases/{case.display_number}/reroute")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/cases/{case.display_number}")
    assert len(many) <= len(few) + 1, [q["sql"] for q in many.captured_queries]


def test_a_rule_whose_queue_was_deactivated_can_still_be_disabled(admin, rules, finance):
    # Archiving refuses a queue an enabled rule sends cases to; a queue archived before that
    # check existed still leaves its rule free to be switched off.
    Queue.objects.filter(pk=finance.pk).update(is_active=False)
    response = login(admin).post(f"/routing/rules/{rules[0].pk}/toggle", {"enable": "0"}, **HX)
    assert response.status_code == 200
    rules[0].refresh_from_db()
    assert not rules[0].is_enabled


def test_a_refused_change_says_why_and_changes_nothing(admin, rules, monkeypatch):
    from casedesk.core.errors import Invalid

    def refuse(**kwargs: Any) -> None:
        raise Invalid("No active queue with id 99.", field="actions")

    monkeypatch.setattr("casedesk.routing.services.rule_update", refuse)
    client = login(admin)
    response = client.post(f"/routing/rules/{rules[0].pk}/toggle", {"enable": "0"}, **HX)
    assert response.status_code == 422 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "No active queue with id 99."  # the page's toast
    plain = client.post(f"/routing/rules/{rules[0].pk}/toggle", {"enable": "0"}, follow=True)
    assert "No active queue with id 99." in plain.content.decode()
    rules[0].refresh_from_db()
    assert rules[0].is_enabled
