"""`casedesk search_reindex [--tenant SLUG]`: catches the search index up with rows written
without its triggers (a bulk load run as a replica). Adds only what is missing on
PostgreSQL (and drops the rows whose source is gone); rebuilds the FTS5 tables on SQLite
(which index every tenant at once)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from casedesk.search.index import (
    DOCUMENT_TABLE,
    SOURCES,
    backfill_postgres,
    prune_postgres,
    run,
)
from casedesk.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Adds the rows the search index lacks (after a bulk load that skipped triggers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Only this tenant's rows (PostgreSQL).")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant_id = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant {options['tenant']!r}.")
            tenant_id = tenant.pk
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT count(*) FROM {DOCUMENT_TABLE}")
                before = cursor.fetchone()[0]
                run(cursor, [*prune_postgres(), *backfill_postgres(tenant_id)])
                cursor.execute(f"SELECT count(*) FROM {DOCUMENT_TABLE}")
                change = cursor.fetchone()[0] - before
                self.stdout.write(f"The index changed by {change:+} rows.")
            elif connection.vendor == "sqlite":
                run(cursor, [f"INSERT INTO {s.fts_table}({s.fts_table}) VALUES ('rebuild')"
                             for s in SOURCES])
                self.stdout.write("Rebuilt the search index.")
            else:
                raise CommandError(f"Search does not index on {connection.vendor}.")
