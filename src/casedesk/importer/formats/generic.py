"""Any CSV of cases, one case a row, its columns mapped onto casedesk's fields.

The mapping's `columns` says which column holds which field (`mapping.CSV_FIELDS`, and
`custom:<key>` for a custom field); without it, the columns are guessed from the headers
(`mapping.suggest_columns`), as the settings page pre-selects them. `id`, `subject` and
`created_at` are needed. The contact comes from `contact_email` (with `contact_name`,
`contact_phone`), the account from `account_name`.
"""

from __future__ import annotations

from casedesk.importer.mapping import (
    CUSTOM_PREFIX,
    REQUIRED_CSV_FIELDS,
    Mapping,
    suggest_columns,
)
from casedesk.importer.sources import (
    CsvRow,
    Export,
    SourceAccount,
    SourceCase,
    SourceContact,
    SourceError,
    SourceFile,
    csv_rows,
    good_rows,
    parse_time,
    split_tags,
)


def read(files: list[SourceFile], mapping: Mapping) -> Export:
    export = Export()
    accounts: set[str] = set()
    contacts: set[str] = set()
    for file in files:
        try:
            header, rows = csv_rows(file)
            columns = dict(mapping.columns) or suggest_columns(header)
            absent = sorted(c for c in columns.values() if c not in header)
            if absent:
                raise SourceError(f"the mapping names columns the file lacks: {absent}")
            missing = [f for f in REQUIRED_CSV_FIELDS if f not in columns]
            if missing:
                raise SourceError("no column is mapped to " + ", ".join(missing)
                                  + " (map them with --mapping or on the import page)")
            for row in good_rows(export, file, rows):
                try:
                    _row(export, row, columns, accounts, contacts)
                except SourceError as error:
                    export.refuse(row.where, error.message)
        except SourceError as error:
            export.refuse(error.where or file.name, error.message)
    return export


def _row(export: Export, row: CsvRow, columns: dict[str, str], accounts: set[str],
         contacts: set[str]) -> None:
    def get(name: str) -> str:
        column = columns.get(name)
        return row.values.get(column, "") if column else ""

    created = parse_time(get("created_at"), name=columns["created_at"])
    if not get("id") or created is None:
        raise SourceError(f"a case needs its {columns['id']} and {columns['created_at']}")
    account_name = get("account_name")
    account_ref = account_name.casefold() if account_name else None
    email = get("contact_email")
    contact_ref = email.casefold() if email else None
    if account_ref is not None and account_ref not in accounts:
        accounts.add(account_ref)
        export.accounts.append(SourceAccount(external_id=account_ref, name=account_name,
                                             where=row.where, embedded=True))
    if contact_ref is not None and contact_ref not in contacts:
        contacts.add(contact_ref)
        export.contacts.append(SourceContact(
            external_id=contact_ref, email=email, where=row.where, name=get("contact_name"),
            phone=get("contact_phone"), account_ref=account_ref, embedded=True))
    export.cases.append(SourceCase(
        external_id=get("id"), subject=get("subject"), where=row.where, created_at=created,
        updated_at=parse_time(get("updated_at"), name=columns.get("updated_at", "")),
        description=get("description"), status=get("status"), priority=get("priority"),
        type=get("type"), category=get("category"), subcategory=get("subcategory"),
        channel=get("channel"), tags=split_tags(get("tags")),
        custom={name.removeprefix(CUSTOM_PREFIX): row.values[column]
                for name, column in columns.items()
                if name.startswith(CUSTOM_PREFIX) and row.values.get(column)},
        contact_ref=contact_ref, account_ref=account_ref, owner_email=get("owner_email"),
        resolved_at=parse_time(get("resolved_at"), name=columns.get("resolved_at", "")),
        closed_at=parse_time(get("closed_at"), name=columns.get("closed_at", "")),
        closed_reason=get("closed_reason")))
