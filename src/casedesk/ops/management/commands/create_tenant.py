from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core.errors import DomainError
from casedesk.ops.provisioning import tenant_create


class Command(BaseCommand):
    help = "Creates a tenant with default picklists and queues, and its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", required=True, metavar="EMAIL")
        parser.add_argument("--password", help="Sets the admin's password (new or existing).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = tenant_create(slug=options["slug"], name=options["name"],
                                   admin_email=options["admin"],
                                   admin_password=options["password"])
        except DomainError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"Created tenant {tenant.slug} ({tenant.name}); "
                          f"admin {options['admin'].strip().lower()}.")
