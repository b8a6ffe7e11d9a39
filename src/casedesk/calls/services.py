"""Call writes: logging a call on a case, and making a phone case together with its call.

A call is an activity on the case, not a reply: it writes its `call_logged` timeline event
and moves the case's `updated_at`, but it is not the case's first response and stops no SLA
clock (the customer got no written answer they can read back). Who may log a call is decided
before a service is called: any member who may see the case (`cases.access`)."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction

from casedesk.calls.domain import (
    CallInput,
    CheckedCall,
    call_summary,
    check_call,
    is_same_call,
)
from casedesk.calls.models import Call, Direction, Outcome
from casedesk.cases.changes import case_change
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, EventKind, Source, TimelineEvent
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import lock_case
from casedesk.core.errors import Invalid
from casedesk.tenancy.models import Tenant, User

IDEMPOTENCY_FIELD = "Idempotency-Key"


def call_values(call: Call) -> dict[str, Any]:
    """The call as its timeline event keeps it (`new_value`)."""
    return {
        "call_id": call.pk,
        "direction": call.direction,
        "number": call.number,
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome,
        "notes": call.notes,
        "started_at": call.started_at.isoformat(),
    }


def call_log(*, case: Case, actor: User | None, data: CallInput, now: datetime) -> Call:
    """Logs a call on the case: the `Call` row and one `call_logged` timeline event, in the
    case's change (its row locked; a case merged into another refuses with Conflict). Bad
    fields are Invalid naming the field (`calls.domain.CALL_FIELDS`); nothing is written."""
    checked = check_call(data, now)
    with case_change():
        case = lock_case(case)
        call = Call.objects.create(
            tenant_id=case.tenant_id,
            case=case,
            direction=checked.direction,
            number=checked.number,
            duration_seconds=checked.duration_seconds,
            outcome=checked.outcome,
            notes=checked.notes,
            started_at=checked.started_at,
            logged_by=actor,
            created_at=now,
        )
        timeline_write(
            [
                event(
                    case,
                    actor,
                    EventKind.CALL_LOGGED,
                    now,
                    message=call_summary(
                        call.direction, call.number, call.duration_seconds, call.outcome
                    ),
                    new_value=call_values(call),
                )
            ]
        )
        case.updated_at = now
        case.save(update_fields=["updated_at"])
    return call


@dataclass(frozen=True)
class PhoneCase:
    """A phone case and the call it was made from; `created` is False for a repeated
    request (the same idempotency key), which made nothing new."""

    case: Case
    call: Call
    created: bool


def _stored(call: Call) -> CheckedCall:
    return CheckedCall(
        direction=Direction(call.direction),
        number=call.number,
        duration_seconds=call.duration_seconds,
        outcome=Outcome(call.outcome),
        notes=call.notes,
        started_at=call.started_at,
    )


def phone_case_create(
    *,
    tenant: Tenant,
    actor: User | None,
    case_input: CaseInput,
    call: CallInput,
    now: datetime,
    idempotency_key: str | None = None,
) -> PhoneCase:
    """Makes a case (source `phone`, whatever `case_input` says) and logs its call, in one
    transaction: a refusal of either writes neither.

    The call is checked first. A refusal of the case's fields names them `case.<field>`
    (e.g. `case.contact_id`); of the call's, as `call_log` does. With an `idempotency_key`,
    a repeat of the same request returns the case and call the first one made
    (created=False); the key reused for another case or call is refused."""
    asked = check_call(call, now)
    data = replace(case_input, source=Source.PHONE)
    with transaction.atomic():
        try:
            case, created = case_create(
                tenant=tenant, actor=actor, data=data, now=now, idempotency_key=idempotency_key
            )
        except Invalid as error:
            field = error.field
            if field and field != IDEMPOTENCY_FIELD:
                field = f"case.{field}"
            raise Invalid(error.detail, field=field) from None
        if not created:
            first = (
                Call.objects.filter(tenant_id=tenant.pk, case=case)
                .select_related("logged_by")
                .order_by("pk")
                .first()
            )
            if first is None or not is_same_call(
                asked, _stored(first), started_given=call.started_at is not None
            ):
                raise Invalid(
                    "This Idempotency-Key was used for a different request; use a "
                    "new key for a new case.",
                    field=IDEMPOTENCY_FIELD,
                )
            return PhoneCase(case=case, call=first, created=False)
        logged = call_log(case=case, actor=actor, data=call, now=now)
    return PhoneCase(case=case, call=logged, created=True)


def merge_calls_moved(tenant_id: int, source_id: int, target_id: int) -> dict[str, list[int]]:
    """A merge moves the duplicate's calls onto the target, with the timeline events that
    tell of them (as its notes move with theirs), in the merge's transaction; returns the ids
    that moved (`cases.hooks.on_case_merge`)."""
    calls = list(
        Call.objects.filter(tenant_id=tenant_id, case_id=source_id).values_list("pk", flat=True)
    )
    events = list(
        TimelineEvent.objects.filter(
            tenant_id=tenant_id, case_id=source_id, kind=EventKind.CALL_LOGGED
        ).values_list("pk", flat=True)
    )
    Call.objects.filter(tenant_id=tenant_id, pk__in=calls).update(case_id=target_id)
    TimelineEvent.objects.filter(tenant_id=tenant_id, pk__in=events).update(case_id=target_id)
    return {"calls": calls, "events": events}


def merge_calls_moved_back(tenant_id: int, source_id: int, moved: dict[str, list[int]]) -> None:
    """An undone merge moves exactly the calls and events `merge_calls_moved` moved back."""
    Call.objects.filter(tenant_id=tenant_id, pk__in=moved.get("calls", [])).update(
        case_id=source_id
    )
    TimelineEvent.objects.filter(tenant_id=tenant_id, pk__in=moved.get("events", [])).update(
        case_id=source_id
    )
