"""The case page's "Linked cases" panel (`cases/views/links.py`), the case list's "Has open
children" box and the tenant setting on the settings page."""

from casedesk.cases.forms import CaseLinkForm
from casedesk.cases.links import LINK_REQUESTS, ROLE_LABELS, link_add
from casedesk.cases.models import CaseLink
from tests.conftest import NOW, login
from tests.factories import make_case


def test_the_case_page_loads_the_panel_which_lists_links_by_role(tenant, agent) -> None:
    parent, child = make_case(tenant, subject="Mail is down"), make_case(tenant)
    link_add(case=child, other=parent, kind="child_of", actor=agent.user, now=NOW)
    client = login(agent)
    page = client.get(f"/cases/{child.display_number}").content.decode()
    assert f'hx-get="/cases/{child.display_number}/links"' in page
    panel = client.get(f"/cases/{child.display_number}/links").content.decode()
    assert 'data-role="child_of"' in panel and "Child of" in panel
    assert f'href="/cases/{parent.display_number}"' in panel and "Mail is down" in panel
    assert "<style" not in panel and 'style="' not in panel  # strict CSP
    assert login(agent).get("/cases/CS-999999/links").status_code == 404


def test_adding_and_removing_from_the_page(tenant, agent, clock) -> None:
    case, other = make_case(tenant), make_case(tenant)
    client = login(agent)
    added = client.post(f"/cases/{case.display_number}/links/add",
                        {"kind": "caused_by", "case": other.display_number}, follow=True)
    assert f"Linked with {other.display_number}." in added.content.decode()
    link = CaseLink.objects.get()
    assert "Linked as caused by" in added.content.decode()  # on the timeline at once
    removed = client.post(f"/cases/{case.display_number}/links/{link.pk}/remove", follow=True)
    assert "Link removed." in removed.content.decode()
    assert not CaseLink.objects.exists()


def test_refusals_come_back_as_messages_and_change_nothing(tenant, agent, clock) -> None:
    case = make_case(tenant)
    client = login(agent)
    for data, words in (({"kind": "related_to", "case": case.display_number}, "itself"),
                        ({"kind": "related_to", "case": "CS-999999"}, "No case CS-999999"),
                        ({"kind": "sibling", "case": "CS-1"},
                         "This case is: Select a valid choice")):
        page = client.post(f"/cases/{case.display_number}/links/add", data, follow=True)
        assert words in page.content.decode()
    gone = client.post(f"/cases/{case.display_number}/links/999999/remove", follow=True)
    assert "The link was not removed: No link 999999" in gone.content.decode()
    assert not CaseLink.objects.exists()


def test_the_form_offers_every_kind_the_service_takes() -> None:
    choices = dict(CaseLinkForm().fields["kind"].choices)  # type: ignore[attr-defined]
    assert set(choices) == set(LINK_REQUESTS)
    assert all(choices[k] == ROLE_LABELS[k] for k in LINK_REQUESTS if k != "causes")


def test_the_case_list_filters_parents_with_open_children(tenant, agent) -> None:
    parent, child = make_case(tenant), make_case(tenant)
    make_case(tenant, subject="Loner")
    link_add(case=parent, other=child, kind="parent_of", actor=agent.user, now=NOW)
    page = login(agent).get("/cases", {"has_open_children": "on"}).content.decode()
    assert 'name="has_open_children"' in page
    assert f'href="/cases/{parent.display_number}"' in page
    assert f'href="/cases/{child.display_number}"' not in page
    assert "Loner" not in page


def test_the_settings_page_changes_the_parent_rule(tenant, admin) -> None:
    client = login(admin)
    form = client.get("/settings/").context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.pop("parent_close_needs_children_closed")
    assert client.post("/settings/", data).status_code == 302
    tenant.refresh_from_db()
    assert tenant.parent_close_needs_children_closed is False
