"""Console pages of the foundation: inbox, case list, bulk actions, saved views, search, bell,
notifications, tenant switcher."""

from datetime import timedelta

from django.test import Client

from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note
from casedesk.console.models import SavedView
from casedesk.notifications.models import Notification
from casedesk.routing.models import Queue
from casedesk.tenancy.services import membership_add
from tests.conftest import NOW, login
from tests.factories import AccountFactory, make_case


def test_pages_need_login(db) -> None:
    for path in ("/inbox/cases", "/cases", "/notifications"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_inbox_shows_mine_and_unassigned_of_my_queues_in_claim_order(
    tenant, agent, support_queue_with_both_agents
):
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    old = make_case(
        tenant,
        subject="Old normal",
        queue_id=support_queue_with_both_agents.pk,
        now=NOW - timedelta(days=2),
    )
    urgent = make_case(
        tenant, subject="Fresh urgent", queue_id=support_queue_with_both_agents.pk, priority=4
    )
    mine = make_case(tenant, subject="Mine", owner_id=agent.user_id, queue_id=finance.pk)
    make_case(tenant, subject="Other queue", queue_id=finance.pk)
    body = login(agent).get("/inbox/cases").content.decode()
    assert "Other queue" not in body
    positions = [body.index(c.subject) for c in (urgent, old)]
    assert positions == sorted(positions)
    assert mine.subject in body
    assert "2 waiting" in body


def test_claim_from_inbox_and_the_loser_is_told(
    tenant, agent, agent2, support_queue_with_both_agents
):
    case = make_case(tenant, queue_id=support_queue_with_both_agents.pk)
    response = login(agent).post(f"/cases/{case.display_number}/claim", follow=True)
    assert "You claimed" in response.content.decode()
    late = login(agent2).post(f"/cases/{case.display_number}/claim", HTTP_HX_REQUEST="true")
    assert late.status_code == 409
    assert "already claimed by Alice Agent" in late.content.decode()
    case.refresh_from_db()
    assert case.owner_id == agent.user_id


def test_claim_next_opens_the_claimed_case(tenant, agent, support_queue_with_both_agents):
    case = make_case(tenant, queue_id=support_queue_with_both_agents.pk)
    response = login(agent).post(f"/inbox/queues/{support_queue_with_both_agents.pk}/claim-next")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.display_number}"
    empty = login(agent).post(
        f"/inbox/queues/{support_queue_with_both_agents.pk}/claim-next", follow=True
    )
    assert "Nothing is waiting" in empty.content.decode()


def test_inbox_query_count_does_not_grow_with_cases(
    tenant, agent, support_queue_with_both_agents, django_assert_max_num_queries
):
    client = login(agent)
    for n in range(3):
        make_case(tenant, subject=f"Case {n}", queue_id=support_queue_with_both_agents.pk)
    # The page's own reads, the tasks due today (rendered with the page) among them.
    with django_assert_max_num_queries(15) as few:
        client.get("/inbox/cases")
    for n in range(30):
        make_case(
            tenant,
            subject=f"More {n}",
            queue_id=support_queue_with_both_agents.pk,
            owner_id=agent.user_id,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/inbox/cases")


def test_case_list_filters_and_sorts(tenant, agent):
    account = AccountFactory(tenant=tenant)
    make_case(
        tenant, subject="Billing urgent", priority=4, category="Billing", account_id=account.pk
    )
    make_case(tenant, subject="Login low", priority=1, category="Technical")
    client = login(agent)
    body = client.get("/cases", {"category": "Billing"}).content.decode()
    assert "Billing urgent" in body and "Login low" not in body
    body = client.get("/cases", {"account": account.pk}).content.decode()
    assert "Billing urgent" in body and "Login low" not in body
    body = client.get("/cases", {"q": "login"}).content.decode()
    assert "Login low" in body and "Billing urgent" not in body
    body = client.get("/cases", {"sort": "priority"}).content.decode()
    assert body.index("Login low") < body.index("Billing urgent")


def test_case_list_pages_with_a_cursor(tenant, agent):
    for n in range(55):
        make_case(tenant, subject=f"Case number {n:02d}")
    client = login(agent)
    first = client.get("/cases")
    assert "Case number 54" in first.content.decode()
    assert "Case number 04" not in first.content.decode()
    cursor = first.context["page"].next_cursor
    second = client.get("/cases", {"cursor": cursor}).content.decode()
    assert "Case number 04" in second and "Case number 54" not in second


def test_case_list_query_count_is_flat(tenant, agent, django_assert_max_num_queries):
    client = login(agent)
    make_case(tenant)
    with django_assert_max_num_queries(20) as few:
        client.get("/cases")
    for n in range(40):
        make_case(
            tenant,
            subject=f"n{n}",
            account_id=AccountFactory(tenant=tenant).pk,
            owner_id=agent.user_id,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/cases")


def test_bad_filters_and_cursor_do_not_break_the_list(tenant, agent):
    client = login(agent)
    assert client.get("/cases", {"status": "bogus", "owner": "x"}).status_code == 200
    response = client.get("/cases", {"cursor": "not-a-cursor"}, follow=True)
    assert response.status_code == 200
    assert "cursor" in response.content.decode()


def test_bulk_assign_status_priority_report_refusals(tenant, agent, agent2):
    new = make_case(tenant, subject="New one")
    other = make_case(tenant, subject="Other")
    client = login(agent)
    numbers = [new.display_number, other.display_number]
    client.post(
        "/cases/bulk",
        {"numbers": numbers, "action": "assign", "assign_to": f"user:{agent2.user_id}"},
    )
    assert set(Case.objects.values_list("owner_id", flat=True)) == {agent2.user_id}
    client.post("/cases/bulk", {"numbers": numbers, "action": "priority", "priority": "high"})
    assert set(Case.objects.values_list("priority", flat=True)) == {3}
    response = client.post(
        "/cases/bulk",
        {"numbers": numbers, "action": "status", "to": "resolved", "note": "done"},
        follow=True,
    )
    body = response.content.decode()
    assert "Allowed moves from new: open" in body
    assert set(Case.objects.values_list("status", flat=True)) == {"new"}
    client.post("/cases/bulk", {"numbers": [new.display_number], "action": "status", "to": "open"})
    new.refresh_from_db()
    assert new.status == "open"


def test_bulk_ignores_other_tenants_cases(tenant, other_tenant, agent):
    foreign = make_case(other_tenant, subject="Foreign")
    response = login(agent).post(
        "/cases/bulk",
        {"numbers": [foreign.display_number], "action": "priority", "priority": "urgent"},
        follow=True,
    )
    assert "No case" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.priority == 2


def test_saved_views_are_per_user(tenant, agent, agent2):
    client = login(agent)
    client.post(
        "/cases/views", {"name": "Urgent billing", "query": "priority=urgent&category=Billing"}
    )
    view = SavedView.objects.get(user=agent.user)
    assert view.query == "priority=urgent&category=Billing"
    assert "Urgent billing" in client.get("/cases").content.decode()
    assert "Urgent billing" not in login(agent2).get("/cases").content.decode()
    assert login(agent2).post(f"/cases/views/{view.pk}/delete").status_code == 404
    client.post(f"/cases/views/{view.pk}/delete")
    assert not SavedView.objects.exists()


def test_search_goes_to_a_case_number_or_searches_text(tenant, agent):
    case = make_case(tenant, subject="Invoice VAT wrong")
    client = login(agent)
    assert client.get("/search", {"q": case.display_number})["Location"] == (
        f"/cases/{case.display_number}"
    )
    words = client.get("/search", {"q": "VAT"})
    assert words.status_code == 200
    assert case.display_number in words.content.decode()


def test_mention_rings_the_other_agents_bell(tenant, agent, agent2):
    case = make_case(tenant)
    bob = login(agent2)
    assert ">0</span>" in bob.get("/notifications/bell").content.decode()
    case_add_note(case=case, actor=agent.user, body="@bob can you look?", is_public=False, now=NOW)
    assert ">1</span>" in bob.get("/notifications/bell").content.decode()
    assert "@bob can you look?" in bob.get("/notifications").content.decode()
    note = Notification.objects.get(recipient=agent2.user)
    bob.post("/notifications/read", {"id": note.pk})
    assert ">0</span>" in bob.get("/notifications/bell").content.decode()
    assert not Notification.objects.filter(recipient=agent.user).exists()


def test_tenant_switcher_changes_the_working_tenant(tenant, other_tenant, agent):
    membership_add(tenant=other_tenant, user=agent.user, role="agent")
    make_case(other_tenant, subject="Globex case")
    client = login(agent)
    assert "Globex case" not in client.get("/cases").content.decode()
    client.post("/tenant", {"tenant": other_tenant.pk})
    assert "Globex case" in client.get("/cases").content.decode()
    response = client.post("/tenant", {"tenant": 999999}, follow=True)
    assert "not a member" in response.content.decode()


def test_user_without_tenant_gets_a_clear_403(db):
    from casedesk.tenancy.services import user_get_or_create

    lonely = user_get_or_create(email="lonely@nowhere.test")
    client = Client()
    client.force_login(lonely)
    response = client.get("/inbox/cases")
    assert response.status_code == 403
    assert b"not a member of any tenant" in response.content


def test_list_filters_by_any_account_and_by_contact(tenant, agent, monkeypatch):
    from casedesk.console import filters
    from tests.factories import ContactFactory

    monkeypatch.setattr(filters, "ACCOUNT_CHOICES_MAX", 1)
    AccountFactory(tenant=tenant, name="Aardvark first")
    late = AccountFactory(tenant=tenant, name="Zebra last")
    contact = ContactFactory(tenant=tenant, account=late)
    make_case(tenant, subject="Zebra case", account_id=late.pk)
    make_case(tenant, subject="Contact case", contact_id=contact.pk)
    client = login(agent)
    body = client.get("/cases", {"account": late.pk}).content.decode()
    assert "Zebra case" in body and "not understood" not in body
    body = client.get("/cases", {"contact": contact.pk}).content.decode()
    assert "Contact case" in body and "Zebra case" not in body


def test_a_new_tenants_admin_sees_what_arrives_in_the_default_queues(tenant, admin):
    waiting = make_case(
        tenant,
        subject="First customer ever",
        queue_id=Queue.objects.get(tenant=tenant, name="Support").pk,
    )
    body = login(admin).get("/inbox/cases").content.decode()
    assert waiting.subject in body and "not a member of any queue" not in body


def test_a_member_of_no_queue_joins_one_in_one_click(tenant, agent, other_tenant):
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    waiting = make_case(tenant, subject="Refund please", queue_id=finance.pk)
    client = login(agent)
    body = client.get("/inbox/cases").content.decode()
    assert "not a member of any queue" in body and "Join Finance" in body
    assert waiting.subject not in body
    response = client.post(f"/inbox/queues/{finance.pk}/join", follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "You joined Finance" in body and waiting.subject in body
    assert list(agent.queues.all()) == [finance]
    # Another tenant's queue is not found, and joins nothing.
    theirs = Queue.objects.get(tenant=other_tenant, name="Finance")
    assert client.post(f"/inbox/queues/{theirs.pk}/join").status_code == 404
    assert not theirs.members.exists() or agent not in theirs.members.all()


def test_an_archived_queue_takes_no_members(tenant, agent):
    archived = Queue.objects.get(tenant=tenant, name="Engineering")
    archived.is_active = False
    archived.save(update_fields=["is_active"])
    client = login(agent)
    assert "Join Engineering" not in client.get("/inbox/cases").content.decode()
    response = client.post(f"/inbox/queues/{archived.pk}/join", follow=True)
    assert "archived" in response.content.decode()
    assert not agent.queues.exists()
