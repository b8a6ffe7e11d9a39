"""Where the work running now came from: the way in (`web`, `api`, `cli`, `worker`, `mcp`) and,
for a request, the signed-in user. The audit log's writer reads it, so services need not be
told by every caller which way in they were reached.

A context variable holds it per request (set by `tenancy.middleware.TenantMiddleware`, the
user added by the API's token check), so it is right under threads and asyncio alike and is
undone when the request ends. A process's own way in (the `casedesk` command is `cli`, its
worker `worker`) is a process-wide default instead: threads the worker starts do not inherit
context variables, but they do share the process.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace

VIAS = ("web", "api", "cli", "worker", "mcp")


@dataclass(frozen=True)
class Origin:
    """The way in, and the user acting (None: no one signed in, or not known here)."""

    via: str = ""
    user_id: int | None = None
    user_label: str = ""


_origin: ContextVar[Origin | None] = ContextVar("casedesk_origin", default=None)
_process = Origin()


def process_via_set(via: str) -> None:
    """Names the way in for everything this process runs outside a request (`cli` for the
    `casedesk` command, `worker` for the worker)."""
    global _process
    _process = Origin(via=_checked(via))


@contextmanager
def process_via(via: str) -> Iterator[None]:
    """`process_via_set` for the length of a block (a command called from another process's
    code, e.g. the worker run by a test, must not rename that process's way in for good)."""
    global _process
    before = _process
    process_via_set(via)
    try:
        yield
    finally:
        _process = before


def current_origin() -> Origin:
    return _origin.get() or _process


def current_via() -> str:
    return current_origin().via


@contextmanager
def origin(via: str, *, user_id: int | None = None, user_label: str = "") -> Iterator[Origin]:
    """Runs the block as coming in by `via`, with `user_id` acting; undone afterwards, also
    whatever the block set inside it (e.g. the user an API token names)."""
    token = _origin.set(Origin(via=_checked(via), user_id=user_id, user_label=user_label))
    try:
        yield current_origin()
    finally:
        _origin.reset(token)


def origin_user_set(user_id: int | None, user_label: str) -> Token[Origin | None]:
    """Names the acting user for the rest of the current request (the API learns who it is
    only when the token is checked, inside the request's `origin` block, which undoes it)."""
    return _origin.set(replace(current_origin(), user_id=user_id, user_label=user_label))


def _checked(via: str) -> str:
    if via not in VIAS:
        raise ValueError(f"via is one of {', '.join(VIAS)}, not {via!r}")
    return via
