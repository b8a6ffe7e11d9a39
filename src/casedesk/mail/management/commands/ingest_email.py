"""`casedesk ingest_email --tenant SLUG [FILE|-]`: one raw message from an MTA pipe.

Exit codes are the sysexits MTAs understand: 0 taken in (a new case, a reply, or a
redelivery of a message already taken in), 65 (EX_DATAERR) stored but quarantined as
unreadable, 75 (EX_TEMPFAIL) not taken in now — the MTA keeps the message and retries.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from casedesk.core import clock
from casedesk.mail.models import InboundStatus
from casedesk.mail.services import ingest
from casedesk.tenancy.models import Tenant

EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL = 0, 64, 65, 66, 75


class Command(BaseCommand):
    help = "Takes in one raw RFC 5322 message (a file, or - for standard input)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        parser.add_argument("file", nargs="?", default="-")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        except DatabaseError as error:
            self._exit(EX_TEMPFAIL, f"database unavailable: {error}")
        if tenant is None:
            self._exit(EX_USAGE, f"No tenant with the slug {options['tenant']!r}.")
        try:
            if options["file"] == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(options["file"], "rb") as handle:
                    raw = handle.read()
        except OSError as error:
            self._exit(EX_NOINPUT, f"Cannot read {options['file']}: {error}")
        if not raw:
            self._exit(EX_DATAERR, "Empty input: no message to take in.")
        try:
            result = ingest(tenant=tenant, raw=raw, now=clock.now(), channel="pipe")
        except DatabaseError as error:
            self._exit(EX_TEMPFAIL, f"database unavailable: {error}")
        if result.status == InboundStatus.QUARANTINED:
            self._exit(EX_DATAERR, f"Quarantined (message {result.message.pk}): "
                                   f"{result.message.error}")
        case = result.case
        what = ("new case" if result.created else
                "duplicate of" if result.status == InboundStatus.DUPLICATE else "reply on")
        self.stdout.write(f"{what} {case.display_number if case else ''}".strip())

    def _exit(self, code: int, message: str) -> Any:
        self.stderr.write(message)
        sys.exit(code)
