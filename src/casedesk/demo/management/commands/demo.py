import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.secret_key import configured_secret_key, ensure_secret_key_file
from casedesk.demo.assist_builder import demo_assist_ensure
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
        if not configured_secret_key():
            # `make run` builds the demo before `casedesk run` first starts, and the demo signs
            # its satisfaction surveys' links: the installation's key is made here then, the
            # same file `run` would make and read.
            path = ensure_secret_key_file(settings.VAR_DIR)
            settings.SECRET_KEY = path.read_text(encoding="utf-8").strip()
            self.stdout.write(f"Created a secret key for this installation in {path}")
        started = time.monotonic()
        try:
            result = demo_build(now=clock.now(), cases=options["cases"])
        except DomainError as error:
            raise CommandError(f"The demo tenant could not be built: {error.detail}") from None
        # Training reads the committed history outside the build's transaction.
        assist = demo_assist_ensure(result.tenant, now=clock.now())
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Demo tenant {result.tenant.slug!r} ({result.tenant.name}): {result.people} "
            f"people, {result.queues} queues, {result.accounts} accounts, {result.contacts} "
            f"contacts, {result.deals} deals, {result.cases} cases "
            f"({result.cases_created} added), {result.articles} articles "
            f"({result.articles_created} added) in {seconds:.1f} s."
        )
        if assist.model_version is not None:
            self.stdout.write(f"Triage model v{assist.model_version} trained"
                              f"{'' if assist.usable else ' (not usable: too little history)'}; "
                              f"{assist.indexed} cases indexed for similar cases.")
        self.stdout.write("Demo logins (email / password):")
        for login in result.logins:
            self.stdout.write(f"  {login.role:<8} {login.email} / {login.password}")
