"""The portal's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import URLPattern, URLResolver, path

from casedesk.portal import webform_views
from casedesk.portal.views import cases, settings, signin

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("portal/<slug:tenant_slug>/", signin.home, name="home"),
    path("portal/<slug:tenant_slug>/sign-in", signin.sign_in, name="signin"),
    path("portal/<slug:tenant_slug>/sign-in/<str:token>", signin.sign_in_link,
         name="signin_link"),
    path("portal/<slug:tenant_slug>/sign-out", signin.sign_out, name="signout"),
    path("portal/<slug:tenant_slug>/logo", signin.logo, name="logo"),
    path("portal/<slug:tenant_slug>/cases/<int:case_number>", cases.case_detail, name="case"),
    path("portal/<slug:tenant_slug>/cases/<int:case_number>/reply", cases.case_reply,
         name="case_reply"),
    path("portal/<slug:tenant_slug>/cases/<int:case_number>/confirm", cases.case_confirm,
         name="case_confirm"),
    path("portal/<slug:tenant_slug>/cases/<int:case_number>/not-fixed", cases.case_not_fixed,
         name="case_not_fixed"),
    path("portal/<slug:tenant_slug>/cases/<int:case_number>/files/<int:file_id>", cases.case_file,
         name="case_file"),
    path("settings/portal", settings.portal_settings_page, name="settings"),
    *webform_views.urlpatterns,
]
