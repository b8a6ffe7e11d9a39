from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.kb.index import reindex_articles
from casedesk.tenancy.models import Tenant


class Command(BaseCommand):
    help = ("Rebuilds the knowledge base's search index from the articles (after restoring a "
            "database, or to repair it): every tenant's, or one tenant's with --tenant.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant's articles.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
            tenant = tenants.get()
            count = reindex_articles(tenant.pk)
            self.stdout.write(f"Indexed {count} articles of {tenant.slug}.")
            return
        # One pass over everything also drops index rows no article stands behind.
        total = reindex_articles(None)
        self.stdout.write(f"Indexed {total} articles of {tenants.count()} tenants.")
