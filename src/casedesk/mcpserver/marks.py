"""Timeline events written during an MCP call are marked with the token that wrote them."""

from casedesk.cases.models import TimelineEvent
from casedesk.core.origin import current_via
from casedesk.mcpserver.caller import current_caller
from casedesk.tenancy.token_events import token_events_record


def mark_mcp_events(events: list[TimelineEvent]) -> None:
    """The `cases.hooks.on_timeline_written` listener: in the events' transaction, records
    "via MCP" and the token for each event an MCP call wrote (automation's own events in that
    change included: the agent's call set them off)."""
    caller = current_caller()
    if caller is None or current_via() != "mcp":
        return
    by_tenant: dict[int, list[int]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, []).append(event.pk)
    for tenant_id, ids in by_tenant.items():
        if tenant_id == caller.token.tenant_id:
            token_events_record(tenant_id=tenant_id, event_ids=ids, via="mcp", token=caller.token)
