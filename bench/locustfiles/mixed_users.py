"""The mixed load's users, for locust (`bench/mixed.py` starts it and documents the load).

This directory is not a package on purpose: importing locust patches the standard library
with gevent, so nothing that imports `bench`'s modules one by one (tests/test_bench.py) may
import this file. The configuration (server, agents, tokens, bodies, the SMTP listener, the
plan) comes as JSON from the file CASEDESK_MIXED_CONFIG names.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import smtplib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import gevent
from bench.mixed import (
    CONFIG_ENV,
    RESENT,
    SIGN_IN_GRACE_S,
    Plan,
    bell_url,
    case_moves,
    changed_panels,
    classify,
    csrf_token,
    inbox_rows,
    load_panels,
    presence_seen,
)
from geventhttpclient.response import HTTPConnectionClosed
from locust import FastHttpUser, User, between, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

CONFIG: dict[str, Any] = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
PLAN = Plan(**CONFIG["plan"])
OUT = Path(CONFIG["out_dir"])
SENDERS = PLAN.senders()
COUNTS: Counter[str] = Counter()
FIRST_ERRORS: list[str] = []
WINDOW: dict[str, float] = {}
# The window waits for every agent's sign-in (a third of a second of hashing each), at most
# SIGN_IN_GRACE_S after the warm-up.
SIGNED_IN: Counter[str] = Counter()

# Think times in seconds: reading a case before acting on it, looking at the result, and
# between two cases (on the inbox). With the page loads in between, an agent works a case
# in about 20 s.
READ_S = (5.0, 15.0)
AFTER_S = (2.0, 5.0)
BETWEEN_S = (2.0, 6.0)
# How often the pages poll (the templates' data-poll-seconds and hx-trigger "every").
INBOX_POLL_S, BELL_S, PRESENCE_S = 15.0, 5.0, 4.0
CLAIM_SHARE = 0.4  # of work items that start by claiming an unowned case
NOTE_SHARE = 0.6  # of worked cases that get a note; the others are moved on
HTMX = {"HX-Request": "true"}
# htmx answers a 204 by leaving the page alone: the polls' "nothing changed".
POLLED = (200, 204)

_agents = itertools.cycle(CONFIG["agents"])
_tokens = itertools.cycle(CONFIG["tokens"])


def _error(message: str) -> None:
    if len(FIRST_ERRORS) < 10:
        FIRST_ERRORS.append(message)


def _closed_before_answer(response: Any) -> bool:
    return not response.status_code and isinstance(
        getattr(response, "error", None), HTTPConnectionClosed
    )


def judged(
    client: FastHttpSession,
    method: str,
    path: str,
    name: str,
    expected: tuple[int, ...],
    headers: dict[str, str],
    data: Any,
) -> tuple[str, str]:
    """One request, judged by `classify`; returns (outcome, body).

    gunicorn closes a kept-alive connection after 2 s idle. A request sent on one just then
    finds it closed before any answer: browsers (and urllib3, which checks a pooled
    connection before using it) send it again, geventhttpclient does so only for GETs. So
    does this, once, for every method; the first attempt is recorded as RESENT, not as the
    page's."""
    for attempt in (1, 2):
        with client.request(
            method,
            path,
            name=name,
            headers=headers,
            data=data,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            status = response.status_code or None
            if attempt == 1 and _closed_before_answer(response):
                response.request_meta["name"] = RESENT
                response.success()
                continue
            body = (response.text or "") if status else ""
            outcome = classify(name, status, expected)
            if outcome == "error":
                why = body[:200] if status else repr(getattr(response, "error", None))
                message = f"{name} {path}: HTTP {status} {why!r}"
                response.failure(message)
                _error(message)
            else:
                response.success()
                if outcome == "conflict":
                    COUNTS["conflicts"] += 1
                    COUNTS[f"conflicts_{name}"] += 1
            return outcome, body
    raise AssertionError("unreachable")


class Agent(FastHttpUser):
    """An agent in a browser: signs in, keeps the inbox, the bell and an open case's
    presence polling, and works one case after another."""

    fixed_count = PLAN.agents
    wait_time = between(*BETWEEN_S)

    def on_start(self) -> None:
        self.email = next(_agents)
        self.csrf = ""
        self.rows: list[tuple[str, bool]] = []
        self.case: str | None = None
        self.bell_path = "/notifications/bell"
        self.seen = ""  # the presence notice's digest, as the case page's script sends it
        self.sign_in()
        self.inbox()
        self.loops = [
            gevent.spawn(self._every, INBOX_POLL_S, self.inbox_poll),
            gevent.spawn(self._every, BELL_S, self.bell),
            gevent.spawn(self._every, PRESENCE_S, self.presence),
        ]

    def on_stop(self) -> None:
        gevent.killall(getattr(self, "loops", []), block=False)

    def _every(self, seconds: float, action: Callable[[], None]) -> None:
        gevent.sleep(random.uniform(0, seconds))  # browsers do not poll in step
        while True:
            try:
                action()
            except Exception as exc:  # a parsing surprise must not stop the poll
                COUNTS["client_exceptions"] += 1
                _error(f"{type(exc).__name__}: {exc}")
            gevent.sleep(seconds)

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        expected: tuple[int, ...] = (200,),
        headers: dict[str, str] | None = None,
        data: Any = None,
    ) -> tuple[str, str]:
        """One request of the browser (with the page's CSRF token on a POST)."""
        sent = dict(headers or {})
        if method == "POST":
            sent.setdefault("X-CSRFToken", self.csrf)
        return judged(self.client, method, path, name, expected, sent, data)

    def sign_in(self) -> None:
        _, form = self.call("GET", "/login/", "login_form")
        token = csrf_token(form)
        outcome, _ = self.call(
            "POST",
            "/login/",
            "login",
            expected=(302,),
            headers={"X-CSRFToken": token},
            data={
                "username": self.email,
                "password": CONFIG["password"],
                "csrfmiddlewaretoken": token,
            },
        )
        if outcome == "ok":
            SIGNED_IN["agents"] += 1

    def inbox(self) -> None:
        outcome, body = self.call("GET", "/inbox/cases", "inbox")
        if outcome == "ok":
            self.csrf = csrf_token(body) or self.csrf
            self.rows = inbox_rows(body)
            self.bell_path = bell_url(body) or self.bell_path
            for url in load_panels(body):
                self.call("GET", url, "inbox_panels", headers=HTMX)

    def inbox_poll(self) -> None:
        outcome, body = self.call("GET", "/inbox/cases", "inbox_poll", headers=HTMX)
        if outcome == "ok":
            self.rows = inbox_rows(body)

    def bell(self) -> None:
        outcome, body = self.call("GET", self.bell_path, "bell", expected=POLLED, headers=HTMX)
        if outcome == "ok" and body:
            self.bell_path = bell_url(body) or self.bell_path

    def presence(self) -> None:
        number = self.case
        if number is None:
            return
        outcome, body = self.call(
            "POST",
            f"/cases/{number}/presence",
            "presence",
            expected=POLLED,
            headers=HTMX,
            data={"typing": "", "seen": self.seen},
        )
        if outcome == "ok" and body and self.case == number:
            self.seen = presence_seen(body)

    def open_case(self, number: str) -> str | None:
        outcome, body = self.call("GET", f"/cases/{number}", "case_page")
        if outcome != "ok":
            return None
        self.case = number
        self.seen = presence_seen(body)
        self.bell_path = bell_url(body) or self.bell_path
        for url in load_panels(body):
            self.call("GET", url, "case_panels", headers=HTMX)
        return body

    @task
    def work(self) -> None:
        """One case: claim it (or take one of mine), open it, read, act, back to the inbox."""
        free = [n for n, unowned in self.rows if unowned]
        mine = [n for n, unowned in self.rows if not unowned]
        if free and (not mine or random.random() < CLAIM_SHARE):
            number = random.choice(free)
            outcome, body = self.call("POST", f"/cases/{number}/claim", "claim", headers=HTMX)
            if outcome != "ok":
                self.rows = [r for r in self.rows if r[0] != number]
                return
            self.rows = inbox_rows(body) or self.rows
        elif mine:
            number = random.choice(mine)
        else:
            return
        page = self.open_case(number)
        if page is None:
            return
        gevent.sleep(random.uniform(*READ_S))
        answer = None
        if random.random() >= NOTE_SHARE:
            answer = self.move(number, page)
        if answer is None:
            outcome, body = self.call(
                "POST",
                f"/cases/{number}/notes",
                "note",
                headers=HTMX,
                data={"visibility": "internal", "body": random.choice(CONFIG["notes"])},
            )
            answer = body if outcome == "ok" else ""
        if answer:
            for url in changed_panels(page, answer):
                self.call("GET", url, "case_panels", expected=POLLED, headers=HTMX)
        gevent.sleep(random.uniform(*AFTER_S))
        self.case = None
        self.inbox()

    def move(self, number: str, page: str) -> str | None:
        """One of the moves the page offers (`case_moves`); resolving carries its note. Its
        answer ("" when refused), None when the page offers no move."""
        moves = case_moves(page)
        if not moves:
            return None
        to = random.choice(moves)
        data = {"to": to}
        if to == "resolved":
            data["note"] = "Fixed and confirmed with the customer."
        outcome, body = self.call(
            "POST", f"/cases/{number}/transition", "transition", headers=HTMX, data=data
        )
        return body if outcome == "ok" else ""


class Integration(FastHttpUser):
    """An integration posting new cases at a constant rate."""

    fixed_count = SENDERS["api_create"][0]
    wait_time = constant_throughput(SENDERS["api_create"][1] or 1.0)

    def on_start(self) -> None:
        self.token = next(_tokens)
        self.position = random.randrange(len(CONFIG["bodies"]))

    @task
    def create(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if self.position % 2:  # half the integrations make their retries safe
            headers["Idempotency-Key"] = uuid.uuid4().hex
        body = CONFIG["bodies"][self.position % len(CONFIG["bodies"])]
        self.position += 1
        judged(self.client, "POST", "/api/v1/cases", "api_create", (201,), headers, body)


class MailServer(User):
    """A sending mail server: one SMTP connection per message, at a constant rate."""

    fixed_count = SENDERS["mail"][0]
    wait_time = constant_throughput(SENDERS["mail"][1] or 1.0)

    @task
    def send(self) -> None:
        smtp = CONFIG["smtp"]
        sender = random.choice(smtp["senders"])
        message = EmailMessage()
        message["From"] = sender
        message["To"] = smtp["to"]
        message["Subject"] = random.choice(CONFIG["subjects"])
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain="mixed.bench.invalid")
        message.set_content(random.choice(CONFIG["descriptions"]))
        raw = message.as_bytes()
        started = time.perf_counter()
        error: Exception | None = None
        # Not `with SMTP(...)`: its exit says QUIT and reads the answer, and when the run
        # stops this user mid-message that answer is DATA's 250, raised as an error that
        # would swallow the stop.
        client: smtplib.SMTP | None = None
        try:
            client = smtplib.SMTP(smtp["host"], smtp["port"], timeout=30)
            client.sendmail(sender, [smtp["to"]], raw)
            client.quit()
        except (smtplib.SMTPException, OSError) as exc:
            error = exc
            _error(f"mail: {type(exc).__name__}: {exc}")
        finally:
            if client is not None:
                client.close()
        self.environment.events.request.fire(
            request_type="SMTP",
            name="mail",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(raw),
            exception=error,
            context={},
        )


def _mark(name: str, values: dict[str, Any]) -> None:
    (OUT / name).write_text(json.dumps(values))


@events.test_start.add_listener
def _open_window(environment: Environment, **_: Any) -> None:
    """After the warm-up (and every agent's sign-in) the statistics start again, and the run
    ends `duration_s` later: only the window counts."""

    def window() -> None:
        gevent.sleep(PLAN.warmup_s)
        waited = 0.0
        while SIGNED_IN["agents"] < PLAN.agents and waited < SIGN_IN_GRACE_S:
            gevent.sleep(0.5)
            waited += 0.5
        runner = environment.runner
        assert runner is not None
        runner.stats.reset_all()
        COUNTS.clear()
        FIRST_ERRORS.clear()
        WINDOW["start"] = time.time()
        _mark("mixed-window-start", {"start": WINDOW["start"], "signed_in": SIGNED_IN["agents"]})
        gevent.sleep(PLAN.duration_s)
        WINDOW["end"] = time.time()
        runner.quit()

    gevent.spawn(window)


@events.test_stopping.add_listener
def _close_window(**_: Any) -> None:
    WINDOW.setdefault("end", time.time())


@events.test_stop.add_listener
def _write_window(**_: Any) -> None:
    _mark(
        "mixed-window-end",
        {
            "end": WINDOW.get("end", time.time()),
            "counts": dict(COUNTS),
            "first_errors": FIRST_ERRORS,
        },
    )
