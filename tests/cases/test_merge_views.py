"""The console's merge: the dialog, the confirmation listing what moves, form errors for bad
numbers, the old number's page leading to the target, the banner with Undo."""

from typing import Any

import pytest
from django.urls import reverse

from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note
from tests.conftest import NOW, login
from tests.factories import AccountFactory, make_case

pytestmark = pytest.mark.django_db


def _url(name: str, case: Case) -> str:
    return reverse(name, args=[case.display_number])


@pytest.fixture
def cases(tenant: Any, agent: Any) -> tuple[Case, Case]:
    target = make_case(tenant, subject="Printer on fire", now=NOW)
    source = make_case(tenant, subject="Printer burning", now=NOW)
    case_add_note(case=source, actor=agent.user, body="Toner smells odd", is_public=False,
                  now=NOW)
    return target, source


def test_preview_lists_what_moves_and_confirm_merges(agent: Any, cases: Any,
                                                     clock: Any) -> None:
    target, source = cases
    client = login(agent)
    assert client.get(_url("console:case_merge", target)).status_code == 200
    form = {"direction": "into_this", "numbers": source.display_number, "step": "preview"}
    preview = client.post(_url("console:case_merge", target), form)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="merge-confirm"' in html and "1 note" in html
    assert not Case.objects.filter(merged_into__isnull=False).exists()  # nothing yet
    done = client.post(_url("console:case_merge", target), {**form, "step": "confirm"})
    assert done.status_code == 302 and done["Location"] == _url("console:case_detail", target)
    assert Case.objects.get(pk=source.pk).merged_into_id == target.pk
    old = client.get(_url("console:case_detail", source))
    assert old.status_code == 302 and old["Location"] == _url("console:case_detail", target)
    page = client.get(old["Location"])
    assert "Toner smells odd" in page.content.decode()
    panel = client.get(_url("console:case_merge_panel", target)).content.decode()
    assert 'data-testid="merge-banner"' in panel and source.display_number in panel
    assert 'data-testid="merge-undo"' in panel


def test_merge_this_case_into_another(agent: Any, cases: Any, clock: Any) -> None:
    target, source = cases
    done = login(agent).post(_url("console:case_merge", source), {
        "direction": "this_into", "numbers": target.display_number, "step": "confirm"})
    assert done["Location"] == _url("console:case_detail", target)
    assert Case.objects.get(pk=source.pk).merged_into_id == target.pk


@pytest.mark.parametrize(("numbers", "says"), [
    ("CS-999", "No case CS-999"), ("", "required"), ("hello", "No case hello"),
    ("CS-1\x00", "NUL"),
])
def test_bad_numbers_are_form_errors(agent: Any, cases: Any, numbers: str, says: str,
                                     clock: Any) -> None:
    target, _ = cases
    response = login(agent).post(_url("console:case_merge", target), {
        "direction": "into_this", "numbers": numbers, "step": "confirm"})
    assert response.status_code == 422
    assert says.lower() in response.content.decode().lower()
    assert not Case.objects.filter(merged_into__isnull=False).exists()


def test_refusals_show_on_the_form(agent: Any, cases: Any, tenant: Any, foreign: Any,
                                   clock: Any) -> None:
    target, source = cases
    client = login(agent)
    itself = client.post(_url("console:case_merge", target), {
        "direction": "into_this", "numbers": target.display_number, "step": "preview"})
    assert itself.status_code == 422 and "into itself" in itself.content.decode()
    other = client.post(_url("console:case_merge", target), {
        "direction": "into_this", "numbers": foreign.case_number, "step": "confirm"})
    assert other.status_code == 422 and "No case" in other.content.decode()
    Case.objects.filter(pk=target.pk).update(account=AccountFactory(tenant=tenant))
    Case.objects.filter(pk=source.pk).update(account=AccountFactory(tenant=tenant))
    accounts = client.post(_url("console:case_merge", target), {
        "direction": "into_this", "numbers": source.display_number, "step": "preview"})
    assert accounts.status_code == 409 and "confirm" in accounts.content.decode()
    confirmed = client.post(_url("console:case_merge", target), {
        "direction": "into_this", "numbers": source.display_number, "step": "confirm",
        "confirm_other_account": "on"})
    assert confirmed.status_code == 302


def test_undo_button_takes_the_merge_back(agent: Any, cases: Any, clock: Any) -> None:
    target, source = cases
    client = login(agent)
    client.post(_url("console:case_merge", target), {
        "direction": "into_this", "numbers": source.display_number, "step": "confirm"})
    undone = client.post(_url("console:case_merge_undo", target), follow=True)
    assert "Merge undone" in undone.content.decode()
    assert Case.objects.get(pk=source.pk).merged_into_id is None
    again = client.post(_url("console:case_merge_undo", target), follow=True)
    assert "was not undone" in again.content.decode()


def test_another_tenants_case_pages_are_not_found(agent: Any, foreign: Any) -> None:
    client = login(agent)
    for name in ("console:case_merge", "console:case_merge_panel"):
        assert client.get(reverse(name, args=[foreign.case_number])).status_code == 404
    assert client.post(reverse("console:case_merge_undo",
                               args=[foreign.case_number])).status_code == 404
