"""The case page: header and inline edits, lifecycle moves, composer and mentions, case
assignments, claim and owner change, follow-ups, the collision notice, and its query count."""

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    CustomFieldDefinition,
    EventKind,
    Note,
    TimelineEvent,
)
from casedesk.cases.referrals import assignment_open
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.console.models import CasePresence
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from tests.conftest import NOW, Clock, login
from tests.factories import AccountFactory, ContactFactory, make_case

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock(clock: Clock) -> Clock:
    """The shared clock, five minutes after the cases are made."""
    clock.advance(minutes=5)
    return clock


@pytest.fixture
def case(tenant, agent, support_queue_with_both_agents) -> Case:
    account = AccountFactory(tenant=tenant, name="Initech")
    return make_case(
        tenant,
        subject="Printer on fire",
        description="Smoke everywhere.",
        queue_id=support_queue_with_both_agents.pk,
        owner_id=agent.user_id,
        account_id=account.pk,
    )


def url(case: Case, suffix: str = "") -> str:
    return f"/cases/{case.display_number}{suffix}"


def events(case: Case, kind: str | None = None) -> list[TimelineEvent]:
    qs = TimelineEvent.objects.filter(case=case).order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


# --- the page -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_page_shows_header_timeline_composer_and_assignments(request, role, case, clock):
    membership = request.getfixturevalue(role)
    response = login(membership).get(url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="case-header"' in body and "Printer on fire" in body and case.display_number in body
    assert 'data-testid="timeline"' in body and "created the case" in body
    assert 'id="composer"' in body and 'name="visibility" value="public"' in body
    assert 'data-testid="assignments"' in body and "Refer to a team" in body
    assert 'data-testid="case-age">5\xa0minutes' in body
    assert "Smoke everywhere." in body
    assert 'data-testid="move-open"' in body  # new → open offered


def test_page_needs_login(case):
    response = Client().get(url(case))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_another_tenants_case_is_a_404(case, outsider, other_tenant):
    client = login(outsider)
    assert client.get(url(case)).status_code == 404
    for suffix, data in (
        ("/fields/priority", {"value": "urgent"}),
        ("/transition", {"to": "open"}),
        ("/notes", {"body": "hello"}),
        ("/owner", {"value": f"user:{outsider.user_id}"}),
        ("/assignments", {"queue": "1", "description": "x"}),
        ("/follow-up", {}),
        ("/presence", {}),
        ("/presence/leave", {}),
    ):
        assert client.post(url(case, suffix), data).status_code == 404, suffix
    assert client.get(url(case, "/mentions")).status_code == 404
    case.refresh_from_db()
    assert case.priority == 2 and case.status == "new" and not Note.objects.exists()
    assert not CasePresence.objects.exists()
    # The other tenant's own case with the same number is theirs, not ours.
    theirs = make_case(other_tenant, subject="Globex printer")
    body = client.get(f"/cases/{theirs.display_number}").content.decode()
    assert "Globex printer" in body and "Printer on fire" not in body


def test_unknown_case_is_a_404(agent, case):
    assert login(agent).get("/cases/CS-999").status_code == 404
    assert login(agent).get("/cases/nonsense").status_code == 404


def test_account_shows_its_other_open_cases(tenant, case, agent):
    other = make_case(tenant, subject="Toner low", account_id=case.account_id)
    closed = make_case(tenant, subject="Old closed one", account_id=case.account_id)
    case_transition(case=closed, actor=None, to="open", now=NOW)
    body = login(agent).get(url(case)).content.decode()
    section = body[body.index('data-testid="account-cases"') :]
    assert f'href="/cases/{other.display_number}"' in section
    assert "Old closed one" in section  # open (not resolved/closed) cases only
    case_transition(case=closed, actor=None, to="in_progress", now=NOW)
    case_transition(case=closed, actor=None, to="resolved", note="done", now=NOW)
    section = login(agent).get(url(case)).content.decode().split('data-testid="account-cases"')[1]
    assert "Old closed one" not in section.split("</ul>")[0]


# --- inline edits ---------------------------------------------------------------------------


def test_editor_opens_by_htmx_or_by_link(agent, case):
    client = login(agent)
    editor = client.get(url(case, "/fields/priority"), **HX)
    assert editor.status_code == 200
    html = editor.content.decode()
    assert 'name="value"' in html and '<option value="urgent"' in html
    assert '<option value="normal" selected>' in html
    plain = client.get(url(case, "/fields/priority"))
    assert plain.status_code == 302 and plain["Location"].endswith("?edit=priority#field-priority")
    page = client.get(url(case) + "?edit=priority").content.decode()
    assert f'action="/cases/{case.display_number}/fields/priority"' in page
    cancel = client.get(url(case, "/fields/priority") + "?cancel=1", **HX).content.decode()
    assert 'name="value"' not in cancel and "Normal" in cancel
    assert client.get(url(case, "/fields/nonsense"), **HX).status_code == 404


def test_inline_edit_saves_and_writes_the_timeline(agent, case):
    client = login(agent)
    response = client.post(url(case, "/fields/priority"), {"value": "urgent"}, follow=True)
    assert "Priority saved." in response.content.decode()
    case.refresh_from_db()
    assert case.priority == 4
    (change,) = events(case, EventKind.FIELD_CHANGED)
    assert (change.field, change.old_value, change.new_value) == ("priority", "normal", "urgent")
    body = response.content.decode()
    assert "changed priority <del>Normal</del>" in body and "<ins>Urgent</ins>" in body


def test_inline_edit_by_htmx_refreshes_the_parts_out_of_band(agent, case):
    response = login(agent).post(url(case, "/fields/subject"), {"value": "Printer fixed?"}, **HX)
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    html = response.content.decode()
    for part in ("case-header", "case-side", "case-timeline"):
        assert f'id="{part}"' in html
    assert html.count('hx-swap-oob="true"') == 3
    assert "Printer fixed?" in html and "Subject saved." in html
    case.refresh_from_db()
    assert case.subject == "Printer fixed?"


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("subject", {"value": "   "}, "A case needs a subject."),
        ("type", {"value": "Astrology"}, "is not a type of this tenant"),
        ("category", {"value": "Billing", "subcategory": "Login"}, "is not a subcategory"),
        ("priority", {"value": "extreme"}, "Choose one of the priorities."),
        ("queue", {"value": "999999"}, "No active queue"),
        ("account", {"value": "abc"}, "Choose one of the offered values."),
    ],
)
def test_invalid_value_is_shown_at_the_field_and_changes_nothing(agent, case, field, data, message):
    client = login(agent)
    before = len(events(case))
    response = client.post(url(case, f"/fields/{field}"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="field-error"' in body and message in body
    # The editor stays open with what was typed, next to the error.
    assert f'id="field-{field}"' in body
    assert f'action="/cases/{case.display_number}/fields/{field}"' in body
    htmx = client.post(url(case, f"/fields/{field}"), data, **HX)
    assert htmx.status_code == 422 and htmx["X-Case-Partial"] == "1"
    assert message in htmx.content.decode() and "<html" not in htmx.content.decode()
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.subject, fresh.type, fresh.category, fresh.priority, fresh.queue_id) == (
        case.subject,
        case.type,
        case.category,
        case.priority,
        case.queue_id,
    )
    assert len(events(case)) == before


def test_category_and_subcategory_are_saved_together(agent, case):
    login(agent).post(url(case, "/fields/category"), {"value": "Billing", "subcategory": "Refund"})
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("Billing", "Refund")
    assert {e.field for e in events(case, EventKind.FIELD_CHANGED)} == {"category", "subcategory"}


def test_tags_contact_and_account_edits(tenant, agent, case):
    client = login(agent)
    client.post(url(case, "/fields/tags"), {"value": "vip, printer , vip"})
    account = AccountFactory(tenant=tenant, name="Umbrella")
    contact = ContactFactory(tenant=tenant, account=account, name="Rita Rep")
    client.post(url(case, "/fields/contact"), {"value": str(contact.pk)})
    case.refresh_from_db()
    assert case.tags == ["vip", "printer"]
    assert case.contact_id == contact.pk and case.account_id == account.pk  # contact brings it
    options = client.get(url(case, "/fields/account") + "?options=1&q=umbr", **HX).content.decode()
    assert "Umbrella" in options and "Initech" not in options
    client.post(url(case, "/fields/contact"), {"value": ""})
    client.post(url(case, "/fields/account"), {"value": ""})
    case.refresh_from_db()
    assert case.account_id is None and case.contact_id is None


def test_custom_fields_are_edited_and_validated(tenant, agent, case):
    CustomFieldDefinition.objects.create(tenant=tenant, key="seats", label="Seats", kind="number")
    CustomFieldDefinition.objects.create(
        tenant=tenant, key="renewal", label="Renewal due", kind="checkbox"
    )
    client = login(agent)
    page = client.get(url(case)).content.decode()
    assert 'id="field-cf-seats"' in page and "Renewal due" in page
    refused = client.post(url(case, "/fields/cf.seats"), {"value": "many"})
    assert refused.status_code == 422 and "is not a number" in refused.content.decode()
    client.post(url(case, "/fields/cf.seats"), {"value": "42"})
    client.post(url(case, "/fields/cf.renewal"), {"value": "on"})
    case.refresh_from_db()
    assert case.custom_fields == {"seats": 42, "renewal": True}
    body = client.get(url(case)).content.decode()
    assert "<ins>42</ins>" in body or "42" in body
    client.post(url(case, "/fields/cf.renewal"), {})
    case.refresh_from_db()
    assert case.custom_fields["renewal"] is False
    assert client.post(url(case, "/fields/cf.nope"), {"value": "1"}).status_code == 404


# --- lifecycle ------------------------------------------------------------------------------


def test_allowed_move_changes_the_status(agent, case):
    response = login(agent).post(url(case, "/transition"), {"to": "open"}, follow=True)
    assert "Moved to open." in response.content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_refused_move_says_why_and_changes_nothing(agent, case):
    client = login(agent)
    response = client.post(
        url(case, "/transition"),
        {"to": "closed", "note": "x", "closed_reason": "Other"},
        follow=True,
    )
    assert "Cannot move a case from new to closed" in response.content.decode()
    htmx = client.post(url(case, "/transition"), {"to": "resolved", "note": "x"}, **HX)
    assert htmx.status_code == 409 and htmx["X-Case-Partial"] == "1"
    html = htmx.content.decode()
    assert 'id="case-header"' in html and 'data-testid="transition-error"' in html
    assert "Allowed moves from new: open" in html
    case.refresh_from_db()
    assert case.status == "new"


def test_resolve_and_close_ask_for_a_note_and_a_reason_first(agent, case):
    client = login(agent)
    for to in ("open", "in_progress"):
        client.post(url(case, "/transition"), {"to": to})
    page = client.get(url(case)).content.decode()
    assert 'data-testid="move-resolved"' in page and 'name="note"' in page
    refused = client.post(url(case, "/transition"), {"to": "resolved", "note": "  "}, **HX)
    assert refused.status_code == 422 and "needs a note" in refused.content.decode()
    case.refresh_from_db()
    assert case.status == "in_progress"
    client.post(url(case, "/transition"), {"to": "resolved", "note": "Replaced the fuser."})
    no_reason = client.post(url(case, "/transition"), {"to": "closed", "note": "Done."}, **HX)
    assert no_reason.status_code == 422 and "closed reason" in no_reason.content.decode()
    # The typed note is kept in the refused dialog.
    assert "Done.</textarea>" in no_reason.content.decode()
    client.post(
        url(case, "/transition"), {"to": "closed", "note": "Done.", "closed_reason": "Resolved"}
    )
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_reason == "Resolved"
    body = client.get(url(case)).content.decode()
    assert "Replaced the fuser." in body and "Done." in body


# --- composer -------------------------------------------------------------------------------


def test_internal_note_and_public_reply(agent, case, clock):
    client = login(agent)
    client.post(url(case, "/notes"), {"body": "Checked the logs.", "visibility": "internal"})
    case.refresh_from_db()
    assert case.first_response_at is None
    response = client.post(
        url(case, "/notes"), {"body": "We are on it!", "visibility": "public"}, **HX
    )
    assert response.status_code == 200 and 'id="composer"' in response.content.decode()
    internal, public = Note.objects.filter(case=case).order_by("id")
    assert (internal.body, internal.is_public) == ("Checked the logs.", False)
    assert (public.body, public.is_public) == ("We are on it!", True)
    case.refresh_from_db()
    assert case.first_response_at == clock.now
    body = client.get(url(case)).content.decode()
    assert "Public reply" in body and "Internal" in body and "We are on it!" in body


def test_empty_note_is_refused_in_the_composer(agent, case):
    response = login(agent).post(url(case, "/notes"), {"body": "  ", "visibility": "public"}, **HX)
    assert response.status_code == 422 and "A note needs some text." in response.content.decode()
    assert 'value="public" checked' in response.content.decode()
    assert not Note.objects.exists()


def test_mention_notifies_the_mentioned_member(agent, agent2, case):
    login(agent).post(
        url(case, "/notes"), {"body": "@bob can you check the toner?", "visibility": "internal"}
    )
    (notification,) = Notification.objects.filter(recipient=agent2.user)
    assert notification.kind == NotificationKind.MENTION and notification.case_id == case.pk
    body = login(agent2).get(url(case)).content.decode()
    assert '<span class="mention">@bob</span>' in body


def test_mention_completion_lists_members_with_their_handle(agent, agent2, case, outsider):
    data = login(agent).get(url(case, "/mentions") + "?q=bo").json()
    assert data["members"] == [{"handle": "bob", "name": "Bob Agent", "email": "bob@acme.test"}]
    everyone = login(agent).get(url(case, "/mentions")).json()["members"]
    assert {m["handle"] for m in everyone} >= {"alice", "bob", "mona"}
    assert "admin@globex.test" not in {m["email"] for m in everyone}


def test_note_bodies_are_escaped(agent, case):
    login(agent).post(url(case, "/notes"), {"body": "<script>alert(1)</script>"})
    body = login(agent).get(url(case)).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


# --- assignments, claim, owner --------------------------------------------------------------


def test_assignment_open_and_close(agent, case, engineering):
    client = login(agent)
    refused = client.post(
        url(case, "/assignments"), {"queue": str(engineering.pk), "description": ""}, **HX
    )
    assert refused.status_code == 422 and "Describe what the other team" in refused.content.decode()
    assert 'id="case-assignments"' in refused.content.decode()
    client.post(
        url(case, "/assignments"),
        {"queue": str(engineering.pk), "description": "Check the firmware."},
    )
    (assignment,) = CaseAssignment.objects.filter(case=case)
    assert assignment.status == AssignmentStatus.OPEN
    case.refresh_from_db()
    assert case.status == "in_progress"
    page = client.get(url(case)).content.decode()
    assert "Check the firmware." in page and "1 open" in page
    assert "referred work to Engineering" in page
    close_url = url(case, f"/assignments/{assignment.pk}/close")
    no_note = client.post(close_url, {"note": ""}, follow=True)
    assert "needs a note" in no_note.content.decode()
    client.post(close_url, {"note": "Firmware updated."})
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CLOSED
    assert assignment.closing_note == "Firmware updated."
    assert client.post(url(case, "/assignments/999999/close"), {"note": "x"}).status_code == 404


def test_refer_to_an_unknown_queue_is_refused(agent, case):
    response = login(agent).post(
        url(case, "/assignments"), {"queue": "abc", "description": "Do it"}, **HX
    )
    assert response.status_code == 422 and "Choose a team queue" in response.content.decode()
    assert not CaseAssignment.objects.exists()


def test_claim_an_unassigned_case_from_its_page(tenant, agent, support_queue_with_both_agents):
    case = make_case(tenant, subject="Nobody's", queue_id=support_queue_with_both_agents.pk)
    client = login(agent)
    assert 'data-testid="claim"' in client.get(url(case)).content.decode()
    response = client.post(f"/cases/{case.display_number}/claim", {"next": url(case)}, follow=True)
    assert response.redirect_chain[-1][0] == url(case)
    case.refresh_from_db()
    assert case.owner_id == agent.user_id and case.status == "open"
    body = response.content.decode()
    assert 'data-testid="claim"' not in body and "claimed the case" in body


def test_owner_change_to_a_member_or_a_queue(agent, agent2, case, engineering):
    client = login(agent)
    response = client.post(url(case, "/owner"), {"value": f"user:{agent2.user_id}"}, **HX)
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    case.refresh_from_db()
    assert case.owner_id == agent2.user_id
    assert Notification.objects.filter(
        recipient=agent2.user, kind=NotificationKind.ASSIGNED
    ).exists()
    client.post(url(case, "/owner"), {"value": f"queue:{engineering.pk}"})
    case.refresh_from_db()
    assert case.owner_id is None and case.queue_id == engineering.pk
    body = client.get(url(case)).content.decode()
    assert "gave the case to the Engineering queue" in body and "<del>Bob Agent</del>" in body
    assert "<del>Support</del>" in body and "<ins>Engineering</ins>" in body


def test_owner_change_to_a_stranger_is_refused(agent, case, outsider):
    client = login(agent)
    response = client.post(url(case, "/owner"), {"value": f"user:{outsider.user_id}"}, **HX)
    assert response.status_code == 422 and "not a member" in response.content.decode()
    plain = client.post(url(case, "/owner"), {"value": "junk"}, follow=True)
    assert "Choose a person or a queue." in plain.content.decode()
    case.refresh_from_db()
    assert case.owner_id == agent.user_id


# --- follow-ups -----------------------------------------------------------------------------


def _closed(case: Case, at: datetime) -> Case:
    for to in ("open", "in_progress"):
        case_transition(case=case, actor=None, to=to, now=at)
    case_transition(case=case, actor=None, to="resolved", note="Fixed", now=at)
    return case_transition(
        case=case, actor=None, to="closed", note="Done", closed_reason="Resolved", now=at
    )


def test_follow_up_is_offered_only_past_the_reopen_window(agent, case, clock):
    _closed(case, clock.now)
    client = login(agent)
    clock.advance(hours=1)
    page = client.get(url(case)).content.decode()
    assert 'data-testid="follow-up-offer"' not in page and 'data-testid="move-open"' in page
    clock.advance(hours=6)
    page = client.get(url(case)).content.decode()
    assert 'data-testid="follow-up-offer"' in page and "closed more than 6 hours ago" in page
    assert 'data-testid="move-open"' not in page
    response = client.post(url(case, "/follow-up"), follow=True)
    follow_up = Case.objects.get(follow_up_of=case)
    assert response.redirect_chain[-1][0] == url(follow_up)
    body = response.content.decode()
    assert f"Follow-up case {follow_up.display_number} created" in body
    assert 'data-testid="parent-link"' in body and f'href="{url(case)}"' in body
    parent = client.get(url(case)).content.decode()
    assert f'href="{url(follow_up)}"' in parent and "created a follow-up case" in parent
    htmx = client.post(url(case, "/follow-up"), **HX)
    assert htmx.status_code == 200 and htmx["HX-Redirect"].startswith("/cases/")


def test_follow_up_of_an_open_case_is_refused(agent, case):
    response = login(agent).post(url(case, "/follow-up"), **HX)
    assert response.status_code == 409 and "follow-up cases are for closed cases" in (
        response.content.decode()
    )
    assert Case.objects.count() == 1


# --- collision notice -----------------------------------------------------------------------


def test_two_members_viewing_see_each_other_and_typing_shows(agent, agent2, case, clock):
    alice, bob = login(agent), login(agent2)
    first = alice.post(url(case, "/presence"), **HX).content.decode()
    assert "is viewing" not in first
    seen_by_bob = bob.post(url(case, "/presence"), **HX).content.decode()
    assert "Alice Agent</strong> is viewing" in seen_by_bob
    seen_by_alice = alice.post(url(case, "/presence"), **HX).content.decode()
    assert "Bob Agent</strong> is viewing" in seen_by_alice
    clock.advance(seconds=3)
    bob.post(url(case, "/presence"), {"typing": "1"}, **HX)
    assert (
        "Bob Agent</strong> is typing a reply…"
        in alice.post(url(case, "/presence"), **HX).content.decode()
    )
    # The page itself shows who is there, even before the first poll.
    assert "Bob Agent</strong> is typing a reply…" in alice.get(url(case)).content.decode()
    clock.advance(seconds=9)  # Bob still polls but stopped typing
    bob.post(url(case, "/presence"), **HX)
    assert (
        "Bob Agent</strong> is viewing" in alice.post(url(case, "/presence"), **HX).content.decode()
    )
    clock.advance(seconds=16)  # Bob left
    assert "Bob Agent" not in alice.post(url(case, "/presence"), **HX).content.decode()
    assert CasePresence.objects.filter(case=case).count() == 2


def test_leaving_the_page_ends_presence_at_once(agent, agent2, case, clock):
    alice, bob = login(agent), login(agent2)
    bob.post(url(case, "/presence"), **HX)
    assert "Bob Agent" in alice.post(url(case, "/presence"), **HX).content.decode()
    assert bob.post(url(case, "/presence/leave")).status_code == 204
    assert "Bob Agent" not in alice.post(url(case, "/presence"), **HX).content.decode()


def test_presence_needs_post(agent, case):
    assert login(agent).get(url(case, "/presence")).status_code == 405


# --- timeline paging and query count --------------------------------------------------------


def _grow(case: Case, agent: Membership, agent2: Membership, engineering: Queue, n: int) -> None:
    for i in range(n):
        case_add_note(
            case=case, actor=agent.user, body=f"Note {i} for @bob", is_public=i % 2 == 0, now=NOW
        )
        case_update(
            case=case,
            actor=agent.user,
            changes={"tags": [f"t{i}"], "owner_id": agent2.user_id if i % 2 else agent.user_id},
            now=NOW,
        )
    assignment_open(case=case, actor=agent.user, queue=engineering, description="Look", now=NOW)


def test_query_count_does_not_grow_with_the_timeline(agent, agent2, case, engineering):
    client = login(agent)
    client.get(url(case))  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(case)).status_code == 200
    _grow(case, agent, agent2, engineering, 30)
    contact = ContactFactory(tenant=case.tenant, name="Rita")
    case_update(case=case, actor=agent.user, changes={"contact_id": contact.pk}, now=NOW)
    assert len(events(case)) > 60
    with CaptureQueriesContext(connection) as large:
        assert client.get(url(case)).status_code == 200
    # A few lookups (names of owners, queues, contacts in the events) appear once the
    # timeline refers to them; their number is fixed, not per event.
    assert len(large) <= len(small) + 4, [q["sql"] for q in large.captured_queries]
    _grow(case, agent, agent2, engineering, 30)
    with CaptureQueriesContext(connection) as larger:
        assert client.get(url(case)).status_code == 200
    assert len(larger) <= len(large)


def test_older_activity_pages_in(agent, agent2, case, engineering):
    _grow(case, agent, agent2, engineering, 30)
    client = login(agent)
    page = client.get(url(case)).content.decode()
    assert "Show older activity" in page and "Note 29 for" in page and "Note 0 for" not in page
    cursor = page.split("?cursor=")[1].split('"')[0].split("#")[0]
    older = client.get(url(case) + f"?cursor={cursor}", **HX)
    html = older.content.decode()
    assert "<html" not in html and "Note 0 for" in html and "Note 29 for" not in html
    plain = client.get(url(case) + f"?cursor={cursor}").content.decode()
    assert "Back to the newest activity" in plain and "Note 0 for" in plain
    assert client.get(url(case) + "?cursor=garbage").status_code == 422
