"""`casedesk live`: the live chat server (uvicorn serving casedesk's ASGI application).

It serves the whole site, but production sends it only `/live/` (the chat streams, which
stay open for minutes); pages and the API stay on `casedesk serve` (gunicorn). README, "Live
chat"."""

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from casedesk.core.secret_key import configured_secret_key, secret_key_problem

# Connections one process holds at once (each open stream is one): past it, 503.
LIMIT_CONCURRENCY = 4000
BACKLOG = 2048
# Seconds an idle keep-alive connection is kept; open streams are never idle (keep-alive
# comments every 15 s).
TIMEOUT_KEEP_ALIVE = 5
# On SIGTERM: seconds the open streams get to end before they are cut (the browsers
# reconnect to another process or to this one restarted, from their Last-Event-ID).
TIMEOUT_GRACEFUL_SHUTDOWN = 5
# The largest request head accepted (h11 buffers it whole).
MAX_REQUEST_HEAD = 16 * 1024


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdecimal() else default


class Command(BaseCommand):
    help = (
        "Serves live chat (Server-Sent Events under /live/) with uvicorn. Run it beside "
        "`casedesk serve` and route /live/ to it; `casedesk run` starts it on the web "
        "port + 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("CASEDESK_LIVE_HOST")
            or os.environ.get("CASEDESK_HOST", "127.0.0.1"),
        )
        parser.add_argument("--port", type=int, default=_env_int("CASEDESK_LIVE_PORT", 8001))
        parser.add_argument(
            "--workers",
            type=int,
            default=_env_int("CASEDESK_LIVE_WORKERS", 1) or 1,
            help="Processes (default 1: one process holds thousands of "
            "streams; each has its own LISTEN connection).",
        )
        parser.add_argument(
            "--limit-concurrency",
            type=int,
            default=_env_int("CASEDESK_LIVE_MAX_CONNECTIONS", LIMIT_CONCURRENCY),
            help="Open connections per process before answering 503.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if not 1 <= options["workers"] <= 64:
            raise CommandError("--workers must be between 1 and 64.")
        if not 10 <= options["limit_concurrency"] <= 100_000:
            raise CommandError("--limit-concurrency must be between 10 and 100000.")
        if problem := secret_key_problem(configured_secret_key()):
            raise CommandError(problem)
        import uvicorn

        how = (
            "LISTEN/NOTIFY"
            if connections["default"].vendor == "postgresql"
            else "polling the database"
        )
        self.stdout.write(
            f"casedesk live on http://{options['host']}:{options['port']} "
            f"({options['workers']} worker{'s' if options['workers'] > 1 else ''}"
            f", {how})"
        )
        self.stdout.flush()
        uvicorn.run(
            "casedesk.chat.live_asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            # Django's ASGI handler speaks no lifespan protocol.
            lifespan="off",
            # The client's address is the peer's, as under gunicorn: casedesk reads a proxy's
            # header itself where it is configured to (CASEDESK_CLIENT_IP_HEADER).
            proxy_headers=False,
            server_header=False,
            access_log=bool(settings.DEBUG),
            log_level="info" if settings.DEBUG else "warning",
            limit_concurrency=options["limit_concurrency"],
            backlog=BACKLOG,
            timeout_keep_alive=TIMEOUT_KEEP_ALIVE,
            timeout_graceful_shutdown=TIMEOUT_GRACEFUL_SHUTDOWN,
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
        )
