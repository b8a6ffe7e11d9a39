import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.demo.builder import DEMO_CASES, demo_build


class Command(BaseCommand):
    help = ("Creates or refreshes the `demo` tenant (staff, queues, accounts, contacts, deals, "
            "cases with their timelines and knowledge-base articles) and prints its logins. "
            "Safe to run again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=DEMO_CASES,
                            help=f"How many demo cases the tenant should have "
                                 f"(default {DEMO_CASES}).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 0:
            raise CommandError("--cases cannot be negative.")
        started = time.monotonic()
        try:
            result = demo_build(now=clock.now(), cases=options["cases"])
        except DomainError as error:
            raise CommandError(f"The demo tenant could not be built: {error.detail}") from None
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Demo tenant {result.tenant.slug!r} ({result.tenant.name}): {result.people} "
            f"people, {result.queues} queues, {result.accounts} accounts, {result.contacts} "
            f"contacts, {result.deals} deals, {result.cases} cases "
            f"({result.cases_created} added), {result.articles} articles "
            f"({result.articles_created} added) in {seconds:.1f} s."
        )
        self.stdout.write("Demo logins (email / password):")
        for login in result.logins:
            self.stdout.write(f"  {login.role:<8} {login.email} / {login.password}")
