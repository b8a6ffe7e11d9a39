"""`POST /sla/sweep`: the breach sweep for the caller's tenant. Listed with the SLA API (tag
and operation id as ever), written here because the sweep changes cases, the floor above
`sla`."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.cases.models import Case
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core import clock
from casedesk.core.schemas import Error
from casedesk.tenancy.api_auth import require_admin

router = Router(tags=["sla"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class SweepOut(Schema):
    at: datetime
    cases: int = Field(description="How many cases breached a target in this sweep.")
    case_numbers: list[str] = Field(description="Those cases, by number.")
    breached_first_response: int
    breached_resolution: int
    breached_next_response: int = 0
    elevated: int = Field(description="Cases whose priority went up a rung for a breach.")
    warned: int = Field(description="Warnings sent (a target past its warning milestone).")
    notified: int = Field(description="Notifications written, breaches and warnings.")
    escalated: dict[str, int] = Field(description="Cases escalated, by rule name.")
    summary: str


def _case_numbers(tenant_id: int, prefix: str, case_ids: list[int]) -> list[str]:
    numbers: list[int] = []
    for start in range(0, len(case_ids), 500):
        numbers += Case.objects.filter(tenant_id=tenant_id, pk__in=case_ids[start:start + 500]
                                       ).values_list("number", flat=True)
    return [f"{prefix}-{n}" for n in sorted(numbers)]


@router.post("/sla/sweep", response={200: SweepOut, **ERRORS}, summary="Run the breach sweep",
             operation_id="casedesk_sla_api_sweep")
def sweep(request: HttpRequest) -> Any:
    """Marks the tenant's open cases past a due time (each breached target once), raises
    their priority a rung (urgent stays urgent), writes the timeline, notifies owners and
    their managers, sends due warnings and runs the escalation rules; answers what it did.
    Safe to run twice, or at once: nothing is marked or raised twice (admins)."""
    admin = require_admin(request)
    tenant = admin.tenant
    report = sla_sweep(now=clock.now(), tenant=tenant)
    return {**report.as_dict(), "summary": report.summary(),
            "case_numbers": _case_numbers(tenant.pk, tenant.case_prefix, report.cases)}
