"""Where the installation's key comes from, and that nothing serves without one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk.core.secret_key import (
    FILE_NAME,
    SecretKeyError,
    ensure_secret_key_file,
    read_secret_key,
    secret_key_problem,
)

KEY = "k" * 40


def test_the_environment_wins_over_any_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("from-the-file-" + KEY)
    assert read_secret_key({"CASEDESK_SECRET_KEY": f"  {KEY}\n"}, tmp_path) == KEY


def test_a_named_file_then_the_var_directorys_file(tmp_path: Path) -> None:
    named = tmp_path / "elsewhere"
    named.write_text(KEY + "\n")
    assert read_secret_key({"CASEDESK_SECRET_KEY_FILE": str(named)}, tmp_path) == KEY
    (tmp_path / FILE_NAME).write_text("var-" + KEY)
    assert read_secret_key({}, tmp_path) == "var-" + KEY


def test_no_key_at_all_is_empty_and_a_missing_named_file_an_error(tmp_path: Path) -> None:
    assert read_secret_key({}, tmp_path) == ""
    with pytest.raises(SecretKeyError, match="does not exist"):
        read_secret_key({"CASEDESK_SECRET_KEY_FILE": str(tmp_path / "nope")}, tmp_path)


def test_problems_name_the_fix() -> None:
    assert "CASEDESK_SECRET_KEY" in (secret_key_problem("") or "")
    assert "too short" in (secret_key_problem("short") or "")
    assert secret_key_problem(KEY) is None


def test_the_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    path = ensure_secret_key_file(tmp_path / "var")
    first = path.read_text()
    assert len(first.strip()) >= 50 and path.stat().st_mode & 0o777 == 0o600
    assert ensure_secret_key_file(tmp_path / "var").read_text() == first


@pytest.mark.parametrize("debug", ["0", "1"])
def test_serve_and_worker_refuse_to_start_without_a_key(tmp_path: Path, debug: str) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CASEDESK_SECRET_KEY", "CASEDESK_SECRET_KEY_FILE"}}
    env.update({"CASEDESK_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "casedesk.settings",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "CASEDESK_DEBUG": debug})
    script = Path(sys.executable).with_name("casedesk")
    for command in ("serve", "worker"):
        done = subprocess.run([script, command], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 1, done.stdout
        assert "casedesk has no secret key" in done.stderr
        assert "Listening" not in done.stdout + done.stderr
