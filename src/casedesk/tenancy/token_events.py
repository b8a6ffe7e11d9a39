"""Which API token, and by which way in, wrote a case's timeline events (today: MCP).

The timeline (`cases`) is the record of what happened; this side table adds, for events an
API token wrote through the MCP server, "via MCP · <token name>", without widening the
timeline's big table. Written in the event's own transaction, read for a page of events.
"""

from collections.abc import Iterable

from casedesk.tenancy.models import ApiToken, TokenEvent

VIA_LABELS = {"mcp": "MCP"}


def token_events_record(
    *, tenant_id: int, event_ids: Iterable[int], via: str, token: ApiToken
) -> None:
    """Marks the events as written by `token` coming in by `via`, in the caller's
    transaction; an event marked already keeps its mark."""
    TokenEvent.objects.bulk_create(
        [
            TokenEvent(
                tenant_id=tenant_id,
                event_id=event_id,
                via=via,
                token=token,
                token_name=token.name or token.prefix,
            )
            for event_id in event_ids
        ],
        ignore_conflicts=True,
    )


def token_event_vias(tenant_id: int, event_ids: list[int]) -> dict[int, str]:
    """`{event id: "MCP · <token name>"}` for those of the tenant's events a token wrote
    through MCP; one query."""
    if not event_ids:
        return {}
    rows = TokenEvent.objects.filter(tenant_id=tenant_id, event_id__in=event_ids).values_list(
        "event_id", "via", "token_name"
    )
    return {
        event_id: f"{VIA_LABELS.get(via, via)} · {name}" if name else VIA_LABELS.get(via, via)
        for event_id, via, name in rows
    }
