"""No hostile input reaches the database or the browser unchecked.

- Text checks (`casedesk.core.text`): NUL characters and lone surrogates are refused by the
  services that store text, as form errors in the console and 422s in the API; a search for
  them matches nothing; a case subject is one line.
- Redirect targets from the request (`next`) are followed only to paths of this site.
- The crawler at the end walks every page of the URL conf (its patterns filled with the ids of
  a seeded tenant's records, then every link and form the pages show) with NUL characters,
  line breaks, 100 kB strings and lone surrogates in every query parameter, form field and
  path parameter, signed in as an admin, and expects no server error anywhere.
"""

import copy
import inspect
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casedesk.automation.macros import MacroInput, macro_create
from casedesk.automation.models import AutomationRule
from casedesk.automation.services import RuleInput as AutomationRuleInput
from casedesk.automation.services import rule_create as automation_rule_create
from casedesk.automation.webhooks import EndpointInput, endpoint_create, endpoint_send_test
from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.links import link_add
from casedesk.cases.models import Case, CaseAssignment, CustomFieldDefinition, Note, TimelineEvent
from casedesk.cases.picklists import (
    custom_field_create,
    custom_field_update,
    picklist_value_add,
    picklist_value_update,
)
from casedesk.cases.referrals import assignment_close, assignment_open
from casedesk.cases.selectors import CaseFilters, case_list
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.chat.models import ChatOffer, OfferState
from casedesk.chat.services import (
    VisitorStart,
    agent_message,
    agent_status_set,
    chat_settings_update,
    chat_start,
    offer_accept,
)
from casedesk.console.models import SavedView
from casedesk.console.saved_views import saved_view_save
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.core.redirects import list_query, safe_target
from casedesk.core.text import (
    check_text,
    json_text_problem,
    one_line,
    text_problem,
)
from casedesk.crm.models import Account
from casedesk.crm.selectors import account_search, contact_search
from casedesk.crm.services import account_create, contact_create
from casedesk.csat.models import CsatSettings
from casedesk.csat.services import survey_send
from casedesk.csat.tokens import survey_token
from casedesk.exporter.jobs import export_job_run
from casedesk.exporter.services import export_request
from casedesk.importer.jobs import Upload, job_create
from casedesk.importer.mapping import Mapping
from casedesk.kb.attachments import attachment_add
from casedesk.kb.services import article_create, article_publish, category_create
from casedesk.mail.delivery import deliver_due
from casedesk.mail.ingest import ingest
from casedesk.mail.mailboxes import mailbox_create
from casedesk.mail.models import OutboundMail
from casedesk.portal.branding import portal_branding_change
from casedesk.reports.compliance_job import compliance_generate
from casedesk.reports.rollup import facts_refresh
from casedesk.routing.models import Queue
from casedesk.routing.queues import queue_create
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.calendars import calendar_save, holiday_add
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, SlaPolicy
from casedesk.tasks.services import task_create
from casedesk.tenancy.invitations import InvitationInput, invitation_create, invitation_token
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.services import token_create, user_get_or_create
from tests.conftest import NOW, login
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case

NUL = "a\x00b"
SURROGATE = "a\ud800b"
HX = {"HTTP_HX_REQUEST": "true"}


# --- the one text check -----------------------------------------------------------------------

def test_text_problem_names_nul_and_lone_surrogates_only() -> None:
    assert text_problem("Grüße, 你好 🎉\r\n\t") is None
    assert text_problem(NUL) == "must not contain NUL characters"
    assert "lone surrogate" in str(text_problem(SURROGATE))
    assert text_problem("\ud83c\udf89") is not None  # a UTF-16 pair is not text either


def test_check_text_refuses_with_the_field_and_never_repeats_the_value() -> None:
    with pytest.raises(Invalid) as refused:
        check_text(SURROGATE, field="body", label="A note")
    assert refused.value.field == "body"
    assert refused.value.detail == ("A note must be valid Unicode text (it holds a lone "
                                    "surrogate).")
    assert check_text("fine", field="body") == "fine"


def test_json_text_problem_walks_keys_values_and_depth() -> None:
    assert json_text_problem({"a": [1, {"b": "ok"}]}) is None
    assert json_text_problem({"a": [1, {"b": NUL}]}) == "must not contain NUL characters"
    assert json_text_problem({SURROGATE: 1}) is not None
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    assert "nest" in str(json_text_problem(deep))


def test_one_line_turns_breaks_and_tabs_into_single_spaces() -> None:
    assert one_line("Printer\r\n  on fire\tagain\u2028now\x0b!") == "Printer on fire again now !"
    assert one_line("  two  spaces stay  ") == "two  spaces stay"
    assert one_line("\r\n\t") == ""


def test_the_api_schemas_use_the_same_check(admin_api, tenant) -> None:
    response = admin_api.post("/cases", {"subject": "Fine", "description": NUL})
    assert response.status_code == 422
    assert "must not contain NUL characters" in response.content.decode()


# --- services and selectors: refused, or no match -------------------------------------------

@pytest.fixture
def desk(tenant: Tenant, admin: Membership, agent: Membership) -> dict[str, Any]:
    support = Queue.objects.get(tenant=tenant, name="Support")
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    support.members.add(admin, agent)
    account = AccountFactory(tenant=tenant, name="Initech")
    contact = ContactFactory(tenant=tenant, account=account, name="Peter Gibbons")
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    case = make_case(tenant, subject="Printer on fire", queue_id=support.pk,
                     account_id=account.pk, contact_id=contact.pk, owner_id=admin.user_id)
    case = case_transition(case=case, actor=admin.user, to="open", now=NOW)
    case = case_transition(case=case, actor=admin.user, to="in_progress", now=NOW)
    referred = make_case(tenant, subject="Needs engineering", owner_id=admin.user_id)
    assignment = assignment_open(case=referred, actor=admin.user, queue=engineering,
                                 description="Check the logs", now=NOW)
    return {"case": case, "referred": referred, "assignment": assignment,
            "account": account, "contact": contact, "engineering": engineering}


def state() -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    return (Note.objects.count(), TimelineEvent.objects.count(), Case.objects.count(),
            CaseAssignment.objects.filter(status="open").count(), SavedView.objects.count(),
            Account.objects.count(),
            sorted(Case.objects.values_list("subject", "description", "status", "tags",
                                            "custom_fields")))


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_every_case_service_refuses_text_the_database_cannot_store(desk, admin, bad) -> None:
    case, actor = desk["case"], admin.user
    writes: list[Callable[[], object]] = [
        lambda: case_create(tenant=case.tenant, actor=actor, now=NOW,
                            data=CaseInput(subject=bad)),
        lambda: case_create(tenant=case.tenant, actor=actor, now=NOW,
                            data=CaseInput(subject="Fine", description=bad)),
        lambda: case_create(tenant=case.tenant, actor=actor, now=NOW,
                            data=CaseInput(subject="Fine", tags=["ok", bad])),
        lambda: case_create(tenant=case.tenant, actor=actor, now=NOW,
                            data=CaseInput(subject="Fine", custom_fields={"plan": bad})),
        lambda: case_update(case=case, actor=actor, now=NOW, changes={"subject": bad}),
        lambda: case_update(case=case, actor=actor, now=NOW, changes={"type": bad}),
        lambda: case_update(case=case, actor=actor, now=NOW,
                            changes={"custom_fields": {"plan": bad}}),
        lambda: case_add_note(case=case, actor=actor, body=bad, is_public=False, now=NOW),
        lambda: case_transition(case=case, actor=actor, to="resolved", note=bad, now=NOW),
        lambda: assignment_open(case=case, actor=actor, queue=desk["engineering"],
                                description=bad, now=NOW),
        lambda: assignment_close(assignment=desk["assignment"], actor=actor, note=bad,
                                 now=NOW),
        lambda: account_create(tenant=case.tenant, name=bad),
    ]
    before = state()
    for write in writes:
        with pytest.raises(Invalid):
            write()
    assert state() == before


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_the_other_services_that_store_text_refuse_it_too(desk, tenant, admin, bad) -> None:
    writes: list[Callable[[], object]] = [
        lambda: contact_create(tenant=tenant, email="x@example.com", name=bad),
        lambda: queue_create(tenant=tenant, name=bad),
        lambda: rule_create(tenant=tenant, now=NOW, data=RuleInput(
            name="Rule", conditions=[{"field": "category", "op": "equals", "value": bad}])),
        lambda: skill_requirements_set(tenant=tenant, requirements=[("Billing", "", [bad])]),
        lambda: calendar_save(tenant=tenant, name=bad, time_zone="UTC", week={}),
        lambda: escalation_rule_save(tenant=tenant, now=NOW, values={"name": bad}),
        lambda: picklist_value_add(tenant=tenant, kind="type", value=bad),
        lambda: custom_field_create(tenant=tenant, key="k", label=bad, kind="text"),
        lambda: saved_view_save(membership=admin, name=bad, query=""),
        lambda: user_get_or_create(email="new@example.com", full_name=bad),
        lambda: token_create(membership=admin, name=bad),
        lambda: automation_rule_create(tenant=tenant, actor=admin.user, now=NOW,
                                       data=AutomationRuleInput(
            name=bad, trigger="case_created", actions=[{"kind": "acknowledge"}])),
        lambda: automation_rule_create(tenant=tenant, actor=admin.user, now=NOW,
                                       data=AutomationRuleInput(
            name="Note", trigger="case_created", actions=[{"kind": "add_note", "body": bad}])),
        lambda: endpoint_create(tenant=tenant, now=NOW, data=EndpointInput(
            name=bad, url="http://127.0.0.1:9/x", events=["case.created"])),
        lambda: macro_create(membership=admin, shared=True, now=NOW,
                             data=MacroInput(name=bad, reply="x")),
        lambda: macro_create(membership=admin, shared=True, now=NOW,
                             data=MacroInput(name="M", reply=bad)),
        lambda: macro_create(membership=admin, shared=True, now=NOW,
                             data=MacroInput(name="M", tags_add=[bad])),
        lambda: task_create(tenant=tenant, actor=admin.user, subject=bad, now=NOW),
        lambda: task_create(tenant=tenant, actor=admin.user, subject="Call", notes=bad,
                            now=NOW),
    ]
    for write in writes:
        with pytest.raises(Invalid):
            write()


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_a_search_for_what_no_text_holds_matches_nothing(desk, tenant, bad) -> None:
    assert case_list(tenant, CaseFilters(q=bad)).items == []
    assert case_list(tenant, CaseFilters(type=bad)).items == []
    assert case_list(tenant, CaseFilters(q="printer")).items == [desk["case"]]
    assert account_search(tenant, bad) == []
    assert contact_search(tenant, bad) == []
    assert contact_search(tenant, "gibbons") == [desk["contact"]]


def test_a_subject_is_one_line_through_every_service(desk, admin) -> None:
    created, _ = case_create(tenant=desk["case"].tenant, actor=admin.user, now=NOW,
                             data=CaseInput(subject="Invoice\r\nBcc: all@evil.example\t!"))
    assert created.subject == "Invoice Bcc: all@evil.example !"
    updated = case_update(case=desk["case"], actor=admin.user, now=NOW,
                          changes={"subject": "  Printer\n\non fire  "})
    assert updated.subject == "Printer on fire"
    with pytest.raises(Invalid):
        case_update(case=desk["case"], actor=admin.user, now=NOW, changes={"subject": "\r\n"})


# --- the console: form errors, no match, 400 for what is not Unicode --------------------------

CONSOLE_WRITES = {
    # name: (path, form data); {case}, {referred}, {assignment}, {engineering} are filled in
    "note": ("/cases/{case}/notes", {"body": NUL, "visibility": "internal"}),
    "reply": ("/cases/{case}/notes", {"body": NUL, "visibility": "public"}),
    "subject": ("/cases/{case}/fields/subject", {"value": NUL}),
    "description": ("/cases/{case}/fields/description", {"value": NUL}),
    "tags": ("/cases/{case}/fields/tags", {"value": f"vip, {NUL}"}),
    "custom field": ("/cases/{case}/fields/cf.plan", {"value": NUL}),
    "transition note": ("/cases/{case}/transition", {"to": "resolved", "note": NUL}),
    "referral": ("/cases/{case}/assignments", {"queue": "{engineering}", "description": NUL}),
    "referral closing": ("/cases/{referred}/assignments/{assignment}/close", {"note": NUL}),
    "saved view": ("/cases/views", {"name": NUL, "query": "open=on"}),
}


def _fill(template: str, desk: dict[str, Any]) -> str:
    return template.format(case=desk["case"].display_number,
                           referred=desk["referred"].display_number,
                           assignment=desk["assignment"].pk, engineering=desk["engineering"].pk)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("name", list(CONSOLE_WRITES))
def test_console_forms_refuse_nul_with_a_form_error(desk, admin, name, htmx) -> None:
    path, data = CONSOLE_WRITES[name]
    before = state()
    response = login(admin).post(_fill(path, desk),
                                 {k: _fill(v, desk) if "{" in v else v for k, v in data.items()},
                                 follow=True, **(HX if htmx else {}))
    assert response.status_code < 500
    assert "must not contain NUL characters" in response.content.decode()
    assert state() == before


# A search box, and a record it would list for any other text: a search for NUL finds nothing
# (and lists what it lists for no text, else).
SEARCHES = {
    "/accounts?q={q}": "Initech",
    "/contacts?q={q}": "Peter Gibbons",
    "/pickers/accounts?q={q}": "Initech",
    "/pickers/contacts?q={q}": "Peter Gibbons",
    "/cases/{case}/mentions?q={q}": "Alice Agent",
    "/cases/{case}/fields/account?options=1&q={q}": "Umbrella",
    "/cases/{case}/fields/contact?options=1&q={q}": "Milton",
}


@pytest.mark.parametrize("search", list(SEARCHES))
def test_console_searches_for_nul_find_nothing(desk, tenant, admin, search) -> None:
    AccountFactory(tenant=tenant, name="Umbrella")
    ContactFactory(tenant=tenant, account=desk["account"], name="Milton Waddams")
    client, number = login(admin), desk["case"].display_number
    response = client.get(search.format(case=number, q="a%00b"), **HX)
    assert response.status_code == 200
    assert SEARCHES[search] not in response.content.decode()
    shown = client.get(search.format(case=number, q=""), **HX).content.decode()
    assert SEARCHES[search] in shown  # the test would see it


@pytest.mark.parametrize("search", ["/cases?q=a%00b", "/cases?type=a%00b&category=a%00b",
                                    "/cases/board?q=a%00b"])
def test_case_filters_with_nul_are_a_form_error(desk, admin, search) -> None:
    response = login(admin).get(search, follow=True)
    assert response.status_code == 200
    assert "Some filters were not understood and were ignored." in response.content.decode()


def test_a_search_for_nul_is_a_form_error(desk, admin) -> None:
    response = login(admin).get("/search?q=a%00b")
    assert response.status_code == 422
    assert response.context["form"].errors["q"]
    assert "search-hit" not in response.content.decode()


def test_console_refuses_parameters_that_are_not_unicode(desk, admin) -> None:
    """Only a charset the request declares itself (UTF-7 here) decodes to lone surrogates."""
    client = login(admin)
    assert client.get("/accounts?q=%2B2AA-", CONTENT_TYPE="text/plain; charset=utf-7"
                      ).status_code == 400
    before = state()
    body = (b'--b\r\nContent-Disposition: form-data; name="body"\r\n\r\nhi +2AA-\r\n'
            b'--b--\r\n')
    response = client.generic("POST", f"/cases/{desk['case'].display_number}/notes", body,
                              content_type="multipart/form-data; boundary=b; charset=utf-7")
    assert response.status_code == 400
    assert b"not valid Unicode" in response.content
    assert state() == before


def test_console_and_api_subjects_become_one_line(desk, admin, admin_api) -> None:
    number = desk["case"].display_number
    login(admin).post(f"/cases/{number}/fields/subject", {"value": "Printer\r\non\tfire"})
    desk["case"].refresh_from_db()
    assert desk["case"].subject == "Printer on fire"
    created = admin_api.post("/cases", {"subject": "Refund\r\nBcc: all@evil.example"})
    assert created.status_code == 201
    assert created.json()["subject"] == "Refund Bcc: all@evil.example"
    patched = admin_api.patch(f"/cases/{number}", {"subject": "One\ntwo"})
    assert patched.json()["subject"] == "One two"


# --- redirects ----------------------------------------------------------------------------------

OFFSITE = ["https://evil.example", "//evil.example", "/\\evil.example", "https:evil.example",
           "http://testserver.evil.example/", " https://evil.example", "\thttps://evil.example",
           "/\r\nLocation: https://evil.example", "console:case_list", NUL, "/" + "x" * 20_000]


@pytest.mark.parametrize("target", OFFSITE)
def test_claiming_follows_only_paths_of_this_site(desk, tenant, admin, target) -> None:
    waiting = make_case(tenant, queue_id=Queue.objects.get(tenant=tenant, name="Support").pk)
    client = login(admin)
    response = client.post(f"/cases/{waiting.display_number}/claim", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/inbox/cases"
    # Claimed by someone already: the refusal falls back the same way.
    again = client.post(f"/cases/{desk['case'].display_number}/claim", {"next": target})
    assert again["Location"] in ("/inbox/cases", f"/cases/{desk['case'].display_number}")


def test_a_same_site_next_is_followed(desk, tenant, admin) -> None:
    waiting = make_case(tenant, queue_id=Queue.objects.get(tenant=tenant, name="Support").pk)
    page = f"/cases/{waiting.display_number}?tab=notes"
    response = login(admin).post(f"/cases/{waiting.display_number}/claim", {"next": page},
                                 secure=True)
    assert response["Location"] == page
    for path in ("/notifications/read", "/me/availability"):
        response = login(admin).post(path, {"next": "/cases", "availability": "away"})
        assert response["Location"] == "/cases"


@pytest.mark.parametrize("path", ["/notifications/read", "/me/availability"])
@pytest.mark.parametrize("target", OFFSITE[:4])
def test_every_next_falls_back_to_the_normal_page(admin, path, target) -> None:
    response = login(admin).post(path, {"next": target, "availability": "away"})
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//", "/\\"))


def test_safe_target_and_list_query() -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/", secure=True)
    assert safe_target(request, "/cases?q=1") == "/cases?q=1"
    assert safe_target(request, "https://testserver/cases") is None  # paths only
    assert safe_target(request, "/a\x00b") is None
    assert list_query("q=a&b=c\r\nSet-Cookie: x") == "q=a&b=c%0D%0ASet-Cookie%3A+x"
    assert list_query("x" * 5000) == ""


# --- the crawler --------------------------------------------------------------------------------

# What an attacker types. The surrogate is sent as the bytes a browser would send for it
# (`%ED%A0%80`, which Django decodes to U+FFFD), and through a declared UTF-7 charset, which
# Django decodes to a real lone surrogate in request.GET/POST.
HOSTILE = {"nul": NUL, "crlf": "one\r\ntwo\rthree\nFour: 4", "big": "x" * 100_000,
           "surrogate": SURROGATE}
HUGE_INT = str(2**70)  # past any database's integer
SKIPPED = ("admin/", "api/")  # Django's admin site; the API has its schemathesis fuzzing
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "hostile-boundary"
PER_KEY = 2  # URLs crawled per page kind (route, text parameters, query names)
MAX_FIELDS = 10  # form fields fuzzed one at a time, per form (the rest all at once)


def _utf8(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")  # the bytes a browser would send


def _utf7(value: str) -> bytes:
    return value.encode("utf-7")  # what a request declaring charset=utf-7 sends


def _query(pairs: list[tuple[str, str]], encode: Callable[[str], bytes] = _utf8) -> str:
    return "&".join(f"{quote(encode(k), safe='')}={quote(encode(v), safe='')}"
                    for k, v in pairs)


def _multipart(pairs: list[tuple[str, str]], encode: Callable[[str], bytes] = _utf8) -> bytes:
    parts = [b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="'
             + encode(name) + b'"\r\n\r\n' + encode(value) + b"\r\n" for name, value in pairs]
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # name, value shown


class Page(HTMLParser):
    """The links (href, hx-get, form actions) and the forms of a rendered page."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: set[str] = set()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: tuple[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.links.update(a[k] for k in ("href", "hx-get", "action", "hx-post") if a.get(k))
        post = a.get("hx-post") or a.get("hx-put") or a.get("hx-patch") or a.get("hx-delete")
        if tag == "form":
            method = "post" if post else (a.get("method") or "get").lower()
            self._form = Form(post or a.get("hx-get") or a.get("action") or self.url, method)
            self.forms.append(self._form)
        elif post:  # an htmx control of its own posts its name and value
            self.forms.append(Form(post, "post", [(a["name"], a.get("value", ""))]
                                   if a.get("name") else []))
        if tag in ("input", "textarea", "select", "button") and a.get("name"):
            if tag == "select":
                self._select = (a["name"], None)
            elif tag == "textarea":
                self._textarea = a["name"]
            elif self._form is not None and a.get("type") not in ("submit", "image"):
                checked = a.get("type") not in ("checkbox", "radio") or "checked" in a
                if checked:
                    self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "option" and self._select is not None:
            name, chosen = self._select
            if chosen is None or "selected" in a:
                self._select = (name, a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._form is not None:
                self._form.fields.append((self._select[0], self._select[1] or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form.fields.append((self._textarea, ""))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, data))
            self._textarea = None


def url_patterns() -> Iterator[tuple[str, URLPattern]]:
    """Every (route, pattern) of the URL conf, includes flattened."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p

    yield from walk(get_resolver().url_patterns, "")


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill(route: str, values: dict[str, list[str]], hostile_at: int | None = None,
         hostile: str = "") -> list[str]:
    """The paths of `route` with its converters filled: each value of the first one (the
    others their first value), or the parameter `hostile_at` given `hostile`."""
    names = [m.group(2) for m in _PARAM.finditer(route)]
    if hostile_at is None and any(n not in values for n in names):
        return []  # a converter the seed has no value for: only links can reach it
    choices = values[names[0]] if names and hostile_at is None else [""]
    paths = []
    for first in choices:
        filled = []
        for i, name in enumerate(names):
            if i == hostile_at:
                filled.append(quote(_utf8(hostile), safe=""))
            else:
                filled.append(quote(first if i == 0 and hostile_at is None else
                                    values.get(name, ["1"])[0], safe=""))
        path = route
        for value in filled:
            path = _PARAM.sub(lambda _, v=value: v, path, count=1)
        paths.append("/" + path)
    return paths


def source_names(pattern: URLPattern) -> set[str]:
    """The request parameter names its view's module reads (`GET.get("q")`, ...)."""
    module = inspect.getmodule(pattern.callback)
    try:
        source = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"""(?:GET|POST|data)\.(?:get|getlist)\(\s*["']([\w.-]+)""", source))


def page_key(url: str, *, with_number: bool = True) -> tuple[str, ...] | None:
    """What makes two URLs the same page for the crawler: the route, its text parameters
    (each case is crawled: their pages show different forms), and the names of the query
    parameters. Without the number, the same kind of page (fuzzed once)."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    texts = sorted(f"{k}={v}" for k, v in match.kwargs.items()
                   if isinstance(v, str) and (with_number or k != "number"))
    names = sorted({p.split("=", 1)[0] for p in parts.query.split("&") if p})
    return (match.route, *texts, "?", *names)


def kind_key(url: str) -> tuple[str, ...] | None:
    return page_key(urlsplit(url).path, with_number=False)


def same_site(link: str, base: str) -> str | None:
    parts = urlsplit(link)
    path = parts.path or urlsplit(base).path
    if parts.scheme or parts.netloc or not path.startswith("/"):
        return None
    if path.startswith(("/static/", "/logout")) or path.lstrip("/").startswith(SKIPPED):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def query_pairs(url: str) -> list[tuple[str, str]]:
    return [(p.split("=", 1)[0], p.split("=", 1)[1] if "=" in p else "")
            for p in urlsplit(url).query.split("&") if p]


@dataclass
class Crawl:
    client: Client
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    reached: dict[str, int] = field(default_factory=dict)  # route -> a status other than 404

    def send(self, method: str, path: str, *, body: bytes = b"", content_type: str = "",
             htmx: bool = False, note: str = "") -> Any:
        """One request, its effects rolled back and the session kept, so that every request
        meets the same seeded tenant (a delete or a logout undoes nothing for the next)."""
        cookies = copy.deepcopy(self.client.cookies)
        extra: dict[str, Any] = dict(HX) if htmx else {}
        self.requests += 1
        try:
            with transaction.atomic():
                if method == "get":
                    if content_type:
                        extra["CONTENT_TYPE"] = content_type
                    response = self.client.get(path, **extra)
                else:
                    response = self.client.generic("POST", path, body,
                                                   content_type=content_type or FORM, **extra)
                transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001 - every server error is collected
            self.failures.append(f"{method.upper()} {path[:150]!r} [{note}]: "
                                 f"{type(error).__name__}: {str(error)[:200]}")
            return None
        finally:
            self.client.cookies = cookies
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {path[:150]!r} [{note}]: "
                                 f"{response.status_code}")
        try:
            route = resolve(urlsplit(path).path).route
        except Resolver404:
            return response
        if response.status_code != 404 and note == "benign":
            self.reached.setdefault(route, response.status_code)
        return response


@pytest.fixture
def world(tenant: Tenant, admin: Membership, agent: Membership, agent2: Membership,
          other_tenant: Tenant) -> dict[str, list[str]]:
    """A tenant with a record of every kind the console shows, and the path parameter values
    that name them, by the converter names of the URL conf."""
    support = Queue.objects.get(tenant=tenant, name="Support")
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    support.members.add(admin, agent)
    account = AccountFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, account=account)
    deal = DealFactory(tenant=tenant, account=account)
    for key, kind, choices in (("plan", "text", []), ("seats", "number", []),
                               ("renewal", "date", []), ("region", "picklist", ["EMEA"]),
                               ("vip", "checkbox", [])):
        CustomFieldDefinition.objects.create(tenant=tenant, key=key, label=key, kind=kind,
                                             choices=choices)
    fresh = make_case(tenant, queue_id=support.pk, contact_id=contact.pk, deal_id=deal.pk)
    referred = make_case(tenant, owner_id=admin.user_id, account_id=account.pk)
    assignment = assignment_open(case=referred, actor=admin.user, queue=engineering,
                                 description="Check the logs", now=NOW)
    case_add_note(case=referred, actor=agent.user, body="Looked, @admin", is_public=True,
                  now=NOW)
    closed = make_case(tenant, account_id=account.pk, priority=Priority.URGENT)
    for to in ("open", "in_progress", "resolved", "closed"):
        closed = case_transition(case=closed, actor=admin.user, to=to, note="done",
                                 closed_reason="Resolved", now=NOW)
    link = link_add(case=referred, other=fresh, kind="child_of", actor=agent.user, now=NOW)
    rules = [rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Billing to engineering",
        conditions=[{"field": "category", "op": "equals", "value": "Billing"}],
        actions={"queue_id": engineering.pk, "priority": "urgent", "tags": ["billing"]}))]
    skill_requirements_set(tenant=tenant, requirements=[("Technical", "", ["linux"])])
    calendars = [BusinessCalendar.objects.get(tenant=tenant),
                 calendar_save(tenant=tenant, name="Night desk", time_zone="Asia/Kolkata",
                               week={"mon": [["22:00", "06:00"]]})]
    holidays = [holiday_add(calendar=calendars[0], name="Day off",
                            starts_on=date(2026, 12, 24))]
    escalations = [escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "Escalation", "conditions": [
            {"field": "priority", "op": "in", "value": ["high", "urgent"]}],
        "actions": {"notify": ["owner_manager"], "raise_priority": True}})]
    mailed = ingest(tenant=tenant, raw=(
        b"From: jo@customer.example\r\nSubject: Logs\r\nMessage-ID: <h@customer.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=a.png\r\n"
        b"\r\n\x89PNG\r\n--b--\r\n"), now=NOW)
    quarantined = ingest(tenant=tenant, raw=b"\x00 garbage", now=NOW).message
    deliver_due(NOW)
    mailboxes = [mailbox_create(tenant=tenant, now=NOW, values={
        "name": "Inbox", "host": "127.0.0.1", "port": 9, "security": "none",
        "username": "support", "password": "secret"})]
    view = SavedView.objects.create(tenant=tenant, user=admin.user, name="Mine",
                                    query="owner=me")
    make_case(other_tenant)  # something to leak, were anything to leak
    cases = [fresh, referred, closed, mailed.case]
    # Retired ones too, so the restore buttons have something to restore.
    retired_value = picklist_value_add(tenant=tenant, kind="type", value="Old type")
    picklist_value_update(item=retired_value, changes={"is_active": False})
    retired_field = custom_field_create(tenant=tenant, key="old", label="Old", kind="text")
    custom_field_update(definition=retired_field, changes={"is_active": False})
    invitation = invitation_create(tenant=tenant, actor=admin.user, now=NOW,
                                   base_url="http://testserver",
                                   data=InvitationInput(email="invited@example.com"))
    kb_category = category_create(tenant=tenant, name="Billing", now=NOW)
    kb_public = article_publish(article=article_create(
        tenant=tenant, author=admin.user, title="Download an invoice", body="Open **Billing**.",
        category_id=kb_category.pk, visibility="public", now=NOW), actor=admin.user, now=NOW)
    kb_draft = article_create(tenant=tenant, author=agent.user, title="Draft", body="*Soon*",
                              now=NOW)
    kb_file = attachment_add(article=kb_public, user=admin.user, now=NOW, upload=SimpleUploadedFile(
        "chart.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png"))
    portal_branding_change(tenant=tenant, changes={}, now=NOW, logo=SimpleUploadedFile(
        "logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png"))
    survey = survey_send(case=mailed.case, config=CsatSettings(tenant=tenant), now=NOW)
    assert survey is not None
    # A note's file (linked from the case page), a finished export (the export page links
    # its download and offers its deletion) and a checked import (its page, progress, start).
    note_add_with_files(case=mailed.case, actor=agent.user, body="The screenshot",
                        is_public=False, now=NOW, uploads=[SimpleUploadedFile(
                            "shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")])
    export_job_run(export_request(tenant=tenant, actor=admin.user, now=NOW,
                                  in_background=False).pk, NOW)
    import_job = job_create(tenant=tenant, actor=admin.user, format="csv", mapping=Mapping(),
               skip_invalid=False, now=NOW, uploads=[Upload(
                   "cases.csv", b"subject,description\r\nPrinter jam,Tray 2 again\r\n")])
    automation_rules = list(AutomationRule.objects.filter(tenant=tenant)[:2])
    endpoint = endpoint_create(tenant=tenant, now=NOW, data=EndpointInput(
        name="Hook", url="http://127.0.0.1:9/hook", events=["case.created"]))
    delivery = endpoint_send_test(endpoint=endpoint, now=NOW)
    macros = [macro_create(membership=admin, shared=True, now=NOW, data=MacroInput(
                  name="Thanks", reply="Thanks {{ contact.name }}", tags_add=["thanked"])),
              macro_create(membership=agent, shared=False, now=NOW, data=MacroInput(
                  name="Mine", reply="Mine", changes={"priority": "high"}))]
    tasks = [task_create(tenant=tenant, actor=agent.user, subject="Ring back", now=NOW,
                         case=fresh, due_at=NOW),
             task_create(tenant=tenant, actor=admin.user, subject="Private", now=NOW)]
    # Live chat: one chat with the admin (a file in it, linked from its window), one offered
    # to the admin and waiting.
    chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={
        "enabled": True, "allowed_origins": ["https://www.acme.test"]})
    agent_status_set(tenant=tenant, user=admin.user, available=True, now=NOW)
    chats = [chat_start(tenant=tenant, now=NOW, visitor=VisitorStart(
        name=f"Vera {n}", email=f"vera{n}@customer.test", message="The printer jams again"))
        for n in range(2)]
    active = offer_accept(offer=ChatOffer.objects.get(chat=chats[0]), user=admin.user, now=NOW)
    agent_message(chat=active, user=admin.user, body="Here is the manual", now=NOW,
                  upload=SimpleUploadedFile("manual.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                                            "image/png"))
    offer = ChatOffer.objects.get(chat=chats[1], state=OfferState.PENDING)
    # Reports: every case's facts (the scorecard's figures), a month's compliance report.
    facts_refresh()
    compliance_generate(tenant, date(2026, 10, 1), NOW)
    return {
        "number": [c.display_number for c in cases],
        # The portal's case pages take the bare number: the mailed case has a contact.
        "case_number": [str(mailed.case.number)],
        "file_id": [str(a.pk) for a in mailed.case.attachments.all()],
        "token": [invitation_token(invitation), survey_token(survey.pk, survey.nonce)],
        "article_id": [str(a.pk) for a in (kb_public, kb_draft)],
        "category_id": [str(kb_category.pk)],
        "version": ["1"],
        "tenant_slug": [tenant.slug],
        "article_slug": [kb_public.slug],
        "category_slug": [kb_category.slug],
        "assignment_id": [str(assignment.pk)],
        "link_id": [str(link.pk)],
        "queue_id": [str(q.pk) for q in (support, engineering)],
        "view_id": [str(view.pk)],
        "pk": [str(account.pk), str(contact.pk)],
        "rule_id": [str(r.pk) for r in (*rules, *escalations)],
        "automation_rule_id": [str(r.pk) for r in automation_rules],
        "endpoint_id": [str(endpoint.pk)], "delivery_id": [str(delivery.pk)],
        "macro_id": [str(m.pk) for m in macros], "task_id": [str(t.pk) for t in tasks],
        "user_id": [str(m.user_id) for m in (agent, agent2, admin)],
        "policy_id": [str(p.pk) for p in SlaPolicy.objects.filter(tenant=tenant)[:2]],
        "calendar_id": [str(c.pk) for c in calendars],
        "holiday_id": [str(h.pk) for h in holidays],
        "inbound_id": [str(m.pk) for m in (mailed.message, quarantined)],
        "outbound_id": [str(m.pk) for m in OutboundMail.objects.filter(tenant=tenant)],
        "mailbox_id": [str(b.pk) for b in mailboxes],
        # The mail attachment first: the case's attachment route needs it.
        "attachment_id": [*(str(a.pk) for a in mailed.case.attachments.all()), str(kb_file.pk)],
        "filename": [kb_file.filename],
        # The API's names for the same records.
        "account_id": [str(account.pk)], "contact_id": [str(contact.pk)],
        "deal_id": [str(deal.pk)], "escalation_rule_id": [str(escalations[0].pk)],
        "kind": ["type"], "key": ["plan"],
        "value_id": [str(retired_value.pk)], "field_id": [str(retired_field.pk)],
        "invitation_id": [str(invitation.pk)],
        "uidb64": [urlsafe_base64_encode(force_bytes(agent.user_id))],
        # The API's compliance month (the pages' month routes are regular expressions,
        # reached through the links of /reports/compliance).
        "month": ["2026-10"],
        # The import's pages (the export's are linked from its page).
        "job_id": [str(import_job.pk)],
        "public_id": [str(c.public_id) for c in chats],
        "offer_id": [str(offer.pk)],
    }


def crawl_pages(crawl: Crawl, start: list[str]) -> tuple[dict[str, set[str]], list[Page]]:
    """Every page reachable from `start` (at most PER_KEY of a kind), plain and as htmx asks
    for it; the URLs reached and the pages rendered."""
    todo, seen = list(start), set()
    taken: dict[tuple[str, ...], int] = {}
    reached: dict[str, set[str]] = {}  # path -> URLs (with their queries) that answered
    pages: list[Page] = []
    while todo:
        url = todo.pop(0)
        key = page_key(url)
        if url in seen or key is None or taken.get(key, 0) >= PER_KEY:
            continue
        seen.add(url)
        taken[key] = taken.get(key, 0) + 1
        for htmx in (False, True):
            response = crawl.send("get", url, htmx=htmx, note="benign")
            if response is None or response.status_code >= 400:
                continue
            reached.setdefault(urlsplit(url).path, set()).add(url)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                page = Page(url)
                page.feed(response.content.decode("utf-8", "replace"))
                pages.append(page)
                todo.extend(t for link in page.links if (t := same_site(link, url)))
    return reached, pages


def fuzz_queries(crawl: Crawl, reached: dict[str, set[str]], pages: list[Page],
                 routes: dict[str, URLPattern]) -> None:
    """Hostile values in every query parameter of every page reached: all names at once
    (the names its links and GET forms use, its view reads, and one unknown), then each name
    of its own links and forms alone, the others as the link had them (NUL only: the value
    that breaks a database lookup)."""
    names: dict[str, set[str]] = {}
    bases: dict[str, list[list[tuple[str, str]]]] = {}
    for page in pages:
        for form in page.forms:
            target = same_site(form.action, page.url)
            if target and form.method == "get":
                path = urlsplit(target).path
                names.setdefault(path, set()).update(n for n, _ in form.fields)
                bases.setdefault(path, []).append(query_pairs(target) + form.fields)
    done: set[tuple[str, ...]] = set()
    for path, urls in reached.items():
        key = kind_key(path)
        if key is None or key in done:
            continue
        done.add(key)
        own = names.get(path, set()).union(*({n for n, _ in query_pairs(u)} for u in urls))
        every = sorted(own | source_names(routes[key[0]]) | {"unknown"})
        for i, (label, value) in enumerate(HOSTILE.items()):
            crawl.send("get", f"{path}?{_query([(n, value) for n in every])}",
                       htmx=bool(i % 2), note=f"{label} in every parameter")
        crawl.send("get", f"{path}?{_query([(n, SURROGATE) for n in every], _utf7)}",
                   content_type="text/plain; charset=utf-7", note="surrogate via utf-7")
        base_lists = [query_pairs(u) for u in sorted(urls) if "?" in u][:2]
        base_lists += bases.get(path, [])[:2]
        for name in sorted(own):
            crawl.send("get", f"{path}?{_query([(name, NUL)])}", htmx=True,
                       note=f"nul in {name} alone")
        for base in base_lists:
            for i, (name, _) in enumerate(base):
                pairs = [*base[:i], (name, NUL), *base[i + 1:]]
                crawl.send("get", f"{path}?{_query(pairs)}", htmx=True, note=f"nul in {name}")


def _shape(name: str) -> str:
    return re.sub(r"\d+", "#", name)


def fuzz_forms(crawl: Crawl, pages: list[Page], routes: dict[str, URLPattern]) -> set[str]:
    """Hostile values in every form the pages show: in every field at once (urlencoded,
    multipart, and with a declared UTF-7 charset), then NUL and 100 kB in each field alone,
    the others as the page filled them (the values a database refuses). POST routes no page
    has a form for get the names their view reads. The routes posted to."""
    forms: dict[tuple[Any, ...], tuple[str, Form]] = {}
    for page in pages:
        for form in page.forms:
            target = same_site(form.action, page.url)
            key = kind_key(target) if target else None
            if target and key and form.method == "post":
                forms.setdefault((key, tuple(sorted(n for n, _ in form.fields))),
                                 (target, form))
    posted = {key[0] for key, _ in forms}
    for route, pattern in routes.items():
        if route not in posted:
            for path in fill(route, WORLD)[:1]:
                names = sorted(source_names(pattern) | {"unknown"})
                forms[(route,)] = (path, Form(path, "post", [(n, "") for n in names]))
    for target, form in forms.values():
        fields = form.fields + [("unknown", "")]
        for i, (label, value) in enumerate(HOSTILE.items()):
            hostile = [(n, value) for n, _ in fields]
            crawl.send("post", target, body=_query(hostile).encode(), htmx=bool(i % 2),
                       note=f"{label} in every field")
        crawl.send("post", target, body=_multipart([(n, SURROGATE) for n, _ in fields]),
                   content_type=f"multipart/form-data; boundary={BOUNDARY}",
                   note="surrogate bytes, multipart")
        crawl.send("post", target, body=_multipart([(n, SURROGATE) for n, _ in fields], _utf7),
                   content_type=f"multipart/form-data; boundary={BOUNDARY}; charset=utf-7",
                   note="surrogate via utf-7, multipart")
        crawl.send("post", target, body=_query([(n, SURROGATE) for n, _ in fields],
                                               _utf7).encode(),
                   content_type=f"{FORM}; charset=utf-7", note="surrogate via utf-7")
        shapes: dict[str, int] = {}
        for i, (name, _) in enumerate(form.fields):
            if shapes.setdefault(_shape(name), i) != i or len(shapes) > MAX_FIELDS:
                continue
            for j, label in enumerate(("nul", "big")):
                one = [*form.fields[:i], (name, HOSTILE[label]), *form.fields[i + 1:]]
                crawl.send("post", target, body=_query(one).encode(), htmx=bool((i + j) % 2),
                           note=f"{label} in {name}")
    return {key[0][0] if isinstance(key[0], tuple) else key[0] for key in forms}


def fuzz_paths(crawl: Crawl, routes: dict[str, URLPattern]) -> None:
    """Each path parameter in turn hostile (the others real): every hostile text for text
    converters, a number past any database integer for all of them."""
    for route in routes:
        kinds = [m.group(1) or "str" for m in _PARAM.finditer(route)]
        for i, kind in enumerate(kinds):
            for value in [HUGE_INT] if kind == "int" else [*HOSTILE.values(), HUGE_INT]:
                for path in fill(route, WORLD, hostile_at=i, hostile=value):
                    crawl.send("get", path, htmx=True, note="hostile path")
                    crawl.send("post", path, note="hostile path")


def fuzz_api(crawl: Crawl) -> int:
    """Hostile values in every query parameter of every API read (its OpenAPI parameters and
    one unknown), in UTF-8 and through a declared UTF-7 charset: what schemathesis, which
    speaks UTF-8 only, does not send. The number of operations fuzzed."""
    from casedesk.api import api

    fuzzed = 0
    for path, operations in api.get_openapi_schema()["paths"].items():
        get = operations.get("get")
        names = re.findall(r"{(\w+)}", path)
        if get is None or any(n not in WORLD for n in names):
            continue
        for name in names:
            path = path.replace("{" + name + "}", quote(WORLD[name][0], safe=""))
        params = sorted({p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
                        | {"unknown"})
        for label, value in HOSTILE.items():
            crawl.send("get", f"{path}?{_query([(n, value) for n in params])}", note=label)
        crawl.send("get", f"{path}?{_query([(n, SURROGATE) for n in params], _utf7)}",
                   content_type="text/plain; charset=utf-7", note="surrogate via utf-7")
        fuzzed += 1
    return fuzzed


WORLD: dict[str, list[str]] = {}


@pytest.mark.slow
def test_no_hostile_input_gets_a_server_error(world: dict[str, list[str]],
                                              admin: Membership) -> None:
    started = time.monotonic()
    WORLD.clear()
    WORLD.update(world)
    routes = {route: pattern for route, pattern in url_patterns()
              if not route.startswith(SKIPPED)}
    crawl = Crawl(login(admin))
    reached, pages = crawl_pages(crawl, [p for route in routes for p in fill(route, world)])
    fuzz_queries(crawl, reached, pages, routes)
    posted = fuzz_forms(crawl, pages, routes)
    fuzz_paths(crawl, routes)
    token = token_create(membership=admin, name="crawler").secret
    api = Crawl(Client(headers={"Authorization": f"Bearer {token}"}))
    api_reads = fuzz_api(api)
    # Signed out: the pages anyone may open, and their forms (the sign-in form).
    anonymous = Crawl(Client())
    open_reached, open_pages = crawl_pages(anonymous, [p for route in routes
                                                      for p in fill(route, world)[:1]])
    fuzz_queries(anonymous, open_reached, open_pages, routes)
    fuzz_forms(anonymous, open_pages, {})
    elapsed = time.monotonic() - started
    print(f"\ncrawler: {len(routes)} routes, {len(pages)} pages, {len(posted)} routes posted "
          f"to, {api_reads} API reads, {crawl.requests + anonymous.requests + api.requests} "
          f"requests in {elapsed:.0f} s")
    failures = crawl.failures + anonymous.failures + api.failures
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:100])
    unreached = sorted(set(routes) - set(crawl.reached))
    assert not unreached, (f"routes the crawler never reached with a real record: "
                           f"{unreached}; seed one in `world` or link to it from a page")
