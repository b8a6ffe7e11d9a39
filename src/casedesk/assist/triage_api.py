"""The triage model in the API: a case's suggestions, and for admins the model's training
runs and "train now"."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from casedesk.assist import triage_services
from casedesk.assist.triage_choices import score_rows
from casedesk.cases.access import get_case_for_member
from casedesk.core.schemas import Error
from casedesk.tenancy.api_auth import member, require_admin

router = Router(tags=["assist"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class TriageSuggestionOut(Schema):
    target: str = Field(description="category, subcategory, type, priority or queue")
    value: str = Field(
        description=(
            "The suggested value: a picklist value, a priority's name (low, normal, high, "
            "urgent), or a queue's id"
        )
    )
    label: str = Field(description="How the value reads (a queue's name)")
    confidence: float = Field(description="How sure the model is, 0 to 1")
    current: str = Field(description="The case's value now, in the same form as `value`")
    agrees: bool = Field(description="Whether the case already carries the suggested value")
    category: str = Field(
        "", description="For a subcategory: the category it belongs to (else empty)"
    )


class TriageCaseOut(Schema):
    number: str
    model_version: int | None = Field(
        description=(
            "The triage model that made the suggestions; null when the tenant has no usable "
            "model (too little history, or not trained yet)"
        )
    )
    suggestions: list[TriageSuggestionOut]


class TriageScoreOut(Schema):
    target: str
    accuracy: float = Field(description="Share of held-out cases predicted right, 0 to 1")
    baseline: float = Field(description="Share always guessing the most common value gets")
    classes: int
    usable: bool = Field(description="Whether this target is suggested")


class TriageModelOut(Schema):
    version: int
    trained_at: datetime
    trigger: str = Field(description="schedule, command, web or api")
    trained_on: int
    held_out: int
    usable: bool
    reason: str = Field(description="Why the run made no usable model; empty when usable")
    duration_ms: int
    scores: list[TriageScoreOut]


class TriageModelsOut(Schema):
    current_version: int | None
    training_queued: bool
    models: list[TriageModelOut]


class TriageTrainOut(Schema):
    queued: bool
    already_queued: bool = Field(
        description=("A run was already waiting for the worker; no second one was queued")
    )
    trigger: str


@router.get(
    "/cases/{number}/triage",
    response={200: TriageCaseOut, **ERRORS},
    summary="A case's triage suggestions",
)
def case_triage(request: HttpRequest, number: str) -> Any:
    """What the tenant's triage model suggests for the case's category, subcategory, type,
    priority and queue, with its confidence; an empty list and `model_version: null` when
    the tenant has no usable model."""
    case = get_case_for_member(member(request), number)
    found = triage_services.case_triage(case)
    return 200, {
        "number": case.display_number,
        "model_version": found.model_version,
        "suggestions": [vars(row) for row in found.rows],
    }


@router.get(
    "/assist/models",
    response={200: TriageModelsOut, **ERRORS},
    summary="The triage model's training runs (admins)",
)
def triage_models(request: HttpRequest) -> Any:
    """The tenant's training runs, newest first, with what each learned from and its
    accuracy against the baseline on the held-out cases, per target."""
    tenant = require_admin(request).tenant
    runs = triage_services.model_history(tenant)
    current = next((m.version for m in runs if m.usable), None)
    return 200, {
        "current_version": current,
        "training_queued": triage_services.training_queued(tenant),
        "models": [
            {
                "version": m.version,
                "trained_at": m.trained_at,
                "trigger": m.trigger,
                "trained_on": m.trained_on,
                "held_out": m.held_out,
                "usable": m.usable,
                "reason": m.reason,
                "duration_ms": m.duration_ms,
                "scores": [vars(s) for s in score_rows(m.scores)],
            }
            for m in runs
        ],
    }


@router.post(
    "/assist/models/train",
    response={202: TriageTrainOut, **ERRORS},
    summary="Train the triage model now (admins)",
)
def triage_train(request: HttpRequest) -> Any:
    """Queues a training run for the worker (once: a run already waiting is not doubled)."""
    tenant = require_admin(request).tenant
    asked = triage_services.training_request(tenant=tenant, trigger="api")
    return 202, {
        "queued": asked.queued,
        "already_queued": asked.already_queued,
        "trigger": asked.trigger,
    }
