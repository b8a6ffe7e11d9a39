"""The per-process copies of a tenant's configuration: kept while the tenant row's version
says so, loaded again when it moves, and apart per tenant."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from casedesk.tenancy.versioned import TenantCache


def _tenant(pk: int, version: int, created: int = 1) -> Any:
    return SimpleNamespace(pk=pk, routing_version=version,
                           created_at=datetime(2026, 1, created, tzinfo=UTC))


def test_a_copy_is_used_until_the_version_moves() -> None:
    cache: TenantCache[str] = TenantCache("routing_version")
    loads: list[str] = []

    def load(text: str) -> str:
        loads.append(text)
        return text

    assert cache.get(_tenant(1, 0), lambda: load("first")) == "first"
    assert cache.get(_tenant(1, 0), lambda: load("second")) == "first"
    assert cache.get(_tenant(1, 1), lambda: load("third")) == "third"
    assert cache.get(_tenant(2, 1), lambda: load("other")) == "other"
    assert loads == ["first", "third", "other"]


def test_a_new_tenant_with_a_reused_id_is_not_served_the_old_copy() -> None:
    cache: TenantCache[str] = TenantCache("routing_version")
    cache.get(_tenant(1, 0, created=1), lambda: "deleted tenant's")
    assert cache.get(_tenant(1, 0, created=2), lambda: "new tenant's") == "new tenant's"


def test_forget_and_clear_load_again() -> None:
    cache: TenantCache[str] = TenantCache("routing_version")
    cache.get(_tenant(1, 0), lambda: "old")
    cache.forget(1)
    assert cache.get(_tenant(1, 0), lambda: "new") == "new"
    cache.clear()
    assert cache.get(_tenant(1, 0), lambda: "newer") == "newer"
