"""The search pages, mounted at the site root (before the console's, whose old `/search`
this replaces)."""

from casedesk.search.views import urlpatterns

app_name = "search"

__all__ = ["app_name", "urlpatterns"]
