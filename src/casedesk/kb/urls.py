"""The knowledge base's pages, mounted at the site root by casedesk.urls (paths are a
contract): the agents' pages under `/kb/`, the suggestions panel of the case page under
`/kb/cases/<number>/`, and the public pages under `/portal/<tenant slug>/kb/`. Each area's
module lists its own patterns."""

from django.urls import path

from casedesk.kb.views import analytics, articles, attachments, case_panel, public

app_name = "kb"

urlpatterns = [
    path("kb/analytics", analytics.analytics, name="analytics"),
    *case_panel.urlpatterns,
    *attachments.urlpatterns,
    *articles.urlpatterns,
    *public.urlpatterns,
]
