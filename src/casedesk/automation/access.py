"""The one way the API and the pages fetch a tenant's automation rule: for a member, or
NotFound (another tenant's included, so nobody learns which ids exist)."""

from casedesk.automation.models import AutomationRule
from casedesk.core.access import tenant_row
from casedesk.tenancy.models import Membership


def get_rule_for_member(membership: Membership, rule_id: int) -> AutomationRule:
    """An automation rule of the member's tenant."""
    rule = tenant_row(AutomationRule.objects.all(), membership.tenant_id, rule_id,
                      f"No automation rule with id {rule_id}.")
    rule.tenant = membership.tenant
    return rule
