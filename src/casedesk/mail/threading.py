"""Which case a message joins, and who takes part in it.

A message threads onto a case by In-Reply-To/References against every Message-ID the case has
seen, then by the case token in the subject; never by subject text alone. Only a sender who
takes part in a case joins it (`takes_part`: its contact, a contact of its account, someone
copied on it, a member of the tenant). Message-IDs are no secret (everyone copied on a thread
has them), so mail from anyone else that answers a case is a stranger's: filed as a new case
linked to that one (`mail.filing`), or held for a manager (`mail.holding`). The people a
message copies become participants only when its sender takes part.

A case merged into another (`cases.merge`) hands its mail to the target: its thread keys,
messages and files move there (`merge_mail_moved`, through the `on_case_merge` hook), and a
message that still names the merged case (its token in the subject) joins the target.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from casedesk.cases.merge import merged_target
from casedesk.cases.models import Case, Participant
from casedesk.core.limits import clipped, fit_problem
from casedesk.crm.models import Contact
from casedesk.mail.models import (
    Attachment,
    InboundMessage,
    InboundStatus,
    OutboundMail,
    ThreadKey,
)
from casedesk.mail.parsing.message import ParsedMessage
from casedesk.tenancy.models import Membership, Tenant


def case_token_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"\[{re.escape(prefix)}-(\d{{1,12}})\]", re.IGNORECASE)


def takes_part(case: Case, address: str) -> bool:
    """Whether mail from `address` may join `case`: its contact, a contact of its account,
    someone copied on it (a participant), someone whose mail it holds already, or a member
    of the tenant (an agent answering from a mail client). Anyone else is a stranger to the
    case, whatever Message-ID or case token their mail carries. Cheapest checks first: the
    usual sender, the contact, costs one query."""
    address = address.strip().lower()
    if not address or "@" not in address:
        return False
    contacts = Contact.objects.filter(tenant_id=case.tenant_id, email__iexact=address)
    if case.contact_id is not None and contacts.filter(pk=case.contact_id).exists():
        return True
    if Participant.objects.filter(case=case, email__iexact=address).exists():
        return True
    if case.account_id is not None and contacts.filter(account_id=case.account_id).exists():
        return True
    if InboundMessage.objects.filter(case=case, status=InboundStatus.PROCESSED,
                                     sender=address).exists():
        return True
    return Membership.objects.filter(tenant_id=case.tenant_id, is_active=True,
                                     user__email__iexact=address).exists()


def find_thread(tenant: Tenant, parsed: ParsedMessage, *, headers_checked: bool = False
                ) -> Case | None:
    """The case a message joins: the one its In-Reply-To/References answer (unless the
    caller has looked them up already), else the one whose token its subject carries — in
    both cases only when the sender takes part in that case. Never by subject text alone."""
    refs = [r for r in [*parsed.in_reply_to, *parsed.references] if r]
    if refs and not headers_checked:
        key = (ThreadKey.objects.filter(tenant=tenant, message_id__in=refs[-50:])
               .select_related("case").order_by("-created_at").first())
        if key is not None:
            case = merged_target(key.case)
            if takes_part(case, parsed.from_address):
                return case
    match = case_token_pattern(tenant.case_prefix).search(parsed.subject)
    if match:
        named = (Case.objects.filter(tenant=tenant, number=int(match.group(1)))
                 .select_related("contact", "tenant").first())
        if named is not None:
            case = merged_target(named)
            if takes_part(case, parsed.from_address):
                return case
    return None


# What of a case's mail moves with it when it is merged into another, by the name the merge
# records it under.
_MERGED_MAIL: dict[str, Any] = {"thread_keys": ThreadKey, "messages": InboundMessage,
                "attachments": Attachment, "outbound": OutboundMail}


def merge_mail_moved(tenant_id: int, source_id: int, target_id: int) -> dict[str, list[int]]:
    """Moves the merged case's mail onto the target (in the merge's transaction): later
    replies to its old thread join the target; returns the ids that moved, by kind."""
    moved = {}
    for name, model in _MERGED_MAIL.items():
        rows = model.objects.filter(tenant_id=tenant_id, case_id=source_id)
        moved[name] = list(rows.values_list("pk", flat=True))
        model.objects.filter(tenant_id=tenant_id, pk__in=moved[name]).update(case_id=target_id)
    return moved


def merge_mail_moved_back(tenant_id: int, source_id: int, moved: dict[str, list[int]]) -> None:
    """Moves exactly the rows `merge_mail_moved` moved back onto the merged case (an undo)."""
    for name, model in _MERGED_MAIL.items():
        model.objects.filter(tenant_id=tenant_id, pk__in=moved.get(name, [])
                             ).update(case_id=source_id)


def participant_rows(case: Case, parsed: ParsedMessage, now: datetime, *,
                     own: set[str]) -> list[Participant]:
    """The people a customer copied (Cc, and other To addresses than the desk's own, `own`),
    as participants of the case: they get its replies, and their mail threads onto it."""
    sender = parsed.from_address.lower()
    contact = case.contact.email.lower() if case.contact_id and case.contact else ""
    seen: set[str] = set()
    rows = []
    for address in [*parsed.to, *parsed.cc]:
        email = address.strip().lower()
        if ("@" not in email or fit_problem(Participant, "email", email) is not None
                or email in own or email in (sender, contact) or email in seen):
            continue
        seen.add(email)
        rows.append(Participant(tenant_id=case.tenant_id, case=case, email=email,
                                created_at=now))
    return rows


def add_sender(case: Case, parsed: ParsedMessage, now: datetime, *, own: set[str]) -> None:
    """Makes a message's sender a participant of the case (a manager accepted their message
    onto it), unless they are its contact or the desk itself."""
    email = parsed.from_address.strip().lower()
    contact = case.contact.email.lower() if case.contact_id and case.contact else ""
    if ("@" in email and fit_problem(Participant, "email", email) is None and email not in own
            and email != contact):
        Participant.objects.bulk_create(
            [Participant(tenant_id=case.tenant_id, case=case, email=email,
                         name=clipped(Participant, "name", parsed.from_name),
                         created_at=now)], ignore_conflicts=True)
