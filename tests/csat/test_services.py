"""When a case falls due for a survey, the job that mails it, and the customer's answers."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections

from casedesk.cases.models import EventKind, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.core.errors import Invalid
from casedesk.csat.models import CsatSettings, Scale, Survey
from casedesk.csat.services import (
    LOOKBACK,
    SettingsChange,
    csat_settings_update,
    survey_answer,
    survey_comment,
    surveys_send_due,
)
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.notifications.models import Notification
from casedesk.ops.schedule import jobs, run_once
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, postgres_only
from tests.csat.helpers import links_of, resolved_case, survey_mail

DUE = NOW + timedelta(hours=24)


def test_a_case_resolved_a_day_ago_is_surveyed_once(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    assert surveys_send_due(DUE - timedelta(minutes=1)) == 0
    assert surveys_send_due(DUE) == 1
    assert surveys_send_due(DUE + timedelta(hours=1)) == 0
    survey = Survey.objects.get(case=case)
    assert (survey.sent_at, survey.expires_at) == (DUE, DUE + timedelta(days=14))
    mail = survey_mail(case)
    assert mail.to == ["customer@example.com"] and mail.tenant_id == tenant.pk
    assert case.display_number in mail.subject
    assert [link.rpartition("=")[2] for link in links_of(mail)] == ["5", "1"]


def test_the_mail_offers_five_ratings_on_the_one_to_five_scale(
        tenant: Tenant, agent: Membership) -> None:
    csat_settings_update(tenant=tenant, change=SettingsChange(scale=Scale.ONE_TO_FIVE), now=NOW)
    case = resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    assert [link.rpartition("=")[2] for link in links_of(survey_mail(case))] == [
        "5", "4", "3", "2", "1"]


def test_the_tenant_delay_decides_when(tenant: Tenant, agent: Membership) -> None:
    csat_settings_update(tenant=tenant, change=SettingsChange(delay_hours=2), now=NOW)
    resolved_case(tenant, agent, NOW)
    assert surveys_send_due(NOW + timedelta(hours=1)) == 0
    assert surveys_send_due(NOW + timedelta(hours=2)) == 1


def test_a_case_reopened_before_it_falls_due_is_not_surveyed(
        tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    case_transition(case=case, actor=agent.user, to="open", now=NOW + timedelta(hours=2))
    assert surveys_send_due(DUE) == 0
    assert not Survey.objects.filter(case=case).exists()


def test_a_closed_case_is_surveyed(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    case_transition(case=case, actor=agent.user, to="closed", note="Done.",
                    closed_reason="Resolved", now=NOW + timedelta(hours=1))
    assert surveys_send_due(DUE) == 1


def test_a_case_without_a_contact_email_is_not_surveyed(
        tenant: Tenant, agent: Membership) -> None:
    resolved_case(tenant, agent, NOW, email=None)
    resolved_case(tenant, agent, NOW, email="")
    assert surveys_send_due(DUE) == 0


def test_only_the_chosen_queues_are_surveyed(tenant: Tenant, agent: Membership,
                                              finance: Queue, engineering: Queue) -> None:
    csat_settings_update(tenant=tenant, change=SettingsChange(queues=[finance.pk]), now=NOW)
    in_finance = resolved_case(tenant, agent, NOW, queue_id=finance.pk, email="a@example.com")
    resolved_case(tenant, agent, NOW, queue_id=engineering.pk, email="b@example.com")
    assert surveys_send_due(DUE) == 1
    assert Survey.objects.get().case_id == in_finance.pk


def test_a_tenant_with_surveys_off_is_not_surveyed(tenant: Tenant, agent: Membership) -> None:
    csat_settings_update(tenant=tenant, change=SettingsChange(enabled=False), now=NOW)
    resolved_case(tenant, agent, NOW)
    assert surveys_send_due(DUE) == 0


def test_cases_that_fell_due_long_ago_are_left_alone(tenant: Tenant, agent: Membership) -> None:
    resolved_case(tenant, agent, NOW)
    assert surveys_send_due(DUE + LOOKBACK + timedelta(minutes=1)) == 0


def test_the_worker_schedule_runs_the_survey_job(tenant: Tenant, agent: Membership) -> None:
    resolved_case(tenant, agent, NOW)
    job = next(j for j in jobs() if j.name == "csat-surveys")
    assert run_once(job, DUE) == ["CSAT: 1 survey(s) mailed"]


def test_a_survey_and_its_mail_are_one_transaction(tenant: Tenant, agent: Membership,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    resolved_case(tenant, agent, NOW)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr("casedesk.csat.services.queue_survey", broken)
    with pytest.raises(RuntimeError):
        surveys_send_due(DUE)
    assert not Survey.objects.exists()


def _answer(case_id: int, rating: int, hours: float = 25) -> Survey:
    survey = Survey.objects.get(case_id=case_id)
    return survey_answer(survey_id=survey.pk, rating=rating, now=NOW + timedelta(hours=hours))


def test_a_second_answer_replaces_the_first(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    _answer(case.pk, 1)
    survey = _answer(case.pk, 5, hours=26)
    assert Survey.objects.filter(case=case).count() == 1
    assert (survey.rating, survey.answered_at) == (5, NOW + timedelta(hours=26))
    events = TimelineEvent.objects.filter(case=case, kind=EventKind.CSAT_ANSWERED)
    assert [(e.old_value, e.new_value) for e in events] == [(None, 1), (1, 5)]


def test_a_rating_off_the_scale_is_refused(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    with pytest.raises(Invalid):
        _answer(case.pk, 3)  # good/bad offers 5 and 1 only


def test_a_bad_rating_notifies_the_owner_and_manager_once(
        tenant: Tenant, agent: Membership, manager: Membership) -> None:
    case = resolved_case(tenant, agent, NOW, owner_id=agent.user.pk)
    assert case.owner_id == agent.user.pk
    surveys_send_due(DUE)
    _answer(case.pk, 1)
    _answer(case.pk, 5, hours=26)
    _answer(case.pk, 1, hours=27)
    told = Notification.objects.filter(case=case)
    assert sorted(n.recipient_id for n in told) == sorted([agent.user.pk, manager.user.pk])
    assert all("Bad satisfaction rating" in n.message for n in told)


def test_a_good_rating_notifies_nobody(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW, owner_id=agent.user.pk)
    surveys_send_due(DUE)
    _answer(case.pk, 5)
    assert not Notification.objects.filter(case=case).exists()


def test_a_comment_is_kept_and_on_the_timeline(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    survey = _answer(case.pk, 5)
    with pytest.raises(Invalid):
        survey_comment(survey_id=survey.pk, comment="x" * 2001, now=DUE)
    with pytest.raises(Invalid):
        survey_comment(survey_id=survey.pk, comment="bad\x00text", now=DUE)
    survey = survey_comment(survey_id=survey.pk, comment="  Quick and kind.  ", now=DUE)
    assert survey.comment == "Quick and kind."
    assert TimelineEvent.objects.filter(case=case, field="csat_comment",
                                        message__contains="Quick and kind.").count() == 1


def test_a_comment_needs_a_rating_first(tenant: Tenant, agent: Membership) -> None:
    case = resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    with pytest.raises(Invalid):
        survey_comment(survey_id=Survey.objects.get(case=case).pk, comment="hi", now=DUE)


def test_settings_are_checked(tenant: Tenant, other_tenant: Tenant) -> None:
    foreign = Queue.objects.filter(tenant=other_tenant).first()
    assert foreign is not None
    for change in (SettingsChange(delay_hours=24 * 15), SettingsChange(scale="stars"),
                   SettingsChange(queues=[foreign.pk])):
        with pytest.raises(Invalid):
            csat_settings_update(tenant=tenant, change=change, now=NOW)
    assert not CsatSettings.objects.filter(tenant=tenant).exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_survey_each_case_once(tenant: Tenant, agent: Membership) -> None:
    cases = [resolved_case(tenant, agent, NOW, email=f"c{i}@example.com") for i in range(6)]
    barrier = threading.Barrier(2)
    made: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            made.append(surveys_send_due(DUE))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(made) == len(cases)
    assert Survey.objects.count() == len(cases)
    assert OutboundMail.objects.filter(kind=OutboundKind.SURVEY).count() == len(cases)
