"""Where the apps above cases hook into what cases do. A higher app registers its functions
in its `AppConfig.ready()`; cases call them, and so never import the app (DESIGN.md, floors).

- `on_public_reply`: an agent's public reply was written; the hook runs inside the same
  transaction (mail queues the reply's mail in the outbox here).
- `on_reply_carrier`: a channel that carries an agent's public reply itself (a live chat,
  a Slack thread) instead of mail: asked in turn, the first that takes it ends the asking,
  and then the `on_public_reply` hooks (mail) are not called.
- `on_reply_mail_read`: what became of the mail of some replies, as the API shows it
  (`{"status": ..., ...}` by note id).
- `on_csat_read`: the customer's satisfaction answer on a case, as `GET /cases/{number}`
  shows it (`{"rating", "comment", "answered_at"}`, or None), filled by csat.
- `on_csat_filter`: the cases whose satisfaction answer is `good`, `bad` or any (`rated`),
  as a condition on cases for the case list, filled by csat.
- `on_timeline_written`: events were written to the timeline (the automation event log), in
  the writer's transaction; automation takes them in for its rules and webhooks.
- `on_cases_touched`: some cases changed, in the changing transaction: every timeline write,
  and the set-based changes that write no event (clocks recomputed, a picklist value
  renamed); reports mark their facts for refreshing.
- `on_acknowledgement_wanted`: whether a new case's customer is to be acknowledged (the
  tenant's acknowledgement rule decides, filled by automation); channels that acknowledge
  in their own transaction (mail, threaded on the customer's message) ask it.
"""

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q

from casedesk.cases.changes import in_case_change, on_change_end, on_change_scope
from casedesk.cases.models import Case, Note, TimelineEvent

PublicReplyHook = Callable[[Case, Note, datetime], object]
# (case, note, now) → True when the channel took the reply to the customer.
ReplyCarrier = Callable[[Case, Note, datetime], bool]
ReplyMailReader = Callable[[Case, list[int]], dict[int, dict[str, Any]]]
CsatReader = Callable[[Case], dict[str, Any] | None]
# (tenant id, answer, answered since, answered until) → a condition on cases.
CsatFilter = Callable[[int, str, datetime | None, datetime | None], Q]
TimelineHook = Callable[[list[TimelineEvent]], object]
AckDecider = Callable[[Case], bool]
TouchedHook = Callable[[int, list[int]], object]
# (tenant id, merged case id, target case id) → the ids of the rows moved, by kind.
MergeMover = Callable[[int, int, int], dict[str, list[int]]]
# (tenant id, case id the rows go back to, the ids a mover returned).
MergeRestorer = Callable[[int, int, dict[str, list[int]]], object]

_public_reply_hooks: list[PublicReplyHook] = []
_reply_carriers: list[ReplyCarrier] = []
_reply_mail_readers: list[ReplyMailReader] = []
_csat_readers: list[CsatReader] = []
_csat_filters: list[CsatFilter] = []
_timeline_hooks: list[TimelineHook] = []
_ack_deciders: list[AckDecider] = []
_touched_hooks: list[TouchedHook] = []
_merge_hooks: list[tuple[str, MergeMover, MergeRestorer]] = []
_local = threading.local()
CSAT_FILTERS = ("good", "bad", "rated")


def on_public_reply(hook: PublicReplyHook) -> None:
    if hook not in _public_reply_hooks:
        _public_reply_hooks.append(hook)


def on_reply_carrier(carrier: ReplyCarrier) -> None:
    if carrier not in _reply_carriers:
        _reply_carriers.append(carrier)


def on_reply_mail_read(reader: ReplyMailReader) -> None:
    if reader not in _reply_mail_readers:
        _reply_mail_readers.append(reader)


def on_csat_read(reader: CsatReader) -> None:
    if reader not in _csat_readers:
        _csat_readers.append(reader)


def on_csat_filter(condition: CsatFilter) -> None:
    if condition not in _csat_filters:
        _csat_filters.append(condition)


def on_timeline_written(hook: TimelineHook) -> None:
    if hook not in _timeline_hooks:
        _timeline_hooks.append(hook)


def on_acknowledgement_wanted(decider: AckDecider) -> None:
    if decider not in _ack_deciders:
        _ack_deciders.append(decider)


def on_cases_touched(hook: TouchedHook) -> None:
    if hook not in _touched_hooks:
        _touched_hooks.append(hook)


def on_case_merge(name: str, mover: MergeMover, restorer: MergeRestorer) -> None:
    """`name` keys what the mover returned in the merge's record (`CaseMerge.moved`)."""
    if all(known != name for known, _, _ in _merge_hooks):
        _merge_hooks.append((name, mover, restorer))


def merge_moved(tenant_id: int, source_id: int, target_id: int
                ) -> dict[str, dict[str, list[int]]]:
    """Has each app move its rows of the merged case onto the target; what moved, by app."""
    return {name: move(tenant_id, source_id, target_id) for name, move, _ in _merge_hooks}


def merge_moved_back(tenant_id: int, source_id: int,
                     moved: dict[str, dict[str, list[int]]]) -> None:
    """Has each app move back onto the merged case exactly the rows it moved."""
    for name, _, restore in _merge_hooks:
        if name in moved:
            restore(tenant_id, source_id, moved[name])


def timeline_written(events: list[TimelineEvent]) -> None:
    for hook in _timeline_hooks:
        hook(events)
    by_tenant: dict[int, set[int]] = {}
    for e in events:
        by_tenant.setdefault(e.tenant_id, set()).add(e.case_id)
    for tenant_id, case_ids in by_tenant.items():
        cases_touched(tenant_id, sorted(case_ids))


def cases_touched(tenant_id: int, case_ids: list[int]) -> None:
    """Tells the apps that keep something per case (reports' facts) that these cases of the
    tenant changed, in the changing transaction. Inside a change they are told once, at its
    end: a new case, its routing and its rules' doings are one mark, not three."""
    if not case_ids:
        return
    if in_case_change():
        _touched_pending().setdefault(tenant_id, set()).update(case_ids)
        return
    for hook in _touched_hooks:
        hook(tenant_id, case_ids)


def _touched_pending() -> dict[int, set[int]]:
    pending: dict[int, set[int]] | None = getattr(_local, "touched", None)
    if pending is None:
        pending = _local.touched = {}
    return pending


def _touched_flush() -> None:
    pending = _touched_pending()
    while pending:
        tenant_id, case_ids = pending.popitem()
        for hook in _touched_hooks:
            hook(tenant_id, sorted(case_ids))


def _touched_mark() -> bool:
    return in_case_change()


def _touched_undo(nested: object) -> None:
    # A nested change rolled back to its savepoint leaves its marks: a case marked for
    # nothing is only looked at again. The outermost one's failure forgets them all.
    if not nested:
        _touched_pending().clear()


on_change_end(_touched_flush)
on_change_scope(_touched_mark, _touched_undo)


def acknowledgement_wanted(case: Case) -> bool:
    """Whether the new case's customer is to be acknowledged; yes while no app decides."""
    return all(decide(case) for decide in _ack_deciders)


def csat_condition(tenant_id: int, answer: str, *, since: datetime | None = None,
                   until: datetime | None = None) -> Q:
    """The condition on the tenant's cases for a satisfaction filter (`CSAT_FILTERS`),
    answered in [since, until) when given; matching nothing while no app answers it."""
    if not _csat_filters:
        return Q(pk__in=[])
    condition = Q()
    for make in _csat_filters:
        condition &= make(tenant_id, answer, since, until)
    return condition


def public_reply_made(case: Case, note: Note, now: datetime) -> None:
    for carrier in _reply_carriers:
        if carrier(case, note, now):
            return
    for hook in _public_reply_hooks:
        hook(case, note, now)


def reply_mail(case: Case, note_ids: list[int]) -> dict[int, dict[str, Any]]:
    """By note id, what became of each reply's mail (no entry: mailed to nobody)."""
    found: dict[int, dict[str, Any]] = {}
    if note_ids:
        for reader in _reply_mail_readers:
            found.update(reader(case, note_ids))
    return found


def case_csat(case: Case) -> dict[str, Any] | None:
    """The customer's satisfaction answer on the case; None when none was given."""
    for reader in _csat_readers:
        found = reader(case)
        if found is not None:
            return found
    return None
