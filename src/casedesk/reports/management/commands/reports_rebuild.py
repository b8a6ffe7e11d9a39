from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.reports.rollup import facts_check, facts_rebuild
from casedesk.tenancy.models import Tenant

SHOWN = 20


class Command(BaseCommand):
    help = ("Recomputes the reports' facts of every case from scratch (for one tenant or "
            "all). With --check, writes nothing: compares the stored facts with a "
            "recomputation and exits 1 when they differ.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant.")
        parser.add_argument("--check", action="store_true",
                            help="Compare only; exit 1 when the stored facts differ.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
        differing = 0
        for tenant in tenants:
            if options["check"]:
                found = facts_check(tenant)
                differing += len(found)
                for d in found[:SHOWN]:
                    self.stdout.write(f"{tenant.slug}: case {d.case_id} {d.field}: stored "
                                      f"{d.stored!r}, recomputed {d.computed!r}")
                self.stdout.write(f"{tenant.slug}: {len(found)} difference(s)")
            else:
                done = facts_rebuild(tenant)
                self.stdout.write(f"{tenant.slug}: facts of {done} case(s) rebuilt")
        if differing:
            raise CommandError(f"{differing} difference(s) between the stored facts and a "
                               "recomputation; run reports_rebuild without --check to fix")
