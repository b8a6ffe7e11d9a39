"""The audit log's API: `GET /api/v1/audit`, the tenant's changes of configuration and access,
exports and erasures, newest first (admins only)."""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params.functions import Query

from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID, Error
from casedesk.core.text import text_problem
from casedesk.tenancy.api_auth import require_admin
from casedesk.tenancy.audit_selectors import MAX_PAGE, SYSTEM, AuditFilters, audit_page
from casedesk.tenancy.models import AuditEntry

router = Router(tags=["audit"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class AuditChangeOut(Schema):
    field: str
    old: Any = Field(None, description="The value before (null: there was none; "
                                       "`(secret)`: a secret, never shown).")
    new: Any = Field(None, description="The value after (null: there is none).")


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor_id: int | None = Field(None, description="The user who made the change; null for "
                                                   "the system or a person since removed.")
    actor: str = Field(description="Who, as recorded then: an email address or `system`.")
    via: str = Field(description="The way in: `web`, `api`, `cli`, `worker` or `mcp`; empty "
                                 "when unknown.")
    action: str = Field(description="`<thing>.<verb>`, e.g. `routing_rule.updated`.")
    target_type: str
    target_id: str
    target_label: str
    changes: list[AuditChangeOut]
    detail: dict[str, Any]


class AuditPageOut(Schema):
    items: list[AuditEntryOut]
    next_cursor: str | None = Field(description="Pass it back as `cursor` for the next page; "
                                                "null on the last.")


def entry_out(entry: AuditEntry) -> dict[str, Any]:
    changes = [{"field": name, "old": pair[0], "new": pair[1]}
               if isinstance(pair, list) and len(pair) == 2
               else {"field": name, "old": None, "new": pair}
               for name, pair in (entry.changes or {}).items()]
    return {"id": entry.pk, "at": entry.at, "actor_id": entry.actor_id,
            "actor": entry.actor_label, "via": entry.via, "action": entry.action,
            "target_type": entry.target_type, "target_id": entry.target_id,
            "target_label": entry.target_label, "changes": changes,
            "detail": entry.detail or {}}


def _moment(name: str, moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise Invalid(f"{name} needs a time zone offset (e.g. Z or +01:00).", field=name)
    try:
        return moment.astimezone(UTC)  # the database compares in UTC
    except OverflowError:
        raise Invalid(f"{name} is out of range.", field=name) from None


def _actor(actor: str | None) -> tuple[int | None, bool]:
    if actor is None or actor == "":
        return None, False
    if actor == SYSTEM:
        return None, True
    if not actor.isdecimal() or not 0 < int(actor) <= MAX_ID:
        raise Invalid("actor is a user id or `system`.", field="actor")
    return int(actor), False


@router.get("/audit", response={200: AuditPageOut, **ERRORS}, summary="The audit log")
def list_audit(
    request: HttpRequest,
    action: str | None = Query(None, max_length=80, description=(
        "A whole action (`routing_rule.updated`) or a kind of action (`routing_rule`).")),
    actor: str | None = Query(None, max_length=20, description=(
        "A user id, or `system` for what no person did.")),
    target_type: str | None = Query(None, max_length=50, description=(
        "`routing_rule`, `queue`, `sla_policy`, `member`, `token`, `tenant`, ...")),
    target_id: str | None = Query(None, max_length=64),
    since: datetime | None = Query(None, description="From this moment on (inclusive)."),
    until: datetime | None = Query(None, description="Before this moment."),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> Any:
    """Changes of the tenant's configuration and access (routing, SLA, automations, members
    and roles, tokens, settings, mailboxes, fields), its exports and erasures: who, when, by
    which way in, and the old and new values of what changed. Newest first; pass
    `next_cursor` back as `cursor`. Secrets are never recorded. Admins only."""
    admin = require_admin(request)
    for name, value in (("action", action), ("actor", actor), ("target_type", target_type),
                        ("target_id", target_id), ("cursor", cursor)):
        if value is not None and (problem := text_problem(value)) is not None:
            raise Invalid(f"{name} {problem}.", field=name)
    actor_id, system = _actor(actor)
    filters = AuditFilters(action=(action or "").strip(), actor_id=actor_id, system=system,
                           target_type=target_type or "", target_id=target_id or "",
                           since=_moment("since", since), until=_moment("until", until))
    page = audit_page(admin.tenant_id, filters, cursor=cursor, limit=limit)
    return {"items": [entry_out(e) for e in page.items], "next_cursor": page.next_cursor}
