"""The only way views and API handlers fetch cases: scoped to the member's tenant."""

import re

from django.db import connection
from django.db.models import Q

from casedesk.cases.models import (
    Case,
    CaseAssignment,
    CaseLink,
    CustomFieldDefinition,
    PicklistValue,
)
from casedesk.cases.selectors import CASE_RELATED
from casedesk.core.access import tenant_row
from casedesk.core.errors import NotFound
from casedesk.core.rows import Related
from casedesk.tenancy.models import Membership

_CASE_WITH_RELATED = Related(Case, [name for name in CASE_RELATED if name != "tenant"])
_BY_NUMBER = 't0."tenant_id" = %s AND t0."number" = %s'
_NUMBER = re.compile(r"^\s*(?:([A-Za-z][A-Za-z0-9]{0,9})-)?(\d{1,18})\s*$")


def parse_case_number(text: str, prefix: str) -> int | None:
    """The number in `CS-1042` (the tenant's prefix, any case) or `1042`; None otherwise."""
    match = _NUMBER.match(text or "")
    if match is None:
        return None
    if match.group(1) is not None and match.group(1).upper() != prefix.upper():
        return None
    return int(match.group(2))


def get_case_for_member(membership: Membership, number: str) -> Case:
    """The case shown as `number` in the member's tenant; NotFound for anything else,
    including another tenant's case."""
    tenant = membership.tenant
    parsed = parse_case_number(number, tenant.case_prefix)
    case = None
    if parsed is not None:
        # Every case page, action and API call on one case reads it: by hand-written SQL
        # (`core.rows`), the joins compiled once per process; the tenant is the member's.
        case = _CASE_WITH_RELATED.first(connection, _BY_NUMBER, [tenant.pk, parsed])
    if case is None:
        raise NotFound(f"No case {number} in this tenant.")
    Case.tenant.field.set_cached_value(case, tenant)
    return case


def get_assignment_for_case(case: Case, assignment_id: int) -> CaseAssignment:
    assignment = (CaseAssignment.objects.select_related("queue", "case__tenant")
                  .filter(tenant_id=case.tenant_id, case=case, pk=assignment_id).first())
    if assignment is None:
        raise NotFound(f"No case assignment {assignment_id} on {case.display_number}.")
    return assignment


def get_link_for_case(case: Case, link_id: int) -> CaseLink:
    """A link of the case, from either side; NotFound for any other link."""
    link = (CaseLink.objects.select_related("from_case__tenant", "to_case__tenant")
            .filter(Q(from_case=case) | Q(to_case=case), tenant_id=case.tenant_id, pk=link_id)
            .first())
    if link is None:
        raise NotFound(f"No link {link_id} on {case.display_number}.")
    return link


def get_picklist_value_for_member(membership: Membership, value_id: int) -> PicklistValue:
    """A picklist value of the member's tenant (retired or not); NotFound for anything else.
    Permission is the caller's to check first."""
    return tenant_row(PicklistValue.objects.all(), membership.tenant_id, value_id,
                      f"No picklist value with id {value_id}.")


def get_custom_field_for_member(membership: Membership, field_id: int
                                ) -> CustomFieldDefinition:
    """A custom field definition of the member's tenant (retired or not); NotFound for
    anything else. Permission is the caller's to check first."""
    return tenant_row(CustomFieldDefinition.objects.all(), membership.tenant_id, field_id,
                      f"No custom field with id {field_id}.")
