"""Importing the sample exports of each desk: what lands where, original times, idempotent
re-runs, updates from a newer export, refused rows with their place in the files, and
imported history that sets off no routing, SLA, acknowledgement or automation."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from casedesk.automation.models import RuleRun
from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.crm.models import Account, Contact
from casedesk.importer.mapping import Mapping
from casedesk.importer.models import ImportRecord
from casedesk.importer.sources import SourceFile
from casedesk.mail.models import OutboundMail
from casedesk.reports.models import FactStale
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import AuditEntry, Membership, Role, Tenant
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.automation.test_engine import add_rule
from tests.importer.helpers import NOW, SAMPLES, define_fields, run, sample_files


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def case_of(tenant: Tenant, origin: str) -> Case:
    event = TimelineEvent.objects.get(tenant=tenant, kind=EventKind.CREATED,
                                      message=f"Imported from {origin}.")
    return Case.objects.select_related("contact", "account").get(pk=event.case_id)


def counts(tenant: Tenant) -> dict[str, int]:
    return {"cases": Case.objects.filter(tenant=tenant).count(),
            "notes": Note.objects.filter(tenant=tenant).count(),
            "events": TimelineEvent.objects.filter(tenant=tenant).count(),
            "contacts": Contact.objects.filter(tenant=tenant).count(),
            "accounts": Account.objects.filter(tenant=tenant).count(),
            "records": ImportRecord.objects.filter(tenant=tenant).count()}


@pytest.fixture
def fields(tenant: Tenant) -> Tenant:
    define_fields(tenant)
    return tenant


def test_zendesk_tickets_come_with_their_history(fields: Tenant) -> None:
    outcome = run(fields, "zendesk")
    assert outcome.problems == []
    assert outcome.counts["case"]["created"] == 5
    case = case_of(fields, "Zendesk #4101")
    assert (case.status, case.priority_name, case.type) == ("closed", "high", "Bug")
    assert case.created_at == t("2023-03-01T09:15:00")
    assert case.updated_at == t("2023-03-03T16:40:00")
    assert case.resolved_at == t("2023-03-02T11:05:00")
    assert case.closed_at == t("2023-03-03T16:40:00")
    assert case.first_response_at == t("2023-03-01T10:02:00")
    assert case.closed_reason == "Resolved"
    assert case.tags == ["billing", "invoices"]
    assert case.custom_fields == {"plan": "plan_enterprise"}
    assert case.source == "email"
    assert case.contact is not None and case.contact.email == "priya.raman@northwind.example"
    assert case.account is not None and case.account.name == "Northwind Traders"
    assert case.account.domain == "northwind.example"
    notes = list(case.notes.order_by("created_at"))
    # The first comment repeats the description: not imported twice.
    assert [(n.is_public, n.author_email, n.created_at) for n in notes] == [
        (True, "dana@acme-support.example", t("2023-03-01T10:02:00")),
        (False, "dana@acme-support.example", t("2023-03-02T10:50:00")),
        (True, "priya.raman@northwind.example", t("2023-03-02T12:30:00")),
    ]
    kinds = list(case.timeline.order_by("created_at", "id").values_list("kind", "created_at"))
    assert kinds[0] == (EventKind.CREATED, t("2023-03-01T09:15:00"))
    assert (EventKind.CUSTOMER_REPLIED, t("2023-03-02T12:30:00")) in kinds
    assert (EventKind.STATUS_CHANGED, t("2023-03-03T16:40:00")) in kinds
    assert {c.status for c in Case.objects.filter(tenant=fields)} == {
        "closed", "pending_customer", "resolved", "open", "in_progress"}
    # The caller without an email is no contact; Zendesk's voice channel is a phone call.
    call = case_of(fields, "Zendesk #4103")
    assert (call.contact_id, call.source, call.status) == (None, "phone", "resolved")
    # Agents are not contacts.
    assert not Contact.objects.filter(tenant=fields, email__endswith="acme-support.example")


def test_members_are_recognised_as_owners_and_authors(fields: Tenant) -> None:
    dana = user_get_or_create(email="dana@acme-support.example", full_name="Dana Agent",
                              password="pw-dana-123")
    membership_add(tenant=fields, user=dana, role=Role.AGENT)
    run(fields, "zendesk")
    case = case_of(fields, "Zendesk #4101")
    assert case.owner_id == dana.pk
    assert {n.author_id for n in case.notes.filter(is_public=False)} == {dana.pk}
    assert case.notes.get(author_email="priya.raman@northwind.example").author_id is None


def test_freshdesk_ticket_export(fields: Tenant) -> None:
    outcome = run(fields, "freshdesk")
    assert outcome.problems == []
    closed = case_of(fields, "Freshdesk #210")
    assert (closed.status, closed.type, closed.priority_name) == ("closed", "Bug", "high")
    assert closed.resolved_at == t("2024-01-08T11:30:02")
    assert closed.closed_at == t("2024-01-10T11:30:05")
    assert closed.first_response_at == t("2024-01-08T09:40:10")
    assert closed.custom_fields == {"plan_tier": "Gold"}
    assert closed.tags == ["login", "password"]
    assert "\n" in case_of(fields, "Freshdesk #211").description
    waiting = case_of(fields, "Freshdesk #213")
    assert (waiting.status, waiting.type, waiting.source) == (
        "pending_customer", "Billing", "phone")
    assert case_of(fields, "Freshdesk #212").source == "web"
    # One contact for Amelia's two tickets, linked to her company.
    amelia = Contact.objects.get(tenant=fields, email="amelia.hart@oakridge.example")
    assert amelia.cases.count() == 2 and amelia.account is not None
    assert amelia.account.name == "Oakridge Dental"


def test_salesforce_data_export(fields: Tenant) -> None:
    outcome = run(fields, "salesforce")
    assert outcome.problems == []
    case = case_of(fields, "Salesforce #5005g00000CaSe1AAA")
    assert (case.status, case.category, case.type) == ("closed", "Technical", "Bug")
    assert case.closed_at == t("2023-09-06T17:00:00")
    assert case.custom_fields == {"plan": "Gold"}
    assert case.account is not None and case.account.domain == "globex.example"
    assert case.contact is not None and case.contact.name == "Hank Scorpio"
    bodies = list(case.notes.order_by("created_at").values_list("is_public", "body"))
    assert bodies[0][0] is True and bodies[1][0] is False
    customer = case.notes.get(author_email="hank.scorpio@globex.example")
    assert customer.is_public
    assert case.timeline.filter(kind=EventKind.CUSTOMER_REPLIED, note=customer).exists()
    # A deleted comment is left out.
    working = case_of(fields, "Salesforce #5005g00000CaSe2AAA")
    assert working.status == "in_progress"
    assert not working.notes.filter(body__startswith="Draft").exists()


def test_generic_csv_with_a_mapping(fields: Tenant) -> None:
    outcome = run(fields, "csv")
    assert outcome.problems == []
    first = case_of(fields, "CSV #HD-1")
    assert (first.status, first.category, first.priority_name) == ("closed", "Technical",
                                                                    "high")
    assert first.created_at == t("2022-11-02T08:00:00")
    assert first.custom_fields == {"plan": "Gold"}
    assert first.tags == ["printing", "windows"]
    assert case_of(fields, "CSV #HD-3").status == "pending_customer"


@pytest.mark.parametrize("format", ["zendesk", "freshdesk", "salesforce", "csv"])
def test_importing_the_same_export_twice_changes_nothing(fields: Tenant, format: str) -> None:
    run(fields, format)
    before = counts(fields)
    stamps = dict(Case.objects.filter(tenant=fields).values_list("pk", "updated_at"))
    contacts = dict(Contact.objects.filter(tenant=fields).values_list("pk", "updated_at"))
    again = run(fields, format, now=NOW + timedelta(days=1))
    assert again.problems == []
    assert all(c["created"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert counts(fields) == before
    assert dict(Case.objects.filter(tenant=fields).values_list("pk", "updated_at")) == stamps
    assert dict(Contact.objects.filter(tenant=fields)
                .values_list("pk", "updated_at")) == contacts


def test_a_newer_export_updates_the_case_and_adds_new_comments(fields: Tenant) -> None:
    run(fields, "zendesk")
    records = [json.loads(line) for line in
               (SAMPLES / "zendesk" / "tickets.json").read_text().splitlines()]
    ticket = records[3]
    ticket["status"], ticket["updated_at"] = "solved", "2023-06-22T10:00:00Z"
    ticket["metric_set"]["solved_at"] = "2023-06-22T10:00:00Z"
    ticket["comments"].append({"id": 7302, "author_id": 901, "public": True,
                               "body": "Fixed in today's release.",
                               "created_at": "2023-06-22T10:00:00Z"})
    files = sample_files("zendesk")[:2] + [SourceFile(
        "tickets.json", "\n".join(json.dumps(r) for r in records).encode())]
    outcome = run(fields, "zendesk", files=files)
    assert outcome.counts["case"] == {"created": 0, "updated": 1, "unchanged": 4}
    case = case_of(fields, "Zendesk #4104")
    assert (case.status, case.resolved_at) == ("resolved", t("2023-06-22T10:00:00"))
    assert case.notes.filter(body="Fixed in today's release.").count() == 1
    assert case.timeline.filter(kind=EventKind.FIELD_CHANGED, field="imported").exists()
    assert run(fields, "zendesk", files=files).counts["case"]["unchanged"] == 5


def test_a_malformed_row_is_reported_with_its_line_and_nothing_is_imported(
        fields: Tenant) -> None:
    text = (SAMPLES / "csv" / "cases.csv").read_text().replace("2022-11-05 09:30",
                                                              "5th of November")
    outcome = run(fields, "csv", files=[SourceFile("cases.csv", text.encode())])
    assert [(p.where, p.message) for p in outcome.problems] == [
        ("cases.csv line 3", "Opened: '5th of November' is not a time (use ISO 8601, e.g. "
                             "2024-03-01T09:15:00Z)")]
    assert outcome.refused and not outcome.written
    assert counts(fields) == {"cases": 0, "notes": 0, "events": 0, "contacts": 0,
                              "accounts": 0, "records": 0}


def test_skip_invalid_imports_the_good_rows_and_nothing_of_the_bad_one(
        fields: Tenant) -> None:
    text = (SAMPLES / "csv" / "cases.csv").read_text().replace("Refund for double charge",
                                                              "Refund\x00")
    outcome = run(fields, "csv", files=[SourceFile("cases.csv", text.encode())],
                  skip_invalid=True)
    assert [p.where for p in outcome.problems] == ["cases.csv line 3"]
    assert "NUL" in outcome.problems[0].message
    assert outcome.written
    assert Case.objects.filter(tenant=fields).count() == 2
    # The refused row's own customer (only on that row) is not brought in either.
    assert not Contact.objects.filter(tenant=fields, email="accounts@lakeside.example")
    assert not ImportRecord.objects.filter(tenant=fields, external_id="HD-2")


def test_a_broken_json_record_is_reported_by_line(fields: Tenant) -> None:
    lines = (SAMPLES / "zendesk" / "tickets.json").read_text().splitlines()
    lines[1] = lines[1][:40]
    files = sample_files("zendesk")[:2] + [SourceFile("tickets.json",
                                                      "\n".join(lines).encode())]
    outcome = run(fields, "zendesk", files=files)
    assert [p.where for p in outcome.problems] == ["tickets.json line 2"]
    assert Case.objects.filter(tenant=fields).count() == 0


def test_unknown_values_name_the_mapping_that_fixes_them(tenant: Tenant) -> None:
    outcome = run(tenant, "zendesk", mapping=Mapping())  # and no `plan` field here
    assert {p.where for p in outcome.problems} == {"tickets.json line 1",
                                                   "tickets.json line 4"}
    assert "Custom field '360001234567' has no casedesk field" in outcome.problems[0].message
    dropped = Mapping(custom_fields={"360001234567": None})
    assert run(tenant, "zendesk", mapping=dropped).problems == []
    text = (SAMPLES / "csv" / "cases.csv").read_text().replace(",Closed,", ",Parked,")
    problem = run(tenant, "csv", files=[SourceFile("cases.csv", text.encode())],
                  mapping=Mapping(columns={"id": "Ref", "subject": "Title",
                                           "created_at": "Opened", "status": "State"})
                  ).problems[0]
    assert problem.where == "cases.csv line 2"
    assert "Unknown status 'Parked'" in problem.message and '"values"' in problem.message


def test_dry_run_writes_nothing_and_tells_what_would_happen(fields: Tenant) -> None:
    outcome = run(fields, "salesforce", dry_run=True)
    assert outcome.counts["case"]["created"] == 3 and not outcome.written
    assert counts(fields)["cases"] == 0 and counts(fields)["records"] == 0
    assert not AuditEntry.objects.filter(tenant=fields, action="import.run")


def test_an_import_is_audited(fields: Tenant, admin: Membership) -> None:
    run(fields, "freshdesk")
    entry = AuditEntry.objects.get(tenant=fields, action="import.run")
    assert entry.detail["format"] == "freshdesk"
    assert entry.detail["counts"]["case"]["created"] == 4


def test_imported_history_sets_off_no_routing_sla_acknowledgement_or_automation(
        fields: Tenant, admin: Membership) -> None:
    sla_seed_defaults(fields, NOW)
    Tenant.objects.filter(pk=fields.pk).update(routing_enabled=True)
    fields.refresh_from_db()
    add_rule(fields, name="Tag new cases", actions=[
        {"kind": "set_fields", "priority": "urgent", "tags_add": ["fired"]}])
    add_rule(fields, name="Tag replies", trigger="note_added",
             actions=[{"kind": "set_fields", "tags_add": ["noted"]}])
    run(fields, "zendesk")
    cases = Case.objects.filter(tenant=fields)
    assert cases.count() == 5
    for case in cases:
        assert "fired" not in case.tags and "noted" not in case.tags
        assert case.sla_policy_id is None
        assert case.first_response_due_at is None and case.resolution_due_at is None
        assert case.queue_id is None
    assert not RuleRun.objects.filter(tenant=fields).exists()
    assert not OutboundMail.objects.filter(tenant=fields).exists()
    assert not TimelineEvent.objects.filter(tenant=fields, kind=EventKind.ROUTED).exists()
    sla_sweep(now=NOW + timedelta(days=30), tenant=fields)
    assert not cases.filter(first_response_breached_at__isnull=False).exists()
    assert not cases.filter(resolution_breached_at__isnull=False).exists()
    # The reports will count them: their facts are marked for refreshing.
    assert FactStale.objects.filter(tenant=fields).count() == 5


def test_new_case_numbers_follow_the_original_order(fields: Tenant) -> None:
    run(fields, "zendesk")
    by_time = list(Case.objects.filter(tenant=fields).order_by("created_at")
                   .values_list("number", flat=True))
    assert by_time == sorted(by_time)


def test_an_existing_contact_is_linked_not_overwritten(fields: Tenant) -> None:
    mine = Contact.objects.create(tenant=fields, email="priya.raman@northwind.example",
                                  name="Priya R.")
    run(fields, "zendesk")
    mine.refresh_from_db()
    assert mine.name == "Priya R."
    assert case_of(fields, "Zendesk #4101").contact_id == mine.pk


def test_a_contact_made_meanwhile_is_joined_not_lost(fields: Tenant) -> None:
    from casedesk.importer.services import import_apply, import_check
    from tests.importer.helpers import sample_mapping

    plan = import_check(fields, "zendesk", sample_files("zendesk"), sample_mapping("zendesk"))
    # The customer's mail comes in between the check and the write.
    mine = Contact.objects.create(tenant=fields, email="lena.vogel@mail.example")
    counts_done, problems = import_apply(tenant=fields, actor=None, plan=plan, now=NOW)
    assert problems == [] and counts_done["case"]["created"] == 5
    assert case_of(fields, "Zendesk #4104").contact_id == mine.pk
    assert Contact.objects.filter(tenant=fields).count() == 3


def test_two_users_with_one_email_become_one_contact(fields: Tenant) -> None:
    users = (SAMPLES / "zendesk" / "users.json").read_text() + json.dumps(
        {"id": 1005, "name": "Priya (second login)", "role": "end-user",
         "email": "Priya.Raman@northwind.example"}) + "\n"
    files = [sample_files("zendesk")[0], SourceFile("users.json", users.encode()),
             sample_files("zendesk")[2]]
    assert run(fields, "zendesk", files=files).problems == []
    assert Contact.objects.filter(tenant=fields,
                                  email="priya.raman@northwind.example").count() == 1
    assert run(fields, "zendesk", files=files).counts["contact"]["created"] == 0
