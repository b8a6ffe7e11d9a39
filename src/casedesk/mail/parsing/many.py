"""Parsing many messages at once, in this process or in a second one.

Parsing is pure and about a third of a mail batch's CPU, so a large batch has a second
process (`spawn`ed: it imports this package only, never Django, and holds no database
connection) parse half of its messages while this one parses the other half; on a machine
with two cores or more that half costs no wall time. The helper process is started on the
first large batch and kept for the next ones.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from casedesk.mail.parsing.message import ParsedMessage, parse_message

# A batch smaller than this is parsed here: starting the helper and sending the messages
# over costs more than parsing them.
PARALLEL_FROM = 200

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def parse_each(raws: list[bytes]) -> list[ParsedMessage | None]:
    """Each message parsed, None for one that cannot be (the caller reads it its own way)."""
    parsed: list[ParsedMessage | None] = []
    for raw in raws:
        try:
            parsed.append(parse_message(raw))
        except Exception:  # noqa: BLE001 - the caller quarantines it with the reason
            parsed.append(None)
    return parsed


def _helper() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1,
                                        mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _forget_helper() -> None:
    global _pool
    with _pool_lock:
        broken, _pool = _pool, None
    if broken is not None:
        broken.shutdown(wait=False, cancel_futures=True)


def parse_many(raws: list[bytes]) -> list[ParsedMessage | None]:
    """`parse_each`, with the second half parsed by the helper process when the batch is
    large and the machine has a second core; if the helper fails, that half is parsed here."""
    if len(raws) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return parse_each(raws)
    half = len(raws) // 2
    try:
        theirs: Future[list[ParsedMessage | None]] | None = _helper().submit(
            parse_each, raws[half:])
    except (BrokenProcessPool, OSError, RuntimeError):
        _forget_helper()
        theirs = None
    mine = parse_each(raws[:half])
    if theirs is not None:
        try:
            return mine + theirs.result()
        except (BrokenProcessPool, OSError, RuntimeError, EOFError):
            _forget_helper()
    return mine + parse_each(raws[half:])
