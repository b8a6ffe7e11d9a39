"""The live streams (`chat/streams.py`), under /live/: production routes this prefix to
`casedesk live` (README, "Live chat"); included by `chat/urls.py` (namespace `chat:`)."""

from django.urls import URLPattern, path

from casedesk.chat import streams

urlpatterns: list[URLPattern] = [
    # The id as text: a malformed one is answered like an unknown chat (JSON 404).
    path("live/chat/<str:public_id>/stream", streams.chat_stream, name="live_chat_stream"),
    path("live/agent/stream", streams.agent_stream, name="live_agent_stream"),
]
