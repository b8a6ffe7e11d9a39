"""The only way the calls API and pages fetch a call by id: scoped to the member's tenant.

Any member who may see a case may see and log its calls (`cases.access.get_case_for_member`
is the way to a case's calls)."""

from casedesk.calls.models import Call
from casedesk.calls.selectors import tenant_calls
from casedesk.core.access import tenant_row
from casedesk.tenancy.models import Membership


def get_call_for_member(membership: Membership, call_id: int) -> Call:
    """The call, or NotFound (another tenant's included)."""
    return tenant_row(
        tenant_calls(membership.tenant_id),
        membership.tenant_id,
        call_id,
        f"No call with id {call_id}.",
    )
