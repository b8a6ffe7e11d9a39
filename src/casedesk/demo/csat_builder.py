"""The demo's satisfaction answers: about half the customers of resolved cases answered
their survey, mostly happy, a few not, so the scorecard's CSAT figures and trend have
something to show. Deterministic per case number, and made once: a tenant that has surveys
already (from an earlier run, or from the worker since) gets none, so a re-run changes
nothing."""

import random
from datetime import datetime, timedelta

from casedesk.cases.models import Case
from casedesk.csat.config import csat_settings
from casedesk.csat.models import Survey
from casedesk.csat.services import survey_answer, survey_send
from casedesk.mail.outbox import mail_suppressed
from casedesk.tenancy.models import Tenant

SEED = "casedesk-demo-csat"
ANSWERED = 0.55
# Ratings on the tenant's good/bad scale: 5 is good, 1 is bad.
BAD_SHARE = 0.14


def csat_history_ensure(tenant: Tenant, *, now: datetime) -> int:
    """Surveys for the demo's resolved and closed cases, answered as planned; returns how
    many were answered."""
    if Survey.objects.filter(tenant=tenant).exists():
        return 0
    config = csat_settings(tenant)
    cases = (Case.objects.filter(tenant=tenant, status__in=("resolved", "closed"),
                                 resolved_at__isnull=False, contact__isnull=False)
             .select_related("contact", "tenant").order_by("number"))
    answered = 0
    with mail_suppressed():
        for case in cases:
            rng = random.Random(f"{SEED}:{case.number}")
            if rng.random() > ANSWERED:
                continue
            assert case.resolved_at is not None
            # After the case's last change, so its timeline stays in order.
            sent = max(case.resolved_at + timedelta(hours=config.delay_hours), case.updated_at)
            replied = sent + timedelta(minutes=rng.randint(10, 36 * 60))
            if replied >= now:
                continue
            survey = survey_send(case=case, config=config, now=sent)
            if survey is None:
                continue
            rating = 1 if rng.random() < BAD_SHARE else 5
            survey_answer(survey_id=survey.pk, rating=rating, now=replied)
            answered += 1
    return answered
