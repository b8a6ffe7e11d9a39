"""Where the installation's SECRET_KEY comes from, and the refusal to run without one.

There is no built-in fallback key: a key everyone can read in the source lets anyone forge
sessions and signed links. An installation sets `CASEDESK_SECRET_KEY`, or keeps the key in a
file (`CASEDESK_SECRET_KEY_FILE`, or `secret_key` under the var directory, which `make run`
and `casedesk run` create once with a random key).
"""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 32

MISSING = (
    "casedesk has no secret key: set CASEDESK_SECRET_KEY to a long random value (for example "
    "the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`), or "
    "CASEDESK_SECRET_KEY_FILE to a file holding one. `make run` and `casedesk run` create "
    "var/secret_key for a local installation."
)


class SecretKeyError(Exception):
    pass


def read_secret_key(env: Mapping[str, str], var_dir: Path) -> str:
    """The key from the environment, the file it names, or the var directory's key file;
    "" when there is none (Django then refuses to sign anything, and `serve`, `run` and
    `worker` refuse to start)."""
    if key := env.get("CASEDESK_SECRET_KEY", "").strip():
        return key
    named = env.get("CASEDESK_SECRET_KEY_FILE", "").strip()
    path = Path(named) if named else var_dir / FILE_NAME
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as missing:
        if named:
            raise SecretKeyError(
                f"CASEDESK_SECRET_KEY_FILE names {named}, which does not exist.") from missing
        return ""


def configured_secret_key() -> str:
    """The settings' key; "" when there is none (Django refuses to hand out an empty one)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return str(settings.SECRET_KEY)
    except ImproperlyConfigured:
        return ""


def secret_key_problem(key: str) -> str | None:
    """Why `key` cannot serve an installation, or None."""
    if not key:
        return MISSING
    if len(key) < MIN_LENGTH:
        return f"The secret key is too short ({len(key)} characters; use at least {MIN_LENGTH})."
    return None


def ensure_secret_key_file(var_dir: Path) -> Path:
    """Creates the var directory's key file with a new random key, once; readable by its
    owner only."""
    path = var_dir / FILE_NAME
    if path.exists():
        return path
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago: keep theirs
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(50) + "\n")
    return path
