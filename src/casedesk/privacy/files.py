"""Stored files removed with their rows: deleted from storage once the transaction that
deleted the rows commits, so a rolled-back erasure leaves every file in place."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage
from django.db import models, transaction

log = logging.getLogger(__name__)


def rows_delete_with_files(rows: Iterable[models.Model], field: str = "file") -> int:
    """Deletes `rows` now and their files after commit; how many rows."""
    doomed: list[tuple[Storage, str]] = []
    count = 0
    for row in rows:
        stored = getattr(row, field)
        if stored and stored.name:
            doomed.append((stored.storage, stored.name))
        row.delete()
        count += 1
    if doomed:
        transaction.on_commit(lambda: _delete_files(doomed))
    return count


def _delete_files(doomed: list[tuple[Storage, str]]) -> None:
    for storage, name in doomed:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone either way; an orphan file is found by the storage's own sweep.
            log.exception("Could not delete the stored file %s", name)
