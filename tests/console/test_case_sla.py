"""SLA on the agents' pages: the clocks on the case page, the SLA column and filters of the
case list and the inbox, the SLA events in the timeline and the SLA notifications. The SLA
set-up pages themselves are tested in `tests/sla/test_views.py`."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.services import case_add_note, case_transition
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.priority import Priority
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.routing.models import Queue
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import SlaPolicy
from casedesk.sla.policies import policy_delete, policy_update
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, login
from tests.factories import make_case

H = timedelta(hours=1)


# --- the case page ------------------------------------------------------------------------------

def clocks(client: Client, case: Case) -> dict[str, str]:
    """Each clock's state and words as the case page shows them."""
    body = client.get(f"/cases/{case.display_number}").content.decode()
    section = body.split('data-testid="sla-clocks"')[1].split("</section>")[0]
    found = {}
    for target in ("first_response", "resolution"):
        if f'data-testid="clock-{target}"' in section:
            item = section.split(f'data-testid="clock-{target}"')[1].split("</li>")[0]
            found[target] = " ".join(item.replace("<", " <").split())
    return {"section": section, **found}


def test_running_and_warning_clocks_show_the_time_left(tenant, agent, clock):
    case = make_case(tenant, now=NOW)  # normal: respond by Mon 17:00, resolve by Wed 17:00
    client = login(agent)
    clock.now = NOW + timedelta(hours=1, minutes=40)
    shown = clocks(client, case)
    assert "Normal priority" in shown["section"]
    assert 'data-state="running"' in shown["first_response"]
    assert "Due in 6 h 20 min" in shown["first_response"]
    assert "Due Mon 23 Nov, 17:00" in shown["first_response"]
    assert "Due in 2 d 6 h" in shown["resolution"]
    clock.now = NOW + timedelta(hours=6, minutes=30)  # past 75 % of the 8 hours
    shown = clocks(client, case)
    assert 'data-state="warning"' in shown["first_response"] and "at risk" in shown[
        "first_response"]
    assert "Due in 1 h 30 min" in shown["first_response"]


def test_overdue_and_breached_clocks_say_by_how_much_and_when(tenant, agent, clock):
    case = make_case(tenant, now=NOW)
    client = login(agent)
    clock.now = NOW + timedelta(hours=9, minutes=5)  # Mon 18:05, due 17:00, no sweep yet
    shown = clocks(client, case)
    assert 'data-state="breached"' in shown["first_response"]
    assert "Overdue by 1 h 5 min" in shown["first_response"]
    assert "Was due Mon 23 Nov, 17:00" in shown["first_response"]
    assert 'data-state="running"' in shown["resolution"]
    sla_sweep(now=clock.now, tenant=tenant)
    clock.now += timedelta(minutes=10)
    shown = clocks(client, case)
    assert "Overdue by 1 h 15 min" in shown["first_response"]
    assert "Breached at Mon 23 Nov, 18:05" in shown["first_response"]


def test_clocks_show_in_the_tenants_time_zone(tenant, agent, clock):
    tenant.time_zone = "Asia/Kolkata"
    tenant.save()
    case = make_case(tenant, now=NOW, priority=Priority.URGENT)  # 1 h round the clock
    clock.now = NOW + timedelta(minutes=20)
    shown = clocks(login(agent), case)
    assert "Due in 40 min" in shown["first_response"]
    assert "Due Mon 23 Nov, 15:30" in shown["first_response"]  # 10:00 UTC in India


def test_paused_met_and_no_policy_clocks(tenant, agent, clock):
    client = login(agent)
    case = make_case(tenant, now=NOW, owner_id=agent.user_id)
    case_add_note(case=case, actor=agent.user, body="On it", is_public=True, now=NOW + H)
    for to in ("open", "in_progress", "pending_customer"):
        case = case_transition(case=Case.objects.get(pk=case.pk), actor=agent.user, to=to,
                               note="n", now=NOW + 2 * H)
    clock.now = NOW + 3 * H
    shown = clocks(client, case)
    assert 'data-state="met"' in shown["first_response"]
    assert "Met at Mon 23 Nov, 10:00" in shown["first_response"]
    assert 'data-state="paused"' in shown["resolution"]
    assert "Paused — waiting on the customer" in shown["resolution"]

    for policy in SlaPolicy.objects.filter(tenant=tenant):
        policy_delete(policy=policy, now=NOW)
    tenant.refresh_from_db()  # its sla_version moved on: the cached policies are stale
    bare = make_case(tenant, now=NOW, subject="No SLA here")
    shown = clocks(client, bare)
    assert 'data-testid="sla-none"' in shown["section"]
    assert "No SLA policy applies to this case." in shown["section"]


def test_a_case_resolved_without_a_reply_stops_its_first_response_clock(tenant, agent, clock):
    case = make_case(tenant, now=NOW)
    for to in ("open", "in_progress", "resolved"):
        case = case_transition(case=Case.objects.get(pk=case.pk), actor=agent.user, to=to,
                               note="Fixed it", now=NOW + H)
    clock.now = NOW + 2 * H
    shown = clocks(login(agent), case)
    assert 'data-state="stopped"' in shown["first_response"]
    assert "Stopped — the case was resolved first" in shown["first_response"]
    assert 'data-state="met"' in shown["resolution"]
    assert "Met at Mon 23 Nov, 10:00" in shown["resolution"]


def test_a_late_first_reply_before_any_sweep_shows_as_breached(tenant, agent, clock):
    case = make_case(tenant, now=NOW, priority=Priority.URGENT, owner_id=agent.user_id)
    case_add_note(case=case, actor=agent.user, body="Sorry", is_public=True, now=NOW + 2 * H)
    clock.now = NOW + 3 * H
    shown = clocks(login(agent), case)
    assert 'data-state="breached"' in shown["first_response"]
    assert "Breached at Mon 23 Nov, 11:00" in shown["first_response"]  # marked by the reply
    assert "Responded at Mon 23 Nov, 11:00" in shown["first_response"]


def test_the_case_page_reads_its_clocks_without_a_query_per_clock(tenant, agent, clock):
    client = login(agent)
    with_sla = make_case(tenant, now=NOW)
    for policy in SlaPolicy.objects.filter(tenant=tenant):
        policy_update(policy=policy, changes={"is_enabled": False}, now=NOW)
    tenant.refresh_from_db()  # its sla_version moved on: the cached policies are stale
    without = make_case(tenant, now=NOW, subject="Without")
    assert without.sla_policy_id is None and with_sla.sla_policy_id is not None
    counts = []
    for case in (without, with_sla):
        client.get(f"/cases/{case.display_number}")  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/cases/{case.display_number}").status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[1] == counts[0]


# --- the timeline and notifications --------------------------------------------------------------

def test_breaches_and_escalations_in_the_timeline_and_the_bell(tenant, admin, agent, manager,
                                                               clock):
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    rule = escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "Breached to Engineering",
        "conditions": [{"field": "breached", "op": "equals", "value": "any"}],
        "actions": {"notify": ["owner"], "queue_id": engineering.pk}})
    case = make_case(tenant, now=NOW, owner_id=agent.user_id)  # normal priority
    clock.now = NOW + 10 * H
    sla_sweep(now=clock.now, tenant=tenant)
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.SLA_BREACHED).count() == 1
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.ESCALATED).count() == 1
    body = login(admin).get(f"/cases/{case.display_number}").content.decode()
    breach = body.split("entry kind-sla_breached")[1].split("</li>")[0]
    assert "<strong class=\"who\">SLA</strong>" in breach
    assert "target missed: first response" in breach
    assert "<del>Normal</del>" in breach and "<ins>High</ins>" in breach
    escalated = body.split("entry kind-escalated")[1].split("</li>")[0]
    assert "escalated the case" in escalated
    assert f'href="/sla/escalations/{rule.pk}">Breached to Engineering</a>' in escalated
    assert "Moved to Engineering, unassigned." in escalated
    # An agent sees the rule's name, without a link to a page they may not open.
    body = login(agent).get(f"/cases/{case.display_number}").content.decode()
    assert "Breached to Engineering" in body and f"/sla/escalations/{rule.pk}" not in body

    kinds = set(Notification.objects.filter(recipient=agent.user).values_list("kind",
                                                                              flat=True))
    assert kinds - {NotificationKind.ASSIGNED} == {NotificationKind.SLA_BREACH,
                                                   NotificationKind.ESCALATION}
    page = login(agent).get("/notifications").content.decode()
    assert 'class="kind kind-sla_breach"' in page and 'class="kind kind-escalation"' in page
    assert "SLA breached" in page and "Escalated" in page
    assert f"{case.display_number}: SLA breached: first response." in page
    manager_page = login(manager).get("/notifications").content.decode()
    assert 'class="kind kind-sla_breach"' in manager_page


def test_a_warning_shows_in_the_bell(tenant, agent, clock):
    make_case(tenant, now=NOW, owner_id=agent.user_id)
    sla_sweep(now=NOW + 7 * H, tenant=tenant)  # past 75 % of the 8 hours to respond
    page = login(agent).get("/notifications").content.decode()
    assert 'class="kind kind-sla_warning"' in page and "SLA target coming due" in page


# --- the list and the inbox -----------------------------------------------------------------------

@pytest.fixture
def sla_cases(tenant: Tenant, agent: Membership, support_queue: Queue) -> dict[str, Case]:
    """Cases made Monday 09:00 with the default policies: normal (respond by 17:00), urgent
    (respond by 10:00, resolve by 13:00), low (respond by Wednesday 17:00), and an urgent one
    that breaches and is then resolved."""
    return {
        "normal": make_case(tenant, now=NOW, subject="Normal one", queue_id=support_queue.pk),
        "urgent": make_case(tenant, now=NOW, subject="Urgent one", priority=Priority.URGENT,
                            queue_id=support_queue.pk),
        "low": make_case(tenant, now=NOW, subject="Low one", priority=Priority.LOW,
                         queue_id=support_queue.pk),
        "done": make_case(tenant, now=NOW, subject="Done one", priority=Priority.URGENT,
                          queue_id=Queue.objects.get(tenant=tenant, name="Finance").pk),
    }


def listed(client: Client, **params: str) -> list[str]:
    response = client.get("/cases", params)
    assert response.status_code == 200
    return sorted(c.subject for c in response.context["page"].items)


def test_the_list_filters_breached_and_breaching_within_hours(tenant, agent, sla_cases, clock):
    client = login(agent)
    clock.now = NOW + timedelta(minutes=30)
    assert listed(client, sla="1") == ["Done one", "Urgent one"]
    assert listed(client, sla="8") == ["Done one", "Normal one", "Urgent one"]
    assert listed(client, sla="24") == ["Done one", "Normal one", "Urgent one"]
    assert listed(client, sla="breached") == []

    clock.now = NOW + 2 * H
    sla_sweep(now=clock.now, tenant=tenant)  # both urgent cases miss their first response
    done = sla_cases["done"]
    for to in ("open", "in_progress", "resolved"):
        done = case_transition(case=Case.objects.get(pk=done.pk), actor=None, to=to,
                               note="n", now=clock.now)
    assert listed(client, sla="breached") == ["Urgent one"]  # open cases only
    # Its resolution (due 13:00) is not marked yet, so it still comes due within the hour.
    clock.now = NOW + timedelta(hours=3, minutes=30)
    assert listed(client, sla="1") == ["Urgent one"]
    assert listed(client, sla="bogus") == sorted(c.subject for c in sla_cases.values())
    body = client.get("/cases").content.decode()
    assert 'id="id_sla"' in body and "Breaching within 4 hours" in body


def test_the_list_and_the_inbox_show_the_nearest_clock(tenant, agent, sla_cases, clock):
    client = login(agent)
    clock.now = NOW + timedelta(hours=1, minutes=10)
    body = client.get("/cases").content.decode()

    def badge(name: str) -> str:
        row = body.split(f'id="case-{sla_cases[name].number}"')[1].split("</tr>")[0]
        return row.split('<td class="sla-cell">')[1].split("</td>")[0]

    assert "sla-breached" in badge("urgent") and ">overdue 10 min<" in badge("urgent")
    assert "sla-running" in badge("normal") and ">6 h 50 min left<" in badge("normal")
    assert ">2 d 6 h left<" in badge("low")
    assert 'title="First response due Mon 23 Nov, 17:00"' in badge("normal")
    inbox = client.get("/inbox/cases").content.decode()
    assert inbox.count('data-testid="sla-badge"') == 3  # the three cases of the Support queue
    assert ">overdue 10 min<" in inbox


def test_the_list_keeps_a_flat_query_count_with_the_sla_filter(tenant, agent, clock,
                                                               django_assert_max_num_queries):
    client = login(agent)
    make_case(tenant, now=NOW)
    clock.now = NOW + H
    with django_assert_max_num_queries(20) as few:
        client.get("/cases", {"sla": "24"})
    for n in range(30):
        make_case(tenant, now=NOW, subject=f"n{n}", owner_id=agent.user_id)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/cases", {"sla": "24"})
    assert len(response.context["page"].items) == 31


def test_the_filtered_list_pages_with_its_cursor(tenant, agent, clock):
    for n in range(55):
        make_case(tenant, now=NOW, subject=f"Case {n:02d}")
    clock.now = NOW + H
    client = login(agent)
    first = client.get("/cases", {"sla": "8"})
    assert len(first.context["page"].items) == 50
    second = client.get("/cases", {"sla": "8", "cursor": first.context["page"].next_cursor})
    assert [c.subject for c in second.context["page"].items] == [
        f"Case {n:02d}" for n in range(4, -1, -1)]
