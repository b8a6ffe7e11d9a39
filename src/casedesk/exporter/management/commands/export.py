"""`casedesk export`: a full export of a tenant made in the foreground, or one list streamed
to standard output (or a file)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from ninja import Schema
from pydantic import ValidationError

from casedesk.cases.api import list_filters
from casedesk.cases.schemas import CaseListFilters, StatusName
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.priority import PriorityName
from casedesk.core.schemas import MAX_ID
from casedesk.exporter import lists
from casedesk.exporter.jobs import export_job_run
from casedesk.exporter.models import ExportStatus
from casedesk.exporter.rows import FORMATS, Format
from casedesk.exporter.services import export_request
from casedesk.tenancy.models import Membership, Tenant

LISTS = ("cases", "contacts", "accounts")
# The filters of the contact and account lists (the case list takes `GET /cases`' filters).
CRM_FILTERS = {"contacts": ("q", "account", "email"), "accounts": ("q",)}
MULTIPLE = ("status", "priority")  # filters that may be given more than once


class _Repeated(Schema):
    """The case filters that may be given more than once."""

    status: list[StatusName] | None = None
    priority: list[PriorityName] | None = None


def parse_filters(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs as a dict; the filters that take several values collect them in a list."""
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CommandError(f"A filter is written key=value, not {pair!r}.")
        if key in MULTIPLE:
            found.setdefault(key, []).append(value)
        elif key in found:
            raise CommandError(f"The filter {key} is given twice.")
        else:
            found[key] = value
    return found


class Command(BaseCommand):
    help = ("Exports a tenant. Without --list: the full export (every record as JSON Lines, "
            "raw mail, files, manifest.json) made now, in the foreground, saved where the "
            "web page keeps them and copied to --output when given. With --list cases|"
            "contacts|accounts: that list, filtered by --filter key=value (the filters of "
            "GET /api/v1/cases, or q/account/email for contacts, q for accounts), as CSV or "
            "JSON Lines on standard output or to --output.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", required=True)
        parser.add_argument("--output", metavar="PATH", help="Write the export to this file.")
        parser.add_argument("--list", choices=LISTS, help="Export one list instead.")
        parser.add_argument("--format", choices=FORMATS, default="csv",
                            help="The list's format (default csv).")
        parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                            help="A filter of the list; repeat for more.")
        parser.add_argument("--user", metavar="EMAIL",
                            help="The member `owner=me` means (lists of cases).")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
        output = Path(options["output"]) if options["output"] else None
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"The folder of {output} does not exist.")
        if options["list"]:
            self._list(tenant, options, output)
        else:
            if options["filter"]:
                raise CommandError("--filter goes with --list.")
            self._full(tenant, output)

    def _full(self, tenant: Tenant, output: Path | None) -> None:
        now = clock.now()
        try:
            job = export_request(tenant=tenant, actor=None, now=now, in_background=False)
        except DomainError as error:
            raise CommandError(error.detail) from None
        built = export_job_run(job.pk, now)
        if built is None or built.status != ExportStatus.DONE or not built.file.name:
            reason = built.error if built is not None else "another worker took it"
            raise CommandError(f"Export {job.pk} failed: {reason}")
        if output is not None:
            with default_storage.open(built.file.name, "rb") as source, output.open("wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
        where = output if output is not None else built.file.name
        counts = ", ".join(f"{k} {v}" for k, v in sorted(built.counts.items()) if v)
        self.stderr.write(f"Export {built.pk} of {tenant.slug}: {built.size:,} bytes at "
                          f"{where} ({counts})")

    def _list(self, tenant: Tenant, options: dict[str, Any], output: Path | None) -> None:
        kind: str = options["list"]
        fmt: Format = options["format"]
        given = parse_filters(options["filter"])
        membership = self._membership(tenant, options["user"])
        now = clock.now()
        try:
            export = self._export(kind, tenant, membership, given, fmt, now)
            stream = lists.list_export_start(
                tenant=tenant, actor=membership.user if membership.user_id else None,
                export=export, fmt=fmt, now=now)
            if output is not None:
                with output.open("wb") as out:
                    self._copy(stream, out)
            else:
                for piece in stream:
                    self.stdout.write(piece.decode("utf-8"), ending="")
        except DomainError as error:
            raise CommandError(error.detail) from None

    @staticmethod
    def _copy(stream: Any, out: IO[bytes]) -> None:
        for piece in stream:
            out.write(piece)

    @staticmethod
    def _membership(tenant: Tenant, email: str | None) -> Membership:
        if not email:
            return Membership(tenant=tenant)
        found = (Membership.objects.select_related("user", "tenant")
                 .filter(tenant=tenant, user__email=email.strip().lower()).first())
        if found is None:
            raise CommandError(f"{email} is not a member of {tenant.slug}.")
        return found

    @staticmethod
    def _export(kind: str, tenant: Tenant, membership: Membership, given: dict[str, Any],
                fmt: Format, now: Any) -> lists.ListExport:
        if kind == "cases":
            if given.get("owner") == "me" and not membership.user_id:
                raise CommandError("owner=me needs --user EMAIL.")
            try:
                query = CaseListFilters.model_validate(
                    {k: v for k, v in given.items() if k not in MULTIPLE})
                repeated = _Repeated.model_validate(
                    {k: v for k, v in given.items() if k in MULTIPLE})
            except ValidationError as error:
                problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                     for e in error.errors())
                raise CommandError(f"Filters not understood: {problems}") from None
            found = list_filters(membership, query, now, status=repeated.status,
                                 priority=repeated.priority)
            export = lists.case_export(tenant, found, fmt)
            export.filters = lists.filters_given({**repeated.dict(), **query.dict()})
            return export
        unknown = sorted(set(given) - set(CRM_FILTERS[kind]))
        if unknown:
            raise CommandError(f"{kind} take the filters {', '.join(CRM_FILTERS[kind])}; "
                               f"not {', '.join(unknown)}.")
        if kind == "contacts":
            account = given.get("account")
            if account is not None and not (account.isdecimal() and 0 < int(account) <= MAX_ID):
                raise CommandError("account is an account id.")
            export = lists.contact_export(tenant, q=given.get("q"),
                                          account_id=int(account) if account else None,
                                          email=given.get("email"))
        else:
            export = lists.account_export(tenant, q=given.get("q"))
        export.filters = lists.filters_given(given)
        return export
