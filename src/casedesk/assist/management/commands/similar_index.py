"""`casedesk similar_index --tenant SLUG [--rebuild]`: the similar-case index of a tenant.
Without --rebuild it indexes only the cases that have none yet (a first build when the
tenant has no index); with it, everything from scratch, with exact document frequencies
(after a bulk load). The worker keeps the index current otherwise."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.assist.models import SimilarIndexState
from casedesk.assist.similar import similar_catch_up, similar_rebuild
from casedesk.core import clock
from casedesk.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Builds or catches up a tenant's similar-case index."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument(
            "--rebuild", action="store_true", help="Build the whole index again from the cases."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        now = clock.now()
        built = SimilarIndexState.objects.filter(tenant=tenant, built_at__isnull=False).exists()
        if options["rebuild"] or not built:
            report = similar_rebuild(tenant, now)
            self.stdout.write(
                f"Indexed {report.cases} case(s): {report.terms} terms, "
                f"{report.postings} postings in {report.seconds:.1f} s."
            )
        else:
            done = similar_catch_up(tenant, now)
            self.stdout.write(f"Indexed {done} case(s) that had no signature.")
