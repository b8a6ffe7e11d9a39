"""New tenants for the tests, copied instead of provisioned.

`tenant_create` seeds a tenant row by row (about thirty queries through the ORM: picklists,
queues and their members, an SLA calendar and policies), and most tests start from such a
tenant. The first time a test asks for a tenant with given arguments, `tenant_copy` runs
`tenant_create` in a savepoint, keeps every row it wrote (as the database stores them) and
rolls it back; after that it writes those rows again with one INSERT per table, the foreign
keys pointing at the new rows. A copy is the tenant `tenant_create` makes: the same rows, new
ids in the same order, `auto_now` stamps of its own moment, and the stamps `tenant_create`
took from `casedesk.core.clock` taken from that clock again (a test that stopped the clock
sees them at its `NOW`). `tests/test_tenant_template.py` compares a copy with a tenant
provisioned for real.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from casedesk.cases.numbering import case_numbers_prepare
from casedesk.core import clock
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Tenant, User

Model = type[models.Model]

# What `casedesk.core.clock.now` answers while a template is taken: a stamp holding exactly
# this came from the clock, and a copy asks the clock again.
_CLOCK_MARK = datetime(1999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Table:
    """The rows of one table: an INSERT with a slot per value; each row's values as stored,
    with a `_Slot` where the value depends on the copy."""

    model: Model
    sql: str  # one VALUES group per row, RETURNING the new ids in order
    rows: tuple[tuple[Any, tuple[Any, ...]], ...]  # (old id, values)


@dataclass(frozen=True)
class _Slot:
    """A value a copy fills in: the new id of a row it wrote, or a moment."""

    parent: Model | None = None
    old_id: Any = None
    moment: Callable[[], datetime] | None = None
    field: models.Field[Any, Any] | None = None


@dataclass(frozen=True)
class _Template:
    tenant_id: Any
    tables: tuple[_Table, ...]  # parents before the rows that point at them


_templates: dict[tuple[tuple[str, Any], ...], _Template | None] = {}


def tenant_copy(**args: Any) -> Tenant:
    """What `tenant_create(**args)` returns, from the rows it wrote the first time."""
    key = tuple(sorted(args.items()))
    if key not in _templates:
        if _is_taken(args):
            return tenant_create(**args)  # to refuse the slug or take the existing user
        _templates[key] = _take(args)
    template = _templates[key]
    if template is None:
        return tenant_create(**args)
    try:
        return _write(template)
    except IntegrityError:  # the test made a tenant with this slug, or this admin, already
        return tenant_create(**args)


def _is_taken(args: dict[str, Any]) -> bool:
    return (Tenant.objects.filter(slug=args["slug"]).exists()
            or User.objects.filter(email__iexact=args["admin_email"]).exists())


def _tables() -> list[Model]:
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy]


def _take(args: dict[str, Any]) -> _Template | None:
    """The rows `tenant_create(**args)` writes, read in a savepoint rolled back at once; None
    when they cannot be written again table by table."""
    tables = [m for m in _tables() if isinstance(m._meta.pk, models.AutoField)]
    others = [m for m in _tables() if m not in tables]
    last = {m: m._base_manager.aggregate(last=Max("pk"))["last"] or 0 for m in tables}
    counts = {m: m._base_manager.count() for m in others}
    real_now = clock.now
    clock.now = lambda: _CLOCK_MARK
    try:
        with transaction.atomic():
            tenant = tenant_create(**args)
            written = {m: list(m._base_manager.filter(pk__gt=last[m]).order_by("pk"))
                       for m in tables}
            others_written = any(m._base_manager.count() != counts[m] for m in others)
            transaction.set_rollback(True)
    finally:
        clock.now = real_now
    written = {m: objs for m, objs in written.items() if objs}
    order = _parents_first(list(written))
    if order is None or others_written:  # rows without an id handed out: not copied here
        return None
    ids = {(m, obj.pk) for m in order for obj in written[m]}
    tables_out = []
    for model in order:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        rows = []
        for obj in written[model]:
            values = []
            for field in fields:
                value = getattr(obj, field.attname)
                if field.is_relation and (field.related_model, value) in ids:
                    if field.related_model is model:
                        return None  # a row pointing at a row of its own insert
                    values.append(_Slot(parent=field.related_model, old_id=value))
                elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    values.append(_Slot(moment=timezone.now, field=field))
                elif value == _CLOCK_MARK:
                    values.append(_Slot(moment=lambda: clock.now(), field=field))
                else:
                    values.append(field.get_db_prep_save(value, connection))
            rows.append((obj.pk, tuple(values)))
        tables_out.append(_Table(model=model, sql=_insert_sql(model, fields, len(rows)),
                                 rows=tuple(rows)))
    return _Template(tenant_id=tenant.pk, tables=tuple(tables_out))


def _parents_first(tables: list[Model]) -> list[Model] | None:
    order: list[Model] = []
    waiting = list(tables)
    while waiting:
        ready = [m for m in waiting if not _parent_tables(m) & set(waiting)]
        if not ready:
            return None
        order += ready
        waiting = [m for m in waiting if m not in ready]
    return order


def _parent_tables(model: Model) -> set[Model]:
    return {f.related_model for f in model._meta.concrete_fields
            if f.is_relation and f.related_model not in (None, model)}


def _insert_sql(model: Model, fields: list[models.Field[Any, Any]], count: int) -> str:
    quote = connection.ops.quote_name
    group = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(_column(f)) for f in fields)}) "
            f"VALUES {', '.join([group] * count)} RETURNING {quote(_column(model._meta.pk))}")


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # a concrete field has its column
    return field.column


def _write(template: _Template) -> Tenant:
    new_ids: dict[tuple[Model, Any], Any] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table in template.tables:
            params = [_fill(value, new_ids) for _, values in table.rows for value in values]
            cursor.execute(table.sql, params)
            # Ids are handed out in the order of the VALUES; RETURNING need not keep it.
            returned = sorted(new_id for (new_id,) in cursor.fetchall())
            for (old_id, _), new_id in zip(table.rows, returned, strict=True):
                new_ids[table.model, old_id] = new_id
        tenant = Tenant.objects.get(pk=new_ids[Tenant, template.tenant_id])
        case_numbers_prepare(tenant)  # on PostgreSQL a sequence, which is no row
    return tenant


def _fill(value: Any, new_ids: dict[tuple[Model, Any], Any]) -> Any:
    if not isinstance(value, _Slot):
        return value
    if value.parent is not None:
        return new_ids[value.parent, value.old_id]
    assert value.moment is not None and value.field is not None
    return value.field.get_db_prep_save(value.moment(), connection)
