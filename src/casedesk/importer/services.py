"""Importing another desk's export: check it all (the dry run), then write it.

`import_run` reads the files (`importer.formats`), plans every row (`importer.planning`)
and, unless it is a dry run, writes the plan: accounts and contacts through the CRM's
services, cases through `cases.imported` (history: no routing, SLA, acknowledgement or
automation), each with its `ImportRecord` in the same transaction, so a row is written
whole or not at all, and a re-run of the same export finds every row unchanged.

A file with refused rows imports nothing unless `skip_invalid` is given: then the good rows
are written and the refused ones reported (a case whose contact was refused is refused too,
so nothing lands half-linked). Rows go in batches of a few hundred, one transaction each; a
batch the database refuses (a contact made meanwhile by mail, say) is retried row by row, so
one bad row costs only itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction

from casedesk.cases.imported import imported_case_update, imported_cases_create
from casedesk.cases.models import Case, PicklistKind, PicklistValue
from casedesk.cases.picklists import Picklists, field_specs
from casedesk.core.errors import DomainError, Invalid, NotFound
from casedesk.crm.models import Account, Contact
from casedesk.crm.services import (
    account_create,
    account_update,
    contact_create,
    contact_update,
)
from casedesk.importer.formats import READERS, export_read
from casedesk.importer.mapping import Mapping
from casedesk.importer.models import ImportRecord
from casedesk.importer.planning import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Known,
    Plan,
    Row,
    import_plan,
)
from casedesk.importer.sources import Problem, SourceFile
from casedesk.importer.translate import CustomFields
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import Membership, Tenant, User

BATCH = 500
Progress = Callable[[int, int], object]  # (rows done, rows in all)


@dataclass
class ImportOutcome:
    """What an import did (or, dry, would do)."""

    format: str
    dry_run: bool
    plan: Plan
    written: bool
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        """Rows were refused and nothing was written because of them."""
        return bool(self.problems) and not self.written and not self.dry_run

    def summary(self) -> str:
        parts = []
        verb = "would be " if self.dry_run else ""
        for kind in ("case", "contact", "account"):
            c = self.counts.get(kind, {})
            parts.append(f"{kind}s: {c.get(CREATED, 0)} {verb}created, "
                         f"{c.get(UPDATED, 0)} {verb}updated, {c.get(UNCHANGED, 0)} unchanged")
        errors = len(self.problems)
        return "; ".join(parts) + f"; {errors} row{'s' if errors != 1 else ''} refused"


def find_tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise NotFound(f"No tenant with the slug {slug!r}.")
    return tenant


def _chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def known_for(tenant: Tenant, source: str, mapping: Mapping, *, emails: list[str],
              account_names: list[str]) -> Known:
    """What planning needs of the tenant, in a few queries."""
    members = list(Membership.objects.filter(tenant=tenant, is_active=True,
                                             user__is_active=True)
                   .values_list("user_id", "user__email", "user__full_name"))
    records = {(kind, external): (object_id, row_digest) for kind, external, object_id, row_digest
               in ImportRecord.objects.filter(tenant=tenant, source=source)
               .values_list("kind", "external_id", "object_id", "digest").iterator(2000)}
    contacts: dict[str, int] = {}
    for chunk in _chunks(sorted({e.strip().lower() for e in emails if e}), 500):
        contacts.update(Contact.objects.filter(tenant=tenant, email__in=chunk)
                        .values_list("email", "id"))
    accounts: dict[str, int] = {}
    for chunk in _chunks(sorted({n.strip() for n in account_names if n.strip()}), 500):
        for name, pk in (Account.objects.filter(tenant=tenant, name__in=chunk)
                         .order_by("id").values_list("name", "id")):
            accounts.setdefault(name.casefold(), pk)
    return Known(
        picklists=Picklists(tenant),
        custom=CustomFields(specs=field_specs(tenant), mapping=mapping),
        closed_reasons=list(PicklistValue.objects.filter(
            tenant=tenant, kind=PicklistKind.CLOSED_REASON, is_active=True)
            .order_by("position", "value").values_list("value", flat=True)),
        members_by_email={email.lower(): uid for uid, email, _ in members},
        members_by_name={name.casefold(): uid for uid, _, name in members if name},
        records=records, contacts_by_email=contacts, accounts_by_name=accounts)


def import_check(tenant: Tenant, format: str, files: list[SourceFile], mapping: Mapping
                 ) -> Plan:
    """The plan of an import, written nowhere: the dry run."""
    if format not in READERS:
        raise Invalid(f"Unknown format {format!r}; one of: {', '.join(READERS)}.",
                      field="format")
    if not files:
        raise Invalid("Name at least one file to import.", field="files")
    export = export_read(format, files, mapping)
    known = known_for(tenant, format, mapping,
                      emails=[c.email for c in export.contacts],
                      account_names=[a.name for a in export.accounts])
    return import_plan(export, known, source=format, mapping=mapping)


class _Writer:
    """Writes a plan, keeping the ids the old desk's references resolve to."""

    def __init__(self, tenant: Tenant, actor: User | None, plan: Plan, now: datetime,
                 progress: Progress | None) -> None:
        self.tenant, self.actor, self.plan, self.now = tenant, actor, plan, now
        self.progress = progress
        self.done = 0
        self.problems: list[Problem] = []
        self.counts = {kind: {CREATED: 0, UPDATED: 0, UNCHANGED: 0}
                       for kind in ("account", "contact", "case")}
        self.emails: dict[str, int] = {}  # contacts this run made or linked, by email
        self.ids: dict[tuple[str, str], int] = {
            (kind, external): object_id
            for (kind, external), (object_id, _) in self._known_records().items()}

    def _known_records(self) -> dict[tuple[str, str], tuple[int, str]]:
        return {(kind, external): (object_id, digest) for kind, external, object_id, digest
                in ImportRecord.objects.filter(tenant=self.tenant, source=self.plan.source,
                                               kind__in=("account", "contact"))
                .values_list("kind", "external_id", "object_id", "digest")}

    def _step(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(self.done, self.plan.total)

    def _records(self, rows: list[tuple[str, str, int, str]]) -> None:
        """Upserts (kind, external id, object id, digest) records, in the caller's
        transaction."""
        ImportRecord.objects.bulk_create(
            [ImportRecord(tenant=self.tenant, source=self.plan.source, kind=kind,
                          external_id=external, object_id=object_id, digest=row_digest,
                          created_at=self.now, updated_at=self.now)
             for kind, external, object_id, row_digest in rows],
            update_conflicts=True, unique_fields=["tenant", "source", "kind", "external_id"],
            update_fields=["object_id", "digest", "updated_at"], batch_size=1000)

    def _refuse(self, row: Row, error: DomainError) -> None:
        self.problems.append(Problem(row.where, error.detail))

    # --- accounts and contacts -------------------------------------------------------------

    def _crm_existing(self, row: Row) -> int | None:
        """Brings an account or contact that is here already up to date; its id (None:
        nothing to write, not even its record)."""
        assert row.existing_id is not None
        if row.action == UNCHANGED and (row.kind, row.external_id) in self.ids:
            return None
        if row.action == UPDATED and row.kind == "account":
            account = Account.objects.get(tenant=self.tenant, pk=row.existing_id)
            account_update(account=account, changes=dict(row.values))
        elif row.action == UPDATED:
            contact = Contact.objects.select_related("tenant").get(tenant=self.tenant,
                                                                  pk=row.existing_id)
            contact_update(contact=contact, changes={**row.values,
                                                     "account_id": self._account_of(row)})
        return row.existing_id

    def _account_of(self, row: Row) -> int | None:
        return self.ids.get(("account", row.account_ref)) if row.account_ref else None

    def _crm_new(self, row: Row) -> int:
        """One new account or contact, through the CRM's services (the slow, sure way)."""
        if row.kind == "account":
            return account_create(tenant=self.tenant, **row.values).pk
        # Written meanwhile (the person's mail came in during the import): join it.
        found = Contact.objects.filter(tenant=self.tenant, email=row.values["email"]).first()
        if found is not None:
            return found.pk
        return contact_create(tenant=self.tenant, account_id=self._account_of(row),
                              **row.values).pk

    def _crm_bulk(self, batch: list[Row]) -> tuple[dict[tuple[str, str], int], set[str]]:
        """Inserts a batch's new accounts or contacts at once (the planning made the same
        checks the CRM's services make: text, lengths, lower-case email and domain); a
        contact whose email another row of this import made already joins it. Returns the
        new ids by record, and the rows that joined another's contact."""
        new = [row for row in batch if row.existing_id is None]
        made: dict[tuple[str, str], int] = {}
        joined: set[str] = set()
        if not new:
            return made, joined
        if new[0].kind == "account":
            accounts = Account.objects.bulk_create(
                [Account(tenant=self.tenant, **row.values) for row in new])
            made = {("account", row.external_id): obj.pk
                    for row, obj in zip(new, accounts, strict=True)}
            return made, joined
        first: dict[str, Row] = {}
        for row in new:
            if row.values["email"] in first or row.values["email"] in self.emails:
                joined.add(row.external_id)
            else:
                first[row.values["email"]] = row
        contacts = Contact.objects.bulk_create(
            [Contact(tenant=self.tenant, account_id=self._account_of(row), **row.values)
             for row in first.values()])
        by_email = {**self.emails, **{obj.email: obj.pk for obj in contacts}}
        made = {("contact", row.external_id): by_email[row.values["email"]]
                for row in new}
        return made, joined

    def _crm_batch(self, batch: list[Row]) -> None:
        with transaction.atomic():
            made, joined = self._crm_bulk(batch)
            records, counts = [], []
            for row in batch:
                if row.existing_id is None:
                    object_id: int | None = made[(row.kind, row.external_id)]
                    counts.append((row.kind, UNCHANGED if row.external_id in joined
                                       else CREATED))
                else:
                    object_id = self._crm_existing(row)
                    counts.append((row.kind, row.action))
                if object_id is not None:
                    records.append((row.kind, row.external_id, object_id, row.digest))
            self._records(records)
        self._keep(records, counts)

    def _keep(self, records: list[tuple[str, str, int, str]],
              counts: list[tuple[str, str]]) -> None:
        """What a committed batch wrote, remembered for the rows that refer to it."""
        for kind, external, object_id, _ in records:
            self.ids[(kind, external)] = object_id
        for kind, action in counts:
            self.counts[kind][action] += 1
        self.emails.update(Contact.objects.filter(
            tenant=self.tenant, pk__in=[r[2] for r in records if r[0] == "contact"])
            .values_list("email", "id"))

    def _crm_row_alone(self, row: Row) -> None:
        try:
            with transaction.atomic():
                object_id = (self._crm_new(row) if row.existing_id is None
                             else self._crm_existing(row))
                records = ([] if object_id is None
                           else [(row.kind, row.external_id, object_id, row.digest)])
                self._records(records)
        except (DomainError, Account.DoesNotExist, Contact.DoesNotExist) as error:
            self._refuse(row, error if isinstance(error, DomainError)
                         else Invalid(f"the {row.kind} it was imported as is gone"))
            return
        self._keep(records, [(row.kind, CREATED if row.existing_id is None else row.action)])

    def crm(self, rows: list[Row]) -> None:
        """Accounts or contacts, a batch at a time; a batch the database refuses (a
        contact made meanwhile by mail) goes again row by row through the CRM's services,
        so only the row at fault is refused."""
        for batch in _chunks(rows, BATCH):
            try:
                self._crm_batch(batch)
            except (DatabaseError, DomainError, Account.DoesNotExist, Contact.DoesNotExist):
                for row in batch:
                    self._crm_row_alone(row)
            self._step(len(batch))

    # --- cases -------------------------------------------------------------------------------

    def _linked(self, row: Row) -> dict[str, Any]:
        return {"account_id": self.ids.get(("account", row.account_ref or "")),
                "contact_id": self.ids.get(("contact", row.contact_ref or ""))}

    def _create_cases(self, rows: list[Row]) -> None:
        assert all(row.case is not None for row in rows)
        items = [replace(row.case, **self._linked(row)) for row in rows if row.case]
        with transaction.atomic():
            made = imported_cases_create(tenant=self.tenant, actor=self.actor, items=items)
            records = []
            for row, (case, notes) in zip(rows, made, strict=True):
                records.append(("case", row.external_id, case.pk, row.digest))
                records.extend(("note", key, note.pk, "")
                               for (key, _), note in zip(row.notes, notes, strict=True))
            self._records(records)
        self.counts["case"][CREATED] += len(rows)

    def _update_case(self, row: Row) -> None:
        assert row.case is not None and row.existing_id is not None
        with transaction.atomic():
            case = Case.objects.filter(tenant=self.tenant, pk=row.existing_id).first()
            if case is None:  # deleted here since: import it again
                self._create_cases([row])
                return
            notes = imported_case_update(case=case, data=replace(row.case, **self._linked(row)),
                                         new_notes=[n for _, n in row.notes])
            self._records([("case", row.external_id, case.pk, row.digest),
                           *(("note", key, note.pk, "")
                             for (key, _), note in zip(row.notes, notes, strict=True))])
        self.counts["case"][UPDATED] += 1

    def cases(self, rows: list[Row]) -> None:
        self.counts["case"][UNCHANGED] += sum(1 for r in rows if r.action == UNCHANGED)
        self._step(sum(1 for r in rows if r.action == UNCHANGED))
        new = sorted((r for r in rows if r.action == CREATED),
                     key=lambda r: r.case.created_at if r.case else self.now)
        for batch in _chunks(new, BATCH):
            try:
                self._create_cases(batch)
            except (DatabaseError, DomainError):
                for row in batch:  # one by one: only the row the database refuses is lost
                    try:
                        self._create_cases([row])
                    except DomainError as error:
                        self._refuse(row, error)
                    except DatabaseError as error:
                        self._refuse(row, Invalid(f"the database refused it ({error})"))
            self._step(len(batch))
        for row in (r for r in rows if r.action == UPDATED):
            try:
                self._update_case(row)
            except DomainError as error:
                self._refuse(row, error)
            self._step(1)


def import_apply(*, tenant: Tenant, actor: User | None, plan: Plan, now: datetime,
                 progress: Progress | None = None) -> tuple[dict[str, dict[str, int]],
                                                            list[Problem]]:
    """Writes a plan's rows (refused rows are not in it); returns what was done by kind and
    action, and the rows the database refused while writing."""
    writer = _Writer(tenant, actor, plan, now, progress)
    writer.crm(plan.accounts)
    writer.crm(plan.contacts)
    writer.cases(plan.cases)
    return writer.counts, writer.problems


def import_run(*, tenant: Tenant, actor: User | None, format: str, files: list[SourceFile],
               mapping: Mapping, now: datetime, dry_run: bool = False,
               skip_invalid: bool = False, progress: Progress | None = None,
               job_id: int | None = None) -> ImportOutcome:
    """Checks an export and, unless dry or refused, imports it (audited as `import.run`)."""
    plan = import_check(tenant, format, files, mapping)
    outcome = ImportOutcome(format=format, dry_run=dry_run, plan=plan, written=False,
                            problems=list(plan.problems), counts=plan.counts())
    if dry_run or (plan.problems and not skip_invalid):
        return outcome
    counts, problems = import_apply(tenant=tenant, actor=actor, plan=plan, now=now,
                                    progress=progress)
    outcome.written, outcome.counts = True, counts
    outcome.problems.extend(problems)
    audit_record(tenant=tenant, actor=actor, action="import.run", target_type="import",
                 target_id=job_id or "", now=now,
                 target_label=f"{format}: {', '.join(f.name for f in files)}"[:200],
                 detail={"format": format, "files": [f.name for f in files],
                         "counts": counts, "refused": len(outcome.problems),
                         "skipped": len(plan.skipped)})
    return outcome
