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


def browser_address(host: str) -> str | None:
    """How a browser on this machine names `host` in a URL; None for a wildcard address
    (0.0.0.0, ::), which no browser can connect to by that name."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        return None
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Command(BaseCommand):
    help = ("Runs everything a desk needs in one process group: the web server (`serve`), "
            "a worker (`worker`: the task queue, SLA sweeps, mailbox polling, the outbox) and "
            "the live chat server (`live`, on the web port + 1). Ctrl-C or SIGTERM stops them "
            "all; if one of them ends, the others are stopped too.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CASEDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int,
                            default=int(os.environ.get("CASEDESK_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=None,
                            help="The web server's worker processes (default: serve's).")
        parser.add_argument("--live-port", type=int, default=None,
                            help="The live chat server's port (default: --port + 1).")
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        live_port = options["live_port"] or options["port"] + 1
        if not 0 < live_port < 65536 or live_port == options["port"]:
            raise CommandError("--live-port must be between 1 and 65535, not the web port.")
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
        live = [*me, "live", "--host", options["host"], "--port", str(live_port)]
        if not env.get("CASEDESK_LIVE_URL"):
            # Pages tell browsers where the streams are (`core` knows `live` by name only).
            if address := browser_address(options["host"]):
                env["CASEDESK_LIVE_URL"] = f"http://{address}:{live_port}"
            else:
                self.stdout.write(
                    f"Listening on every address: set CASEDESK_LIVE_URL to the address "
                    f"browsers reach port {live_port} at (e.g. http://192.0.2.10:{live_port}); "
                    "until then chat polls the web server.")
        parts = [Part("web server", serve), Part("worker", [*me, "worker"]),
                 Part("live server", live)]

        def say(line: str) -> None:
            self.stdout.write(f"casedesk run: {line}")
            self.stdout.flush()

        outcome = supervise(parts, env=env, say=say)
        if outcome.exit_code:
            raise CommandError(f"{outcome.first_to_end} stopped unexpectedly "
                               f"(exit code {outcome.codes.get(outcome.first_to_end or '')}).",
                               returncode=outcome.exit_code)
