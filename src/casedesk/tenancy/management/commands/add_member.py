from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core.errors import DomainError
from casedesk.tenancy.models import Role, Tenant
from casedesk.tenancy.services import member_add


class Command(BaseCommand):
    help = ("Adds a person to a tenant with a role (or changes the role of a member), for "
            "scripts; the user is created when new.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="The person's full name.")
        parser.add_argument("--password",
                            help="Sets the person's password (new or existing user).")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
        try:
            membership, created = member_add(
                tenant=tenant, email=options["email"], role=options["role"],
                full_name=options["name"], password=options["password"])
        except DomainError as error:
            raise CommandError(error.detail) from None
        user = membership.user
        done = "Added" if created else "Updated"
        self.stdout.write(f"{done} {user.email} in {tenant.slug} as {membership.role}.")
        if not user.has_usable_password():
            self.stdout.write("They have no password yet: run this again with --password, "
                              "or set one with `casedesk changepassword "
                              f"{user.email}`.")
