"""A seeded, realistic history of a tenant's cases, for tests, benchmarks and the demo.

`history_write(tenant, n=..., seed=..., now=...)` writes `n` cases created over the
`HISTORY_DAYS` before `now` (the newest ones still open, the rest resolved or closed), with:

- subject and description in support language whose words depend on the case's category and
  subcategory (several phrasings per topic, greetings and noise sentences, a typo now and
  then), plus specifics (invoice numbers, error codes, integration and feature names) that
  make two reports of one problem look alike;
- type, queue and priority correlated with the topic (Billing goes to Finance, technical
  problems mostly to Engineering), priority also with words ("urgent", "down", "outage",
  "no rush"); source, language and, for about two thirds, a contact at an account with a tier
  and segment (accounts and contacts named `synthetic-*`, made once per tenant);
- about `NOISE` of the cases labelled as another topic or written about two, as real desks
  file them, so no model can reach 100 %;
- a closure note ("resolution note") on every resolved or closed case and one or two public
  agent replies (real `Note` rows) on every case past `new`;
- `duplicates` planted near-duplicate pairs: a later case reporting the same problem as an
  earlier one in other words, with the same specifics. `HistoryReport.duplicates` holds
  their (earlier case id, later case id) pairs.

Rows are written set-based (one executemany per batch of BATCH cases, their notes and
events), numbered through the tenant's case number sequence, with a `created` timeline event
each written as history (no automation, SLA clock or acknowledgement fires; reports' facts
are marked stale, as `cases.timeline.history_write` does). The search index triggers
fire on insert. Categories, subcategories and types missing from the tenant's picklists are
added. The same seed, `n` and `now` give the same texts and labels.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from casedesk.assist.synthetic_topics import (
    FILLERS,
    GREETINGS,
    NOISE_SENTENCES,
    PRIORITY_WORDS,
    REWORD,
    SIGNOFFS,
    SOURCES,
    TIERS,
    TOPICS,
    Topic,
)
from casedesk.cases.hooks import cases_touched
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import (
    Case,
    EventKind,
    Note,
    PicklistKind,
    PicklistValue,
    TimelineEvent,
)
from casedesk.cases.numbering import next_case_numbers
from casedesk.cases.picklists import fields_changed
from casedesk.core.priority import Priority
from casedesk.crm.models import Account, Contact
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant

HISTORY_DAYS = 120
# Share of cases whose label does not follow their text (another topic's label, or text
# about two topics): what keeps a model honest about real desks' filing.
NOISE = 0.12
BATCH = 2000



@dataclass
class HistoryReport:
    """What `history_write` wrote."""

    cases: int = 0
    resolved: int = 0  # resolved or closed
    open: int = 0
    notes: int = 0
    case_ids: list[int] = field(default_factory=list)  # oldest first
    # Planted near duplicates: (earlier case id, later case id).
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Spec:
    topic: Topic
    created: datetime
    subject: str
    description: str
    type: str
    category: str
    subcategory: str
    priority: int
    queue: str
    source: str
    contact: int  # index into the contacts, -1 for none
    specifics: dict[str, str]
    duplicate_of: int = -1  # index of the spec it repeats


def _pick(rng: random.Random, weights: Sequence[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weights], weights=[w for _, w in weights])[0]


def _specifics(rng: random.Random) -> dict[str, str]:
    values = {k: rng.choice(v) for k, v in FILLERS.items()}
    values.update(
        invoice=f"INV-{rng.randint(10000, 99999)}",
        code=f"E{rng.randint(100, 999)}",
        amount=f"${rng.randint(20, 2000)}",
        seats=str(rng.randint(2, 80)),
        seats2=str(rng.randint(1, 40)),
        secs=str(rng.randint(10, 90)),
        row=str(rng.randint(2, 5000)),
    )
    return values


def _typo(rng: random.Random, text: str) -> str:
    """Swaps two letters of one longer word: people type fast."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _priority(rng: random.Random, topic: Topic) -> Priority:
    return rng.choices(list(Priority), weights=topic.priorities)[0]


def _text(
    rng: random.Random,
    topic: Topic,
    values: dict[str, str],
    priority: Priority,
    mixed: Topic | None,
) -> tuple[str, str]:
    subject = rng.choice(topic.subjects).format(**values)
    sentences = rng.sample(topic.sentences, k=min(len(topic.sentences), rng.choice((1, 2, 2, 3))))
    if mixed is not None:
        sentences.append(rng.choice(mixed.sentences))
    # Most people say how pressing it is, in words; some do not.
    push = rng.choice(PRIORITY_WORDS[priority]) if rng.random() < 0.75 else ""
    if priority == Priority.URGENT and rng.random() < 0.5:
        subject = rng.choice(("URGENT: ", "Outage: ", "Down: ", "Critical - ")) + subject
    body = [
        rng.choice(GREETINGS),
        *(s.format(**values) for s in sentences),
        push,
        rng.choice(NOISE_SENTENCES),
        rng.choice(SIGNOFFS).format(**values),
    ]
    description = "\n".join(part for part in body if part)
    if rng.random() < 0.15:
        description = _typo(rng, description)
    if rng.random() < 0.05:
        subject = _typo(rng, subject)
    return subject[:255], description


def _reworded(rng: random.Random, text: str) -> str:
    """The same problem in other words: a few words swapped for a synonym, sentences turned."""
    words = [REWORD.get(w.lower(), w) if rng.random() < 0.6 else w for w in text.split(" ")]
    lines = " ".join(words).split("\n")
    rng.shuffle(lines)
    return "\n".join(lines)


def _specs(rng: random.Random, n: int, now: datetime, contacts: int) -> list[_Spec]:
    start = now - timedelta(days=HISTORY_DAYS)
    specs: list[_Spec] = []
    for i in range(n):
        topic = rng.choice(TOPICS)
        created = start + timedelta(days=HISTORY_DAYS) * (i + rng.random()) / max(n, 1)
        values = _specifics(rng)
        priority = _priority(rng, topic)
        label, mixed = topic, None
        if rng.random() < NOISE:
            other = rng.choice(TOPICS)
            if rng.random() < 0.5:
                label = other  # filed under the wrong topic
            else:
                mixed = other  # about two topics; the label names one
        subject, description = _text(rng, topic, values, priority, mixed)
        specs.append(
            _Spec(
                topic=topic,
                created=created,
                subject=subject,
                description=description,
                type=_pick(rng, label.types),
                category=label.category,
                subcategory=label.subcategory,
                priority=int(priority),
                queue=_pick(rng, label.queue),
                source=_pick(rng, SOURCES),
                contact=rng.randrange(contacts) if rng.random() < 0.66 else -1,
                specifics=values,
            )
        )
    return specs


def _plant_duplicates(rng: random.Random, specs: list[_Spec], count: int, now: datetime) -> None:
    """Adds `count` later cases, each repeating an earlier one's problem in other words."""
    if not specs or count <= 0:
        return
    # Originals from the older half, so the repeat can come later and the original is done.
    candidates = list(range(max(1, len(specs) // 2)))
    for index in rng.sample(candidates, k=min(count, len(candidates))):
        original = specs[index]
        later = min(original.created + timedelta(days=rng.uniform(1, 20)), now - timedelta(hours=1))
        specs.append(
            _Spec(
                topic=original.topic,
                created=later,
                subject=_reworded(rng, original.subject)[:255],
                description=_reworded(rng, original.description),
                type=original.type,
                category=original.category,
                subcategory=original.subcategory,
                priority=original.priority,
                queue=original.queue,
                source=original.source,
                contact=original.contact,
                specifics=original.specifics,
                duplicate_of=index,
            )
        )


def _picklists_ensure(tenant: Tenant) -> None:
    """Adds the types, categories and subcategories the topics use that the tenant lacks, at
    the end of their lists (a value the tenant retired stays retired: cases keep such values,
    as real history does)."""
    have = set(PicklistValue.objects.filter(tenant=tenant).values_list("kind", "parent", "value"))
    wanted: list[tuple[str, str, str]] = []
    for topic in TOPICS:
        wanted.append((PicklistKind.CATEGORY, "", topic.category))
        wanted.append((PicklistKind.SUBCATEGORY, topic.category, topic.subcategory))
        wanted.extend((PicklistKind.TYPE, "", t) for t, _ in topic.types)
    rows = [
        PicklistValue(tenant=tenant, kind=kind, parent=parent, value=value, position=999)
        for kind, parent, value in dict.fromkeys(wanted)
        if (kind, parent, value) not in have
    ]
    PicklistValue.objects.bulk_create(rows, ignore_conflicts=True)
    fields_changed(tenant.pk, tenant)


def _contacts(tenant: Tenant) -> list[tuple[int, int]]:
    """(contact id, account id) of the synthetic customers, made on first use."""
    domains = [f"synthetic-{k}.example" for k in range(len(TIERS) * 3)]
    accounts = {a.domain: a.pk for a in Account.objects.filter(tenant=tenant, domain__in=domains)}
    missing = [d for d in domains if d not in accounts]
    if missing:
        made = Account.objects.bulk_create(
            [
                Account(
                    tenant=tenant,
                    name=f"Synthetic {d.split('.')[0].split('-')[1]}",
                    domain=d,
                    tier=TIERS[domains.index(d) % len(TIERS)][0],
                    segment=TIERS[domains.index(d) % len(TIERS)][1],
                )
                for d in missing
            ]
        )
        accounts.update({a.domain: a.pk for a in made})
    emails = [
        (f"{name.lower()}@{d}", name, accounts[d]) for d in domains for name in FILLERS["name"][:4]
    ]
    Contact.objects.bulk_create(
        [Contact(tenant=tenant, email=e, name=name, account_id=a) for e, name, a in emails],
        ignore_conflicts=True,
    )
    rows = dict(
        Contact.objects.filter(tenant=tenant, email__in=[e for e, _, _ in emails]).values_list(
            "email", "id"
        )
    )
    return [(rows[e], a) for e, _, a in emails if e in rows]


def history_write(
    tenant: Tenant,
    *,
    n: int,
    seed: int,
    now: datetime,
    queues: Mapping[str, Queue] | None = None,
    duplicates: int = 0,
    open_share: float = 0.08,
) -> HistoryReport:
    """Writes `n` + `duplicates` synthetic cases of `tenant` (see the module docstring).

    `queues` maps the topics' queue names (`Support`, `Finance`, `Engineering`) to the
    tenant's queues; by default the tenant's active queues of those names (a name it lacks
    falls back to another of them, or no queue). `open_share` of the cases, the newest, stay
    open (new, open or in progress); the rest are resolved or closed.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    if queues is None:
        queues = {q.name: q for q in Queue.objects.filter(tenant=tenant, is_active=True)}
    fallback = next(iter(queues.values()), None)
    queue_ids = {
        name: (queues.get(name) or fallback) for name in ("Support", "Finance", "Engineering")
    }
    agents = list(
        Membership.objects.filter(tenant=tenant, is_active=True).values_list(
            "user_id", "user__full_name"
        )
    )
    report = HistoryReport()
    owners = dict(agents)
    with transaction.atomic():
        _picklists_ensure(tenant)
        contacts = _contacts(tenant)
        specs = _specs(rng, n, now, len(contacts))
        _plant_duplicates(rng, specs, duplicates, now)
        order = sorted(range(len(specs)), key=lambda k: specs[k].created)
        numbers = next_case_numbers(tenant, len(specs))
        open_from = len(order) - int(len(order) * open_share)
        ids: dict[int, int] = {}
        for first in range(0, len(order), BATCH):
            chunk = order[first : first + BATCH]
            cases = [
                _case(
                    tenant.pk,
                    specs[k],
                    numbers[first + j],
                    first + j >= open_from,
                    rng,
                    now,
                    queue_ids,
                    contacts,
                    agents,
                )
                for j, k in enumerate(chunk)
            ]
            _insert(Case, cases)
            by_number = dict(
                Case.objects.filter(
                    tenant=tenant, number__gte=cases[0]["number"], number__lte=cases[-1]["number"]
                ).values_list("number", "id")
            )
            for row in cases:
                row["id"] = by_number[row["number"]]
            ids.update((k, row["id"]) for k, row in zip(chunk, cases, strict=True))
            notes = [
                note
                for row, k in zip(cases, chunk, strict=True)
                for note in _replies(row, specs[k], rng, owners)
            ]
            _insert(Note, notes)
            _insert(TimelineEvent, [_created_event(row) for row in cases])
            # What `cases.timeline.history_write` does after its events: the reports' facts
            # of these cases are stale; nothing else reacts to history.
            cases_touched(tenant.pk, [row["id"] for row in cases])
            report.cases += len(cases)
            report.notes += len(notes)
            report.resolved += sum(row["status"] in DONE for row in cases)
            report.case_ids.extend(row["id"] for row in cases)
    report.open = report.cases - report.resolved
    report.duplicates = [
        (ids[s.duplicate_of], ids[k]) for k, s in enumerate(specs) if s.duplicate_of >= 0
    ]
    report.seconds = time.perf_counter() - started
    return report


DONE = (Status.RESOLVED, Status.CLOSED)
_PREPARED = ("DateTimeField", "JSONField")


def _insert(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """Inserts plain rows (attribute name → value; the model's defaults for the rest) with
    one executemany. `bulk_create` spends most of its time building model instances and
    per-value SQL for Case's fifty columns; this spends it in the database. Only datetimes
    and JSON need the engine's adaptation."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    adapt = {f.attname: f for f in fields if f.get_internal_type() in _PREPARED}
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = []
    for row in rows:
        values = []
        for f in fields:
            value = row[f.attname] if f.attname in row else defaults[f.attname]
            if value is not None and f.attname in adapt:
                value = adapt[f.attname].get_db_prep_save(value, connection)
            values.append(value)
        params.append(values)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)


def _created_event(case: dict[str, Any]) -> dict[str, Any]:
    """The case's `created` timeline event, as history."""
    return {
        "tenant_id": case["tenant_id"],
        "case_id": case["id"],
        "actor_id": None,
        "kind": EventKind.CREATED.value,
        "new_value": {"status": Status.NEW.value, "source": case["source"]},
        "old_value": None,
        "message": "Synthetic history.",
        "note_id": None,
        "created_at": case["created_at"],
    }


def _case(
    tenant_id: int,
    spec: _Spec,
    number: int,
    still_open: bool,
    rng: random.Random,
    now: datetime,
    queues: Mapping[str, Queue | None],
    contacts: list[tuple[int, int]],
    agents: list[tuple[int, str]],
) -> dict[str, Any]:
    created = spec.created
    if still_open:
        status = rng.choice((Status.NEW, Status.OPEN, Status.IN_PROGRESS)).value
    else:
        status = (Status.CLOSED if rng.random() < 0.6 else Status.RESOLVED).value
    responded = (
        None if status == Status.NEW else min(created + timedelta(hours=rng.uniform(0.1, 8)), now)
    )
    resolved = closed = None
    if status in DONE:
        resolved = min(created + timedelta(hours=rng.uniform(1, 96)), now)
        if status == Status.CLOSED:
            closed = min(resolved + timedelta(days=3), now)
    contact_id, account_id = (
        contacts[spec.contact] if spec.contact >= 0 and contacts else (None, None)
    )
    queue = queues.get(spec.queue)
    done = status in DONE
    updated = closed or resolved or responded or created
    return {
        "tenant_id": tenant_id,
        "number": number,
        "subject": spec.subject,
        "description": spec.description,
        "status": status,
        "sub_status": "",
        "priority": spec.priority,
        "type": spec.type,
        "category": spec.category,
        "subcategory": spec.subcategory,
        "source": spec.source,
        "language": "en",
        "tags": [],
        "custom_fields": {},
        "created_at": created,
        "updated_at": updated,
        "status_changed_at": updated,
        "first_response_at": responded,
        "resolved_at": resolved,
        "closed_at": closed,
        "closed_reason": "Resolved" if done else "",
        "closure_note": (
            rng.choice(spec.topic.resolutions).format(**spec.specifics) if done else ""
        ),
        "contact_id": contact_id,
        "account_id": account_id,
        "queue_id": queue.pk if queue is not None else None,
        "owner_id": rng.choice(agents)[0] if agents and status != Status.NEW else None,
    }


def _replies(
    case: dict[str, Any], spec: _Spec, rng: random.Random, owners: Mapping[int, str]
) -> list[dict[str, Any]]:
    """One or two public agent replies on a case past `new`."""
    at = case["first_response_at"]
    if at is None:
        return []
    owner = case["owner_id"]
    texts = rng.sample(spec.topic.replies, k=rng.choice((1, 1, 2)))
    end = case["resolved_at"] or at
    return [
        {
            "tenant_id": case["tenant_id"],
            "case_id": case["id"],
            "author_id": owner,
            "author_name": owners.get(owner, "") if owner else "Support",
            "body": text.format(**spec.specifics),
            "is_public": True,
            "created_at": at if k == 0 else max(at, end),
        }
        for k, text in enumerate(texts)
    ]
