"""Which database the benchmarks use, making it ready, and setting Django up against it."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from casedesk.core.secret_key import ensure_secret_key_file

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/"
BENCH_DB_NAME = "casedesk_bench"


@dataclass(frozen=True)
class Database:
    url: str
    vendor: str  # "postgresql" or "sqlite"
    origin: str  # how it was chosen, for the report

    @property
    def name(self) -> str | None:
        """The PostgreSQL database name (to find its server processes); None for SQLite."""
        if self.vendor != "postgresql":
            return None
        return urlsplit(self.url).path.lstrip("/") or None


def _local_postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(LOCAL_POSTGRES + "postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _ensure_local_bench_database() -> None:
    """Creates casedesk_bench on the local server when missing (CREATE DATABASE cannot run
    inside a transaction, hence autocommit)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(LOCAL_POSTGRES + "postgres", autocommit=True, connect_timeout=3) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB_NAME]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB_NAME)))


def choose() -> Database:
    """DATABASE_URL when set; else the local PostgreSQL when it answers; else SQLite."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        vendor = "sqlite" if url.startswith("sqlite") else "postgresql"
        return Database(url=url, vendor=vendor, origin="DATABASE_URL")
    if _local_postgres_answers():
        _ensure_local_bench_database()
        return Database(
            url=LOCAL_POSTGRES + BENCH_DB_NAME,
            vendor="postgresql",
            origin="local PostgreSQL at 127.0.0.1:5432",
        )
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return Database(
        url=f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}",
        vendor="sqlite",
        origin="SQLite fallback (no PostgreSQL answered on 127.0.0.1:5432)",
    )


def casedesk_command() -> str:
    """The console script of the venv running us, so the server runs the same code."""
    script = Path(sys.executable).parent / "casedesk"
    return str(script) if script.exists() else "casedesk"


def server_environment(db: Database) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = db.url
    env["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
    # Debug mode records every query in memory and would distort every figure.
    env["CASEDESK_DEBUG"] = "0"
    env.setdefault("CASEDESK_VAR_DIR", str(ROOT / "var"))
    if not env.get("CASEDESK_SECRET_KEY") and not env.get("CASEDESK_SECRET_KEY_FILE"):
        # The server refuses to start without a key; the bench's own, made once, will do.
        env["CASEDESK_SECRET_KEY_FILE"] = str(
            ensure_secret_key_file(Path(env["CASEDESK_VAR_DIR"])))
    return env


def prepare(db: Database) -> None:
    """Migrates the database through the product's own command, then sets Django up here."""
    env = server_environment(db)
    subprocess.run(
        [casedesk_command(), "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "CASEDESK_DEBUG",
                "CASEDESK_VAR_DIR",
            )
        }
    )
    import django

    django.setup()
