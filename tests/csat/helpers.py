"""Helpers for the CSAT tests: a resolved case with a contact, the survey link from the
outbox mail."""

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.crm.models import Contact
from casedesk.csat.models import Survey
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.tenancy.models import Membership
from tests.factories import ContactFactory, make_case


def resolved_case(tenant: Any, by: Membership, at: datetime, *, contact: Contact | None = None,
                  email: str | None = "customer@example.com", **fields: Any) -> Case:
    """A case made a little before `at`, worked and resolved by `by` at `at`."""
    if contact is None and email is not None:
        contact = ContactFactory(tenant=tenant, email=email, name="Cora Customer")
    case = make_case(tenant, actor=by.user, now=at - timedelta(hours=1),
                     contact_id=contact.pk if contact is not None else None, **fields)
    for to in ("open", "in_progress"):
        case = case_transition(case=case, actor=by.user, to=to, now=at - timedelta(minutes=30))
    return case_transition(case=case, actor=by.user, to="resolved", note="Fixed it.", now=at)


def survey_mail(case: Case) -> OutboundMail:
    return OutboundMail.objects.get(case=case, kind=OutboundKind.SURVEY)


def links_of(mail: OutboundMail) -> list[str]:
    """The rating links in a survey mail, as paths with their query (`/surveys/...?rating=N`)."""
    found = re.findall(r"https?://\S+/surveys/\S+", mail.body)
    return [urlsplit(u).path + "?" + urlsplit(u).query for u in found]


def survey_path(case: Case) -> str:
    return links_of(survey_mail(case))[0].partition("?")[0]


def survey_of(case: Case) -> Survey:
    return Survey.objects.get(case=case)
