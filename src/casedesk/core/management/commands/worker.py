import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from casedesk.core import clock


class Command(BaseCommand):
    help = ("Runs background and scheduled work: django-tasks-db's db_worker on every queue, "
            "and the tenants' scheduled SLA sweeps.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*")
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true",
                            help="Run what is due and queued, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--no-schedule", action="store_true",
                            help="Leave the scheduled sweeps to other workers.")
        parser.add_argument("--schedule-every", type=float, default=30.0, metavar="SECONDS",
                            help="How often to look for due scheduled sweeps.")

    def handle(self, *args: Any, **options: Any) -> None:
        from casedesk.sla.schedule import run_due_sweeps, run_forever

        argv = ["--queue-name", options["queue_name"], "--interval", str(options["interval"]),
                "--no-reload"]
        if options["max_tasks"]:
            argv += ["--max-tasks", str(options["max_tasks"])]
        if options["batch"]:
            if not options["no_schedule"]:
                for slug, report in run_due_sweeps(clock.now()).items():
                    self.stdout.write(f"SLA sweep for {slug}: {report.summary()}")
            call_command("db_worker", *argv, "--batch")
            return
        stop = threading.Event()
        if not options["no_schedule"]:
            threading.Thread(target=run_forever, args=(stop, options["schedule_every"]),
                             name="sla-schedule", daemon=True).start()
        try:
            call_command("db_worker", *argv)
        finally:
            stop.set()
