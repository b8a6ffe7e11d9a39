"""`make bench` is not run by CI: its modules must import against today's code (a moved
function breaks the suite here, not the next benchmark run), and it must start on a fresh
machine."""

import importlib
import pkgutil

import bench
import pytest

MODULES = [m.name for m in pkgutil.iter_modules(bench.__path__) if m.name != "__main__"]


@pytest.mark.parametrize("name", MODULES)
def test_the_bench_module_imports(name: str) -> None:
    assert importlib.import_module(f"bench.{name}").__name__ == f"bench.{name}"


def test_every_bench_module_is_checked() -> None:
    assert {"run", "loader", "scenarios", "mail", "sla"} <= set(MODULES)


def test_the_bench_server_gets_a_secret_key_on_a_fresh_machine(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.database import Database, server_environment

    monkeypatch.delenv("CASEDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("CASEDESK_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("CASEDESK_VAR_DIR", str(tmp_path))
    db = Database(url="postgres://postgres@127.0.0.1:5432/x", vendor="postgresql",
                  origin="test")
    env = server_environment(db)
    key_file = tmp_path / "secret_key"
    assert env["CASEDESK_SECRET_KEY_FILE"] == str(key_file)
    assert len(key_file.read_text().strip()) >= 50
