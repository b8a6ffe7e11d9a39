"""The forms of the chat's pages: the admin's chat settings (`/settings/chat`).

The form parses what the browser sent; `chat.services.chat_settings_update` decides whether
the values are acceptable (origins, bounds) and its refusal lands on the field it names."""

from typing import Any

from django import forms

from casedesk.chat.models import ChatSettings

# The bounds the settings page and the API state (the service checks them again).
OFFER_TIMEOUT_MIN, OFFER_TIMEOUT_MAX = 10, 300
CHATS_PER_AGENT_MIN, CHATS_PER_AGENT_MAX = 1, 20
BOT_SCORE_MIN, BOT_SCORE_MAX = 0, 100
GREETING_MAX = ChatSettings._meta.get_field("greeting").max_length or 300
OFFLINE_MESSAGE_MAX = ChatSettings._meta.get_field("offline_message").max_length or 500
ORIGINS_TEXT_MAX = 10_000


def origin_lines(text: str) -> list[str]:
    """The origins an admin wrote, one per line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class ChatSettingsForm(forms.Form):
    """The tenant's chat widget, the chatbot step and how chats are offered to agents."""

    enabled = forms.BooleanField(
        required=False, label="Chat is on", help_text="Off: the widget shows nothing on your sites."
    )
    allowed_origins = forms.CharField(
        required=False,
        max_length=ORIGINS_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        label="Sites that show the widget",
        help_text="One per line, as scheme and host (and port): https://www.example.com. "
        "https, except for localhost.",
    )
    bot_enabled = forms.BooleanField(
        required=False,
        label="Chatbot answers first",
        help_text="Before a chat goes to an agent, the best-matching published public "
        "article is offered with “Did this solve it?”.",
    )
    bot_min_score = forms.IntegerField(
        min_value=BOT_SCORE_MIN,
        max_value=BOT_SCORE_MAX,
        label="Chatbot's minimum score",
        help_text="0–100: how well an article must match the question for the bot to offer it.",
    )
    offer_timeout_seconds = forms.IntegerField(
        min_value=OFFER_TIMEOUT_MIN,
        max_value=OFFER_TIMEOUT_MAX,
        label="Seconds an agent has to accept",
        help_text=f"{OFFER_TIMEOUT_MIN}–{OFFER_TIMEOUT_MAX}; then the next agent is offered "
        "the chat.",
    )
    chats_per_agent = forms.IntegerField(
        min_value=CHATS_PER_AGENT_MIN,
        max_value=CHATS_PER_AGENT_MAX,
        label="Chats per agent at once",
        help_text=f"{CHATS_PER_AGENT_MIN}–{CHATS_PER_AGENT_MAX}: an agent with this many "
        "active chats is offered no more.",
    )
    greeting = forms.CharField(
        required=False,
        max_length=GREETING_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Greeting",
        help_text="The first words visitors see.",
    )
    offline_message = forms.CharField(
        required=False,
        max_length=OFFLINE_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="When nobody is available",
        help_text="Shown when no agent takes the chat; the chat becomes a case answered by email.",
    )

    @staticmethod
    def initial_of(config: ChatSettings) -> dict[str, Any]:
        return {
            "enabled": config.enabled,
            "allowed_origins": "\n".join(config.allowed_origins or []),
            "bot_enabled": config.bot_enabled,
            "bot_min_score": config.bot_min_score,
            "offer_timeout_seconds": config.offer_timeout_seconds,
            "chats_per_agent": config.chats_per_agent,
            "greeting": config.greeting,
            "offline_message": config.offline_message,
        }

    def changes(self) -> dict[str, Any]:
        """What the service is asked to save, named as its fields are."""
        data = self.cleaned_data
        return {
            "enabled": data["enabled"],
            "allowed_origins": origin_lines(data["allowed_origins"]),
            "bot_enabled": data["bot_enabled"],
            "bot_min_score": data["bot_min_score"],
            "offer_timeout_seconds": data["offer_timeout_seconds"],
            "chats_per_agent": data["chats_per_agent"],
            "greeting": data["greeting"].strip(),
            "offline_message": data["offline_message"].strip(),
        }
