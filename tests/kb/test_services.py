"""The knowledge base's writes: categories as a tree, articles with slugs, versions and
publishing, and the checks every write makes."""

from datetime import timedelta

import pytest

from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.kb import services
from casedesk.kb.models import Article, ArticleSlug, ArticleVersion, KbCategory
from tests.conftest import NOW


@pytest.fixture
def billing(tenant):
    return services.category_create(tenant=tenant, name="Billing", now=NOW)


def _article(tenant, title="Reset your password", **fields):
    return services.article_create(tenant=tenant, author=None, title=title,
                                   body=fields.pop("body", "Click **reset**."), now=NOW,
                                   **fields)


# --- categories --------------------------------------------------------------------------------


def test_categories_make_a_tree_with_names_unique_among_siblings(tenant, billing) -> None:
    invoices = services.category_create(tenant=tenant, name="Invoices", parent_id=billing.pk,
                                        now=NOW)
    assert invoices.parent_id == billing.pk and invoices.slug == "invoices"
    with pytest.raises(Conflict):
        services.category_create(tenant=tenant, name="invoices", parent_id=billing.pk, now=NOW)
    # The same name elsewhere in the tree is fine.
    services.category_create(tenant=tenant, name="Invoices", now=NOW)
    with pytest.raises(Conflict):
        services.category_create(tenant=tenant, name="Billing", now=NOW)
    other = services.category_create(tenant=tenant, name="Receipts", parent_id=billing.pk,
                                     now=NOW)
    with pytest.raises(Conflict):
        services.category_rename(category=other, name="INVOICES")


def test_a_category_cannot_move_under_itself_or_its_descendants(tenant, billing) -> None:
    invoices = services.category_create(tenant=tenant, name="Invoices", parent_id=billing.pk,
                                        now=NOW)
    paper = services.category_create(tenant=tenant, name="Paper", parent_id=invoices.pk,
                                     now=NOW)
    for parent in (billing, invoices, paper):
        with pytest.raises(Invalid) as refused:
            services.category_move(category=billing, parent_id=parent.pk)
        assert refused.value.field == "parent_id"
    moved = services.category_move(category=paper, parent_id=None)
    assert moved.parent_id is None
    assert KbCategory.objects.get(pk=billing.pk).parent_id is None


def test_a_move_refuses_a_name_taken_among_the_new_siblings(tenant, billing) -> None:
    services.category_create(tenant=tenant, name="Invoices", now=NOW)
    nested = services.category_create(tenant=tenant, name="Invoices", parent_id=billing.pk,
                                      now=NOW)
    with pytest.raises(Conflict):
        services.category_move(category=nested, parent_id=None)


def test_an_unknown_or_foreign_parent_is_invalid(tenant, other_tenant) -> None:
    theirs = services.category_create(tenant=other_tenant, name="Theirs", now=NOW)
    for parent_id in (theirs.pk, 10**9):
        with pytest.raises(Invalid) as refused:
            services.category_create(tenant=tenant, name="Mine", parent_id=parent_id, now=NOW)
        assert refused.value.field == "parent_id"


def test_only_an_empty_category_is_deleted(tenant, billing) -> None:
    child = services.category_create(tenant=tenant, name="Invoices", parent_id=billing.pk,
                                     now=NOW)
    with pytest.raises(Conflict, match="subcategories"):
        services.category_delete(category=billing)
    article = _article(tenant, category_id=child.pk)
    with pytest.raises(Conflict, match="articles"):
        services.category_delete(category=child)
    services.article_update(article=article, changes={"category_id": None}, now=NOW)
    services.category_delete(category=child)
    services.category_delete(category=billing)
    assert not KbCategory.objects.filter(tenant=tenant).exists()


def test_a_category_name_is_checked(tenant) -> None:
    for name, field in (("  ", "name"), ("x" * 101, "name"), ("a\x00b", "name")):
        with pytest.raises(Invalid) as refused:
            services.category_create(tenant=tenant, name=name, now=NOW)
        assert refused.value.field == field


# --- articles ----------------------------------------------------------------------------------


def test_a_new_article_is_a_draft_with_a_slug_and_rendered_body(tenant, billing) -> None:
    article = _article(tenant, category_id=billing.pk, tags=[" VPN ", "vpn", "Login"],
                       body="<script>x</script> **hi**")
    assert article.status == "draft" and article.version == 0
    assert article.slug == "reset-your-password"
    assert article.tags == ["vpn", "login"]
    assert "<script>" not in article.body_html and "<strong>hi</strong>" in article.body_html


def test_slugs_are_unique_against_live_and_old_slugs(tenant) -> None:
    first = _article(tenant)
    second = _article(tenant)
    assert second.slug == "reset-your-password-2"
    services.article_publish(article=first, actor=None, now=NOW)
    services.article_update(article=first, changes={"slug": "password-reset"}, now=NOW)
    # The first article's old slug is still taken: the third gets the next number.
    Article.objects.filter(pk=second.pk).update(slug="other")
    third = _article(tenant)
    assert third.slug == "reset-your-password-2"
    with pytest.raises(Conflict):
        services.article_update(article=third, changes={"slug": "reset-your-password"},
                                now=NOW)


def test_unicode_titles_keep_their_letters_in_the_slug(tenant) -> None:
    assert _article(tenant, title="Пароль забыт").slug == "пароль-забыт"
    assert _article(tenant, title="!!!").slug == "article"


def test_a_drafts_slug_follows_its_title_until_published(tenant) -> None:
    article = _article(tenant)
    article = services.article_update(article=article, changes={"title": "Forgot password"},
                                      now=NOW)
    assert article.slug == "forgot-password"
    article = services.article_update(article=article, changes={"slug": "my-own"}, now=NOW)
    article = services.article_update(article=article, changes={"title": "Lost password"},
                                      now=NOW)
    assert article.slug == "my-own"  # the editor's own slug stays
    assert not ArticleSlug.objects.filter(article=article).exists()  # never published


def test_a_published_articles_slug_never_changes_under_an_existing_link(tenant) -> None:
    article = services.article_publish(article=_article(tenant), actor=None, now=NOW)
    article = services.article_update(article=article, changes={"title": "Forgot password"},
                                      now=NOW)
    assert article.slug == "reset-your-password"
    article = services.article_update(article=article, changes={"slug": "forgot-password"},
                                      now=NOW)
    assert article.slug == "forgot-password"
    assert list(ArticleSlug.objects.filter(article=article).values_list("slug", flat=True)) \
        == ["reset-your-password"]
    # Going back to the old slug takes it out of the old ones and keeps the other.
    article = services.article_update(article=article, changes={"slug": "reset-your-password"},
                                      now=NOW)
    assert list(ArticleSlug.objects.filter(article=article).values_list("slug", flat=True)) \
        == ["forgot-password"]


def test_publishing_keeps_every_version(tenant) -> None:
    article = _article(tenant, body="First text")
    article = services.article_publish(article=article, actor=None, now=NOW)
    assert (article.status, article.version, article.published_at) == ("published", 1, NOW)
    later = NOW + timedelta(hours=1)
    article = services.article_update(article=article, changes={"body": "Second text"},
                                      now=later)
    article = services.article_publish(article=article, actor=None, now=later)
    assert article.version == 2 and article.published_at == later
    assert list(ArticleVersion.objects.filter(article=article).values_list("number", "body")) \
        == [(2, "Second text"), (1, "First text")]


def test_restoring_copies_an_old_version_back_as_the_working_copy(tenant) -> None:
    article = services.article_publish(article=_article(tenant, body="Old *text*"),
                                       actor=None, now=NOW)
    services.article_update(article=article, changes={"title": "New", "body": "New text"},
                            now=NOW)
    article = services.article_publish(article=article, actor=None, now=NOW)
    article = services.article_restore_version(article=article, number=1, now=NOW)
    assert (article.title, article.body) == ("Reset your password", "Old *text*")
    assert "<em>text</em>" in article.body_html
    assert (article.status, article.version) == ("published", 2)  # until published again
    assert ArticleVersion.objects.filter(article=article).count() == 2
    with pytest.raises(NotFound):
        services.article_restore_version(article=article, number=3, now=NOW)


def test_archiving_and_deleting(tenant) -> None:
    draft = _article(tenant, title="Draft")
    published = services.article_publish(article=_article(tenant), actor=None, now=NOW)
    archived = services.article_archive(article=published, now=NOW)
    assert archived.status == "archived"
    assert services.article_archive(article=archived, now=NOW).status == "archived"
    with pytest.raises(Conflict, match="archive"):
        services.article_delete(article=archived)
    services.article_delete(article=draft)
    assert not Article.objects.filter(pk=draft.pk).exists()


def test_an_empty_body_is_not_published(tenant) -> None:
    with pytest.raises(Conflict):
        services.article_publish(article=_article(tenant, body="  "), actor=None, now=NOW)


@pytest.mark.parametrize(("changes", "field"), [
    ({"body": "x" * 1_000_001}, "body"),
    ({"body": "a\x00b"}, "body"),
    ({"title": "a\x00b"}, "title"),
    ({"title": " "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"summary": "x" * 501}, "summary"),
    ({"category_id": 10**9}, "category_id"),
    ({"tags": ["x"] * 1 + [f"t{i}" for i in range(20)]}, "tags"),
    ({"tags": ["x" * 51]}, "tags"),
    ({"tags": ["a\x00"]}, "tags"),
    ({"language": "english please"}, "language"),
    ({"visibility": "secret"}, "visibility"),
    ({"slug": "---"}, "slug"),
    ({"slug": "x" * 201}, "slug"),
    ({"author": 1}, "author"),
])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(tenant, changes,
                                                                    field) -> None:
    article = _article(tenant)
    before = Article.objects.filter(pk=article.pk).values().get()
    with pytest.raises(Invalid) as refused:
        services.article_update(article=article, changes=changes, now=NOW)
    assert refused.value.field == field
    assert Article.objects.filter(pk=article.pk).values().get() == before


def test_a_body_of_exactly_the_limit_is_taken(tenant) -> None:
    article = _article(tenant, body="x" * 1_000_000)
    assert len(article.body) == 1_000_000


def test_another_tenants_category_is_unknown(tenant, other_tenant) -> None:
    theirs = services.category_create(tenant=other_tenant, name="Theirs", now=NOW)
    with pytest.raises(Invalid) as refused:
        _article(tenant, category_id=theirs.pk)
    assert refused.value.field == "category_id"


def test_every_write_updates_the_search_index(tenant, monkeypatch) -> None:
    indexed: list[tuple[int, str]] = []
    unindexed: list[int] = []
    monkeypatch.setattr("casedesk.kb.index.index_article",
                        lambda article: indexed.append((article.pk, article.status)))
    monkeypatch.setattr("casedesk.kb.index.unindex_article", unindexed.append)
    article = _article(tenant)
    services.article_update(article=article, changes={"body": "new"}, now=NOW)
    services.article_publish(article=article, actor=None, now=NOW)
    services.article_restore_version(article=article, number=1, now=NOW)
    services.article_archive(article=article, now=NOW)
    assert [status for _, status in indexed] == ["draft", "draft", "published", "published",
                                                 "archived"]
    draft = _article(tenant, title="Gone")
    services.article_delete(article=draft)
    assert unindexed == [draft.pk]
