"""Reaching a survey: by its signed link (the customer, no sign-in)."""

from datetime import datetime

from casedesk.core.errors import NotFound
from casedesk.csat.models import Survey
from casedesk.csat.tokens import read_token


class SurveyExpired(Exception):
    """The link was ours and named a survey, but its time is over (the page answers 410)."""


def survey_for_token(token: str, now: datetime) -> Survey:
    """The survey a link names: NotFound for a forged, altered or stale link (a nonce that
    is not the survey's), SurveyExpired once the survey's `expires_at` has passed."""
    found = read_token(token)
    if found is None:
        raise NotFound("This survey link is not valid.")
    survey_id, nonce = found
    survey = (Survey.objects.select_related("case", "case__tenant")
              .filter(pk=survey_id, nonce=nonce).first())
    if survey is None:
        raise NotFound("This survey link is not valid.")
    if now >= survey.expires_at:
        raise SurveyExpired
    return survey
