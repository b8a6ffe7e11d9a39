"""The worker's schedule: periodic jobs that `casedesk worker` runs besides its task queue.

Each job runs in a thread of its own, so a slow or broken one (a mail server that hangs until
its timeout) never holds up another (the SLA sweep). Every job is safe to run on any number of
workers at once: each claims its work in the database (a tenant's sweep turn, a mailbox's
lease, outbox rows with SKIP LOCKED), so schedules are rows and nothing assumes one process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import close_old_connections

from casedesk.assist.similar import similar_index_due
from casedesk.assist.training import training_due
from casedesk.automation.engine import events_process
from casedesk.automation.timed import time_rules_sweep
from casedesk.automation.webhook_delivery import deliver_due_webhooks
from casedesk.cases.sla_sweep import run_due_sweeps
from casedesk.chat.services import offers_expire
from casedesk.core import clock
from casedesk.csat.services import surveys_send_due
from casedesk.exporter.jobs import exports_due
from casedesk.importer.jobs import jobs_run_due
from casedesk.kb.events import self_service_deflections_settle
from casedesk.mail.delivery import deliver_due
from casedesk.mail.imap import poll_due_mailboxes
from casedesk.mail.ingest import process_stuck
from casedesk.privacy.retention import retention_sweep
from casedesk.reports.compliance_job import compliance_due
from casedesk.reports.rollup import facts_refresh
from casedesk.slack.delivery import slack_due
from casedesk.tasks.services import tasks_notify_overdue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_s: float
    run: Callable[[datetime], Iterator[str]]  # yields one line per thing it did


def _sla_sweeps(now: datetime) -> Iterator[str]:
    for slug, report in run_due_sweeps(now).items():
        yield f"SLA sweep for {slug}: {report.summary()}"


def _mailboxes(now: datetime) -> Iterator[str]:
    for label, result in poll_due_mailboxes(now).items():
        yield f"Mailbox {label}: {result.summary()}"


def _mail_out(now: datetime) -> Iterator[str]:
    stuck = process_stuck(now)
    if stuck:
        yield f"Inbound mail: {stuck} stored but unread message(s) filed"
    report = deliver_due(now)
    if report.sent or report.retrying or report.failed:
        yield f"Outbox: {report.summary()}"


def _kb_deflections(now: datetime) -> Iterator[str]:
    settled = self_service_deflections_settle(now)
    if settled:
        yield f"Knowledge base: {settled} self-service deflection(s) counted"


def _chat_offers(now: datetime) -> Iterator[str]:
    expired = offers_expire(now=now)
    if expired:
        yield f"Chat: {expired} offer(s) not answered in time passed on"


def _csat_surveys(now: datetime) -> Iterator[str]:
    made = surveys_send_due(now)
    if made:
        yield f"CSAT: {made} survey(s) mailed"


def _automation(now: datetime) -> Iterator[str]:
    swept = time_rules_sweep(now)
    if swept.due:
        yield f"Automation: {swept.summary()}"
    ran = events_process(now)
    if ran:
        yield f"Automation: {ran} rule run(s) on events waiting for the worker"


def _webhooks(now: datetime) -> Iterator[str]:
    report = deliver_due_webhooks(now)
    if report.delivered or report.retrying or report.failed:
        yield f"Webhooks: {report.summary()}"


def _tasks_overdue(now: datetime) -> Iterator[str]:
    told = tasks_notify_overdue(now)
    if told:
        yield f"Tasks: {told} owner(s) told of an overdue task"


def _report_facts(now: datetime) -> Iterator[str]:
    refreshed = facts_refresh()
    if refreshed:
        yield f"Reports: facts of {refreshed} case(s) refreshed"


def _compliance_reports(now: datetime) -> Iterator[str]:
    yield from compliance_due(now)


def _imports(now: datetime) -> Iterator[str]:
    # A backstop to the task each started import enqueues: jobs it missed, or whose worker died.
    for job in jobs_run_due(now):
        yield f"Import {job.pk}: {job.status}"


def _exports(now: datetime) -> Iterator[str]:
    yield from exports_due(now)


def _retention(now: datetime) -> Iterator[str]:
    for slug, report in retention_sweep(now).items():
        yield (f"Retention for {slug}: {report.cases} case(s) and {report.contacts} "
               "contact(s) anonymised")


def _assist_training(now: datetime) -> Iterator[str]:
    yield from training_due(now)


def jobs(every_s: float = 30.0) -> list[Job]:
    """The schedule. Mailboxes are looked at more often than `every_s` (each has its own
    interval); the outbox every few seconds, as a backstop to the task each new message
    enqueues and for retries falling due. Self-service deflections are settled every minute
    or so: they are dated by the read, not by the run, so a late run changes no figure.
    Satisfaction surveys likewise: a survey is due hours after resolution, so a minute late
    is no matter. Time rules and the events a sweep left for the rules every 15 seconds at
    most; webhooks every few seconds, like the outbox; overdue tasks every minute; last
    month's SLA compliance report every quarter of an hour (a run finds nothing to do but on
    the first hours of a month, and catches up after the worker was down); full exports
    whose task was lost, and expired archives, every minute."""
    return [Job("sla-sweeps", every_s, _sla_sweeps),
            Job("mailboxes", min(every_s, 10.0), _mailboxes),
            Job("mail-out", min(every_s, 5.0), _mail_out),
            Job("kb-deflections", max(every_s, 60.0), _kb_deflections),
            # An offer's timeout is seconds: the agents' consoles also expire their
            # tenant's offers when they poll, so a busy worker delays nobody much.
            Job("chat-offers", min(every_s, 2.0), _chat_offers),
            Job("csat-surveys", max(every_s, 60.0), _csat_surveys),
            Job("automation", min(every_s, 15.0), _automation),
            Job("webhooks", min(every_s, 5.0), _webhooks),
            # Messages for Slack threads every few seconds, like the outbox.
            Job("slack", min(every_s, 5.0), slack_due),
            Job("tasks-overdue", max(every_s, 60.0), _tasks_overdue),
            Job("report-facts", min(every_s, 30.0), _report_facts),
            Job("compliance-reports", max(every_s, 900.0), _compliance_reports),
            Job("exports", max(every_s, 60.0), _exports),
            Job("imports", max(every_s, 60.0), _imports),
            Job("retention", max(every_s, 900.0), _retention),
            # New and edited cases reach the similar-case index within a minute.
            Job("similar-index", min(every_s, 30.0), similar_index_due),
            # Each tenant's triage model is retrained daily when it has news; looking every
            # quarter of an hour spreads tenants over the day and catches up after downtime.
            Job("assist-training", max(every_s, 900.0), _assist_training)]


def run_once(job: Job, now: datetime | None = None) -> list[str]:
    """One turn of a job; a failure is logged and the next turn tries again."""
    try:
        lines = list(job.run(now or clock.now()))
    except Exception:
        log.exception("Scheduled job %s failed", job.name)
        return [f"{job.name} failed (see the log)"]
    for line in lines:
        log.info("%s", line)
    return lines


def run_all_once(now: datetime | None = None, every_s: float = 30.0) -> list[str]:
    """Every job once, one after the other (`casedesk worker --batch`)."""
    return [line for job in jobs(every_s) for line in run_once(job, now)]


def _loop(job: Job, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            run_once(job)
        finally:
            # A long-lived thread: drop a connection the database closed, as requests do.
            close_old_connections()
        stop.wait(job.every_s)


def start(stop: threading.Event, every_s: float = 30.0) -> list[threading.Thread]:
    """Starts a daemon thread per job; they end when `stop` is set."""
    threads = [threading.Thread(target=_loop, args=(job, stop), name=f"schedule-{job.name}",
                                daemon=True) for job in jobs(every_s)]
    for thread in threads:
        thread.start()
    return threads
