"""Slack: a tenant's Slack app (its secrets and workspace), the Slack threads that carry
cases, the outbox of messages the worker posts there, and what was already heard (request
signatures against replays, event ids against Slack's retries)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from casedesk.core.models import TenantScoped


class SlackInstallation(TenantScoped):
    """A tenant's Slack app: the signing secret its requests are verified with, the bot
    token casedesk calls Slack's Web API with, and the workspace `auth.test` named for that
    token. One per tenant; the secrets are never shown back (only their last characters)."""

    signing_secret = models.CharField(max_length=200)
    bot_token = models.CharField(max_length=255)
    team_id = models.CharField(max_length=32)
    team_name = models.CharField(max_length=200, blank=True)
    team_url = models.CharField(max_length=300, blank=True)
    bot_user_id = models.CharField(max_length=32, blank=True)
    bot_id = models.CharField(max_length=32, blank=True)
    # The scopes Slack granted the token (its `x-oauth-scopes` answer), to name missing ones.
    granted_scopes = models.JSONField(default=list, blank=True)
    is_enabled = models.BooleanField(default=True)
    # Where new Slack cases go; None: routing decides, as for any other case.
    queue = models.ForeignKey(
        "routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Agents' public replies go to the case's Slack thread (instead of mail).
    mirror_replies = models.BooleanField(default=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    installed_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="slack_installation_one")]

    def __str__(self) -> str:
        return f"Slack workspace {self.team_name or self.team_id}"


class ThreadStatus(models.TextChoices):
    PENDING = "pending", "Its first message is waiting to be posted"
    OPEN = "open", "Open"
    FAILED = "failed", "Its first message could not be posted"


class SlackThread(TenantScoped):
    """A Slack thread that carries a case: replies in it are the customer's messages, and
    the agents' public replies are posted into it. A `/case` command's thread starts with
    the message the worker posts (`thread_ts` is empty until then); a shortcut's is the
    thread of the message it was used on."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    team_id = models.CharField(max_length=32)
    channel_id = models.CharField(max_length=32)
    thread_ts = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=8, choices=ThreadStatus.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "team_id", "channel_id", "thread_ts"],
                condition=~Q(thread_ts=""),
                name="slack_thread_unique",
            ),
        ]
        indexes = [models.Index(fields=["case", "-id"], name="slack_thread_case")]

    def __str__(self) -> str:
        return f"Slack thread {self.channel_id}/{self.thread_ts or '(pending)'}"


class PostKind(models.TextChoices):
    OPENED = "opened", "Case opened (starts the thread)"
    CONFIRMATION = "confirmation", "Case made from a message"
    REPLY = "reply", "Agent's public reply"
    NOTICE = "notice", "Notice"


class PostStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENT = "sent", "Posted"
    FAILED = "failed", "Failed for good"


class SlackPost(TenantScoped):
    """The Slack outbox: one message to post into a thread (or, for `opened`, into the
    channel, starting the thread), written in the transaction of the change that calls for
    it and posted by the worker with retries and backoff."""

    installation = models.ForeignKey(
        SlackInstallation, on_delete=models.CASCADE, related_name="posts"
    )
    thread = models.ForeignKey(SlackThread, on_delete=models.CASCADE, related_name="posts")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.ForeignKey(
        "cases.Note", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=PostKind.choices)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=PostStatus.choices, default=PostStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A reply that could not be posted went to the customer by mail instead.
    mailed_instead = models.BooleanField(default=False)
    sent_ts = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="slack_post_due"
            ),
            models.Index(
                fields=["thread", "id"],
                condition=Q(status="pending"),
                name="slack_post_thread_pending",
            ),
            models.Index(
                fields=["installation", "-id"],
                condition=Q(status="failed"),
                name="slack_post_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} post {self.pk}: {self.status}"


class SlackRequestSeen(TenantScoped):
    """A digest of a verified request's signature: the same signature again is a replay.
    Kept a little longer than a timestamp stays acceptable, then pruned by the worker."""

    digest = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "digest"], name="slack_request_seen_once")
        ]
        indexes = [models.Index(fields=["seen_at"], name="slack_request_seen_at")]

    def __str__(self) -> str:
        return self.digest


class SlackEventSeen(TenantScoped):
    """An Events API event taken in: Slack sends an event again when it thinks the answer
    was late (`X-Slack-Retry-Num`), and the same `event_id` makes one customer message."""

    event_id = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_id"], name="slack_event_seen_once")
        ]
        indexes = [models.Index(fields=["received_at"], name="slack_event_seen_at")]

    def __str__(self) -> str:
        return self.event_id
