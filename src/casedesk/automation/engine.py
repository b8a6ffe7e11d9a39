"""The rule engine: what happens to cases sets rules off, and webhooks hear of it.

The timeline is the automation event log. Its writer tells this module of every event
(`timeline_seen`), in the transaction of the change:

- inside a change of one case (`cases.changes.case_change`), the events wait in this thread's
  buffer until the change has written everything; then (`change_done`, still in the same
  transaction) each event is matched against the tenant's enabled rules, and the webhooks
  subscribed to it are queued. What a rule does goes through the case services again; the
  events that writes are buffered too, tagged with the chain of rules that led to them, and
  taken in the next round. A rule never runs on the events of its own chain (its own change
  does not set it off again), and a chain stops after `MAX_DEPTH` rounds with a note on the
  timeline;
- outside one (a set-based sweep marking many cases breached), the events are queued as
  `AutomationEvent` rows that the worker takes in (`events_process`), one case at a time.

Time rules are swept by the worker (`automation.timed`) into `AutomationEvent` rows too.
Every rule run writes a `RuleRun` (the rule's run log) and an `automation` timeline event
(which rule, what it did). A rule whose action fails is rolled back alone (a savepoint) and
logged as failed; the change that set it off stands.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q

from casedesk.automation import perform
from casedesk.automation.models import (
    AutomationEvent,
    AutomationRule,
    RuleRun,
    RunOutcome,
    WebhookEndpoint,
)
from casedesk.automation.rules import (
    Occurrence,
    Rule,
    compiled_conditions,
    matches,
    rule_of,
)
from casedesk.automation.webhooks import webhook_event_queue
from casedesk.cases.changes import case_change, in_case_change
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.timeline import event, timeline_write
from casedesk.core.errors import DomainError
from casedesk.core.rows import insert
from casedesk.routing.rules import CompiledRule
from casedesk.routing.services import facts_of_case
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.versioned import TenantCache

log = logging.getLogger(__name__)

MAX_DEPTH = 5
CLAIM_FOR = timedelta(minutes=5)
MAX_ATTEMPTS = 5

# Timeline kinds the rules and webhooks hear of; the rest (routing, claims, the engine's own
# `automation` events) are not events anyone subscribes to.
_WEBHOOK_EVENTS: dict[str, str] = {
    EventKind.CREATED: "case.created",
    EventKind.FIELD_CHANGED: "case.updated",
    EventKind.OWNER_CHANGED: "case.updated",
    EventKind.STATUS_CHANGED: "case.status_changed",
    EventKind.NOTE_ADDED: "case.note_added",
    EventKind.REPLY_ADDED: "case.note_added",
    EventKind.SLA_WARNED: "case.sla_warning",
    EventKind.SLA_BREACHED: "case.sla_breached",
    EventKind.CSAT_ANSWERED: "csat.received",
}


# --- what the tenant listens for (cached per process, by the tenant's automation_version) -----

@dataclass(frozen=True)
class Listening:
    rules: tuple[tuple[Rule, CompiledRule], ...]
    webhook_events: frozenset[str]
    time_rules: dict[int, tuple[Rule, CompiledRule]]

    def rules_for(self, trigger: str) -> list[tuple[Rule, CompiledRule]]:
        return [pair for pair in self.rules if pair[0].trigger == trigger]


_listening: TenantCache[Listening] = TenantCache("automation_version")


def listening(tenant: Tenant) -> Listening:
    """The tenant's enabled rules and webhook subscriptions (this process's copy while
    current: tenancy/versioned.py)."""
    return _listening.get(tenant, lambda: _listening_to(tenant))


def _listening_to(tenant: Tenant) -> Listening:
    rules = []
    time_rules: dict[int, tuple[Rule, CompiledRule]] = {}
    for row in AutomationRule.objects.filter(tenant=tenant, is_enabled=True).order_by(
            "position", "id"):
        try:
            rule = rule_of(row)
        except DomainError:
            log.warning("Automation rule %s no longer reads; skipped", row.pk)
            continue
        if rule.trigger == "time":
            time_rules[row.pk] = (rule, compiled_conditions(rule))
            continue
        rules.append((rule, compiled_conditions(rule)))
    events: set[str] = set()
    for subscribed in WebhookEndpoint.objects.filter(tenant=tenant, is_enabled=True
                                                     ).values_list("events", flat=True):
        events.update(e for e in subscribed or () if isinstance(e, str))
    return Listening(tuple(rules), frozenset(events), time_rules)


# --- events as triggers see them ---------------------------------------------------------------

def _bare(name: str) -> str:
    return name[:-3] if name.endswith("_id") else name


def occurrence_of(e: TimelineEvent) -> Occurrence | None:
    """The timeline event as a trigger sees it; None for events no trigger listens to."""
    kind = e.kind
    if kind == EventKind.CREATED:
        return Occurrence("case_created")
    if kind == EventKind.FIELD_CHANGED:
        return Occurrence("field_changed", field=_bare(e.field), old=e.old_value,
                          new=e.new_value)
    if kind == EventKind.OWNER_CHANGED:
        old = e.old_value if isinstance(e.old_value, dict) else {}
        new = e.new_value if isinstance(e.new_value, dict) else {}
        return Occurrence("field_changed", field="owner", old=old.get("owner_id"),
                          new=new.get("owner_id"))
    if kind == EventKind.STATUS_CHANGED:
        return Occurrence("status_changed", old=e.old_value, new=e.new_value)
    if kind == EventKind.CUSTOMER_REPLIED:
        return Occurrence("note_added", is_public=True, by_customer=True)
    if kind in (EventKind.NOTE_ADDED, EventKind.REPLY_ADDED):
        return Occurrence("note_added", is_public=kind == EventKind.REPLY_ADDED,
                          by_customer=e.actor_id is None and kind == EventKind.REPLY_ADDED)
    if kind in (EventKind.SLA_WARNED, EventKind.SLA_BREACHED):
        value = e.new_value if isinstance(e.new_value, dict) else {}
        targets = tuple(str(t) for t in value.get("targets") or ())
        return Occurrence("sla_warning" if kind == EventKind.SLA_WARNED else "sla_breach",
                          targets=targets)
    if kind == EventKind.CSAT_ANSWERED and e.field != "csat_comment":
        rating = e.new_value if isinstance(e.new_value, int) else None
        if isinstance(e.new_value, dict):
            raw = e.new_value.get("rating")
            rating = raw if isinstance(raw, int) else None
        return Occurrence("csat_received", rating=rating)
    return None


def _webhook_event(e: TimelineEvent) -> str | None:
    if e.kind == EventKind.CUSTOMER_REPLIED or (
            e.kind == EventKind.REPLY_ADDED and e.actor_id is None):
        return "case.customer_replied"
    return _WEBHOOK_EVENTS.get(e.kind)


def _webhook_data(e: TimelineEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": e.kind}
    if e.field:
        data["field"] = e.field
    if e.old_value is not None:
        data["old"] = e.old_value
    if e.new_value is not None:
        data["new"] = e.new_value
    if e.note_id is not None and e.note is not None:
        data["note"] = {"id": e.note_id, "public": e.note.is_public,
                        "body": e.note.body[:5000]}
    return data


# --- the buffer of one thread's change ----------------------------------------------------------

@dataclass
class _Pending:
    event: TimelineEvent
    depth: int
    chain: tuple[int, ...]


@dataclass
class _Buffer:
    items: list[_Pending] = field(default_factory=list)
    depth: int = 0
    chain: tuple[int, ...] = ()


_local = threading.local()


def _buffer() -> _Buffer:
    buffer = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = _Buffer()
    return buffer


@contextmanager
def _running(depth: int, chain: tuple[int, ...]) -> Iterator[None]:
    """What the rule being run writes is tagged with its chain."""
    buffer = _buffer()
    saved = buffer.depth, buffer.chain
    buffer.depth, buffer.chain = depth, chain
    try:
        yield
    finally:
        buffer.depth, buffer.chain = saved


def buffer_mark() -> int:
    """Where the buffer stands as a change begins (`cases.changes.on_change_scope`)."""
    return len(_buffer().items)


def buffer_undo(mark: object) -> None:
    """Forgets the events a failed change buffered: they were rolled back with it."""
    assert isinstance(mark, int)
    del _buffer().items[mark:]


def timeline_seen(events: list[TimelineEvent]) -> None:
    """The timeline writer's hook (`cases.hooks.on_timeline_written`)."""
    wanted = [e for e in events if e.kind != EventKind.AUTOMATION]
    if not wanted:
        return
    buffer = _buffer()
    if in_case_change():
        buffer.items.extend(_Pending(e, buffer.depth, buffer.chain) for e in wanted)
        return
    _defer(wanted, buffer)


def _defer(events: list[TimelineEvent], buffer: _Buffer) -> None:
    """Events written outside a change of one case (a sweep): webhooks are queued now, the
    rules' part is left to the worker as rows."""
    tenants = {t.pk: t for t in Tenant.objects.filter(pk__in={e.tenant_id for e in events})}
    rows = []
    cases: dict[int, Case] = {}
    for e in events:
        tenant = tenants.get(e.tenant_id)
        if tenant is None:
            continue
        heard = listening(tenant)
        what = occurrence_of(e)
        name = _webhook_event(e)
        if name is not None and name in heard.webhook_events:
            case = cases.get(e.case_id)
            if case is None:
                case = cases[e.case_id] = Case.objects.select_related(
                    "tenant", "contact", "owner", "queue").get(pk=e.case_id)
            webhook_event_queue(case=case, event=name, data=_webhook_data(e), now=e.created_at)
        if what is not None and heard.rules_for(what.trigger):
            rows.append(AutomationEvent(
                tenant_id=e.tenant_id, case_id=e.case_id, kind=e.kind,
                payload={"event_id": e.pk}, depth=buffer.depth, chain=list(buffer.chain),
                created_at=e.created_at))
    if rows:
        AutomationEvent.objects.bulk_create(rows, batch_size=2000)


def change_done() -> None:
    """The end of the outermost change (`cases.changes.on_change_done`): the buffered events,
    round after round, until no rule writes anything more."""
    buffer = _buffer()
    stopped: set[int] = set()
    # A case this change created is, until a rule runs, exactly the object the change holds:
    # the rules take it as it is instead of reading it again (a join of five tables).
    fresh = {p.event.case_id for p in buffer.items if p.event.kind == EventKind.CREATED}
    while buffer.items:
        items, buffer.items = buffer.items, []
        for pending in items:
            e = pending.event
            if _process(e, pending.depth, pending.chain, stopped, fresh=e.case_id in fresh):
                fresh.clear()


def _load(case_id: int, tenant_id: int) -> Case:
    """The case as it stands now, with what rules, templates and payloads read of it."""
    return (Case.objects.select_related("tenant", "account", "contact", "owner", "queue")
            .get(pk=case_id, tenant_id=tenant_id))


def _tenant_of(e: TimelineEvent) -> Tenant:
    held = e._state.fields_cache.get("case")
    if isinstance(held, Case) and "tenant" in held._state.fields_cache:
        return held.tenant
    return Tenant.objects.get(pk=e.tenant_id)


def _held(e: TimelineEvent) -> Case:
    """The case as the change that wrote the event held it (no second read), else read."""
    held = e._state.fields_cache.get("case")
    if isinstance(held, Case) and held.pk == e.case_id:
        return held
    return _load(e.case_id, e.tenant_id)


def _process(e: TimelineEvent, depth: int, chain: tuple[int, ...], stopped: set[int], *,
             fresh: bool = False) -> bool:
    """Runs the rules and webhooks `e` sets off; whether a rule ran (and may have changed the
    case). `fresh`: the case `e` holds is as it stands in the database."""
    heard = listening(_tenant_of(e))
    what = occurrence_of(e)
    name = _webhook_event(e)
    candidates = heard.rules_for(what.trigger) if what is not None else []
    webhook = name is not None and name in heard.webhook_events
    if not candidates and not webhook:
        return False
    chosen = (chosen_rules(_held(e), what, candidates, chain)
              if what is not None and candidates else [])
    if not chosen and not webhook:
        return False
    # A fault of the engine's own (not a refused action: `run_rule` logs those) must not undo
    # the change that set it off: it is rolled back alone and logged.
    mark = buffer_mark()
    try:
        with transaction.atomic():
            # A copy: what a rule does (or half-does, then rolls back) stays off the object
            # the change's caller answers with.
            case = copy.copy(_held(e)) if fresh else _load(e.case_id, e.tenant_id)
            if webhook and name is not None:
                webhook_event_queue(case=case, event=name, data=_webhook_data(e),
                                    now=e.created_at)
            if what is not None and chosen:
                run_chosen(case, what, chosen, now=e.created_at, depth=depth, chain=chain,
                           stopped=stopped)
    except Exception:
        buffer_undo(mark)
        log.exception("Automation failed on %s of case %s", e.kind, e.case_id)
    return bool(chosen)


def chosen_rules(case: Case, what: Occurrence, candidates: list[tuple[Rule, CompiledRule]],
                 chain: tuple[int, ...]) -> list[Rule]:
    """The candidate rules, in order, that `what` sets off and whose conditions hold for the
    case as it was when it happened (one rule's change is a new event for the others, not a
    second look at this one). A rule of the chain that led here is left out: its own change
    never sets it off again."""
    facts = facts_of_case(case)
    return [rule for rule, compiled in candidates
            if rule.id not in chain and matches(rule, compiled, what, facts)
            and not perform.nothing_to_do(rule, case)]


def run_chosen(case: Case, what: Occurrence, chosen: list[Rule], *, now: datetime, depth: int,
               chain: tuple[int, ...], stopped: set[int]) -> int:
    """Runs the chosen rules in order; returns how many did something."""
    ran = 0
    for index, rule in enumerate(chosen):
        assert rule.id is not None
        if depth >= MAX_DEPTH:
            _stop_chain(case, rule, what, now, stopped)
            continue
        if index:  # the rule before changed it
            case = _load(case.pk, case.tenant_id)
        if run_rule(case, rule, what.trigger, now=now, depth=depth, chain=chain):
            ran += 1
    return ran


def run_rules(case: Case, what: Occurrence, candidates: list[tuple[Rule, CompiledRule]], *,
              now: datetime, depth: int, chain: tuple[int, ...], stopped: set[int]) -> int:
    """`chosen_rules`, then `run_chosen`; returns how many rules did something."""
    return run_chosen(case, what, chosen_rules(case, what, candidates, chain), now=now,
                      depth=depth, chain=chain, stopped=stopped)


def run_rule(case: Case, rule: Rule, trigger: str, *, now: datetime, depth: int,
             chain: tuple[int, ...]) -> RuleRun | None:
    """Does what the rule says to the case, in a savepoint: all of it, or (a refused move, a
    missing target) none of it and a failed run in the log."""
    assert rule.id is not None
    done: list[str] = []
    mark = buffer_mark()
    try:
        with transaction.atomic(), _running(depth + 1, (*chain, rule.id)):
            for index, action in enumerate(rule.actions):
                # Each action sees what the ones before it did.
                current = _load(case.pk, case.tenant_id) if index else case
                line = perform.perform(action, case=current, rule=rule, now=now)
                if line:
                    done.append(line)
    except DomainError as refused:
        buffer_undo(mark)
        return _log_run(case, rule, trigger, now, RunOutcome.FAILED, done=[],
                        error=refused.detail)
    if not done:
        # Every action found nothing to do (the tags were there, mail acknowledged the case
        # itself): no run to show.
        return None
    return _log_run(case, rule, trigger, now, RunOutcome.DONE, done=done)


def _log_run(case: Case, rule: Rule, trigger: str, now: datetime, outcome: str, *,
             done: list[str], error: str = "") -> RuleRun:
    summary = "; ".join(done)
    assert rule.id is not None
    run = RuleRun(tenant_id=case.tenant_id, rule_id=rule.id, case=case, trigger=trigger,
                  outcome=outcome, summary=summary[:4000], error=error[:2000], created_at=now)
    insert([run], connection)
    if outcome == RunOutcome.DONE:
        message = f"Rule “{rule.name}”: {summary}."
    else:
        message = f"Rule “{rule.name}” failed: {error}"
    timeline_write([event(case, None, EventKind.AUTOMATION, now,
                          new_value={"rule_id": rule.id, "rule": rule.name,
                                     "outcome": outcome},
                          message=message[:4000])])
    return run


def _stop_chain(case: Case, rule: Rule, what: Occurrence, now: datetime,
                stopped: set[int]) -> None:
    """A chain of rules `MAX_DEPTH` deep: the rule is not run, and the case's timeline says
    why (once per change)."""
    assert rule.id is not None
    RuleRun.objects.create(tenant_id=case.tenant_id, rule_id=rule.id, case=case,
                           trigger=what.trigger, outcome=RunOutcome.STOPPED,
                           error=f"A chain of {MAX_DEPTH} rules set each other off; stopped.",
                           created_at=now)
    if case.pk in stopped:
        return
    stopped.add(case.pk)
    timeline_write([event(case, None, EventKind.AUTOMATION, now,
                          new_value={"rule_id": rule.id, "rule": rule.name,
                                     "outcome": RunOutcome.STOPPED},
                          message=f"Automation stopped: rules set each other off {MAX_DEPTH} "
                                  f"times in a row; “{rule.name}” did not run.")])


# --- the acknowledgement, asked by mail ---------------------------------------------------------

def acknowledgement_wanted(case: Case) -> bool:
    """Whether an enabled rule acknowledges this new case (`cases.hooks`): mail asks, to send
    the acknowledgement threaded on the customer's message in its own transaction."""
    facts = None
    for rule, compiled in listening(case.tenant).rules_for("case_created"):
        if not any(a.kind == "acknowledge" for a in rule.actions):
            continue
        facts = facts or facts_of_case(case)
        if compiled.predicate(facts):
            return True
    return False


# --- the worker's part ---------------------------------------------------------------------------

def _claim(now: datetime, limit: int) -> list[int]:
    """Pending events no other worker holds, claimed for `CLAIM_FOR`."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    with transaction.atomic():
        pending = AutomationEvent.objects.filter(free, processed_at__isnull=True).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        ids = list(pending.values_list("pk", flat=True)[:limit])
        if ids:
            AutomationEvent.objects.filter(pk__in=ids).update(claimed_until=now + CLAIM_FOR)
    return ids


def events_process(now: datetime, *, limit: int = 500) -> int:
    """Takes in the events waiting for the rules (a sweep's, and time rules falling due), one
    case at a time; returns how many rules ran."""
    ran = 0
    for event_id in _claim(now, limit):
        try:
            ran += _process_row(event_id, now)
        except Exception:
            log.exception("Automation event %s failed; it is tried again later", event_id)
            AutomationEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1)
    return ran


def _process_row(event_id: int, now: datetime) -> int:
    with case_change():
        row = (AutomationEvent.objects.select_for_update().filter(pk=event_id,
                                                                  processed_at__isnull=True)
               .first())
        if row is None:
            return 0
        row.processed_at = now
        row.save(update_fields=["processed_at"])
        if row.attempts >= MAX_ATTEMPTS:
            return 0
        case = _load(row.case_id, row.tenant_id)
        heard = listening(case.tenant)
        if row.rule_id is not None:
            return time_occurrence(row, case, now)
        source = TimelineEvent.objects.filter(pk=row.payload.get("event_id")).first()
        if source is None:
            return 0
        what = occurrence_of(source)
        if what is None:
            return 0
        with _running(row.depth, tuple(row.chain or ())):
            return run_rules(case, what, heard.rules_for(what.trigger),
                             now=source.created_at, depth=row.depth,
                             chain=tuple(row.chain or ()), stopped=set())


def time_occurrence(row: AutomationEvent, case: Case, now: datetime) -> int:
    """Runs a time rule whose event was taken in, if the rule is still on, the case's anchor
    time is still the one it fell due for, and the conditions still hold."""
    assert row.rule_id is not None
    pair = listening(case.tenant).time_rules.get(row.rule_id)
    if pair is None:  # switched off or deleted since
        return 0
    rule, compiled = pair
    if getattr(case, rule.anchor_column) != row.occurrence:
        return 0
    with _running(row.depth, tuple(row.chain or ())):
        return run_rules(case, Occurrence("time"), [(rule, compiled)], now=now,
                         depth=row.depth, chain=tuple(row.chain or ()), stopped=set())
