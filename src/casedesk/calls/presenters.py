"""How the API shows a call."""

from typing import Any

from casedesk.calls.models import Call
from casedesk.tenancy.presenters import person


def call_out(call: Call) -> dict[str, Any]:
    """The call as `CallOut`; reads its case (and the case's tenant) and who logged it."""
    return {
        "id": call.pk,
        "case_number": call.case.display_number,
        "direction": call.direction,
        "number": call.number,
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome,
        "notes": call.notes,
        "started_at": call.started_at,
        "logged_by": person(call.logged_by),
        "created_at": call.created_at,
    }
