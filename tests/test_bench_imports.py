"""`make bench` is not run by CI; its modules must at least import against today's code, so a
moved function breaks the suite here rather than the next benchmark run."""

import importlib
import pkgutil

import pytest

import bench

MODULES = [m.name for m in pkgutil.iter_modules(bench.__path__) if m.name != "__main__"]


@pytest.mark.parametrize("name", MODULES)
def test_the_bench_module_imports(name: str) -> None:
    assert importlib.import_module(f"bench.{name}").__name__ == f"bench.{name}"


def test_every_bench_module_is_checked() -> None:
    assert {"run", "loader", "scenarios", "mail", "sla"} <= set(MODULES)
