"""`kb_suggest_p50`, `kb_suggest_p99` and `kb_search_p50`: the knowledge base at 50,000
articles in one tenant (`bench-kb`).

- `kb_suggest_*`: `kb.suggestions.suggest_for_case` in-process (what the case page's panel and
  `GET /api/v1/cases/{number}/suggestions` run), for 200 cases of the tenant, each asked
  SUGGEST_ROUNDS times: wall time of the call, its queries included.
- `kb_search_p50`, `_p99`: server time (`Server-Timing`) of `GET /api/v1/kb/articles?q=…`
  through the HTTP server, one request at a time, cycling through 60 queries an agent types
  (two or three words, questions, a typo now and then). `kb_suggest_api_p50`, `_p99`: the same
  for `GET /api/v1/cases/{number}/suggestions` (suggestions plus the `suggestion_shown`
  events it records).

The articles are generated from a vocabulary with a fixed seed: titles, summaries, Markdown
bodies of 3 to 9 sentences, tags and a two-level category tree, with product models and error
codes, so the words follow the long tail of a real knowledge base (a few common words, many
rare ones). They are written with `bulk_create` in one transaction and indexed with one
set-based `index.reindex_articles`. The cases are made through `case_create` from the same
vocabulary, phrased as customers write (lower case, typos, chatter around the point); a few
get a customer's follow-up through `case_customer_reply`.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from bench import cpu
from bench.loader import BenchTenant, crm_size, ensure_tenant, log
from bench.results import percentile
from bench.scenarios import Probe
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case
from casedesk.cases.services import CustomerMessage, case_customer_reply
from casedesk.kb import index, search
from casedesk.kb.models import Article, ArticleStatus, KbCategory, Visibility
from casedesk.kb.suggestions import suggest_for_case
from casedesk.tenancy.models import Tenant

SLUG = "bench-kb"
ARTICLES = 50_000
CASES = 200
SUGGEST_ROUNDS = 3
SEED = 13
BATCH = 2000

# Areas of the desk: the category tree's top level, its subcategories, and the things its
# articles are about.
AREAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Account": (
        ("Sign-in", "Security", "Users", "Profile"),
        (
            "password",
            "login",
            "two-factor code",
            "single sign-on",
            "session",
            "profile",
            "email address",
            "invitation",
            "role",
            "permission",
            "workspace owner",
            "guest",
            "audit log",
            "recovery code",
            "authenticator app",
            "lockout",
        ),
    ),
    "Billing": (
        ("Invoices", "Payments", "Refunds", "Plans", "Cancellation"),
        (
            "invoice",
            "payment",
            "credit card",
            "refund",
            "subscription",
            "plan",
            "seat",
            "receipt",
            "VAT number",
            "discount",
            "credit note",
            "bank transfer",
            "renewal",
            "coupon",
            "purchase order",
            "billing address",
            "trial",
        ),
    ),
    "Projects": (
        ("Tasks", "Boards", "Timeline", "Templates"),
        (
            "project",
            "task",
            "subtask",
            "board",
            "timeline",
            "template",
            "dependency",
            "milestone",
            "section",
            "custom field",
            "recurring task",
            "checklist",
            "due date",
            "assignee",
            "tag",
            "comment",
        ),
    ),
    "Files": (
        ("Uploads", "Docs", "Storage"),
        (
            "file",
            "attachment",
            "upload",
            "storage",
            "preview",
            "doc",
            "version history",
            "folder",
            "image",
            "video",
            "PDF",
            "spreadsheet",
            "trash",
        ),
    ),
    "Notifications": (
        ("Email", "Push", "Digest"),
        (
            "notification",
            "daily digest",
            "reminder",
            "mention",
            "push notification",
            "notification email",
            "inbox",
        ),
    ),
    "Reports": (
        ("Dashboards", "Time", "Exports"),
        (
            "report",
            "dashboard",
            "widget",
            "chart",
            "workload",
            "timesheet",
            "export",
            "time entry",
            "filter",
            "total",
        ),
    ),
    "Integrations": (
        ("API", "Webhooks", "Apps"),
        (
            "API token",
            "webhook",
            "Slack channel",
            "Salesforce sync",
            "Zapier zap",
            "GitHub app",
            "Google Drive",
            "Outlook add-in",
            "calendar feed",
            "rate limit",
            "endpoint",
            "signature",
        ),
    ),
    "Hardware": (
        ("Laptops", "Printers", "Monitors", "Headsets", "Phones"),
        (
            "laptop",
            "battery",
            "charger",
            "docking station",
            "monitor",
            "keyboard",
            "trackpad",
            "printer",
            "toner cartridge",
            "scanner",
            "headset",
            "microphone",
            "webcam",
            "desk phone",
            "USB-C port",
            "fan",
        ),
    ),
    "Network": (
        ("VPN", "Wi-Fi", "Office network"),
        (
            "VPN",
            "Wi-Fi",
            "firewall",
            "proxy",
            "DNS",
            "network drive",
            "network cable",
            "router",
            "access point",
            "guest network",
        ),
    ),
    "Software": (
        ("Mail", "Windows", "Office", "Browsers"),
        (
            "Outlook",
            "mailbox",
            "Windows update",
            "BitLocker",
            "antivirus",
            "Office licence",
            "driver",
            "browser",
            "cache",
            "shared mailbox",
            "signature",
            "Teams",
        ),
    ),
    "Orders": (
        ("Order status", "Delivery", "Returns", "Damaged items", "Customs"),
        (
            "order",
            "parcel",
            "delivery",
            "tracking number",
            "return",
            "exchange",
            "return label",
            "carrier",
            "customs",
            "backorder",
            "warranty",
            "replacement",
            "delivery address",
            "packing slip",
            "pick-up point",
        ),
    ),
}
ACTIONS = (
    "set up",
    "configure",
    "change",
    "reset",
    "update",
    "remove",
    "add",
    "export",
    "import",
    "restore",
    "connect",
    "enable",
    "disable",
    "find",
    "download",
    "share",
    "move",
    "rename",
    "archive",
    "cancel",
    "track",
    "verify",
    "install",
    "replace",
    "sync",
    "schedule",
    "approve",
    "print",
    "recover",
    "transfer",
)
PROBLEMS = (
    "does not load",
    "is slow",
    "fails with an error",
    "is missing",
    "shows the wrong date",
    "stopped working",
    "does not sync",
    "never arrives",
    "is rejected",
    "keeps disconnecting",
    "is stuck",
    "shows as offline",
    "is duplicated",
    "cannot be opened",
    "times out",
    "is greyed out",
    "disappeared",
    "is blocked",
    "shows a blank page",
    "is charged twice",
)
PLATFORMS = (
    "Windows",
    "Mac",
    "iPhone",
    "Android",
    "Chrome",
    "Firefox",
    "Safari",
    "Edge",
    "the web app",
    "the mobile app",
    "Linux",
    "iPad",
)
EVENTS = (
    "an update",
    "a password change",
    "a restart",
    "the move to the new office",
    "the last release",
    "a plan change",
    "the renewal",
    "a firmware update",
    "switching browsers",
    "the migration",
)
SETTINGS = (
    "Settings",
    "Profile",
    "Billing",
    "Admin",
    "My orders",
    "Preferences",
    "Security",
    "Integrations",
    "Devices",
    "Data",
)
FILLER = (
    "first",
    "then",
    "usually",
    "sometimes",
    "also",
    "again",
    "only",
    "still",
    "once",
    "within a few minutes",
    "on the same day",
    "in most cases",
    "as a rule",
    "for everyone in the workspace",
    "for your team",
    "at the end of the month",
    "after 24 hours",
    "before you start",
    "when it is ready",
)
NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Marco",
    "Nora",
    "Oskar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Yuki",
)

TITLES = (
    "How to {action} {object}",
    "{Object} {problem}",
    "{Action} {object} on {platform}",
    "{Object} {problem} after {event}",
    "{Object} and {object2}: what to know",
    "Error {code} when you {action} {object}",
    "{Model}: {object} {problem}",
    "Why {object} {problem}",
    "{Action} {object} for {audience}",
    "Troubleshooting {object} on {platform}",
)
AUDIENCES = (
    "admins",
    "new members",
    "guests",
    "your whole team",
    "business customers",
    "a second workspace",
    "accountants",
    "remote staff",
)
SENTENCES = (
    "Open *{setting} › {Object}* and choose **{Action}**.",
    "If the {object} {problem}, {action} the {object2} {filler}.",
    "This happens {filler} when the {object2} {problem} on {platform}.",
    "{Filler}, check that the {object} is up to date and that your {object2} is connected.",
    "Admins can {action} the {object} for {audience} under *{setting}*.",
    "The {object} keeps its {object2} when you {action} it.",
    "Error {code} means the {object} could not be {verbed}; try again {filler}.",
    "On {platform}, {action} the {object} from the menu, then restart {platform2}.",
    "We email you when the {object} is {verbed}, {filler}.",
    "Models {model} and {model2} need the latest firmware before you {action} the {object}.",
    "Your {object2} is not affected when you {action} the {object}.",
    "Contact us with the {object}'s number if it still {problem} {filler}.",
    "A {object} that {problem} after {event} is fixed by {gerund} the {object2}.",
)
VERBED = (
    "saved",
    "updated",
    "sent",
    "found",
    "processed",
    "restored",
    "synced",
    "approved",
    "verified",
    "installed",
)
GERUNDS = (
    "resetting",
    "reconnecting",
    "updating",
    "removing and adding",
    "restarting",
    "re-importing",
    "replacing",
)

CASE_SUBJECTS = (
    "{object} {problem}",
    "cant {action} {object}",
    "{object} not working",
    "help with {object}",
    "URGENT: {object} {problem}",
    "question about {object}",
    "{object} {problem} on {platform}",
    "how do I {action} the {object}?",
    "problem with {object} after {event}",
    "{model} {object}",
)
CASE_SENTENCES = (
    "Hi, since {when} our {object} {problem}.",
    "We tried to {action} the {object2} but it {problem2}.",
    "It happens on {platform}, my colleague on {platform2} has the same.",
    "I already restarted everything and cleared the cache.",
    "The screen says error {code}.",
    "Could you please help? We need this for a customer today.",
    "This worked fine until {event}.",
    "Is there a way to {action} the {object} ourselves?",
    "We have about {count} people using it.",
    "Thanks, {name}",
    "The {object} is a {model}, bought last year.",
    "Not sure if this is the right place to ask.",
)
WHEN = ("yesterday", "this morning", "last week", "monday", "the weekend", "two days", "the update")


@dataclass
class KbBench:
    bench: BenchTenant
    case_numbers: list[str]  # as shown, e.g. KB-12
    load_seconds: float | None  # None: the articles of an earlier run were reused


class _Words:
    """Draws the pieces of articles and cases from the vocabulary with one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.models = [
            f"NW-{rng.randrange(1000, 9999)}{rng.choice(['', 'X', 'S', 'Pro'])}"
            for _ in range(1500)
        ]
        self.codes = [f"{rng.choice('EWK')}{rng.randrange(100, 9999)}" for _ in range(2500)]

    def fill(self, template: str, area: str, objects: tuple[str, ...]) -> str:
        rng = self.rng
        everything = [o for _, (_, objs) in AREAS.items() for o in objs]
        obj, obj2 = rng.sample(objects, 2) if len(objects) > 1 else (objects[0], objects[0])
        values = {
            "object": obj,
            "object2": obj2 if rng.random() < 0.8 else rng.choice(everything),
            "action": rng.choice(ACTIONS),
            "problem": rng.choice(PROBLEMS),
            "problem2": rng.choice(PROBLEMS),
            "platform": rng.choice(PLATFORMS),
            "platform2": rng.choice(PLATFORMS),
            "event": rng.choice(EVENTS),
            "code": rng.choice(self.codes),
            "model": rng.choice(self.models),
            "model2": rng.choice(self.models),
            "audience": rng.choice(AUDIENCES),
            "setting": rng.choice(SETTINGS),
            "filler": rng.choice(FILLER),
            "verbed": rng.choice(VERBED),
            "gerund": rng.choice(GERUNDS),
            "when": rng.choice(WHEN),
            "count": rng.choice(("5", "12", "40", "200", "a dozen")),
            "name": rng.choice(NAMES),
            "area": area,
        }
        values.update({k.capitalize(): _capital(v) for k, v in list(values.items())})
        return template.format(**values)

    def typo(self, text: str, rate: float) -> str:
        """Swaps two letters of a word now and then, as fast typing does."""
        words = text.split(" ")
        for i, word in enumerate(words):
            if len(word) > 4 and word.isalpha() and self.rng.random() < rate:
                k = self.rng.randrange(1, len(word) - 2)
                words[i] = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        return " ".join(words)


def _capital(value: str) -> str:
    return value[:1].upper() + value[1:]


def _article(words: _Words, k: int, leaves: dict[str, list[int]]) -> Article:
    rng = words.rng
    area = rng.choice(list(AREAS))
    objects = AREAS[area][1]
    # Each article is about two or three things of its area, named again and again.
    topic = tuple(rng.sample(objects, min(len(objects), rng.choice((2, 3)))))
    title = words.fill(rng.choice(TITLES), area, topic)[:190]
    summary = words.fill(rng.choice(SENTENCES), area, topic)
    sentences = [words.fill(rng.choice(SENTENCES), area, topic) for _ in range(rng.randint(3, 9))]
    body = (
        " ".join(sentences[: len(sentences) // 2])
        + "\n\n"
        + " ".join(sentences[len(sentences) // 2 :])
    )
    status = rng.choices(
        (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT, ArticleStatus.ARCHIVED), (0.9, 0.05, 0.05)
    )[0]
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=17 * k)
    return Article(
        title=title,
        slug=f"a{k}",
        summary=summary[:490],
        body=body,
        body_html="",
        category_id=rng.choice(leaves[area]),
        tags=sorted({t.lower() for t in rng.sample(topic, min(2, len(topic)))} | {area.lower()}),
        language="en",
        visibility=Visibility.PUBLIC if rng.random() < 0.7 else Visibility.INTERNAL,
        status=status,
        version=0 if status == ArticleStatus.DRAFT else 1,
        published_at=None if status == ArticleStatus.DRAFT else when,
        created_at=when,
        updated_at=when,
    )


def _categories(tenant: Tenant) -> dict[str, list[int]]:
    now = datetime.now(UTC)
    leaves: dict[str, list[int]] = {}
    for position, (area, (subs, _)) in enumerate(AREAS.items()):
        top, _ = KbCategory.objects.get_or_create(
            tenant=tenant,
            name=area,
            parent=None,
            defaults={"slug": area.lower(), "position": position, "created_at": now},
        )
        leaves[area] = []
        for sub_position, sub in enumerate(subs):
            leaf, _ = KbCategory.objects.get_or_create(
                tenant=tenant,
                name=sub,
                parent=top,
                defaults={
                    "slug": sub.lower().replace(" ", "-"),
                    "position": sub_position,
                    "created_at": now,
                },
            )
            leaves[area].append(leaf.pk)
    return leaves


def ensure_articles(tenant: Tenant, *, reload: bool = False) -> float | None:
    """The tenant's ARTICLES articles and their index; the load time in seconds, or None when
    those of an earlier run were reused."""
    have = Article.objects.filter(tenant=tenant).count()
    if have == ARTICLES and not reload:
        log(f"{SLUG}: reusing {have:,} articles")
        return None
    started = time.perf_counter()
    leaves = _categories(tenant)
    words = _Words(random.Random(SEED))
    with transaction.atomic():
        Article.objects.filter(tenant=tenant).delete()
        batch: list[Article] = []
        for k in range(ARTICLES):
            article = _article(words, k, leaves)
            article.tenant = tenant
            batch.append(article)
            if len(batch) == BATCH:
                Article.objects.bulk_create(batch)
                batch.clear()
        Article.objects.bulk_create(batch)
        written = time.perf_counter() - started
        indexed = index.reindex_articles(tenant.pk)
    seconds = time.perf_counter() - started
    log(
        f"{SLUG}: {ARTICLES:,} articles written in {written:.1f} s, {indexed:,} indexed in "
        f"{seconds - written:.1f} s"
    )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) kb_article, kb_article_search")
    return seconds


def ensure_cases(bench: BenchTenant) -> list[str]:
    """CASES cases of the tenant (made once, through `case_create`), as shown."""
    tenant = bench.tenant
    numbers = list(
        Case.objects.filter(tenant=tenant)
        .order_by("number")
        .values_list("number", flat=True)[:CASES]
    )
    if len(numbers) < CASES:
        rng = random.Random(SEED + 1)
        words = _Words(rng)
        now = datetime.now(UTC)
        for k in range(len(numbers), CASES):
            area = rng.choice(list(AREAS))
            objects = AREAS[area][1]
            subject = words.typo(words.fill(rng.choice(CASE_SUBJECTS), area, objects), 0.05)
            description = " ".join(
                words.typo(words.fill(rng.choice(CASE_SENTENCES), area, objects), 0.05)
                for _ in range(rng.randint(1, 6))
            )
            contact_id, account_id = rng.choice(bench.contacts)
            case, _ = case_create(
                tenant=tenant,
                actor=None,
                now=now,
                data=CaseInput(
                    subject=subject[:200].lower() if rng.random() < 0.3 else subject[:200],
                    description=description,
                    source="email",
                    contact_id=contact_id,
                    account_id=account_id,
                ),
            )
            if rng.random() < 0.25:
                case_customer_reply(
                    case=case,
                    now=now,
                    message=CustomerMessage(
                        body=words.fill(rng.choice(CASE_SENTENCES), area, objects),
                        author_email=f"customer{k}@{SLUG}.bench.invalid",
                    ),
                )
        numbers = list(
            Case.objects.filter(tenant=tenant)
            .order_by("number")
            .values_list("number", flat=True)[:CASES]
        )
    return [f"{tenant.case_prefix}-{number}" for number in numbers]


def ensure_kb_tenant(*, reload: bool = False) -> KbBench:
    bench = ensure_tenant(SLUG, "Bench KB", crm_size(CASES))
    seconds = ensure_articles(bench.tenant, reload=reload)
    return KbBench(bench=bench, case_numbers=ensure_cases(bench), load_seconds=seconds)


def search_queries(seed: int = SEED + 2) -> list[str]:
    """What agents type in the article search: a thing and a problem, a question, a model or
    an error code, a typo now and then."""
    rng = random.Random(seed)
    words = _Words(random.Random(SEED))  # the same models and codes as the articles
    forms = (
        "{object}",
        "{object} {problem}",
        "how to {action} {object}",
        "{action} {object}",
        "{object} {platform}",
        "error {code}",
        "{model}",
        "{object} {object2}",
        "why does the {object} {problem2}",
    )
    queries = []
    for _ in range(60):
        area = rng.choice(list(AREAS))
        words.rng = rng
        text = words.fill(rng.choice(forms), area, AREAS[area][1])
        queries.append(words.typo(text, 0.1).lower())
    return queries


@dataclass
class SuggestResult:
    calls: int
    cases: int
    with_suggestions: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    other_load_pct: float  # share of the machine other work took while measuring


def measure_suggestions(
    kb: KbBench, database: str | None, rounds: int = SUGGEST_ROUNDS
) -> SuggestResult:
    """suggest_for_case for each case, `rounds` times, in-process: wall time of each call,
    its queries included (the database answers on the same machine)."""
    tenant = kb.bench.tenant
    numbers = [int(n.rsplit("-", 1)[1]) for n in kb.case_numbers]
    cases = list(
        Case.objects.filter(tenant=tenant, number__in=numbers)
        .select_related("tenant")
        .order_by("number")
    )
    for case in cases[:20]:  # warm-up: imports, the vocabulary, prepared statements
        suggest_for_case(case)
    timings: list[float] = []
    found = 0
    before = cpu.sample(os.getpid(), database)
    for _ in range(rounds):
        for case in cases:
            started = time.perf_counter()
            suggestions = suggest_for_case(case)
            timings.append((time.perf_counter() - started) * 1000)
            found += bool(suggestions)
    after = cpu.sample(os.getpid(), database)
    used = cpu.spent(before, after)
    # `spent` counts this process as the app and as the client: give it back to "other"
    # once, so "other" is what ran besides this process and its database backends.
    other = used["other"] + used["client"]
    elapsed = max(1e-6, after.at - before.at)
    return SuggestResult(
        calls=len(timings),
        cases=len(cases),
        with_suggestions=found,
        p50_ms=percentile(timings, 50),
        p99_ms=percentile(timings, 99),
        mean_ms=sum(timings) / max(1, len(timings)),
        max_ms=max(timings, default=0.0),
        other_load_pct=100.0 * other / (elapsed * (os.cpu_count() or 1)),
    )


def details(kb: KbBench) -> dict[str, object]:
    """What the figures were measured against, and the plans PostgreSQL chose for the
    searches a suggestion and an agent's question make (the GIN index must be used)."""
    tenant = kb.bench.tenant
    info: dict[str, object] = {
        "articles": Article.objects.filter(tenant=tenant).count(),
        "published": Article.objects.filter(tenant=tenant, status=ArticleStatus.PUBLISHED).count(),
        "cases": len(kb.case_numbers),
    }
    if connection.vendor == "postgresql":
        info["plans"] = plans(kb)
    return info


def plans(kb: KbBench) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of the full-text queries of one suggestion and of two searches, as
    they ran: two common words (all words, read title first) and a question with a typo
    (all words, the corrected words, any word)."""
    from casedesk.kb.suggestions import latest_customer_message, query_terms

    tenant = kb.bench.tenant
    case = Case.objects.filter(tenant=tenant).order_by("number").first()
    captured: list[tuple[str, str, Any]] = []
    label = ["suggestion"]

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "kb_article_search" in sql and "EXPLAIN" not in sql:
            captured.append((label[0], sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        if case is not None:
            search.match_terms(
                tenant.pk,
                query_terms(case, latest_customer_message(case)),
                statuses={ArticleStatus.PUBLISHED},
            )
        for question in ("printer offline", "how do I reset my pasword"):
            label[0] = f"search {question!r}"
            search.search_articles(tenant.pk, question)
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for k, (name, sql, params) in enumerate(captured):
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            found[f"{k + 1} {name}"] = [row[0] for row in cursor.fetchall()]
    return found


def search_probes(kb: KbBench) -> list[Probe]:
    from urllib.parse import quote

    headers = {"Authorization": f"Bearer {kb.bench.tokens[kb.bench.me]}"}
    return [
        Probe(q, f"/api/v1/kb/articles?q={quote(q)}&limit=20", headers) for q in search_queries()
    ]


def suggestion_probes(kb: KbBench) -> list[Probe]:
    headers = {"Authorization": f"Bearer {kb.bench.tokens[kb.bench.me]}"}
    return [
        Probe(
            number,
            f"/api/v1/cases/{number}/suggestions",
            headers,
            lambda body: len(json.loads(body)),
        )
        for number in kb.case_numbers[:60]
    ]
