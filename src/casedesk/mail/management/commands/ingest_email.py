"""`casedesk ingest_email --tenant SLUG [FILE|-]`: one raw message from an MTA pipe; with
`--mbox FILE`, every message of an mbox file (an import), in batch mode.

Exit codes are the sysexits MTAs understand: 0 taken in (a new case, a reply, a stranger's
answer held for a manager, a redelivery of a message already taken in, or a message
quarantined because its sender authentication failed: bouncing that one would mail a likely
forged sender), 65 (EX_DATAERR) stored but quarantined as unreadable (for an mbox: at least
one was), 75 (EX_TEMPFAIL) not taken in now — the MTA keeps the message and retries.
"""

import mailbox
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from casedesk.core import clock
from casedesk.mail.ingest import AUTH_FAILED, ingest, ingest_batch
from casedesk.mail.models import InboundStatus
from casedesk.tenancy.models import Tenant

EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL = 0, 64, 65, 66, 75


class Command(BaseCommand):
    help = "Takes in one raw RFC 5322 message (a file, or - for standard input)."
    # An MTA runs this once per message: the system checks (which load every URL and API
    # module, and what they import) are `casedesk check`'s and the server's work.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        parser.add_argument("file", nargs="?", default="-")
        parser.add_argument("--mbox", metavar="FILE",
                            help="Take in every message of this mbox file instead.")
        parser.add_argument("--batch-size", type=int, default=500,
                            help="Messages stored per transaction with --mbox.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        except DatabaseError as error:
            self._exit(EX_TEMPFAIL, f"database unavailable: {error}")
        if tenant is None:
            self._exit(EX_USAGE, f"No tenant with the slug {options['tenant']!r}.")
        if options["mbox"]:
            self._mbox(tenant, options["mbox"], max(1, options["batch_size"]))
            return
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
        if (result.status == InboundStatus.QUARANTINED
                and result.message.error.startswith(AUTH_FAILED)):
            self.stdout.write(f"quarantined (message {result.message.pk}): {AUTH_FAILED}")
            return
        if result.status == InboundStatus.QUARANTINED:
            self._exit(EX_DATAERR, f"Quarantined (message {result.message.pk}): "
                                   f"{result.message.error}")
        case = result.case
        what = ("new case" if result.created else
                "duplicate of" if result.status == InboundStatus.DUPLICATE else
                "held for a manager to accept, answering" if result.status == InboundStatus.HELD
                else "reply on")
        self.stdout.write(f"{what} {case.display_number if case else ''}".strip())

    def _mbox(self, tenant: Tenant, path: str, size: int) -> None:
        try:
            box = mailbox.mbox(path, create=False)
            keys = box.keys()
        except (OSError, mailbox.Error) as error:
            self._exit(EX_NOINPUT, f"Cannot read the mbox {path}: {error}")
        counts: dict[str, int] = {}
        for start in range(0, len(keys), size):
            raws = [box.get_bytes(key) for key in keys[start:start + size]]
            try:
                results = ingest_batch(tenant=tenant, raws=raws, now=clock.now(), channel="pipe")
            except DatabaseError as error:
                self._exit(EX_TEMPFAIL, f"database unavailable after {start} messages: {error}")
            for result in results:
                counts[result.status] = counts.get(result.status, 0) + 1
        self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                          or "no messages")
        if counts.get(InboundStatus.QUARANTINED):
            self._exit(EX_DATAERR, f"{counts[InboundStatus.QUARANTINED]} quarantined: see "
                                   "the quarantine list.")

    def _exit(self, code: int, message: str) -> NoReturn:
        self.stderr.write(message)
        sys.exit(code)
