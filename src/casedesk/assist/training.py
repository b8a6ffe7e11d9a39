"""Training, versioning and using each tenant's triage model (`assist/triage.py` is the model).

`train` reads the tenant's resolved and closed cases set-based (newest first, up to
`MAX_TRAINING_CASES`), fits and measures a model and stores it as a new `TriageModel`
version. Under `MIN_HISTORY` cases it stores an unusable run with its reason, and the tenant
gets no suggestions rather than bad ones.

Versions: a run claims its version first (a row saying it is under way, numbered one above
the tenant's newest; the unique constraint makes a concurrent claimer take the next number),
trains outside any transaction, then fills the row in. The claim is also what keeps two
workers from training one tenant at once on the schedule (`training_due`). The last
`KEEP_VERSIONS` runs are kept, and always the newest usable one.

`suggest` predicts with the newest usable version. Each process keeps the deserialised model
per tenant and checks which version is newest with one indexed query per call, so a model
trained by any worker is used by every web process from its next request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery

from casedesk.assist.models import TriageModel
from casedesk.assist.triage_types import Example, Suggestion, TriageInput
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, PicklistKind
from casedesk.cases.picklists import Picklists
from casedesk.core.priority import Priority
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant

if TYPE_CHECKING:
    # The model itself (NumPy, SciPy, scikit-learn: about a second to import) is imported
    # where it trains or is read, not by every process that loads the app's API.
    from casedesk.assist.triage import TriageModelData

__all__ = [
    "Suggestion",
    "TriageInput",
    "current_model",
    "suggest",
    "train",
    "training_due",
    "triage_input_for_case",
]

log = logging.getLogger(__name__)

# Under this many resolved cases a model would mostly learn noise: no suggestions.
MIN_HISTORY = 200
# Newest cases first up to this many: enough to learn from, bounded in time and memory
# (100,000 cases train in about 25 s on two cores).
MAX_TRAINING_CASES = 200_000
KEEP_VERSIONS = 5
# The schedule retrains a tenant at most this often, and only when it has news.
RETRAIN_AFTER = timedelta(hours=24)
# Training is heavy (seconds to a minute): a turn trains at most this many tenants, and looks
# at no more than TENANTS_CHECKED candidates, so one turn stays bounded.
TENANTS_PER_TURN = 2
TENANTS_CHECKED = 200
# A run still claimed after this long died with its worker: it no longer blocks a new one.
CLAIM_EXPIRES = timedelta(hours=2)
IN_PROGRESS = "Training…"
UNFINISHED = "Training did not finish (its worker stopped)."
FAILED = "Training failed; see the worker's log."
# Subcategory classes are "category␟subcategory": a subcategory is only ever suggested with
# the category it belongs to.
SEPARATOR = "\x1f"
CACHED_TENANTS = 32


# --- what triage reads of a case ---------------------------------------------------------


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower() if "@" in email else ""


def triage_input_for_case(case: Case) -> TriageInput:
    """What triage reads of an existing case (its account and contact, when it has them)."""
    account = case.account if case.account_id is not None else None
    contact = case.contact if case.contact_id is not None else None
    return TriageInput(
        subject=case.subject,
        description=case.description,
        source=case.source,
        account_tier=account.tier if account is not None else "",
        account_segment=account.segment if account is not None else "",
        contact_domain=_domain(contact.email) if contact is not None else "",
        language=case.language,
    )


def _history(tenant: Tenant, limit: int = MAX_TRAINING_CASES) -> list[Example]:
    """The tenant's resolved and closed cases as examples, oldest first (newest `limit`)."""
    rows = (
        Case.objects.filter(tenant=tenant, status__in=(Status.RESOLVED, Status.CLOSED))
        .order_by("-number")
        .values_list(
            "subject",
            "description",
            "source",
            "account__tier",
            "account__segment",
            "contact__email",
            "language",
            "category",
            "subcategory",
            "type",
            "priority",
            "queue_id",
        )[:limit]
    )
    examples = []
    for (
        subject,
        description,
        source,
        tier,
        segment,
        email,
        language,
        category,
        subcategory,
        type_,
        priority,
        queue_id,
    ) in rows.iterator(chunk_size=5000):
        data = TriageInput(
            subject=subject,
            description=description,
            source=source,
            account_tier=tier or "",
            account_segment=segment or "",
            contact_domain=_domain(email or ""),
            language=language,
        )
        labels = {
            "category": category,
            "subcategory": f"{category}{SEPARATOR}{subcategory}"
            if category and subcategory
            else "",
            "type": type_,
            "priority": str(Priority(priority).label),
            "queue": str(queue_id) if queue_id is not None else "",
        }
        examples.append(Example(data, labels))
    examples.reverse()
    return examples


# --- training and versions ---------------------------------------------------------------


def _claim(tenant: Tenant, *, now: datetime, trigger: str, only_if_due: bool) -> TriageModel | None:
    """A new version row marking a run under way; None when `only_if_due` and the tenant is
    not due (another worker claimed it meanwhile). Retries on a concurrent claim of the same
    number."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                if only_if_due:
                    # The row lock makes "is it due?" and the claim one step for two workers;
                    # SKIP LOCKED: a tenant another worker is deciding about is theirs.
                    locked = Tenant.objects.select_for_update(skip_locked=True).filter(pk=tenant.pk)
                    if locked.values_list("pk", flat=True).first() is None or not _due(tenant, now):
                        return None
                newest = TriageModel.objects.filter(tenant=tenant).aggregate(v=Max("version"))["v"]
                return TriageModel.objects.create(
                    tenant=tenant,
                    version=(newest or 0) + 1,
                    trained_at=now,
                    trigger=trigger,
                    trained_on=0,
                    held_out=0,
                    usable=False,
                    reason=IN_PROGRESS,
                )
        except IntegrityError:
            continue
    raise RuntimeError(f"could not claim a triage model version for tenant {tenant.pk}")


def train(tenant: Tenant, *, now: datetime, trigger: str) -> TriageModel:
    """Trains a new version of the tenant's triage model (see the module docstring)."""
    row = _claim(tenant, now=now, trigger=trigger, only_if_due=False)
    assert row is not None
    return _run(tenant, row)


def _run(tenant: Tenant, row: TriageModel) -> TriageModel:
    from casedesk.assist import triage

    started = time.perf_counter()
    try:
        examples = _history(tenant)
        if len(examples) < MIN_HISTORY:
            row.trained_on, row.held_out = len(examples), 0
            row.reason = (
                f"Too little history: {len(examples)} resolved cases, "
                f"at least {MIN_HISTORY} are needed."
            )
        else:
            model = triage.fit(examples, seed=row.version)
            row.trained_on, row.held_out = model.trained_on, model.held_out
            row.scores = {t: s.as_dict() for t, s in model.scores.items()}
            row.usable = bool(model.classifiers)
            row.reason = "" if row.usable else "No field could be predicted well enough."
            if row.usable:
                row.blob = triage.dumps(model)
    except Exception:
        row.reason = FAILED
        row.duration_ms = int((time.perf_counter() - started) * 1000)
        row.save(update_fields=["reason", "duration_ms"])
        raise
    row.duration_ms = int((time.perf_counter() - started) * 1000)
    row.save(
        update_fields=[
            "trained_on",
            "held_out",
            "scores",
            "usable",
            "reason",
            "blob",
            "duration_ms",
        ]
    )
    _prune(tenant)
    log.info("triage model v%s of tenant %s: usable=%s", row.version, tenant.pk, row.usable)
    return row


def _prune(tenant: Tenant) -> None:
    """Keeps the last KEEP_VERSIONS runs and the newest usable one."""
    rows = TriageModel.objects.filter(tenant=tenant)
    last = list(rows.order_by("-version").values_list("version", flat=True)[:KEEP_VERSIONS])
    usable = rows.filter(usable=True).aggregate(v=Max("version"))["v"]
    # Only below the last runs: a run claimed meanwhile (a higher version) is never touched.
    rows.filter(version__lt=min(last)).exclude(version=usable or 0).delete()


def current_model(tenant: Tenant) -> TriageModel | None:
    """The newest usable version (without its blob), or None."""
    return (
        TriageModel.objects.filter(tenant=tenant, usable=True)
        .defer("blob")
        .order_by("-version")
        .first()
    )


# --- the schedule --------------------------------------------------------------------------


def _due(tenant: Tenant, now: datetime) -> bool:
    """Whether the schedule should train the tenant now: no run is under way (a claim
    younger than CLAIM_EXPIRES), its last run is older than RETRAIN_AFTER, and it has cases
    resolved since its last completed run (or, never having completed one, MIN_HISTORY
    resolved cases)."""
    runs = TriageModel.objects.filter(tenant=tenant).order_by("-version")
    if runs.filter(reason=IN_PROGRESS, trained_at__gt=now - CLAIM_EXPIRES).exists():
        return False
    last = runs.exclude(reason=IN_PROGRESS).values_list("trained_at", flat=True).first()
    if last is not None and last > now - RETRAIN_AFTER:
        return False
    # What the last completed run learned from; a failed or unfinished one is tried again.
    done = (
        runs.exclude(reason__in=(IN_PROGRESS, UNFINISHED, FAILED))
        .values_list("trained_at", flat=True)
        .first()
    )
    resolved = Case.objects.filter(
        tenant=tenant, status__in=(Status.RESOLVED, Status.CLOSED), resolved_at__isnull=False
    )
    if done is None:
        return resolved[:MIN_HISTORY].count() >= MIN_HISTORY
    return resolved.filter(resolved_at__gt=done).exists()


def training_due(now: datetime) -> Iterator[str]:
    """The worker's job: trains the tenants that are due (`_due`), a few per turn, the ones
    longest without a model first. Safe on several workers at once: each tenant is claimed."""
    # Runs whose worker died before finishing say so, and stop counting as under way.
    TriageModel.objects.filter(reason=IN_PROGRESS, trained_at__lte=now - CLAIM_EXPIRES).update(
        reason=UNFINISHED
    )
    newest = (
        TriageModel.objects.filter(tenant=OuterRef("pk"))
        .exclude(reason=IN_PROGRESS)
        .order_by("-version")
    )
    candidates = (
        Tenant.objects.annotate(last=Subquery(newest.values("trained_at")[:1]))
        .filter(Q(last__isnull=True) | Q(last__lte=now - RETRAIN_AFTER))
        .order_by(F("last").asc(nulls_first=True), "pk")[:TENANTS_CHECKED]
    )
    trained = 0
    for tenant in candidates:
        if trained >= TENANTS_PER_TURN:
            break
        if not _due(tenant, now):
            continue
        row = _claim(tenant, now=now, trigger="schedule", only_if_due=True)
        if row is None:
            continue
        trained += 1
        try:
            row = _run(tenant, row)
        except Exception:
            log.exception("training the triage model of tenant %s failed", tenant.pk)
            yield f"Triage model for {tenant.slug}: training failed"
            continue
        state = "usable" if row.usable else f"not usable ({row.reason})"
        yield f"Triage model for {tenant.slug}: v{row.version}, {state}"


# --- predicting ------------------------------------------------------------------------------

_cache: OrderedDict[int, tuple[int, TriageModelData]] = OrderedDict()
_cache_lock = threading.Lock()


def cache_clear() -> None:
    """Forgets every loaded model (as a fresh process would have none)."""
    with _cache_lock:
        _cache.clear()


def _loaded(tenant: Tenant) -> tuple[int, TriageModelData] | None:
    """The newest usable model, deserialised once per process and version."""
    newest = (
        TriageModel.objects.filter(tenant=tenant, usable=True)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if newest is None:
        return None
    with _cache_lock:
        hit = _cache.get(tenant.pk)
        if hit is not None and hit[0] == newest:
            _cache.move_to_end(tenant.pk)
            return hit
    blob = (
        TriageModel.objects.filter(tenant=tenant, version=newest)
        .values_list("blob", flat=True)
        .first()
    )
    if not blob:
        return None
    from casedesk.assist import triage

    try:
        loaded = (newest, triage.loads(bytes(blob)))
    except ValueError:
        # A damaged blob means no suggestions, not a broken case page; the next run replaces it.
        log.exception("triage model v%s of tenant %s is unreadable", newest, tenant.pk)
        return None
    with _cache_lock:
        _cache[tenant.pk] = loaded
        _cache.move_to_end(tenant.pk)
        while len(_cache) > CACHED_TENANTS:
            _cache.popitem(last=False)
    return loaded


def suggest(tenant: Tenant, data: TriageInput) -> dict[str, Suggestion]:
    """The confident predictions of the tenant's current model for a case, by target; {}
    without a usable model. A value the tenant no longer offers (a retired picklist value, an
    inactive or deleted queue) is dropped, and a subcategory unless it belongs to the
    suggested category."""
    loaded = _loaded(tenant)
    if loaded is None or not (data.subject.strip() or data.description.strip()):
        return {}
    predictions = loaded[1].predict(data)
    if not predictions:
        return {}
    picklists = Picklists(
        tenant, kinds=(PicklistKind.CATEGORY, PicklistKind.SUBCATEGORY, PicklistKind.TYPE)
    )
    out: dict[str, Suggestion] = {}
    for target, (value, confidence) in predictions.items():
        found = _offered(tenant, picklists, target, value, predictions)
        if found is not None:
            out[target] = Suggestion(target, found[0], found[1], round(confidence, 4))
    return out


def _offered(
    tenant: Tenant,
    picklists: Picklists,
    target: str,
    value: str,
    predictions: dict[str, tuple[str, float]],
) -> tuple[str, str] | None:
    """(value, label) as offered to the agent, or None when the tenant no longer has it."""
    if target == "category":
        return (value, value) if value in picklists.values[PicklistKind.CATEGORY][""] else None
    if target == "type":
        return (value, value) if value in picklists.values[PicklistKind.TYPE][""] else None
    if target == "subcategory":
        category, _, sub = value.partition(SEPARATOR)
        suggested = predictions.get("category", ("", 0.0))[0]
        if category != suggested or category not in picklists.values[PicklistKind.CATEGORY][""]:
            return None
        return (sub, sub) if sub in picklists.values[PicklistKind.SUBCATEGORY][category] else None
    if target == "priority":
        try:
            rung = Priority.from_name(value)
        except (KeyError, ValueError):
            return None
        return (str(rung.label), str(rung.label).capitalize())
    if target == "queue":
        name = (
            Queue.objects.filter(tenant=tenant, pk=int(value), is_active=True)
            .values_list("name", flat=True)
            .first()
        )
        return (value, name) if name is not None else None
    return None
