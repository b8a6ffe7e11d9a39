"""Runs the suite with the wall clock moved ahead: `CASEDESK_TEST_CLOCK_SHIFT_DAYS=365`.

A test that stamps something with the real clock (a request, `timezone.now()`) and then
compares it with the fixed `NOW` passes on the day it was written and fails some day after.
Moving every clock of the process (datetime, time, the date functions SQLite is given) a
year on shows such a test today. CI runs the suite once this way.
"""

import os
from datetime import timedelta

import pytest
import time_machine

_SHIFT_VAR = "CASEDESK_TEST_CLOCK_SHIFT_DAYS"
_traveller: time_machine.travel | None = None


def shift_days() -> int:
    raw = os.environ.get(_SHIFT_VAR, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError as error:
        raise pytest.UsageError(
            f"{_SHIFT_VAR} must be a whole number of days, not {raw!r}") from error


def pytest_configure(config: pytest.Config) -> None:
    global _traveller
    days = shift_days()
    if not days:
        return
    import datetime as real

    start = real.datetime.now(real.UTC) + timedelta(days=days)
    # tick=True: the moved clock keeps running, so timeouts and waits still work.
    _traveller = time_machine.travel(start, tick=True)
    _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config: pytest.Config) -> str | None:
    days = shift_days()
    return f"clock shifted {days:+d} days ({_SHIFT_VAR})" if days else None
