"""The monthly SLA compliance report from real cases: the month's rows read as they stood
when the month ended, figures computed by hand on a small October 2026 in Europe/Berlin
(the clocks go back on Sunday 25 October), re-generation, the worker's job and its mail.

The tenant's policies, made for the test:
- "Standard" (normal and high priority): first response 60 min and next response 120 min in
  calendar time, resolution 16 business hours on Mon–Fri 09:00–17:00 Berlin time;
- "Urgent" (urgent): first response 30 min, resolution 240 min, calendar time, no next
  response target. Low-priority cases have no policy.
October in Berlin runs from 2026-09-30 22:00 UTC (CEST) to 2026-10-31 23:00 UTC (CET)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import (
    CustomerMessage,
    case_add_note,
    case_customer_reply,
    case_transition,
)
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.priority import Priority
from casedesk.mail.delivery import as_email
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.ops.provisioning import tenant_create
from casedesk.reports.compliance import TargetRow, from_json, to_json
from casedesk.reports.compliance_job import (
    AUTOMATIC_MARK,
    DueTimes,
    Happening,
    MonthCase,
    PolicyTargets,
    Target,
    case_rows,
    check_month_over,
    compliance_due,
    compliance_generate,
    month_rows,
    parse_month,
)
from casedesk.reports.models import MonthlyCompliance
from casedesk.sla.calendars import DEFAULT_WEEK
from casedesk.sla.clock import ALWAYS, Calendar, due, weekdays
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tenancy.models import Membership, Role, Tenant
from casedesk.tenancy.services import membership_add, tenant_bump_version, user_get_or_create
from tests.cases.test_concurrency import _race
from tests.conftest import postgres_only
from tests.factories import make_case

SEPTEMBER, OCTOBER, NOVEMBER = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
OCTOBER_END = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
FIRST_RUN = datetime(2026, 11, 1, 0, 10, tzinfo=UTC)  # 01:10 on 1 November in Berlin
LATER = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PATHS = {"open": ("open",), "in_progress": ("open", "in_progress"),
         "pending_customer": ("open", "in_progress", "pending_customer"),
         "resolved": ("open", "in_progress", "resolved")}


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def fresh(case: Case) -> Case:
    return Case.objects.select_related("tenant").get(pk=case.pk)


def move(case: Case, member: Membership, to: str, at: datetime) -> Case:
    """Walks the case to `to` along the default lifecycle from wherever it stands."""
    case = fresh(case)
    path = PATHS[to]
    steps = path[path.index(case.status) + 1:] if case.status in path else path
    for status in steps:
        case = case_transition(case=case, actor=member.user, to=status, now=at,
                               note="Done." if status == "resolved" else "")
    return fresh(case)


def reply(case: Case, member: Membership, at: datetime) -> Case:
    case_add_note(case=fresh(case), actor=member.user, body="On it.", is_public=True, now=at)
    return fresh(case)


def customer(case: Case, at: datetime, *, automatic: bool = False) -> Case:
    case_customer_reply(case=fresh(case), message=CustomerMessage(
        body="Any news?", author_email="jo@customer.example", automatic=automatic), now=at)
    return fresh(case)


@dataclass
class History:
    tenant: Tenant
    cases: dict[str, Case]

    def number(self, name: str) -> int:
        return self.cases[name].number


def berlin_desk(tenant: Tenant) -> Tenant:
    Tenant.objects.filter(pk=tenant.pk).update(time_zone="Europe/Berlin",
                                               created_at=utc(9, 1, 0))
    SlaPolicy.objects.filter(tenant=tenant).delete()
    calendar = BusinessCalendar.objects.create(tenant=tenant, name="Berlin office",
                                               time_zone="Europe/Berlin", week=DEFAULT_WEEK)
    SlaPolicy.objects.create(
        tenant=tenant, name="Urgent", position=0, calendar=None,
        conditions=[{"field": "priority", "op": "equals", "value": "urgent"}],
        first_response_minutes=30, first_response_business=False,
        resolution_minutes=240, resolution_business=False, next_response_minutes=None,
        created_at=utc(9, 1, 0), updated_at=utc(9, 1, 0))
    SlaPolicy.objects.create(
        tenant=tenant, name="Standard", position=1, calendar=calendar,
        conditions=[{"field": "priority", "op": "in", "value": ["normal", "high"]}],
        first_response_minutes=60, first_response_business=False,
        resolution_minutes=16 * 60, resolution_business=True,
        next_response_minutes=120, next_response_business=False,
        created_at=utc(9, 1, 0), updated_at=utc(9, 1, 0))
    tenant_bump_version(tenant, "sla_version")
    return Tenant.objects.get(pk=tenant.pk)


def october(tenant: Tenant, agent: Membership) -> History:
    """The month as it happened, up to its end (each case's story in the comments)."""
    tenant = berlin_desk(tenant)
    made: dict[str, Case] = {}

    def case(name: str, at: datetime, priority: int = Priority.NORMAL) -> Case:
        made[name] = make_case(tenant, subject=f"Case {name}", priority=priority, now=at)
        return made[name]

    # B: 23:00 on 30 September in Berlin, answered at 23:30: September's, met there.
    b = case("B", utc(9, 30, 21))
    reply(move(b, agent, "in_progress", utc(9, 30, 21)), agent, utc(9, 30, 21, 30))
    # A: made on the month's first instant (00:00 on 1 October); first response in 45 min;
    # resolution due Fri 2 Oct 17:00 Berlin (15:00 UTC), resolved at 14:00 UTC: met.
    a = case("A", utc(9, 30, 22))
    a = reply(move(a, agent, "in_progress", utc(9, 30, 22)), agent, utc(9, 30, 22, 45))
    move(a, agent, "resolved", utc(10, 2, 14))
    # D: Mon 5 Oct 10:00 UTC; the sweep at 11:05 marks its first response (due 11:00)
    # breached and raises it to high; answered 11:30 (30 min late). Resolution due Wed 7 Oct
    # 10:00 UTC, resolved Tue 6 Oct: met.
    d = move(case("D", utc(10, 5, 10)), agent, "in_progress", utc(10, 5, 10))
    assert d.pk in sla_sweep(now=utc(10, 5, 11, 5), tenant=tenant).cases  # B's resolution too
    assert fresh(d).priority == Priority.HIGH
    d = reply(d, agent, utc(10, 5, 11, 30))
    move(d, agent, "resolved", utc(10, 6, 10))
    # E (urgent): answered in 10 min; waits on the customer 09:00–13:00 (the resolution
    # clock pauses, so it falls due at 16:00, not 12:00), resolved at 14:30: met.
    e = move(case("E", utc(10, 6, 8), Priority.URGENT), agent, "in_progress", utc(10, 6, 8))
    e = reply(e, agent, utc(10, 6, 8, 10))
    e = move(e, agent, "pending_customer", utc(10, 6, 9))
    e = customer(e, utc(10, 6, 13))
    move(e, agent, "resolved", utc(10, 6, 14, 30))
    # G: Mon 12 Oct 09:00 UTC, answered 09:30; a customer's wait 10:00–11:00 (met);
    # resolved Tue 13 Oct 17:00 Berlin with 2 business hours left; re-opened by the customer
    # at 23:00 on Sat 31 Oct: resolution due Mon 2 Nov (open), a new wait due 00:00 UTC on
    # 1 Nov still running at the end (open).
    g = move(case("G", utc(10, 12, 9)), agent, "in_progress", utc(10, 12, 9))
    g = reply(g, agent, utc(10, 12, 9, 30))
    g = reply(customer(g, utc(10, 12, 10)), agent, utc(10, 12, 11))
    g = move(g, agent, "resolved", utc(10, 13, 15))
    customer(g, utc(10, 31, 22))
    # I: low priority, no policy: not in the report.
    case("I", utc(10, 15, 9), Priority.LOW)
    # H: Tue 20 Oct, answered and resolved the same morning: met twice (re-opened in
    # November, which changes nothing in October).
    h = reply(move(case("H", utc(10, 20, 9)), agent, "in_progress", utc(10, 20, 9)), agent,
              utc(10, 20, 9, 10))
    move(h, agent, "resolved", utc(10, 20, 12))
    # F: Mon 26 Oct 09:00 UTC (10:00 CET, after the clocks went back), answered 09:20; the
    # customer writes Tue 10:00 (next answer due 12:00), answered 13:00: 60 min late.
    # Resolution due Wed 28 Oct 09:00 UTC; still open at the month's end: breached by
    # 3 days 14 hours (5,160 min).
    f = move(case("F", utc(10, 26, 9)), agent, "in_progress", utc(10, 26, 9))
    f = reply(f, agent, utc(10, 26, 9, 20))
    reply(customer(f, utc(10, 27, 10)), agent, utc(10, 27, 13))
    # J: Fri 30 Oct 10:00 UTC, answered 10:30, waiting on the customer from 11:00 to the
    # month's end with 15 business hours left: resolution open.
    j = move(case("J", utc(10, 30, 10)), agent, "in_progress", utc(10, 30, 10))
    j = reply(j, agent, utc(10, 30, 10, 30))
    move(j, agent, "pending_customer", utc(10, 30, 11))
    # C: 23:30 on Sat 31 Oct, first response due 00:30 Berlin (after the end): open.
    case("C", utc(10, 31, 22, 30))
    # K: made at 00:00 on 1 November in Berlin: November's.
    case("K", utc(10, 31, 23))
    return History(tenant=Tenant.objects.get(pk=tenant.pk), cases=made)


def november(history: History, agent: Membership) -> None:
    """What happened after the month ended; none of it may change October's report."""
    c = history.cases
    reply(c["C"], agent, utc(11, 1, 0, 30))  # late, marked breached in November
    customer(c["H"], utc(11, 2, 10))  # re-opens H
    customer(c["J"], utc(11, 2, 10))  # J's pause ends
    move(c["F"], agent, "resolved", utc(11, 3, 10))
    sla_sweep(now=utc(11, 5, 12), tenant=history.tenant)  # marks G's and J's clocks


@pytest.fixture
def history(tenant: Tenant, agent: Membership) -> History:
    return october(tenant, agent)


def lines_of(data: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    return {(line["policy"], line["priority"], line["kind"]):
            (line["cases"], line["met"], line["breached"], line["open"])
            for line in data["lines"]}


def test_october_by_hand(history: History) -> None:
    stored = compliance_generate(history.tenant, OCTOBER, FIRST_RUN)
    data = stored.data
    assert stored.month == OCTOBER and stored.generated_at == FIRST_RUN
    assert data["time_zone"] == "Europe/Berlin" and data["tenant_name"] == "Acme Support"
    # (cases measured, met, breached, open); D stays under normal although the sweep
    # raised it to high.
    assert lines_of(data) == {
        ("Standard", "normal", "first_response"): (6, 5, 1, 1),
        ("Standard", "normal", "resolution"): (4, 3, 1, 3),
        ("Standard", "normal", "next_response"): (1, 0, 1, 1),
        ("Urgent", "urgent", "first_response"): (1, 1, 0, 0),
        ("Urgent", "urgent", "resolution"): (1, 1, 0, 0),
    }
    targets = {(line["policy"], line["kind"]): (line["target_minutes"], line["business"])
               for line in data["lines"]}
    assert targets[("Standard", "resolution")] == (960, True)
    assert targets[("Standard", "next_response")] == (120, False)
    totals = {t["kind"]: (t["cases"], t["met"], t["breached"], t["open"],
                          round(t["attainment"], 2) if t["attainment"] is not None else None)
              for t in data["totals"]}
    assert totals == {"first_response": (7, 6, 1, 1, 85.71),
                      "resolution": (5, 4, 1, 3, 80.0),
                      "next_response": (1, 0, 1, 1, 0.0)}
    offenders = [(o["case_number"], o["kind"], o["overrun_minutes"], o["due_at"], o["done_at"])
                 for o in data["offenders"]]
    f, d = history.number("F"), history.number("D")
    assert offenders == [
        (f, "resolution", 5160, "2026-10-28T09:00:00+00:00", None),
        (f, "next_response", 60, "2026-10-27T12:00:00+00:00", "2026-10-27T13:00:00+00:00"),
        (d, "first_response", 30, "2026-10-05T11:00:00+00:00", "2026-10-05T11:30:00+00:00"),
    ]


def test_which_cases_belong_to_the_month(history: History, other_tenant: Tenant) -> None:
    make_case(other_tenant, subject="Globex secret", now=utc(10, 10, 9))
    rows = month_rows(history.tenant, OCTOBER)
    subjects = {row.subject for row in rows}
    # A made on the first instant, C half an hour before the end; B (September), K
    # (November), I (no policy) and the other tenant's case are not October's.
    assert subjects == {f"Case {n}" for n in "ACDEFGHJ"}
    assert {row.subject for row in month_rows(other_tenant, OCTOBER)} == {"Globex secret"}
    assert {row.subject for row in month_rows(history.tenant, SEPTEMBER)} == {"Case B"}
    assert {row.subject for row in month_rows(history.tenant, NOVEMBER)} == {"Case K"}


def test_the_paused_and_reopened_clocks(history: History) -> None:
    rows = {(row.subject, row.kind): row for row in month_rows(history.tenant, OCTOBER)}
    # E's resolution clock stood still 09:00–13:00: due at 16:00, done at 14:30.
    e = rows[("Case E", "resolution")]
    assert (e.due_at, e.done_at) == (utc(10, 6, 16), utc(10, 6, 14, 30))
    # J waits on the customer at the end: the pause counts up to the end, 15 business hours
    # are left, so it would fall due on Tue 3 Nov at 16:00 Berlin (15:00 UTC).
    j = rows[("Case J", "resolution")]
    assert (j.due_at, j.done_at, j.breached) == (utc(11, 3, 15), None, False)
    # G was resolved with 2 business hours left and re-opened on Saturday night.
    g = rows[("Case G", "resolution")]
    assert (g.due_at, g.done_at) == (utc(11, 2, 10), None)
    g_next = rows[("Case G", "next_response")]
    assert (g_next.due_at, g_next.done_at) == (utc(11, 1, 0), None)
    assert rows[("Case D", "first_response")].priority == "normal"


def test_regenerating_later_gives_the_same_report(history: History, agent: Membership) -> None:
    first = to_json(from_json(compliance_generate(history.tenant, OCTOBER, FIRST_RUN).data))
    november(history, agent)
    assert fresh(history.cases["H"]).resolved_at is None  # re-opened since
    assert fresh(history.cases["C"]).first_response_breached_at is not None
    again = compliance_generate(history.tenant, OCTOBER, LATER)
    assert MonthlyCompliance.objects.filter(tenant=history.tenant).count() == 1
    assert again.generated_at == LATER
    assert {**again.data, "generated_at": None} == {**first, "generated_at": None}


def test_the_trend_holds_the_stored_months_before(history: History) -> None:
    september = compliance_generate(history.tenant, SEPTEMBER, FIRST_RUN).data
    assert lines_of(september) == {("Standard", "normal", "first_response"): (1, 1, 0, 0),
                                   ("Standard", "normal", "resolution"): (0, 0, 0, 1)}
    trend = compliance_generate(history.tenant, OCTOBER, FIRST_RUN).data["trend"]
    assert [point["month"] for point in trend] == [
        "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01"]
    assert trend[-1]["attainment"] == {"first_response": 100.0, "resolution": None,
                                       "next_response": None}
    assert all(v is None for point in trend[:-1] for v in point["attainment"].values())


def test_a_month_not_over_is_refused(history: History) -> None:
    # At 00:30 UTC on 31 October it is still October in Berlin.
    with pytest.raises(Conflict, match="October 2026 is this month in Europe/Berlin"):
        compliance_generate(history.tenant, OCTOBER, utc(10, 31, 22, 30))
    with pytest.raises(Conflict, match="is still to come"):
        check_month_over(history.tenant, date(2027, 1, 1), FIRST_RUN)
    check_month_over(history.tenant, OCTOBER, OCTOBER_END)  # the first instant after it
    assert not MonthlyCompliance.objects.exists()


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-10", "2026-1", "2026/10",
                                  "１９９９-01", "1969-12", " 2026-10", "2026-10\n", ""])
def test_months_are_written_yyyy_mm(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_month(text)
    assert refused.value.field == "month"


def test_parse_month() -> None:
    assert parse_month("2026-10") == OCTOBER
    assert parse_month("1970-01") == date(1970, 1, 1)


# --- the worker's job ---------------------------------------------------------------------------

def report_mails(tenant: Tenant) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(tenant=tenant, kind=OutboundKind.REPORT)
                .order_by("recipient"))


def test_the_job_makes_and_mails_last_month_once(history: History, admin: Membership,
                                                 manager: Membership, agent: Membership,
                                                 settings: Any, api_for: Any) -> None:
    settings.BASE_URL = "https://desk.example"
    lines = compliance_due(FIRST_RUN)
    assert lines == ["SLA compliance 2026-10 for acme: mailed to 2 manager(s) and admin(s)"]
    stored = MonthlyCompliance.objects.get(tenant=history.tenant)
    assert (stored.month, stored.generated_at, stored.mailed_at) == (OCTOBER, FIRST_RUN,
                                                                      FIRST_RUN)
    mails = report_mails(history.tenant)
    # Managers and admins only: Alice, an agent, gets none.
    assert [m.recipient for m in mails] == ["admin@acme.test", "mona@acme.test"]
    mail = mails[1]
    assert mail.case is None and mail.subject == "SLA compliance, October 2026 — Acme Support"
    assert "Hello Mona Manager," in mail.body
    assert "  First response: 85.7% (6 met, 1 breached, 1 open)" in mail.body
    assert "  Next response: 0.0% (0 met, 1 breached, 1 open)" in mail.body
    assert (f'  CS-{history.number("F")} "Case F": resolution 3 d 14 h late'
            in mail.body)
    assert "https://desk.example/reports/compliance/2026-10\n" in mail.body
    assert "https://desk.example/reports/compliance/2026-10.pdf\n" in mail.body
    assert as_email(mail).extra_headers["Auto-Submitted"] == "auto-generated"
    # The outbox shows it to the admins like any other mail.
    listed = api_for(admin).get("/mail/outbound", status="pending").json()["items"]
    assert {(m["kind"], m["recipient"]) for m in listed} == {
        ("report", "admin@acme.test"), ("report", "mona@acme.test")}

    # Twice, and later in the month: nothing more.
    assert compliance_due(FIRST_RUN) == []
    assert compliance_due(FIRST_RUN + timedelta(days=3)) == []
    assert len(report_mails(history.tenant)) == 2
    assert MonthlyCompliance.objects.get(tenant=history.tenant).mailed_at == FIRST_RUN


def test_the_job_mails_a_report_made_by_hand_without_making_it_again(
        history: History, manager: Membership) -> None:
    compliance_generate(history.tenant, OCTOBER, FIRST_RUN)
    assert len(compliance_due(FIRST_RUN + timedelta(minutes=15))) == 1
    stored = MonthlyCompliance.objects.get(tenant=history.tenant)
    assert stored.generated_at == FIRST_RUN
    assert stored.mailed_at == FIRST_RUN + timedelta(minutes=15)
    assert len(report_mails(history.tenant)) == 2  # the admin and Mona
    # Re-generated by hand afterwards: mailed stays mailed, no second mail.
    compliance_generate(history.tenant, OCTOBER, LATER)
    assert MonthlyCompliance.objects.get(tenant=history.tenant).mailed_at is not None
    assert compliance_due(LATER) == []
    assert len(report_mails(history.tenant)) == 2


def test_the_job_follows_each_tenants_zone_and_age(history: History, other_tenant: Tenant,
                                                   outsider: Membership) -> None:
    # At 00:10 UTC on 1 November it is 20:10 on 31 October in New York: the month before is
    # September there.
    Tenant.objects.filter(pk=other_tenant.pk).update(time_zone="America/New_York",
                                                     created_at=utc(8, 1, 0))
    compliance_due(FIRST_RUN)
    assert set(MonthlyCompliance.objects.values_list("tenant__slug", "month")) == {
        ("acme", OCTOBER), ("globex", SEPTEMBER)}
    assert [m.recipient for m in report_mails(other_tenant)] == ["admin@globex.test"]
    assert "admin@globex.test" not in [m.recipient for m in report_mails(history.tenant)]
    # A tenant made after the month ended gets no report of it.
    MonthlyCompliance.objects.all().delete()
    Tenant.objects.filter(pk=other_tenant.pk).update(time_zone="UTC",
                                                     created_at=utc(11, 1, 0, 5))
    compliance_due(FIRST_RUN)
    assert list(MonthlyCompliance.objects.values_list("tenant__slug", flat=True)) == ["acme"]


def test_a_tenants_report_reads_only_its_own_cases(history: History,
                                                    other_tenant: Tenant) -> None:
    make_case(other_tenant, subject="Globex secret", now=utc(10, 10, 9))
    Tenant.objects.filter(pk=other_tenant.pk).update(created_at=utc(8, 1, 0))
    compliance_due(FIRST_RUN)
    ours = MonthlyCompliance.objects.get(tenant=history.tenant).data
    theirs = MonthlyCompliance.objects.get(tenant=other_tenant).data
    assert sum(t["cases"] + t["open"] for t in theirs["totals"]) == 2  # its FR, resolution
    assert "Globex secret" not in str(ours)
    assert all(o["subject"] == "Globex secret" for o in theirs["offenders"])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_workers_mail_each_report_once() -> None:
    tenant = tenant_create(slug="race", name="Race", admin_email="admin@race.test")
    membership_add(tenant=tenant, user=user_get_or_create(email="boss@race.test"),
                   role=Role.MANAGER)
    Tenant.objects.filter(pk=tenant.pk).update(created_at=utc(9, 1, 0))
    for day in range(1, 6):
        make_case(tenant, subject=f"Case {day}", now=utc(10, day, 9))
    # The same moment for every run: only the database tells them apart.
    ran = _race(lambda i: compliance_due(FIRST_RUN))
    assert not [r for r in ran if isinstance(r, BaseException)], ran
    assert sum(len(r) for r in ran if isinstance(r, list)) == 1
    assert MonthlyCompliance.objects.filter(tenant=tenant, mailed_at=FIRST_RUN).count() == 1
    assert sorted(m.recipient for m in report_mails(tenant)) == ["admin@race.test",
                                                                  "boss@race.test"]


# --- one case's rows, without a database --------------------------------------------------------

STANDARD = PolicyTargets(name="Standard", first_response=Target(60, False, ALWAYS),
                         resolution=Target(480, False, ALWAYS),
                         next_response=Target(120, False, ALWAYS))
START = utc(10, 5, 9)


def happening(kind: str, at: datetime, *, by_member: bool = False, old: Any = None,
              new: Any = None, message: str = "", field: str = "") -> Happening:
    return Happening(kind=kind, at=at, by_member=by_member, field=field, old=old, new=new,
                     message=message)


def rows_of(*events: Happening, first_response_at: datetime | None = None,
            pauses: tuple[tuple[datetime, datetime | None], ...] = ()
            ) -> dict[str, TargetRow]:
    case = MonthCase(number=7, subject="S", priority=Priority.HIGH, created_at=START,
                     first_response_at=first_response_at, first_response_breached_at=None,
                     resolution_breached_at=None, events=events, pauses=pauses)
    return {row.kind: row for row in case_rows(case, STANDARD, period_end=OCTOBER_END,
                                               pause_when_pending=True)}


def test_an_automatic_message_starts_no_wait() -> None:
    first = happening("reply_added", START + timedelta(minutes=5), by_member=True)
    robot = happening("customer_replied", START + timedelta(hours=1),
                      message="Out of office wrote " + AUTOMATIC_MARK)
    assert "next_response" not in rows_of(first, robot, first_response_at=first.at)
    human = happening("customer_replied", START + timedelta(hours=1), message="Jo wrote.")
    row = rows_of(first, human, first_response_at=first.at)["next_response"]
    assert (row.due_at, row.done_at) == (START + timedelta(hours=3), None)


def test_a_message_before_the_first_response_starts_no_wait() -> None:
    human = happening("customer_replied", START + timedelta(minutes=5), message="Jo wrote.")
    first = happening("reply_added", START + timedelta(minutes=30), by_member=True)
    assert "next_response" not in rows_of(human, first, first_response_at=first.at)


def test_waiting_on_the_customer_ends_a_wait_and_the_worst_wait_stands() -> None:
    events = (
        happening("reply_added", START, by_member=True),
        happening("customer_replied", START + timedelta(hours=1), message="Jo wrote."),
        # Answered by moving to pending 30 min after its due time.
        happening("status_changed", START + timedelta(hours=3, minutes=30),
                  old="in_progress", new="pending_customer"),
        happening("status_changed", START + timedelta(hours=4), old="pending_customer",
                  new="in_progress"),
        happening("customer_replied", START + timedelta(hours=5), message="Jo wrote."),
        happening("reply_added", START + timedelta(hours=6), by_member=True),
    )
    row = rows_of(*events, first_response_at=START)["next_response"]
    assert (row.due_at, row.done_at) == (START + timedelta(hours=3),
                                         START + timedelta(hours=3, minutes=30))


def test_the_priority_is_the_one_last_set_before_the_end() -> None:
    events = (
        happening("created", START, new={"priority": "normal"}),
        happening("field_changed", START + timedelta(hours=1), field="priority",
                  old="normal", new="urgent"),
        happening("field_changed", OCTOBER_END + timedelta(hours=1), field="priority",
                  old="urgent", new="low"),
    )
    assert rows_of(*events)["first_response"].priority == "urgent"
    assert rows_of()["first_response"].priority == "high"  # no history: as it is now


def test_the_months_due_times_are_the_sla_clocks() -> None:
    """`DueTimes` cuts a calendar once per month; it must answer exactly as `sla.clock.due`,
    across the clocks going back, a holiday, an overnight shift and past its window."""
    week = list(weekdays(9 * 60, 17 * 60))
    week[5] = ((22 * 60, 2 * 60),)  # Saturday night into Sunday
    calendar = Calendar("Europe/Berlin", tuple(week), frozenset({date(2026, 10, 26)}))
    start = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    dues = DueTimes((start, OCTOBER_END + timedelta(days=20)))
    moment = start - timedelta(hours=3)  # starts before the window too
    while moment < OCTOBER_END + timedelta(days=3):
        for minutes in (1, 59, 8 * 60, 16 * 60, 40 * 60, 30 * 24 * 60):
            target = timedelta(minutes=minutes)
            assert dues.due(calendar, moment, target) == due(calendar, moment, target), (
                moment, minutes)
        moment += timedelta(minutes=97)
    pauses = [(start + timedelta(days=1), start + timedelta(days=2))]
    assert dues.due(calendar, start, timedelta(hours=20), pauses) == due(
        calendar, start, timedelta(hours=20), pauses)
