"""The assist pages: each part's views module brings its own patterns."""

from casedesk.assist import similar_views, triage_views, whatif_views

app_name = "assist"

urlpatterns = [*triage_views.urlpatterns, *similar_views.urlpatterns,
               *whatif_views.urlpatterns]
