from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Runs background and scheduled work (django-tasks-db's db_worker on every queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*")
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true",
                            help="Process what is queued, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        argv = ["--queue-name", options["queue_name"], "--interval", str(options["interval"]),
                "--no-reload"]
        if options["batch"]:
            argv.append("--batch")
        if options["max_tasks"]:
            argv += ["--max-tasks", str(options["max_tasks"])]
        call_command("db_worker", *argv)
