"""Console URLs. Each area's module lists its own patterns; case pages come last because
`cases/<number>` would otherwise swallow `cases/board` and `cases/new`."""

from django.urls import path

from casedesk.console.views import (
    board,
    case_new,
    case_page,
    cases,
    inbox,
    member_cases,
    merge,
    people,
    sla_sweep,
)

app_name = "console"

urlpatterns = [
    path("inbox/cases", inbox.inbox, name="inbox"),
    path("inbox/queues/<int:queue_id>/claim-next", inbox.claim_next, name="claim_next"),
    path("inbox/queues/<int:queue_id>/join", inbox.join_queue, name="join_queue"),
    path("cases", cases.case_list, name="case_list"),
    path("cases/bulk", cases.case_bulk, name="case_bulk"),
    path("cases/views", cases.view_save, name="view_save"),
    path("cases/views/<int:view_id>/delete", cases.view_delete, name="view_delete"),
    path("notifications", people.notifications, name="notifications"),
    path("notifications/bell", people.bell, name="bell"),
    path("notifications/read", people.notifications_read, name="notifications_read"),
    path("tenant", people.switch_tenant, name="switch_tenant"),
    path("me/availability", people.availability, name="availability"),
    path("settings/people/<int:user_id>/cases", member_cases.member_cases,
         name="member_cases"),
    *sla_sweep.urlpatterns,
    *board.urlpatterns,
    *case_new.urlpatterns,
    path("cases/<str:number>/claim", inbox.claim, name="claim"),
    *merge.urlpatterns,
    *case_page.urlpatterns,
]
