"""The calls pages: the case page's "Calls" panel and its "Log a call" form."""

from django.urls import URLPattern, URLResolver, path

from casedesk.calls import views

app_name = "calls"

urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<str:number>/calls", views.case_panel, name="case_panel"),
    path("cases/<str:number>/calls/new", views.call_add, name="case_add"),
]
