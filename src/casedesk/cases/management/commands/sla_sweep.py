import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core import clock
from casedesk.tenancy.models import Tenant


class Command(BaseCommand):
    help = ("Marks SLA breaches, raises priorities, notifies owners and managers, sends "
            "warnings and runs the escalation rules; for one tenant or all.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
        report = sla_sweep(now=clock.now(), tenant=tenant)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), default=str))
        else:
            self.stdout.write(report.summary())
