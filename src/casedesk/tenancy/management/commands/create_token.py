from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core.errors import DomainError
from casedesk.tenancy.services import membership_for, token_create


class Command(BaseCommand):
    help = "Prints a new API token for a member of a tenant, and nothing else, on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        parser.add_argument("--user", required=True, metavar="EMAIL")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")
        parser.add_argument("--read-only", action="store_true",
                            help="The token may read but not change anything (API and MCP).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            membership = membership_for(tenant_slug=options["tenant"], email=options["user"])
        except DomainError as error:
            raise CommandError(error.detail) from None
        issued = token_create(membership=membership, name=options["name"] or "cli",
                              read_only=options["read_only"])
        self.stdout.write(issued.secret)
