"""Property-based fuzzing of the whole API with schemathesis, in process.

Every operation of the OpenAPI spec gets generated requests, valid (positive) and invalid
(negative), sent with a valid admin token: once with generated path parameters (mostly
unknown ids) and once with the ids of real records, so the handlers behind the 404s are
reached too. Each answer must not be a server error and must match the spec: a documented
status, the documented content type, and a body of the documented schema.

The number of examples is bounded so the test stays within about a minute on SQLite; raise
CASEDESK_FUZZ_EXAMPLES for a longer hunt, and set CASEDESK_FUZZ_SEED to vary the inputs (the
default is a fixed, reproducible run).
"""

import os
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from casedesk.automation.macros import MacroInput, macro_create
from casedesk.automation.models import AutomationRule
from casedesk.automation.webhooks import EndpointInput, endpoint_create, endpoint_send_test
from casedesk.calls.domain import CallInput
from casedesk.calls.services import call_log
from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.links import link_add
from casedesk.cases.models import CustomFieldDefinition, PicklistValue
from casedesk.cases.referrals import assignment_open
from casedesk.cases.services import case_add_note, case_transition
from casedesk.chat.models import ChatOffer
from casedesk.chat.services import (
    VisitorStart,
    agent_status_set,
    chat_settings_update,
    chat_start,
    offer_accept,
)
from casedesk.core.priority import Priority
from casedesk.exporter.jobs import export_job_run
from casedesk.exporter.services import export_request
from casedesk.kb.attachments import attachment_add
from casedesk.kb.services import article_create, article_publish, article_update, category_create
from casedesk.mail.delivery import deliver_due
from casedesk.mail.ingest import ingest
from casedesk.mail.mailboxes import mailbox_create
from casedesk.mail.models import OutboundMail
from casedesk.reports.compliance_job import compliance_generate
from casedesk.reports.rollup import facts_refresh
from casedesk.routing.models import Queue
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.calendars import calendar_save, holiday_add
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tasks.services import task_create
from casedesk.tenancy.invitations import InvitationInput, invitation_create
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.services import token_create
from tests.api_checks import operations
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CASEDESK_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("CASEDESK_FUZZ_SEED", "20261123"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Requests go straight to Django's WSGI handler; keep it from closing the test's
    database connection (and with it the test transaction) after each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(tenant: Tenant, admin: Membership, agent: Membership, agent2: Membership,
          other_tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    """Real records of every kind, and the path parameters that name them."""
    support = Queue.objects.get(tenant=tenant, name="Support")
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    support.members.add(admin, agent)
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    deal = DealFactory(tenant=tenant, account=account)
    fresh = make_case(tenant, queue_id=support.pk, contact_id=contact.pk, deal_id=deal.pk)
    waiting = make_case(tenant, queue_id=support.pk, priority=Priority.URGENT)
    referred = make_case(tenant, owner_id=agent.user_id)
    assignment = assignment_open(case=referred, actor=admin.user, queue=engineering,
                                 description="Check the logs", now=NOW)
    case_add_note(case=referred, actor=agent.user, body="Looked", is_public=True, now=NOW)
    closed = make_case(tenant, account_id=account.pk)
    for to in ("open", "in_progress", "resolved", "closed"):
        closed = case_transition(case=closed, actor=admin.user, to=to, note="done",
                                 closed_reason="Resolved", now=NOW)
    for key, kind, choices in (("plan", "text", []), ("seats", "number", []),
                               ("renewal", "date", []), ("region", "picklist", ["EMEA"]),
                               ("vip", "checkbox", [])):
        CustomFieldDefinition.objects.create(tenant=tenant, key=key, label=key, kind=kind,
                                             choices=choices)
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    spare_tokens = [token_create(membership=agent2, name=f"spare {i}").token for i in range(3)]
    rules = [rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name=f"Rule {i}", conditions=[{"field": "category", "op": "equals", "value": "Billing"},
                                      {"field": "priority", "op": "in", "value": ["high"]}],
        actions={"queue_id": engineering.pk, "priority": "urgent", "tags": ["fuzz"]}))
        for i in range(3)]
    skill_requirements_set(tenant=tenant, requirements=[("Technical", "", ["linux"])])
    calendars = [BusinessCalendar.objects.get(tenant=tenant),
                 calendar_save(tenant=tenant, name="Night desk", time_zone="Asia/Kolkata",
                               week={"mon": [["22:00", "06:00"]], "sat": [["10:00", "14:00"]]})]
    holidays = [holiday_add(calendar=calendars[0], name=f"Day {i}",
                            starts_on=date(2026, 12, 24 + i)) for i in range(2)]
    policies = list(SlaPolicy.objects.filter(tenant=tenant))
    escalations = [escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": f"Escalation {i}", "conditions": [
            {"field": "priority", "op": "in", "value": ["high", "urgent"]},
            {"field": "idle_hours", "op": "gt", "value": 2}],
        "actions": {"notify": ["owner_manager", f"user:{agent.user_id}"],
                    "queue_id": engineering.pk, "raise_priority": True}}) for i in range(2)]
    make_case(tenant, now=NOW - timedelta(days=30))  # overdue: the sweep has work
    mailed = ingest(tenant=tenant, raw=(
        b"From: jo@customer.example\r\nSubject: Logs\r\nMessage-ID: <fuzz@customer.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=a.png\r\n"
        b"\r\n\x89PNG\r\n--b--\r\n"), now=NOW)
    quarantined = [ingest(tenant=tenant, raw=b"\x00 garbage %d" % i, now=NOW).message
                   for i in range(2)]
    # The outbox: the acknowledgement sent (a retry is a 409), a reply waiting (a 200).
    deliver_due(NOW)
    case_add_note(case=mailed.case, actor=agent.user, body="Got the logs", is_public=True,
                  now=NOW)
    outbound = list(OutboundMail.objects.filter(tenant=tenant).order_by("pk"))
    assert {m.status for m in outbound} == {"sent", "pending"}
    mailboxes = [mailbox_create(tenant=tenant, now=NOW, values={
        "name": f"Inbox {i}", "host": "imap.acme.test", "username": "support",
        "password": "secret"}) for i in range(2)]
    invitations = [invitation_create(
        tenant=tenant, actor=admin.user, base_url="http://testserver", now=NOW,
        data=InvitationInput(email=f"invited{i}@example.com")) for i in range(3)]
    make_case(other_tenant)  # something to leak, were anything to leak
    # Knowledge base: a tree, a draft, and an article published twice (versions to restore).
    kb_root = category_create(tenant=tenant, name="Billing", now=NOW)
    kb_leaf = category_create(tenant=tenant, name="Invoices", parent_id=kb_root.pk, now=NOW)
    kb_empty = category_create(tenant=tenant, name="Empty", now=NOW)
    kb_draft = article_create(tenant=tenant, author=agent.user, title="Draft", body="*Soon*",
                              category_id=kb_leaf.pk, now=NOW)
    kb_live = article_create(tenant=tenant, author=admin.user, title="Invoice copies",
                             body="Open **Billing**.", category_id=kb_root.pk,
                             tags=["invoice"], visibility="public", now=NOW)
    for body in ("Open **Billing**.", "Open **Billing** › Invoices."):
        kb_live = article_update(article=kb_live, changes={"body": body}, now=NOW)
        kb_live = article_publish(article=kb_live, actor=admin.user, now=NOW)
    numbers = [f"CS-{c.number}" for c in (fresh, waiting, referred, closed)]
    links = [link_add(case=referred, other=fresh, kind="child_of", actor=agent.user, now=NOW),
             link_add(case=waiting, other=fresh, kind="related_to", actor=agent.user, now=NOW)]
    automation_rules = list(AutomationRule.objects.filter(tenant=tenant)[:2])
    endpoint = endpoint_create(tenant=tenant, now=NOW, data=EndpointInput(
        name="Hook", url="http://127.0.0.1:9/hook", events=["case.created"]))
    delivery = endpoint_send_test(endpoint=endpoint, now=NOW)
    macros = [macro_create(membership=admin, shared=True, now=NOW, data=MacroInput(
                  name="Thanks", reply="Thanks {{ contact.name }}", tags_add=["thanked"])),
              macro_create(membership=admin, shared=True, now=NOW, data=MacroInput(
                  name="Escalate", reply="On it", changes={"priority": "high"}))]
    tasks = [task_create(tenant=tenant, actor=admin.user, subject="Ring back", now=NOW,
                         case=fresh, due_at=NOW),
             task_create(tenant=tenant, actor=admin.user, subject="Private", now=NOW)]
    calls = [call_log(case=fresh, actor=agent.user, now=NOW, data=CallInput(
                 direction="inbound", number="+44 20 7946 0958", duration_seconds=312,
                 notes="Asked for the invoice again")),
             call_log(case=fresh, actor=admin.user, now=NOW, data=CallInput(
                 direction="outbound", number="555 0100", outcome="no_answer"))]
    kb_files = [attachment_add(article=a, upload=SimpleUploadedFile(
        f"shot {a.pk}.png", b"\x89PNG\r\n\x1a\n" + bytes(20), "image/png"), user=admin.user,
        now=NOW) for a in (kb_draft, kb_live)]
    note_file = note_add_with_files(
        case=mailed.case, actor=admin.user, body="Screenshot", is_public=False, now=NOW,
        uploads=[SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + bytes(20), "image/png")]
    ).attachments.get()
    export = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    export_job_run(export.pk, NOW)
    # Chats: one the admin took, one offered to the admin (nobody else takes chats).
    chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={"enabled": True})
    agent_status_set(tenant=tenant, user=admin.user, available=True, now=NOW)
    chats = [chat_start(tenant=tenant, now=NOW, visitor=VisitorStart(
        name=f"Visitor {i}", email=f"visitor{i}@customer.example", message="Invoice question",
        ip=f"203.0.113.{i + 1}")) for i in range(2)]
    offer_accept(offer=ChatOffer.objects.get(chat=chats[0]), user=admin.user, now=NOW)
    chat_offers = list(ChatOffer.objects.filter(tenant=tenant).order_by("pk"))
    # Reports: every case's facts (the scorecard's figures), a month's compliance report.
    facts_refresh()
    compliance_generate(tenant, date(2026, 10, 1), NOW)
    return {
        "kb_attachment_id": [{"attachment_id": f.pk} for f in kb_files],
        "number": [{"number": n} for n in numbers],
        "assignment_id": [{"number": f"CS-{referred.number}", "assignment_id": assignment.pk}],
        "link_id": [{"number": f"CS-{fresh.number}", "link_id": link.pk} for link in links],
        "queue_id": [{"queue_id": q.pk} for q in (support, engineering)],
        "account_id": [{"account_id": account.pk}],
        "contact_id": [{"contact_id": contact.pk}],
        "deal_id": [{"deal_id": deal.pk}],
        "user_id": [{"user_id": m.user_id} for m in (agent, agent2, admin)],
        "token_id": [{"token_id": t.pk} for t in spare_tokens],
        "invitation_id": [{"invitation_id": i.pk} for i in invitations],
        "rule_id": [{"rule_id": r.pk} for r in (*rules, *automation_rules)],
        "policy_id": [{"policy_id": p.pk} for p in policies],
        "calendar_id": [{"calendar_id": c.pk} for c in calendars],
        "holiday_id": [{"calendar_id": calendars[0].pk, "holiday_id": h.pk} for h in holidays],
        "escalation_rule_id": [{"escalation_rule_id": r.pk} for r in escalations],
        "value_id": [{"kind": "type", "value_id": bug.pk}],
        "inbound_id": [{"inbound_id": m.pk} for m in (mailed.message, *quarantined)],
        "outbound_id": [{"outbound_id": m.pk} for m in outbound],
        "mailbox_id": [{"mailbox_id": b.pk} for b in mailboxes],
        "attachment_id": [{"number": f"CS-{mailed.case.number}", "attachment_id": a.pk}
                          for a in mailed.case.attachments.all()]
                         + [{"number": f"CS-{mailed.case.number}", "attachment_id": note_file.pk}],
        "key": [{"key": k} for k in ("plan", "seats", "region")],
        "article_id": [{"article_id": a.pk} for a in (kb_draft, kb_live)],
        "category_id": [{"category_id": c.pk} for c in (kb_root, kb_leaf, kb_empty)],
        "article_version": [{"article_id": kb_live.pk, "number": n} for n in (1, 2)],
        "case_article": [{"number": n, "article_id": a.pk}
                         for n in numbers[:2] for a in (kb_draft, kb_live)],
        "kind": [{"kind": k} for k in ("type", "category", "subcategory", "closed_reason",
                                       "sub_status")],
        "endpoint_id": [{"endpoint_id": endpoint.pk}],
        "delivery_id": [{"delivery_id": delivery.pk}],
        "macro_id": [{"macro_id": m.pk} for m in macros],
        "case_macro": [{"number": n, "macro_id": m.pk} for n in numbers[:2] for m in macros],
        "task_id": [{"task_id": t.pk} for t in tasks],
        "call_id": [{"call_id": c.pk} for c in calls],
        "job_id": [{"job_id": export.pk}],
        "public_id": [{"public_id": str(c.public_id)} for c in chats],
        "offer_id": [{"offer_id": o.pk} for o in chat_offers],
        # A stored month and one without a report (a 404).
        "month": [{"month": m} for m in ("2026-10", "2026-09")],
    }


def real_path_parameters(names: list[str], world: dict[str, list[dict[str, Any]]]
                         ) -> list[dict[str, Any]] | None:
    """The path parameter sets naming real records, for an operation's parameter names; None
    when the world holds no record of that kind."""
    if names == ["attachment_id"]:  # a knowledge-base file (/kb/attachments/{attachment_id})
        return world["kb_attachment_id"]
    for name in ("assignment_id", "link_id", "value_id", "holiday_id", "attachment_id",
                 "case_macro"):
        if name in names:
            return world[name]
    if "macro_id" in names and "number" in names:  # /cases/{number}/macros/{macro_id}/...
        return world["case_macro"]
    if "article_id" in names and "number" in names:
        # An article's version number (/kb/articles/{article_id}/versions/{number}) or a
        # case's number before an article (/cases/{number}/suggestions/{article_id}).
        return world["article_version" if names[0] == "article_id" else "case_article"]
    name = next((n for n in names if n in world), None)
    return world[name] if name is not None else None


def run_operation(operation: Any, strategy: Any, token: str, examples: int) -> str | None:
    """Runs `examples` generated requests; the first failure, described, or None."""

    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @seed(SEED)
    def check(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - collected, reported
        return f"{operation.label}: {str(failure)[:3000]}"
    return None


@pytest.fixture
def slack_unreachable(settings: Any) -> None:
    """A fuzzed token that looks like Slack's is checked against Slack's Web API: here a
    closed port on this machine, never slack.com."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CASEDESK_SLACK_API_URL = f"http://127.0.0.1:{port}/api/"


def test_no_request_breaks_the_api_or_its_spec(world, admin, in_process_requests,
                                               slack_unreachable) -> None:
    token = token_create(membership=admin, name="fuzz").secret
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    fuzzed: list[tuple[str, str]] = []
    failures: list[str] = []
    unseeded: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        fuzzed.append((operation.method.upper(), operation.path.removeprefix("/api/v1")))
        names = [p.name for p in operation.path_parameters]
        real_parameters = real_path_parameters(names, world) if names else None
        if names and real_parameters is None:
            unseeded.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [(operation.as_strategy(generation_mode=mode),
                           EXAMPLES if not names else max(2, EXAMPLES // 2))]
            if real_parameters is not None:
                real = st.sampled_from(real_parameters).flatmap(
                    lambda params, mode=mode, op=operation: op.as_strategy(
                        generation_mode=mode, path_parameters=params))
                strategies.append((real, EXAMPLES))
            for strategy, examples in strategies:
                failure = run_operation(operation, strategy, token, examples)
                if failure:
                    failures.append(f"[{mode.value}] {failure}")
    assert not failures, f"{len(failures)} failing runs:\n\n" + "\n\n".join(failures)
    assert sorted(fuzzed) == operations()
    # Every operation is fuzzed, but one whose records the world does not make reaches no
    # handler behind its 404s: seed them in `world`.
    assert not unseeded, f"No real records for the path parameters of: {unseeded}"
