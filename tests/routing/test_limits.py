"""Routing rules and the skills map hold what their columns hold: the API refuses more (422
naming the field), and so do the services whoever calls them (the routing pages, a command),
instead of cutting a typed name short."""

import pytest

from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.routing.models import RoutingRule, SkillRequirement
from casedesk.routing.services import RuleInput, rule_create, rule_update, skill_requirements_set
from tests.api_checks import error
from tests.conftest import NOW

RULES = "/routing/rules"
ACTIONS = {"priority": "high"}


def test_a_rule_name_past_its_column_is_refused(admin_api) -> None:
    longest = max_length(RoutingRule, "name")
    error(admin_api.post(RULES, {"name": "r" * (longest + 1), "actions": ACTIONS}), 422,
          field="name")
    assert not RoutingRule.objects.exists()
    rule = admin_api.post(RULES, {"name": "r" * longest, "actions": ACTIONS})
    assert rule.status_code == 201
    error(admin_api.patch(f"{RULES}/{rule.json()['id']}", {"name": "s" * (longest + 1)}), 422,
          field="name")
    assert RoutingRule.objects.get().name == "r" * longest


def test_the_rule_services_refuse_a_name_past_its_column(tenant) -> None:
    too_long = "r" * (max_length(RoutingRule, "name") + 1)
    with pytest.raises(Invalid) as refused:
        rule_create(tenant=tenant, now=NOW, data=RuleInput(name=too_long, actions=ACTIONS))
    assert refused.value.field == "name"
    rule = rule_create(tenant=tenant, now=NOW, data=RuleInput(name="Fast", actions=ACTIONS))
    with pytest.raises(Invalid) as refused:
        rule_update(rule=rule, changes={"name": too_long}, now=NOW)
    assert refused.value.field == "name"
    rule.refresh_from_db()
    assert rule.name == "Fast"


@pytest.mark.parametrize("column", ["category", "subcategory"])
def test_a_skills_entry_past_its_column_is_refused(tenant, admin_api, column) -> None:
    too_long = "c" * (max_length(SkillRequirement, column) + 1)
    entry = {"category": "Technical", "subcategory": "", "skills": ["linux"], column: too_long}
    body = error(admin_api.put("/routing/skills", {"requirements": [entry]}), 422)
    assert column in body["field"]
    with pytest.raises(Invalid) as refused:
        skill_requirements_set(tenant=tenant, requirements=[
            (entry["category"], entry["subcategory"], ["linux"])])
    assert refused.value.field == "requirements" and "at most" in refused.value.detail
    assert not SkillRequirement.objects.filter(tenant=tenant, skills=["linux"]).exists()
