"""Model instances from hand-written SQL, made as the ORM makes them.

The ORM compiles a query anew every time it runs. For the token lookup every API request
makes (four tables joined) that is about 2 ms of CPU, twenty times what PostgreSQL spends
answering it. The few reads on the hottest paths write their SQL instead, once per process,
from the models' own columns (`Columns.select`); `Columns.take` turns a slice of a row into
an instance with the converters the ORM would apply (dates on SQLite, JSON, ...), so what
comes back is the instance the ORM would have made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class Columns[M: Model]:
    """A model's concrete columns under a table alias: the SELECT list, and the instance made
    from a row's slice."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields: tuple[Field[Any, Any], ...] = tuple(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.width = len(self.fields)
        self._converters: dict[str, list[tuple[int, list[Converter], Any]]] = {}

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def select(self, connection: BaseDatabaseWrapper) -> str:
        """`"alias"."column", ...` for every concrete field, in `fields` order."""
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(str(field.column))}" for field in self.fields)

    def converters(self, connection: BaseDatabaseWrapper
                   ) -> list[tuple[int, list[Converter], Any]]:
        """(position, converters, column) for the fields whose values need converting on this
        database, as `SQLCompiler.get_converters` finds them."""
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                chain = (connection.ops.get_db_converters(column)
                         + column.get_db_converters(connection))
                if chain:
                    found.append((index, chain, column))
            self._converters[connection.vendor] = found
        return found

    def take(self, row: Sequence[Any], start: int, connection: BaseDatabaseWrapper) -> M:
        """The instance made from `row[start : start + width]`."""
        values = list(row[start:start + self.width])
        for index, chain, column in self.converters(connection):
            value = values[index]
            for convert in chain:
                value = convert(value, column, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)


def converted(model: type[Model], name: str, value: Any,
              connection: BaseDatabaseWrapper) -> Any:
    """`value`, read by hand-written SQL from the column of `model`'s field `name`, as the
    ORM would give it."""
    column = model._meta.get_field(name).get_col(model._meta.db_table)  # type: ignore[union-attr]
    for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


# More rows than this go through bulk_create, which batches them within the database's limits.
MAX_INSERT_ROWS = 100
_insert_sql: dict[tuple[str, type[Model], int], tuple[str, tuple[Field[Any, Any], ...]]] = {}


def _insertable(model: type[Model], connection: BaseDatabaseWrapper) -> bool:
    """Whether `insert` may write `model`'s rows itself: the database returns its generated
    primary key, and the key is the only column the database fills in (no `db_default`, no
    generated columns)."""
    meta = model._meta
    return (connection.features.can_return_columns_from_insert
            and meta.auto_field is not None
            and list(meta.db_returning_fields) == [meta.auto_field])


def insert[M: Model](objs: Sequence[M], connection: BaseDatabaseWrapper) -> Sequence[M]:
    """Inserts new rows of one model in one statement and sets their primary keys, as
    `bulk_create` would (auto_now fields set, values prepared by their fields), with the SQL
    written once per process and row count. A model that save signals listen to is saved
    row by row (`save(force_insert=True)`), so its listeners hear it; what else this does not
    handle goes to `bulk_create`: a model `_insertable` refuses, a row that names its key
    or holds an expression, more than `MAX_INSERT_ROWS` rows."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        for obj in objs:
            obj.save(force_insert=True)
        return objs
    if (not _insertable(model, connection) or len(objs) > MAX_INSERT_ROWS
            or (len(objs) > 1 and not connection.features.can_return_rows_from_bulk_insert)
            or any(type(obj) is not model or obj.pk is not None for obj in objs)):
        return model._default_manager.bulk_create(objs)
    key = (connection.vendor, model, len(objs))
    found = _insert_sql.get(key)
    if found is None:
        quote = connection.ops.quote_name
        fields = tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = (f"INSERT INTO {quote(meta.db_table)} "
               f"({', '.join(quote(str(f.column)) for f in fields)}) "
               f"VALUES {', '.join([row] * len(objs))} "
               f"RETURNING {quote(str(meta.auto_field.column))}")  # type: ignore[union-attr]
        found = _insert_sql[key] = (sql, fields)
    sql, fields = found
    params: list[Any] = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return model._default_manager.bulk_create(objs)
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


_values_sql: dict[tuple[str, str, tuple[str, ...], int, str], str] = {}


def insert_values(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]],
                  connection: BaseDatabaseWrapper, *, on_conflict: str = "") -> None:
    """`INSERT INTO <model's table> (<the fields `names`>) VALUES ... <on_conflict>`: rows
    of plain values (prepared by their fields) in one statement written once per process and
    row count, for the marks every change writes (`on_conflict`, e.g. `ON CONFLICT DO
    NOTHING`, is the same SQL on PostgreSQL and SQLite). More than `MAX_INSERT_ROWS` rows
    go in several statements."""
    for start in range(0, len(rows), MAX_INSERT_ROWS):
        chunk = rows[start:start + MAX_INSERT_ROWS]
        fields = [model._meta.get_field(name) for name in names]
        key = (connection.vendor, model._meta.db_table, tuple(names), len(chunk), on_conflict)
        sql = _values_sql.get(key)
        if sql is None:
            quote = connection.ops.quote_name
            row = f"({', '.join(['%s'] * len(fields))})"
            sql = _values_sql[key] = (
                f"INSERT INTO {quote(model._meta.db_table)} "
                f"({', '.join(quote(str(f.column)) for f in fields)}) "  # type: ignore[union-attr]
                f"VALUES {', '.join([row] * len(chunk))} {on_conflict}")
        params = [field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
                  for values in chunk for field, value in zip(fields, values, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


class Related[M: Model]:
    """A model's row with the rows some of its foreign keys name, read by one hand-written
    statement and made into the instances `select_related(*relations)` makes (a foreign key
    that is empty caches None). The statement is written once per process and WHERE clause;
    the model's table is aliased `t0` in it."""

    def __init__(self, model: type[M], relations: Sequence[str]) -> None:
        self.main: Columns[M] = Columns(model, "t0")
        self.joins: list[tuple[Any, Columns[Any]]] = []
        for index, name in enumerate(relations, start=1):
            field = model._meta.get_field(name)
            if not getattr(field, "many_to_one", False) and not getattr(field, "one_to_one",
                                                                        False):
                raise ValueError(f"{model.__name__}.{name} is not a foreign key")
            self.joins.append((field, Columns(field.related_model, f"t{index}")))  # type: ignore[arg-type]
        self._sql: dict[tuple[str, str], str] = {}

    def sql(self, connection: BaseDatabaseWrapper, where: str, tail: str = "") -> str:
        """`SELECT <every column> FROM <table> t0 LEFT JOIN ... WHERE <where> <tail>`."""
        key = (connection.vendor, f"{where}\0{tail}")
        found = self._sql.get(key)
        if found is None:
            quote = connection.ops.quote_name
            parts = [self.main.select(connection),
                     *(columns.select(connection) for _, columns in self.joins)]
            joins = "".join(
                f" LEFT JOIN {quote(columns.table)} {columns.alias}"
                f" ON {columns.alias}.{quote(str(field.target_field.column))}"
                f" = t0.{quote(str(field.column))}"
                for field, columns in self.joins)
            found = self._sql[key] = (f"SELECT {', '.join(parts)} FROM "
                                      f"{quote(self.main.table)} t0{joins} WHERE {where} {tail}")
        return found

    def take(self, row: Sequence[Any], connection: BaseDatabaseWrapper) -> M:
        obj = self.main.take(row, 0, connection)
        at = self.main.width
        for field, columns in self.joins:
            key_at = at + columns.fields.index(columns.model._meta.pk)
            field.set_cached_value(obj, columns.take(row, at, connection)
                                   if row[key_at] is not None else None)
            at += columns.width
        return obj

    def all(self, connection: BaseDatabaseWrapper, where: str, params: Sequence[Any],
            tail: str = "") -> list[M]:
        """Every row `where` (with `params`) finds, in the order `tail` gives."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql(connection, where, tail), list(params))
            return [self.take(row, connection) for row in cursor.fetchall()]

    def first(self, connection: BaseDatabaseWrapper, where: str, params: Sequence[Any],
              tail: str = "") -> M | None:
        """The first row `where` (with `params`) finds, or None."""
        found = self.all(connection, where, params, f"{tail} LIMIT 1".strip())
        return found[0] if found else None
