"""A streamed export's memory does not grow with the rows: 20,000 cases cost what 2,000 do.

The 1,000,000-row figure is `make bench`'s (`export_1m_peak_mb`)."""

import gc
import tracemalloc
from datetime import timedelta

import pytest

from casedesk.cases.models import Case
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW, Api

pytestmark = pytest.mark.slow


def add_cases(tenant: Tenant, count: int, start: int) -> None:
    Case.objects.bulk_create([
        Case(tenant=tenant, number=start + i, subject=f"Bulk case {start + i} " + "x" * 60,
             description="A description of some length. " * 4, created_at=NOW - timedelta(
                 minutes=i), updated_at=NOW, tags=["bulk"]) for i in range(count)],
        batch_size=2000)


def peak_while_streaming(api: Api, fmt: str) -> tuple[int, int]:
    """(rows, the peak of memory traced while the response was read and thrown away)."""
    response = api.get("/export/cases", format=fmt, q="Bulk case")
    assert response.status_code == 200 and response.streaming
    content = response.streaming_content
    assert not isinstance(content, bytes | list | tuple)  # a lazy iterator, not a body
    gc.collect()
    tracemalloc.start()
    try:
        lines = 0
        for piece in content:
            lines += piece.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, peak


def test_memory_stays_flat_from_2000_to_20000_rows(admin_api: Api, tenant: Tenant,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of 250 rows, so both counts span many chunks (the cursor holds one chunk while
    # it fetches the next: two at most, whatever the count).
    monkeypatch.setattr("casedesk.exporter.lists.CHUNK", 250)
    first = Case.objects.filter(tenant=tenant).order_by("-number").values_list(
        "number", flat=True).first() or 0
    add_cases(tenant, 2000, first + 1)
    small = {fmt: peak_while_streaming(admin_api, fmt) for fmt in ("csv", "jsonl")}
    add_cases(tenant, 18000, first + 2001)
    big = {fmt: peak_while_streaming(admin_api, fmt) for fmt in ("csv", "jsonl")}
    for fmt, header in (("csv", 1), ("jsonl", 0)):
        (rows_small, peak_small), (rows_big, peak_big) = small[fmt], big[fmt]
        assert (rows_small, rows_big) == (2000 + header, 20000 + header)
        # Ten times the rows, the same memory: a chunk of rows and a piece of output at a
        # time, whatever the count.
        assert peak_big < peak_small * 1.25 + 256 * 1024, (fmt, peak_small, peak_big)
        assert peak_big < 16 * 1024 * 1024
