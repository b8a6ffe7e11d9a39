"""`/settings/chat`: admins change the chat's settings, managers read them, agents are refused;
the service's refusals land on the field; the page shows the snippet and the CSP lines."""

import html
from typing import Any

import pytest

from casedesk.chat.forms import ChatSettingsForm, origin_lines
from casedesk.chat.models import ChatSettings
from casedesk.chat.settings_views import csp_lines, widget_snippet
from tests.conftest import login

GOOD = {
    "enabled": "on",
    "allowed_origins": "https://www.acme.test\n\nhttp://localhost:3000\n",
    "bot_enabled": "on",
    "bot_min_score": "75",
    "offer_timeout_seconds": "45",
    "chats_per_agent": "4",
    "greeting": "Hello!",
    "offline_message": "We will mail you.",
}


def test_admins_save_the_settings(tenant, admin) -> None:
    client = login(admin)
    page = client.get("/settings/chat")
    assert page.status_code == 200
    assert b'data-testid="save-chat-settings"' in page.content
    response = client.post("/settings/chat", GOOD)
    assert response.status_code == 302 and response["Location"] == "/settings/chat"
    config = ChatSettings.objects.get(tenant=tenant)
    assert config.enabled and config.bot_enabled
    assert config.allowed_origins == ["https://www.acme.test", "http://localhost:3000"]
    assert (config.bot_min_score, config.offer_timeout_seconds, config.chats_per_agent) == (
        75,
        45,
        4,
    )
    assert (config.greeting, config.offline_message) == ("Hello!", "We will mail you.")
    shown = client.get("/settings/chat").content.decode()
    assert "https://www.acme.test\nhttp://localhost:3000</textarea>" in shown
    assert "Chat settings saved." in shown


def test_the_page_shows_the_snippet_and_the_csp_lines(tenant, admin) -> None:
    shown = html.unescape(login(admin).get("/settings/chat").content.decode())
    assert '<script src="http://testserver/chat/acme/widget.js" async></script>' in shown
    assert "script-src http://testserver" in shown and "frame-src http://testserver" in shown


def test_the_snippet_helpers() -> None:
    class Tenant:
        slug = "acme"

    assert widget_snippet(Tenant(), "https://desk.example.com") == (  # type: ignore[arg-type]
        '<script src="https://desk.example.com/chat/acme/widget.js" async></script>'
    )
    assert csp_lines("https://desk.example.com") == [
        "script-src https://desk.example.com",
        "frame-src https://desk.example.com",
    ]
    assert origin_lines(" https://a.test \n\n https://b.test") == [
        "https://a.test",
        "https://b.test",
    ]


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"allowed_origins": "http://www.acme.test"}, "allowed_origins", ("https",)),
        ({"allowed_origins": "https://www.acme.test/contact"}, "allowed_origins", ("origin",)),
        ({"offer_timeout_seconds": "5"}, "offer_timeout_seconds", ("10",)),
        ({"chats_per_agent": "50"}, "chats_per_agent", ("20",)),
        ({"bot_min_score": "-1"}, "bot_min_score", ("0",)),
    ],
)
def test_refusals_land_on_their_field_and_save_nothing(
    tenant, admin, change: dict[str, Any], field: str, words: tuple[str, ...]
) -> None:
    response = login(admin).post("/settings/chat", {**GOOD, **change})
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert all(word in " ".join(form.errors[field]) for word in words), form.errors
    assert not ChatSettings.objects.filter(tenant=tenant, enabled=True).exists()


def test_managers_read_and_agents_are_refused(tenant, manager, agent) -> None:
    page = login(manager).get("/settings/chat")
    assert page.status_code == 200
    assert b"Only an admin changes these." in page.content
    assert b'<fieldset class="bare" disabled>' in page.content
    assert login(manager).post("/settings/chat", GOOD).status_code == 403
    assert login(agent).get("/settings/chat").status_code == 403
    assert not ChatSettings.objects.filter(tenant=tenant, enabled=True).exists()


def test_the_form_reads_the_saved_values() -> None:
    config = ChatSettings(enabled=True, allowed_origins=["https://a.test", "https://b.test"])
    initial = ChatSettingsForm.initial_of(config)
    assert initial["allowed_origins"] == "https://a.test\nhttps://b.test"
    assert initial["offer_timeout_seconds"] == 30 and initial["chats_per_agent"] == 3
