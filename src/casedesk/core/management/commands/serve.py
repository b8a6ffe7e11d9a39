import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core.secret_key import configured_secret_key, secret_key_problem

LIMIT_REQUEST_LINE = 4094
LIMIT_REQUEST_FIELDS = 100
LIMIT_REQUEST_FIELD_SIZE = 8190


class Command(BaseCommand):
    help = "Serves casedesk with gunicorn (production-grade, several worker processes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CASEDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CASEDESK_PORT",
                                                                           "8000")))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("CASEDESK_WORKERS", "0")) or None,
                            help="Worker processes (default: 2 × cores, at least 2).")
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("CASEDESK_THREADS", "4")))
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if problem := secret_key_problem(configured_secret_key()):
            raise CommandError(problem)
        workers = options["workers"] or max(2, 2 * (os.cpu_count() or 1))
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.wsgiapp import WSGIApplication

        argv = [
            "gunicorn", "casedesk.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(workers),
            "--threads", str(options["threads"]),
            # gthread, answering a request line or headers over these limits (gunicorn's
            # defaults, stated) with the API's JSON error instead of an HTML page.
            "--worker-class", "casedesk.core.server_worker.JsonErrorsWorker",
            "--limit-request-line", str(LIMIT_REQUEST_LINE),
            "--limit-request-fields", str(LIMIT_REQUEST_FIELDS),
            "--limit-request-field_size", str(LIMIT_REQUEST_FIELD_SIZE),
            "--graceful-timeout", "20",
            "--timeout", "60",
            # Several servers may share a machine (web, bench, tests): no shared socket path.
            "--no-control-socket",
        ]
        if settings.DEBUG:
            # Off otherwise: gunicorn formats a line per request even for /dev/null.
            argv += ["--access-logfile", "-"]
        self.stdout.write(f"casedesk serving on http://{options['host']}:{options['port']} "
                          f"({workers} workers)")
        self.stdout.flush()
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
