"""A case holds what its columns hold: the API refuses more (422 naming the field), the case
services refuse it whoever calls them (the console's forms, mail, a command) instead of
failing in the database or cutting typed text short, and what casedesk writes itself (a
follow-up's subject) is kept as far as it fits."""

import pytest

from casedesk.cases.creation import CaseInput, case_create, case_follow_up_create
from casedesk.cases.models import Case, IdempotencyKey
from casedesk.cases.services import case_transition, case_update
from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from tests.api_checks import error
from tests.conftest import NOW
from tests.factories import make_case

# A language tag the pattern accepts, one character longer than the column.
LONG_LANGUAGE = "abc-abcdefgh-abcdefgh"


def past(field: str) -> str:
    return "x" * (max_length(Case, field) + 1)


@pytest.mark.parametrize(("field", "value"), [
    ("subject", past("subject")), ("language", LONG_LANGUAGE), ("type", past("type")),
    ("category", past("category")), ("subcategory", past("subcategory")),
])
def test_case_text_past_its_column_is_refused(admin_api, field, value) -> None:
    error(admin_api.post("/cases", {"subject": "Printer", field: value}), 422, field=field)
    number = admin_api.post("/cases", {"subject": "Printer"}).json()["number"]
    error(admin_api.patch(f"/cases/{number}", {field: value}), 422, field=field)
    assert Case.objects.get().subject == "Printer"


def test_the_rest_of_what_a_case_request_sends_is_bounded_by_its_column(admin_api) -> None:
    error(admin_api.post("/cases", {"subject": "Printer"}, **{
        "Idempotency-Key": "k" * (max_length(IdempotencyKey, "key") + 1)}), 422,
        field="Idempotency-Key")
    number = admin_api.post("/cases", {"subject": "Printer"}).json()["number"]
    error(admin_api.patch(f"/cases/{number}", {"sub_status": past("sub_status")}), 422,
          field="sub_status")
    error(admin_api.patch(f"/cases/{number}", {"status": past("status")}), 422, field="status")
    error(admin_api.post(f"/cases/{number}/transitions", {
        "to": "closed", "note": "done", "closed_reason": past("closed_reason")}), 422,
        field="closed_reason")
    error(admin_api.post(f"/cases/{number}/follow-ups", {"subject": past("subject")}), 422,
          field="subject")


def test_the_case_services_refuse_text_past_its_column(tenant, admin) -> None:
    with pytest.raises(Invalid) as refused:
        case_create(tenant=tenant, actor=admin.user, now=NOW,
                    data=CaseInput(subject="Printer", language=LONG_LANGUAGE))
    assert refused.value.field == "language"
    with pytest.raises(Invalid) as refused:
        case_create(tenant=tenant, actor=admin.user, now=NOW,
                    data=CaseInput(subject="Printer"), idempotency_key="k" * 256)
    assert refused.value.field == "Idempotency-Key"
    assert not Case.objects.exists()
    case = make_case(tenant, subject="Printer")
    with pytest.raises(Invalid) as refused:
        case_update(case=case, actor=admin.user, now=NOW, changes={"subject": past("subject")})
    assert refused.value.field == "subject" and "255" in refused.value.detail
    case.refresh_from_db()
    assert case.subject == "Printer"


def test_a_subject_that_is_one_line_within_the_column_is_kept_whole(tenant, admin) -> None:
    pasted = "word\r\n\t" * 60  # 420 characters typed, 299 once on one line: still too long
    with pytest.raises(Invalid):
        case_create(tenant=tenant, actor=admin.user, now=NOW, data=CaseInput(subject=pasted))
    fits = "word \r\n" * 40  # 280 typed, 199 on one line
    case, _ = case_create(tenant=tenant, actor=admin.user, now=NOW, data=CaseInput(subject=fits))
    assert case.subject == " ".join(["word"] * 40)


def test_a_follow_up_of_a_case_with_the_longest_subject_fits(tenant, admin) -> None:
    case = make_case(tenant, subject="s" * max_length(Case, "subject"))
    for to in ("open", "in_progress", "resolved", "closed"):
        case = case_transition(case=case, actor=admin.user, to=to, note="done",
                               closed_reason="Resolved", now=NOW)
    follow_up = case_follow_up_create(case=case, actor=admin.user, now=NOW)
    assert follow_up.subject.startswith("Follow-up: sss")
    assert len(follow_up.subject) == max_length(Case, "subject")


def test_an_invalid_note_body_is_named_body(admin_api, tenant) -> None:
    """A field called `body` is named as such, not taken for the request body itself."""
    case = make_case(tenant)
    response = admin_api.post(f"/cases/{case.display_number}/notes",
                              {"body": "x" * 200_001})
    assert response.status_code == 422 and response.json()["field"] == "body"
