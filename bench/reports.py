"""`scorecard_p50_1m`, `scorecard_p99_1m` (ms) and `compliance_report_1m` (s): the reports of
the 1,000,000-case tenant (`bench-1m`).

**History.** The bulk load makes cases with their moments (created, first response,
resolved, closed) but no history. `ensure_history` gives every case of `bench-1m` without a
timeline one, once, set-based (one statement per table, inside one transaction), with the
shape the services give it:
- the SLA policy of its priority (the tenant's defaults), with due and warning times on the
  open cases whose clocks run, and breaches: P_FIRST_RESPONSE_LATE of the answered cases and
  P_RESOLUTION_LATE of the resolved ones were late (their due times fall before the work),
  and open cases are late when their due time has passed. Due times stretch business-hours
  targets by BUSINESS_STRETCH calendar hours per business hour (an approximation: a
  Mon-Fri 09:00-17:00 week has 40 of its 168 hours);
- the events a case's life writes: created, claimed (the owner), the first reply (a public
  note by the owner, or an agent), status changes (open, in progress, pending, resolved,
  closed), P_EXCHANGE of the answered cases a customer's message and a second reply,
  P_REOPEN of the resolved cases resolved once before and re-opened, SLA breaches;
- the SLA pauses of resolved, closed and (the tenant pausing on pending) pending cases;
- satisfaction surveys for the resolved cases with a contact, CSAT_DELAY after resolution;
  P_CSAT_ANSWERED of them answered, P_CSAT_GOOD of those "good".
The cases' answered moments are kept, except that a resolved case is answered before it
was resolved. The 50 cases the case-page figure opens get their history through the
services first (`loader.page_cases`) and keep it. Then `reports.rollup.facts_rebuild`
computes every case's facts, as `casedesk reports_rebuild` does.

**Figures.** The scorecard (`reports.scorecard.scorecard`) of the last 30 days, in-process,
SCORECARD_CALLS times after SCORECARD_WARMUP, tenant-wide (the figure) and for the Support
queue (in the details); the compliance report of the last month
(`reports.compliance_job.compliance_generate`, which reads the month's cases, events and
pauses and stores the report), COMPLIANCE_RUNS times, the median. "Now" is when the data
ends (the newest case), so reused data measures the same periods however old it is.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max

from bench.loader import REPLIES, BenchTenant, _skip_foreign_key_triggers, log, page_cases
from bench.results import Report, percentile
from casedesk.cases.models import Case, TimelineEvent
from casedesk.core.priority import PRIORITY_BY_RUNG, Priority
from casedesk.csat.models import Survey
from casedesk.reports.compliance import add_months
from casedesk.reports.compliance_job import compliance_generate, current_month
from casedesk.reports.models import CaseFact, MonthlyCompliance
from casedesk.reports.periods import local_midnight, period_of
from casedesk.reports.rollup import facts_rebuild, facts_refresh
from casedesk.reports.scorecard import ReportFilters, scorecard
from casedesk.routing.models import Queue
from casedesk.sla.models import SlaPolicy

P_FIRST_RESPONSE_LATE = 0.08
P_RESOLUTION_LATE = 0.12
P_REOPEN = 0.05
P_EXCHANGE = 0.35
P_CSAT_ANSWERED = 0.30
P_CSAT_GOOD = 0.85
CSAT_DELAY = timedelta(hours=24)
CSAT_LIFETIME = timedelta(days=14)
BUSINESS_STRETCH = 168 / 40
SWEEP_LAG = timedelta(minutes=5)  # a breach is marked by the next sweep after the due time
CUSTOMER_MESSAGE = "Thanks, but it still happens. Could you have another look?"

SCORECARD_WARMUP = 10
SCORECARD_CALLS = 100
COMPLIANCE_RUNS = 3
HISTORY_TABLES = ("cases_note", "cases_timelineevent", "sla_slapause", "csat_survey")


# --- history ---------------------------------------------------------------------------------


def has_history(bench: BenchTenant) -> bool:
    """Whether the history was written (surveys only come from it) and every case has facts
    (a reload deletes the cases with everything that hangs on them)."""
    tenant = bench.tenant
    cases = Case.objects.filter(tenant=tenant).count()
    return (Survey.objects.filter(tenant=tenant).exists()
            and CaseFact.objects.filter(tenant=tenant).count() == cases)


def ensure_history(report: Report, bench: BenchTenant) -> None:
    """Gives `bench-1m` its history and facts unless it has them; reports the load times."""
    page_cases(bench)  # their history through the services, before the bulk passes them by
    if has_history(bench):
        facts_refresh()  # whatever changed since (the case-page cases' first history)
        log(f"{bench.tenant.slug}: reusing the reports' history and facts")
        return
    started = time.perf_counter()
    written = _write_history(bench)
    history_s = time.perf_counter() - started
    log(f"{bench.tenant.slug}: history written in {history_s:.0f} s: {written}")
    started = time.perf_counter()
    facts = facts_rebuild(bench.tenant)
    facts_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) reports_casefact")
    log(f"{bench.tenant.slug}: facts of {facts:,} cases rebuilt in {facts_s:.0f} s")
    report.add("load_history_1m", history_s, "s")
    report.add("facts_rebuild_1m", facts_s, "s")
    report.details["reports_history"] = {"rows": written, "history_s": round(history_s, 1),
                                         "facts_rebuild_s": round(facts_s, 1)}


def _policies_by_rung(bench: BenchTenant) -> list[int | None]:
    """The tenant's first enabled policy for each priority rung (1..4), matched on a lone
    `priority equals` condition as the defaults are made."""
    found: dict[int, int] = {}
    for policy in SlaPolicy.objects.filter(tenant=bench.tenant, is_enabled=True):
        conditions = policy.conditions or []
        if len(conditions) == 1 and conditions[0].get("field") == "priority":
            rung = Priority.from_name(str(conditions[0].get("value")))
            found.setdefault(int(rung), policy.pk)
    return [found.get(rung) for rung in sorted(PRIORITY_BY_RUNG)]


def _params(bench: BenchTenant) -> dict[str, Any]:
    policy_ids = _policies_by_rung(bench)
    policies = {p.pk: p for p in SlaPolicy.objects.filter(pk__in=[p for p in policy_ids if p])}

    def target(rung: int, name: str) -> int | None:
        policy = policies.get(policy_ids[rung - 1] or 0)
        if policy is None:
            return None
        minutes = int(getattr(policy, f"{name}_minutes"))
        stretch = BUSINESS_STRETCH if getattr(policy, f"{name}_business") else 1.0
        return round(minutes * stretch)

    rungs = sorted(PRIORITY_BY_RUNG)
    now = Case.objects.filter(tenant=bench.tenant).aggregate(m=Max("created_at"))["m"]
    return {
        "tenant": bench.tenant.pk,
        "now": now,
        "policies": policy_ids,
        "fr_minutes": [target(r, "first_response") for r in rungs],
        "res_minutes": [target(r, "resolution") for r in rungs],
        "warn": [(policies[p].warn_at_percent / 100 if p else None) for p in policy_ids],
        "labels": [PRIORITY_BY_RUNG[r] for r in rungs],
        "agents": bench.agent_ids,
        "n_agents": len(bench.agent_ids),
        "replies": list(REPLIES),
        "n_replies": len(REPLIES),
        "customer_message": CUSTOMER_MESSAGE,
        "pause_pending": bench.tenant.sla_pause_when_pending,
        "p_fr": P_FIRST_RESPONSE_LATE,
        "p_res": P_RESOLUTION_LATE,
        "p_reopen": P_REOPEN,
        "p_talk": P_EXCHANGE,
        "p_answer": P_CSAT_ANSWERED,
        "p_good": P_CSAT_GOOD,
        "csat_delay": CSAT_DELAY,
        "csat_lifetime": CSAT_LIFETIME,
        "sweep_lag": SWEEP_LAG,
    }


# One row per case without a timeline: every moment and decision of its history, drawn once
# (volatile random() in the innermost query), derived layer by layer.
_PLAN = """
CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
SELECT v.*,
    CASE WHEN fr_late THEN LEAST(fr_due + r_lag * %(sweep_lag)s, COALESCE(responded, %(now)s))
    END AS fr_breached,
    CASE WHEN res_late THEN LEAST(res_due + r_lag * %(sweep_lag)s, COALESCE(res_end, %(now)s))
    END AS res_breached,
    CASE WHEN talks THEN responded + (talk_end - responded) * 0.3 END AS asked,
    CASE WHEN talks THEN responded + (talk_end - responded) * 0.6 END AS answered,
    CASE WHEN surveyed AND r_csat < %(p_answer)s
         THEN CASE WHEN r_rating < %(p_good)s THEN 5 ELSE 1 END END AS rating
FROM (
    SELECT u.*,
        CASE WHEN policy_id IS NULL THEN false
             WHEN responded IS NULL THEN created + fr_span < %(now)s
             ELSE r_fr < %(p_fr)s END AS fr_late,
        CASE WHEN responded IS NULL THEN created + fr_span
             WHEN r_fr < %(p_fr)s THEN created + (responded - created) * (0.3 + 0.6 * r_lag)
             ELSE GREATEST(created + fr_span, responded) END AS fr_due,
        CASE WHEN policy_id IS NULL THEN false
             WHEN res_end IS NULL THEN created + res_span < %(now)s
             ELSE r_res < %(p_res)s END AS res_late,
        CASE WHEN res_end IS NULL THEN created + res_span
             WHEN r_res < %(p_res)s THEN created + (res_end - created) * (0.3 + 0.6 * r_lag)
             ELSE GREATEST(created + res_span, res_end) END AS res_due,
        responded IS NOT NULL AND r_talk < %(p_talk)s
            AND status NOT IN ('new', 'open') AS talks,
        done AND email <> '' AND resolved + %(csat_delay)s < %(now)s AS surveyed
    FROM (
        SELECT t.*,
            COALESCE(first_done, resolved, pend_at) AS res_end,
            COALESCE(first_done, resolved, pend_at, %(now)s) AS talk_end
        FROM (
            SELECT s.*,
                CASE WHEN reopened THEN responded + (resolved - responded) * 0.4 END
                    AS first_done,
                CASE WHEN reopened THEN responded + (resolved - responded) * 0.55 END
                    AS reopened_at,
                CASE WHEN status = 'pending_customer'
                     THEN responded + (%(now)s - responded) * (0.3 + 0.6 * r_pend) END AS pend_at,
                CASE WHEN owner_id IS NOT NULL AND status <> 'new'
                     THEN created + (COALESCE(responded, %(now)s) - created) * (0.1 + 0.4 * r_claim)
                END AS claimed_at
            FROM (
                SELECT r.*,
                    CASE WHEN done AND responded0 IS NOT NULL
                         THEN LEAST(responded0, created + (resolved - created) * 0.5)
                         ELSE responded0 END AS responded,
                    done AND responded0 IS NOT NULL AND r_reopen < %(p_reopen)s AS reopened,
                    fr_min * interval '1 minute' AS fr_span,
                    res_min * interval '1 minute' AS res_span
                FROM (
                    SELECT c.id AS case_id, c.status, c.priority, c.queue_id, c.owner_id,
                        c.source, c.contact_id, COALESCE(ct.email, '') AS email,
                        c.created_at AS created, c.first_response_at AS responded0,
                        c.resolved_at AS resolved, c.closed_at AS closed,
                        c.status IN ('resolved', 'closed') AS done,
                        (%(policies)s::bigint[])[c.priority] AS policy_id,
                        (%(fr_minutes)s::int[])[c.priority] AS fr_min,
                        (%(res_minutes)s::int[])[c.priority] AS res_min,
                        (%(warn)s::float8[])[c.priority] AS warn,
                        (%(labels)s::text[])[c.priority] AS label,
                        COALESCE(c.owner_id,
                                 (%(agents)s::bigint[])[1 + floor(random() * %(n_agents)s)::int])
                            AS agent_id,
                        random() AS r_fr, random() AS r_res, random() AS r_lag,
                        random() AS r_reopen, random() AS r_talk, random() AS r_csat,
                        random() AS r_rating, random() AS r_claim, random() AS r_pend,
                        random() AS r_text, random() AS r_answer, random() AS r_survey
                    FROM cases_case c
                    LEFT JOIN crm_contact ct ON ct.id = c.contact_id
                    WHERE c.tenant_id = %(tenant)s
                      AND NOT EXISTS (SELECT 1 FROM cases_timelineevent e WHERE e.case_id = c.id)
                ) AS r
            ) AS s
        ) AS t
    ) AS u
) AS v
"""

_UPDATE_CASES = """
UPDATE cases_case c SET
    first_response_at = p.responded,
    sla_policy_id = p.policy_id,
    first_response_due_at = CASE WHEN p.runs THEN p.fr_due END,
    resolution_due_at = CASE WHEN p.runs THEN p.res_due END,
    first_response_warn_at = CASE WHEN p.runs THEN p.created + p.fr_span * p.warn END,
    resolution_warn_at = CASE WHEN p.runs THEN p.created + p.res_span * p.warn END,
    first_response_breached_at = p.fr_breached,
    resolution_breached_at = p.res_breached,
    reopen_count = CASE WHEN p.reopened THEN 1 ELSE 0 END,
    status_changed_at = COALESCE(p.closed, p.resolved, p.pend_at, p.reopened_at, p.claimed_at,
                                 p.responded)
FROM (SELECT *, policy_id IS NOT NULL AND NOT done
                AND NOT (status = 'pending_customer' AND %(pause_pending)s) AS runs
      FROM bench_plan) AS p
WHERE c.id = p.case_id
"""

# The first reply, the customer's message and the second reply.
_NOTES = """
INSERT INTO cases_note (tenant_id, case_id, author_id, body, is_public, author_email,
                        author_name, quoted, created_at)
SELECT %(tenant)s, case_id, author_id, body, true, author_email, '', '', at
FROM (
    SELECT case_id, agent_id AS author_id, responded AS at, '' AS author_email,
        (%(replies)s::text[])[1 + floor(r_text * %(n_replies)s)::int] AS body
    FROM bench_plan WHERE responded IS NOT NULL
    UNION ALL
    SELECT case_id, NULL, asked, email, %(customer_message)s FROM bench_plan WHERE talks
    UNION ALL
    SELECT case_id, agent_id, answered, '',
        (%(replies)s::text[])[1 + floor(r_answer * %(n_replies)s)::int]
    FROM bench_plan WHERE talks
) AS n
ORDER BY case_id, at
"""

def _status(old: str, new: str) -> str:
    return f"'status', to_jsonb('{old}'::text), to_jsonb('{new}'::text)"


# Every event of a case, in the order they happened (`seq` orders events of one moment).
_EVENTS = f"""
INSERT INTO cases_timelineevent (tenant_id, case_id, actor_id, kind, field, old_value,
                                 new_value, message, note_id, created_at)
SELECT %(tenant)s, e.case_id, e.actor_id, e.kind, e.field, e.old_value, e.new_value,
    e.message, n.id, e.at
FROM (
    SELECT case_id, 0 AS seq, created AS at, CASE WHEN contact_id IS NULL THEN agent_id END
        AS actor_id, 'created' AS kind, '' AS field, NULL::jsonb AS old_value,
        jsonb_build_object('status', 'new', 'priority', label, 'queue_id', queue_id,
                           'owner_id', NULL, 'source', source) AS new_value,
        '' AS message, false AS noted
    FROM bench_plan
    UNION ALL
    SELECT case_id, 1, claimed_at, owner_id, 'claimed', 'owner_id', NULL,
        to_jsonb(owner_id), 'Claimed by ' || COALESCE(NULLIF(u.full_name, ''), u.email) || '.',
        false
    FROM bench_plan JOIN tenancy_user u ON u.id = owner_id WHERE claimed_at IS NOT NULL
    UNION ALL
    SELECT case_id, 2, COALESCE(claimed_at, responded), agent_id, 'status_changed',
        {_status("new", "open")}, '', false
    FROM bench_plan WHERE status <> 'new'
    UNION ALL
    SELECT case_id, 3, responded, agent_id, 'reply_added', '', NULL, NULL, '', true
    FROM bench_plan WHERE responded IS NOT NULL
    UNION ALL
    SELECT case_id, 4, responded, agent_id, 'status_changed', {_status("open", "in_progress")},
        '', false
    FROM bench_plan WHERE status NOT IN ('new', 'open')
    UNION ALL
    SELECT case_id, 5, asked, NULL, 'customer_replied', '', NULL, NULL,
        COALESCE(NULLIF(email, ''), 'The customer') || ' wrote.', true
    FROM bench_plan WHERE talks
    UNION ALL
    SELECT case_id, 6, answered, agent_id, 'reply_added', '', NULL, NULL, '', true
    FROM bench_plan WHERE talks
    UNION ALL
    SELECT case_id, 7, pend_at, agent_id, 'status_changed',
        {_status("in_progress", "pending_customer")}, '', false
    FROM bench_plan WHERE pend_at IS NOT NULL
    UNION ALL
    SELECT case_id, 8, first_done, agent_id, 'status_changed',
        {_status("in_progress", "resolved")}, '', false
    FROM bench_plan WHERE reopened
    UNION ALL
    SELECT case_id, 9, reopened_at, NULL, 'status_changed', {_status("resolved", "open")},
        'Re-opened.', false
    FROM bench_plan WHERE reopened
    UNION ALL
    SELECT case_id, 10, reopened_at, agent_id, 'status_changed',
        {_status("open", "in_progress")}, '', false
    FROM bench_plan WHERE reopened
    UNION ALL
    SELECT case_id, 11, resolved, agent_id, 'status_changed',
        {_status("in_progress", "resolved")}, '', false
    FROM bench_plan WHERE done
    UNION ALL
    SELECT case_id, 12, closed, agent_id, 'status_changed', {_status("resolved", "closed")},
        '', false
    FROM bench_plan WHERE status = 'closed'
    UNION ALL
    SELECT case_id, 13, fr_breached, NULL, 'sla_breached', 'sla', NULL,
        jsonb_build_object('targets', jsonb_build_array('first response'), 'priority', label,
                           'elevated', false),
        'SLA breached: first response.', false
    FROM bench_plan WHERE fr_breached IS NOT NULL
    UNION ALL
    SELECT case_id, 14, res_breached, NULL, 'sla_breached', 'sla', NULL,
        jsonb_build_object('targets', jsonb_build_array('resolution'), 'priority', label,
                           'elevated', false),
        'SLA breached: resolution.', false
    FROM bench_plan WHERE res_breached IS NOT NULL
) AS e
LEFT JOIN cases_note n ON e.noted AND n.case_id = e.case_id AND n.created_at = e.at
ORDER BY e.case_id, e.at, e.seq
"""

_PAUSES = """
INSERT INTO sla_slapause (tenant_id, case_id, started_at, ended_at)
SELECT %(tenant)s, case_id, first_done, reopened_at FROM bench_plan WHERE reopened
UNION ALL
SELECT %(tenant)s, case_id, resolved, NULL FROM bench_plan WHERE done
UNION ALL
SELECT %(tenant)s, case_id, pend_at, NULL FROM bench_plan
WHERE pend_at IS NOT NULL AND %(pause_pending)s
"""

_SURVEYS = """
INSERT INTO csat_survey (tenant_id, case_id, nonce, scale, recipient, sent_at, expires_at,
                         rating, comment, answered_at, bad_notified_at)
SELECT %(tenant)s, case_id, md5(case_id::text || r_csat::text), 'good_bad', lower(email),
    resolved + %(csat_delay)s, resolved + %(csat_delay)s + %(csat_lifetime)s, rating, '',
    answered_at, CASE WHEN rating = 1 THEN answered_at END
FROM (
    SELECT *, CASE WHEN rating IS NOT NULL
                   THEN resolved + %(csat_delay)s
                        + (LEAST(%(now)s, resolved + %(csat_delay)s + interval '3 days')
                           - resolved - %(csat_delay)s) * r_survey END AS answered_at
    FROM bench_plan WHERE surveyed
) AS s
ORDER BY case_id
"""


def _write_history(bench: BenchTenant) -> dict[str, int]:
    params = _params(bench)
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Every id written comes from rows that exist (see loader._skip_foreign_key_triggers).
        _skip_foreign_key_triggers(cursor)
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        started = time.perf_counter()
        cursor.execute(_PLAN, params)
        counts["cases"] = cursor.rowcount
        cursor.execute("CREATE INDEX ON bench_plan (case_id)")
        cursor.execute("ANALYZE bench_plan")
        log(f"  planned {counts['cases']:,} cases ({time.perf_counter() - started:.0f} s)")
        with _indexes_rebuilt(cursor, "cases_case"):
            cursor.execute(_UPDATE_CASES, params)
        log(f"  cases updated ({time.perf_counter() - started:.0f} s)")
        for table, sql in (("cases_note", _NOTES), ("cases_timelineevent", _EVENTS),
                           ("sla_slapause", _PAUSES), ("csat_survey", _SURVEYS)):
            # The events join the notes by case and moment: that index stays.
            keep = ("note_case_time",) if table == "cases_note" else ()
            with _indexes_rebuilt(cursor, table, keep=keep):
                cursor.execute(sql, params)
                counts[table] = cursor.rowcount
            log(f"  {counts[table]:,} rows in {table} ({time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cursor:
        for table in ("cases_case", *HISTORY_TABLES):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return counts


@contextmanager
def _indexes_rebuilt(cursor: Any, table: str, keep: tuple[str, ...] = ()) -> Iterator[None]:
    """Drops the table's indexes that no constraint owns (but `keep`) for the block and
    builds them again after it: cheaper than maintaining them row by row for a million rows
    (see loader.REBUILD_INDEXES_FROM). In the caller's transaction, so a failure undoes the
    drop."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid)
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           WHERE x.indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
           ORDER BY i.relname""",
        [table],
    )
    dropped = [(name, ddl) for name, ddl in cursor.fetchall() if name not in keep]
    for name, _ in dropped:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, ddl in dropped:
        cursor.execute(ddl)


# --- figures -----------------------------------------------------------------------------------


def data_now(bench: BenchTenant) -> datetime:
    """When the tenant's data ends: its newest case."""
    newest = Case.objects.filter(tenant=bench.tenant).aggregate(m=Max("created_at"))["m"]
    if newest is None:
        raise RuntimeError(f"{bench.tenant.slug} has no cases")
    return newest


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def run_scorecard(report: Report, bench: BenchTenant) -> None:
    tenant = bench.tenant
    zone = ZoneInfo(tenant.time_zone)
    today = data_now(bench).astimezone(zone).date()
    period = period_of("last_30_days", today=today, zone=zone)
    support = Queue.objects.get(tenant=tenant, name="Support")
    details: dict[str, Any] = {"period": period.label}
    for label, filters in (("all", ReportFilters()), ("queue=support",
                                                       ReportFilters(queue_id=support.pk))):
        for _ in range(SCORECARD_WARMUP):
            card = scorecard(tenant, period, filters)
        times = [_timed(lambda f=filters: scorecard(tenant, period, f))
                 for _ in range(SCORECARD_CALLS)]
        details[label] = {
            "p50_ms": round(percentile(times, 50), 1),
            "p99_ms": round(percentile(times, 99), 1),
            "max_ms": round(max(times), 1),
            "created": card.current.created,
            "resolved": card.current.resolved,
        }
        if label == "all":
            report.add("scorecard_p50_1m", percentile(times, 50), "ms")
            report.add("scorecard_p99_1m", percentile(times, 99), "ms")
    report.details["scorecard_1m"] = details


def last_month(bench: BenchTenant) -> tuple[date, datetime]:
    """The month before the one the data ends in (tenant's zone), and that end."""
    now = data_now(bench)
    return add_months(current_month(bench.tenant, now), -1), now


def run_compliance(report: Report, bench: BenchTenant) -> None:
    month, now = last_month(bench)
    runs = []
    for _ in range(COMPLIANCE_RUNS):
        started = time.perf_counter()
        stored = compliance_generate(bench.tenant, month, now)
        runs.append(time.perf_counter() - started)
    totals = stored.data.get("totals")
    MonthlyCompliance.objects.filter(pk=stored.pk).delete()  # runs compare: none stored before
    report.add("compliance_report_1m", statistics.median(runs), "s")
    report.details["compliance_report_1m"] = {
        "month": f"{month:%Y-%m}",
        "runs_s": [round(r, 2) for r in runs],
        "cases_in_month": Case.objects.filter(
            tenant=bench.tenant, sla_policy__isnull=False,
            created_at__gte=_month_start(bench, month),
            created_at__lt=_month_start(bench, add_months(month, 1))).count(),
        "totals": totals,
        "events_of_tenant": TimelineEvent.objects.filter(tenant=bench.tenant).count(),
    }


def _month_start(bench: BenchTenant, month: date) -> datetime:
    return local_midnight(month, ZoneInfo(bench.tenant.time_zone))


def run_reports(report: Report, bench: BenchTenant | None,
                settle: Callable[[str], None]) -> None:
    """The reports' figures of the 1,000,000-case tenant (its history is made when the
    tenants are loaded: `ensure_history`)."""
    if bench is None:
        report.skipped.append("scorecard and compliance_report_1m: need PostgreSQL and the 1M load")
        return
    settle("scorecard_1m")
    log("scorecard of the last 30 days at 1,000,000 cases")
    run_scorecard(report, bench)
    settle("compliance_report_1m")
    log("compliance report of the last month at 1,000,000 cases")
    run_compliance(report, bench)
