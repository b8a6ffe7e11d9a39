"""The what-if pages `/sla/whatif` and `/routing/whatif`, and their buttons on the SLA
policy form, the routing rule form and the rules list."""

from datetime import timedelta

import pytest

from casedesk.routing.models import Queue, RoutingRule
from casedesk.sla.models import SlaPolicy
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tenant: Tenant, clock: Clock) -> list[str]:
    """Two unanswered Billing cases and one General one, from the last hours."""
    return [
        make_case(tenant, now=NOW - timedelta(hours=hours), category=category).display_number
        for hours, category in ((3, "Billing"), (5, "Billing"), (4, "General"))
    ]


def policy_form(name: str = "Billing fast", **extra: str) -> dict[str, str]:
    """The SLA policy form as the browser sends it: first response in one hour round the
    clock, for Billing cases."""
    data = {
        "name": name,
        "is_enabled": "1",
        "calendar": "",
        "first_response_hours": "1",
        "first_response_mins": "0",
        "first_response_business": "0",
        "next_response_hours": "",
        "next_response_mins": "",
        "next_response_business": "1",
        "resolution_hours": "100",
        "resolution_mins": "0",
        "resolution_business": "0",
        "warn_at_percent": "75",
        "c-0-field": "category",
        "c-0-key": "",
        "c-0-op": "equals",
        "c-0-value": "Billing",
        "action": "whatif",
        "whatif_policy": "",
    }
    data.update(extra)
    return data


def rule_form(**extra: str) -> dict[str, str]:
    data = {
        "name": "General to Engineering",
        "match": "all",
        "is_enabled": "1",
        "queue": "",
        "owner": "",
        "priority": "",
        "tags": "",
        "c-0-field": "category",
        "c-0-key": "",
        "c-0-op": "equals",
        "c-0-value": "General",
        "action": "whatif",
        "whatif_rule": "",
    }
    data.update(extra)
    return data


def test_the_policy_form_and_list_offer_what_if(
    admin: Membership, manager: Membership, tenant: Tenant
) -> None:
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    page = login(admin).get(f"/sla/policies/{normal.pk}").content.decode()
    assert 'formaction="/sla/whatif"' in page
    assert f'name="whatif_policy" value="{normal.pk}"' in page
    read_only = login(manager).get(f"/sla/policies/{normal.pk}").content.decode()
    assert f'href="/sla/whatif?policy={normal.pk}"' in read_only
    assert 'href="/sla/whatif"' in login(manager).get("/sla/policies").content.decode()


def test_posting_the_policy_form_shows_its_effect_and_keeps_the_proposal(
    admin: Membership, tenant: Tenant, history: list[str]
) -> None:
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    response = login(admin).post(
        "/sla/whatif",
        policy_form(
            "Normal priority",
            days="7",
            whatif_policy=str(normal.pk),
            **{"c-0-field": "priority", "c-0-value": "normal"},
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 cases created in the last 7 days" in page
    assert "would apply to <strong>3</strong>" in page
    for number in history:  # an hour round the clock: all three would have been late
        assert f'href="/cases/{number}"' in page
    assert 'type="hidden" name="c-0-value" value="normal"' in page
    assert 'type="hidden" name="action"' not in page
    assert f'formaction="/sla/policies/{normal.pk}"' in page


def test_a_new_policy_goes_last_where_earlier_policies_take_its_cases(
    admin: Membership, history: list[str]
) -> None:
    page = login(admin).post("/sla/whatif", policy_form()).content.decode()
    assert "would apply to <strong>0</strong>" in page
    assert "an earlier policy takes them first" in page
    assert 'formaction="/sla/policies/new"' in page


def test_back_to_edit_shows_the_form_as_typed_and_saves_nothing(
    admin: Membership, tenant: Tenant, clock: Clock
) -> None:
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    before = list(SlaPolicy.objects.filter(tenant=tenant).values())
    data = policy_form(
        "Normal, faster", whatif_policy=str(normal.pk), action="edit", first_response_mins="7"
    )
    page = login(admin).post(f"/sla/policies/{normal.pk}", data).content.decode()
    assert 'value="Normal, faster"' in page
    assert 'name="first_response_mins" value="7"' in page
    assert list(SlaPolicy.objects.filter(tenant=tenant).values()) == before


def test_a_stored_policy_replays_on_get_and_an_invalid_one_is_refused(
    manager: Membership, admin: Membership, tenant: Tenant, history: list[str]
) -> None:
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    page = login(manager).get(f"/sla/whatif?policy={normal.pk}&days=30").content.decode()
    assert 'data-testid="whatif-result"' in page
    assert "would be counted again" in page
    chooser = login(manager).get("/sla/whatif").content.decode()
    assert f'href="/sla/whatif?policy={normal.pk}"' in chooser
    refused = login(admin).post("/sla/whatif", policy_form(calendar="999999"))
    assert refused.status_code == 422
    assert "No calendar with id 999999." in refused.content.decode()


def test_agents_and_other_tenants_are_kept_out(
    agent: Membership, outsider: Membership, tenant: Tenant, clock: Clock
) -> None:
    assert login(agent).get("/sla/whatif").status_code == 403
    assert login(agent).get("/routing/whatif").status_code == 403
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    assert login(outsider).get(f"/sla/whatif?policy={normal.pk}").status_code == 404


def test_the_rule_form_posts_its_rule_and_the_page_shows_where_cases_would_go(
    admin: Membership, tenant: Tenant, history: list[str]
) -> None:
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    assert 'formaction="/routing/whatif"' in login(admin).get("/routing/rules/new").content.decode()
    response = login(admin).post("/routing/whatif", rule_form(queue=str(engineering.pk)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>1</strong> would have gone to another queue" in page
    assert f'href="/cases/{history[2]}"' in page
    assert 'formaction="/routing/rules/new"' in page
    assert not RoutingRule.objects.filter(tenant=tenant).exists()
    back = (
        login(admin)
        .post("/routing/rules/new", rule_form(queue=str(engineering.pk), action="edit"))
        .content.decode()
    )
    assert 'value="General to Engineering"' in back
    assert not RoutingRule.objects.filter(tenant=tenant).exists()


def test_the_rule_list_editor_replays_rules_switched_and_reordered(
    admin: Membership, manager: Membership, tenant: Tenant, history: list[str]
) -> None:
    support = Queue.objects.get(tenant=tenant, name="Support")
    rule = RoutingRule.objects.create(
        tenant=tenant,
        name="All to Support",
        conditions=[],
        actions={"queue_id": support.pk},
        is_enabled=False,
        created_at=NOW,
        updated_at=NOW,
    )
    assert 'href="/routing/whatif"' in login(manager).get("/routing/rules").content.decode()
    page = login(manager).get("/routing/whatif").content.decode()
    assert f'name="on-{rule.pk}" value="1">' in page  # off, as stored
    assert "<strong>0</strong> would have gone to another queue" in page
    switched = login(manager).post(
        "/routing/whatif",
        {"mode": "list", f"on-{rule.pk}": "1", f"place-{rule.pk}": "1", "days": "30"},
    )
    assert "<strong>2</strong> would have gone to another queue" in switched.content.decode()
    rule.refresh_from_db()
    assert not rule.is_enabled
