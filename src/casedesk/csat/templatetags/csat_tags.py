"""`{% case_csat case as csat %}`: the case's survey for the console's case page (its
"Customer satisfaction" card), so the page shows it without the console reading csat's
tables itself."""

from dataclasses import dataclass
from datetime import datetime

from django import template

from casedesk.cases.models import Case
from casedesk.csat.config import is_bad, rating_label
from casedesk.csat.selectors import survey_of_case

register = template.Library()


@dataclass(frozen=True)
class CaseCsat:
    sent_at: datetime
    rating: int | None
    label: str
    is_bad: bool
    comment: str
    answered_at: datetime | None


@register.simple_tag
def case_csat(case: Case) -> CaseCsat | None:
    """None: no survey was sent for the case."""
    survey = survey_of_case(case)
    if survey is None:
        return None
    return CaseCsat(sent_at=survey.sent_at, rating=survey.rating,
                    label=rating_label(survey.scale, survey.rating),
                    is_bad=is_bad(survey.rating), comment=survey.comment,
                    answered_at=survey.answered_at)
