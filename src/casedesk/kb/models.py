"""The knowledge base: categories (a tree), articles with their published versions, old
slugs and attached files, and the events deflection analytics count (suggestions shown and
opened, "solved it", self-service deflections, views, searches)."""

from django.conf import settings
from django.db import models

from casedesk.core.models import TenantScoped


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal (agents)"
    PUBLIC = "public", "Public (portal)"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class KbCategory(TenantScoped):
    """A category of articles; `parent` makes the tree (Billing › Invoices)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "parent", "name"],
                                    name="kb_category_unique_name"),
            models.UniqueConstraint(fields=["tenant", "name"], name="kb_category_unique_root",
                                    condition=models.Q(parent__isnull=True)),
        ]
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Article(TenantScoped):
    """An article: Markdown `body`, kept rendered and sanitized in `body_html`. The fields
    here are the working copy; each publish also stores them as an `ArticleVersion`."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, allow_unicode=True)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    category = models.ForeignKey(KbCategory, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="articles")
    tags = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=20, default="en")
    visibility = models.CharField(max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    status = models.CharField(max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=0, help_text="The latest published version.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_article_unique_slug"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "visibility"], name="kb_article_status"),
            models.Index(fields=["tenant", "-updated_at"], name="kb_article_updated"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(TenantScoped):
    """The text of an article as one publish left it; restoring copies it back as a draft."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique"),
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleSlug(TenantScoped):
    """A slug a published article had before: its old links redirect to the article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=200, allow_unicode=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="kb_old_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.slug


class ArticleAttachment(TenantScoped):
    """A file attached to an article (an image its body shows, a download it offers), in
    Django's storage beside mail's attachments. `filename` is the sanitized name it is shown
    and downloaded under; `content_type` was sniffed from its first bytes for images, so only
    a real PNG, JPEG, GIF or WebP is ever served inline (`kb.attachments`)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=150)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="kb/%Y/%m/", max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class KbEventKind(models.TextChoices):
    VIEW = "view", "Article viewed"
    SUGGESTION_SHOWN = "suggestion_shown", "Suggested on a case"
    SUGGESTION_OPENED = "suggestion_opened", "Suggestion opened from a case"
    CASE_RESOLVED_BY_ARTICLE = "case_resolved_by_article", "Marked as solving a case"
    SELF_SERVICE_DEFLECTION = "self_service_deflection", "Read, and no case followed"
    SEARCH = "search", "Searched"
    VISITOR_CASE = "visitor_case", "A reader without an account submitted a case"


# The events one case counts once per article, whoever and however often.
ONCE_PER_CASE = (KbEventKind.SUGGESTION_OPENED, KbEventKind.CASE_RESOLVED_BY_ARTICLE)


class KbEvent(TenantScoped):
    """One thing that happened with the knowledge base, for the analytics: written in the
    transaction of what caused it."""

    kind = models.CharField(max_length=30, choices=KbEventKind.choices)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="events")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    # A portal or web-form reader without an account: an opaque key of their session.
    visitor = models.CharField(max_length=64, blank=True)
    score = models.FloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    query = models.CharField(max_length=200, blank=True)
    results = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "case", "article"], name="kb_event_once_per_case",
                condition=models.Q(kind__in=["suggestion_opened", "case_resolved_by_article"])),
        ]
        indexes = [
            models.Index(fields=["tenant", "kind", "created_at"], name="kb_event_kind"),
            models.Index(fields=["article", "kind", "created_at"], name="kb_event_article"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}"
