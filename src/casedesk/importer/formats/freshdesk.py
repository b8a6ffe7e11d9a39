"""Freshdesk's ticket export (Tickets → Export, CSV), the file an admin really has.

Its columns: "Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type",
"Agent", "Group", "Created time", "Due by Time", "Resolved time", "Closed time",
"Last update time", "Initial response time", "Tags", "Full name", "Email", "Work phone",
"Mobile phone", "Company Name" and the metrics Freshdesk adds (response and resolution
status, interactions, survey results), which are not imported. Any other column is one of
the account's custom ticket fields, named by its label: imported when the mapping's
`custom_fields` names the casedesk field (or a casedesk field has the label's key).

The export carries no conversations: each ticket becomes a case with its description. The
requester (Email, Full name, phone) becomes a contact and "Company Name" an account.
"""

from __future__ import annotations

import re

from casedesk.importer.mapping import Mapping
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

REQUIRED = ("Ticket ID", "Subject", "Created time")
STANDARD = {
    "Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type", "Agent",
    "Group", "Created time", "Due by Time", "Resolved time", "Closed time",
    "Last update time", "Initial response time", "Time tracked",
    "First response time (in hrs)", "Resolution time (in hrs)", "Agent interactions",
    "Customer interactions", "Resolution status", "First response status", "Tags",
    "Survey results", "Product", "Full name", "Contact ID", "Email", "Work phone",
    "Mobile phone", "Company Name", "Association type", "Every response status",
    "Twitter ID", "Facebook ID", "Unique external ID", "Skill", "Internal agent",
    "Internal group", "Fr escalated", "Escalated",
}


def custom_key(header: str) -> str:
    """The casedesk key a Freshdesk column's label most likely has: "Plan tier" → plan_tier."""
    return re.sub(r"[^a-z0-9]+", "_", header.casefold()).strip("_")


def read(files: list[SourceFile], mapping: Mapping) -> Export:
    export = Export()
    accounts: set[str] = set()
    contacts: set[str] = set()
    for file in files:
        try:
            header, rows = csv_rows(file)
            missing = [name for name in REQUIRED if name not in header]
            if missing:
                raise SourceError("not a Freshdesk ticket export: no column "
                                  + ", ".join(repr(m) for m in missing), None)
            custom = [h for h in header if h not in STANDARD]
            for row in good_rows(export, file, rows):
                try:
                    _row(export, row, custom, accounts, contacts)
                except SourceError as error:
                    export.refuse(row.where, error.message)
        except SourceError as error:
            export.refuse(error.where or file.name, error.message)
    return export


def _row(export: Export, row: CsvRow, custom: list[str], accounts: set[str],
         contacts: set[str]) -> None:
    v = row.values
    created = parse_time(v["Created time"], name="Created time")
    if not v["Ticket ID"] or created is None:
        raise SourceError("a ticket needs its Ticket ID and Created time")
    company = v.get("Company Name", "")
    account_ref = company.casefold() if company else None
    email = v.get("Email", "").strip()
    contact_ref = email.casefold() if email else None
    case = SourceCase(
        external_id=v["Ticket ID"], subject=v["Subject"], where=row.where,
        created_at=created, updated_at=parse_time(v.get("Last update time"),
                                                  name="Last update time"),
        description=v.get("Description", ""), status=v.get("Status", ""),
        priority=v.get("Priority", ""), type=v.get("Type", ""),
        channel=v.get("Source", ""), tags=split_tags(v.get("Tags", "")),
        custom={h: v[h] for h in custom if v.get(h)},
        contact_ref=contact_ref, account_ref=account_ref, owner_name=v.get("Agent", ""),
        resolved_at=parse_time(v.get("Resolved time"), name="Resolved time"),
        closed_at=parse_time(v.get("Closed time"), name="Closed time"),
        first_response_at=parse_time(v.get("Initial response time"),
                                     name="Initial response time"))
    if account_ref is not None and account_ref not in accounts:
        accounts.add(account_ref)
        export.accounts.append(SourceAccount(external_id=account_ref, name=company,
                                             where=row.where, embedded=True))
    if contact_ref is not None and contact_ref not in contacts:
        contacts.add(contact_ref)
        export.contacts.append(SourceContact(
            external_id=contact_ref, email=email, where=row.where,
            name=v.get("Full name", ""),
            phone=v.get("Work phone", "") or v.get("Mobile phone", ""),
            account_ref=account_ref, embedded=True))
    export.cases.append(case)
