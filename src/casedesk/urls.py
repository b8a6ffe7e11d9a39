from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from casedesk.api import api
from casedesk.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("casedesk.tenancy.urls")),
    path("", include("casedesk.cases.urls")),
    path("", include("casedesk.routing.urls")),
    path("", include("casedesk.sla.urls")),
    path("", include("casedesk.mail.urls")),
    path("", include("casedesk.crm.urls")),
    path("", include("casedesk.portal.urls")),
    path("", include("casedesk.csat.urls")),
    path("", include("casedesk.kb.urls")),
    path("", include("casedesk.tasks.urls")),
    path("", include("casedesk.calls.urls")),
    path("", include("casedesk.chat.urls")),
    path("", include("casedesk.slack.urls")),
    path("", include("casedesk.automation.urls")),
    path("", include("casedesk.reports.urls")),
    path("", include("casedesk.search.urls")),
    path("", include("casedesk.importer.urls")),
    path("", include("casedesk.exporter.urls")),
    path("", include("casedesk.privacy.urls")),
    path("", include("casedesk.assist.urls")),
    path("", include("casedesk.mcpserver.urls")),
    path("", include("casedesk.console.urls")),
]
