"""The agents' chat pages: the console's dock and what it posts and polls, the files of a
chat, and the chat settings page (included by `chat/urls.py`, namespace `chat:`)."""

from django.urls import URLPattern, path

from casedesk.chat import agent_views, settings_views

urlpatterns: list[URLPattern] = [
    path("chats/dock", agent_views.dock, name="dock"),
    path("chats/status", agent_views.status, name="status"),
    path("chats/poll", agent_views.poll, name="poll"),
    path("chats/offers/<int:offer_id>/accept", agent_views.offer_accept, name="offer_accept"),
    path("chats/offers/<int:offer_id>/decline", agent_views.offer_decline, name="offer_decline"),
    path("chats/<str:public_id>/window", agent_views.chat_window, name="window"),
    path("chats/<str:public_id>/messages", agent_views.message, name="message"),
    path("chats/<str:public_id>/typing", agent_views.typing, name="typing"),
    path("chats/<str:public_id>/read", agent_views.read, name="read"),
    path("chats/<str:public_id>/end", agent_views.end, name="end"),
    path("chats/<str:public_id>/files/<int:attachment_id>", agent_views.download, name="download"),
    path("settings/chat", settings_views.chat_settings_page, name="settings"),
]
