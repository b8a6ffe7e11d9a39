from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.tenancy.models import ApiToken
from casedesk.tenancy.services import token_revoke
from casedesk.tenancy.tokens import token_digest


class Command(BaseCommand):
    help = "Revokes an API token, given the token itself or its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", help="The token, or its numeric id.")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["token"].strip()
        qs = ApiToken.objects.all()
        token = (qs.filter(pk=int(value)).first() if value.isdecimal() and len(value) < 19
                 else qs.filter(digest=token_digest(value)).first())
        if token is None:
            raise CommandError("No such token.")
        token_revoke(token=token, now=clock.now())
        self.stdout.write(f"Revoked token {token.pk} ({token.prefix}…).")
