"""The full-text indexes search reads, one per source of text, kept current by the database
itself in the writing transaction, so no app below has to tell search anything:

- PostgreSQL: one side table, `search_document`, holding each source row's `tsvector`
  (`to_tsvector('simple', …)` of its columns, weighted) with its tenant, case and whether it
  is public; triggers on the source tables write it on insert, on the update of a column it
  depends on, and drop it on delete (and truncate). A stored `tsvector` rather than an
  expression index: the planner then has real statistics of each word, and a common word is
  answered by walking the newest rows and testing their stored vectors (microseconds each)
  instead of building a bitmap of a million matches or recomputing `to_tsvector`; a rare
  word by its GIN index.
- SQLite: an FTS5 table per source with external content (the source table itself), filled
  by triggers on insert, delete and the update of an indexed column.

The `simple` configuration (and FTS5's `unicode61` tokenizer) split words without stemming:
names, email addresses, product codes and numbers match as written, in every language.

Also two plain indexes for `from:` (a note's author address, a mail's sender).

Bulk loads that skip triggers (the bench's loader runs as a replica) leave rows out:
`backfill_postgres` adds what is missing. A later migration of another app may rebuild a
table on SQLite (its ALTER TABLE copies the table), which drops the table's triggers:
`ensure_sqlite_triggers`, run after every migrate (search/apps.py), puts back what is
missing and rebuilds that source's index.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CONFIG = "simple"


@dataclass(frozen=True)
class Source:
    """One table of text. `weights` gives each column's class (A best … D) on PostgreSQL and
    its bm25 weight on SQLite."""

    name: str
    table: str
    columns: tuple[str, ...]
    weights: tuple[str, ...]
    case_column: str | None  # the case a row belongs to; None for contacts and accounts
    public_sql: str = "true"  # over the row: whether a customer may read it
    # Addresses and domains also indexed in parts on PostgreSQL, whose parser keeps
    # `jo@example.com` whole: "example" then finds it, as it does on SQLite.
    split: tuple[str, ...] = ()

    @property
    def fts_table(self) -> str:
        return f"search_{self.name}_fts"

    def document_sql(self, row: str) -> str:
        """The row's tsvector, each column with its weight."""
        weighted = dict(zip(self.columns, self.weights, strict=True))
        parts = [f"coalesce({row}.{column}, '')" for column in self.columns]
        parts += [f"translate(coalesce({row}.{column}, ''), '@.', '  ')" for column in self.split]
        weights = [*self.weights, *(weighted[column] for column in self.split)]
        return " || ".join(f"setweight(to_tsvector('{CONFIG}'::regconfig, {part}), '{weight}')"
                           for part, weight in zip(parts, weights, strict=True))

    def values_sql(self, row: str) -> str:
        """The search_document values of the row: source, row id, tenant, case, public,
        document."""
        case = f"{row}.{self.case_column}" if self.case_column else "NULL"
        return (f"'{self.name}', {row}.id, {row}.tenant_id, {case}, "
                f"{self.public_sql.format(row=row)}, {self.document_sql(row)}")


CASE = Source("case", "cases_case", ("subject", "description"), ("A", "C"), "id")
NOTE = Source("note", "cases_note", ("body",), ("C",), "case_id", "{row}.is_public")
MAIL_OUT = Source("mail_out", "mail_outboundmail", ("subject", "body"), ("B", "C"), "case_id",
                  "false")
MAIL_IN = Source("mail_in", "mail_inboundmessage", ("subject", "sender"), ("B", "B"), "case_id",
                 split=("sender",))
CONTACT = Source("contact", "crm_contact", ("name", "email"), ("A", "A"), None,
                 split=("email",))
ACCOUNT = Source("account", "crm_account", ("name", "domain"), ("A", "B"), None,
                 split=("domain",))
SOURCES: tuple[Source, ...] = (CASE, NOTE, MAIL_OUT, MAIL_IN, CONTACT, ACCOUNT)

PLAIN_INDEXES = {
    "search_note_author_email": (
        "cases_note", "(tenant_id, lower(author_email))", "author_email <> ''"),
    "search_mail_in_sender": (
        "mail_inboundmessage", "(tenant_id, lower(sender))", "sender <> ''"),
}


def _plain_indexes() -> list[str]:
    return [f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns} WHERE {where}"
            for name, (table, columns, where) in PLAIN_INDEXES.items()]


DOCUMENT_TABLE = "search_document"
# One GIN index per source (partial): a word common in notes but rare in subjects is then
# found in the subjects without reading the notes' postings.
POSTGRES_INDEXES = (
    *(f"""CREATE INDEX IF NOT EXISTS search_document_{s.name} ON {DOCUMENT_TABLE}
          USING gin (document) WHERE source = '{s.name}'""" for s in SOURCES),
    # Newest first within a tenant and source: the walk that answers common words.
    f"""CREATE INDEX IF NOT EXISTS search_document_newest
        ON {DOCUMENT_TABLE} (tenant_id, source, row_id DESC)""",
)
POSTGRES_INDEX_NAMES = (*(f"search_document_{s.name}" for s in SOURCES),
                        "search_document_newest")


def _postgres_function(source: Source) -> str:
    return f"""CREATE OR REPLACE FUNCTION search_{source.name}_sync() RETURNS trigger
        LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM {DOCUMENT_TABLE} WHERE source = '{source.name}';
            RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN
            DELETE FROM {DOCUMENT_TABLE} WHERE source = '{source.name}' AND row_id = OLD.id;
            RETURN NULL;
        END IF;
        INSERT INTO {DOCUMENT_TABLE} (source, row_id, tenant_id, case_id, is_public, document)
        VALUES ({source.values_sql("NEW")})
        ON CONFLICT (source, row_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,
            case_id = EXCLUDED.case_id, is_public = EXCLUDED.is_public,
            document = EXCLUDED.document;
        RETURN NULL;
    END $$"""


def _postgres_watched(source: Source) -> str:
    columns = [*source.columns, "tenant_id"]
    if source.case_column and source.case_column != "id":
        columns.append(source.case_column)
    if source is NOTE:
        columns.append("is_public")
    return ", ".join(columns)


def postgres_forward() -> list[str]:
    statements = [
        # No foreign keys: `flush` truncates the model tables only, and TRUNCATE refuses a
        # table another references; the triggers keep the rows in step instead.
        f"""CREATE TABLE IF NOT EXISTS {DOCUMENT_TABLE} (
            source varchar(10) NOT NULL,
            row_id bigint NOT NULL,
            tenant_id bigint NOT NULL,
            case_id bigint,
            is_public boolean NOT NULL,
            document tsvector NOT NULL,
            PRIMARY KEY (source, row_id))""",
    ]
    for source in SOURCES:
        statements += [
            _postgres_function(source),
            f"""CREATE OR REPLACE TRIGGER search_{source.name}_sync
                AFTER INSERT OR DELETE OR UPDATE OF {_postgres_watched(source)}
                ON {source.table} FOR EACH ROW EXECUTE FUNCTION search_{source.name}_sync()""",
            f"""CREATE OR REPLACE TRIGGER search_{source.name}_truncate AFTER TRUNCATE
                ON {source.table} FOR EACH STATEMENT
                EXECUTE FUNCTION search_{source.name}_sync()""",
        ]
    # The rows already there first, the indexes after: building a GIN index once costs a
    # fraction of growing it row by row.
    return [*statements, *backfill_postgres(), *POSTGRES_INDEXES, *_plain_indexes()]


def backfill_postgres(tenant_id: int | None = None) -> list[str]:
    """INSERTs of the source rows search_document lacks (of one tenant, or all); no
    parameters, so the tenant is an int formatted in."""
    where = f" AND s.tenant_id = {int(tenant_id)}" if tenant_id is not None else ""
    return [f"""INSERT INTO {DOCUMENT_TABLE} (source, row_id, tenant_id, case_id, is_public,
                                          document)
        SELECT {source.values_sql("s")} FROM {source.table} s
        WHERE NOT EXISTS (SELECT 1 FROM {DOCUMENT_TABLE} x
                          WHERE x.source = '{source.name}' AND x.row_id = s.id){where}
        ON CONFLICT DO NOTHING""" for source in SOURCES]


def prune_postgres() -> list[str]:
    """DELETEs of the index rows whose source row is gone (deleted without triggers)."""
    return [f"""DELETE FROM {DOCUMENT_TABLE} x WHERE x.source = '{source.name}'
        AND NOT EXISTS (SELECT 1 FROM {source.table} s WHERE s.id = x.row_id)"""
            for source in SOURCES]


def postgres_backward() -> list[str]:
    statements = []
    for source in SOURCES:
        statements += [
            f"DROP TRIGGER IF EXISTS search_{source.name}_sync ON {source.table}",
            f"DROP TRIGGER IF EXISTS search_{source.name}_truncate ON {source.table}",
            f"DROP FUNCTION IF EXISTS search_{source.name}_sync()",
        ]
    return [*statements, f"DROP TABLE IF EXISTS {DOCUMENT_TABLE}",
            *(f"DROP INDEX IF EXISTS {name}" for name in PLAIN_INDEXES)]


def _trigger_names(source: Source) -> tuple[str, str, str]:
    base = source.fts_table
    return f"{base}_insert", f"{base}_delete", f"{base}_update"


def sqlite_triggers(source: Source) -> list[str]:
    cols = ", ".join(source.columns)
    new = ", ".join(f"new.{c}" for c in source.columns)
    old = ", ".join(f"old.{c}" for c in source.columns)
    fts = source.fts_table
    insert, delete, update = _trigger_names(source)
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {insert} AFTER INSERT ON {source.table} BEGIN
            INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS {delete} AFTER DELETE ON {source.table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
        END""",
        # Only when an indexed column changes: cases are updated all day for other reasons.
        f"""CREATE TRIGGER IF NOT EXISTS {update} AFTER UPDATE OF {cols} ON {source.table}
        BEGIN
            INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
            INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});
        END""",
    ]


def sqlite_forward() -> list[str]:
    statements: list[str] = []
    for source in SOURCES:
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {source.fts_table} USING fts5("
            f"{', '.join(source.columns)}, content='{source.table}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')")
        statements.extend(sqlite_triggers(source))
        statements.append(f"INSERT INTO {source.fts_table}({source.fts_table}) VALUES ('rebuild')")
    statements.extend(_plain_indexes())
    return statements


def sqlite_backward() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name}"
                  for source in SOURCES for name in _trigger_names(source)]
    statements += [f"DROP TABLE IF EXISTS {source.fts_table}" for source in SOURCES]
    statements += [f"DROP INDEX IF EXISTS {name}" for name in PLAIN_INDEXES]
    return statements


def run(cursor: Any, statements: Sequence[str]) -> None:
    for sql in statements:
        cursor.execute(sql)


def ensure_sqlite_triggers(cursor: Any) -> list[str]:
    """Puts back the triggers a table rebuild dropped (and rebuilds the sources whose index
    had stopped following their table); returns the names of the sources it repaired."""
    cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table')")
    present = {row[0] for row in cursor.fetchall()}
    repaired = []
    for source in SOURCES:
        if source.fts_table not in present or source.table not in present:
            continue  # not migrated yet: the migration makes everything
        if all(name in present for name in _trigger_names(source)):
            continue
        run(cursor, sqlite_triggers(source))
        cursor.execute(f"INSERT INTO {source.fts_table}({source.fts_table}) VALUES ('rebuild')")
        repaired.append(source.name)
    return repaired
