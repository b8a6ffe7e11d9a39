"""The visitor's paths (`/chat/<tenant slug>/...`): the loader, the frame and the JSON
endpoints the frame calls (`chat/visitor_views.py`). A chat's id is taken as text so that a
malformed one is answered like any unknown chat (404 JSON), not by Django's page."""

from django.urls import URLPattern, path

from casedesk.chat import visitor_views as views

_AT = "chat/<slug:tenant_slug>/"
_CHAT = _AT + "c/<str:public_id>/"

urlpatterns: list[URLPattern] = [
    path(_AT + "widget.js", views.widget_js, name="visitor_loader"),
    path(_AT + "frame", views.widget_frame, name="visitor_frame"),
    path(_AT + "try", views.try_page, name="visitor_try"),
    path(_AT + "config", views.config_view, name="visitor_config"),
    path(_AT + "suggest", views.suggest, name="visitor_suggest"),
    path(_AT + "articles/<int:article_id>/read", views.article_read, name="visitor_article_read"),
    path(_AT + "deflected", views.deflected, name="visitor_deflected"),
    path(_AT + "start", views.start, name="visitor_start"),
    path(_CHAT + "events", views.events, name="visitor_events"),
    path(_CHAT + "messages", views.message, name="visitor_messages"),
    path(_CHAT + "typing", views.typing, name="visitor_typing"),
    path(_CHAT + "read", views.read, name="visitor_read"),
    path(_CHAT + "answer", views.answer, name="visitor_answer"),
    path(_CHAT + "end", views.end, name="visitor_end"),
    path(_CHAT + "files/<int:attachment_id>", views.attachment, name="visitor_file"),
]
