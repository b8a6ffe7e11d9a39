"""`make bench`'s regression line: which way a figure is worse, by how much, against which
earlier run, and what the run prints and records."""

import json
import math
from datetime import UTC, datetime
from pathlib import Path

from bench.regression import Regression, check, compare, direction, earlier_results, worse_pct
from bench.results import TARGETS, Report

TARGETED = {"api_create_throughput": (">=", 450.0), "api_create_p99": ("<=", 100.0),
            "api_create_routing_cost_pct": ("<=", 10.0)}


def fig(name: str, value: float, unit: str) -> dict[str, object]:
    return {"name": name, "value": value, "unit": unit}


def test_a_target_says_which_way_is_worse() -> None:
    assert direction("api_create_throughput", "cases/s", TARGETED) == "lower"
    assert direction("api_create_p99", "ms", TARGETED) == "higher"
    assert direction("api_create_routing_cost_pct", "%", TARGETED) == "higher"


def test_without_a_target_the_unit_says_it() -> None:
    assert direction("ingest_email_rate", "messages/s", {}) == "lower"
    assert direction("time_trigger_fire_rate", "rules/s", {}) == "lower"
    for unit in ("ms", "s", "us", "ms/case", "ms/request", "per case", "MB", "x"):
        assert direction("some_figure", unit, {}) == "higher", unit


def test_shares_and_counts_of_what_ran_are_not_compared() -> None:
    for unit in ("%", "samples", "workers", "requests", "conflicts", "furlongs"):
        assert direction("some_figure", unit, {}) is None, unit


def test_worse_is_measured_against_the_previous_value() -> None:
    assert worse_pct(100.0, 130.0, "higher") == 30.0
    assert worse_pct(500.0, 400.0, "lower") == 20.0
    assert worse_pct(100.0, 90.0, "higher") is None  # better
    assert worse_pct(100.0, 100.0, "higher") is None
    assert worse_pct(0.0, 3.0, "higher") == math.inf
    assert worse_pct(float("nan"), 3.0, "higher") is None
    # A small share against its bound: 1 % to 2 % is 10 % of the 10 % bound, not 100 %.
    assert worse_pct(1.0, 2.0, "higher", floor=10.0) == 10.0


def test_each_figure_is_compared_with_the_newest_earlier_run_that_has_it() -> None:
    earlier = [
        ("results-3.json", {"figures": [fig("ingest_email_rate", 400.0, "messages/s")]}),
        ("results-2.json", {"figures": [fig("api_create_p99", 50.0, "ms"),
                                        fig("ingest_email_rate", 100.0, "messages/s")]}),
        ("results-1.json", {"figures": [fig("api_create_p99", 10.0, "ms")]}),
    ]
    now = [fig("api_create_p99", 70.0, "ms"), fig("ingest_email_rate", 300.0, "messages/s"),
           fig("brand_new_ms", 5.0, "ms")]
    found, compared = compare(now, earlier, TARGETED)
    assert compared == 2
    assert found == [
        Regression("api_create_p99", 50.0, 70.0, "ms", 40.0, "results-2.json"),
        Regression("ingest_email_rate", 400.0, 300.0, "messages/s", 25.0, "results-3.json"),
    ]


def test_up_to_twenty_percent_worse_is_noise() -> None:
    earlier = [("results-1.json", {"figures": [fig("api_create_p99", 50.0, "ms"),
                                               fig("api_create_throughput", 500.0, "cases/s")]})]
    now = [fig("api_create_p99", 60.0, "ms"), fig("api_create_throughput", 401.0, "cases/s")]
    assert compare(now, earlier, TARGETED) == ([], 2)


def test_a_negative_cost_share_is_noise_not_a_level() -> None:
    earlier = [("results-1.json", {"figures": [fig("api_create_routing_cost_pct", -67.7, "%")]})]
    assert compare([fig("api_create_routing_cost_pct", -5.0, "%")], earlier, TARGETED) == ([], 1)
    found, _ = compare([fig("api_create_routing_cost_pct", 14.0, "%")], earlier, TARGETED)
    assert [(r.previous, r.now, r.worse_pct) for r in found] == [(0.0, 14.0, 140.0)]


def test_the_line_reads_previous_now_and_how_much_worse() -> None:
    line = Regression("api_create_p99", 50.0, 70.0, "ms", 40.0, "results-2.json").line()
    assert line == "REGRESSION api_create_p99: previous 50.0 ms → now 70.0 ms (+40 % worse)"
    zero = Regression("mixed_load_errors", 0.0, 3.0, "errors", math.inf, "r.json").line()
    assert zero.endswith("(worse, was 0)")


def _write(directory: Path, stamp: str, vendor: str, figures: list[dict[str, object]]) -> None:
    (directory / f"results-{stamp}.json").write_text(
        json.dumps({"database": {"vendor": vendor}, "figures": figures}))


def test_only_earlier_runs_on_the_same_database_count(tmp_path: Path) -> None:
    _write(tmp_path, "20261201T100000Z", "postgresql", [fig("a_ms", 1.0, "ms")])
    _write(tmp_path, "20261202T100000Z", "sqlite", [fig("a_ms", 1.0, "ms")])
    _write(tmp_path, "20261203T100000Z", "postgresql", [fig("a_ms", 2.0, "ms")])
    _write(tmp_path, "20261209T100000Z", "postgresql", [fig("a_ms", 3.0, "ms")])  # later
    (tmp_path / "results-20261204T100000Z.json").write_text("{broken")
    found = earlier_results(tmp_path, "postgresql", "results-20261205T100000Z.json")
    assert [name for name, _ in found] == ["results-20261203T100000Z.json",
                                           "results-20261201T100000Z.json"]


def test_the_run_prints_the_regressions_and_keeps_them(tmp_path: Path) -> None:
    _write(tmp_path, "20261201T100000Z", "postgresql",
           [fig("api_create_p99", 50.0, "ms"), fig("case_page_p50", 20.0, "ms")])
    report = Report(started_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
    report.add("api_create_p99", 80.0, "ms")
    report.add("case_page_p50", 21.0, "ms")
    lines = check(report, tmp_path, "postgresql", TARGETS)
    assert lines == [
        "REGRESSION api_create_p99: previous 50.0 ms → now 80.0 ms (+60 % worse)",
        "1 of 2 figures worse than in the previous runs by more than 20 %",
    ]
    assert report.details["regressions"] == [{
        "name": "api_create_p99", "previous": 50.0, "now": 80.0, "unit": "ms",
        "worse_pct": 60.0, "previous_file": "results-20261201T100000Z.json"}]


def test_a_first_run_says_there_is_nothing_to_compare_with(tmp_path: Path) -> None:
    report = Report(started_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
    report.add("api_create_p99", 80.0, "ms")
    assert check(report, tmp_path, "sqlite", TARGETS) == [
        "no earlier sqlite results with these figures to compare with"]
    assert report.details["regressions"] == []
