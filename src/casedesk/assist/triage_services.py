"""The triage model at work outside its trainer: a case's suggestions as the page and the API
show them, applying one to the case, the predictions routing rules test, the model history
admins read, and asking the worker to train now.

Applying a suggestion is an ordinary edit of the case (`cases.services.case_update`): it is
checked, written on the timeline and heard by automation as any field change; a queue
suggestion moves the case to that queue keeping its owner, as the case page's queue editor
does.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django_tasks_db.models import DBTaskResult

from casedesk.assist import training
from casedesk.assist.models import TriageModel
from casedesk.assist.tasks import train_tenant
from casedesk.assist.triage_choices import (
    SuggestionRow,
    changes_for,
    current_values,
    suggestion_rows,
)
from casedesk.cases.models import Case
from casedesk.cases.services import case_update
from casedesk.routing.rules import CaseFacts, Prediction
from casedesk.tenancy.models import Tenant, User

log = logging.getLogger(__name__)

HISTORY_SHOWN = 20
TRAIN_TASK = train_tenant.module_path  # how the database task backend names it


@dataclass(frozen=True)
class CaseTriage:
    """A case's suggestions and the model version that made them (None: no usable model)."""

    model_version: int | None
    rows: list[SuggestionRow]


def case_triage(case: Case) -> CaseTriage:
    """The suggestions for the case from the tenant's current usable model, each beside the
    case's value; none (and no version) without a usable model."""
    model = training.current_model(case.tenant)
    if model is None:
        return CaseTriage(None, [])
    suggestions = training.suggest(case.tenant, training.triage_input_for_case(case))
    if not suggestions:
        return CaseTriage(None, [])
    return CaseTriage(model.version, suggestion_rows(current_values(case), suggestions))


def suggestion_apply(
    *, case: Case, actor: User | None, target: str, value: str, now: datetime, category: str = ""
) -> Case:
    """Sets the one field the suggestion is about (a subcategory with the category it belongs
    to), through `case_update`: one transaction, its timeline events; Invalid for a value the
    tenant's picklists or queues refuse."""
    changes = changes_for(target, value, current_category=case.category, category=category)
    return case_update(case=case, actor=actor, changes=changes, now=now)


def routing_predictions(tenant: Tenant, facts: CaseFacts) -> Mapping[str, Prediction]:
    """What routing rules' `predicted.*` fields read for a case about to be routed. A model
    that cannot answer predicts nothing: cases are still made and routed without it."""
    data = training.TriageInput(
        subject=facts.subject,
        description=facts.description,
        source=facts.source,
        account_tier=facts.account.tier if facts.account is not None else "",
        account_segment=facts.account.segment if facts.account is not None else "",
        contact_domain=(
            facts.contact_email.rpartition("@")[2] if "@" in facts.contact_email else ""
        ),
        language=facts.language,
    )
    try:
        suggestions = training.suggest(tenant, data)
    except Exception:  # a broken model must not stop a case being made
        log.exception("triage model of tenant %s failed to predict", tenant.pk)
        return {}
    return {target: (s.value, s.label, float(s.confidence)) for target, s in suggestions.items()}


def model_history(tenant: Tenant, limit: int = HISTORY_SHOWN) -> list[TriageModel]:
    """The tenant's training runs, newest first (without their fitted estimators)."""
    return list(
        TriageModel.objects.filter(tenant=tenant).defer("blob").order_by("-version")[:limit]
    )


def training_queued(tenant: Tenant) -> bool:
    """Whether a training run for the tenant waits for or is being run by a worker (only the
    database task backend keeps that; with another one nothing is seen as queued)."""
    rows = DBTaskResult.objects.filter(
        task_path=TRAIN_TASK, status__in=["READY", "RUNNING"]
    ).values_list("args_kwargs", flat=True)[:100]
    return any(_names_tenant(row, tenant.pk) for row in rows)


def _names_tenant(args_kwargs: object, tenant_id: int) -> bool:
    if not isinstance(args_kwargs, dict):
        return False
    args = args_kwargs.get("args") or []
    kwargs = args_kwargs.get("kwargs") or {}
    return (bool(args) and args[0] == tenant_id) or kwargs.get("tenant_id") == tenant_id


@dataclass(frozen=True)
class TrainingRequest:
    """What "Train now" did: queued a run, or found one already waiting."""

    tenant_id: int
    trigger: str
    queued: bool
    already_queued: bool


def training_request(*, tenant: Tenant, trigger: str) -> TrainingRequest:
    """Queues a training run for the worker, unless one is already waiting for the tenant
    (pressing twice trains once)."""
    if training_queued(tenant):
        return TrainingRequest(tenant.pk, trigger, queued=True, already_queued=True)
    train_tenant.enqueue(tenant.pk, trigger=trigger)
    return TrainingRequest(tenant.pk, trigger, queued=True, already_queued=False)
