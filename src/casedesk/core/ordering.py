"""Ordered lists a tenant arranges (routing rules, SLA policies): where an item goes, and
writing the new positions. The decisions are plain functions; `write_positions` is the one
place that stores an order."""

from __future__ import annotations

from django.db.models import Model, QuerySet


def placed(order: list[int], item: int, position: int) -> list[int]:
    """`order` with `item` (taken out if present) put at `position`, clamped to the ends."""
    rest = [pk for pk in order if pk != item]
    rest.insert(max(0, min(position, len(rest))), item)
    return rest


def moved(order: list[int], item: int, direction: str | None) -> tuple[list[int], int] | None:
    """`item` swapped one place "up" or "down", with its new index; None when it cannot move
    (already first or last, or no direction)."""
    at = order.index(item)
    to = at - 1 if direction == "up" else at + 1 if direction == "down" else at
    if to == at or not 0 <= to < len(order):
        return None
    swapped = list(order)
    swapped[at], swapped[to] = swapped[to], swapped[at]
    return swapped, to


def write_positions[M: Model](rows: QuerySet[M], order: list[int]) -> None:
    """Stores `order` (primary keys, first to last) as the rows' `position`, touching only
    the rows whose position changes."""
    by_pk = {row.pk: row for row in rows.filter(pk__in=order)}
    changed = []
    for position, pk in enumerate(order):
        row = by_pk[pk]
        if getattr(row, "position") != position:  # noqa: B009 - any model with a position
            setattr(row, "position", position)  # noqa: B010
            changed.append(row)
    rows.bulk_update(changed, ["position"])
