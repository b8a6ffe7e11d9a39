"""CSAT writes: surveying the cases that fell due (the worker's job), the customer's rating
and comment, and the tenant's settings. Each is one transaction; the caller passes `now`.

A case falls due when it was resolved at least the tenant's delay ago, is still resolved or
closed, has a contact with an email address, sits in one of the surveyed queues (all when the
tenant names none) and has no survey yet. `surveys_send_due` looks only at cases that fell
due within `LOOKBACK` (a worker down for longer does not mail surveys about cases the
customer has long forgotten), so each run reads a bounded slice of the cases. The survey row
and its mail are written in one transaction per case; the unique case of `Survey` decides
between two workers running at once (the loser's insert fails in its savepoint, and it moves
on), so the job may run anywhere and as often as it likes.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from casedesk.cases.changes import case_change
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, EventKind
from casedesk.cases.timeline import event, timeline_write
from casedesk.core.errors import Invalid
from casedesk.core.text import check_text
from casedesk.csat.config import CHOICES, is_bad, is_valid_rating, rating_label
from casedesk.csat.models import COMMENT_MAX, MAX_DELAY_HOURS, CsatSettings, Scale, Survey
from casedesk.csat.tokens import survey_token
from casedesk.mail.delivery import one_line
from casedesk.mail.models import OutboundMail
from casedesk.mail.outbox import queue_survey
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import Notice, notices_write
from casedesk.routing.models import Queue
from casedesk.tenancy.audit import audit_change, audit_snapshot
from casedesk.tenancy.models import Membership, Tenant, User

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
LINK_LIFETIME = timedelta(days=14)
BATCH = 500  # cases surveyed per tenant and run; the next run takes the rest


# --- surveying ---------------------------------------------------------------------------------

def due_cases(tenant: Tenant, config: CsatSettings, now: datetime) -> list[Case]:
    """The tenant's cases that fell due for a survey (oldest resolution first, at most BATCH)."""
    cutoff = now - timedelta(hours=config.delay_hours)
    qs = (Case.objects.filter(tenant=tenant, status__in=[Status.RESOLVED, Status.CLOSED],
                              resolved_at__lte=cutoff, resolved_at__gt=cutoff - LOOKBACK,
                              contact__isnull=False)
          .exclude(contact__email="")
          .filter(~Exists(Survey.objects.filter(case_id=OuterRef("pk")))))
    if config.queues:
        qs = qs.filter(queue_id__in=config.queues)
    return list(qs.select_related("tenant", "contact", "queue")
                .order_by("resolved_at", "pk")[:BATCH])


def surveys_send_due(now: datetime) -> int:
    """Surveys every case that fell due, in every tenant with surveys on; how many
    surveys were made. Safe to run on several workers at once (module docstring)."""
    configs = {c.tenant_id: c for c in CsatSettings.objects.all()}
    made = 0
    for tenant in Tenant.objects.order_by("pk"):
        config = configs.get(tenant.pk) or CsatSettings(tenant=tenant)
        if not config.enabled:
            continue
        for case in due_cases(tenant, config, now):
            made += survey_send(case=case, config=config, now=now) is not None
    return made


def survey_send(*, case: Case, config: CsatSettings, now: datetime) -> Survey | None:
    """Makes the case's survey and queues its mail, in one transaction; None when the case
    already has one (another worker took it)."""
    contact = case.contact
    if contact is None or not contact.email:
        return None
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                tenant_id=case.tenant_id, case=case, nonce=secrets.token_urlsafe(16),
                scale=config.scale, recipient=contact.email.lower(), sent_at=now,
                expires_at=now + LINK_LIFETIME)
            _queue_survey_mail(case, survey, now)
    except IntegrityError:
        return None
    return survey


def survey_url(survey: Survey) -> str:
    """The survey page's address, as mailed (CASEDESK_BASE_URL, else localhost)."""
    base = str(settings.BASE_URL) or "http://localhost:8000"
    return base + reverse("csat:survey", args=[survey_token(survey.pk, survey.nonce)])


def survey_mail_body(case: Case, survey: Survey) -> str:
    contact = case.contact
    name = one_line(contact.name) if contact is not None and contact.name else ""
    url = survey_url(survey)
    links = "\n".join(f"  {label}: {url}?rating={value}"
                      for value, label in CHOICES[survey.scale])
    return (f"Hello{' ' + name if name else ''},\n\n"
            f"Your case {case.display_number} (\"{one_line(case.subject)}\") was resolved. "
            "How did we do? One click answers:\n\n"
            f"{links}\n\n"
            f"You can change your answer or add a comment on the page that opens. The links "
            f"work until {survey.expires_at:%d %B %Y}.\n\n"
            f"{case.tenant.name}\n")


def _queue_survey_mail(case: Case, survey: Survey, now: datetime) -> OutboundMail | None:
    return queue_survey(case=case, to=survey.recipient,
                        subject=f"How did we do? [{case.display_number}] {case.subject}",
                        body=survey_mail_body(case, survey), now=now)


# --- answers -----------------------------------------------------------------------------------

def survey_answer(*, survey_id: int, rating: int, now: datetime) -> Survey:
    """Records the customer's rating; a second answer replaces the first (one row per case).
    A changed rating lands on the case's timeline. The first bad rating tells the case's
    owner and the owner's manager; later ones do not (`bad_notified_at`)."""
    with case_change():
        survey = (Survey.objects.select_for_update().select_related("case", "case__tenant")
                  .get(pk=survey_id))
        if not is_valid_rating(survey.scale, rating):
            raise Invalid("Choose one of the ratings offered.", field="rating")
        previous = survey.rating
        if previous == rating:
            return survey
        survey.rating, survey.answered_at = rating, now
        notify = is_bad(rating) and survey.bad_notified_at is None
        if notify:
            survey.bad_notified_at = now
        survey.save(update_fields=["rating", "answered_at", "bad_notified_at"])
        case = survey.case
        label = rating_label(survey.scale, rating)
        verb = "changed the satisfaction rating to" if previous is not None else "rated"
        timeline_write([event(case, None, EventKind.CSAT_ANSWERED, now, field="csat_rating",
                              old_value=previous, new_value=rating,
                              message=f"The customer {verb}: {label}")])
        if notify:
            _notify_bad(case, label, now)
    return survey


def _notify_bad(case: Case, label: str, now: datetime) -> None:
    if case.owner_id is None:
        return
    manager = (Membership.objects.filter(tenant_id=case.tenant_id, user_id=case.owner_id)
               .values_list("manager__user_id", flat=True).first())
    recipients = [r for r in dict.fromkeys([case.owner_id, manager]) if r is not None]
    # A dedicated notification kind wants a notifications migration; until then a bad rating
    # is told as an escalation, which is what it asks of the owner and the manager.
    notices_write([Notice(tenant_id=case.tenant_id, recipient_id=r, case_id=case.pk,
                          kind=NotificationKind.CSAT_BAD,
                          message=f"Bad satisfaction rating ({label}) on "
                                  f"{case.display_number}: {case.subject}")
                   for r in recipients], now)


def survey_comment(*, survey_id: int, comment: str, now: datetime) -> Survey:
    """Stores the customer's optional comment (replacing an earlier one) and puts it on the
    case's timeline. Only on an answered survey: the page asks for it after the rating."""
    check_text(comment, field="comment")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid(f"The comment is longer than {COMMENT_MAX} characters.", field="comment")
    with case_change():
        survey = (Survey.objects.select_for_update().select_related("case", "case__tenant")
                  .get(pk=survey_id))
        if survey.rating is None:
            raise Invalid("Choose a rating first.", field="rating")
        if comment == survey.comment:
            return survey
        survey.comment, survey.answered_at = comment, now
        survey.save(update_fields=["comment", "answered_at"])
        if comment:
            timeline_write([event(survey.case, None, EventKind.CSAT_ANSWERED, now,
                                  field="csat_comment",
                                  message=f"The customer commented on the survey: {comment}")])
    return survey


# --- settings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingsChange:
    """What `csat_settings_update` may change; None leaves a setting as it is."""

    enabled: bool | None = None
    delay_hours: int | None = None
    queues: list[int] | None = None
    scale: str | None = None


def csat_settings_update(*, tenant: Tenant, change: SettingsChange, now: datetime,
                         actor: User | None = None) -> CsatSettings:
    """Changes the tenant's survey settings (admins; the caller checks). The delay is 0 to
    14 days in hours; the queues must be the tenant's. Surveys already sent keep their scale."""
    values: dict[str, Any] = {k: v for k, v in change.__dict__.items() if v is not None}
    if "delay_hours" in values and not 0 <= values["delay_hours"] <= MAX_DELAY_HOURS:
        raise Invalid(f"The delay is 0 to {MAX_DELAY_HOURS} hours.", field="delay_hours")
    if "scale" in values and values["scale"] not in Scale.values:
        raise Invalid("The scale is good_bad or one_to_five.", field="scale")
    if "queues" in values:
        wanted = list(dict.fromkeys(values["queues"]))
        known = set(Queue.objects.filter(tenant=tenant, pk__in=wanted)
                    .values_list("pk", flat=True))
        unknown = [q for q in wanted if q not in known]
        if unknown:
            raise Invalid(f"No queue with id {unknown[0]}.", field="queues")
        values["queues"] = sorted(wanted)
    with transaction.atomic():
        config, _ = CsatSettings.objects.select_for_update().get_or_create(tenant=tenant)
        before = audit_snapshot(config, values)
        for name, value in values.items():
            setattr(config, name, value)
        config.updated_at = now
        config.save()
        audit_change(tenant=tenant, actor=actor, action="csat_settings.updated",
                     target_type="tenant", target_id=tenant.pk,
                     target_label="Satisfaction surveys", before=before,
                     after=audit_snapshot(config, values))
    return config
