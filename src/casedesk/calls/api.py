"""The calls API: a case's logged phone calls (`/cases/{number}/calls`), one call
(`/calls/{call_id}`), and a phone case made together with its call (`POST /calls`). Any
member who may see a case may read and log its calls."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Header

from casedesk.calls import selectors, services
from casedesk.calls.access import get_call_for_member
from casedesk.calls.domain import CallInput
from casedesk.calls.presenters import call_out
from casedesk.calls.schemas import CallIn, CallOut, PhoneCaseIn, PhoneCaseOut
from casedesk.cases.access import get_case_for_member
from casedesk.cases.creation import CaseInput
from casedesk.cases.models import IdempotencyKey
from casedesk.cases.presenters import case_out
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.core.priority import Priority
from casedesk.core.schemas import Error
from casedesk.tenancy.api_auth import member

router = Router(tags=["calls"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _call_input(payload: CallIn) -> CallInput:
    return CallInput(
        direction=payload.direction,
        number=payload.number,
        duration_seconds=payload.duration_seconds,
        outcome=payload.outcome,
        notes=payload.notes,
        started_at=payload.started_at,
    )


@router.get(
    "/cases/{number}/calls", response={200: list[CallOut], **ERRORS}, summary="A case's calls"
)
def case_calls(request: HttpRequest, number: str) -> Any:
    """The calls logged on the case, the latest first."""
    case = get_case_for_member(member(request), number)
    return [call_out(call) for call in selectors.calls_of_case(case)]


@router.post(
    "/cases/{number}/calls", response={201: CallOut, **ERRORS}, summary="Log a call on a case"
)
def log_call(request: HttpRequest, number: str, payload: CallIn) -> Any:
    """Logs a phone call on the case; its timeline gets a `call_logged` event. A call is not
    a reply: it does not count as the case's first response. A case merged into another
    answers 409."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    call = services.call_log(
        case=case, actor=membership.user, data=_call_input(payload), now=clock.now()
    )
    return 201, call_out(call)


@router.get("/calls/{call_id}", response={200: CallOut, **ERRORS}, summary="Read a call")
def get_call(request: HttpRequest, call_id: int) -> Any:
    return call_out(get_call_for_member(member(request), call_id))


@router.post(
    "/calls",
    response={201: PhoneCaseOut, 200: PhoneCaseOut, **ERRORS},
    summary="Make a phone case with its call",
)
def create_phone_case(
    request: HttpRequest,
    response: HttpResponse,
    payload: PhoneCaseIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", max_length=max_length(IdempotencyKey, "key")
    ),
) -> Any:
    """Makes a case from a phone call (source `phone`) and logs the call on it, together:
    a refusal of either makes neither. A refused case field is named `case.<field>`. Send an
    `Idempotency-Key` header to make retries safe: the same key returns the case and call
    the first request made (status 200)."""
    membership = member(request)
    now = clock.now()
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not idempotency_key or not idempotency_key.isprintable():
            raise Invalid(
                "Idempotency-Key must be non-blank printable text.", field="Idempotency-Key"
            )
    fields = payload.case
    case_input = CaseInput(**{**fields.dict(), "priority": Priority.from_name(fields.priority)})
    made = services.phone_case_create(
        tenant=membership.tenant,
        actor=membership.user,
        case_input=case_input,
        call=_call_input(payload),
        now=now,
        idempotency_key=idempotency_key,
    )
    if not made.created:
        response["Idempotent-Replayed"] = "true"
    made.call.case = made.case
    return (201 if made.created else 200), {
        "case": case_out(made.case, now),
        "call": call_out(made.call),
    }
