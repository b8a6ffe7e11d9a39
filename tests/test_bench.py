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
    assert {"run", "loader", "scenarios", "mail", "sla", "kb"} <= set(MODULES)


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


@pytest.mark.django_db
def test_the_kb_scenario_runs_at_a_small_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The knowledge-base benchmark end to end on the test database, with 300 articles
    instead of 50,000: the load (bulk insert, one reindex), the cases, the measurement, and
    a second run reusing the data."""
    from bench import kb

    from casedesk.kb.models import Article
    from casedesk.kb.search import search_articles

    monkeypatch.setattr(kb, "ARTICLES", 300)
    monkeypatch.setattr(kb, "CASES", 6)
    loaded = kb.ensure_kb_tenant()
    assert loaded.load_seconds is not None and len(loaded.case_numbers) == 6
    tenant = loaded.bench.tenant
    assert Article.objects.filter(tenant=tenant).count() == 300
    assert search_articles(tenant.pk, "invoice") or search_articles(tenant.pk, "printer")

    result = kb.measure_suggestions(loaded, None, rounds=1)
    assert result.calls == 6 and result.with_suggestions >= 1
    assert 0 < result.p50_ms <= result.p99_ms
    assert len(kb.search_queries()) == 60 and kb.search_queries() == kb.search_queries()
    assert kb.details(loaded)["articles"] == 300

    again = kb.ensure_kb_tenant()
    assert again.load_seconds is None and again.case_numbers == loaded.case_numbers
