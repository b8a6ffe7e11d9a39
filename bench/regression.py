"""The regression line of `make bench` (issue 19): every figure worse than in the previous
recorded run by more than THRESHOLD_PCT.

Each figure is compared with the newest earlier results file of the same database vendor
that has it (a `--only mail` run between two full runs hides nothing). Which way is worse:
the figure's target says it (`>=`: lower is worse, `<=`: higher is worse); without a target
its unit does: rates (`…/s`) are worse lower; times (`ms`, `s`, `us`, `ms/case`, …), counts
per case or request, ratios (`x`) and memory (`MB`) are worse higher. Informational figures
(percentage shares, sample, worker and request counts) are not compared, nor is a `%`
figure without a target; a `%` figure with one is compared against the larger of its
previous value and its bound, so a cost moving from 1 % to 2 % is not "100 % worse".
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

THRESHOLD_PCT = 20.0
HIGHER_IS_WORSE_UNITS = frozenset({"ms", "s", "us", "µs", "MB", "x", "errors"})
# Counts of what the load did rather than how well (conflicts follow the agents' random
# choices), and shares: informational.
SKIPPED_UNITS = frozenset({"samples", "workers", "requests", "conflicts", "%"})


@dataclass(frozen=True)
class Regression:
    name: str
    previous: float
    now: float
    unit: str
    worse_pct: float  # inf when the previous value was 0
    previous_file: str

    def line(self) -> str:
        worse = "worse, was 0" if math.isinf(self.worse_pct) else f"+{self.worse_pct:.0f} % worse"
        return (
            f"REGRESSION {self.name}: previous {_fmt(self.previous)} {self.unit} → "
            f"now {_fmt(self.now)} {self.unit} ({worse})"
        )


def _fmt(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 1 or value == 0 else f"{value:.3f}"


def direction(name: str, unit: str, targets: Mapping[str, tuple[str, float]]) -> str | None:
    """`higher` or `lower` (which is worse), or None when the figure is not compared."""
    if name in targets:
        return "higher" if targets[name][0] == "<=" else "lower"
    if unit in SKIPPED_UNITS:
        return None
    if unit.endswith("/s"):
        return "lower"
    if unit in HIGHER_IS_WORSE_UNITS or unit.startswith(("ms/", "s/", "per ")):
        return "higher"
    return None


def worse_pct(previous: float, now: float, worse: str, floor: float = 0.0) -> float | None:
    """How much worse `now` is than `previous`, in % of max(|previous|, floor); None when it
    is not worse (or either value is missing); inf when previous was 0 and now is worse."""
    if any(math.isnan(v) or math.isinf(v) for v in (previous, now)):
        return None
    change = now - previous if worse == "higher" else previous - now
    if change <= 0:
        return None
    base = max(abs(previous), abs(floor))
    return math.inf if base == 0 else 100.0 * change / base


def compare(
    figures: Iterable[Mapping[str, Any]],
    earlier: Iterable[tuple[str, Mapping[str, Any]]],
    targets: Mapping[str, tuple[str, float]],
    threshold_pct: float = THRESHOLD_PCT,
) -> tuple[list[Regression], int]:
    """The figures of this run worse by more than `threshold_pct` than in the newest earlier
    run (files given newest first, as (name, results)) that has them, and how many figures
    were compared at all."""
    latest: dict[str, tuple[str, float]] = {}
    for file_name, results in earlier:
        for figure in results.get("figures") or []:
            name, value = figure.get("name"), figure.get("value")
            # A hand-edited or older file may lack a field: it compares nothing, never fails.
            if isinstance(name, str) and isinstance(value, int | float) and name not in latest:
                latest[name] = (file_name, float(value))
    found: list[Regression] = []
    compared = 0
    for figure in figures:
        name, unit, now = figure["name"], figure["unit"], float(figure["value"])
        worse = direction(name, unit, targets)
        if worse is None or name not in latest:
            continue
        compared += 1
        file_name, previous = latest[name]
        floor = abs(targets[name][1]) if unit == "%" and name in targets else 0.0
        if unit == "%":
            # A negative cost (creation faster with routing on) is the noise of two runs,
            # not a level to hold: it counts as none.
            previous, now = max(previous, 0.0), max(now, 0.0)
        pct = worse_pct(previous, now, worse, floor)
        if pct is not None and pct > threshold_pct:
            found.append(Regression(name, previous, now, unit, pct, file_name))
    return found, compared


def earlier_results(directory: Path, vendor: str, before: str) -> list[tuple[str, dict[str, Any]]]:
    """Results files of `vendor` in `directory` named before `before` (the stamps sort as
    times), newest first; unreadable files are left out."""
    found = []
    for path in sorted(directory.glob("results-*.json"), reverse=True):
        if path.name >= before:
            continue
        try:
            results = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(results, dict) and results.get("database", {}).get("vendor") == vendor:
            found.append((path.name, results))
    return found


def check(
    report: Any, directory: Path, vendor: str, targets: Mapping[str, tuple[str, float]]
) -> list[str]:
    """Compares the report's figures with earlier runs, puts the regressions in
    `report.details["regressions"]` and returns the lines to print."""
    stamp = f"results-{report.started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    earlier = earlier_results(directory, vendor, stamp)
    figures = [asdict(f) for f in report.figures]
    found, compared = compare(figures, earlier, targets)
    report.details["regressions"] = [asdict(r) for r in found]
    if not compared:
        return [f"no earlier {vendor} results with these figures to compare with"]
    lines = [r.line() for r in found]
    lines.append(
        f"{len(found)} of {compared} figures worse than in the previous runs by more than "
        f"{THRESHOLD_PCT:g} %"
    )
    return lines
