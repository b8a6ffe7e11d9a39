"""Writes of the knowledge base: categories and articles.

Every function here is one transaction: it checks its input (text the database cannot store,
lengths from the model fields, the body's size), writes, re-renders the article's HTML when
its body changes and brings the search index up to date (`index.index_article`) in the same
transaction. Permissions are the caller's (`kb.access`); these functions trust their caller.

Articles: the fields of `Article` are the working copy, and what readers see. Publishing
records the working copy as the next `ArticleVersion` (the history an editor reads and
restores from) and marks the article published; editing a published article changes what
readers see at once (only managers and admins may: `access.may_edit`), and the next publish
records it. Restoring a version copies its text back as the working copy and leaves the
status alone: a published article shows the restored text, and the next publish records it
as a new version (old versions are never rewritten).

Slugs: a draft that was never published takes its slug from its title (following title
changes, unless the editor set one of their own). Once an article has been published its
slug stays put whatever happens to the title, unless an editor sets a new one explicitly;
the old slug is then kept in `ArticleSlug`, so links to it still find the article. A slug is
unique in the tenant among live slugs and old ones alike.
"""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.limits import check_fits, max_length
from casedesk.core.text import check_text
from casedesk.kb import index
from casedesk.kb.attachments import article_files_drop
from casedesk.kb.markdown import render
from casedesk.kb.models import (
    Article,
    ArticleSlug,
    ArticleStatus,
    ArticleVersion,
    KbCategory,
    Visibility,
)
from casedesk.tenancy.models import Tenant, User

MAX_BODY = 1_000_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
# A language tag as BCP 47 writes it: "en", "de-CH", "zh-Hant-TW".
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
ARTICLE_FIELDS = ("title", "slug", "summary", "body", "category_id", "tags", "language",
                  "visibility")


# --- categories --------------------------------------------------------------------------------


def _category_name(name: str) -> str:
    name = check_text(name, field="name").strip()
    if not name:
        raise Invalid("A category needs a name.", field="name")
    check_fits(KbCategory, {"name": name})
    return name


def _category_parent(tenant: Tenant, parent_id: int | None) -> KbCategory | None:
    if parent_id is None:
        return None
    parent = KbCategory.objects.filter(tenant=tenant, pk=parent_id).first()
    if parent is None:
        raise Invalid(f"No category with id {parent_id}.", field="parent_id")
    return parent


def _refuse_sibling_name(tenant: Tenant, parent: KbCategory | None, name: str,
                         category: KbCategory | None = None) -> None:
    siblings = KbCategory.objects.filter(tenant=tenant, parent=parent, name__iexact=name)
    if category is not None:
        siblings = siblings.exclude(pk=category.pk)
    if siblings.exists():
        where = f"in {parent.name}" if parent is not None else "at the top level"
        raise Conflict(f"There is already a category named {name!r} {where}.")


def _category_save(category: KbCategory) -> KbCategory:
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        # A sibling with the name was made at the same time.
        raise Conflict(f"There is already a category named {category.name!r} there.") from None
    return category


def category_create(*, tenant: Tenant, name: str, parent_id: int | None = None,
                    position: int = 0, now: datetime) -> KbCategory:
    """A new category, at the top level or under `parent_id`; its name is unique among its
    siblings (ignoring case)."""
    name = _category_name(name)
    check_fits(KbCategory, {"position": position})
    with transaction.atomic():
        parent = _category_parent(tenant, parent_id)
        _refuse_sibling_name(tenant, parent, name)
        return _category_save(KbCategory(
            tenant=tenant, name=name, slug=_category_slug(name), parent=parent,
            position=position, created_at=now))


def _category_slug(name: str) -> str:
    return slugify(name, allow_unicode=True)[: max_length(KbCategory, "slug")] or "category"


def category_update(*, category: KbCategory, changes: dict[str, Any]) -> KbCategory:
    """Renames (`name`), moves (`parent_id`, None for the top level) and orders (`position`)
    a category in one transaction. A category cannot move under itself or its descendants,
    and its name stays unique among its new siblings."""
    unknown = set(changes) - {"name", "parent_id", "position"}
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"{name} is not a category field.", field=name)
    with transaction.atomic():
        category = KbCategory.objects.select_for_update().get(pk=category.pk)
        tenant = category.tenant
        if "name" in changes:
            category.name = _category_name(changes["name"])
            category.slug = _category_slug(category.name)
        if "parent_id" in changes:
            parent = _category_parent(tenant, changes["parent_id"])
            _refuse_cycle(category, parent)
            category.parent = parent
        if "position" in changes:
            check_fits(KbCategory, {"position": changes["position"]})
            category.position = changes["position"]
        _refuse_sibling_name(tenant, category.parent, category.name, category)
        return _category_save(category)


def category_rename(*, category: KbCategory, name: str) -> KbCategory:
    return category_update(category=category, changes={"name": name})


def category_move(*, category: KbCategory, parent_id: int | None) -> KbCategory:
    return category_update(category=category, changes={"parent_id": parent_id})


def _refuse_cycle(category: KbCategory, parent: KbCategory | None) -> None:
    parents = dict(KbCategory.objects.filter(tenant_id=category.tenant_id)
                   .values_list("pk", "parent_id"))
    seen: set[int] = set()
    at = parent.pk if parent is not None else None
    while at is not None and at not in seen:
        if at == category.pk:
            raise Invalid("A category cannot move under itself or one of its subcategories.",
                          field="parent_id")
        seen.add(at)
        at = parents.get(at)


def category_delete(*, category: KbCategory) -> None:
    """Deletes an empty category; one that still holds articles (in any status) or
    subcategories is refused (Conflict): move or delete them first."""
    with transaction.atomic():
        category = KbCategory.objects.select_for_update().get(pk=category.pk)
        if category.children.exists():
            raise Conflict(f"{category.name} has subcategories: move or delete them first.")
        if category.articles.exists():
            raise Conflict(f"{category.name} holds articles: move them to another category "
                           "first.")
        category.delete()


# --- articles ----------------------------------------------------------------------------------


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags trimmed, lower-case, each once, in the order given; Invalid (naming `tags`) for
    more than MAX_TAGS or one longer than MAX_TAG_LENGTH characters."""
    cleaned: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise Invalid("Tags are text.", field="tags")
        tag = check_text(tag, field="tags").strip().lower()
        if len(tag) > MAX_TAG_LENGTH:
            raise Invalid(f"A tag has at most {MAX_TAG_LENGTH} characters.", field="tags")
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise Invalid(f"An article has at most {MAX_TAGS} tags.", field="tags")
    return cleaned


def _article_values(tenant: Tenant, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` checked and normalized into model field values (`category_id` becomes
    `category`); the slug is left as given, for `_set_slug`."""
    unknown = set(changes) - set(ARTICLE_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"{name} is not an article field.", field=name)
    values = dict(changes)
    for name in ("title", "slug", "summary", "body", "language", "visibility"):
        if name in values:
            if not isinstance(values[name], str):
                raise Invalid(f"{name} must be text.", field=name)
            check_text(values[name], field=name)
    if "title" in values:
        values["title"] = values["title"].strip()
        if not values["title"]:
            raise Invalid("An article needs a title.", field="title")
    if "summary" in values:
        values["summary"] = values["summary"].strip()
    if "body" in values and len(values["body"]) > MAX_BODY:
        raise Invalid(f"The body has at most {MAX_BODY:,} characters.", field="body")
    if "language" in values:
        values["language"] = values["language"].strip()
        if not _LANGUAGE.fullmatch(values["language"]):
            raise Invalid("language is a language tag such as en or pt-BR.", field="language")
    if "visibility" in values and values["visibility"] not in Visibility.values:
        raise Invalid(f"visibility is one of {', '.join(Visibility.values)}.",
                      field="visibility")
    if "tags" in values:
        values["tags"] = clean_tags(values["tags"] or [])
    check_fits(Article, {k: v for k, v in values.items() if k != "slug"})
    if "category_id" in values:
        category_id = values.pop("category_id")
        values["category"] = None
        if category_id is not None:
            values["category"] = KbCategory.objects.filter(tenant=tenant,
                                                           pk=category_id).first()
            if values["category"] is None:
                raise Invalid(f"No category with id {category_id}.", field="category_id")
    return values


def _slug_taken(tenant_id: int, slug: str, article: Article | None) -> bool:
    live = Article.objects.filter(tenant_id=tenant_id, slug=slug)
    old = ArticleSlug.objects.filter(tenant_id=tenant_id, slug=slug)
    if article is not None and article.pk is not None:
        live = live.exclude(pk=article.pk)
        old = old.exclude(article=article)
    return live.exists() or old.exists()


def _title_slug(title: str) -> str:
    return slugify(title, allow_unicode=True).strip("-_") or "article"


def _free_slug(tenant_id: int, base: str, article: Article | None) -> str:
    """`base`, or `base-2`, `base-3`, … : the first no other article of the tenant holds,
    now or as an old slug."""
    limit = max_length(Article, "slug")
    base = base[:limit].strip("-_") or "article"
    # Every candidate starts with this much of the base.
    live = Article.objects.filter(tenant_id=tenant_id, slug__startswith=base[:limit - 8])
    old = ArticleSlug.objects.filter(tenant_id=tenant_id, slug__startswith=base[:limit - 8])
    if article is not None and article.pk is not None:
        live = live.exclude(pk=article.pk)
        old = old.exclude(article_id=article.pk)
    taken = {*live.values_list("slug", flat=True), *old.values_list("slug", flat=True)}
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[:limit - len(suffix)].rstrip("-_") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _explicit_slug(tenant_id: int, given: str, article: Article | None) -> str:
    slug = slugify(given, allow_unicode=True).strip("-_")
    if not slug:
        raise Invalid("A slug needs letters or digits.", field="slug")
    check_fits(Article, {"slug": slug})
    if _slug_taken(tenant_id, slug, article):
        raise Conflict(f"Another article has the slug {slug!r} (or had it): choose another.")
    return slug


def _derived_from(slug: str, title: str) -> bool:
    """Whether `slug` is what `title` made of itself: the title's slug, perhaps cut to the
    column's length, perhaps with a number added for uniqueness."""
    base = _title_slug(title)
    stem = re.sub(r"-\d+$", "", slug)
    cut = max_length(Article, "slug") - 8
    return slug == base or stem == base or (len(stem) >= cut and base.startswith(stem))


def _set_slug(article: Article, values: dict[str, Any], now: datetime) -> None:
    """Gives `article` its slug for these changes (see the module's docstring)."""
    given = values.pop("slug", None)
    if given is not None:
        slug = _explicit_slug(article.tenant_id, given, article)
    elif article.version == 0 and "title" in values and (
            not article.slug or _derived_from(article.slug, article.title)):
        slug = _free_slug(article.tenant_id, _title_slug(values["title"]), article)
    else:
        return
    if slug == article.slug:
        return
    if article.version > 0 and article.slug:
        # Published once: links to the slug may exist, so it keeps leading here.
        ArticleSlug.objects.get_or_create(
            tenant_id=article.tenant_id, article=article, slug=article.slug,
            defaults={"created_at": now})
    ArticleSlug.objects.filter(tenant_id=article.tenant_id, article=article, slug=slug).delete()
    article.slug = slug


def _write(article: Article, values: dict[str, Any], now: datetime) -> Article:
    body_changed = article.pk is None or ("body" in values and values["body"] != article.body)
    for name, value in values.items():
        setattr(article, name, value)
    if body_changed:
        article.body_html = render(article.body)
    article.updated_at = now
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        # Another article took the slug at the same moment.
        raise Conflict(f"Another article has the slug {article.slug!r}: try again.") from None
    index.index_article(article)
    return article


def article_create(*, tenant: Tenant, author: User | None, title: str, body: str = "",
                   now: datetime, **fields: Any) -> Article:
    """A new draft (`fields`: summary, category_id, tags, language, visibility, slug); its
    slug comes from the title unless one is given."""
    if fields.get("slug") is None:
        fields.pop("slug", None)
    values = _article_values(tenant, {"title": title, "body": body, **fields})
    with transaction.atomic():
        article = Article(tenant=tenant, author=author, status=ArticleStatus.DRAFT,
                          created_at=now, updated_at=now, slug="")
        given = values.pop("slug", None)
        article.slug = (_explicit_slug(tenant.pk, given, None) if given is not None
                        else _free_slug(tenant.pk, _title_slug(values["title"]), None))
        return _write(article, values, now)


def article_update(*, article: Article, changes: dict[str, Any], now: datetime) -> Article:
    """Changes the working copy: title, slug, summary, body, category_id, tags, language,
    visibility (the slug rules are in the module's docstring)."""
    values = _article_values(article.tenant, changes)
    with transaction.atomic():
        article = Article.objects.select_for_update(of=("self",)).select_related("tenant").get(
            pk=article.pk)
        _set_slug(article, values, now)
        return _write(article, values, now)


def article_publish(*, article: Article, actor: User | None, now: datetime) -> Article:
    """Publishes the working copy: it becomes version `version + 1` (an `ArticleVersion`
    holding its text) and the article is published as of `now` (`published_at` is the latest
    publish). An article needs a body to be published."""
    with transaction.atomic():
        article = Article.objects.select_for_update(of=("self",)).select_related("tenant").get(
            pk=article.pk)
        if not article.body.strip():
            raise Conflict("An article needs a body before it can be published.")
        article.version += 1
        ArticleVersion.objects.create(
            tenant_id=article.tenant_id, article=article, number=article.version,
            title=article.title, summary=article.summary, body=article.body, author=actor,
            created_at=now)
        article.status = ArticleStatus.PUBLISHED
        article.published_at = now
        return _write(article, {}, now)


def article_archive(*, article: Article, now: datetime) -> Article:
    """Takes the article out of the readers' sight (its versions and old slugs stay);
    archiving an archived article changes nothing. Publishing brings it back."""
    with transaction.atomic():
        article = Article.objects.select_for_update(of=("self",)).select_related("tenant").get(
            pk=article.pk)
        if article.status == ArticleStatus.ARCHIVED:
            return article
        article.status = ArticleStatus.ARCHIVED
        return _write(article, {}, now)


def article_restore_version(*, article: Article, number: int, now: datetime) -> Article:
    """Copies version `number`'s title, summary and body back as the working copy; the
    status stays as it is (see the module's docstring). The slug does not move."""
    with transaction.atomic():
        article = Article.objects.select_for_update(of=("self",)).select_related("tenant").get(
            pk=article.pk)
        version = ArticleVersion.objects.filter(article=article, number=number).first()
        if version is None:
            raise NotFound(f"The article has no version {number}.")
        values = {"title": version.title, "summary": version.summary, "body": version.body}
        return _write(article, values, now)


def article_delete(*, article: Article) -> None:
    """Deletes a draft that was never published, and its files from the storage once the
    deletion has committed. Anything once published may have readers and links (and
    analytics): archive it instead (Conflict)."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status != ArticleStatus.DRAFT or article.version > 0:
            raise Conflict("Only a draft that was never published can be deleted: archive "
                           "this article instead.")
        article_id = article.pk
        article_files_drop(article)
        article.delete()
        index.unindex_article(article_id)
