from django.urls import URLPattern, URLResolver, include, path

app_name = "chat"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("casedesk.chat.agent_urls")),
    path("", include("casedesk.chat.visitor_urls")),
    path("", include("casedesk.chat.live_urls")),
]
