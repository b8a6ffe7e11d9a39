"""The queue services: creating and renaming (names unique per tenant whatever their case,
lengths from the columns), setting the members, archiving and restoring — and that an
archived queue takes no new case from any path that files one."""

import pytest

from casedesk.cases.models import Case, Status
from casedesk.core.errors import Conflict, Invalid
from casedesk.routing.models import Queue, Strategy
from casedesk.routing.queues import (
    QueueConflict,
    queue_archive,
    queue_create,
    queue_restore,
    queue_set_members,
    queue_update,
)
from casedesk.routing.rules import CaseFacts
from casedesk.routing.selectors import queue_ties, rule_form_choices
from casedesk.routing.services import RuleInput, decide, rule_create, rule_update
from casedesk.tenancy.models import Membership, User
from tests.conftest import NOW
from tests.factories import make_case


def member_ids(queue: Queue) -> list[int]:
    return sorted(queue.members.values_list("user_id", flat=True))


# --- creating and renaming ----------------------------------------------------------------------

def test_a_queue_is_created_with_its_details_trimmed(tenant, agent) -> None:
    queue = queue_create(tenant=tenant, name="  Escalations ", description="Hot potatoes",
                         email=" Esc@Acme.TEST ", member_ids=[agent.user_id])
    queue.refresh_from_db()
    assert (queue.name, queue.description, queue.email, queue.is_active) == (
        "Escalations", "Hot potatoes", "esc@acme.test", True)
    assert member_ids(queue) == [agent.user_id]


@pytest.mark.parametrize("name", ["support", "SUPPORT", " Support "])
def test_a_name_is_unique_in_the_tenant_whatever_its_case(tenant, other_tenant, name) -> None:
    with pytest.raises(QueueConflict) as refused:
        queue_create(tenant=tenant, name=name)
    assert refused.value.field == "name" and "Support" in refused.value.detail
    assert refused.value.status_code == 409
    assert Queue.objects.filter(tenant=tenant).count() == 3
    assert queue_create(tenant=other_tenant, name="Escalations").tenant_id == other_tenant.pk
    assert queue_create(tenant=tenant, name="Escalations").tenant_id == tenant.pk  # not taken


def test_a_rename_to_another_queues_name_is_refused_and_changes_nothing(finance) -> None:
    with pytest.raises(QueueConflict) as refused:
        queue_update(queue=finance, changes={"name": "engineering", "description": "x"})
    assert refused.value.field == "name"
    finance.refresh_from_db()
    assert (finance.name, finance.description) == ("Finance", "Billing, invoices, refunds and "
                                                   "payment problems.")
    # Its own name in another case is a rename, not a clash.
    assert queue_update(queue=finance, changes={"name": "FINANCE"}).name == "FINANCE"


@pytest.mark.parametrize(("values", "field"), [
    ({"name": "q" * 101}, "name"), ({"name": "   "}, "name"),
    ({"name": "ok", "description": "d" * 501}, "description"),
    ({"name": "ok", "email": "a" * 250 + "@x.test"}, "email"),
    ({"name": "ok", "email": "not an address"}, "email"),
    ({"name": "ok", "strategy": "lottery"}, "strategy"),
])
def test_what_the_columns_cannot_hold_is_refused_on_its_field(tenant, values, field) -> None:
    with pytest.raises(Invalid) as refused:
        queue_create(tenant=tenant, **values)
    assert refused.value.field == field
    assert Queue.objects.filter(tenant=tenant).count() == 3
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    with pytest.raises(Invalid):
        queue_update(queue=finance, changes=values)
    finance.refresh_from_db()
    assert finance.name == "Finance"


def test_an_address_taking_mail_in_elsewhere_is_refused_on_its_field(tenant, other_tenant,
                                                                     finance) -> None:
    queue_create(tenant=other_tenant, name="Help", email="help@globex.test")
    with pytest.raises(QueueConflict) as refused:
        queue_update(queue=finance, changes={"email": "HELP@globex.test"})
    assert refused.value.field == "email"


def test_an_update_keeps_round_robins_place_in_the_rota(finance, agent) -> None:
    stale = Queue.objects.get(pk=finance.pk)
    Queue.objects.filter(pk=finance.pk).update(rr_last_user_id=agent.user_id)
    queue_update(queue=stale, changes={"description": "Money"})
    assert Queue.objects.get(pk=finance.pk).rr_last_user_id == agent.user_id


# --- members ------------------------------------------------------------------------------------

def test_setting_members_replaces_the_set(admin, agent, agent2, seeded_support_queue) -> None:
    assert member_ids(seeded_support_queue) == [admin.user_id]
    queue_set_members(queue=seeded_support_queue, member_ids=[agent.user_id, agent2.user_id])
    assert member_ids(seeded_support_queue) == sorted([agent.user_id, agent2.user_id])
    queue_set_members(queue=seeded_support_queue, member_ids=[])
    assert member_ids(seeded_support_queue) == []


def test_another_tenants_member_is_refused_and_nothing_changes(admin, agent, outsider,
                                                               seeded_support_queue) -> None:
    with pytest.raises(Invalid) as refused:
        queue_set_members(queue=seeded_support_queue,
                          member_ids=[agent.user_id, outsider.user_id])
    assert refused.value.field == "member_ids" and str(outsider.user_id) in refused.value.detail
    assert member_ids(seeded_support_queue) == [admin.user_id]
    with pytest.raises(Invalid):
        queue_create(tenant=seeded_support_queue.tenant, name="Mixed",
                     member_ids=[outsider.user_id])
    assert not Queue.objects.filter(name="Mixed").exists()


@pytest.mark.parametrize("switch_off", ["membership", "user"])
def test_a_deactivated_member_cannot_be_added_but_may_stay(admin, agent, agent2,
                                                           seeded_support_queue,
                                                           switch_off) -> None:
    queue_set_members(queue=seeded_support_queue, member_ids=[admin.user_id, agent.user_id])
    for someone in (agent, agent2):
        if switch_off == "membership":
            Membership.objects.filter(pk=someone.pk).update(is_active=False)
        else:
            User.objects.filter(pk=someone.user_id).update(is_active=False)
    with pytest.raises(Invalid) as refused:
        queue_set_members(queue=seeded_support_queue, member_ids=[admin.user_id,
                                                                  agent2.user_id])
    assert "Bob Agent is deactivated" in refused.value.detail
    assert member_ids(seeded_support_queue) == sorted([admin.user_id, agent.user_id])
    queue_set_members(queue=seeded_support_queue, member_ids=[admin.user_id, agent.user_id])
    assert member_ids(seeded_support_queue) == sorted([admin.user_id, agent.user_id])
    queue_set_members(queue=seeded_support_queue, member_ids=[admin.user_id])
    assert member_ids(seeded_support_queue) == [admin.user_id]
    with pytest.raises(Invalid):  # once out, back in only when active again
        queue_set_members(queue=seeded_support_queue, member_ids=[agent.user_id])


# --- archiving ----------------------------------------------------------------------------------

def test_an_archived_queue_takes_no_new_case_from_routing(tenant, finance,
                                                          seeded_support_queue) -> None:
    queue_archive(queue=finance)
    assert Queue.objects.get(pk=finance.pk).is_active is False
    # The fallback map's Billing → Finance becomes Billing → Support.
    assert make_case(tenant, category="Billing").queue_id == seeded_support_queue.pk
    # A queue given with the case is refused by the case services...
    with pytest.raises(Invalid):
        make_case(tenant, queue_id=finance.pk)
    # ...and passed over by routing where nothing checked it before (a batch of mail
    # addressed to the queue before it was archived).
    route = decide(tenant, CaseFacts(category="Billing"), given_queue_id=finance.pk)
    assert (route.queue, route.via) == (seeded_support_queue, "fallback")
    assert finance.pk not in dict(rule_form_choices(tenant)["queues"])
    with pytest.raises(Invalid):
        rule_create(tenant=tenant, now=NOW, data=RuleInput(
            name="To Finance", actions={"queue_id": finance.pk}))


def test_with_support_archived_too_a_case_goes_to_no_queue(tenant, finance,
                                                           seeded_support_queue) -> None:
    queue_archive(queue=finance)
    queue_archive(queue=seeded_support_queue)
    case = make_case(tenant, category="Billing")
    assert case.queue_id is None


def test_cases_already_in_an_archived_queue_stay_there(tenant, agent, finance) -> None:
    owned = make_case(tenant, category="Billing", owner_id=agent.user_id, queue_id=finance.pk)
    done = make_case(tenant, category="Billing")
    Case.objects.filter(pk=done.pk).update(status=Status.CLOSED)
    queue_archive(queue=finance)
    assert set(Case.objects.filter(queue_id=finance.pk).values_list("pk", flat=True)) == {
        owned.pk, done.pk}
    assert Case.objects.get(pk=owned.pk).owner_id == agent.user_id


def test_archiving_with_cases_waiting_unowned_is_refused_naming_how_many(tenant,
                                                                        finance) -> None:
    make_case(tenant, category="Billing")
    make_case(tenant, category="Billing")
    with pytest.raises(Conflict) as refused:
        queue_archive(queue=finance)
    assert refused.value.status_code == 409
    assert "2 open cases are waiting in Finance" in refused.value.detail
    assert Queue.objects.get(pk=finance.pk).is_active is True
    assert queue_ties(finance).waiting == 2


def test_archiving_a_queue_an_enabled_rule_sends_to_is_refused_naming_the_rule(
        tenant, finance) -> None:
    rule = rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Invoices to Finance", conditions=[
            {"field": "subcategory", "op": "equals", "value": "Invoice"}],
        actions={"queue_id": finance.pk}))
    with pytest.raises(Conflict) as refused:
        queue_update(queue=finance, changes={"is_active": False, "description": "x"})
    assert "“Invoices to Finance”" in refused.value.detail
    finance.refresh_from_db()
    assert finance.is_active is True and finance.description != "x"
    rule_update(rule=rule, changes={"is_enabled": False}, now=NOW)
    queue_archive(queue=finance)  # a disabled rule holds nothing
    with pytest.raises(Invalid):  # and it cannot be switched on while its queue is archived
        rule_update(rule=rule, changes={"is_enabled": True}, now=NOW)


def test_a_restored_queue_is_as_it_was(tenant, agent, finance) -> None:
    queue_update(queue=finance, changes={"strategy": Strategy.ROUND_ROBIN,
                                         "member_ids": [agent.user_id]})
    queue_archive(queue=finance)
    queue_archive(queue=finance)  # again: nothing changes
    restored = queue_restore(queue=finance)
    assert restored.is_active is True
    finance.refresh_from_db()
    assert (finance.is_active, finance.strategy) == (True, Strategy.ROUND_ROBIN)
    assert member_ids(finance) == [agent.user_id]
    assert make_case(tenant, category="Billing").owner_id == agent.user_id
