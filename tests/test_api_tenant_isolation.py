"""No request of one tenant reads or changes another tenant's data.

Every operation of the OpenAPI spec must appear in exactly one of the tables below, so a new
endpoint without an isolation check fails `test_every_operation_has_an_isolation_check`:
- operations that take an id or a case number are tried with ANOTHER tenant's id and must
  answer 404 (as the tenant's admin, so a 403 cannot hide a leak) and change nothing;
- operations without one are lists, which must not show the other tenant's records,
  creations, which must refuse the other tenant's ids in their body, operations on the
  caller's own tenant or membership, which must leave the other tenant as it was, or reports,
  whose figures must count the caller's tenant's cases only, and whose filters refuse the
  other tenant's queue, team or agent.
"""

import json
from collections.abc import Callable
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.automation.macros import MacroInput, macro_create
from casedesk.automation.models import (
    AutomationRule,
    Macro,
    RuleRun,
    WebhookDelivery,
    WebhookEndpoint,
)
from casedesk.automation.webhooks import EndpointInput, endpoint_create
from casedesk.calls.domain import CallInput
from casedesk.calls.models import Call as PhoneCall
from casedesk.calls.services import call_log
from casedesk.cases.models import (
    Case,
    CaseAssignment,
    CaseLink,
    CaseMerge,
    CustomFieldDefinition,
    Note,
    NoteAttachment,
    PicklistValue,
    TimelineEvent,
)
from casedesk.chat.models import AgentChatStatus, Chat, ChatEvent, ChatOffer, ChatSettings
from casedesk.crm.models import Account, Contact, Deal
from casedesk.csat.models import CsatSettings
from casedesk.csat.services import survey_answer, survey_comment, survey_send
from casedesk.exporter.models import ExportJob
from casedesk.kb.models import (
    Article,
    ArticleAttachment,
    ArticleSlug,
    ArticleVersion,
    KbCategory,
    KbEvent,
    KbEventKind,
)
from casedesk.kb.services import article_create, category_create
from casedesk.mail.ingest import ingest
from casedesk.mail.models import Attachment, InboundMessage, Mailbox, OutboundMail
from casedesk.notifications.models import Notification
from casedesk.privacy.models import Erasure
from casedesk.reports.compliance_job import compliance_generate
from casedesk.reports.models import MonthlyCompliance
from casedesk.reports.rollup import facts_refresh
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, EscalationHit, EscalationRule, Holiday, SlaPolicy
from casedesk.tasks.models import Task
from casedesk.tasks.services import task_create
from casedesk.tenancy.models import ApiToken, AuditEntry, Invitation, Membership, Tenant
from tests.api_checks import error, operations
from tests.conftest import NOW, Api, Foreign
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case
from tests.slack.conftest import SECRET as SLACK_SECRET
from tests.slack.conftest import TOKEN as SLACK_TOKEN
from tests.slack.conftest import slack_api  # noqa: F401 (a fixture)

Call = tuple[str, Any]  # (path, body)
THEIR_MONTH = "2026-10"  # the other tenant has an SLA compliance report of it; we have none

# Operations addressing one record by id or number: the calls that try a foreign one.
BY_ID: dict[tuple[str, str], Callable[[Foreign, str], list[Call]]] = {
    ("GET", "/cases/{number}"): lambda f, mine: [(f"/cases/{f.case_number}", None)],
    ("PATCH", "/cases/{number}"): lambda f, mine: [
        (f"/cases/{f.case_number}", {"subject": "Hijacked", "priority": "low"})],
    ("POST", "/cases/{number}/transitions"): lambda f, mine: [
        (f"/cases/{f.case_number}/transitions", {"to": "pending_customer"})],
    ("POST", "/cases/{number}/follow-ups"): lambda f, mine: [
        (f"/cases/{f.case_number}/follow-ups", {})],
    ("GET", "/cases/{number}/notes"): lambda f, mine: [(f"/cases/{f.case_number}/notes", None)],
    ("POST", "/cases/{number}/notes"): lambda f, mine: [
        (f"/cases/{f.case_number}/notes", {"body": "Planted", "public": True})],
    ("GET", "/cases/{number}/timeline"): lambda f, mine: [
        (f"/cases/{f.case_number}/timeline", None)],
    ("POST", "/cases/{number}/claim"): lambda f, mine: [(f"/cases/{f.case_number}/claim", {})],
    ("PUT", "/cases/{number}/owner"): lambda f, mine: [
        (f"/cases/{f.case_number}/owner", {"queue_id": f.queue_id})],
    ("GET", "/cases/{number}/assignments"): lambda f, mine: [
        (f"/cases/{f.case_number}/assignments", None)],
    ("POST", "/cases/{number}/assignments"): lambda f, mine: [
        (f"/cases/{f.case_number}/assignments", {"queue_id": f.queue_id,
                                                  "description": "Planted"})],
    ("POST", "/cases/{number}/assignments/{assignment_id}/close"): lambda f, mine: [
        (f"/cases/{f.case_number}/assignments/{f.assignment_id}/close", {"note": "x"}),
        (f"/cases/{mine}/assignments/{f.assignment_id}/close", {"note": "x"}),
    ],
    ("POST", "/queues/{queue_id}/claim-next"): lambda f, mine: [
        (f"/queues/{f.queue_id}/claim-next", {})],
    ("GET", "/cases/{number}/links"): lambda f, mine: [(f"/cases/{f.case_number}/links", None)],
    ("POST", "/cases/{number}/links"): lambda f, mine: [
        (f"/cases/{f.case_number}/links", {"kind": "related_to", "case": mine}),
        (f"/cases/{mine}/links", {"kind": "child_of", "case": f.case_number}),
    ],
    ("DELETE", "/cases/{number}/links/{link_id}"): lambda f, mine: [
        (f"/cases/{f.case_number}/links/{f.link_id}", None),
        (f"/cases/{mine}/links/{f.link_id}", None),
    ],
    ("GET", "/cases/{number}/triage"): lambda f, mine: [
        (f"/cases/{f.case_number}/triage", None)],
    ("GET", "/cases/{number}/similar"): lambda f, mine: [
        (f"/cases/{f.case_number}/similar", None)],
    ("GET", "/cases/{number}/draft"): lambda f, mine: [(f"/cases/{f.case_number}/draft", None)],
    ("POST", "/cases/{number}/merge"): lambda f, mine: [
        (f"/cases/{f.case_number}/merge", {"sources": [mine]}),
        (f"/cases/{mine}/merge", {"sources": [f.case_number]})],
    ("POST", "/cases/{number}/merge/undo"): lambda f, mine: [
        (f"/cases/{f.case_number}/merge/undo", {})],
    ("POST", "/cases/{number}/attachments"): lambda f, mine: [
        (f"/cases/{f.case_number}/attachments",
         SimpleUploadedFile("planted.png", b"\x89PNG\r\n\x1a\n planted", "image/png"))],
    ("GET", "/cases/{number}/note-attachments/{attachment_id}"): lambda f, mine: [
        (f"/cases/{f.case_number}/note-attachments/{f.note_attachment_id}", None),
        (f"/cases/{mine}/note-attachments/{f.note_attachment_id}", None)],
    ("DELETE", "/cases/{number}/note-attachments/{attachment_id}"): lambda f, mine: [
        (f"/cases/{f.case_number}/note-attachments/{f.note_attachment_id}", None),
        (f"/cases/{mine}/note-attachments/{f.note_attachment_id}", None)],
    ("POST", "/contacts/{contact_id}/erase"): lambda f, mine: [
        (f"/contacts/{f.contact_id}/erase", {})],
    ("GET", "/exports/{job_id}"): lambda f, mine: [(f"/exports/{f.export_id}", None)],
    ("GET", "/exports/{job_id}/download"): lambda f, mine: [
        (f"/exports/{f.export_id}/download", None)],
    ("DELETE", "/exports/{job_id}"): lambda f, mine: [(f"/exports/{f.export_id}", None)],
    ("GET", "/accounts/{account_id}"): lambda f, mine: [(f"/accounts/{f.account_id}", None)],
    ("PATCH", "/accounts/{account_id}"): lambda f, mine: [
        (f"/accounts/{f.account_id}", {"name": "Hijacked"})],
    ("GET", "/accounts/{account_id}/cases"): lambda f, mine: [
        (f"/accounts/{f.account_id}/cases", None)],
    ("GET", "/contacts/{contact_id}"): lambda f, mine: [(f"/contacts/{f.contact_id}", None)],
    ("PATCH", "/contacts/{contact_id}"): lambda f, mine: [
        (f"/contacts/{f.contact_id}", {"name": "Hijacked"})],
    ("GET", "/contacts/{contact_id}/cases"): lambda f, mine: [
        (f"/contacts/{f.contact_id}/cases", None)],
    ("GET", "/deals/{deal_id}"): lambda f, mine: [(f"/deals/{f.deal_id}", None)],
    ("PATCH", "/deals/{deal_id}"): lambda f, mine: [
        (f"/deals/{f.deal_id}", {"name": "Hijacked"})],
    ("GET", "/queues/{queue_id}"): lambda f, mine: [(f"/queues/{f.queue_id}", None)],
    ("PATCH", "/queues/{queue_id}"): lambda f, mine: [
        (f"/queues/{f.queue_id}", {"name": "Hijacked", "member_ids": []})],
    ("PATCH", "/members/{user_id}"): lambda f, mine: [
        (f"/members/{f.admin.user_id}", {"role": "agent", "is_active": False})],
    ("DELETE", "/tokens/{token_id}"): lambda f, mine: [(f"/tokens/{f.token_id}", None)],
    ("POST", "/invitations/{invitation_id}/resend"): lambda f, mine: [
        (f"/invitations/{f.invitation_id}/resend", {})],
    ("DELETE", "/invitations/{invitation_id}"): lambda f, mine: [
        (f"/invitations/{f.invitation_id}", None)],
    ("GET", "/members/{user_id}/cases"): lambda f, mine: [
        (f"/members/{f.member_user_id}/cases", None)],
    ("POST", "/members/{user_id}/cases/hand-on"): lambda f, mine: [
        (f"/members/{f.member_user_id}/cases/hand-on", {}),
        (f"/members/{f.member_user_id}/cases/hand-on", {"to_user_id": f.admin.user_id})],
    ("PATCH", "/picklists/{kind}/{value_id}"): lambda f, mine: [
        (f"/picklists/type/{f.picklist_value_id}", {"is_active": False})],
    ("PATCH", "/custom-fields/{key}"): lambda f, mine: [
        (f"/custom-fields/{f.custom_field_key}", {"label": "Hijacked"})],
    ("POST", "/cases/{number}/reroute"): lambda f, mine: [(f"/cases/{f.case_number}/reroute", {})],
    ("GET", "/routing/rules/{rule_id}"): lambda f, mine: [(f"/routing/rules/{f.rule_id}", None)],
    ("PATCH", "/routing/rules/{rule_id}"): lambda f, mine: [
        (f"/routing/rules/{f.rule_id}", {"name": "Hijacked", "is_enabled": False,
                                          "position": 0})],
    ("DELETE", "/routing/rules/{rule_id}"): lambda f, mine: [
        (f"/routing/rules/{f.rule_id}", None)],
    ("GET", "/sla/policies/{policy_id}"): lambda f, mine: [(f"/sla/policies/{f.policy_id}", None)],
    ("PATCH", "/sla/policies/{policy_id}"): lambda f, mine: [
        (f"/sla/policies/{f.policy_id}", {"name": "Hijacked", "is_enabled": False,
                                           "first_response_minutes": 1, "position": 3})],
    ("DELETE", "/sla/policies/{policy_id}"): lambda f, mine: [
        (f"/sla/policies/{f.policy_id}", None)],
    ("GET", "/sla/calendars/{calendar_id}"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}", None)],
    ("PATCH", "/sla/calendars/{calendar_id}"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}", {"name": "Hijacked", "time_zone": "Asia/Tokyo",
                                              "week": {}})],
    ("DELETE", "/sla/calendars/{calendar_id}"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}", None)],
    ("GET", "/sla/calendars/{calendar_id}/holidays"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}/holidays", None)],
    ("POST", "/sla/calendars/{calendar_id}/holidays"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}/holidays", {"name": "Planted",
                                                       "starts_on": "2026-12-02"})],
    ("POST", "/sla/calendars/{calendar_id}/holidays/import"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}/holidays/import", {"ics": ICS})],
    ("DELETE", "/sla/calendars/{calendar_id}/holidays/{holiday_id}"): lambda f, mine: [
        (f"/sla/calendars/{f.calendar_id}/holidays/{f.holiday_id}", None),
        (f"/sla/calendars/{my_calendar_id(f)}/holidays/{f.holiday_id}", None),
    ],
    ("GET", "/sla/escalation-rules/{escalation_rule_id}"): lambda f, mine: [
        (f"/sla/escalation-rules/{f.escalation_rule_id}", None)],
    ("PATCH", "/sla/escalation-rules/{escalation_rule_id}"): lambda f, mine: [
        (f"/sla/escalation-rules/{f.escalation_rule_id}", {"name": "Hijacked",
                                                            "is_enabled": False})],
    ("DELETE", "/sla/escalation-rules/{escalation_rule_id}"): lambda f, mine: [
        (f"/sla/escalation-rules/{f.escalation_rule_id}", None)],
    ("GET", "/mail/inbound/{inbound_id}"): lambda f, mine: [
        (f"/mail/inbound/{their_inbound_id(f)}", None)],
    ("GET", "/mail/inbound/{inbound_id}/raw"): lambda f, mine: [
        (f"/mail/inbound/{their_inbound_id(f)}/raw", None)],
    # Their message is quarantined: were it found, re-processing would file it.
    ("POST", "/mail/inbound/{inbound_id}/reprocess"): lambda f, mine: [
        (f"/mail/inbound/{their_inbound_id(f)}/reprocess", {})],
    ("POST", "/mail/inbound/{inbound_id}/accept"): lambda f, mine: [
        (f"/mail/inbound/{their_inbound_id(f)}/accept", {})],
    ("POST", "/mail/inbound/{inbound_id}/new-case"): lambda f, mine: [
        (f"/mail/inbound/{their_inbound_id(f)}/new-case", {})],
    ("GET", "/mail/outbound/{outbound_id}"): lambda f, mine: [
        (f"/mail/outbound/{their_outbound_id(f)}", None)],
    # Their message waits to be sent: were it found, it would be made due now.
    ("POST", "/mail/outbound/{outbound_id}/retry"): lambda f, mine: [
        (f"/mail/outbound/{their_outbound_id(f)}/retry", {})],
    ("GET", "/mail/mailboxes/{mailbox_id}"): lambda f, mine: [
        (f"/mail/mailboxes/{their_mailbox_id(f)}", None)],
    ("PATCH", "/mail/mailboxes/{mailbox_id}"): lambda f, mine: [
        (f"/mail/mailboxes/{their_mailbox_id(f)}", {"name": "Hijacked", "enabled": False})],
    ("DELETE", "/mail/mailboxes/{mailbox_id}"): lambda f, mine: [
        (f"/mail/mailboxes/{their_mailbox_id(f)}", None)],
    ("GET", "/cases/{number}/attachments"): lambda f, mine: [
        (f"/cases/{f.case_number}/attachments", None)],
    ("GET", "/cases/{number}/attachments/{attachment_id}"): lambda f, mine: [
        (f"/cases/{f.case_number}/attachments/{their_attachment_id(f)}", None),
        (f"/cases/{mine}/attachments/{their_attachment_id(f)}", None),
    ],
    ("PATCH", "/kb/categories/{category_id}"): lambda f, mine: [
        (f"/kb/categories/{f.kb_category_id}", {"name": "Hijacked", "parent_id": None})],
    ("DELETE", "/kb/categories/{category_id}"): lambda f, mine: [
        (f"/kb/categories/{f.kb_category_id}", None)],
    ("GET", "/kb/articles/{article_id}"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}", None)],
    ("PATCH", "/kb/articles/{article_id}"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}", {"title": "Hijacked", "slug": "hijacked"})],
    ("DELETE", "/kb/articles/{article_id}"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}", None)],
    ("POST", "/kb/articles/{article_id}/publish"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/publish", {})],
    ("POST", "/kb/articles/{article_id}/archive"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/archive", {})],
    ("GET", "/kb/articles/{article_id}/versions"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/versions", None)],
    ("POST", "/kb/articles/{article_id}/versions/{number}/restore"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/versions/1/restore", {})],
    ("GET", "/kb/articles/{article_id}/attachments"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/attachments", None)],
    ("POST", "/kb/articles/{article_id}/attachments"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/attachments",
         SimpleUploadedFile("planted.png", b"\x89PNG\r\n\x1a\n planted", "image/png"))],
    ("GET", "/kb/attachments/{attachment_id}"): lambda f, mine: [
        (f"/kb/attachments/{f.kb_attachment_id}", None)],
    ("DELETE", "/kb/attachments/{attachment_id}"): lambda f, mine: [
        (f"/kb/attachments/{f.kb_attachment_id}", None)],
    ("POST", "/kb/articles/{article_id}/views"): lambda f, mine: [
        (f"/kb/articles/{f.kb_article_id}/views", {}),
        (f"/kb/articles/{f.kb_article_id}/views", {"visitor": "planted"})],
    ("GET", "/cases/{number}/suggestions"): lambda f, mine: [
        (f"/cases/{f.case_number}/suggestions", None)],
    # Their case, and their article from our own case.
    ("POST", "/cases/{number}/suggestions/{article_id}/opened"): lambda f, mine: [
        (f"/cases/{f.case_number}/suggestions/{f.kb_article_id}/opened",
         {"score": 50, "rank": 1}),
        (f"/cases/{mine}/suggestions/{f.kb_article_id}/opened", {"score": 50, "rank": 1})],
    ("POST", "/cases/{number}/suggestions/{article_id}/solved"): lambda f, mine: [
        (f"/cases/{f.case_number}/suggestions/{f.kb_article_id}/solved", {}),
        (f"/cases/{mine}/suggestions/{f.kb_article_id}/solved", {})],
    ("POST", "/kb/visitor-cases"): lambda f, mine: [
        ("/kb/visitor-cases", {"case": f.case_number, "visitor": "planted"})],
    ("GET", "/automation/rules/{rule_id}"): lambda f, mine: [
        (f"/automation/rules/{f.automation_rule_id}", None)],
    ("PATCH", "/automation/rules/{rule_id}"): lambda f, mine: [
        (f"/automation/rules/{f.automation_rule_id}", {"name": "Hijacked", "is_enabled": False})],
    ("DELETE", "/automation/rules/{rule_id}"): lambda f, mine: [
        (f"/automation/rules/{f.automation_rule_id}", None)],
    ("GET", "/automation/rules/{rule_id}/runs"): lambda f, mine: [
        (f"/automation/rules/{f.automation_rule_id}/runs", None)],
    ("GET", "/webhooks/{endpoint_id}"): lambda f, mine: [(f"/webhooks/{f.webhook_id}", None)],
    ("PATCH", "/webhooks/{endpoint_id}"): lambda f, mine: [
        (f"/webhooks/{f.webhook_id}", {"name": "Hijacked", "is_enabled": False,
                                       "rotate_secret": True})],
    ("DELETE", "/webhooks/{endpoint_id}"): lambda f, mine: [(f"/webhooks/{f.webhook_id}", None)],
    ("GET", "/webhooks/{endpoint_id}/deliveries"): lambda f, mine: [
        (f"/webhooks/{f.webhook_id}/deliveries", None)],
    ("POST", "/webhooks/{endpoint_id}/test"): lambda f, mine: [
        (f"/webhooks/{f.webhook_id}/test", {})],
    ("POST", "/webhooks/deliveries/{delivery_id}/redeliver"): lambda f, mine: [
        (f"/webhooks/deliveries/{f.delivery_id}/redeliver", {})],
    ("GET", "/macros/{macro_id}"): lambda f, mine: [(f"/macros/{f.macro_id}", None)],
    ("PATCH", "/macros/{macro_id}"): lambda f, mine: [
        (f"/macros/{f.macro_id}", {"name": "Hijacked"})],
    ("DELETE", "/macros/{macro_id}"): lambda f, mine: [(f"/macros/{f.macro_id}", None)],
    # Their macro on their case, and on ours.
    ("GET", "/cases/{number}/macros/{macro_id}/preview"): lambda f, mine: [
        (f"/cases/{f.case_number}/macros/{f.macro_id}/preview", None),
        (f"/cases/{mine}/macros/{f.macro_id}/preview", None)],
    ("POST", "/cases/{number}/macros/{macro_id}/apply"): lambda f, mine: [
        (f"/cases/{f.case_number}/macros/{f.macro_id}/apply", {}),
        (f"/cases/{mine}/macros/{f.macro_id}/apply", {})],
    ("GET", "/tasks/{task_id}"): lambda f, mine: [(f"/tasks/{f.task_id}", None)],
    ("PATCH", "/tasks/{task_id}"): lambda f, mine: [
        (f"/tasks/{f.task_id}", {"subject": "Hijacked", "is_done": True})],
    ("DELETE", "/tasks/{task_id}"): lambda f, mine: [(f"/tasks/{f.task_id}", None)],
    ("GET", "/cases/{number}/tasks"): lambda f, mine: [(f"/cases/{f.case_number}/tasks", None)],
    ("GET", "/cases/{number}/calls"): lambda f, mine: [(f"/cases/{f.case_number}/calls", None)],
    ("POST", "/cases/{number}/calls"): lambda f, mine: [
        (f"/cases/{f.case_number}/calls", {"direction": "inbound", "number": "555 0100"})],
    ("GET", "/calls/{call_id}"): lambda f, mine: [(f"/calls/{their_call_id(f)}", None)],
    # A month only the other tenant has a stored compliance report of.
    ("GET", "/reports/compliance/{month}"): lambda f, mine: [
        (f"/reports/compliance/{THEIR_MONTH}", None)],
    ("GET", "/reports/compliance/{month}/pdf"): lambda f, mine: [
        (f"/reports/compliance/{THEIR_MONTH}/pdf", None)],
    ("GET", "/reports/compliance/{month}/csv"): lambda f, mine: [
        (f"/reports/compliance/{THEIR_MONTH}/csv", None),
        (f"/reports/compliance/{THEIR_MONTH}/csv?part=offenders", None)],
    ("GET", "/chats/{public_id}"): lambda f, mine: [(f"/chats/{f.chat_public_id}", None)],
    ("POST", "/chats/{public_id}/messages"): lambda f, mine: [
        (f"/chats/{f.chat_public_id}/messages", {"body": "Planted", "client_id": "planted"})],
    ("POST", "/chats/{public_id}/end"): lambda f, mine: [
        (f"/chats/{f.chat_public_id}/end", {})],
    ("POST", "/chat/offers/{offer_id}/accept"): lambda f, mine: [
        (f"/chat/offers/{f.chat_offer_id}/accept", {})],
    ("POST", "/chat/offers/{offer_id}/decline"): lambda f, mine: [
        (f"/chat/offers/{f.chat_offer_id}/decline", {})],
}

# Lists: what they answer must hold none of the other tenant's records.
LISTS: dict[tuple[str, str], str] = {
    ("GET", "/chats"): "/chats",
    ("GET", "/chat/offers"): "/chat/offers",
    ("GET", "/cases"): "/cases",
    ("GET", "/inbox/cases"): "/inbox/cases",
    ("GET", "/accounts"): "/accounts",
    ("GET", "/contacts"): "/contacts",
    ("GET", "/deals"): "/deals",
    ("GET", "/queues"): "/queues",
    ("GET", "/members"): "/members",
    ("GET", "/tokens"): "/tokens",
    ("GET", "/invitations"): "/invitations",
    ("GET", "/picklists"): "/picklists",
    ("GET", "/picklists/{kind}"): "/picklists/type",
    ("GET", "/custom-fields"): "/custom-fields",
    ("GET", "/me"): "/me",
    ("GET", "/routing/rules"): "/routing/rules",
    ("GET", "/routing/skills"): "/routing/skills",
    ("GET", "/sla/policies"): "/sla/policies",
    ("GET", "/sla/calendars"): "/sla/calendars",
    ("GET", "/sla/escalation-rules"): "/sla/escalation-rules",
    ("GET", "/mail/inbound"): "/mail/inbound",
    # Failed is the default; both tenants' acknowledgements are waiting.
    ("GET", "/mail/outbound"): "/mail/outbound?status=pending",
    ("GET", "/mail/mailboxes"): "/mail/mailboxes",
    ("GET", "/kb/categories"): "/kb/categories",
    ("GET", "/kb/articles"): "/kb/articles",
    ("GET", "/kb/analytics"): "/kb/analytics?since=2026-11-01&until=2026-12-01",
    ("GET", "/csat"): "/csat",
    ("GET", "/automation/rules"): "/automation/rules",
    ("GET", "/webhooks"): "/webhooks",
    ("GET", "/macros"): "/macros",
    ("GET", "/tasks"): "/tasks",
    ("GET", "/reports/compliance"): "/reports/compliance",
    ("GET", "/search"): "/search?q=case",
    ("GET", "/audit"): "/audit",
    ("GET", "/exports"): "/exports",
    # Streamed as JSON Lines: one record a line.
    ("GET", "/export/cases"): "/export/cases?format=jsonl",
    ("GET", "/export/contacts"): "/export/contacts?format=jsonl",
    ("GET", "/export/accounts"): "/export/accounts?format=jsonl",
}

# Creations: a body naming the other tenant's records is refused (422) and makes nothing.
CREATIONS: dict[tuple[str, str], Callable[[Foreign], list[Call]]] = {
    ("POST", "/cases"): lambda f: [("/cases", {"subject": "x", field: value}) for field, value in (
        ("account_id", f.account_id), ("contact_id", f.contact_id), ("deal_id", f.deal_id),
        ("queue_id", f.queue_id), ("owner_id", f.admin.user_id))],
    ("POST", "/contacts"): lambda f: [("/contacts", {"email": "new@example.com",
                                                     "account_id": f.account_id})],
    ("POST", "/deals"): lambda f: [("/deals", {"name": "x", "account_id": f.account_id})],
    ("POST", "/queues"): lambda f: [("/queues", {"name": "x", "member_ids": [f.admin.user_id]})],
    ("POST", "/picklists/{kind}"): lambda f: [
        ("/picklists/subcategory", {"value": "x", "parent": "Globex only"})],
    ("POST", "/custom-fields"): lambda f: [
        ("/custom-fields", {"key": f.custom_field_key, "label": "Mine", "kind": "number"})],
    ("POST", "/tokens"): lambda f: [],  # acts as the caller only: checked below
    ("POST", "/invitations"): lambda f: [
        ("/invitations", {"email": "new@example.com", "queue_ids": [f.queue_id]}),
        ("/invitations", {"email": "new@example.com", "manager_id": f.admin.user_id})],
    # An address that has an account in the other tenant joins this one with it: that
    # changes nothing of the other tenant (checked by the snapshot).
    ("POST", "/members"): lambda f: [],
    ("POST", "/accounts"): lambda f: [],  # names no other record: checked below
    ("POST", "/routing/rules"): lambda f: [
        ("/routing/rules", {"name": "x", "actions": {"queue_id": f.queue_id}}),
        ("/routing/rules", {"name": "x", "actions": {"owner_id": f.admin.user_id}})],
    ("POST", "/routing/rules/order"): lambda f: [
        ("/routing/rules/order", {"rule_ids": [f.rule_id]})],
    ("POST", "/routing/rules/preview"): lambda f: [
        ("/routing/rules/preview", {"actions": {"queue_id": f.queue_id}}),
        ("/routing/rules/preview", {"replacing_id": f.rule_id,
                                    "actions": {"priority": "high"}})],
    ("POST", "/sla/policies"): lambda f: [
        ("/sla/policies", {"name": "x", "calendar_id": f.calendar_id,
                           "first_response_minutes": 60, "resolution_minutes": 120})],
    ("POST", "/sla/policies/order"): lambda f: [
        ("/sla/policies/order", {"policy_ids": [f.policy_id]}),
        ("/sla/policies/order", {"policy_ids": [*my_policy_ids(f), f.policy_id]})],
    ("POST", "/sla/calendars"): lambda f: [],  # names no other record: checked below
    ("POST", "/sla/escalation-rules"): lambda f: [
        ("/sla/escalation-rules", {"name": "x", "actions": {"queue_id": f.queue_id},
                                   "conditions": [{"field": "age_hours", "op": "gt",
                                                   "value": 1}]}),
        ("/sla/escalation-rules", {"name": "x", "actions": {"notify": [
            f"user:{f.admin.user_id}"]}, "conditions": [{"field": "breached", "op": "equals",
                                                          "value": "any"}]})],
    ("POST", "/mail/mailboxes"): lambda f: [
        ("/mail/mailboxes", {"name": "x", "host": "imap.acme.test", "username": "u",
                             "password": "p", "queue_id": f.queue_id})],
    ("POST", "/kb/categories"): lambda f: [
        ("/kb/categories", {"name": "x", "parent_id": f.kb_category_id})],
    ("POST", "/kb/articles"): lambda f: [
        ("/kb/articles", {"title": "x", "body": "x", "category_id": f.kb_category_id})],
    ("PATCH", "/csat/settings"): lambda f: [("/csat/settings", {"queues": [f.queue_id]})],
    # A category only the other tenant has is not one this tenant's form may offer.
    ("PATCH", "/portal/settings"): lambda f: [
        ("/portal/settings", {"form_categories": ["Globex only"]})],
    ("POST", "/automation/rules"): lambda f: [
        ("/automation/rules", {"name": "x", "trigger": "case_created", "is_enabled": False,
                               "actions": [action]}) for action in (
            {"kind": "set_fields", "queue_id": f.queue_id},
            {"kind": "set_fields", "owner_id": f.admin.user_id},
            {"kind": "webhook", "endpoint_id": f.webhook_id},
            {"kind": "apply_macro", "macro_id": f.macro_id})],
    ("POST", "/automation/rules/reorder"): lambda f: [
        ("/automation/rules/reorder", {"rule_ids": [f.automation_rule_id]})],
    ("POST", "/automation/rules/preview"): lambda f: [
        ("/automation/rules/preview", {"name": "x", "trigger": "case_created", "actions": [
            {"kind": "set_fields", "queue_id": f.queue_id}]})],
    ("POST", "/macros"): lambda f: [
        ("/macros", {"name": "x", "shared": True, "changes": {"queue_id": f.queue_id}}),
        ("/macros", {"name": "x", "shared": True, "changes": {"owner_id": f.admin.user_id}})],
    ("POST", "/sla/policies/whatif"): lambda f: [
        ("/sla/policies/whatif", {"policy_id": f.policy_id}),
        ("/sla/policies/whatif", {"policy": {"name": "x", "first_response_minutes": 60,
                                             "resolution_minutes": 120,
                                             "calendar_id": f.calendar_id}})],
    ("POST", "/routing/rules/whatif"): lambda f: [
        ("/routing/rules/whatif", {"rule": {"name": "x", "actions": {"tags": ["x"]}},
                                   "rule_id": f.rule_id}),
        ("/routing/rules/whatif", {"rule": {"name": "x", "actions": {"queue_id": f.queue_id}}}),
        ("/routing/rules/whatif", {"rules": [{"name": "x",
                                              "actions": {"owner_id": f.admin.user_id}}]})],
    ("POST", "/tasks"): lambda f: [("/tasks", {"subject": "x", field: value}) for field, value in (
        ("account_id", f.account_id), ("contact_id", f.contact_id),
        ("owner_id", f.admin.user_id), ("case", f.case_number))],
    ("POST", "/calls"): lambda f: [
        ("/calls", {"direction": "inbound", "number": "555 0100",
                    "case": {"subject": "x", field: value}}) for field, value in (
            ("account_id", f.account_id), ("contact_id", f.contact_id), ("deal_id", f.deal_id),
            ("queue_id", f.queue_id), ("owner_id", f.admin.user_id))],
}

# Operations on the caller's own tenant or membership: they leave the other tenant alone.
OWN: dict[tuple[str, str], list[Call]] = {
    ("GET", "/slack/installation"): [("/slack/installation", None)],
    ("PUT", "/slack/installation"): [("/slack/installation", {
        "signing_secret": SLACK_SECRET, "bot_token": SLACK_TOKEN})],
    ("DELETE", "/slack/installation"): [("/slack/installation", None)],
    ("PUT", "/chat/status"): [("/chat/status", {"available": True})],
    ("GET", "/chat/settings"): [("/chat/settings", None)],
    ("PATCH", "/chat/settings"): [("/chat/settings", {
        "enabled": True, "allowed_origins": ["https://www.acme.test"], "chats_per_agent": 4})],
    ("GET", "/tenant/settings"): [("/tenant/settings", None)],
    ("PATCH", "/tenant/settings"): [("/tenant/settings", {"reroute_on_category_change": False,
                                                          "reopen_limit": 2,
                                                          "sla_pause_when_pending": False,
                                                          "sla_sweep_minutes": 15})],
    ("PUT", "/me/availability"): [("/me/availability", {"availability": "away"})],
    ("GET", "/csat/settings"): [("/csat/settings", None)],
    ("GET", "/portal/settings"): [("/portal/settings", None)],
    ("PUT", "/routing/skills"): [("/routing/skills", {"requirements": [
        {"category": "Technical", "skills": ["acme"]}]})],
    # The other tenant's cases are overdue too (the clock is a month on): only ours breach.
    ("POST", "/sla/sweep"): [("/sla/sweep", {})],
    ("GET", "/mail/settings"): [("/mail/settings", None)],
    ("PATCH", "/mail/settings"): [("/mail/settings", {"mail_address": "help@acme.test",
                                                      "mail_ack_per_hour": 5,
                                                      "mail_from_name": "Acme desk"})],
    ("POST", "/webhooks"): [("/webhooks", {"name": "Acme hook", "url": "http://127.0.0.1:9/x",
                                           "events": ["case.created"]})],
    # The month the other tenant has a report of (ours replaces ours only), and the month
    # of their cases (overdue: they would be the worst offenders, were they counted).
    # Only this tenant's model runs are listed, and training is queued for it alone.
    ("GET", "/assist/models"): [("/assist/models", None)],
    ("POST", "/assist/models/train"): [("/assist/models/train", {})],
    ("POST", "/exports"): [("/exports", {})],
    ("POST", "/reports/compliance/{month}/generate"): [
        (f"/reports/compliance/{THEIR_MONTH}/generate", {}),
        ("/reports/compliance/2026-11/generate", {})],
}

# Reports: the path asked, and what the answer counts of the cases made at NOW (the other
# tenant has more of them, in the same period).
REPORTS: dict[tuple[str, str], tuple[str, Callable[[Any], int]]] = {
    ("GET", "/reports/scorecard"): ("/reports/scorecard",
                                    lambda body: body["current"]["created"]),
    ("GET", "/reports/agents"): ("/reports/agents",
                                 lambda body: sum(row["assigned"] for row in body["agents"])),
    ("GET", "/reports/queues"): ("/reports/queues",
                                 lambda body: sum(row["assigned"] for row in body["queues"])),
    ("GET", "/reports/forecast"): ("/reports/forecast", lambda body: body["history_cases"]),
}

# The reports' filters that name a record: another tenant's is refused with this status
# (422 naming the filter, or 404 where the code looks the record up as the caller's).
REPORT_FILTERS: dict[str, tuple[int, tuple[str, ...]]] = {
    "/reports/scorecard": (422, ("queue", "team", "agent")),
    "/reports/agents": (422, ("queue", "team", "agent")),
    "/reports/queues": (422, ("queue", "team", "agent")),
    "/reports/forecast": (404, ("queue",)),
}

ICS = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\nSUMMARY:Planted\r\n"
       "END:VEVENT\r\nEND:VCALENDAR\r\n")


def my_calendar_id(f: Foreign) -> int:
    return BusinessCalendar.objects.exclude(tenant=f.tenant).values_list("pk", flat=True)[0]


def my_policy_ids(f: Foreign) -> list[int]:
    return list(SlaPolicy.objects.exclude(tenant=f.tenant).values_list("pk", flat=True))


def their_inbound_id(f: Foreign) -> int:
    return InboundMessage.objects.filter(tenant=f.tenant, status="quarantined"
                                         ).values_list("pk", flat=True)[0]


def their_outbound_id(f: Foreign) -> int:
    return OutboundMail.objects.filter(tenant=f.tenant, status="pending"
                                       ).values_list("pk", flat=True)[0]


def their_mailbox_id(f: Foreign) -> int:
    return Mailbox.objects.filter(tenant=f.tenant).values_list("pk", flat=True)[0]


def their_audit_id(f: Foreign) -> int:
    return AuditEntry.objects.filter(tenant=f.tenant).values_list("pk", flat=True)[0]


def their_call_id(f: Foreign) -> int:
    """The other tenant's call (`foreign_call`)."""
    return PhoneCall.objects.filter(tenant=f.tenant).values_list("pk", flat=True).get()


def their_attachment_id(f: Foreign) -> int:
    return Attachment.objects.filter(tenant=f.tenant).values_list("pk", flat=True)[0]


def mail_records(tenant: Tenant, name: str) -> None:
    """Mail of every kind in a tenant: a quarantined message, one that made a case with an
    attachment (and the acknowledgement waiting in the outbox), and an IMAP mailbox."""
    msg = EmailMessage()
    msg["From"] = f"customer@{name.lower()}-customer.example"
    msg["Subject"] = f"{name} logs"
    msg["Message-ID"] = make_msgid(domain=f"{name.lower()}.example")
    msg.set_content(f"{name} mail")
    msg.add_attachment(f"{name} log".encode(), maintype="text", subtype="plain",
                       filename=f"{name.lower()}.log")
    assert ingest(tenant=tenant, raw=bytes(msg), now=NOW).status == "processed"
    ingest(tenant=tenant, raw=f"{name} \x00 garbage".encode(), now=NOW)
    Mailbox.objects.create(tenant=tenant, name=f"{name} inbox", host=f"imap.{name.lower()}.test",
                           username=name.lower(), password=f"{name.lower()}-secret",
                           created_at=NOW)


@pytest.fixture
def foreign_reports(foreign: Foreign) -> Foreign:
    """The other tenant's SLA compliance report of THEIR_MONTH."""
    compliance_generate(foreign.tenant, date.fromisoformat(f"{THEIR_MONTH}-01"), NOW)
    return foreign


@pytest.fixture
def foreign_mail(foreign: Foreign) -> Foreign:
    mail_records(foreign.tenant, "Globex")
    Tenant.objects.filter(pk=foreign.tenant.pk).update(mail_address="help@globex.test")
    return foreign


@pytest.fixture
def foreign_call(foreign: Foreign) -> Foreign:
    """A call logged on the other tenant's case."""
    call_log(case=Case.objects.get(pk=foreign.case_pk), actor=foreign.admin.user, now=NOW,
             data=CallInput(direction="inbound", number="555 0100", notes="Globex call"))
    return foreign


def test_every_operation_has_an_isolation_check() -> None:
    covered = [*BY_ID, *LISTS, *CREATIONS, *OWN, *REPORTS]
    assert len(covered) == len(set(covered))
    assert sorted(covered) == operations(), (
        "operations without an isolation check: "
        f"{sorted(set(operations()) - set(covered))}; checks of operations that are gone: "
        f"{sorted(set(covered) - set(operations()))}")


def foreign_state(f: Foreign) -> dict[str, Any]:
    """Everything of the other tenant the calls could touch."""
    tenant = f.tenant
    return {
        "cases": list(Case.objects.filter(tenant=tenant).order_by("pk").values()),
        "notes": Note.objects.filter(tenant=tenant).count(),
        "events": TimelineEvent.objects.filter(tenant=tenant).count(),
        "assignments": list(CaseAssignment.objects.filter(tenant=tenant).values()),
        "links": list(CaseLink.objects.filter(tenant=tenant).values()),
        "accounts": list(Account.objects.filter(tenant=tenant).values()),
        "contacts": list(Contact.objects.filter(tenant=tenant).values()),
        "deals": list(Deal.objects.filter(tenant=tenant).values()),
        "queues": [(q.name, q.is_active, sorted(m.pk for m in q.members.all()))
                   for q in Queue.objects.filter(tenant=tenant)],
        "members": list(Membership.objects.filter(tenant=tenant).values()),
        "tokens": list(ApiToken.objects.filter(tenant=tenant).values("pk", "revoked_at")),
        "picklists": list(PicklistValue.objects.filter(tenant=tenant).values()),
        "fields": list(CustomFieldDefinition.objects.filter(tenant=tenant).values()),
        "rules": list(RoutingRule.objects.filter(tenant=tenant).values()),
        "skills": list(SkillRequirement.objects.filter(tenant=tenant).values()),
        "tenant": list(Tenant.objects.filter(pk=tenant.pk).values()),
        "policies": list(SlaPolicy.objects.filter(tenant=tenant).values()),
        "calendars": list(BusinessCalendar.objects.filter(tenant=tenant).values()),
        "holidays": list(Holiday.objects.filter(tenant=tenant).values()),
        "escalation_rules": list(EscalationRule.objects.filter(tenant=tenant).values()),
        "escalation_hits": EscalationHit.objects.filter(tenant=tenant).count(),
        "notifications": Notification.objects.filter(tenant=tenant).count(),
        "inbound": list(InboundMessage.objects.filter(tenant=tenant).order_by("pk").values(
            "pk", "status", "error", "case_id", "processed_at")),
        "mailboxes": list(Mailbox.objects.filter(tenant=tenant).values()),
        "attachments": list(Attachment.objects.filter(tenant=tenant).values()),
        "outbound": list(OutboundMail.objects.filter(tenant=tenant).order_by("pk").values(
            "pk", "status", "attempts", "next_attempt_at", "last_error")),
        "kb_categories": list(KbCategory.objects.filter(tenant=tenant).order_by("pk").values()),
        "kb_articles": list(Article.objects.filter(tenant=tenant).order_by("pk").values()),
        "kb_versions": list(ArticleVersion.objects.filter(tenant=tenant).order_by("pk")
                            .values()),
        "kb_slugs": list(ArticleSlug.objects.filter(tenant=tenant).values()),
        "kb_events": list(KbEvent.objects.filter(tenant=tenant).order_by("pk").values()),
        "kb_attachments": list(ArticleAttachment.objects.filter(tenant=tenant).values()),
        "automation_rules": list(AutomationRule.objects.filter(tenant=tenant).order_by("pk")
                                 .values()),
        "rule_runs": RuleRun.objects.filter(tenant=tenant).count(),
        "webhooks": list(WebhookEndpoint.objects.filter(tenant=tenant).values()),
        "deliveries": list(WebhookDelivery.objects.filter(tenant=tenant).order_by("pk")
                           .values()),
        "macros": list(Macro.objects.filter(tenant=tenant).values()),
        "tasks": list(Task.objects.filter(tenant=tenant).order_by("pk").values()),
        "calls": list(PhoneCall.objects.filter(tenant=tenant).order_by("pk").values()),
        "compliance": list(MonthlyCompliance.objects.filter(tenant=tenant).order_by("pk")
                           .values()),
        "note_attachments": list(NoteAttachment.objects.filter(tenant=tenant).values()),
        "merges": CaseMerge.objects.filter(tenant=tenant).count(),
        "exports": list(ExportJob.objects.filter(tenant=tenant).values()),
        "erasures": Erasure.objects.filter(tenant=tenant).count(),
        "chats": list(Chat.objects.filter(tenant=tenant).order_by("pk").values()),
        "chat_events": ChatEvent.objects.filter(tenant=tenant).count(),
        "chat_offers": list(ChatOffer.objects.filter(tenant=tenant).order_by("pk").values()),
        "chat_settings": list(ChatSettings.objects.filter(tenant=tenant).values()),
        "chat_status": list(AgentChatStatus.objects.filter(tenant=tenant).values()),
    }


def send(api: Api, method: str, path: str, body: Any) -> Any:
    if isinstance(body, SimpleUploadedFile):  # an upload: multipart
        return api.client.post(f"/api/v1{path}", {"file": body})
    if method in ("GET", "DELETE"):
        return getattr(api, method.lower())(path)
    return getattr(api, method.lower())(path, body)


@pytest.mark.parametrize("operation", sorted(BY_ID), ids=" ".join)
def test_another_tenants_record_is_not_found(operation, foreign, foreign_mail, foreign_reports,
                                            foreign_call, admin_api, tenant) -> None:
    mine = f"CS-{make_case(tenant).number}"
    before = foreign_state(foreign)
    for path, body in BY_ID[operation](foreign, mine):
        response = send(admin_api, operation[0], path, body)
        detail = error(response, 404)["detail"]
        assert "Globex" not in detail and foreign.admin.user.email not in detail
    assert foreign_state(foreign) == before


def test_the_same_case_number_in_two_tenants_reads_each_tenants_own(admin_api, outsider_api,
                                                                    tenant, foreign) -> None:
    mine = make_case(tenant, subject="Acme's own")
    theirs = Case.objects.get(tenant=foreign.tenant, number=mine.number)
    assert admin_api.get(f"/cases/CS-{mine.number}").json()["subject"] == "Acme's own"
    assert outsider_api.get(f"/cases/CS-{mine.number}").json()["subject"] == theirs.subject


def _ids(body: Any, key: str) -> set[Any]:
    items = body
    for wrapper in ("items", "requirements", "articles", "cases"):
        if isinstance(body, dict) and wrapper in body:
            items = body[wrapper]
    return {item[key] for item in items} if isinstance(items, list) else {body[key]}


@pytest.mark.parametrize("operation", sorted(LISTS), ids=" ".join)
def test_lists_hold_only_this_tenants_records(operation, foreign, foreign_mail, foreign_reports,
                                              admin_api, agent, seeded_support_queue,
                                              tenant) -> None:
    account = AccountFactory(tenant=tenant)
    ContactFactory(tenant=tenant, account=account)
    DealFactory(tenant=tenant, account=account)
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    make_case(tenant, subject="Acme case", owner_id=agent.user_id, queue_id=seeded_support_queue.pk)
    seeded_support_queue.members.add(Membership.objects.get(tenant=tenant, role="admin"))
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Acme VIP", actions={"queue_id": seeded_support_queue.pk}))
    escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "Acme idle", "conditions": [{"field": "idle_hours", "op": "gt", "value": 4}],
        "actions": {"notify": ["owner_manager"]}})
    skill_requirements_set(tenant=tenant, requirements=[("Technical", "", ["linux"])])
    mail_records(tenant, "Acme")
    kb_category = category_create(tenant=tenant, name="Acme billing", now=NOW)
    kb_article = article_create(tenant=tenant, author=None, title="Acme invoices",
                                body="Invoices", category_id=kb_category.pk, now=NOW)
    # Both tenants' articles were read in the period the analytics answer covers.
    for article_id, tenant_id in ((kb_article.pk, tenant.pk),
                                  (foreign.kb_article_id, foreign.tenant.pk)):
        KbEvent.objects.create(tenant_id=tenant_id, kind=KbEventKind.VIEW, article_id=article_id,
                               created_at=NOW)
    endpoint_create(tenant=tenant, now=NOW, data=EndpointInput(
        name="Acme hook", url="http://127.0.0.1:9/acme", events=["case.created"]))
    macro_create(membership=Membership.objects.get(tenant=tenant, role="admin"), shared=True,
                 now=NOW, data=MacroInput(name="Acme macro", reply="Acme"))
    task_create(tenant=tenant, actor=None, subject="Acme task", now=NOW)
    compliance_generate(tenant, date(2026, 9, 1), NOW)  # theirs is of THEIR_MONTH
    Invitation.objects.create(tenant=tenant, email="invited@acme.test", nonce="acme",
                              sent_at=NOW, expires_at=NOW + timedelta(days=7), created_at=NOW)
    # Both tenants' customers answered a survey, theirs with a comment naming them.
    for owner, contact_id, comment in (
            (tenant, ContactFactory(tenant=tenant).pk, "Acme was quick"),
            (foreign.tenant, foreign.contact_id, "Globex was quick")):
        survey = survey_send(case=make_case(owner, contact_id=contact_id),
                             config=CsatSettings(tenant=owner), now=NOW)
        assert survey is not None
        survey_answer(survey_id=survey.pk, rating=5, now=NOW)
        survey_comment(survey_id=survey.pk, comment=comment, now=NOW)
    response = admin_api.get(LISTS[operation])
    assert response.status_code == 200
    if response.streaming:  # an export: JSON Lines
        text = b"".join(response.streaming_content).decode()
        body = [json.loads(line) for line in text.splitlines()]
    else:
        body = response.json()
        text = response.content.decode()
    assert body, "an empty answer would prove nothing"
    for marker in ("Globex", "globex", foreign.admin.user.email):
        assert marker not in text, (operation, marker)
    theirs = {
        "/accounts": ("id", foreign.account_id), "/contacts": ("id", foreign.contact_id),
        "/deals": ("id", foreign.deal_id), "/queues": ("id", foreign.queue_id),
        "/tokens": ("id", foreign.token_id), "/invitations": ("id", foreign.invitation_id),
        "/picklists": ("id", foreign.picklist_value_id),
        "/picklists/type": ("id", foreign.picklist_value_id),
        "/members": ("user_id", foreign.admin.user_id), "/me": ("user_id", foreign.admin.user_id),
        "/custom-fields": ("key", foreign.custom_field_key),
        "/cases": ("number", foreign.case_number),
        "/inbox/cases": ("number", foreign.case_number),
        "/routing/rules": ("id", foreign.rule_id),
        "/routing/skills": ("category", "Globex only"),
        "/sla/policies": ("id", foreign.policy_id),
        "/csat": ("comment", "Globex was quick"),
        "/sla/calendars": ("id", foreign.calendar_id),
        "/sla/escalation-rules": ("id", foreign.escalation_rule_id),
        "/mail/inbound": ("id", their_inbound_id(foreign)),
        "/mail/outbound?status=pending": ("id", their_outbound_id(foreign)),
        "/mail/mailboxes": ("id", their_mailbox_id(foreign)),
        "/kb/categories": ("id", foreign.kb_category_id),
        "/kb/articles": ("id", foreign.kb_article_id),
        "/kb/analytics?since=2026-11-01&until=2026-12-01": ("id", foreign.kb_article_id),
        "/automation/rules": ("id", foreign.automation_rule_id),
        "/webhooks": ("id", foreign.webhook_id),
        "/macros": ("id", foreign.macro_id),
        "/tasks": ("id", foreign.task_id),
        "/reports/compliance": ("month", THEIR_MONTH),
        "/search?q=case": ("number", foreign.case_number),
        "/audit": ("id", their_audit_id(foreign)),
        "/exports": ("id", foreign.export_id),
        "/chats": ("id", foreign.chat_public_id),
        "/chat/offers": ("id", foreign.chat_offer_id),
        "/export/cases?format=jsonl": ("number", foreign.case_number),
        "/export/contacts?format=jsonl": ("id", foreign.contact_id),
        "/export/accounts?format=jsonl": ("id", foreign.account_id),
    }[LISTS[operation]]
    assert theirs[1] not in _ids(body, theirs[0])


@pytest.mark.parametrize(("params", "path"), [
    ("account", "/cases"), ("contact", "/cases"), ("queue", "/cases"), ("owner", "/cases"),
    ("account", "/contacts"), ("account", "/deals"),
])
def test_filtering_by_another_tenants_id_finds_nothing(foreign, admin_api, tenant, params,
                                                       path) -> None:
    make_case(tenant)
    value = {"account": foreign.account_id, "contact": foreign.contact_id,
             "queue": foreign.queue_id, "owner": foreign.admin.user_id}[params]
    response = admin_api.get(path, **{params: value})
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("operation", sorted(CREATIONS), ids=" ".join)
def test_creations_refuse_another_tenants_ids(operation, foreign, admin_api, tenant) -> None:
    before = foreign_state(foreign)
    mine_before = Case.objects.filter(tenant=tenant).count()
    for path, body in CREATIONS[operation](foreign):
        response = send(admin_api, operation[0], path, body)
        if operation == ("POST", "/custom-fields"):
            # The other tenant's key is free here: defining it makes our own field.
            assert response.status_code == 201
            assert CustomFieldDefinition.objects.filter(tenant=tenant,
                                                        key=foreign.custom_field_key).exists()
            continue
        error(response, 422)
    assert foreign_state(foreign) == before
    assert Case.objects.filter(tenant=tenant).count() == mine_before


@pytest.mark.parametrize("operation", sorted(OWN), ids=" ".join)
def test_operations_on_my_own_tenant_leave_the_other_alone(operation, foreign, foreign_mail,
                                                           foreign_reports, admin_api, admin,
                                                           clock, slack_api) -> None:  # noqa: F811
    mine = make_case(admin.tenant, now=NOW)
    clock.advance(days=30)
    before = foreign_state(foreign)
    for path, body in OWN[operation]:
        response = send(admin_api, operation[0], path, body)
        assert response.status_code in (200, 201, 202), response.content
        assert "globex" not in response.content.decode().lower()
        if path == "/tenant/settings":
            assert response.json()["reopen_limit"] != 7  # the other tenant's
        if path == "/sla/sweep":
            assert response.json()["case_numbers"] == [f"CS-{mine.number}"]
    assert foreign_state(foreign) == before


@pytest.mark.parametrize("operation", sorted(REPORTS), ids=" ".join)
def test_reports_count_only_this_tenants_cases(operation, foreign, admin_api, admin, agent,
                                               seeded_support_queue, clock) -> None:
    tenant = admin.tenant
    # Two days back: before today, so the forecast's history holds them too.
    for owner in (admin, agent, None):
        make_case(tenant, now=NOW - timedelta(days=2), queue_id=seeded_support_queue.pk,
                  owner_id=owner.user_id if owner else None)
    for _ in range(4):
        make_case(foreign.tenant, now=NOW - timedelta(days=2), queue_id=foreign.queue_id)
    ours = Case.objects.filter(tenant=tenant).count()
    facts_refresh()  # both tenants' facts
    before = foreign_state(foreign)
    path, counted = REPORTS[operation]
    response = admin_api.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert counted(body) == ours
    text = response.content.decode()
    for marker in ("Globex", "globex", foreign.admin.user.email):
        assert marker not in text, marker
    rows = [*body.get("agents", []), *body.get("queues", []), *body.get("sla_by_queue", [])]
    assert foreign.queue_id not in {row.get("queue_id") for row in rows}
    assert not {foreign.admin.user_id, foreign.member_user_id} & {
        row.get("user_id") for row in rows}
    assert foreign_state(foreign) == before


@pytest.mark.parametrize(("path", "name"), [
    (path, name) for path, (_, names) in REPORT_FILTERS.items() for name in names])
def test_report_filters_refuse_another_tenants_records(path, name, foreign, admin_api, tenant,
                                                       clock) -> None:
    make_case(tenant, now=NOW)
    facts_refresh()
    value = {"queue": foreign.queue_id, "team": foreign.admin.pk,
             "agent": foreign.member_user_id}[name]
    status = REPORT_FILTERS[path][0]
    body = error(admin_api.get(path, **{name: value}), status,
                 field=name if status == 422 else None)
    assert "globex" not in body["detail"].lower()


def test_a_new_token_acts_in_the_callers_tenant_only(foreign, admin_api, admin) -> None:
    created = admin_api.post("/tokens", {"name": "new"}).json()
    assert ApiToken.objects.get(pk=created["id"]).tenant_id == admin.tenant_id
    error(Api(created["token"]).get(f"/cases/{foreign.case_number}"), 404)


def test_a_new_calendar_belongs_to_the_callers_tenant(foreign, admin_api, outsider_api,
                                                     admin) -> None:
    taken = BusinessCalendar.objects.get(pk=foreign.calendar_id).name
    BusinessCalendar.objects.filter(tenant=admin.tenant).update(name="Ours")
    response = admin_api.post("/sla/calendars", {"name": taken, "time_zone": "UTC"})
    assert response.status_code == 201, response.content  # names are unique per tenant
    body = response.json()
    assert BusinessCalendar.objects.get(pk=body["id"]).tenant_id == admin.tenant_id
    error(outsider_api.get(f"/sla/calendars/{body['id']}"), 404)
    assert body["id"] not in {c["id"] for c in outsider_api.get("/sla/calendars").json()}


def test_a_new_account_belongs_to_the_callers_tenant(foreign, admin_api, outsider_api,
                                                    admin) -> None:
    body = admin_api.post("/accounts", {"name": "Initrode"}).json()
    assert Account.objects.get(pk=body["id"]).tenant_id == admin.tenant_id
    error(outsider_api.get(f"/accounts/{body['id']}"), 404)
    names = [a["name"] for a in outsider_api.get("/accounts").json()["items"]]
    assert "Initrode" not in names


@pytest.mark.parametrize("operation", [
    ("PATCH", "/cases/{number}"), ("PUT", "/cases/{number}/owner"),
    ("POST", "/cases/{number}/assignments"),
], ids=" ".join)
def test_my_cases_cannot_be_linked_to_another_tenants_records(operation, foreign, admin_api,
                                                              tenant) -> None:
    number = f"CS-{make_case(tenant).number}"
    bodies = {
        ("PATCH", "/cases/{number}"): [{"account_id": foreign.account_id},
                                       {"contact_id": foreign.contact_id},
                                       {"deal_id": foreign.deal_id},
                                       {"queue_id": foreign.queue_id},
                                       {"owner_id": foreign.admin.user_id}],
        ("PUT", "/cases/{number}/owner"): [{"owner_id": foreign.admin.user_id},
                                           {"queue_id": foreign.queue_id}],
        ("POST", "/cases/{number}/assignments"): [{"queue_id": foreign.queue_id,
                                                   "description": "x"}],
    }[operation]
    path = operation[1].replace("{number}", number)

    def state() -> dict[str, Any]:
        case = admin_api.get(f"/cases/{number}").json()
        case.pop("age_seconds")  # the fields that move by themselves
        for clock in case["sla"]["clocks"]:
            clock.pop("remaining_seconds")
        return case

    before = state()
    for body in bodies:
        error(send(admin_api, operation[0], path, body), 422)
    assert state() == before
