"""`make bench`: loads the data it needs, runs each benchmark, prints `name value unit` lines
and writes var/bench/results-<UTC timestamp>.json. See docs/benchmarks.md."""

import argparse
import sys
import time

from bench import database


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        choices=("all", "create", "reads", "pages", "routing", "sla", "mail", "kb", "webform",
                 "automation", "reports", "search", "export", "import",
                 "similar", "whatif", "assist", "mixed", "chat"),
        default="all",
        help="reads: the API's list and inbox pages and the console's pages; pages: only the "
        "console's inbox and case pages; routing: the routing decision with 200 rules; sla: the "
        "breach sweep over 1,000,000 open cases; mail: ingest_email's rate; kb: suggestions "
        "and search against 50,000 knowledge-base articles; webform: cases/s through the "
        "web-to-case form; automation: what 100 rules add to making a case, and the time-rule "
        "sweep over 1,000,000 open cases; reports: the scorecard and last month's SLA "
        "compliance report at 1,000,000 cases (with their history); search: the search box at "
        "1,000,000 cases and 5,000,000 notes; similar: the five similar cases of a case at "
        "1,000,000 cases (and the index's first build); whatif: a 30-day SLA policy and "
        "routing rule what-if at 1,000,000 cases; assist: training the triage model on "
        "100,000 synthetic cases and its suggestions' latency, and routing a new case with "
        "a rule on the model's prediction; "
        "export: a streamed export of 1,000,000 cases; "
        "import: cases/s importing a vendor's export; mixed: 50 agents working in the "
        "console while 100 cases/s arrive by API and mail (locust, --mixed-duration); chat: 200 "
        "live chats at once, a message from each side every 4-6 s for 60 s, through "
        "`casedesk serve` and `casedesk live` (PostgreSQL); create: "
        "only case creation (with routing on, then once with it off).",
    )
    parser.add_argument(
        "--profile",
        choices=("create",),
        help="Instead of the figures: profile case creation (py-spy flame graph, CPU by "
        "phase, SQL statements and round trips per case) into var/bench/profile-create.*.",
    )
    parser.add_argument(
        "--skip-large",
        action="store_true",
        help="Leave out the 1,000,000-case figures (and their load).",
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="Load the 10k and 1M tenants (and the 50,000 articles) again even when they exist.",
    )
    parser.add_argument(
        "--workers",
        default="2,3,4",
        help="Worker counts to try for case creation, comma-separated.",
    )
    parser.add_argument(
        "--read-workers", type=int, default=2, help="Workers of the server the read benchmarks use."
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=5.0, help="Seconds, not counted.")
    parser.add_argument("--duration", type=float, default=20.0, help="Measured seconds.")
    parser.add_argument(
        "--mixed-duration",
        type=float,
        default=300.0,
        help="Measured seconds of the mixed load (after its 30 s warm-up).",
    )
    parser.add_argument(
        "--reads", type=int, default=500, help="Measured requests per read benchmark."
    )
    parser.add_argument("--read-warmup", type=int, default=60)
    parser.add_argument(
        "--retries",
        type=int,
        default=1,
        help="Times a figure is measured again when other work took much of the machine "
        "while it was measured (the quietest attempt is kept).",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        help="Seconds to wait, before each benchmark, for other work on the "
        "machine to calm down (0: start at once).",
    )
    args = parser.parse_args(argv)
    args.worker_counts = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    if not args.worker_counts or min(args.worker_counts) < 1 or max(args.worker_counts) > 16:
        parser.error("--workers needs counts between 1 and 16")
    if not (
        0 < args.duration <= 600
        and 0 <= args.warmup <= 120
        and 0 < args.reads <= 20000
        and 0 <= args.read_warmup <= 5000
        and 1 <= args.clients <= 64
        and 0 <= args.quiet_wait <= 600
        and 0 <= args.retries <= 5
        and 1 <= args.read_workers <= 16
    ):
        parser.error("durations, counts, clients or workers out of range")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    db = database.choose()
    database.prepare(db)
    # Imported only now: these modules import casedesk's models, which need Django set up.
    from bench.run import run

    return run(args, db)


if __name__ == "__main__":
    started = time.monotonic()
    code = main(sys.argv[1:])
    print(f"[bench] finished in {time.monotonic() - started:.0f} s", file=sys.stderr)
    sys.exit(code)
