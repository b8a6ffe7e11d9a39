"""The fetch every app's `access.py` is built on: one row of one tenant, by id."""

from django.db.models import Model, QuerySet

from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID


def tenant_row[M: Model](rows: QuerySet[M], tenant_id: int, pk: int, missing: str) -> M:
    """The row `pk` of the tenant among `rows`, or NotFound(`missing`): another tenant's row
    and an id no column holds are refused alike, so nobody learns which ids exist."""
    row = rows.filter(tenant_id=tenant_id, pk=pk).first() if 0 < pk <= MAX_ID else None
    if row is None:
        raise NotFound(missing)
    return row
