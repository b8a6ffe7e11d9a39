"""The macro pages: the settings list and form, and the case page's macro panel (menu,
preview, apply)."""

import pytest

from casedesk.automation.macros import MacroInput, macro_create
from casedesk.automation.models import Macro
from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.core.priority import Priority
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, login
from tests.factories import ContactFactory, make_case

pytestmark = pytest.mark.usefixtures("clock")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def case(tenant: Tenant) -> Case:
    contact = ContactFactory(tenant=tenant, name="Dana Scully")
    return make_case(tenant, subject="Refund please", contact_id=contact.pk,
                     priority=Priority.NORMAL)


@pytest.fixture
def macro(manager: Membership) -> Macro:
    return macro_create(membership=manager, shared=True, now=NOW, data=MacroInput(
        name="Escalate", reply="Hi {{ contact.name }}, we are on it.",
        changes={"priority": "urgent"}, tags_add=["vip"]))


def test_the_settings_list_shows_shared_read_only_to_an_agent(agent: Membership,
                                                              macro: Macro) -> None:
    mine = macro_create(membership=agent, shared=False, now=NOW,
                        data=MacroInput(name="My greeting", reply="Hello"))
    page = login(agent).get("/settings/macros")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Escalate" in html and "My greeting" in html and 'data-testid="read-only"' in html
    assert f"/settings/macros/{mine.pk}/toggle" in html
    assert f"/settings/macros/{macro.pk}/toggle" not in html


def test_an_agent_cannot_change_a_shared_macro(agent: Membership, macro: Macro) -> None:
    client = login(agent)
    assert client.get(f"/settings/macros/{macro.pk}").status_code == 200  # read-only
    assert client.post(f"/settings/macros/{macro.pk}", {"name": "x"}).status_code == 403
    assert client.post(f"/settings/macros/{macro.pk}/delete").status_code == 403
    assert Macro.objects.filter(pk=macro.pk, name="Escalate").exists()


def test_the_form_lists_the_template_variables(manager: Membership, macro: Macro) -> None:
    client = login(manager)
    for path in ("/settings/macros/new", f"/settings/macros/{macro.pk}"):
        html = client.get(path).content.decode()
        assert 'data-variable="contact.name"' in html and 'data-variable="case.number"' in html
    assert 'value="Escalate"' in client.get(f"/settings/macros/{macro.pk}").content.decode()


def test_without_javascript_the_panel_and_preview_are_pages(agent: Membership, macro: Macro,
                                                             case: Case) -> None:
    client = login(agent)
    page = client.get(f"/cases/{case.display_number}/macros").content.decode()
    assert "<html" in page and "Escalate" in page
    page = client.get(f"/cases/{case.display_number}/macros/{macro.pk}").content.decode()
    assert "<html" in page and 'data-testid="macro-apply"' in page


def test_making_a_macro_with_the_form(manager: Membership) -> None:
    response = login(manager).post("/settings/macros/new", {
        "name": "Billing handover", "scope": "shared", "reply": "Over to {{ case.queue }}",
        "visibility": "internal", "priority": "high", "category": "Billing",
        "queue": "none", "owner": "", "status": "", "tags_add": "billing, vip",
        "tags_remove": "", "is_active": "1", "position": "3"})
    assert response.status_code == 302 and response["Location"] == "/settings/macros"
    macro = Macro.objects.get(name="Billing handover")
    assert macro.owner_id is None and not macro.reply_is_public and macro.position == 3
    assert macro.changes == {"priority": "high", "category": "Billing", "queue_id": None}
    assert macro.tags_add == ["billing", "vip"]


def test_a_refusal_lands_on_its_field(agent: Membership) -> None:
    response = login(agent).post("/settings/macros/new", {
        "name": "Broken", "reply": "{% if %}", "visibility": "public", "position": "0"})
    assert response.status_code == 422
    form = response.context["form"]
    assert "does not compile" in form.errors["reply"][0]
    assert not Macro.objects.exists()


def test_an_agent_cannot_share(agent: Membership) -> None:
    response = login(agent).post("/settings/macros/new", {
        "name": "Team", "scope": "shared", "reply": "Hi", "visibility": "public",
        "position": "0"})
    assert response.status_code == 422
    assert "managers" in response.context["form"].errors["scope"][0]


def test_toggle_and_delete_answer_htmx_with_the_list(manager: Membership, macro: Macro) -> None:
    client = login(manager)
    response = client.post(f"/settings/macros/{macro.pk}/toggle", {"enable": "0"}, headers=HTMX)
    assert response.status_code == 200 and "“Escalate” disabled." in response.content.decode()
    macro.refresh_from_db()
    assert not macro.is_active
    response = client.post(f"/settings/macros/{macro.pk}/delete")
    assert response.status_code == 302
    assert not Macro.objects.filter(pk=macro.pk).exists()


def test_the_case_panel_lists_my_active_macros(agent: Membership, agent2: Membership,
                                               macro: Macro, case: Case) -> None:
    macro_create(membership=agent2, shared=False, now=NOW,
                 data=MacroInput(name="Bob's own", reply="Hi"))
    macro_create(membership=agent, shared=False, now=NOW,
                 data=MacroInput(name="Switched off", reply="Hi", is_active=False))
    panel = login(agent).get(f"/cases/{case.display_number}/macros", headers=HTMX)
    html = panel.content.decode()
    assert panel.status_code == 200 and 'data-testid="macros-panel"' in html
    assert "Escalate" in html and "Bob's own" not in html and "Switched off" not in html


def test_the_panel_searches_when_there_are_many(manager: Membership, agent: Membership,
                                                case: Case) -> None:
    for i in range(10):
        macro_create(membership=manager, shared=True, now=NOW,
                     data=MacroInput(name=f"Answer {i}", reply="Hi"))
    macro_create(membership=manager, shared=True, now=NOW,
                 data=MacroInput(name="Refund granted", reply="Done"))
    client = login(agent)
    panel = client.get(f"/cases/{case.display_number}/macros", headers=HTMX).content.decode()
    assert 'data-testid="macro-search"' in panel
    found = client.get(f"/cases/{case.display_number}/macros", {"list": "1", "q": "refund"},
                       headers=HTMX).content.decode()
    assert "Refund granted" in found and "Answer 1" not in found


def test_preview_shows_the_reply_and_changes(agent: Membership, macro: Macro,
                                             case: Case) -> None:
    response = login(agent).get(f"/cases/{case.display_number}/macros/{macro.pk}",
                                headers=HTMX)
    html = response.content.decode()
    assert "Hi Dana Scully, we are on it." in html
    assert "Priority: Normal → Urgent" in html and "Tags: + vip" in html
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL


def test_apply_from_the_case_page_changes_the_case_and_puts_the_reply_on_the_timeline(
        agent: Membership, macro: Macro, case: Case) -> None:
    client = login(agent)
    response = client.post(f"/cases/{case.display_number}/macros/{macro.pk}/apply",
                           headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/cases/{case.display_number}"
    case.refresh_from_db()
    assert case.priority == Priority.URGENT and "vip" in case.tags
    note = Note.objects.get(case=case)
    assert note.body == "Hi Dana Scully, we are on it." and note.is_public
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.REPLY_ADDED,
                                        note=note).exists()
    page = client.get(f"/cases/{case.display_number}").content.decode()
    assert "Hi Dana Scully, we are on it." in page and "Applied “Escalate”." in page


def test_apply_without_javascript_redirects_to_the_case(agent: Membership, macro: Macro,
                                                        case: Case) -> None:
    response = login(agent).post(f"/cases/{case.display_number}/macros/{macro.pk}/apply")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.display_number}"
    case.refresh_from_db()
    assert case.priority == Priority.URGENT


def test_a_refused_apply_shows_why_and_changes_nothing(manager: Membership, agent: Membership,
                                                       case: Case) -> None:
    gated = macro_create(membership=manager, shared=True, now=NOW, data=MacroInput(
        name="Wait for customer", reply="Over to you", changes={"status": "pending_customer",
                                                                "priority": "low"}))
    client = login(agent)
    response = client.post(f"/cases/{case.display_number}/macros/{gated.pk}/apply",
                           headers=HTMX)
    assert response.status_code == 409 and response["X-Case-Partial"] == "1"
    assert "Cannot move a case from new to pending_customer" in response.content.decode()
    response = client.post(f"/cases/{case.display_number}/macros/{gated.pk}/apply")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL and case.status == "new"
    assert not Note.objects.filter(case=case).exists()


def test_another_tenants_case_and_someone_elses_macro_are_not_found(
        agent: Membership, agent2: Membership, outsider: Membership, macro: Macro,
        case: Case) -> None:
    theirs = macro_create(membership=agent2, shared=False, now=NOW,
                          data=MacroInput(name="Bob's", reply="Hi"))
    client = login(agent)
    assert client.get(f"/cases/{case.display_number}/macros/{theirs.pk}").status_code == 404
    assert client.post(
        f"/cases/{case.display_number}/macros/{theirs.pk}/apply").status_code == 404
    assert login(outsider).post(
        f"/cases/{case.display_number}/macros/{macro.pk}/apply").status_code == 404
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL
