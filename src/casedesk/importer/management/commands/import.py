from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.importer.formats import READERS
from casedesk.importer.mapping import Mapping, mapping_load
from casedesk.importer.services import find_tenant, import_run
from casedesk.importer.sources import MAX_FILE_BYTES, SourceFile

MAX_SHOWN = 200


def _read(path: Path) -> SourceFile:
    if not path.is_file():
        raise CommandError(f"{path}: no such file.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CommandError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    return SourceFile(name=path.name, data=path.read_bytes())


class Command(BaseCommand):
    help = ("Imports another desk's export into a tenant: accounts, contacts, cases with their "
            "original times, comments as notes, tags and custom fields. Routing, SLA, "
            "acknowledgements and automations do not fire. Original ids are remembered: "
            "running the same import again changes nothing. Every row is checked first; "
            "refused rows are listed as FILE line N / record N: reason, and then nothing is "
            "imported (unless --skip-invalid).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE",
                            help="The export's files (Zendesk: tickets/users/organizations "
                                 "JSON; Freshdesk: the ticket export CSV; Salesforce: "
                                 "Case.csv, Account.csv, Contact.csv, CaseComment.csv, …).")
        parser.add_argument("--tenant", metavar="SLUG", required=True)
        parser.add_argument("--format", required=True, choices=sorted(READERS))
        parser.add_argument("--mapping", metavar="MAPPING.json",
                            help="Column and value mapping (see the README).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check every row and tell what would happen; write nothing.")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="Import the good rows even when others are refused.")

    def handle(self, *args: Any, **options: Any) -> None:
        files = [_read(Path(name)) for name in options["files"]]
        try:
            tenant = find_tenant(options["tenant"])
            mapping = Mapping()
            if options["mapping"]:
                path = Path(options["mapping"])
                if not path.is_file():
                    raise CommandError(f"{path}: no such mapping file.")
                mapping = mapping_load(path.read_bytes())
            outcome = import_run(tenant=tenant, actor=None, format=options["format"],
                                 files=files, mapping=mapping, now=clock.now(),
                                 dry_run=options["dry_run"],
                                 skip_invalid=options["skip_invalid"])
        except DomainError as error:
            raise CommandError(error.detail) from None
        for problem in outcome.problems[:MAX_SHOWN]:
            self.stderr.write(f"{problem.where}: {problem.message}")
        if len(outcome.problems) > MAX_SHOWN:
            self.stderr.write(f"… and {len(outcome.problems) - MAX_SHOWN} more.")
        if options["verbosity"] > 1:
            for skipped in outcome.plan.skipped:
                self.stdout.write(f"skipped {skipped.where}: {skipped.message}")
        self.stdout.write(outcome.summary()
                          + (". Dry run: nothing was written." if outcome.dry_run else "."))
        count = len(outcome.problems)
        if outcome.dry_run and count:
            raise CommandError(f"{count} row{'s' if count != 1 else ''} would be refused.")
        if outcome.refused:
            raise CommandError(f"{count} row{'s' if count != 1 else ''} refused: nothing was "
                               "imported (fix them, or use --skip-invalid).")
        if count:
            raise CommandError(f"{count} row{'s' if count != 1 else ''} refused and not "
                               "imported; the others were.")
