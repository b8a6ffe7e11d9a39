"""The transaction of a change of cases, and what runs at its end.

Every case service runs inside `case_change()`: a transaction, and, when it is the outermost
one, the hooks registered with `on_change_done` (automation's rules) run once the change has
written everything, still inside the same transaction. What they change goes through the case
services again (nested `case_change`s, which only join the outer one), so a rule's change is
committed, or rolled back, together with the change that set it off.

The timeline's writer tells `on_timeline_written` hooks of every event it writes; whether
those events are inside a change (`in_case_change`) tells a hook whether the change's end
will come (a single case's change) or not (a set-based sweep writing events on its own).

Batch mode files many changes one after another in one transaction (`case_change_run()`):
each is still the outermost change for its rules, while the `on_change_end` hooks (marks
written once per transaction) run once, at the end of the run.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

_state = threading.local()

ChangeDone = Callable[[], object]
_done_hooks: list[ChangeDone] = []
# (mark, undo): what a hook holds for the change is marked when a change begins, and undone
# to that mark when the change fails (its transaction, or savepoint, is rolled back).
Scope = tuple[Callable[[], object], Callable[[object], object]]
_scopes: list[Scope] = []
_end_hooks: list[ChangeDone] = []


def on_change_done(hook: ChangeDone) -> None:
    if hook not in _done_hooks:
        _done_hooks.append(hook)


def on_change_end(hook: ChangeDone) -> None:
    """`hook()` at the end of the outermost change, after the `on_change_done` hooks (and
    what their rules wrote), before it commits."""
    if hook not in _end_hooks:
        _end_hooks.append(hook)


def on_change_scope(mark: Callable[[], object], undo: Callable[[object], object]) -> None:
    """`mark()` when any change begins; `undo(its mark)` when that change fails, so what a
    rolled-back change told a hook (events it wrote) is forgotten with it."""
    if (mark, undo) not in _scopes:
        _scopes.append((mark, undo))


def in_case_change() -> bool:
    """Whether a change (or a run of them) is under way: what is told at a change's end will
    be told before the transaction commits."""
    return getattr(_state, "depth", 0) > 0 or getattr(_state, "run", False)


def changes_begun() -> int:
    """How many changes this thread has begun, nested ones included: a caller holding cases
    across changes learns whether anything else may have changed them meanwhile."""
    return getattr(_state, "begun", 0)


@contextmanager
def case_change() -> Iterator[None]:
    """A transaction for one change of cases; the outermost runs the `on_change_done` hooks
    after its body, before it commits."""
    depth = getattr(_state, "depth", 0)
    _state.begun = changes_begun() + 1
    marks = [(undo, mark()) for mark, undo in _scopes]
    try:
        with transaction.atomic():
            _state.depth = depth + 1
            try:
                yield
                if depth == 0:
                    for hook in _done_hooks:
                        hook()
                    if not getattr(_state, "run", False):
                        for hook in _end_hooks:
                            hook()
            finally:
                _state.depth = depth
    except BaseException:
        for undo, token in marks:
            undo(token)
        raise


@contextmanager
def case_change_run() -> Iterator[None]:
    """One transaction for many changes of cases made one after another (batch mode's
    replies). Each change inside runs its `on_change_done` hooks (the rules) at its own end,
    as it would alone; the `on_change_end` hooks run once, at the end of the run, still before
    it commits. Inside a change or another run it only joins the transaction."""
    if in_case_change():
        with transaction.atomic():
            yield
        return
    marks = [(undo, mark()) for mark, undo in _scopes]
    try:
        with transaction.atomic():
            _state.run = True
            try:
                yield
                # As at the end of a change (what the hooks change joins it): events written
                # between the changes, if any, still meet the rules, then the marks.
                _state.depth = 1
                for hook in _done_hooks:
                    hook()
                for hook in _end_hooks:
                    hook()
            finally:
                _state.run, _state.depth = False, 0
    except BaseException:
        for undo, token in marks:
            undo(token)
        raise
