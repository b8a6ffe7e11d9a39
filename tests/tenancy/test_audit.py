"""The audit log itself: the writer (who and which way in, secrets masked), the way in told by
each entry point, the page `/settings/audit` and `GET /api/v1/audit` (filters, keyset
pages, permissions, tenant isolation)."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.core.origin import current_origin, origin, process_via_set
from casedesk.tenancy.audit import (
    SECRET,
    audit_change,
    audit_diff,
    audit_record,
    audit_value,
    updated_action,
)
from casedesk.tenancy.audit_selectors import AuditFilters, audit_page, change_rows, shown
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from tests.api_checks import conforms, error, walk_pages
from tests.conftest import NOW, Api, login


def _entry(tenant: Tenant | int, action: str = "thing.updated", *, at_offset: int = 0,
           actor: Membership | None = None, **fields: Any) -> AuditEntry:
    return audit_record(tenant=tenant, actor=actor.user if actor else None, action=action,
                        target_type=fields.pop("target_type", "thing"),
                        target_id=fields.pop("target_id", "1"),
                        changes=fields.pop("changes", {"name": ["old", "new"]}),
                        now=NOW + timedelta(minutes=at_offset), **fields)


# --- the writer -------------------------------------------------------------------------------

def test_diff_keeps_only_what_changed_and_masks_secrets() -> None:
    old = {"name": "A", "password": "hunter2", "same": 1, "gone": "x"}
    new = {"name": "B", "password": "s3cret!", "same": 1, "added": [1, 2]}
    assert audit_diff(old, new, secret=("password",)) == {
        "added": [None, [1, 2]], "gone": ["x", None], "name": ["A", "B"],
        "password": [SECRET, SECRET]}


def test_values_are_stored_as_readable_json() -> None:
    assert audit_value(timedelta(hours=2)) == 7200.0
    assert audit_value(NOW) == NOW.isoformat()
    assert audit_value({"a": (1, 2)}) == {"a": [1, 2]}


def test_switching_is_told_apart_from_editing() -> None:
    assert updated_action("rule", {"is_enabled": True, "n": 1},
                          {"is_enabled": False, "n": 1}) == "rule.disabled"
    assert updated_action("rule", {"is_enabled": False}, {"is_enabled": True}) == "rule.enabled"
    assert updated_action("rule", {"is_enabled": True, "n": 1},
                          {"is_enabled": False, "n": 2}) == "rule.updated"


def test_an_unchanged_save_records_nothing(tenant) -> None:
    assert audit_change(tenant=tenant, actor=None, action="x.updated", target_type="x",
                        target_id=1, before={"a": 1}, after={"a": 1}) is None
    assert not AuditEntry.objects.filter(tenant=tenant, action="x.updated").exists()


def test_without_an_actor_the_entry_names_the_system(tenant) -> None:
    entry = _entry(tenant)
    assert (entry.actor_id, entry.actor_label, entry.via) == (None, "system", "")


def test_the_origin_names_the_actor_and_the_way_in(tenant, admin) -> None:
    with origin("api", user_id=admin.user_id, user_label=admin.user.email):
        entry = _entry(tenant)
    assert (entry.actor_id, entry.actor_label, entry.via) == (
        admin.user_id, admin.user.email, "api")
    assert current_origin().via == ""  # undone after the block


def test_a_given_actor_wins_over_the_origin(tenant, admin, agent) -> None:
    with origin("web", user_id=admin.user_id, user_label=admin.user.email):
        entry = _entry(tenant, actor=agent)
    assert (entry.actor_id, entry.actor_label, entry.via) == (
        agent.user_id, agent.user.email, "web")


def test_a_process_way_in_applies_outside_requests(tenant, monkeypatch) -> None:
    monkeypatch.setattr("casedesk.core.origin._process", current_origin())
    process_via_set("worker")
    assert _entry(tenant).via == "worker"
    with origin("web"):
        assert _entry(tenant).via == "web"
    with pytest.raises(ValueError, match="via is one of"):
        process_via_set("carrier pigeon")


def test_the_entry_keeps_its_actor_label_after_the_user_is_gone(tenant, agent) -> None:
    entry = _entry(tenant, actor=agent)
    agent.user.delete()
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_label) == (None, "alice@acme.test")


def test_change_rows_read_as_old_and_new(tenant) -> None:
    entry = _entry(tenant, changes={"is_enabled": [True, False], "tags": [["a", "b"], []],
                                    "password": [SECRET, SECRET], "conditions": [
                                        None, [{"field": "category", "value": "Billing"}]]})
    rows = {row.field: row for row in change_rows(entry)}
    assert (rows["is enabled"].old, rows["is enabled"].new) == ("yes", "no")
    assert (rows["tags"].old, rows["tags"].new) == ("a, b", "(none)")
    assert rows["password"].is_secret and rows["password"].new == SECRET
    assert rows["conditions"].old == ""
    assert '"value": "Billing"' in rows["conditions"].new
    assert shown(None) == ""


# --- reading: filters and pages ---------------------------------------------------------------

@pytest.fixture
def logged(tenant, other_tenant, admin, agent) -> list[AuditEntry]:
    """Seven entries of the tenant over seven minutes (two by the admin, on queues), and one
    of another tenant."""
    rows = [
        _entry(tenant, "routing_rule.created", at_offset=0, target_type="routing_rule"),
        _entry(tenant, "routing_rule.updated", at_offset=1, target_type="routing_rule"),
        _entry(tenant, "queue.created", at_offset=2, actor=admin, target_type="queue"),
        _entry(tenant, "queue.members_changed", at_offset=3, actor=admin, target_type="queue"),
        _entry(tenant, "member.role_changed", at_offset=4, actor=agent, target_type="member"),
        _entry(tenant, "token.created", at_offset=5, target_type="token"),
        _entry(tenant, "sla_policy.deleted", at_offset=6, target_type="sla_policy"),
    ]
    _entry(other_tenant, "routing_rule.created", at_offset=3, target_type="routing_rule")
    return rows


def _actions(page: Any) -> list[str]:
    return [e.action for e in page.items]


def test_pages_run_newest_first_without_gaps_or_repeats(tenant, logged) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = audit_page(tenant, AuditFilters(), cursor=cursor, limit=3)
        seen += _actions(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [e.action for e in reversed(logged)]


def test_entries_at_the_same_moment_page_by_id(tenant) -> None:
    rows = [_entry(tenant, f"same.n{i}") for i in range(5)]
    first = audit_page(tenant, AuditFilters(), limit=2)
    rest = audit_page(tenant, AuditFilters(), cursor=first.next_cursor, limit=10)
    assert _actions(first) + _actions(rest) == [r.action for r in reversed(rows)]


def test_filters_by_kind_action_actor_target_and_time(tenant, logged, admin) -> None:
    def actions(**filters: Any) -> list[str]:
        return _actions(audit_page(tenant, AuditFilters(**filters), limit=50))

    assert actions(action="routing_rule") == ["routing_rule.updated", "routing_rule.created"]
    assert actions(action="queue.created") == ["queue.created"]
    assert actions(action="queue.created.") == []
    assert actions(actor_id=admin.user_id) == ["queue.members_changed", "queue.created"]
    assert actions(system=True) == ["sla_policy.deleted", "token.created",
                                    "routing_rule.updated", "routing_rule.created"]
    assert actions(target_type="member") == ["member.role_changed"]
    assert actions(since=NOW + timedelta(minutes=5)) == ["sla_policy.deleted", "token.created"]
    assert actions(until=NOW + timedelta(minutes=1)) == ["routing_rule.created"]


# --- the API ----------------------------------------------------------------------------------

def test_api_lists_the_tenants_entries_as_documented(clock, admin_api, logged) -> None:
    body = conforms(admin_api.get("/audit", limit=2), "GET", "/audit")
    assert [e["action"] for e in body["items"]] == ["sla_policy.deleted", "token.created"]
    first = body["items"][0]
    assert first["changes"] == [{"field": "name", "old": "old", "new": "new"}]
    assert first["actor"] == "system" and first["actor_id"] is None
    assert body["next_cursor"]


def test_api_pages_through_every_entry_once(clock, admin_api, logged) -> None:
    pages = walk_pages(admin_api, "/audit", limit=2, target_type="routing_rule")
    assert [e["action"] for page in pages for e in page] == [
        "routing_rule.updated", "routing_rule.created"]
    everything = [e["id"] for page in walk_pages(admin_api, "/audit", limit=3) for e in page]
    assert len(everything) == len(set(everything))
    assert set(everything) >= {e.pk for e in logged}


def test_api_filters(clock, admin_api, logged, admin) -> None:
    def actions(**params: Any) -> list[str]:
        response = admin_api.get("/audit", **params)
        assert response.status_code == 200, response.content
        return [e["action"] for e in response.json()["items"]]

    assert actions(action="queue") == ["queue.members_changed", "queue.created"]
    # The admin's own API token was made at NOW, before the rest.
    assert actions(actor=str(admin.user_id)) == ["queue.members_changed", "queue.created",
                                                 "token.created"]
    assert "queue.created" not in actions(actor="system")
    assert actions(target_type="sla_policy") == ["sla_policy.deleted"]
    since = (NOW + timedelta(minutes=4)).isoformat()
    until = (NOW + timedelta(minutes=6)).isoformat()
    assert actions(since=since, until=until) == ["token.created", "member.role_changed"]


@pytest.mark.parametrize(("params", "field"), [
    ({"actor": "alice"}, "actor"),
    ({"cursor": "not-a-cursor!"}, "cursor"),
    ({"since": "2026-01-01T00:00:00"}, "since"),
    ({"limit": 0}, "limit"),
    ({"action": "x" * 81}, "action"),
])
def test_api_refuses_bad_filters(admin_api, params, field) -> None:
    error(admin_api.get("/audit", **params), 422, field=field)


def test_api_is_for_admins_only(agent_api, manager_api, anonymous_api) -> None:
    error(agent_api.get("/audit"), 403)
    error(manager_api.get("/audit"), 403)
    error(anonymous_api.get("/audit"), 401)


def test_api_shows_no_other_tenants_entries(outsider_api, logged, outsider) -> None:
    items = outsider_api.get("/audit", limit=100).json()["items"]
    assert items and all(e["id"] not in {row.pk for row in logged} for e in items)


def test_an_api_change_is_recorded_with_its_member_and_via_api(admin_api, tenant, admin
                                                               ) -> None:
    response = admin_api.patch("/tenant/settings", {"reopen_limit": 3})
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(tenant=tenant, action="tenant_settings.updated")
    assert (entry.actor_id, entry.actor_label, entry.via) == (
        admin.user_id, admin.user.email, "api")
    assert entry.changes == {"reopen_limit": [1, 3]}


# --- the page ---------------------------------------------------------------------------------

def test_page_shows_entries_newest_first_with_old_and_new(admin, logged) -> None:
    response = login(admin).get("/settings/audit")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("sla_policy.deleted") < html.index("routing_rule.created")
    assert "<del>old</del>" in html and "<ins>new</ins>" in html
    assert html.count('data-testid="audit-row"') == len(logged)


def test_page_filters_and_pages(admin, tenant, logged) -> None:
    client = login(admin)
    html = client.get("/settings/audit", {"action": "routing_rule"}).content.decode()
    assert html.count('data-testid="audit-row"') == 2
    html = client.get("/settings/audit", {"actor": str(admin.user_id)}).content.decode()
    assert html.count('data-testid="audit-row"') == 2
    html = client.get("/settings/audit", {"since": "2000-01-01", "until": "2000-01-02"}
                      ).content.decode()
    assert 'data-testid="audit-empty"' in html
    for i in range(55):
        _entry(tenant, f"bulk.n{i}", target_type="bulk")
    first = client.get("/settings/audit", {"target": "bulk"})
    assert first.context["next_query"]
    second = client.get(f"/settings/audit?{first.context['next_query']}")
    shown_first = {e.pk for e, _ in first.context["entries"]}
    shown_second = {e.pk for e, _ in second.context["entries"]}
    assert len(shown_first) == 50 and len(shown_second) == 5
    assert not shown_first & shown_second


def test_page_shows_form_errors_for_bad_filters(admin, logged) -> None:
    client = login(admin)
    response = client.get("/settings/audit", {"since": "2026-02-10", "until": "2026-02-01"})
    assert response.status_code == 422
    assert "comes on or after" in response.content.decode()
    response = client.get("/settings/audit", {"actor": "nobody"})
    assert response.status_code == 422
    response = client.get("/settings/audit", {"cursor": "!!"})
    assert response.status_code == 422
    assert "cursor is not valid" in response.content.decode()


def test_page_is_for_admins_and_linked_from_settings(admin, manager, agent) -> None:
    assert login(manager).get("/settings/audit").status_code == 403
    assert login(agent).get("/settings/audit").status_code == 403
    assert 'data-testid="audit-link"' in login(admin).get("/settings/").content.decode()
    assert 'data-testid="audit-link"' not in login(manager).get("/settings/").content.decode()


def test_page_shows_no_other_tenants_entries(outsider, logged) -> None:
    html = login(outsider).get("/settings/audit").content.decode()
    assert html.count('data-testid="audit-row"') == 1  # globex's own, nothing of acme's


def test_a_page_change_is_recorded_with_its_member_and_via_web(admin, tenant) -> None:
    response = login(admin).post("/settings/", {
        "name": "Acme Care", "time_zone": tenant.time_zone, "reopen_limit": 1,
        "reopen_window_hours": 6, "routing_enabled": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(tenant=tenant, action="tenant_settings.updated")
    assert (entry.actor_id, entry.via) == (admin.user_id, "web")
    assert entry.changes["name"] == ["Acme Support", "Acme Care"]


def test_token_auth_does_not_leak_the_user_to_the_next_request(admin, tenant) -> None:
    Api(None).get("/audit")
    assert current_origin().user_id is None
