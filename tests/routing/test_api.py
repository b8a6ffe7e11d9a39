"""Routing through the API: rules (with their preview on past cases), the skills map, queue
strategies, members' routing facts and availability, the tenant's routing settings, a case's
language and re-routing on demand, and new cases landing where the rules say."""

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.cases.models import Case, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement, Strategy
from casedesk.routing.services import RuleInput, rule_create
from casedesk.tenancy.models import Membership, Tenant
from tests.api_checks import conforms, error
from tests.conftest import NOW, Api
from tests.factories import AccountFactory, make_case

RULES = "/routing/rules"


def rule_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Billing to Finance",
        "conditions": [{"field": "category", "op": "equals", "value": "Billing"}],
        "actions": {"priority": "high"},
    }
    body.update(fields)
    return body


def make_rule(tenant: Tenant, name: str, queue: Queue | None = None, **fields: Any
              ) -> RoutingRule:
    actions = fields.pop("actions", {"queue_id": queue.pk} if queue else {"tags": ["x"]})
    return rule_create(tenant=tenant, now=NOW, data=RuleInput(name=name, actions=actions,
                                                              **fields))


def timeline(api: Api, number: str) -> list[dict[str, Any]]:
    response = api.get(f"/cases/{number}/timeline")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def routed_events(api: Api, number: str) -> list[dict[str, Any]]:
    return [e for e in timeline(api, number) if e["kind"] == "routed"]


# --- rules: create, read, change, order, delete ----------------------------------------------


def test_an_admin_creates_a_rule_and_reads_it_back(admin_api, manager_api, finance,
                                                   agent, tenant) -> None:
    response = admin_api.post(RULES, rule_body(
        name="  VIP billing ", match="any",
        conditions=[{"field": "category", "op": "equals", "value": "Billing"},
                    {"field": "priority", "op": "in", "value": ["high", "urgent"]},
                    {"field": "account.tier", "op": "in", "value": ["Enterprise", "Gold"]},
                    {"field": "custom.seats", "op": "gt", "value": 100},
                    {"field": "tags", "op": "is_set"}],
        actions={"queue_id": finance.pk, "owner_id": agent.user_id, "priority": "urgent",
                 "tags": ["vip", " vip ", "money"]}))
    assert response.status_code == 201, response.content
    body = conforms(response, "POST", RULES)
    assert (body["name"], body["match"], body["is_enabled"], body["position"]) == (
        "VIP billing", "any", True, 0)
    assert body["conditions"] == [
        {"field": "category", "op": "equals", "value": "Billing"},
        {"field": "priority", "op": "in", "value": ["high", "urgent"]},
        {"field": "account.tier", "op": "in", "value": ["Enterprise", "Gold"]},
        {"field": "custom.seats", "op": "gt", "value": 100},
        {"field": "tags", "op": "is_set", "value": None},
    ]
    assert body["actions"] == {"queue_id": finance.pk, "owner_id": agent.user_id,
                               "priority": "urgent", "tags": ["vip", "money"]}
    assert body["created_at"] == body["updated_at"]
    rule = RoutingRule.objects.get(pk=body["id"])
    assert rule.tenant_id == tenant.pk and rule.actions["priority"] == 4
    # Managers read rules too; what they read is what was written.
    read = manager_api.get(f"{RULES}/{body['id']}")
    assert conforms(read, "GET", "/routing/rules/{rule_id}") == body
    listed = manager_api.get(RULES)
    assert conforms(listed, "GET", RULES) == [body]


def test_rules_list_in_order_and_a_new_rule_can_go_anywhere(admin_api, tenant, finance
                                                             ) -> None:
    first = make_rule(tenant, "first", finance)
    second = make_rule(tenant, "second", finance)
    response = admin_api.post(RULES, rule_body(name="top", position=0))
    assert response.status_code == 201
    assert response.json()["position"] == 0
    response = admin_api.post(RULES, rule_body(name="beyond", position=999))
    assert response.json()["position"] == 3
    names = [(r["name"], r["position"]) for r in admin_api.get(RULES).json()]
    assert names == [("top", 0), ("first", 1), ("second", 2), ("beyond", 3)]
    assert [r.pk for r in RoutingRule.objects.filter(tenant=tenant)][1:3] == [first.pk,
                                                                               second.pk]


def test_an_admin_changes_moves_and_disables_a_rule(admin_api, tenant, finance, engineering
                                                    ) -> None:
    make_rule(tenant, "a", finance)
    rule = make_rule(tenant, "b", finance)
    version = Tenant.objects.get(pk=tenant.pk).routing_version
    response = admin_api.patch(f"{RULES}/{rule.pk}", {
        "name": "Technical to Engineering", "is_enabled": False, "position": 0,
        "conditions": [{"field": "subject", "op": "contains", "value": "crash"}],
        "actions": {"queue_id": engineering.pk, "priority": None},
    })
    body = conforms(response, "PATCH", "/routing/rules/{rule_id}")
    assert (body["name"], body["is_enabled"], body["position"]) == (
        "Technical to Engineering", False, 0)
    assert body["conditions"] == [{"field": "subject", "op": "contains", "value": "crash"}]
    assert body["actions"] == {"queue_id": engineering.pk, "owner_id": None, "priority": None,
                               "tags": []}
    assert [r["name"] for r in admin_api.get(RULES).json()] == ["Technical to Engineering",
                                                                "a"]
    # Every change tells each process's cached copy of the rules that it is stale.
    assert Tenant.objects.get(pk=tenant.pk).routing_version > version
    only_match = admin_api.patch(f"{RULES}/{rule.pk}", {"match": "any"}).json()
    assert only_match["match"] == "any" and only_match["conditions"] == body["conditions"]


@pytest.mark.parametrize("name", ["name", "match", "is_enabled", "conditions", "actions",
                                  "position"])
def test_rule_fields_cannot_be_nulled(admin_api, tenant, finance, name) -> None:
    rule = make_rule(tenant, "a", finance)
    error(admin_api.patch(f"{RULES}/{rule.pk}", {name: None}), 422, field=name)
    assert RoutingRule.objects.get(pk=rule.pk).name == "a"


def test_an_admin_deletes_a_rule_and_the_rest_close_up(admin_api, tenant, finance) -> None:
    a, b, c = (make_rule(tenant, name, finance) for name in "abc")
    response = admin_api.delete(f"{RULES}/{b.pk}")
    assert response.status_code == 204 and response.content == b""
    assert [(r["id"], r["position"]) for r in admin_api.get(RULES).json()] == [(a.pk, 0),
                                                                              (c.pk, 1)]
    error(admin_api.delete(f"{RULES}/{b.pk}"), 404)
    error(admin_api.get(f"{RULES}/{b.pk}"), 404)


def test_an_admin_puts_the_rules_in_order(admin_api, tenant, finance) -> None:
    a, b, c = (make_rule(tenant, name, finance) for name in "abc")
    response = admin_api.post(f"{RULES}/order", {"rule_ids": [c.pk, a.pk, b.pk]})
    body = conforms(response, "POST", "/routing/rules/order")
    assert [(r["name"], r["position"]) for r in body] == [("c", 0), ("a", 1), ("b", 2)]


@pytest.mark.parametrize("order", ["missing", "repeated", "unknown", "empty"])
def test_an_order_must_name_every_rule_once(admin_api, tenant, finance, order) -> None:
    a, b, c = (make_rule(tenant, name, finance) for name in "abc")
    rule_ids = {"missing": [c.pk, a.pk], "repeated": [c.pk, a.pk, b.pk, a.pk],
                "unknown": [c.pk, a.pk, b.pk, 999_999], "empty": []}[order]
    error(admin_api.post(f"{RULES}/order", {"rule_ids": rule_ids}), 422, field="rule_ids")
    assert [r.name for r in RoutingRule.objects.filter(tenant=tenant)] == ["a", "b", "c"]


# --- rules: refused input --------------------------------------------------------------------

BAD_RULES: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    ("bad field name", {"conditions": [{"field": "colour", "op": "equals", "value": "red"}]},
     "conditions", ("condition 1", "colour")),
    ("bad operator", {"conditions": [
        {"field": "category", "op": "equals", "value": "Billing"},
        {"field": "category", "op": "gt", "value": "Billing"}]},
     "conditions", ("condition 2", "operators")),
    ("bad priority in a condition", {"conditions": [
        {"field": "priority", "op": "equals", "value": "sky-high"}]},
     "conditions", ("priority",)),
    ("text for an id", {"conditions": [{"field": "account.id", "op": "equals", "value": "x"}]},
     "conditions", ("id",)),
    ("in without a list", {"conditions": [{"field": "source", "op": "in", "value": "email"}]},
     "conditions", ("list",)),
    ("empty value", {"conditions": [{"field": "subject", "op": "contains", "value": "  "}]},
     "conditions", ("empty",)),
    ("bad custom key", {"conditions": [{"field": "custom.Bad-Key", "op": "equals",
                                        "value": 1}]}, "conditions", ("custom",)),
    ("nested list value", {"conditions": [{"field": "source", "op": "in",
                                           "value": [["email"]]}]}, "conditions", ()),
    ("object value", {"conditions": [{"field": "source", "op": "equals",
                                      "value": {"a": 1}}]}, "conditions", ()),
    ("NUL in a value", {"conditions": [{"field": "subject", "op": "contains",
                                        "value": "a\x00b"}]}, "conditions", ()),
    ("NaN-sized number", {"conditions": [{"field": "custom.seats", "op": "gt",
                                          "value": 1e400}]}, "conditions", ()),
    ("unknown key in a condition", {"conditions": [{"field": "subject", "op": "contains",
                                                    "value": "x", "negate": True}]},
     "conditions", ()),
    ("too many conditions", {"conditions": [{"field": "subject", "op": "contains",
                                             "value": f"w{i}"} for i in range(21)]},
     "conditions", ()),
    ("bad priority", {"actions": {"priority": "sky-high"}}, "actions", ()),
    ("unknown queue id", {"actions": {"queue_id": 999_999}}, "actions", ("queue", "999999")),
    ("huge queue id", {"actions": {"queue_id": 10**30}}, "actions", ()),
    ("unknown owner", {"actions": {"owner_id": 999_999}}, "actions", ("999999",)),
    ("no action", {"actions": {}}, "actions", ("at least one",)),
    ("unknown action", {"actions": {"priority": "high", "escalate": True}}, "actions", ()),
    ("no actions at all", {"actions": None}, "actions", ()),
    ("blank name", {"name": "  "}, "name", ()),
    ("NUL in the name", {"name": "a\x00"}, "name", ()),
    ("bad match", {"match": "some"}, "match", ()),
    ("negative position", {"position": -1}, "position", ()),
]


@pytest.mark.parametrize(("changes", "field", "mentions"),
                         [case[1:] for case in BAD_RULES], ids=[case[0] for case in BAD_RULES])
def test_a_bad_rule_is_refused_naming_the_field(admin_api, tenant, changes, field, mentions
                                                ) -> None:
    body = error(admin_api.post(RULES, rule_body(**changes)), 422, mentions=mentions)
    assert body["field"].split(".")[0] == field, body
    assert not RoutingRule.objects.filter(tenant=tenant).exists()


def test_a_bad_change_leaves_the_rule_as_it_was(admin_api, tenant, finance) -> None:
    rule = make_rule(tenant, "a", finance)
    before = admin_api.get(f"{RULES}/{rule.pk}").json()
    error(admin_api.patch(f"{RULES}/{rule.pk}", {
        "name": "renamed", "conditions": [{"field": "colour", "op": "equals", "value": "x"}]}),
        422, field="conditions", mentions=("condition 1",))
    error(admin_api.patch(f"{RULES}/{rule.pk}", {"actions": {"queue_id": 999_999}}), 422,
          field="actions")
    assert admin_api.get(f"{RULES}/{rule.pk}").json() == before


def test_an_inactive_queue_cannot_be_a_rules_target(admin_api, tenant, finance) -> None:
    Queue.objects.filter(pk=finance.pk).update(is_active=False)
    error(admin_api.post(RULES, rule_body(actions={"queue_id": finance.pk})), 422,
          field="actions", mentions=("queue",))


def test_a_rule_whose_queue_was_archived_can_be_renamed_but_not_switched_on(admin_api, tenant,
                                                                             finance) -> None:
    rule = make_rule(tenant, "To Finance", finance)
    error(admin_api.patch(f"/queues/{finance.pk}", {"is_active": False}), 409,
          mentions=("To Finance",))  # an enabled rule holds the queue in place
    body = admin_api.patch(f"{RULES}/{rule.pk}", {"is_enabled": False, "name": "Old"}).json()
    assert (body["is_enabled"], body["name"]) == (False, "Old")
    assert admin_api.patch(f"/queues/{finance.pk}", {"is_active": False}).status_code == 200
    assert admin_api.patch(f"{RULES}/{rule.pk}", {"name": "Older"}).status_code == 200
    error(admin_api.patch(f"{RULES}/{rule.pk}", {"is_enabled": True}), 422, field="actions",
          mentions=("queue",))
    assert RoutingRule.objects.get(pk=rule.pk).is_enabled is False


@pytest.mark.parametrize("rule_id", ["999999", "0", "-1", "99999999999999999999999"])
def test_an_unknown_rule_is_not_found(admin_api, rule_id) -> None:
    for response in (admin_api.get(f"{RULES}/{rule_id}"),
                     admin_api.patch(f"{RULES}/{rule_id}", {"name": "x"}),
                     admin_api.delete(f"{RULES}/{rule_id}")):
        assert response.status_code == 404, response.content


def test_another_tenants_rule_is_not_found(admin_api, outsider_api, tenant, finance) -> None:
    rule = make_rule(tenant, "Acme's", finance)
    error(outsider_api.get(f"{RULES}/{rule.pk}"), 404)
    error(outsider_api.patch(f"{RULES}/{rule.pk}", {"name": "Hijacked"}), 404)
    error(outsider_api.delete(f"{RULES}/{rule.pk}"), 404)
    error(outsider_api.post(f"{RULES}/order", {"rule_ids": [rule.pk]}), 422, field="rule_ids")
    assert outsider_api.get(RULES).json() == []
    assert RoutingRule.objects.get(pk=rule.pk).name == "Acme's"


# --- who may do what -------------------------------------------------------------------------

ROUTING_CALLS: list[tuple[str, str, Any]] = [
    ("GET", RULES, None),
    ("POST", RULES, rule_body()),
    ("GET", f"{RULES}/{{rule}}", None),
    ("PATCH", f"{RULES}/{{rule}}", {"name": "x"}),
    ("DELETE", f"{RULES}/{{rule}}", None),
    ("POST", f"{RULES}/order", {"rule_ids": ["{rule}"]}),
    ("POST", f"{RULES}/preview", rule_body()),
    ("GET", "/routing/skills", None),
    ("PUT", "/routing/skills", {"requirements": []}),
    ("GET", "/tenant/settings", None),
    ("PATCH", "/tenant/settings", {"routing_enabled": False}),
]
READS = {("GET", RULES), ("GET", f"{RULES}/{{rule}}"), ("POST", f"{RULES}/preview"),
         ("GET", "/routing/skills")}


def _call(api: Api, method: str, path: str, body: Any, rule: RoutingRule) -> Any:
    path = path.replace("{rule}", str(rule.pk))
    if isinstance(body, dict) and body.get("rule_ids") == ["{rule}"]:
        body = {"rule_ids": [rule.pk]}
    if method in ("GET", "DELETE"):
        return getattr(api, method.lower())(path)
    return getattr(api, method.lower())(path, body)


@pytest.mark.parametrize(("method", "path", "body"), ROUTING_CALLS,
                         ids=[f"{m} {p}" for m, p, _ in ROUTING_CALLS])
def test_routing_configuration_is_admin_work(agent_api, manager_api, anonymous_api, tenant,
                                             finance, method, path, body) -> None:
    rule = make_rule(tenant, "kept", finance)
    before = (list(RoutingRule.objects.values()), list(Tenant.objects.values()))
    error(_call(anonymous_api, method, path, body, rule), 401)
    error(_call(agent_api, method, path, body, rule), 403)
    manager = _call(manager_api, method, path, body, rule)
    if (method, path) in READS:
        assert manager.status_code == 200, manager.content
    else:
        error(manager, 403, mentions=("admin",))
    assert (list(RoutingRule.objects.values()), list(Tenant.objects.values())) == before


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/me/availability", {"availability": "away"}),
    ("POST", "/cases/CS-1/reroute", {}),
    ("PATCH", "/members/1", {"availability": "away"}),
])
def test_anonymous_requests_are_refused(anonymous_api, method, path, body) -> None:
    error(getattr(anonymous_api, method.lower())(path, body), 401)


# --- preview ---------------------------------------------------------------------------------


def test_a_rule_preview_shows_where_the_latest_cases_would_go(admin_api, manager_api, tenant,
                                                              seeded_support_queue, finance,
                                                              engineering, agent) -> None:
    vip = AccountFactory(tenant=tenant, name="Initech", tier="Enterprise")
    billing_vip = make_case(tenant, subject="Invoice wrong", category="Billing",
                            account_id=vip.pk, now=NOW)
    billing = make_case(tenant, subject="Refund", category="Billing", now=NOW)
    technical = make_case(tenant, subject="Crash", category="Technical", now=NOW)
    general = make_case(tenant, subject="Hello", now=NOW)
    draft = rule_body(
        name="Enterprise to Engineering",
        conditions=[{"field": "account.tier", "op": "equals", "value": "enterprise"}],
        actions={"queue_id": engineering.pk, "owner_id": agent.user_id})
    response = manager_api.post(f"{RULES}/preview", draft)
    rows = conforms(response, "POST", "/routing/rules/preview")
    by_number = {r["number"]: r for r in rows}
    assert [r["number"] for r in rows] == [c.display_number for c in
                                          (general, technical, billing, billing_vip)]
    assert by_number[billing_vip.display_number] == {
        "number": billing_vip.display_number, "subject": "Invoice wrong",
        "category": "Billing", "current_queue": "Finance", "matched": True,
        "rule": "Enterprise to Engineering", "queue": "Engineering",
        "owner": {"id": agent.user_id, "name": "Alice Agent", "email": "alice@acme.test"}}
    for case, queue in ((billing, "Finance"), (technical, "Engineering"), (general, "Support")):
        row = by_number[case.display_number]
        assert (row["matched"], row["rule"], row["queue"], row["owner"]) == (
            False, "", queue, None)
    # Nothing was saved, and the cases stay where they are.
    assert not RoutingRule.objects.filter(tenant=tenant).exists()
    assert Case.objects.get(pk=billing_vip.pk).queue_id == finance.pk
    assert len(admin_api.post(f"{RULES}/preview", {**draft, "limit": 2}).json()) == 2


def test_a_preview_replaces_the_rule_being_edited(admin_api, tenant, finance, engineering
                                                  ) -> None:
    rule = make_rule(tenant, "Billing to Engineering", engineering, conditions=[
        {"field": "category", "op": "equals", "value": "Billing"}])
    earlier = make_rule(tenant, "Everything to Finance", finance)
    case = make_case(tenant, subject="Refund", category="Billing", now=NOW)
    assert Case.objects.get(pk=case.pk).queue_id == engineering.pk
    # Edited to send Technical cases instead: the Billing case falls to the next rule.
    edited = rule_body(name="Technical to Engineering", actions={"queue_id": engineering.pk},
                       conditions=[{"field": "category", "op": "equals", "value": "Technical"}])
    rows = admin_api.post(f"{RULES}/preview", {**edited, "replacing_id": rule.pk}).json()
    assert [(r["matched"], r["rule"], r["queue"]) for r in rows] == [
        (False, "Everything to Finance", "Finance")]
    # The same draft as a new rule, last: the existing first rule still wins.
    rows = admin_api.post(f"{RULES}/preview", edited).json()
    assert [(r["rule"], r["queue"]) for r in rows] == [("Billing to Engineering",
                                                        "Engineering")]
    # A draft at the top that matches wins.
    top = rule_body(name="Top", actions={"queue_id": finance.pk}, position=0, conditions=[])
    rows = admin_api.post(f"{RULES}/preview", top).json()
    assert [(r["matched"], r["rule"], r["queue"]) for r in rows] == [(True, "Top", "Finance")]
    assert RoutingRule.objects.get(pk=earlier.pk).name == "Everything to Finance"


def test_a_preview_refuses_a_bad_draft_or_an_unknown_rule(admin_api, outsider_api, tenant,
                                                          finance) -> None:
    rule = make_rule(tenant, "a", finance)
    error(admin_api.post(f"{RULES}/preview", rule_body(
        conditions=[{"field": "colour", "op": "equals", "value": "x"}])), 422,
        field="conditions", mentions=("condition 1",))
    error(admin_api.post(f"{RULES}/preview", {**rule_body(), "replacing_id": 999_999}), 422,
          field="replacing_id")
    error(outsider_api.post(f"{RULES}/preview", {**rule_body(), "replacing_id": rule.pk}), 422,
          field="replacing_id")
    error(admin_api.post(f"{RULES}/preview", {**rule_body(), "limit": 201}), 422, field="limit")


# --- new cases routed through the API --------------------------------------------------------


def test_a_rule_routes_a_new_case_and_the_timeline_says_which(admin_api, agent_api, tenant,
                                                              finance) -> None:
    response = admin_api.post(RULES, rule_body(
        name="Enterprise billing",
        conditions=[{"field": "category", "op": "equals", "value": "Billing"},
                    {"field": "account.tier", "op": "equals", "value": "Enterprise"}],
        actions={"queue_id": finance.pk, "priority": "high", "tags": ["vip"]}))
    rule_id = response.json()["id"]
    enterprise = AccountFactory(tenant=tenant, tier="Enterprise")
    case = agent_api.post("/cases", {"subject": "Invoice is wrong", "category": "Billing",
                                     "account_id": enterprise.pk, "tags": ["invoice"]})
    assert case.status_code == 201, case.content
    body = conforms(case, "POST", "/cases")
    assert body["queue"] == {"id": finance.pk, "name": "Finance"}
    assert (body["priority"], body["tags"], body["owner"]) == ("high", ["invoice", "vip"], None)
    kinds = [e["kind"] for e in timeline(agent_api, body["number"])]
    assert kinds == ["created", "routed"]
    (routed,) = routed_events(agent_api, body["number"])
    assert "Enterprise billing" in routed["message"] and "Finance" in routed["message"]
    assert routed["new_value"]["via"] == "rule"
    assert (routed["new_value"]["rule_id"], routed["new_value"]["queue_id"]) == (rule_id,
                                                                                finance.pk)
    # A Billing case of a smaller account misses the rule: the fallback map still sends it to
    # Finance, without the rule's priority and tag.
    standard = AccountFactory(tenant=tenant, tier="Standard")
    other = admin_api.post("/cases", {"subject": "Invoice", "category": "Billing",
                                      "account_id": standard.pk}).json()
    assert (other["queue"]["name"], other["priority"], other["tags"]) == ("Finance", "normal",
                                                                          [])
    (routed,) = routed_events(agent_api, other["number"])
    assert routed["new_value"]["via"] == "fallback" and "fallback" in routed["message"]


@pytest.mark.parametrize(("category", "queue"), [
    ("Technical", "Engineering"), ("Billing", "Finance"), ("General", "Support"), ("", "Support"),
])
def test_the_fallback_map_routes_cases_no_rule_takes(admin_api, category, queue) -> None:
    body = admin_api.post("/cases", {"subject": "Help", "category": category}).json()
    assert body["queue"]["name"] == queue
    (routed,) = routed_events(admin_api, body["number"])
    assert routed["new_value"]["via"] == "fallback"
    assert routed["new_value"]["rule"] is None


def test_a_disabled_rule_does_not_route(admin_api, tenant, finance) -> None:
    rule = make_rule(tenant, "Everything to Finance", finance)
    admin_api.patch(f"{RULES}/{rule.pk}", {"is_enabled": False})
    body = admin_api.post("/cases", {"subject": "Help", "category": "Technical"}).json()
    assert body["queue"]["name"] == "Engineering"


def _queue(admin_api: Api, name: str, strategy: str, members: list[Membership]) -> int:
    response = admin_api.post("/queues", {"name": name, "strategy": strategy,
                                          "member_ids": [m.user_id for m in members]})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_a_round_robin_queue_takes_turns_and_skips_who_is_away(
        admin_api, agent_api, agent2_api, agent, agent2, tenant) -> None:
    desk = _queue(admin_api, "Desk", "round_robin", [agent, agent2])
    admin_api.post(RULES, rule_body(name="Accounts to the desk", actions={"queue_id": desk},
                                    conditions=[{"field": "category", "op": "equals",
                                                 "value": "Account"}]))

    def owner() -> int:
        body = admin_api.post("/cases", {"subject": "Locked out", "category": "Account"}).json()
        assert body["queue"]["id"] == desk
        return int(body["owner"]["id"])

    owners = [owner() for _ in range(4)]
    assert set(owners) == {agent.user_id, agent2.user_id}
    assert owners[0] != owners[1] and owners[0::2] == [owners[0]] * 2 and owners[1::2] == [
        owners[1]] * 2
    away = agent2_api.put("/me/availability", {"availability": "away"})
    assert conforms(away, "PUT", "/me/availability")["availability"] == "away"
    assert [owner() for _ in range(3)] == [agent.user_id] * 3
    agent2_api.put("/me/availability", {"availability": "available"})
    assert {owner(), owner()} == {agent.user_id, agent2.user_id}
    # Each assignment is on the timeline, with the strategy that made it.
    last = Case.objects.filter(tenant=tenant).order_by("-number").first()
    assert last is not None
    (routed,) = routed_events(agent_api, last.display_number)
    assert "round-robin" in routed["message"]


def test_a_queue_given_on_creation_still_assigns_by_its_strategy(admin_api, agent) -> None:
    desk = _queue(admin_api, "Desk", "round_robin", [agent])
    body = admin_api.post("/cases", {"subject": "Hi", "queue_id": desk}).json()
    assert (body["queue"]["id"], body["owner"]["id"]) == (desk, agent.user_id)


def test_nobody_available_leaves_the_case_waiting(admin_api, agent_api, agent) -> None:
    desk = _queue(admin_api, "Desk", "round_robin", [agent])
    agent_api.put("/me/availability", {"availability": "offline"})
    body = admin_api.post("/cases", {"subject": "Hi", "queue_id": desk}).json()
    assert (body["queue"]["id"], body["owner"]) == (desk, None)
    (routed,) = routed_events(admin_api, body["number"])
    assert "available" in routed["message"]


def test_a_load_balanced_queue_never_goes_over_capacity(admin_api, agent, agent2) -> None:
    desk = _queue(admin_api, "Desk", "load_balanced", [agent, agent2])
    for member in (agent, agent2):
        response = admin_api.patch(f"/members/{member.user_id}", {"capacity": 1})
        assert response.json()["capacity"] == 1
    owners = [admin_api.post("/cases", {"subject": f"Case {i}", "queue_id": desk}).json()[
        "owner"] for i in range(3)]
    assert {o["id"] for o in owners[:2]} == {agent.user_id, agent2.user_id}
    assert owners[2] is None


def test_a_skills_queue_gives_cases_to_who_has_the_skills(admin_api, manager_api, agent,
                                                          agent2) -> None:
    response = admin_api.put("/routing/skills", {"requirements": [
        {"category": "Technical", "skills": ["Linux", " networking "]},
        {"category": "Technical", "subcategory": "Login", "skills": ["sso"]},
    ]})
    body = conforms(response, "PUT", "/routing/skills")
    assert body == {"requirements": [
        {"category": "Technical", "subcategory": "", "skills": ["linux", "networking"]},
        {"category": "Technical", "subcategory": "Login", "skills": ["sso"]},
    ]}
    assert conforms(manager_api.get("/routing/skills"), "GET", "/routing/skills") == body
    desk = _queue(admin_api, "Desk", "skills", [agent, agent2])
    admin_api.patch(f"/members/{agent.user_id}", {"skills": ["linux", "networking"]})
    admin_api.patch(f"/members/{agent2.user_id}", {"skills": ["linux", "networking", "sso",
                                                              "de"]})
    case = admin_api.post("/cases", {"subject": "Slow", "category": "Technical",
                                     "queue_id": desk}).json()
    assert case["owner"]["id"] == agent.user_id  # both qualify; agent is the less loaded
    login = admin_api.post("/cases", {"subject": "SSO broken", "category": "Technical",
                                      "subcategory": "Login", "queue_id": desk}).json()
    assert login["owner"]["id"] == agent2.user_id
    german = admin_api.post("/cases", {"subject": "Langsam", "category": "Technical",
                                       "language": "de", "queue_id": desk}).json()
    assert (german["language"], german["owner"]["id"]) == ("de", agent2.user_id)
    # PUT replaces the whole map.
    assert admin_api.put("/routing/skills", {"requirements": []}).json() == {
        "requirements": []}
    assert not SkillRequirement.objects.exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "requirements"), ({"requirements": "x"}, "requirements"),
    ({"requirements": [{"category": "", "skills": ["a"]}]}, "requirements"),
    ({"requirements": [{"category": "Billing", "skills": []}]}, "requirements"),
    ({"requirements": [{"category": "Billing", "skills": ["  "]}]}, "requirements"),
    ({"requirements": [{"category": "Billing", "skills": ["a\x00"]}]}, "requirements"),
    ({"requirements": [{"category": "B" * 81, "skills": ["a"]}]}, "requirements"),
])
def test_a_bad_skills_map_is_refused(admin_api, tenant, payload, field) -> None:
    SkillRequirement.objects.create(tenant=tenant, category="Billing", skills=["kept"])
    body = error(admin_api.put("/routing/skills", payload), 422)
    assert body["field"].split(".")[0] == field
    assert list(SkillRequirement.objects.values_list("skills", flat=True)) == [["kept"]]


def test_a_territory_queue_follows_the_accounts_territory(admin_api, tenant, agent, agent2
                                                          ) -> None:
    desk = _queue(admin_api, "Desk", "territory", [agent, agent2])
    admin_api.patch(f"/members/{agent.user_id}", {"territory": "EMEA"})
    admin_api.patch(f"/members/{agent2.user_id}", {"territory": " APAC "})
    account = AccountFactory(tenant=tenant, territory="APAC")
    body = admin_api.post("/cases", {"subject": "Hi", "queue_id": desk,
                                     "account_id": account.pk}).json()
    assert body["owner"]["id"] == agent2.user_id


# --- queues' strategies ----------------------------------------------------------------------


def test_queues_carry_their_assignment_strategy(admin_api, agent_api, seeded_support_queue) -> None:
    assert {q["strategy"] for q in agent_api.get("/queues").json()} == {"manual"}
    response = admin_api.post("/queues", {"name": "Desk", "strategy": "load_balanced"})
    body = conforms(response, "POST", "/queues")
    assert body["strategy"] == "load_balanced"
    assert admin_api.post("/queues", {"name": "Plain"}).json()["strategy"] == "manual"
    patched = admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"strategy": "round_robin"})
    assert conforms(patched, "PATCH", "/queues/{queue_id}")["strategy"] == "round_robin"
    assert Queue.objects.get(pk=seeded_support_queue.pk).strategy == Strategy.ROUND_ROBIN
    assert sorted(Strategy.values) == sorted(
        admin_api.get("/openapi.json").json()["components"]["schemas"]["QueueOut"]
        ["properties"]["strategy"]["enum"])


def test_a_bad_strategy_is_refused(admin_api, agent_api, seeded_support_queue) -> None:
    error(admin_api.post("/queues", {"name": "Desk", "strategy": "random"}), 422,
          field="strategy")
    error(admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"strategy": "random"}), 422,
          field="strategy")
    error(admin_api.patch(f"/queues/{seeded_support_queue.pk}", {"strategy": None}), 422,
          field="strategy")
    error(agent_api.patch(f"/queues/{seeded_support_queue.pk}", {"strategy": "round_robin"}), 403)
    assert Queue.objects.get(pk=seeded_support_queue.pk).strategy == Strategy.MANUAL


# --- members' routing facts and availability --------------------------------------------------


def test_an_admin_sets_a_members_routing_facts(admin_api, agent_api, agent) -> None:
    response = admin_api.patch(f"/members/{agent.user_id}", {
        "skills": [" billing", "de", "de", ""], "territory": " EMEA ", "capacity": 1000,
        "availability": "away"})
    body = conforms(response, "PATCH", "/members/{user_id}")
    assert (body["skills"], body["territory"], body["capacity"], body["availability"]) == (
        ["billing", "de"], "EMEA", 1000, "away")
    me = conforms(agent_api.get("/me"), "GET", "/me")
    assert (me["availability"], me["capacity"], me["skills"]) == ("away", 1000,
                                                                  ["billing", "de"])
    listed = {m["user_id"]: m for m in admin_api.get("/members").json()}
    assert listed[agent.user_id]["availability"] == "away"


@pytest.mark.parametrize(("payload", "field"), [
    ({"capacity": 1001}, "capacity"), ({"capacity": -1}, "capacity"),
    ({"availability": "busy"}, "availability"), ({"availability": None}, "availability"),
    ({"skills": ["x" * 51]}, "skills"), ({"skills": [f"s{i}" for i in range(51)]}, "skills"),
    ({"skills": [["nested"]]}, "skills"), ({"territory": "t\x00"}, "territory"),
    ({"territory": None}, "territory"), ({"capacity": None}, "capacity"),
])
def test_bad_routing_facts_are_refused(admin_api, agent, payload, field) -> None:
    body = error(admin_api.patch(f"/members/{agent.user_id}", payload), 422)
    assert body["field"].split(".")[0] == field
    stored = Membership.objects.get(pk=agent.pk)
    assert (stored.capacity, stored.availability, stored.skills) == (20, "available", [])


def test_an_agent_cannot_change_members(agent_api, agent2) -> None:
    error(agent_api.patch(f"/members/{agent2.user_id}", {"availability": "away"}), 403)
    assert Membership.objects.get(pk=agent2.pk).availability == "available"


@pytest.mark.parametrize("who", ["agent", "manager", "admin"])
def test_every_member_sets_their_own_availability(who, api_for, request) -> None:
    membership: Membership = request.getfixturevalue(who)
    api = api_for(membership)
    for value in ("away", "offline", "available", "available"):
        response = api.put("/me/availability", {"availability": value})
        body = conforms(response, "PUT", "/me/availability")
        assert (body["user_id"], body["availability"]) == (membership.user_id, value)
        assert Membership.objects.get(pk=membership.pk).availability == value


@pytest.mark.parametrize("payload", [{}, {"availability": "busy"}, {"availability": None},
                                     {"availability": "away\x00"}, {"availability": 1}])
def test_a_bad_availability_is_refused(agent_api, agent, payload) -> None:
    error(agent_api.put("/me/availability", payload), 422, field="availability")
    assert Membership.objects.get(pk=agent.pk).availability == "available"


def test_my_availability_is_mine_only(agent_api, agent, agent2, outsider) -> None:
    agent_api.put("/me/availability", {"availability": "away"})
    assert Membership.objects.get(pk=agent2.pk).availability == "available"
    assert Membership.objects.get(pk=outsider.pk).availability == "available"


# --- tenant settings -------------------------------------------------------------------------


def test_an_admin_reads_and_changes_the_tenant_settings(admin_api, tenant) -> None:
    body = conforms(admin_api.get("/tenant/settings"), "GET", "/tenant/settings")
    assert body == {"name": tenant.name, "time_zone": "UTC",
                    "routing_enabled": True, "reroute_on_category_change": False,
                    "reopen_limit": 1, "reopen_window_hours": 6,
                    "sla_pause_when_pending": True, "sla_sweep_minutes": 0,
                    "kb_agents_may_draft": True, "parent_close_needs_children_closed": True,
                    "attachment_max_bytes": 20 * 1024 * 1024, "attachment_types": [],
                    "retention_months": None}
    response = admin_api.patch("/tenant/settings", {
        "routing_enabled": False, "reroute_on_category_change": True, "reopen_limit": 3,
        "reopen_window_hours": 48, "parent_close_needs_children_closed": False,
        "retention_months": 24})
    body = conforms(response, "PATCH", "/tenant/settings")
    assert body == {"name": tenant.name, "time_zone": "UTC",
                    "routing_enabled": False, "reroute_on_category_change": True,
                    "reopen_limit": 3, "reopen_window_hours": 48,
                    "sla_pause_when_pending": True, "sla_sweep_minutes": 0,
                    "kb_agents_may_draft": True, "parent_close_needs_children_closed": False,
                    "attachment_max_bytes": 20 * 1024 * 1024, "attachment_types": [],
                    "retention_months": 24}
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.reopen_limit, stored.reopen_window.total_seconds()) == (3, 48 * 3600)
    assert stored.parent_close_needs_children_closed is False
    assert admin_api.patch("/tenant/settings", {}).json() == body


@pytest.mark.parametrize(("payload", "field"), [
    ({"reopen_limit": -1}, "reopen_limit"), ({"reopen_limit": 101}, "reopen_limit"),
    ({"reopen_window_hours": -1}, "reopen_window_hours"),
    ({"reopen_window_hours": 10**30}, "reopen_window_hours"),
    ({"routing_enabled": None}, "routing_enabled"),
    ({"routing_enabled": "perhaps"}, "routing_enabled"),
])
def test_bad_tenant_settings_are_refused(admin_api, tenant, payload, field) -> None:
    error(admin_api.patch("/tenant/settings", payload), 422, field=field)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.routing_enabled, stored.reopen_limit) == (True, 1)


def test_with_routing_off_new_cases_wait_where_they_were_put(admin_api, tenant, finance
                                                             ) -> None:
    make_rule(tenant, "Everything to Finance", finance)
    admin_api.patch("/tenant/settings", {"routing_enabled": False})
    body = admin_api.post("/cases", {"subject": "Hi", "category": "Technical"}).json()
    assert body["queue"] is None and body["owner"] is None
    assert [e["kind"] for e in timeline(admin_api, body["number"])] == ["created"]


def test_a_category_change_reroutes_when_the_tenant_says_so(admin_api, agent_api, tenant
                                                            ) -> None:
    number = admin_api.post("/cases", {"subject": "Hi", "category": "General"}).json()["number"]
    changed = agent_api.patch(f"/cases/{number}", {"category": "Billing"}).json()
    assert changed["queue"]["name"] == "Support"  # off by default
    admin_api.patch("/tenant/settings", {"reroute_on_category_change": True})
    changed = agent_api.patch(f"/cases/{number}", {"category": "Technical"}).json()
    assert changed["queue"]["name"] == "Engineering"
    assert len(routed_events(agent_api, number)) == 2


# --- a case's language and re-routing on demand ----------------------------------------------


def test_a_case_has_a_language(admin_api, agent_api) -> None:
    body = admin_api.post("/cases", {"subject": "Hola", "language": " es "}).json()
    assert body["language"] == "es"
    patched = agent_api.patch(f"/cases/{body['number']}", {"language": "pt-BR"})
    assert conforms(patched, "PATCH", "/cases/{number}")["language"] == "pt-BR"
    assert agent_api.get(f"/cases/{body['number']}").json()["language"] == "pt-BR"
    cleared = agent_api.patch(f"/cases/{body['number']}", {"language": ""}).json()
    assert cleared["language"] == ""


@pytest.mark.parametrize("language", ["english!", "e", "x" * 36, "de\x00", None])
def test_a_bad_language_is_refused(admin_api, agent_api, language) -> None:
    number = admin_api.post("/cases", {"subject": "Hi"}).json()["number"]
    error(agent_api.patch(f"/cases/{number}", {"language": language}), 422, field="language")
    if language is not None:
        error(admin_api.post("/cases", {"subject": "Hi", "language": language}), 422,
              field="language")
    assert Case.objects.count() == 1


def test_an_agent_reroutes_a_case_with_the_current_rules(admin_api, agent_api, tenant, agent,
                                                        seeded_support_queue, finance) -> None:
    number = admin_api.post("/cases", {"subject": "Refund please"}).json()["number"]
    make_rule(tenant, "Refunds to Finance", conditions=[
        {"field": "subject", "op": "contains", "value": "refund"}],
        actions={"queue_id": finance.pk, "priority": "urgent", "tags": ["refund"]})
    response = agent_api.post(f"/cases/{number}/reroute")
    body = conforms(response, "POST", "/cases/{number}/reroute")
    assert (body["queue"]["name"], body["priority"], body["tags"]) == ("Finance", "urgent",
                                                                       ["refund"])
    first, second = routed_events(agent_api, number)
    assert first["new_value"]["via"] == "fallback"
    assert second["actor"]["id"] == agent.user_id
    assert "Refunds to Finance" in second["message"]
    assert second["old_value"]["queue_id"] == seeded_support_queue.pk
    assert second["new_value"]["queue_id"] == finance.pk


def test_rerouting_a_resolved_or_closed_case_is_refused(admin_api, agent_api, tenant, admin
                                                        ) -> None:
    case = make_case(tenant)
    for to in ("open", "in_progress", "resolved"):
        case = case_transition(case=case, actor=admin.user, to=to, note="done", now=NOW)
    events = TimelineEvent.objects.filter(case=case).count()
    error(agent_api.post(f"/cases/{case.display_number}/reroute"), 409, mentions=("re-open",))
    case = case_transition(case=case, actor=admin.user, to="closed", note="done",
                           closed_reason="Resolved", now=NOW)
    error(agent_api.post(f"/cases/{case.display_number}/reroute"), 409)
    assert TimelineEvent.objects.filter(case=case).count() == events + 1  # the close only


def test_rerouting_another_tenants_case_is_not_found(agent_api, other_tenant) -> None:
    theirs = make_case(other_tenant, subject="Globex")
    error(agent_api.post(f"/cases/CS-{theirs.number}/reroute"), 404)
    error(agent_api.post("/cases/CS-999999/reroute"), 404)
    assert [e.kind for e in TimelineEvent.objects.filter(case=theirs)] == ["created", "routed"]


def test_new_endpoints_answer_json_errors_for_junk_bodies(admin_api: Api, tenant: Tenant,
                                                          finance: Queue) -> None:
    rule = make_rule(tenant, "a", finance)
    client = admin_api.client
    deep = '{"a": ' * 2000 + "1" + "}" * 2000
    not_objects = ["[1, 2]", '"text"', "null", deep]
    # (Bodies that are not objects at all are read as empty by ninja's schemas, so the
    # PATCH endpoints, whose fields are all optional, take them as "change nothing".)
    calls: list[tuple[Callable[..., Any], str, list[str]]] = [
        (client.post, RULES, not_objects), (client.post, f"{RULES}/order", not_objects),
        (client.put, "/routing/skills", not_objects),
        (client.put, "/me/availability", not_objects),
        (client.patch, f"{RULES}/{rule.pk}", ['{"actions": "junk"}', '{"conditions": [[1]]}']),
        (client.patch, "/tenant/settings", ['{"reopen_limit": [1]}']),
    ]
    for send, path, junks in calls:
        for junk in ("{", *junks):
            response = send(f"/api/v1{path}", data=junk, content_type="application/json")
            assert response.status_code == 422, (path, junk[:20], response.content[:200])
            assert response.json()["detail"]
    assert RoutingRule.objects.get(pk=rule.pk).conditions == []
