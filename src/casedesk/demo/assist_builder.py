"""The demo's assist: its cases indexed for "similar cases" and a first triage model, so the
case page of a fresh `make run` shows both (the worker would, within the quarter hour)."""

from dataclasses import dataclass
from datetime import datetime

from casedesk.assist.models import TriageModel
from casedesk.assist.similar import similar_catch_up
from casedesk.assist.training import train
from casedesk.tenancy.models import Tenant


@dataclass(frozen=True)
class DemoAssist:
    indexed: int
    model_version: int | None  # the model trained now; None when the tenant had one already
    usable: bool


def demo_assist_ensure(tenant: Tenant, *, now: datetime) -> DemoAssist:
    """Idempotent: indexes only cases the index lacks, trains only a tenant that never was
    (a rerun of `casedesk demo` leaves retraining to the worker's schedule)."""
    indexed = similar_catch_up(tenant, now)
    if TriageModel.objects.filter(tenant=tenant).exists():
        return DemoAssist(indexed=indexed, model_version=None, usable=False)
    model = train(tenant, now=now, trigger="command")
    return DemoAssist(indexed=indexed, model_version=model.version, usable=model.usable)
