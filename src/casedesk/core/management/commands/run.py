import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core.secret_key import (
    configured_secret_key,
    ensure_secret_key_file,
    secret_key_problem,
)
from casedesk.core.supervisor import Part, supervise


class Command(BaseCommand):
    help = ("Runs everything a desk needs in one process group: the web server (`serve`) and "
            "a worker (`worker`: the task queue, SLA sweeps, mailbox polling, the outbox). "
            "Ctrl-C or SIGTERM stops both; if one of them ends, the other is stopped too.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CASEDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int,
                            default=int(os.environ.get("CASEDESK_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=None,
                            help="The web server's worker processes (default: serve's).")
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        env = dict(os.environ)
        key = configured_secret_key()
        if not key:
            # A local installation gets its own random key once, kept under var/.
            path = ensure_secret_key_file(settings.VAR_DIR)
            env["CASEDESK_SECRET_KEY_FILE"] = str(path)
            self.stdout.write(f"Created a secret key for this installation in {path}")
        elif problem := secret_key_problem(key):
            raise CommandError(problem)
        me = [sys.executable, "-m", "casedesk"]
        serve = [*me, "serve", "--host", options["host"], "--port", str(options["port"])]
        if options["web_workers"]:
            serve += ["--workers", str(options["web_workers"])]
        if options["no_collectstatic"]:
            serve.append("--no-collectstatic")
        parts = [Part("web server", serve), Part("worker", [*me, "worker"])]

        def say(line: str) -> None:
            self.stdout.write(f"casedesk run: {line}")
            self.stdout.flush()

        outcome = supervise(parts, env=env, say=say)
        if outcome.exit_code:
            raise CommandError(f"{outcome.first_to_end} stopped unexpectedly "
                               f"(exit code {outcome.codes.get(outcome.first_to_end or '')}).",
                               returncode=outcome.exit_code)
