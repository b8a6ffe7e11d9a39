"""Creating, reading, changing and listing cases through /api/v1/cases."""

from datetime import timedelta

import pytest

from casedesk.cases.models import Case, CustomFieldDefinition, IdempotencyKey, PicklistValue
from tests.api_checks import CASE_KEYS, conforms, error, numbers, walk_pages
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case

# --- create ----------------------------------------------------------------------------------


def test_creating_a_case_returns_it_with_every_field(admin_api, admin,
                                                     seeded_support_queue) -> None:
    account = AccountFactory(tenant=admin.tenant, name="Initech")
    contact = ContactFactory(tenant=admin.tenant, account=account, name="Peter",
                             email="peter@initech.test")
    deal = DealFactory(tenant=admin.tenant, account=account)
    response = admin_api.post("/cases", {
        "subject": "  Printer on fire ", "description": "Smoke everywhere",
        "priority": "high", "type": "Bug", "category": "Technical", "subcategory": "Login",
        "source": "phone", "contact_id": contact.pk, "deal_id": deal.pk,
        "queue_id": seeded_support_queue.pk, "owner_id": admin.user_id,
        "tags": ["printer", " printer ", "fire"],
    })
    assert response.status_code == 201
    body = conforms(response, "POST", "/cases")
    assert set(body) == CASE_KEYS
    assert body["number"].startswith("CS-")
    assert body["subject"] == "Printer on fire"
    assert body["status"] == "new"
    assert body["priority"] == "high"
    assert (body["type"], body["category"], body["subcategory"]) == ("Bug", "Technical", "Login")
    assert body["source"] == "phone"
    assert body["account"] == {"id": account.pk, "name": "Initech"}
    assert body["contact"] == {"id": contact.pk, "name": "Peter", "email": "peter@initech.test"}
    assert body["deal_id"] == deal.pk
    assert body["queue"] == {"id": seeded_support_queue.pk, "name": "Support"}
    assert body["owner"]["id"] == admin.user_id
    assert body["tags"] == ["printer", "fire"]
    assert body["allowed_transitions"] == ["open"]
    assert body["reopen_count"] == 0 and body["follow_up_of"] is None
    assert "Idempotent-Replayed" not in response
    case = Case.objects.get(tenant=admin.tenant, number=int(body["number"][3:]))
    assert case.created_by_id == admin.user_id


def test_a_case_needs_only_a_subject(agent_api) -> None:
    response = agent_api.post("/cases", {"subject": "Hello"})
    body = conforms(response, "POST", "/cases")
    assert response.status_code == 201
    assert (body["priority"], body["source"], body["status"]) == ("normal", "api", "new")
    # With no rules, the fallback map puts an uncategorised case in Support, unassigned
    # (Support assigns manually).
    assert body["queue"]["name"] == "Support"
    assert body["owner"] is None and body["account"] is None and body["language"] == ""


@pytest.mark.parametrize("payload", [{}, {"subject": ""}, {"subject": "   "},
                                     {"description": "no subject"}])
def test_creating_without_a_subject_is_refused(agent_api, payload) -> None:
    error(agent_api.post("/cases", payload), 422, field="subject")
    assert not Case.objects.exists()


@pytest.mark.parametrize(("field", "value"), [
    ("type", "Complaint"), ("category", "Gardening"), ("subcategory", "Refund"),
])
def test_an_unknown_picklist_value_is_refused_naming_the_field(agent_api, field, value) -> None:
    body = error(agent_api.post("/cases", {"subject": "x", field: value}), 422, field=field,
                 mentions=(value,))
    assert "one of" in body["detail"]
    assert not Case.objects.exists()


def test_a_deactivated_picklist_value_is_refused_for_new_cases(agent_api, tenant) -> None:
    PicklistValue.objects.filter(tenant=tenant, kind="type", value="Bug").update(
        is_active=False)
    error(agent_api.post("/cases", {"subject": "x", "type": "Bug"}), 422, field="type")


@pytest.mark.parametrize(("field", "value"), [
    ("priority", "critical"), ("source", "fax"), ("priority", 3), ("tags", "one-tag"),
    ("queue_id", 0), ("owner_id", -1), ("account_id", "abc"), ("subject", "x" * 256),
])
def test_malformed_fields_are_refused_naming_the_field(agent_api, field, value) -> None:
    error(agent_api.post("/cases", {"subject": "x", field: value}), 422, field=field)


@pytest.mark.parametrize("field", ["subject", "description"])
def test_nul_bytes_are_refused(agent_api, field) -> None:
    payload = {"subject": "ok", field: "bad\x00text"}
    error(agent_api.post("/cases", payload), 422, field=field, mentions=("NUL",))
    assert not Case.objects.exists()


def test_a_lone_surrogate_is_refused(agent_api) -> None:
    response = agent_api.client.post("/api/v1/cases", data=b'{"subject": "bad \\ud800"}',
                                      content_type="application/json")
    error(response, 422, field="subject")


def test_a_body_that_is_not_json_is_refused(agent_api) -> None:
    response = agent_api.client.post("/api/v1/cases", data=b"{subject:",
                                      content_type="application/json")
    error(response, 422)
    assert not Case.objects.exists()


@pytest.mark.parametrize("field", ["account_id", "contact_id", "deal_id", "queue_id",
                                   "owner_id"])
def test_references_to_records_that_do_not_exist_are_refused(agent_api, field) -> None:
    error(agent_api.post("/cases", {"subject": "x", field: 999_999}), 422, field=field)


def test_a_contact_brings_its_account(agent_api, tenant) -> None:
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    body = agent_api.post("/cases", {"subject": "x", "contact_id": contact.pk}).json()
    assert body["account"]["id"] == account.pk


def test_a_contact_of_another_account_is_refused(agent_api, tenant) -> None:
    contact = ContactFactory(tenant=tenant, account=AccountFactory(tenant=tenant))
    other = AccountFactory(tenant=tenant)
    error(agent_api.post("/cases", {"subject": "x", "contact_id": contact.pk,
                                    "account_id": other.pk}), 422, field="contact_id")


def test_an_inactive_queue_is_refused(agent_api, seeded_support_queue) -> None:
    seeded_support_queue.is_active = False
    seeded_support_queue.save()
    error(agent_api.post("/cases", {"subject": "x", "queue_id": seeded_support_queue.pk}), 422,
          field="queue_id")


# --- custom fields ---------------------------------------------------------------------------


@pytest.fixture
def fields(tenant):
    for key, kind, extra in (
        ("plan", "text", {}), ("seats", "number", {}), ("renewal", "date", {}),
        ("region", "picklist", {"choices": ["EMEA", "APAC"]}), ("vip", "checkbox", {}),
    ):
        CustomFieldDefinition.objects.create(tenant=tenant, key=key, label=key.title(),
                                             kind=kind, **extra)


def test_custom_fields_of_every_kind_are_stored_cleaned(agent_api, fields) -> None:
    response = agent_api.post("/cases", {"subject": "x", "custom_fields": {
        "plan": "Gold", "seats": "12", "renewal": "2027-01-31", "region": "EMEA", "vip": True,
    }})
    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == {
        "plan": "Gold", "seats": 12, "renewal": "2027-01-31", "region": "EMEA", "vip": True,
    }


@pytest.mark.parametrize(("key", "value", "words"), [
    ("plan", 42, ("text",)),
    ("plan", "x" * 10_001, ("10000",)),
    ("seats", "twelve", ("not a number",)),
    ("seats", True, ("number",)),
    ("seats", "1e20", ("finite",)),
    ("renewal", "31/01/2027", ("YYYY-MM-DD",)),
    ("renewal", 20270131, ("date",)),
    ("region", "Mars", ("EMEA", "APAC")),
    ("vip", "yes", ("true or false",)),
    ("nonsense", "x", ("Unknown custom field",)),
])
def test_a_bad_custom_field_value_is_refused_naming_the_field(agent_api, fields, key, value,
                                                              words) -> None:
    body = error(agent_api.post("/cases", {"subject": "x", "custom_fields": {key: value}}),
                 422, field=f"custom_fields.{key}", mentions=words)
    assert key in body["detail"]
    assert not Case.objects.exists()


def test_a_required_custom_field_must_be_given(agent_api, tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="order_id", label="Order",
                                         kind="text", required=True)
    body = error(agent_api.post("/cases", {"subject": "x"}), 422,
                 field="custom_fields.order_id", mentions=("required",))
    assert "order_id" in body["detail"]
    response = agent_api.post("/cases", {"subject": "x", "custom_fields": {"order_id": "A1"}})
    assert response.status_code == 201


def test_a_required_custom_field_cannot_be_cleared_by_patch(agent_api, tenant, new_case) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="order_id", label="Order",
                                         kind="text", required=True)
    case = new_case(custom_fields={"order_id": "A1"})
    error(agent_api.patch(f"/cases/{case['number']}", {"custom_fields": {"order_id": None}}),
          422, field="custom_fields.order_id")


def test_a_nul_byte_inside_custom_fields_is_refused(agent_api, fields) -> None:
    error(agent_api.post("/cases", {"subject": "x", "custom_fields": {"plan": "a\x00b"}}),
          422, field="custom_fields")


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_custom_field_values_are_refused(agent_api, fields, depth) -> None:
    raw = '{"subject": "x", "custom_fields": {"plan": %s}}' % ("[" * depth + "]" * depth)
    response = agent_api.client.post("/api/v1/cases", data=raw.encode(),
                                      content_type="application/json")
    error(response, 422, field="custom_fields")
    assert not Case.objects.exists()


# --- idempotency -----------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_return_the_same_case(agent_api) -> None:
    payload = {"subject": "Retry me", "priority": "high"}
    first = agent_api.post("/cases", payload, **{"Idempotency-Key": "req-1"})
    second = agent_api.post("/cases", payload, **{"Idempotency-Key": "req-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    assert second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert conforms(second, "POST", "/cases")["number"] == first.json()["number"]
    assert Case.objects.count() == 1


def test_an_idempotency_key_reused_for_another_body_is_refused(agent_api) -> None:
    agent_api.post("/cases", {"subject": "One"}, **{"Idempotency-Key": "req-2"})
    error(agent_api.post("/cases", {"subject": "Two"}, **{"Idempotency-Key": "req-2"}), 422,
          field="Idempotency-Key")
    assert list(Case.objects.values_list("subject", flat=True)) == ["One"]


def test_without_an_idempotency_key_each_request_makes_a_case(agent_api) -> None:
    payload = {"subject": "No key"}
    first = agent_api.post("/cases", payload).json()
    second = agent_api.post("/cases", payload).json()
    assert first["number"] != second["number"]
    assert Case.objects.count() == 2


def test_idempotency_keys_are_per_tenant(agent_api, outsider_api) -> None:
    mine = agent_api.post("/cases", {"subject": "Same"}, **{"Idempotency-Key": "shared"})
    theirs = outsider_api.post("/cases", {"subject": "Same"}, **{"Idempotency-Key": "shared"})
    assert mine.status_code == theirs.status_code == 201
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.parametrize("key", ["   ", "bad\tkey", "x" * 256])
def test_a_blank_or_unprintable_idempotency_key_is_refused(agent_api, key) -> None:
    response = agent_api.post("/cases", {"subject": "x"}, **{"Idempotency-Key": key})
    error(response, 422)
    assert not Case.objects.exists()


# --- read ------------------------------------------------------------------------------------


def test_a_case_reads_by_its_number_with_or_without_prefix(agent_api, new_case) -> None:
    case = new_case(subject="Read me")
    digits = case["number"].removeprefix("CS-")
    for shown in (case["number"], digits, f"cs-{digits}"):
        response = agent_api.get(f"/cases/{shown}")
        assert conforms(response, "GET", "/cases/{number}")["subject"] == "Read me"


@pytest.mark.parametrize("number", ["CS-999", "XY-1", "abc", "CS-", "0x1", "9" * 30])
def test_an_unknown_case_number_is_not_found(agent_api, new_case, number) -> None:
    new_case()
    error(agent_api.get(f"/cases/{number}"), 404)


# --- patch -----------------------------------------------------------------------------------


def test_patch_changes_fields_and_records_each_on_the_timeline(agent_api, agent, new_case,
                                                               clock) -> None:
    case = new_case(subject="Old subject", priority="low")
    clock.advance(minutes=5)
    response = agent_api.patch(f"/cases/{case['number']}", {
        "subject": "New subject", "priority": "urgent", "tags": ["vip"], "type": "Billing",
    })
    body = conforms(response, "PATCH", "/cases/{number}")
    assert (body["subject"], body["priority"], body["tags"], body["type"]) == (
        "New subject", "urgent", ["vip"], "Billing")
    events = agent_api.get(f"/cases/{case['number']}/timeline").json()["items"]
    changes = {e["field"]: e for e in events if e["kind"] == "field_changed"}
    assert changes["subject"]["old_value"] == "Old subject"
    assert changes["subject"]["new_value"] == "New subject"
    assert (changes["priority"]["old_value"], changes["priority"]["new_value"]) == (
        "low", "urgent")
    assert (changes["tags"]["old_value"], changes["tags"]["new_value"]) == ([], ["vip"])
    assert (changes["type"]["old_value"], changes["type"]["new_value"]) == ("", "Billing")
    for event in changes.values():
        assert event["actor"]["id"] == agent.user_id
        assert event["actor"]["email"] == "alice@acme.test"
        assert event["created_at"].startswith(clock.now.isoformat()[:19])


def test_an_unchanged_patch_records_nothing(agent_api, new_case) -> None:
    case = new_case(subject="Same")
    agent_api.patch(f"/cases/{case['number']}", {"subject": "Same"})
    events = agent_api.get(f"/cases/{case['number']}/timeline").json()["items"]
    assert [e["kind"] for e in events] == ["created", "routed"]


def test_patch_cannot_change_the_status(agent_api, new_case) -> None:
    case = new_case()
    error(agent_api.patch(f"/cases/{case['number']}", {"status": "closed"}), 422,
          field="status", mentions=("transitions",))
    assert agent_api.get(f"/cases/{case['number']}").json()["status"] == "new"


@pytest.mark.parametrize("field", ["subject", "priority", "tags", "custom_fields", "source"])
def test_patch_refuses_null_for_required_fields(agent_api, new_case, field) -> None:
    case = new_case()
    error(agent_api.patch(f"/cases/{case['number']}", {field: None}), 422, field=field)


def test_patch_refuses_a_subcategory_outside_the_category(agent_api, new_case) -> None:
    case = new_case(category="Billing", subcategory="Refund")
    error(agent_api.patch(f"/cases/{case['number']}", {"category": "Technical"}), 422,
          field="subcategory")
    assert agent_api.get(f"/cases/{case['number']}").json()["category"] == "Billing"


def test_patch_validates_custom_fields_naming_the_field(agent_api, new_case, tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="seats", label="Seats",
                                         kind="number")
    case = new_case()
    error(agent_api.patch(f"/cases/{case['number']}", {"custom_fields": {"seats": "many"}}),
          422, field="custom_fields.seats")
    ok = agent_api.patch(f"/cases/{case['number']}", {"custom_fields": {"seats": 3.5}})
    assert ok.json()["custom_fields"] == {"seats": 3.5}


def test_patch_with_nul_bytes_changes_nothing(agent_api, new_case) -> None:
    case = new_case(subject="Clean")
    error(agent_api.patch(f"/cases/{case['number']}", {"subject": "a\x00"}), 422,
          field="subject")
    assert agent_api.get(f"/cases/{case['number']}").json()["subject"] == "Clean"


# --- list, filters, pagination ---------------------------------------------------------------


def test_listing_walks_every_page_once_in_a_stable_order(agent_api, tenant) -> None:
    made = [make_case(tenant, subject=f"Case {i}") for i in range(23)]
    pages = walk_pages(agent_api, "/cases", limit=5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [item["number"] for page in pages for item in page]
    assert len(seen) == len(set(seen)) == 23
    assert seen == [f"CS-{c.number}" for c in sorted(made, key=lambda c: -c.number)]
    again = walk_pages(agent_api, "/cases", limit=5)
    assert [numbers(page) for page in again] == [numbers(page) for page in pages]


def test_pagination_does_not_skip_or_repeat_when_cases_arrive_between_pages(agent_api,
                                                                           tenant) -> None:
    for i in range(6):
        make_case(tenant, subject=f"Case {i}")
    first = agent_api.get("/cases", limit=3).json()
    make_case(tenant, subject="Arrived later")
    second = agent_api.get("/cases", limit=3, cursor=first["next_cursor"]).json()
    seen = numbers(first["items"]) + numbers(second["items"])
    assert len(set(seen)) == 6
    assert second["next_cursor"] is None


def test_list_page_has_the_documented_shape(agent_api, new_case) -> None:
    new_case()
    body = conforms(agent_api.get("/cases"), "GET", "/cases")
    assert set(body) == {"items", "next_cursor"}
    assert set(body["items"][0]) == CASE_KEYS
    assert body["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["garbage!!", "bm90IGpzb24", "WzEsMl0", "WyJ4Il0",
                                    "e30", "a\x00b"])
def test_a_bad_cursor_is_refused(agent_api, new_case, cursor) -> None:
    new_case()
    error(agent_api.get("/cases", cursor=cursor), 422, field="cursor")


@pytest.mark.parametrize("limit", [0, -1, 101, "many"])
def test_a_limit_out_of_range_is_refused(agent_api, limit) -> None:
    error(agent_api.get("/cases", limit=limit), 422, field="limit")


def test_limit_100_is_allowed(agent_api) -> None:
    assert agent_api.get("/cases", limit=100).status_code == 200


@pytest.fixture
def varied(tenant, agent, agent2, seeded_support_queue, finance):
    """Cases differing in every filterable field; returns {name: number}."""
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant)
    day = timedelta(days=1)
    specs = {
        "mine_urgent": dict(owner_id=agent.user_id, priority=4, queue_id=seeded_support_queue.pk,
                            now=NOW - 3 * day, subject="Invoice is wrong"),
        "bobs": dict(owner_id=agent2.user_id, queue_id=finance.pk, now=NOW - 2 * day,
                     account_id=account.pk, subject="Refund please"),
        "unassigned": dict(queue_id=seeded_support_queue.pk, priority=1, now=NOW - day,
                           contact_id=contact.pk, subject="Login",
                           description="the INVOICE page hangs", type="Bug",
                           category="Technical"),
        "no_queue": dict(now=NOW, subject="Other thing"),
    }
    # A case stays out of every queue only when the tenant does not route new cases.
    made = {name: make_case(tenant, **fields) for name, fields in specs.items()
            if name != "no_queue"}
    tenant.routing_enabled = False
    made["no_queue"] = make_case(tenant, **specs["no_queue"])
    tenant.routing_enabled = True
    return {"account": account, "contact": contact,
            **{name: f"CS-{case.number}" for name, case in made.items()}}


def listed(api, **params) -> set[str]:
    response = api.get("/cases", **params)
    assert response.status_code == 200, response.content
    return set(numbers(response.json()["items"]))


def test_list_filters_narrow_the_cases(agent_api, agent, agent2, seeded_support_queue, finance,
                                       varied) -> None:
    v = varied
    assert listed(agent_api) == {v["mine_urgent"], v["bobs"], v["unassigned"], v["no_queue"]}
    assert listed(agent_api, priority="urgent") == {v["mine_urgent"]}
    assert listed(agent_api, priority=["urgent", "low"]) == {v["mine_urgent"], v["unassigned"]}
    assert listed(agent_api, queue=seeded_support_queue.pk) == {v["mine_urgent"], v["unassigned"]}
    assert listed(agent_api, queue="none") == {v["no_queue"]}
    assert listed(agent_api, owner="me") == {v["mine_urgent"]}
    assert listed(agent_api, owner=agent2.user_id) == {v["bobs"]}
    assert listed(agent_api, owner="none") == {v["unassigned"], v["no_queue"]}
    assert listed(agent_api, account=v["account"].pk) == {v["bobs"]}
    assert listed(agent_api, contact=v["contact"].pk) == {v["unassigned"]}
    assert listed(agent_api, type="Bug", category="Technical") == {v["unassigned"]}
    assert listed(agent_api, q="invoice") == {v["mine_urgent"], v["unassigned"]}
    assert listed(agent_api, queue=seeded_support_queue.pk, owner="none") == {v["unassigned"]}


def test_created_range_filters_are_inclusive_after_and_exclusive_before(agent_api,
                                                                        varied) -> None:
    v = varied
    after = (NOW - timedelta(days=2)).isoformat()
    before = NOW.isoformat()
    assert listed(agent_api, created_after=after) == {v["bobs"], v["unassigned"], v["no_queue"]}
    assert listed(agent_api, created_before=before) == {v["mine_urgent"], v["bobs"],
                                                        v["unassigned"]}
    assert listed(agent_api, created_after=after, created_before=before) == {
        v["bobs"], v["unassigned"]}


def test_status_filters_and_open_only(agent_api, admin, tenant) -> None:
    from casedesk.cases.services import case_transition

    new = make_case(tenant, subject="new")
    opened = case_transition(case=make_case(tenant, subject="open"), actor=admin.user,
                             to="open", now=NOW)
    assert listed(agent_api, status="open") == {f"CS-{opened.number}"}
    assert listed(agent_api, status=["new", "open"]) == {f"CS-{new.number}",
                                                         f"CS-{opened.number}"}
    assert listed(agent_api, status="closed") == set()
    assert len(listed(agent_api, open="true")) == 2


@pytest.mark.parametrize(("name", "value"), [
    ("status", "done"), ("priority", "critical"), ("owner", "someone"), ("owner", "-3"),
    ("queue", "all"), ("account", 0), ("contact", "x"), ("created_after", "yesterday"),
    ("q", "x" * 201), ("q", "nul\x00"), ("type", "a\x00"), ("owner", "9" * 25),
    ("created_after", "0001-01-01T00:00:00+05:00"),
    ("created_before", "9999-12-31T23:59:59-05:00"), ("created_before", "2026-02-30"),
])
def test_bad_filters_are_refused_naming_the_parameter(agent_api, name, value) -> None:
    body = error(agent_api.get("/cases", **{name: value}), 422)
    assert body["field"].split(".")[0] == name  # list parameters name the item: status.0


@pytest.mark.parametrize("value", ["¹", "²3", "١"])
def test_list_filters_refuse_digits_that_are_not_ascii(agent_api, value) -> None:
    # str.isdigit() holds for superscripts, which int() cannot read.
    error(agent_api.get("/cases", queue=value), 422, field="queue")
    error(agent_api.get("/cases", owner=value), 422, field="owner")
