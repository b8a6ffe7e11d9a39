"""Per-tenant case numbers that never repeat, even with many concurrent creators.

On PostgreSQL each tenant has its own sequence: `nextval` takes no row lock, so creators never
queue behind each other (a rolled-back creation leaves a gap, never a duplicate). On SQLite,
where writes are serialized anyway, a counter on the tenant row does the same job.
"""

from django.db import ProgrammingError, connection, transaction
from django.db.models import F, Max

from casedesk.tenancy.models import Tenant

_prepared: set[int] = set()


def sequence_name(tenant_id: int) -> str:
    return f"casedesk_case_number_{int(tenant_id)}"


def case_numbers_prepare(tenant: Tenant) -> None:
    """Makes the tenant's number source start after the highest number in use."""
    from casedesk.cases.models import Case

    highest = Case.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0
    start = max(highest + 1, tenant.next_case_number)
    if connection.vendor == "postgresql":
        name = sequence_name(tenant.pk)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start)}")
            cursor.execute(
                f"SELECT setval('{name}', GREATEST({int(start)}, "
                f"(SELECT last_value FROM {name})), false)"
            )
        _prepared.add(tenant.pk)
    else:
        Tenant.objects.filter(pk=tenant.pk, next_case_number__lt=start).update(
            next_case_number=start
        )


def next_case_number(tenant: Tenant) -> int:
    """The next number for a new case of `tenant`."""
    if connection.vendor == "postgresql":
        if tenant.pk not in _prepared:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT nextval(%s)", [sequence_name(tenant.pk)])
                    number = cursor.fetchone()[0]
                _prepared.add(tenant.pk)
                return int(number)
            except ProgrammingError:
                case_numbers_prepare(tenant)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [sequence_name(tenant.pk)])
            return int(cursor.fetchone()[0])
    Tenant.objects.filter(pk=tenant.pk).update(next_case_number=F("next_case_number") + 1)
    value = Tenant.objects.filter(pk=tenant.pk).values_list("next_case_number", flat=True).get()
    return int(value) - 1


def next_case_numbers(tenant: Tenant, count: int) -> list[int]:
    """`count` new numbers for `tenant` in one round trip (a batch of new cases)."""
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        if tenant.pk not in _prepared:
            return [next_case_number(tenant), *next_case_numbers(tenant, count - 1)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)",
                           [sequence_name(tenant.pk), count])
            return [int(row[0]) for row in cursor.fetchall()]
    Tenant.objects.filter(pk=tenant.pk).update(next_case_number=F("next_case_number") + count)
    value = Tenant.objects.filter(pk=tenant.pk).values_list("next_case_number", flat=True).get()
    return list(range(int(value) - count, int(value)))
