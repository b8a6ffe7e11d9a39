"""The privacy API: erasing a contact (admins). The retention period is a tenant setting
(`PATCH /tenant/settings`, `retention_months`)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Path
from pydantic import Field

from casedesk.core import clock
from casedesk.core.schemas import MAX_ID, Error
from casedesk.crm.access import get_contact_for_member
from casedesk.privacy.erasure import ErasureResult, contact_erase
from casedesk.tenancy.api_auth import require_admin

router = Router(tags=["privacy"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class PrivacyErasureOut(Schema):
    id: int
    contact_id: int = Field(description="The contact, kept as `Erased contact <id>`.")
    at: datetime
    reason: str = Field(description="`request` (erased on request) or `retention`.")
    via: str
    counts: dict[str, int] = Field(description=(
        "How many rows of each kind were removed or replaced (`messages`, `attachments`, "
        "`mail_received`, …; `mentions:<table>` for mentions struck out elsewhere)."))
    already_erased: bool = Field(description="The contact had been erased before: nothing "
                                             "changed, and this is that erasure.")


def erasure_out(result: ErasureResult) -> dict[str, Any]:
    e = result.erasure
    return {"id": e.pk, "contact_id": e.contact_id_erased, "at": e.at, "reason": e.reason,
            "via": e.via, "counts": e.counts, "already_erased": result.already_erased}


@router.post("/contacts/{contact_id}/erase", response={200: PrivacyErasureOut, **ERRORS},
             summary="Erase a contact")
def erase_contact(request: HttpRequest,
                  contact_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    """Erases the contact's personal data (the right to erasure): name, email, phone, their
    messages and files, their mail and portal sign-ins; their cases stay for the statistics
    with the contact shown as `Erased contact <id>`. Admins only. Erasing an erased contact
    changes nothing and returns the first erasure."""
    admin = require_admin(request)
    contact = get_contact_for_member(admin, contact_id)
    return erasure_out(contact_erase(contact=contact, actor=admin.user, now=clock.now(),
                                     via="api"))
