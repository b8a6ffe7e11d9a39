from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _repair_sqlite_index(using: str = "default", **kwargs: Any) -> None:
    """A migration of another app that rebuilt one of the indexed tables on SQLite dropped
    its triggers with it: put them back (search/index.py)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    from casedesk.search.index import ensure_sqlite_triggers

    with connection.cursor() as cursor:
        ensure_sqlite_triggers(cursor)


class SearchConfig(AppConfig):
    name = "casedesk.search"
    label = "search"

    def ready(self) -> None:
        post_migrate.connect(_repair_sqlite_index, sender=self,
                             dispatch_uid="search_repair_sqlite_index")
