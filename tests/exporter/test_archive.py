"""The full export: every kind of record, the raw mail, the files; nothing of another
tenant's and no secret; the job's claim, failure, pick-up and expiry."""

import json
import zipfile
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.cases.links import link_add
from casedesk.cases.models import CustomFieldDefinition, NoteAttachment, Participant
from casedesk.cases.services import case_add_note
from casedesk.csat.models import Survey
from casedesk.exporter import jobs
from casedesk.exporter.archive import SECRET_COLUMNS, exported_columns, tenant_models
from casedesk.exporter.jobs import export_claim, export_job_run, exports_due
from casedesk.exporter.models import ExportJob, ExportStatus
from casedesk.exporter.services import export_delete, export_request
from casedesk.kb.attachments import attachment_add
from casedesk.kb.services import article_create, article_publish
from casedesk.mail.ingest import ingest
from casedesk.mail.models import Mailbox, OutboundMail
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from casedesk.tenancy.services import token_create
from tests.conftest import NOW, Foreign
from tests.factories import DealFactory, make_case

SECRET_MARK = "S3cret-mailbox-pass"
# The builder reads the entry points' clock as it goes (its lease, the finish): stopped at NOW.
pytestmark = pytest.mark.usefixtures("clock")


def raw_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jo Customer <jo@customer.example>"
    msg["To"] = "support@acme.test"
    msg["Subject"] = "Logs attached"
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content("Our printer logs are attached.")
    msg.add_attachment(b"LOGDATA" * 100, maintype="application", subtype="octet-stream",
                       filename="printer.log")
    return bytes(msg)


@pytest.fixture
def desk(tenant: Tenant, admin: Membership, agent: Membership) -> dict[str, Any]:
    """The tenant with one of each kind: mail in and out, files, links, knowledge base."""
    case = ingest(tenant=tenant, raw=raw_mail(), now=NOW).case
    assert case is not None
    other = make_case(tenant, subject="Second case", account_id=None)
    link_add(case=case, other=other, kind="related_to", actor=agent.user, now=NOW)
    case_add_note(case=case, actor=agent.user, body="Internal: check the spooler",
                  is_public=False, now=NOW)
    reply = case_add_note(case=case, actor=agent.user, body="We are looking at it.",
                          is_public=True, now=NOW)
    NoteAttachment.objects.create(
        tenant=tenant, case=case, note=reply, uploaded_by=agent.user, filename="fix.txt",
        content_type="text/plain", size=9, created_at=NOW,
        file=default_storage.save("note-attachments/2026/11/fix.txt",
                                  ContentFile(b"FIX-STEPS")))
    Participant.objects.create(tenant=tenant, case=case, email="cc@customer.example",
                               created_at=NOW)
    DealFactory(tenant=tenant, account=case.account) if case.account else None
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    article = article_publish(article=article_create(
        tenant=tenant, author=admin.user, title="Printer logs", body="Where the logs are",
        now=NOW), actor=admin.user, now=NOW)
    attachment_add(article=article, upload=SimpleUploadedFile(
        "diagram.png", b"\x89PNG\r\n\x1a\n acme-diagram", "image/png"), user=admin.user,
        now=NOW)
    Survey.objects.create(tenant=tenant, case=case, nonce="survey-nonce-123", scale="five",
                          recipient="jo@customer.example", sent_at=NOW,
                          expires_at=NOW + timedelta(days=7), rating=5, answered_at=NOW)
    token = token_create(membership=admin, name="integration")
    Mailbox.objects.create(tenant=tenant, name="IMAP", host="imap.acme.test",
                           username="support", password=SECRET_MARK, created_at=NOW)
    return {"case": case, "token": token.secret, "digest": token.token.digest}


def build(tenant: Tenant, admin: Membership) -> ExportJob:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    done = export_job_run(job.pk, NOW)
    assert done is not None and done.status == ExportStatus.DONE, done and done.error
    return done


def open_zip(job: ExportJob) -> zipfile.ZipFile:
    assert job.file.name
    return zipfile.ZipFile(default_storage.open(job.file.name, "rb"))


def jsonl(archive: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in archive.read(name).decode().splitlines()]


def test_every_kind_is_in_the_archive_and_nothing_of_another_tenant(
        tenant: Tenant, admin: Membership, desk: dict[str, Any], foreign: Foreign) -> None:
    job = build(tenant, admin)
    with open_zip(job) as archive:
        names = set(archive.namelist())
        for part in ("cases/case", "cases/note", "cases/timelineevent", "cases/participant",
                     "cases/caselink", "cases/noteattachment", "cases/customfielddefinition",
                     "crm/contact", "crm/account", "crm/deal", "routing/queue",
                     "tenancy/membership", "tenancy/user", "kb/article", "csat/survey",
                     "mail/inboundmessage", "mail/outboundmail", "mail/attachment",
                     "tenancy/auditentry"):
            assert f"data/{part}.jsonl" in names, part
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["version"] == 1 and manifest["tenant"]["slug"] == tenant.slug
        assert manifest["created_at"] == "2026-11-23T09:00:00Z"
        cases = jsonl(archive, "data/cases/case.jsonl")
        assert manifest["counts"]["cases.case"] == len(cases) >= 2
        notes = jsonl(archive, "data/cases/note.jsonl")
        assert {"Internal: check the spooler", "We are looking at it."} <= {
            n["body"] for n in notes}
        # The raw message, byte for byte, and the files each row names.
        (message,) = jsonl(archive, "data/mail/inboundmessage.jsonl")
        assert "raw" not in message
        assert archive.read(f"mail/inbound/{message['id']}.eml") == raw_mail_of(tenant)
        (mail_file,) = jsonl(archive, "data/mail/attachment.jsonl")
        assert archive.read(mail_file["file"]) == b"LOGDATA" * 100
        (note_file,) = jsonl(archive, "data/cases/noteattachment.jsonl")
        assert archive.read(note_file["file"]) == b"FIX-STEPS"
        (kb_file,) = jsonl(archive, "data/kb/articleattachment.jsonl")
        assert archive.read(kb_file["file"]).endswith(b"acme-diagram")
        assert manifest["files"] == 3 and manifest["missing_files"] == []
        assert OutboundMail.objects.filter(tenant=tenant).count() == len(
            jsonl(archive, "data/mail/outboundmail.jsonl"))
        members = jsonl(archive, "data/tenancy/membership.jsonl")
        assert admin.user.email in {m["user_email"] for m in members}
        users = jsonl(archive, "data/tenancy/user.jsonl")
        assert {u["email"] for u in users} == set(
            Membership.objects.filter(tenant=tenant).values_list("user__email", flat=True))
        everything = b"".join(archive.read(name) for name in names)
    text = everything.decode("utf-8", errors="replace")
    # No other tenant's data: its cases, contact, articles, files, people.
    for mark in ("Globex", "globex", foreign.admin.user.email):
        assert mark not in text, mark
    # No secrets: password hashes, token digests and secrets, nonces, mailbox passwords.
    for mark in ("pbkdf2_", "argon2", desk["token"], desk["digest"], SECRET_MARK,
                 "survey-nonce-123",
                 '"password"', '"digest"', '"nonce"'):
        assert mark not in text, mark


def raw_mail_of(tenant: Tenant) -> bytes:
    from casedesk.mail.models import InboundMessage

    return bytes(InboundMessage.objects.get(tenant=tenant).raw)


def test_no_exported_table_keeps_a_secret_column() -> None:
    exported = {m._meta.label_lower: m for m in tenant_models()}
    for model in exported.values():
        assert not {f.name for f in exported_columns(model)} & SECRET_COLUMNS, model
    # The secrets the desk holds today, each left out by its column's name or its table.
    for label, column in (("tenancy.apitoken", "digest"), ("mail.mailbox", "password"),
                          ("automation.webhookendpoint", "secret"),
                          ("tenancy.invitation", "nonce"), ("csat.survey", "nonce")):
        assert column not in {f.name for f in exported_columns(exported[label])}, label
    for label in ("portal.signinlink", "portal.portalsession", "exporter.exportjob"):
        assert label not in exported


def test_the_request_is_audited_and_one_export_at_a_time(tenant: Tenant,
                                                         admin: Membership) -> None:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    entry = AuditEntry.objects.get(tenant=tenant, action="export.tenant")
    assert entry.target_id == str(job.pk) and entry.actor_id == admin.user_id
    with pytest.raises(Exception, match="already being made"):
        export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)


def test_a_job_is_claimed_once(tenant: Tenant, admin: Membership) -> None:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    assert export_claim(job.pk, NOW) is not None
    assert export_claim(job.pk, NOW) is None  # another worker finds it taken
    assert export_job_run(job.pk, NOW + timedelta(minutes=1)) is None
    # The first worker died: once its lease runs out the job is built again.
    later = NOW + jobs.LEASE + timedelta(seconds=1)
    assert jobs.jobs_stranded(later) == [job.pk]
    lines = list(exports_due(later))
    assert lines and "done" in lines[0]
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.attempts == 2 and job.is_ready


def test_a_lost_task_is_picked_up_by_the_schedule(tenant: Tenant, admin: Membership) -> None:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    assert jobs.jobs_stranded(NOW + timedelta(seconds=30)) == []
    list(exports_due(NOW + jobs.UNCLAIMED_AFTER + timedelta(seconds=1)))
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE


def test_a_failing_build_fails_the_job_and_leaves_no_file(
        tenant: Tenant, admin: Membership, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "build_to_storage", broken)
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    done = export_job_run(job.pk, NOW)
    assert done is not None and done.status == ExportStatus.FAILED
    assert "disk full" in done.error and not done.file


def test_gives_up_after_repeated_deaths(tenant: Tenant, admin: Membership) -> None:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    ExportJob.objects.filter(pk=job.pk).update(attempts=jobs.MAX_ATTEMPTS)
    done = export_job_run(job.pk, NOW)
    assert done is not None and done.status == ExportStatus.FAILED
    assert "Gave up" in done.error


def test_archives_expire_and_can_be_deleted(tenant: Tenant, admin: Membership) -> None:
    job = build(tenant, admin)
    name = job.file.name
    assert name and default_storage.exists(name)
    assert job.expires_at == NOW + jobs.KEEP
    assert jobs.exports_expire(NOW + jobs.KEEP - timedelta(seconds=1)) == 0
    assert jobs.exports_expire(NOW + jobs.KEEP) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not job.file
    assert not default_storage.exists(name)
    second = build(tenant, admin)
    second_name = second.file.name
    export_delete(job=second, actor=admin.user, now=NOW)
    assert not ExportJob.objects.filter(pk=second.pk).exists()
    assert AuditEntry.objects.filter(tenant=tenant, action="export.deleted").exists()
    assert second_name is not None
