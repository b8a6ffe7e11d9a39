"""The full-text index of the articles, one per engine (`casedesk.kb.search` reads and writes
it): an FTS5 table on SQLite, a side table with a weighted `tsvector` and a GIN index on
PostgreSQL (plus a trigram index on the titles when the server lets us add `pg_trgm`).

Neither table is a model: Django does not know the FTS5 or `tsvector` types. Triggers drop an
article's row when the article goes, by DELETE or (PostgreSQL) TRUNCATE. No foreign key on
PostgreSQL: `flush` (transactional tests, `casedesk flush`) truncates the model tables only,
and TRUNCATE refuses a table another table references; the triggers keep the same promise.
"""

from django.db import DatabaseError, migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE kb_article_fts USING fts5(
        title, summary, body, tags,
        tokenize = 'porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER kb_article_fts_delete AFTER DELETE ON kb_article BEGIN
        DELETE FROM kb_article_fts WHERE rowid = old.id;
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS kb_article_fts_delete",
    "DROP TABLE IF EXISTS kb_article_fts",
]

POSTGRES_FORWARD = [
    """CREATE TABLE kb_article_search (
        article_id bigint PRIMARY KEY,
        tenant_id bigint NOT NULL,
        config regconfig NOT NULL,
        title text NOT NULL,
        document tsvector NOT NULL)""",
    "CREATE INDEX kb_article_search_document ON kb_article_search USING gin (document)",
    "CREATE INDEX kb_article_search_tenant ON kb_article_search (tenant_id)",
    """CREATE FUNCTION kb_article_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE kb_article_search;
        ELSE
            DELETE FROM kb_article_search WHERE article_id = OLD.id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER kb_article_search_delete AFTER DELETE ON kb_article
        FOR EACH ROW EXECUTE FUNCTION kb_article_search_forget()""",
    """CREATE TRIGGER kb_article_search_truncate AFTER TRUNCATE ON kb_article
        FOR EACH STATEMENT EXECUTE FUNCTION kb_article_search_forget()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS kb_article_search_delete ON kb_article",
    "DROP TRIGGER IF EXISTS kb_article_search_truncate ON kb_article",
    "DROP FUNCTION IF EXISTS kb_article_search_forget()",
    "DROP TABLE IF EXISTS kb_article_search",
]
TRIGRAM_INDEX = """CREATE INDEX kb_article_search_title_trgm ON kb_article_search
    USING gin (title gin_trgm_ops)"""


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def create_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_FORWARD)
        _add_trigram_index(schema_editor)


def _add_trigram_index(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Typo-tolerant title search where the server has pg_trgm and lets this role install it;
    without it search works the same, minus the typos (the savepoint keeps the migration's
    transaction usable after a refusal)."""
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            _run(schema_editor, ["CREATE EXTENSION IF NOT EXISTS pg_trgm", TRIGRAM_INDEX])
    except DatabaseError:  # no package, or no privilege: go on without typo tolerance
        return


def drop_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)
    elif vendor == "postgresql":
        # The extension stays: other tables may use it, and it costs nothing unused.
        _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ("kb", "0001_knowledge_base"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
