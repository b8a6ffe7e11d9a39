"""The full-text indexes of search (see `casedesk.search.index`): GIN expression indexes on
PostgreSQL, FTS5 tables with triggers on SQLite, and the two `from:` indexes. No model:
neither engine's index is a table Django knows."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from casedesk.search import index


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    statements = (index.postgres_forward() if vendor == "postgresql"
                  else index.sqlite_forward() if vendor == "sqlite" else [])
    with schema_editor.connection.cursor() as cursor:
        index.run(cursor, statements)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    statements = (index.postgres_backward() if vendor == "postgresql"
                  else index.sqlite_backward() if vendor == "sqlite" else [])
    with schema_editor.connection.cursor() as cursor:
        index.run(cursor, statements)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0015_merge_and_note_attachments"),
        ("mail", "0009_report_mail_kind"),
        ("crm", "0003_portal_signin"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
