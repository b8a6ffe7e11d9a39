"""Live chat: a visitor on the tenant's site talks with an agent in real time.

A chat keeps its own ordered log (`ChatEvent`, numbered per chat by `seq`): what both sides
see, replayed after a reconnect from the last number a side saw. Once handed over to a person
the chat has a case (source `chat`), and every message is on the case's timeline too: the
visitor's as the customer's replies, the agent's as public replies.
"""

import uuid

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class ChatSettings(TenantScoped):
    """A tenant's chat widget: whether it is on, which sites may embed it, the chatbot step,
    and how chats are offered to agents. One row per tenant, made on first use."""

    enabled = models.BooleanField(default=False)
    # Origins (scheme://host[:port]) allowed to embed the widget: the frame's
    # `frame-ancestors` and the script's check. Empty: no site may embed it.
    allowed_origins = models.JSONField(default=list, blank=True)
    bot_enabled = models.BooleanField(default=False)
    # 0–100: how well the best published article must match the visitor's question for
    # the chatbot to answer with it (`chat.bot.match_score`).
    bot_min_score = models.PositiveSmallIntegerField(default=60)
    offer_timeout_seconds = models.PositiveSmallIntegerField(default=30)
    chats_per_agent = models.PositiveSmallIntegerField(default=3)
    greeting = models.CharField(max_length=300, blank=True,
                                default="Hi! How can we help you today?")
    offline_message = models.CharField(
        max_length=500, blank=True,
        default="Nobody is available to chat right now. We have opened a case for you and "
                "will answer by email.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="chat_settings_one")]


class ChatState(models.TextChoices):
    BOT = "bot", "With the chatbot"  # the bot offered an article, waiting for yes or no
    WAITING = "waiting", "Waiting for an agent"  # handed over, being offered
    ACTIVE = "active", "With an agent"
    MISSED = "missed", "Nobody available"  # became a case answered by email
    DEFLECTED = "deflected", "Answered by an article"
    ENDED = "ended", "Ended"


OPEN_STATES = (ChatState.BOT, ChatState.WAITING, ChatState.ACTIVE)


class Chat(TenantScoped):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=12, choices=ChatState.choices)
    visitor_name = models.CharField(max_length=200)
    visitor_email = models.EmailField(max_length=254)
    visitor_ip = models.GenericIPAddressField(null=True, blank=True)
    page_url = models.CharField(max_length=1000, blank=True)
    # The widget's anonymous key of this visitor (kept in the frame's storage): their
    # article reads and this chat's case count in the knowledge base's deflection figures.
    visitor_key = models.CharField(max_length=64, blank=True)
    # The visitor's stream or poll was last heard: a chat whose visitor is long gone ends.
    visitor_seen_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    bot_article = models.ForeignKey("kb.Article", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    last_seq = models.PositiveIntegerField(default=0)
    # The highest `seq` each side has seen on screen: read state (sent live as an ephemeral
    # "read", never stored as an event: a stored one would itself be read, and so on).
    visitor_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    # Typing, for the polling fallback (the live path sends it without storing).
    visitor_typing_at = models.DateTimeField(null=True, blank=True)
    agent_typing_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    handed_over_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=12, blank=True)  # visitor, agent, bot, system

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "state", "created_at"], name="chat_tenant_state"),
            models.Index(fields=["agent", "state"], name="chat_agent_state"),
            models.Index(fields=["case"], name="chat_case"),
            # The worker's look for chats whose visitor has gone.
            models.Index(fields=["state", "visitor_seen_at"], name="chat_state_seen"),
            # The start throttle: recent chats from one address.
            models.Index(fields=["tenant", "visitor_ip", "created_at"], name="chat_ip_time"),
            models.Index(fields=["tenant", "visitor_email", "created_at"],
                         name="chat_email_time"),
        ]

    def __str__(self) -> str:
        return f"Chat {self.public_id} ({self.state})"


class Author(models.TextChoices):
    VISITOR = "visitor"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class ChatEventKind(models.TextChoices):
    MESSAGE = "message"  # text, and maybe a file (`attachment`)
    ARTICLES = "articles"  # the bot's answer: an article and "did this solve it?"
    STATE = "state"  # the chat moved (data: {"state", "agent_name"})


class ChatEvent(TenantScoped):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=ChatEventKind.choices)
    author = models.CharField(max_length=8, choices=Author.choices)
    author_name = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    note = models.ForeignKey("cases.Note", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    # The sender's own id for a message (the widget's, the console's), so a message resent
    # after a dropped connection is stored once.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="chat_event_seq"),
            models.UniqueConstraint(fields=["chat", "client_id"],
                                    condition=~models.Q(client_id=""),
                                    name="chat_event_client_id"),
        ]
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} of chat {self.chat_id}"


class ChatAttachment(TenantScoped):
    """A file sent in a chat (by either side), in Django's storage."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="chat/%Y/%m/", max_length=300)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Author.choices)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class OfferState(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the visitor left, or the chat ended otherwise


class ChatOffer(TenantScoped):
    """A chat pushed to one agent, who accepts or declines it before `expires_at`; else the
    next agent is offered it."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    state = models.CharField(max_length=10, choices=OfferState.choices,
                             default=OfferState.PENDING)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "state"], name="chat_offer_agent"),
            models.Index(fields=["state", "expires_at"], name="chat_offer_due"),
        ]

    def __str__(self) -> str:
        return f"Offer of chat {self.chat_id} to {self.agent_id} ({self.state})"


class AgentChatStatus(TenantScoped):
    """Whether an agent takes chats now: switched on in the console, and seen lately (the
    console's live connection or its poll refreshes `seen_at`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    available = models.BooleanField(default=False)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"],
                                               name="chat_agent_status_one")]
