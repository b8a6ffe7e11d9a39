"""What the demo is made of, decided before anything is written: from a fixed seed and a
clock reading, what each case is about and the story of its life (who claimed it, what they
wrote, when it moved). Pure: `demo.builder` makes the plan real through the services."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from casedesk.cases.lifecycle import ReopenPolicy, Status
from casedesk.cases.models import Source
from casedesk.core.priority import Priority
from casedesk.demo import content
from casedesk.demo.content import Company, Person
from casedesk.demo.topics import TOPICS, Issue, Topic
from casedesk.tenancy.models import Role

# One seed for everything, so two installs (and two runs) get the same demo.
SEED = 20261123


# The end status of every 20 consecutive cases: most cases in a desk's history are closed,
# and each open status has enough cases to fill a board column. The first six differ so that
# even a tiny demo (tests) shows every status.
_STATUS_BLOCK = (
    [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED,
     Status.CLOSED]
    + [Status.CLOSED] * 8 + [Status.IN_PROGRESS] * 2
    + [Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED]
)


ONE_TOUCH_SHARE = 0.35

# How long ago (in days) a case that ended in each status was created.
_AGE_DAYS: dict[Status, tuple[float, float]] = {
    Status.NEW: (0.02, 1.5),
    Status.OPEN: (0.1, 4),
    Status.IN_PROGRESS: (0.5, 20),
    Status.PENDING_CUSTOMER: (1, 25),
    Status.RESOLVED: (0.5, 8),
    Status.CLOSED: (3, 90),
}


_SOURCES = ((Source.EMAIL, 35), (Source.WEB, 18), (Source.PORTAL, 15), (Source.PHONE, 10),
            (Source.CHAT, 12), (Source.API, 5), (Source.SLACK, 5))


_CURRENCY = {"EMEA": "€", "AMER": "$", "APAC": "A$"}


_DAY = 24 * 60.0  # minutes


@dataclass(frozen=True)
class ContactSpec:
    """A customer contact of the demo, keyed by its email."""

    email: str
    name: str
    phone: str
    domain: str  # the account's domain


@dataclass(frozen=True)
class Step:
    """One service call in a case's life. `actor` is a staff email; None is the customer."""

    at: datetime
    action: str  # claim, reply, note, move, refer, refer_close, reassign, escalate
    actor: str | None
    text: str = ""
    target: str = ""  # the status, queue name, new owner's email or priority
    closed_reason: str = ""


@dataclass(frozen=True)
class CasePlan:
    """Everything about one demo case: what `case_create` gets, then the steps that follow."""

    index: int
    status: Status  # the status the steps end in
    created_at: datetime
    subject: str
    description: str
    type: str
    category: str
    subcategory: str
    priority: int
    source: str
    tags: tuple[str, ...]
    queue: str
    account_domain: str
    contact_email: str
    deal_name: str
    creator: str | None
    steps: tuple[Step, ...]


def contact_specs() -> list[ContactSpec]:
    """The demo's contacts, a handful per account by tier, with unique emails at its domain."""
    specs = []
    for company in content.COMPANIES:
        rng = random.Random(f"{SEED}:contacts:{company.domain}")
        index = content.COMPANIES.index(company)
        sizes = content.CONTACTS_PER_TIER[company.tier]
        names: list[str] = []
        while len(names) < sizes[index % len(sizes)]:
            name = f"{rng.choice(content.FIRST_NAMES)} {rng.choice(content.LAST_NAMES)}"
            if name.split()[0] not in {n.split()[0] for n in names}:
                names.append(name)
        phone_format = content.PHONE_FORMATS[company.territory]
        for name in names:
            email = f"{name.replace(' ', '.').lower()}@{company.domain}"
            phone = phone_format.format(rng.randrange(100 if company.territory == "AMER"
                                                      else 1000))
            specs.append(ContactSpec(email=email, name=name, phone=phone,
                                     domain=company.domain))
    return specs


def _team(queue: str) -> list[Person]:
    return [p for p in content.STAFF if queue in p.teams and p.role == Role.AGENT]


def _team_manager(queue: str) -> Person:
    return next(p for p in content.STAFF if queue in p.teams and p.role == Role.MANAGER)


class _Story:
    """Writes one case's steps in order, on a clock counted in minutes after creation."""

    def __init__(self, rng: random.Random, values: dict[str, str], owner: str) -> None:
        self.rng = rng
        self.values = values
        self.owner = owner
        self.minutes = 0.0
        self.raw: list[tuple[float, str, str | None, str, str, str]] = []

    def wait(self, low: float, high: float) -> None:
        # Log-uniform: most waits are short and a few are long, as in a real queue.
        self.minutes += low * (high / low) ** self.rng.random()

    def say(self, templates: Sequence[str]) -> str:
        return self.rng.choice(templates).format_map(self.values)

    def add(self, action: str, actor: str | None, text: str = "", target: str = "",
            closed_reason: str = "") -> None:
        self.raw.append((self.minutes, action, actor, text, target, closed_reason))

    def move(self, to: Status, *, by: str | None, note: Sequence[str] = (),
             closed_reason: str = "") -> None:
        self.add("move", by, self.say(note) if note else "", to.value, closed_reason)

    def steps(self, created_at: datetime, until: datetime) -> tuple[Step, ...]:
        """The steps at real times; a story longer than the case's age is squeezed to fit."""
        room = (until - created_at).total_seconds() / 60
        last = self.raw[-1][0] if self.raw else 0.0
        scale = min(1.0, room / last) if last > 0 else 1.0
        return tuple(
            Step(at=created_at + timedelta(seconds=int(minutes * scale * 60)), action=action,
                 actor=actor, text=text, target=target, closed_reason=reason)
            for minutes, action, actor, text, target, reason in self.raw
        )


def _live(s: _Story, *, topic: Topic, issue: Issue, target: Status, queue: str,
          priority: int, quick_claim: bool, policy: ReopenPolicy) -> None:
    """Tells the life of one case up to `target`, through moves the lifecycle allows."""
    rng = s.rng
    if target == Status.NEW:
        return
    if quick_claim:  # the agent who took the call or chat logs the case and keeps it
        s.wait(0.5, 3)
    else:
        s.wait(5, 300)
    s.add("claim", s.owner)
    if target == Status.OPEN:
        if rng.random() < 0.6:
            s.wait(2, 90)
            s.add("reply", s.owner, s.say(content.ACKS))
        return
    s.wait(2, 90)
    # About a third of the cases that end solved are answered once, with the solution
    # (the scorecard's one-touch resolutions); the rest get a quick acknowledgement first.
    if target not in (Status.RESOLVED, Status.CLOSED) or rng.random() >= ONE_TOUCH_SHARE:
        s.add("reply", s.owner, s.say(content.ACKS))
    manager = _team_manager(queue).email
    refer = topic.refer_to not in ("", queue) and rng.random() < topic.refer_rate
    if refer and rng.random() < 0.3:
        # Referred straight from open: the service itself moves the case to in progress.
        s.wait(10, 240)
        s.add("refer", s.owner, s.say(topic.refer_texts), topic.refer_to)
    else:
        s.wait(10, 480)
        s.move(Status.IN_PROGRESS, by=s.owner)
        if refer:
            s.wait(10, 240)
            s.add("refer", s.owner, s.say(topic.refer_texts), topic.refer_to)
    if rng.random() < 0.5:
        s.wait(10, 600)
        s.add("note", s.owner, s.say(topic.notes or content.GENERIC_NOTES))
    if priority < Priority.URGENT and rng.random() < 0.07:
        s.wait(30, 600)
        s.add("escalate", manager, target=str(priority + 1))
        s.add("note", manager, s.say(content.ESCALATION_NOTES))
    others = [p.email for p in _team(queue) if p.email != s.owner]
    if others and rng.random() < 0.08:
        s.wait(60, _DAY)
        s.owner = rng.choice(others)
        s.add("reassign", manager, target=s.owner)
    if refer:
        if target == Status.IN_PROGRESS and rng.random() < 0.65:
            return  # still waiting for the other team
        s.wait(60, 3 * _DAY)
        closer = rng.choice(_team(topic.refer_to)).email
        s.add("refer_close", closer, s.say(topic.refer_closes))
    asks = topic.asks or content.GENERIC_ASKS
    if target == Status.PENDING_CUSTOMER or rng.random() < 0.35:
        s.wait(20, 600)
        s.add("reply", s.owner, s.say(asks))
        s.move(Status.PENDING_CUSTOMER, by=s.owner)
        if target == Status.PENDING_CUSTOMER:
            return
        # The customer answers; their reply is what moves the case back (no staff actor).
        s.wait(120, 2 * _DAY)
        s.move(Status.IN_PROGRESS, by=None)
        s.add("note", s.owner, s.say(content.CUSTOMER_BACK_NOTES))
    if target == Status.IN_PROGRESS:
        return
    _resolve_and_close(s, topic=topic, issue=issue, target=target, asks=asks, policy=policy)


def _resolve_and_close(s: _Story, *, topic: Topic, issue: Issue, target: Status,
                       asks: Sequence[str], policy: ReopenPolicy) -> None:
    rng = s.rng
    roll = rng.random()
    close_note: Sequence[str]
    if roll < 0.05:
        s.wait(10, 240)
        s.add("reply", s.owner, s.say(content.DUPLICATE_REPLIES))
        s.move(Status.RESOLVED, by=s.owner, note=content.DUPLICATE_NOTES)
        reason, close_note = "Duplicate", ("Closing as a duplicate.",)
    elif roll < 0.12:
        s.wait(20, 600)
        s.add("reply", s.owner, s.say(asks))
        s.move(Status.PENDING_CUSTOMER, by=s.owner)
        s.wait(2 * _DAY, 3 * _DAY)
        s.add("reply", s.owner, s.say(content.REMINDERS))
        s.wait(2 * _DAY, 4 * _DAY)
        s.move(Status.RESOLVED, by=s.owner, note=content.UNRESPONSIVE_NOTES)
        reason, close_note = "Customer unresponsive", ("No reply from the customer; closing.",)
    else:
        s.wait(30, 2 * _DAY)
        s.add("reply", s.owner, s.say((issue.solution,)))
        s.move(Status.RESOLVED, by=s.owner, note=topic.resolve_notes)
        reason, close_note = "Resolved", content.CLOSE_NOTES
        if topic.key == "feedback":
            reason = rng.choice(("Resolved", "Won't fix", "Other"))
    if target == Status.RESOLVED:
        if reason == "Resolved" and topic.key != "feedback" and rng.random() < 0.15:
            # The customer writes back before the case closes: it re-opens by itself.
            s.wait(60, _DAY)
            s.move(Status.OPEN, by=None)
            s.add("note", s.owner, s.say(content.RESOLVED_REOPEN_NOTES))
            _work_again(s, topic, issue)
        return
    s.wait(_DAY, 4 * _DAY)
    s.move(Status.CLOSED, by=s.owner, note=close_note, closed_reason=reason)
    window = policy.window.total_seconds() / 60
    # Only bugs come back ("it's broken again"); a question answered stays answered.
    if (reason == "Resolved" and topic.type == "Bug" and policy.limit >= 1 and window >= 30
            and rng.random() < 0.2):
        # Re-opened within the tenant's window, as the lifecycle demands.
        s.wait(min(15, window * 0.4), min(300, window * 0.8))
        s.move(Status.OPEN, by=s.owner, note=content.REOPEN_NOTES)
        _work_again(s, topic, issue)
        s.wait(_DAY, 3 * _DAY)
        s.move(Status.CLOSED, by=s.owner, note=content.CLOSE_NOTES, closed_reason="Resolved")


def _work_again(s: _Story, topic: Topic, issue: Issue) -> None:
    s.wait(10, 180)
    s.move(Status.IN_PROGRESS, by=s.owner)
    s.wait(60, _DAY)
    s.add("reply", s.owner, s.say((issue.solution,)))
    s.move(Status.RESOLVED, by=s.owner, note=topic.resolve_notes)


def _weighted[T](rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    return rng.choices([item for item, _ in pairs], [weight for _, weight in pairs])[0]


def _plan_case(index: int, target: Status, *, now: datetime, contacts: dict[str, list[str]],
               names: dict[str, str], policy: ReopenPolicy) -> CasePlan:
    rng = random.Random(f"{SEED}:case:{index}")
    topic = _weighted(rng, [(t, t.weight) for t in TOPICS])
    issue = rng.choice(topic.issues)
    company = _weighted(rng, [(c, content.CASE_WEIGHT_PER_TIER[c.tier])
                              for c in content.COMPANIES])
    contact = rng.choice(contacts[company.domain])
    low, high = _AGE_DAYS[target]
    created_at = now - timedelta(seconds=int(rng.uniform(low, high) * _DAY * 60))
    values = _case_values(rng, company, names[contact], created_at)
    priority = _weighted(rng, list(zip(Priority.values, topic.priorities, strict=True)))
    if company.tier == "Enterprise" and priority < Priority.URGENT and rng.random() < 0.3:
        priority += 1
    source = _weighted(rng, _SOURCES)
    queue = topic.queue
    if topic.refer_to == "Engineering" and source in (Source.API, Source.SLACK):
        # Bugs reported by an integration or in the shared Slack channel skip first line.
        queue = "Engineering"
    team = _team(queue)
    # Agents mostly work customers of their own territory, as territory routing would do.
    owner = _weighted(rng, [(p.email, 3 if p.territory == company.territory else 1)
                            for p in team])
    by_staff = source in (Source.PHONE, Source.CHAT)
    creator = owner if by_staff else (content.SHOWN_LOGINS[0] if source == Source.API
                                      else None)
    deal = next((d.name for d in content.DEALS if d.domain == company.domain), "")
    wants_deal = topic.key in ("pricing", "setup", "training", "cancel") and rng.random() < 0.6
    tags = topic.tags + (("vip",) if company.tier == "Enterprise" else ())
    story = _Story(rng, values, owner)
    _live(story, topic=topic, issue=issue, target=target, queue=queue, priority=priority,
          quick_claim=by_staff, policy=policy)
    return CasePlan(
        index=index, status=target, created_at=created_at,
        subject=issue.subject.format_map(values),
        description=issue.description.format_map(values),
        type=topic.type, category=topic.category, subcategory=topic.subcategory,
        priority=priority, source=source, tags=tags, queue=queue,
        account_domain=company.domain, contact_email=contact,
        deal_name=deal if wants_deal else "", creator=creator,
        steps=story.steps(created_at, now - timedelta(minutes=1)),
    )


def _case_values(rng: random.Random, company: Company, contact_name: str,
                 created_at: datetime) -> dict[str, str]:
    """What the text templates may name: {first}, {company}, {tier}, {integration},
    {invoice}, {seats}, {count}, {month}, {amount}, {browser}."""
    last_month = created_at.replace(day=1) - timedelta(days=1)
    amount = rng.choice((49, 99, 149, 299, 590, 1490))
    return {
        "first": contact_name.split()[0],
        "company": company.name,
        "tier": company.tier,
        "integration": rng.choice(content.INTEGRATIONS),
        "invoice": f"INV-{last_month.year}-{rng.randrange(1000, 10000)}",
        "seats": str(rng.choice((3, 5, 8, 10, 15, 25))),
        "count": f"{rng.choice((850, 1200, 4800, 12000, 36000)):,}",
        "month": last_month.strftime("%B"),
        "amount": f"{_CURRENCY[company.territory]}{amount:,}.00",
        "browser": rng.choice(content.BROWSERS),
    }


def plan_cases(*, count: int, now: datetime, start: int = 0,
               policy: ReopenPolicy = ReopenPolicy()) -> list[CasePlan]:
    """Demo cases number `start` to `count - 1`, oldest first; pure and deterministic.

    Case `i` is the same whatever `count` is, so a larger demo extends a smaller one.
    """
    now = now.replace(microsecond=0)  # whole seconds read better in the timeline
    contacts: dict[str, list[str]] = {}
    names = {}
    for spec in contact_specs():
        contacts.setdefault(spec.domain, []).append(spec.email)
        names[spec.email] = spec.name
    plans = [
        _plan_case(i, _STATUS_BLOCK[i % len(_STATUS_BLOCK)], now=now, contacts=contacts,
                   names=names, policy=policy)
        for i in range(start, count)
    ]
    # Created oldest first, so case numbers rise with creation time as in a real desk.
    plans.sort(key=lambda plan: (plan.created_at, plan.index))
    return plans
