"""`GET /csat`, `GET/PATCH /csat/settings`, and the case's `csat` in `GET /cases/{number}`."""

from datetime import timedelta

from django.test import Client

from casedesk.csat.services import surveys_send_due
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Api, Clock
from tests.csat.helpers import resolved_case, survey_path

DUE = NOW + timedelta(hours=24)


def test_the_case_shows_its_csat(tenant: Tenant, agent: Membership, agent_api: Api,
                                 outsider_api: Api, clock: Clock) -> None:
    case = resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    assert agent_api.get(f"/cases/{case.display_number}").json()["csat"] is None
    clock.now = DUE + timedelta(hours=2)
    Client().post(survey_path(case), {"rating": "5", "comment": "Great"})
    body = agent_api.get(f"/cases/{case.display_number}").json()
    assert body["csat"] == {"rating": 5, "comment": "Great",
                            "answered_at": "2026-11-24T11:00:00Z"}
    assert outsider_api.get(f"/cases/{case.display_number}").status_code == 404


def test_survey_results_list_filters_and_pages(tenant: Tenant, agent: Membership,
                                                manager_api: Api, clock: Clock) -> None:
    cases = [resolved_case(tenant, agent, NOW + timedelta(hours=i), email=f"c{i}@example.com")
             for i in range(3)]
    for i in range(3):
        surveys_send_due(DUE + timedelta(hours=i))
    clock.now = DUE + timedelta(hours=5)
    Client().get(survey_path(cases[0]) + "?rating=1")
    Client().get(survey_path(cases[2]) + "?rating=5")
    page = manager_api.get("/csat", limit=2).json()
    assert [i["case_number"] for i in page["items"]] == [cases[2].display_number,
                                                         cases[1].display_number]
    assert page["items"][0] == {
        "case_number": cases[2].display_number, "scale": "good_bad", "rating": 5,
        "rating_label": "Good", "comment": "", "sent_at": "2026-11-24T11:00:00Z",
        "answered_at": "2026-11-24T14:00:00Z"}
    rest = manager_api.get("/csat", limit=2, cursor=page["next_cursor"]).json()
    assert [i["case_number"] for i in rest["items"]] == [cases[0].display_number]
    assert rest["next_cursor"] is None
    bad = manager_api.get("/csat", rating=1).json()["items"]
    assert [i["case_number"] for i in bad] == [cases[0].display_number]
    since = manager_api.get("/csat", since="2026-11-24T10:00:00Z",
                            until="2026-11-24T11:00:00Z").json()["items"]
    assert [i["case_number"] for i in since] == [cases[1].display_number]
    unanswered = manager_api.get("/csat", answered="false").json()["items"]
    assert [i["rating"] for i in unanswered] == [None]
    assert manager_api.get("/csat", cursor="!!").status_code == 422
    assert manager_api.get("/csat", rating=6).status_code == 422


def test_survey_results_are_for_managers_and_the_tenant_only(
        tenant: Tenant, agent: Membership, agent_api: Api, admin_api: Api,
        outsider_api: Api) -> None:
    resolved_case(tenant, agent, NOW)
    surveys_send_due(DUE)
    assert agent_api.get("/csat").status_code == 403
    assert len(admin_api.get("/csat").json()["items"]) == 1
    assert outsider_api.get("/csat").json() == {"items": [], "next_cursor": None}


def test_settings_read_and_change(admin_api: Api, manager_api: Api, agent_api: Api,
                                  outsider_api: Api, finance: Queue, other_tenant: Tenant
                                  ) -> None:
    defaults = {"enabled": True, "delay_hours": 24, "queues": [], "scale": "good_bad"}
    assert manager_api.get("/csat/settings").json() == defaults
    assert agent_api.get("/csat/settings").status_code == 403
    assert manager_api.patch("/csat/settings", {"delay_hours": 2}).status_code == 403
    changed = admin_api.patch("/csat/settings", {"delay_hours": 2, "queues": [finance.pk],
                                                 "scale": "one_to_five"})
    assert changed.status_code == 200
    assert changed.json() == {"enabled": True, "delay_hours": 2, "queues": [finance.pk],
                              "scale": "one_to_five"}
    assert outsider_api.get("/csat/settings").json() == defaults  # the other tenant's own
    foreign = Queue.objects.filter(tenant=other_tenant).first()
    assert foreign is not None
    for bad in ({"queues": [foreign.pk]}, {"delay_hours": 10000}, {"scale": "stars"},
                {"enabled": None}, {"queues": [0]}):
        response = admin_api.patch("/csat/settings", bad)
        assert response.status_code == 422, bad
    assert admin_api.get("/csat/settings").json()["delay_hours"] == 2
