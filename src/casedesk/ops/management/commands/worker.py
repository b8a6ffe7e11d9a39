import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.core.origin import process_via
from casedesk.core.secret_key import configured_secret_key, secret_key_problem
from casedesk.ops import schedule


class Command(BaseCommand):
    help = ("Runs background and scheduled work: django-tasks-db's db_worker on every queue, "
            "and the schedule: the tenants' SLA sweeps, the polling of their IMAP mailboxes, "
            "and the outbox.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*")
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true",
                            help="Run what is due and queued, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--no-schedule", action="store_true",
                            help="Leave the schedule (sweeps, mailboxes, outbox) to other "
                                 "workers.")
        parser.add_argument("--schedule-every", type=float, default=30.0, metavar="SECONDS",
                            help="How often to look for due sweeps and mailboxes.")

    def handle(self, *args: Any, **options: Any) -> None:
        if problem := secret_key_problem(configured_secret_key()):
            raise CommandError(problem)
        with process_via("worker"):
            self._work(options)

    def _work(self, options: dict[str, Any]) -> None:
        argv = ["--queue-name", options["queue_name"], "--interval", str(options["interval"]),
                "--no-reload"]
        if options["max_tasks"]:
            argv += ["--max-tasks", str(options["max_tasks"])]
        if options["batch"]:
            if not options["no_schedule"]:
                for line in schedule.run_all_once(clock.now(), options["schedule_every"]):
                    self.stdout.write(line)
            call_command("db_worker", *argv, "--batch")
            return
        stop = threading.Event()
        if not options["no_schedule"]:
            schedule.start(stop, options["schedule_every"])
        try:
            call_command("db_worker", *argv)
        finally:
            stop.set()
