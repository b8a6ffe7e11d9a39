"""The every-column scan: where in the database a string (an erased email, a name) still
stands, case-insensitively.

Two walks. The models: every model of every installed casedesk app, every text, email, JSON
and binary column (JSON read as the application reads it, so an escaped "ë" is still found).
The tables: every table the database has (Django's, django-tasks-db's, side tables such as
full-text indexes that no model declares), every value of every row, read raw."""

import json
from typing import Any

from django.apps import apps
from django.db import connection, models

TEXT_TYPES = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def model_traces(needles: list[str]) -> list[str]:
    """`app.Model.field #pk` for every model column holding one of `needles`."""
    wanted = [n.lower() for n in needles if n]
    found: list[str] = []
    for model in apps.get_models():
        config = model._meta.app_config
        if config is None or not config.name.startswith("casedesk."):
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_TYPES)]
        if not fields:
            continue
        names = [f.attname for f in fields]
        for row in model._default_manager.values_list("pk", *names).iterator():
            for name, value in zip(names, row[1:], strict=True):
                text = _as_text(value).lower()
                for needle in wanted:
                    if needle in text:
                        found.append(f"{model._meta.label}.{name} #{row[0]}: {needle!r}")
    return found


def table_traces(needles: list[str]) -> list[str]:
    """`table.column` for every value of every table holding one of `needles`."""
    wanted = [n.lower() for n in needles if n]
    found: list[str] = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            quoted = connection.ops.quote_name(table)
            try:
                cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from the catalog
            except Exception:  # a virtual table's shadow that cannot be read as a table
                continue
            columns = [c[0] for c in cursor.description or ()]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = _as_text(value).lower()
                    for needle in wanted:
                        if needle in text:
                            found.append(f"{table}.{column}: {needle!r}")
    return found


def traces(*needles: str) -> list[str]:
    """Every place, model column or raw table, that still holds one of `needles`."""
    return model_traces(list(needles)) + table_traces(list(needles))
