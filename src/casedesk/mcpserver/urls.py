from django.urls import URLPattern, path

from casedesk.mcpserver import http

app_name = "mcpserver"

urlpatterns: list[URLPattern] = [
    path("mcp", http.endpoint, name="endpoint"),
]
