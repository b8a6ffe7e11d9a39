"""API schemas for the knowledge base: categories, articles and their versions."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Id, RequiredText, Text, fits
from casedesk.kb.models import Article, KbCategory
from casedesk.kb.services import MAX_BODY, MAX_TAG_LENGTH, MAX_TAGS

VisibilityName = Literal["internal", "public"]
StatusName = Literal["draft", "published", "archived"]
CategoryName = Annotated[RequiredText, fits(KbCategory, "name")]
Position = Annotated[int, fits(KbCategory, "position")]
Title = Annotated[RequiredText, fits(Article, "title")]
Slug = Annotated[Text, fits(Article, "slug", min_length=1)]
Summary = Annotated[Text, fits(Article, "summary")]
# The body's size and text are checked by the service, so that a refusal names the field
# `body` (the API's validation error drops a location part named "body": it takes it for the
# request body); the spec states the bound all the same.
Body = Annotated[str, Field(json_schema_extra={"maxLength": MAX_BODY})]
Tag = Annotated[Text, Field(max_length=MAX_TAG_LENGTH)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Language = Annotated[Text, fits(Article, "language", min_length=1)]

BODY_HELP = f"Markdown, at most {MAX_BODY:,} characters; raw HTML is shown as text."
TAGS_HELP = (f"At most {MAX_TAGS}, each at most {MAX_TAG_LENGTH} characters; stored trimmed, "
             "lower-case and once each.")


class CategoryIn(Schema):
    name: CategoryName
    parent_id: Id | None = Field(None, description="The parent category; none: top level.")
    position: Position = 0


class CategoryPatch(Schema):
    name: CategoryName | None = None
    parent_id: Id | None = Field(None, description="Moves the category; null: top level.")
    position: Position | None = None


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    parent_id: int | None
    position: int
    depth: int
    path: list[str] = Field(description="The names from the top level down to this one.")
    created_at: datetime


class ArticleIn(Schema):
    title: Title
    slug: Slug | None = Field(None, description="Made from the title when not given.")
    summary: Summary = ""
    body: Body = Field("", description=BODY_HELP)
    category_id: Id | None = None
    tags: Tags = Field(default_factory=list, description=TAGS_HELP)
    language: Language = "en"
    visibility: VisibilityName = "internal"


class ArticlePatch(Schema):
    title: Title | None = None
    slug: Slug | None = Field(None, description=(
        "A new slug. A published article keeps its slug when its title changes; a new one "
        "set here keeps the old one leading to it (`old_slugs`)."))
    summary: Summary | None = None
    body: Body | None = Field(None, description=BODY_HELP)
    category_id: Id | None = Field(None, description="null: no category.")
    tags: Tags | None = Field(None, description=TAGS_HELP)
    language: Language | None = None
    visibility: VisibilityName | None = None


class ArticleSummaryOut(Schema):
    id: int
    title: str
    slug: str
    summary: str
    category_id: int | None
    tags: list[str]
    language: str
    visibility: VisibilityName
    status: StatusName
    author_id: int | None
    version: int = Field(description="The latest published version; 0: never published.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    score: float | None = Field(None, description="The search's score (with `q`), higher "
                                                  "is better.")


class ArticleOut(ArticleSummaryOut):
    body: str
    body_html: str = Field(description="The body rendered and sanitized.")
    old_slugs: list[str] = Field(description="Slugs the article had, which still lead to it.")


class ArticlePage(Schema):
    items: list[ArticleSummaryOut]
    next_cursor: str | None


class VersionOut(Schema):
    number: int
    title: str
    summary: str
    body: str
    author_id: int | None
    created_at: datetime


class VersionPage(Schema):
    items: list[VersionOut]
    next_cursor: str | None
