"""The queue pages: creating a queue, its own page (rename, description, address, members),
archiving and restoring it; admins change, managers read, agents are refused and another
tenant's queue is not found."""

import html

import pytest

from casedesk.routing.models import Queue
from casedesk.routing.services import RuleInput, rule_create
from casedesk.tenancy.models import Membership
from tests.conftest import NOW, login
from tests.factories import make_case


def text(response) -> str:
    return html.unescape(response.content.decode())


def member_ids(queue: Queue) -> list[int]:
    return sorted(queue.members.values_list("user_id", flat=True))


def details(name: str, description: str = "", email: str = "") -> dict[str, str]:
    return {"name": name, "description": description, "email": email}


# --- creating -----------------------------------------------------------------------------------

def test_an_admin_creates_a_queue_and_lands_on_its_members(admin, tenant) -> None:
    client = login(admin)
    overview = text(client.get("/routing/queues"))
    assert 'href="/routing/queues/new"' in overview
    assert client.get("/routing/queues/new").status_code == 200
    response = client.post("/routing/queues/new",
                           details(" Escalations ", "Hot potatoes", "Esc@Acme.test"))
    queue = Queue.objects.get(tenant=tenant, name="Escalations")
    assert (queue.description, queue.email, queue.is_active) == (
        "Hot potatoes", "esc@acme.test", True)
    assert response.status_code == 302
    assert response["Location"] == f"/routing/queues/{queue.pk}#members"
    page = text(client.get(response["Location"]))
    assert "Queue “Escalations” created" in page and 'data-testid="save-members"' in page
    assert f'href="/routing/queues/{queue.pk}"' in text(client.get("/routing/queues"))


@pytest.mark.parametrize("name", ["Support", "support", " SUPPORT "])
def test_a_duplicate_name_is_refused_on_the_name_field(admin, tenant, name) -> None:
    response = login(admin).post("/routing/queues/new", details(name, "Typed text"))
    assert response.status_code == 409
    page = text(response)
    assert "A queue named “Support” exists already" in page and "Nothing was saved" in page
    assert 'value="' + name + '"' in page and "Typed text" in page  # what was typed stays
    assert Queue.objects.filter(tenant=tenant).count() == 3


def test_an_over_long_name_is_refused(admin, tenant) -> None:
    response = login(admin).post("/routing/queues/new", details("q" * 101))
    assert response.status_code == 422
    assert "Name has at most 100 characters" in text(response)
    assert Queue.objects.filter(tenant=tenant).count() == 3


@pytest.mark.parametrize(("sent", "says"), [
    (details(""), "A queue needs a name"),
    (details("Ok", "d" * 501), "Description has at most 500 characters"),
    (details("Ok", email="not-an-address"), "Not an email address: not-an-address"),
    (details("Ok\x00"), "Name"),
])
def test_other_bad_details_are_refused(admin, tenant, sent, says) -> None:
    response = login(admin).post("/routing/queues/new", sent)
    assert response.status_code == 422
    assert says in text(response)
    assert Queue.objects.filter(tenant=tenant).count() == 3


# --- the queue's page ---------------------------------------------------------------------------

def test_an_admin_renames_a_queue_and_changes_its_address(admin, finance) -> None:
    client = login(admin)
    page = text(client.get(f"/routing/queues/{finance.pk}"))
    assert 'value="Finance"' in page and 'data-testid="fallback-note"' in page
    response = client.post(f"/routing/queues/{finance.pk}",
                           details("Billing desk", "Money matters", "billing@acme.test"))
    assert response.status_code == 302 and response["Location"] == f"/routing/queues/{finance.pk}"
    finance.refresh_from_db()
    assert (finance.name, finance.description, finance.email) == (
        "Billing desk", "Money matters", "billing@acme.test")
    assert "Queue “Billing desk” saved" in text(client.get(response["Location"]))


def test_a_rename_to_a_taken_name_is_refused_and_keeps_what_was_typed(admin, finance) -> None:
    response = login(admin).post(f"/routing/queues/{finance.pk}",
                                 details("ENGINEERING", "New words"))
    assert response.status_code == 409
    page = text(response)
    assert "A queue named “Engineering” exists already" in page
    assert 'value="ENGINEERING"' in page and "New words" in page
    finance.refresh_from_db()
    assert finance.name == "Finance" and finance.description != "New words"


def test_an_over_long_rename_is_refused(admin, finance) -> None:
    response = login(admin).post(f"/routing/queues/{finance.pk}", details("q" * 101))
    assert response.status_code == 422 and "Name has at most 100 characters" in text(response)
    assert Queue.objects.get(pk=finance.pk).name == "Finance"


def test_an_admin_sets_the_members(admin, agent, agent2, seeded_support_queue) -> None:
    client = login(admin)
    page = text(client.get(f"/routing/queues/{seeded_support_queue.pk}"))
    for m in (admin, agent, agent2):
        assert f'value="{m.user_id}"' in page
    assert f'value="{admin.user_id}" checked' in page
    assert f'value="{agent.user_id}" checked' not in page
    response = client.post(f"/routing/queues/{seeded_support_queue.pk}/members",
                           {"members": [str(agent.user_id), str(agent2.user_id)]})
    assert response.status_code == 302
    assert response["Location"] == f"/routing/queues/{seeded_support_queue.pk}#members"
    assert member_ids(seeded_support_queue) == sorted([agent.user_id, agent2.user_id])
    assert "Support has 2 members now" in text(client.get(response["Location"]))
    client.post(f"/routing/queues/{seeded_support_queue.pk}/members", {})
    assert member_ids(seeded_support_queue) == []


def test_members_from_another_tenant_or_not_numbers_are_refused(admin, agent, outsider,
                                                                seeded_support_queue) -> None:
    client = login(admin)
    url = f"/routing/queues/{seeded_support_queue.pk}/members"
    response = client.post(url, {"members": [str(agent.user_id), str(outsider.user_id)]})
    assert response.status_code == 422
    page = text(response)
    assert f"No member of this tenant has user id {outsider.user_id}" in page
    assert f'value="{agent.user_id}" checked' in page  # what was sent stays checked
    assert client.post(url, {"members": ["x"]}).status_code == 422
    assert member_ids(seeded_support_queue) == [Membership.objects.get(
        tenant=seeded_support_queue.tenant, user__email="admin@acme.test").user_id]


def test_a_deactivated_member_is_shown_as_such_and_can_be_left_out(admin, agent,
                                                                   seeded_support_queue) -> None:
    seeded_support_queue.members.add(agent)
    Membership.objects.filter(pk=agent.pk).update(is_active=False)
    client = login(admin)
    page = text(client.get(f"/routing/queues/{seeded_support_queue.pk}"))
    assert "deactivated: gets no cases" in page and f'value="{agent.user_id}" checked' in page
    client.post(f"/routing/queues/{seeded_support_queue.pk}/members",
                {"members": [str(admin.user_id)]})
    assert member_ids(seeded_support_queue) == [admin.user_id]
    assert f'value="{agent.user_id}"' not in text(
        client.get(f"/routing/queues/{seeded_support_queue.pk}"))


# --- archiving and restoring --------------------------------------------------------------------

def test_an_admin_archives_and_restores_a_queue(admin, tenant, finance) -> None:
    client = login(admin)
    response = client.post(f"/routing/queues/{finance.pk}/archive")
    assert response.status_code == 302 and response["Location"] == f"/routing/queues/{finance.pk}"
    assert Queue.objects.get(pk=finance.pk).is_active is False
    page = text(client.get(response["Location"]))
    assert "Finance is archived" in page and 'data-testid="restore-queue"' in page
    assert 'data-testid="archived"' in page
    overview = text(client.get("/routing/queues"))
    card = overview[overview.index(f'id="queue-{finance.pk}"'):].split("</section>")[0]
    assert "Archived" in card
    assert make_case(tenant, category="Billing").queue.name == "Support"
    response = client.post(f"/routing/queues/{finance.pk}/restore")
    assert response.status_code == 302
    assert Queue.objects.get(pk=finance.pk).is_active is True
    assert "Finance is back" in text(client.get(response["Location"]))
    assert make_case(tenant, category="Billing").queue.name == "Finance"


def test_archiving_with_cases_waiting_is_refused_saying_how_many(admin, tenant, finance) -> None:
    make_case(tenant, category="Billing")
    client = login(admin)
    assert "1 open case waiting to be claimed" in text(client.get(f"/routing/queues/{finance.pk}"))
    response = client.post(f"/routing/queues/{finance.pk}/archive")
    assert response.status_code == 409
    assert "1 open case is waiting in Finance without an owner" in text(response)
    assert Queue.objects.get(pk=finance.pk).is_active is True


def test_archiving_a_queue_a_rule_sends_to_is_refused_naming_the_rule(admin, tenant,
                                                                      finance) -> None:
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Refunds to Finance", actions={"queue_id": finance.pk}))
    client = login(admin)
    assert "Routing rule “" in text(client.get(f"/routing/queues/{finance.pk}"))
    response = client.post(f"/routing/queues/{finance.pk}/archive")
    assert response.status_code == 409
    assert "The routing rule “Refunds to Finance” sends cases to Finance" in text(response)
    assert Queue.objects.get(pk=finance.pk).is_active is True


# --- who may ------------------------------------------------------------------------------------

def queue_writes(queue: Queue, user_id: int) -> list[tuple[str, dict[str, object]]]:
    return [
        ("/routing/queues/new", details("Mine")),
        (f"/routing/queues/{queue.pk}", details("Mine")),
        (f"/routing/queues/{queue.pk}/members", {"members": [str(user_id)]}),
        (f"/routing/queues/{queue.pk}/archive", {}),
        (f"/routing/queues/{queue.pk}/restore", {}),
    ]


def test_an_agent_is_refused_every_queue_page(agent, finance) -> None:
    client = login(agent)
    for path in ("/routing/queues", "/routing/queues/new", f"/routing/queues/{finance.pk}"):
        assert client.get(path).status_code == 403, path
    for path, data in queue_writes(finance, agent.user_id):
        assert client.post(path, data).status_code == 403, path
    finance.refresh_from_db()
    assert (finance.name, finance.is_active) == ("Finance", True)


def test_a_manager_reads_a_queue_but_changes_nothing(manager, agent, finance) -> None:
    client = login(manager)
    page = text(client.get(f"/routing/queues/{finance.pk}"))
    assert 'value="Finance"' in page and 'class="bare" disabled' in page
    for control in ("save-queue", "save-members", "archive-queue"):
        assert f'data-testid="{control}"' not in page
    overview = text(client.get("/routing/queues"))
    assert 'href="/routing/queues/new"' not in overview
    assert f'href="/routing/queues/{finance.pk}"' in overview
    assert client.get("/routing/queues/new").status_code == 403
    members = member_ids(finance)
    for path, data in queue_writes(finance, agent.user_id):
        assert client.post(path, data).status_code == 403, path
    finance.refresh_from_db()
    assert (finance.name, finance.is_active) == ("Finance", True)
    assert member_ids(finance) == members
    assert not Queue.objects.filter(name="Mine").exists()


def test_another_tenants_queue_is_not_found(outsider, agent, finance) -> None:
    client = login(outsider)  # an admin, of Globex
    assert client.get(f"/routing/queues/{finance.pk}").status_code == 404
    for path, data in queue_writes(finance, outsider.user_id)[1:]:
        assert client.post(path, data).status_code == 404, path
    finance.refresh_from_db()
    assert (finance.name, finance.is_active) == ("Finance", True)
    assert outsider.user_id not in member_ids(finance)
    for queue_id in ("0", "99999999999999999999"):
        assert client.get(f"/routing/queues/{queue_id}").status_code == 404
