"""The scorecard on a small fixed history, figures computed by hand (tenant in Berlin; the
period is the week DST began, 2026-03-23 to 2026-03-29, local)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casedesk.cases.ownership import case_claim
from casedesk.cases.services import case_add_note, case_transition
from casedesk.csat.config import csat_settings
from casedesk.csat.services import survey_answer, survey_send
from casedesk.reports.periods import period_of
from casedesk.reports.rollup import facts_check, facts_refresh
from casedesk.reports.scorecard import ReportFilters, group_report, scorecard
from casedesk.sla.models import SlaPolicy
from casedesk.sla.policies import policies_reorder, policy_create
from tests.factories import ContactFactory, make_case

BERLIN = ZoneInfo("Europe/Berlin")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(tenant, agent, agent2, support_queue_with_both_agents):
    """Cases A to F (times in UTC; Berlin is UTC+1 until 29 March 01:00 UTC, then UTC+2)."""
    tenant.time_zone = "Europe/Berlin"
    tenant.save()
    fast = policy_create(tenant=tenant, now=at(3, 1, 0), values={
        "name": "Fast", "conditions": [], "first_response_minutes": 60,
        "first_response_business": False, "resolution_minutes": 480,
        "resolution_business": False})
    policies_reorder(tenant=tenant, now=at(3, 1, 0), policy_ids=[fast.pk, *SlaPolicy.objects.filter(
        tenant=tenant).exclude(pk=fast.pk).values_list("pk", flat=True)])
    alice, bob = agent.user, agent2.user

    customer = ContactFactory(tenant=tenant, email="carol@customer.test")

    def case(created, owner=agent):
        c = make_case(tenant, now=created, subject="Printer on fire", contact_id=customer.pk)
        return case_claim(case=c, membership=owner, now=created)

    def reply(c, when, user=alice):
        case_add_note(case=c, actor=user, body="On it.", is_public=True, now=when)

    def move(c, to, when, user=alice, **extra):
        c.refresh_from_db()
        return case_transition(case=c, actor=user, to=to, now=when, **extra)

    def resolve(c, when, user=alice):
        c.refresh_from_db()
        if c.status == "open":
            move(c, "in_progress", when, user)
        move(c, "resolved", when, user, note="Fixed.")

    a = case(at(3, 23, 8))                       # Mon 09:00 local
    reply(a, at(3, 23, 8, 30))                   # FRT 30 min: met
    resolve(a, at(3, 23, 12))                    # 4 h: met; one touch
    b = case(at(3, 24, 9))                       # Tue 10:00 local
    reply(b, at(3, 24, 11))                      # FRT 2 h: breached
    move(b, "in_progress", at(3, 24, 11, 30))
    move(b, "pending_customer", at(3, 24, 12))   # clocks paused 2 h
    move(b, "in_progress", at(3, 24, 14))
    reply(b, at(3, 24, 15))
    resolve(b, at(3, 25, 9))                     # 24 h (22 h on the clock): breached
    c = make_case(tenant, now=at(3, 28, 23, 30), subject="Sunday 00:30 local")  # stays open
    d = case(at(3, 19, 10), owner=agent2)        # previous period
    reply(d, at(3, 19, 10, 20), bob)             # FRT 20 min
    resolve(d, at(3, 20, 10), bob)
    move(d, "open", at(3, 26, 9), bob)           # re-opened in this period
    resolve(d, at(3, 26, 12), bob)               # resolved again: 7 days 2 h
    e = case(at(3, 29, 10))                      # Sun 12:00 local (after the DST change)
    reply(e, at(3, 29, 10, 10))                  # FRT 10 min
    resolve(e, at(3, 29, 10, 40))                # 40 min
    move(e, "closed", at(3, 29, 11), note="Done.", closed_reason="Resolved")
    survey = survey_send(case=e, config=csat_settings(tenant), now=at(3, 29, 11, 30))
    survey_answer(survey_id=survey.pk, rating=5, now=at(3, 29, 12))
    f = make_case(tenant, now=at(3, 30, 1), subject="Monday 03:00 local, next week")
    facts_refresh()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def week(tenant):
    return period_of("custom", today=date(2026, 4, 1), zone=BERLIN,
                     first=date(2026, 3, 23), last=date(2026, 3, 29))


def test_the_rollup_agrees_with_a_recomputation(tenant, history) -> None:
    assert facts_check(tenant) == []


def test_the_week_figures(tenant, history) -> None:
    card = scorecard(tenant, week(tenant), ReportFilters())
    now = card.current
    assert (now.created, now.resolved, now.closed) == (4, 4, 1)
    assert (now.first_response.count, now.first_response.median) == (3, 1800)
    assert now.first_response.p90 == pytest.approx(6120)
    assert now.resolution.median == pytest.approx(50400)
    assert now.resolution.p90 == pytest.approx(454320)
    # B's two paused hours are off its clock, and D's six days resolved.
    assert now.resolution_business.median == pytest.approx(46800)
    assert now.resolution_business.p90 == pytest.approx(91800)  # D: paused while resolved
    fr, res = now.sla["first_response"], now.sla["resolution"]
    assert (fr.met, fr.breached, fr.pending) == (2, 1, 1)
    assert (res.met, res.breached, res.pending) == (2, 1, 1)
    assert fr.attainment == pytest.approx(2 / 3)
    assert (now.reopened, now.reopen_rate) == (1, 0.25)
    assert (now.one_touch, now.one_touch_rate) == (2, 0.5)
    assert (now.csat_rated, now.csat_satisfied, now.csat_score) == (1, 1, 1.0)
    assert now.backlog == 1


def test_the_previous_week_and_the_change(tenant, history) -> None:
    card = scorecard(tenant, week(tenant), ReportFilters())
    before = card.previous
    assert card.previous_period.first == date(2026, 3, 16)
    assert (before.created, before.resolved, before.closed) == (1, 0, 0)
    assert before.first_response.median == 1200
    assert before.backlog == 1  # D, open from its creation to its latest resolution


def test_each_day_in_the_tenants_zone(tenant, history) -> None:
    days = scorecard(tenant, week(tenant), ReportFilters()).days
    assert [d.day for d in days] == [date(2026, 3, 23) + timedelta(days=n) for n in range(7)]
    assert [d.created for d in days] == [1, 1, 0, 0, 0, 0, 2]
    assert [d.resolved for d in days] == [1, 0, 1, 1, 0, 0, 1]
    assert [d.backlog for d in days] == [1, 2, 1, 0, 0, 0, 1]
    assert days[0].first_response_median == 1800
    assert days[6].csat_score == 1.0


def test_the_heat_map_is_in_local_hours(tenant, history) -> None:
    heat = scorecard(tenant, week(tenant), ReportFilters()).heat
    cells = {(wd, h): n for wd, row in enumerate(heat) for h, n in enumerate(row) if n}
    assert cells == {(0, 9): 1, (1, 10): 1, (6, 0): 1, (6, 12): 1}


def test_filters_narrow_every_figure(tenant, history, agent, agent2, manager) -> None:
    bob = scorecard(tenant, week(tenant), ReportFilters(owner_id=agent2.user_id)).current
    assert (bob.created, bob.resolved, bob.reopened) == (0, 1, 1)
    team = scorecard(tenant, week(tenant), ReportFilters(team_id=manager.pk)).current
    assert (team.created, team.resolved) == (3, 4)
    web = scorecard(tenant, week(tenant), ReportFilters(source="web")).current
    assert (web.created, web.resolved) == (0, 0)


def test_agent_and_queue_reports(tenant, history, agent, agent2) -> None:
    by_agent = {row.name: row for row in group_report(
        tenant, week(tenant), ReportFilters(), by="owner_id")}
    alice, bob = by_agent["Alice Agent"], by_agent["Bob Agent"]
    assert (alice.assigned, alice.resolved, alice.open_now) == (3, 3, 0)
    assert alice.first_response.median == 1800
    assert alice.sla_attainment == pytest.approx(4 / 6)
    assert (alice.csat_rated, alice.csat_score) == (1, 1.0)
    assert (bob.assigned, bob.resolved) == (0, 1)
    assert by_agent["Unassigned"].open_now == 2  # C, and F of next week
    queues = group_report(tenant, week(tenant), ReportFilters(), by="queue_id")
    assert sum(q.assigned for q in queues) == 4
    claimed = [q for q in queues if q.claim_wait.count]
    assert claimed and all(q.claim_wait.median == 0 for q in claimed)

