"""What mail records in the audit log: IMAP mailboxes (their password masked, never stored in
the log) and the tenant's mail settings."""

import json

from casedesk.tenancy.models import AuditEntry, Tenant
from tests.api_checks import error
from tests.conftest import Api

PASSWORD = "imap-pa55word-do-not-log"
BOX = {"name": "Support inbox", "host": "imap.example.com", "username": "support@acme.test",
       "password": PASSWORD}


def entries(tenant: Tenant, prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant=tenant, action__startswith=prefix)
                .order_by("id"))


def test_mailboxes_are_recorded_with_the_password_masked(clock, admin_api: Api, admin, tenant
                                                         ) -> None:
    made = admin_api.post("/mail/mailboxes", BOX)
    assert made.status_code == 201, made.content
    path = f"/mail/mailboxes/{made.json()['id']}"
    assert admin_api.patch(path, {"folder": "Support"}).status_code == 200
    assert admin_api.patch(path, {"password": "another-pa55word"}).status_code == 200
    error(admin_api.patch(path, {"host": "imap.other.example"}), 422, field="password")
    assert admin_api.delete(path).status_code == 204
    log = entries(tenant, "mailbox")
    assert [e.action for e in log] == ["mailbox.created", "mailbox.updated", "mailbox.updated",
                                       "mailbox.deleted"]
    assert all((e.actor_id, e.via) == (admin.user_id, "api") for e in log)
    assert log[0].changes["password"] == ["(secret)", "(secret)"]
    assert log[0].changes["host"] == [None, "imap.example.com"]
    assert log[1].changes == {"folder": ["INBOX", "Support"]}
    assert log[2].changes == {"password": ["(secret)", "(secret)"]}
    everything = json.dumps([[e.changes, e.detail] for e in AuditEntry.objects.all()])
    assert PASSWORD not in everything and "another-pa55word" not in everything


def test_mail_settings_are_recorded(clock, admin_api: Api, tenant) -> None:
    response = admin_api.patch("/mail/settings", {"mail_from_name": "Acme Help",
                                                  "mail_ack_enabled": False})
    assert response.status_code == 200, response.content
    error(admin_api.patch("/mail/settings", {"mail_max_bytes": 1}), 422)
    [entry] = entries(tenant, "mail_settings")
    assert entry.changes["mail_from_name"][1] == "Acme Help"
    assert entry.changes["mail_ack_enabled"][1] is False
