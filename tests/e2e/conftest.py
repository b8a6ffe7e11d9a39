"""Browser tests: Playwright for Python driving Debian's chromium against pytest-django's
live server. They run in a plain `pytest` (so in `make test`), last, and are skipped with a
clear reason when chromium is not installed.

Each test makes its data with the services and factories, then works through the real pages:
the login form, htmx swaps, polling, native drag and drop.
"""

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Browser, BrowserContext, Page, expect

from casedesk.tenancy.models import Membership

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls made by
# the tests themselves are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CASEDESK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}
PASSWORDS = {
    "admin@acme.test": "pw-admin-123",
    "alice@acme.test": "pw-alice-123",
    "bob@acme.test": "pw-bob-123",
    "mona@acme.test": "pw-mona-123",
}
TIMEOUT_MS = 10_000


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return (
            f"chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            "(or set CASEDESK_CHROMIUM to its path) to run the browser tests"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run after every other test: Playwright's event loop stays up in this
    thread until the session ends, which would trip anything else using asyncio. Without
    chromium they are skipped."""
    browser = [item for item in items if item.get_closest_marker("e2e")]
    if not browser:
        return
    reason = chromium_missing()
    if reason:
        for item in browser:
            item.add_marker(pytest.mark.skip(reason=reason))
    others = [item for item in items if not item.get_closest_marker("e2e")]
    items[:] = others + browser


class InFlight:
    """Requests the live server is handling right now (Django's request signals)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **_: Any) -> None:
        with self.lock:
            self.count += 1

    def finished(self, **_: Any) -> None:
        with self.lock:
            self.count -= 1


IN_FLIGHT = InFlight()
request_started.connect(IN_FLIGHT.started, dispatch_uid="e2e-in-flight-started")
request_finished.connect(IN_FLIGHT.finished, dispatch_uid="e2e-in-flight-finished")


@pytest.fixture(autouse=True)
def _server_quiet_before_flush(transactional_db: None, browser: Browser) -> Iterator[None]:
    """After a browser test, the database is emptied (TRUNCATE) for the next one. The pages
    must be gone and their last requests answered first: a page's polling, or the presence
    beacon it sends as it closes, would otherwise reach the server mid-TRUNCATE (on
    PostgreSQL a deadlock, and the next test starts on a database that was not emptied)."""
    yield
    for context in browser.contexts:
        for page in context.pages:
            page.close(run_before_unload=True)
    time.sleep(0.3)  # a beacon sent on close is still on its way
    deadline = time.monotonic() + 10
    while IN_FLIGHT.count > 0 and time.monotonic() < deadline:
        time.sleep(0.05)


# Chromium logs each violation of the Content-Security-Policy to the console ("Refused to
# execute inline script ..."); the init script below reports them through the console API as
# well, with the directive and what was blocked.
CSP_VIOLATION = re.compile(r"Content Security Policy|Refused to (execute|load|apply|evaluate|"
                           r"connect|frame|send form)|CSP violation", re.I)
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
                event.lineNumber);
}, true);
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """The CSP violations the test's pages reported, with the page they happened on."""
    return []


@pytest.fixture
def new_context(new_context: Callable[..., BrowserContext],
                csp_violations: list[str]) -> Callable[..., BrowserContext]:
    """pytest-playwright's contexts (also behind `context` and `page`), each reporting the
    CSP violations of its pages."""

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.add_init_script(script=REPORT_CSP_VIOLATIONS)

        def on_console(message: Any) -> None:
            if CSP_VIOLATION.search(message.text):
                where = message.page.url if message.page else "?"
                csp_violations.append(f"{where}: {message.text}")

        context.on("console", on_console)
        return context

    return make


@pytest.fixture(autouse=True)
def _no_csp_violations(csp_violations: list[str]) -> Iterator[None]:
    """A page that needs something the Content-Security-Policy refuses (an inline script or
    style, eval, a foreign host) is broken for users: the test fails."""
    yield
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture(autouse=True)
def _timeouts() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


LogIn = Callable[[Page, Membership], Page]


@pytest.fixture
def log_in(live_server: Any) -> LogIn:
    """Logs a member in through the real login form; returns the page, on the inbox."""

    def run(page: Page, membership: Membership) -> Page:
        page.set_default_timeout(TIMEOUT_MS)
        email = membership.user.email
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORDS[email])
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/inbox/cases$"))
        return page

    return run


Settle = Callable[[Page], Page]


@pytest.fixture
def settle() -> Settle:
    """Waits until the panels a page loads after itself (htmx `load` triggers) have arrived.

    They change the layout: a click aimed before then can land on whatever moved under it,
    which actionability checks cannot see because the element was stable when they ran.
    """

    def run(page: Page) -> Page:
        page.wait_for_load_state("networkidle")
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
        return page

    return run


@pytest.fixture
def second_page(new_context: Callable[..., BrowserContext]) -> Callable[[], Page]:
    """A page in a separate browser context (its own cookies: another user's session)."""

    def make() -> Page:
        return new_context().new_page()

    return make
