"""The agents' knowledge-base pages: the list with search and filters, the editor and its
preview, publishing and versions, the category tree, who may do what, another tenant's
records, and bad input answered with form errors."""

import re

import pytest

from casedesk.kb import services
from casedesk.kb.models import Article, ArticleStatus, KbCategory, KbEvent, KbEventKind
from casedesk.kb.services import MAX_BODY
from casedesk.kb.views import articles as article_views
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, login
from tests.tenancy.pages import has_error
from tests.test_security import INLINE

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def tree(tenant):
    billing = services.category_create(tenant=tenant, name="Billing", now=NOW)
    invoices = services.category_create(tenant=tenant, name="Invoices", parent_id=billing.pk,
                                        now=NOW)
    accounts = services.category_create(tenant=tenant, name="Accounts", now=NOW)
    return {"billing": billing, "invoices": invoices, "accounts": accounts}


def _article(tenant, title="Reset your password", *, author=None, publish=False, **fields):
    article = services.article_create(tenant=tenant, author=author, title=title,
                                      body=fields.pop("body", "Click **reset**."), now=NOW,
                                      **fields)
    if publish:
        article = services.article_publish(article=article, actor=author, now=NOW)
    return article


def _form(**fields):
    """What the editor posts: every field, as the browser sends them."""
    data = {"title": "Reset your password", "summary": "", "category": "", "tags": "",
            "language": "en", "visibility": "internal", "slug": "", "body": "Click **reset**."}
    data.update(fields)
    return data


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def _text(response) -> str:
    return response.content.decode()


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_title_category_path_status_visibility_and_author(
        tenant, admin, tree, clock) -> None:
    article = _article(tenant, "Download an invoice", author=admin.user,
                       category_id=tree["invoices"].pk, visibility="public")
    response = login(admin).get("/kb/")
    assert response.status_code == 200
    html = _text(response)
    row = re.search(rf'<tr id="article-{article.pk}">.*?</tr>', html, re.S).group(0)
    assert f'href="/kb/articles/{article.pk}"' in row and "Download an invoice" in row
    assert "Billing › Invoices" in row and "Draft" in row and "Public" in row
    assert admin.user.display_name in row
    assert 'data-testid="new-article"' in html


def test_filters_by_category_take_in_its_descendants_and_by_status_and_visibility(
        tenant, admin, tree) -> None:
    invoice = _article(tenant, "Download an invoice", category_id=tree["invoices"].pk,
                       publish=True)
    refund = _article(tenant, "Ask for a refund", category_id=tree["billing"].pk,
                      visibility="public")
    login_help = _article(tenant, "Two-factor sign-in", category_id=tree["accounts"].pk)
    client = login(admin)

    def listed(**params) -> set[int]:
        html = _text(client.get("/kb/", params))
        return {int(pk) for pk in re.findall(r'<tr id="article-(\d+)"', html)}

    assert listed() == {invoice.pk, refund.pk, login_help.pk}
    assert listed(category=tree["billing"].pk) == {invoice.pk, refund.pk}
    assert listed(category=tree["invoices"].pk) == {invoice.pk}
    assert listed(status="published") == {invoice.pk}
    assert listed(visibility="public") == {refund.pk}
    assert listed(category=tree["billing"].pk, status="draft") == {refund.pk}
    # A filter value that does not parse is left out, never an error.
    assert listed(category="nine", status="gone") == {invoice.pk, refund.pk, login_help.pk}


def test_a_search_ranks_and_is_recorded_once_for_its_first_page(
        tenant, admin, clock, monkeypatch) -> None:
    _article(tenant, "Reset your password", body="Use the reset link in the sign-in page.")
    _article(tenant, "Change your email", body="You can also reset the password from here.")
    _article(tenant, "Printer setup", body="Nothing about it.")
    client = login(admin)
    response = client.get("/kb/", {"q": "reset password"})
    titles = re.findall(r'class="subject">([^<]+)</a>', _text(response))
    assert titles[:2] == ["Reset your password", "Change your email"]
    assert "Printer setup" not in titles
    searches = KbEvent.objects.filter(tenant=tenant, kind=KbEventKind.SEARCH)
    assert [(e.query, e.results, e.user_id) for e in searches.all()] == [
        ("reset password", 2, admin.user_id)]

    # The next page of the same search is not another search.
    monkeypatch.setattr(article_views, "PAGE_SIZE", 1)
    first = client.get("/kb/", {"q": "reset password"})
    next_link = re.search(r'href="\?([^"]+)" rel="next"', _text(first)).group(1)
    second = client.get(f"/kb/?{next_link.replace('&amp;', '&')}")
    assert re.findall(r'class="subject">([^<]+)</a>', _text(second)) == ["Change your email"]
    assert searches.count() == 2

    # A search that finds nothing is a content gap, and says so.
    empty = client.get("/kb/", {"q": "fax machine"})
    assert "No article matches “fax machine”" in _text(empty)
    assert searches.filter(query="fax machine", results=0).exists()


def test_the_list_pages_on_with_next_page(tenant, admin, clock, monkeypatch) -> None:
    monkeypatch.setattr(article_views, "PAGE_SIZE", 2)
    for i in range(3):
        _article(tenant, f"Article {i}")
        clock.advance(minutes=1)
    client = login(admin)
    first = _text(client.get("/kb/"))
    assert len(re.findall(r'<tr id="article-', first)) == 2
    cursor = re.search(r'href="\?(cursor=[^"]+)" rel="next"', first).group(1)
    second = _text(client.get(f"/kb/?{cursor}"))
    assert len(re.findall(r'<tr id="article-', second)) == 1
    assert 'rel="next"' not in second and "« First page" in second
    broken = client.get("/kb/", {"cursor": "garbage"}, follow=True)
    assert broken.redirect_chain[-1][0] == "/kb/" and "cursor is not valid" in _messages(broken)


def test_the_list_answers_htmx_with_its_results_only(tenant, admin) -> None:
    _article(tenant, "Reset your password")
    response = login(admin).get("/kb/", {"q": "password"}, HTTP_HX_TARGET="kb-results", **HX)
    html = _text(response)
    assert html.lstrip().startswith('<div id="kb-results">')
    assert "Reset your password" in html and "<html" not in html


def test_empty_states_speak_to_who_is_reading(tenant, admin, agent) -> None:
    assert "No articles yet — " in _text(login(admin).get("/kb/"))
    assert "write the first one" in _text(login(admin).get("/kb/"))
    tenant.kb_agents_may_draft = False
    tenant.save()
    html = _text(login(agent).get("/kb/"))
    assert "No articles yet." in html and "write the first one" not in html
    assert 'data-testid="new-article"' not in html


# --- the editor, publishing, versions ----------------------------------------------------------


def test_create_edit_publish_edit_publish_then_restore_a_version(
        tenant, admin, tree, clock) -> None:
    client = login(admin)
    assert client.get("/kb/articles/new").status_code == 200
    created = client.post("/kb/articles/new", _form(
        title="Pay an invoice", summary="By card or transfer", category=tree["invoices"].pk,
        tags="Billing, invoices , billing", visibility="public", body="Pay by **card**."))
    article = Article.objects.get(tenant=tenant, title="Pay an invoice")
    assert created.status_code == 302 and created["Location"] == f"/kb/articles/{article.pk}"
    assert (article.status, article.version, article.author_id) == ("draft", 0, admin.user_id)
    assert article.tags == ["billing", "invoices"] and article.category_id == tree["invoices"].pk
    assert article.slug == "pay-an-invoice"

    page = f"/kb/articles/{article.pk}"
    edit = client.get(f"{page}/edit")
    assert edit.status_code == 200 and "Pay by **card**." in _text(edit)
    assert client.post(f"{page}/edit", _form(
        title="Pay your invoice", category=tree["invoices"].pk, visibility="public",
        slug="pay-an-invoice", body="Pay by **card**.")).status_code == 302
    article.refresh_from_db()
    # A draft's slug follows its title while the editor leaves it as it was.
    assert article.slug == "pay-your-invoice"

    clock.advance(hours=1)
    published = client.post(f"{page}/publish", follow=True)
    assert "Published version 1." in _messages(published)
    html = _text(published)
    assert "/portal/acme/kb/pay-your-invoice" in html  # the public link
    assert 'data-testid="publish-article"' not in html  # nothing new to publish

    clock.advance(hours=1)
    client.post(f"{page}/edit", _form(title="Pay your invoice", visibility="public",
                                      category=tree["invoices"].pk, slug="paying",
                                      body="Pay by **card** or *transfer*."))
    article.refresh_from_db()
    assert article.slug == "paying" and article.status == ArticleStatus.PUBLISHED
    html = _text(client.get(page))
    assert "Publish changes" in html and 'data-testid="unpublished-changes"' in html
    assert "pay-your-invoice" in re.search(r'data-testid="old-slugs">(.*?)</dd>', html,
                                           re.S).group(1)
    client.post(f"{page}/publish")
    article.refresh_from_db()
    assert article.version == 2

    versions = _text(client.get(f"{page}/versions"))
    assert re.findall(r'<tr id="version-(\d+)"', versions) == ["2", "1"]
    assert f'href="/kb/articles/{article.pk}/versions/1"' in versions

    old = _text(client.get(f"{page}/versions/1"))
    assert "-Pay by **card**." in old and "+Pay by **card** or *transfer*." in old
    assert "<strong>card</strong>" in old  # the version itself, rendered
    assert 'data-testid="restore-version"' in old

    restored = client.post(f"{page}/versions/1/restore", follow=True)
    assert "Restored version 1 as the working copy" in _messages(restored)
    article.refresh_from_db()
    assert article.body == "Pay by **card**." and article.version == 2
    assert article.status == ArticleStatus.PUBLISHED
    assert "Publish changes" in _text(restored)
    assert 'data-testid="no-changes"' in _text(client.get(f"{page}/versions/1"))


def test_the_article_page_records_a_view_and_shows_what_the_member_may_do(
        tenant, admin, agent, clock) -> None:
    draft = _article(tenant, "Draft only")
    html = _text(login(admin).get(f"/kb/articles/{draft.pk}"))
    for button in ("edit-article", "publish-article", "archive-article", "delete-article"):
        assert f'data-testid="{button}"' in html
    assert "<strong>reset</strong>" in html
    views = KbEvent.objects.filter(kind=KbEventKind.VIEW, article=draft)
    assert [(v.user_id, v.created_at) for v in views] == [(admin.user_id, NOW)]

    published = _article(tenant, "Published one", publish=True)
    html = _text(login(agent).get(f"/kb/articles/{published.pk}"))
    for button in ("edit-article", "publish-article", "archive-article", "delete-article"):
        assert f'data-testid="{button}"' not in html
    assert 'data-testid="versions-link"' in html


def test_archiving_and_publishing_again(tenant, admin) -> None:
    article = _article(tenant, publish=True)
    client = login(admin)
    archived = client.post(f"/kb/articles/{article.pk}/archive", follow=True)
    assert "Archived" in _messages(archived) and 'data-testid="archived-note"' in _text(archived)
    assert "Publish again" in _text(archived)
    client.post(f"/kb/articles/{article.pk}/publish")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.version == 2


def test_publishing_an_empty_body_is_refused_with_the_reason(tenant, admin) -> None:
    article = _article(tenant, body="")
    client = login(admin)
    refused = client.post(f"/kb/articles/{article.pk}/publish", follow=True)
    assert refused.redirect_chain[-1][0] == f"/kb/articles/{article.pk}"
    assert "needs a body" in _messages(refused)
    by_htmx = client.post(f"/kb/articles/{article.pk}/publish", **HX)
    assert by_htmx.status_code == 409 and "needs a body" in _text(by_htmx)
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT and article.version == 0


def test_only_a_draft_never_published_is_deleted(tenant, admin) -> None:
    published = _article(tenant, "Published", publish=True)
    client = login(admin)
    refused = client.post(f"/kb/articles/{published.pk}/delete", follow=True)
    assert "archive this article instead" in _messages(refused)
    assert client.post(f"/kb/articles/{published.pk}/delete", **HX).status_code == 409
    assert Article.objects.filter(pk=published.pk).exists()

    draft = _article(tenant, "Draft")
    deleted = client.post(f"/kb/articles/{draft.pk}/delete", follow=True)
    assert deleted.redirect_chain[-1][0] == "/kb/"
    assert "Deleted the draft “Draft”." in _messages(deleted)
    assert not Article.objects.filter(pk=draft.pk).exists()


def test_the_preview_renders_and_sanitizes(tenant, admin) -> None:
    body = ("# Steps\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) "
            "<a href=\"javascript:alert(3)\" onclick=\"x()\">raw</a>\n\n"
            "<iframe src=\"https://evil.test\"></iframe>")
    response = login(admin).post("/kb/preview", {"body": body}, **HX)
    assert response.status_code == 200
    html = _text(response)
    assert "<h1>Steps</h1>" in html
    assert "<script" not in html and "<iframe" not in html
    tags = re.findall(r"<[a-z][^>]*>", html)
    assert not [t for t in tags if "javascript:" in t or "onclick" in t], tags
    assert "click" in html  # the link's text stays, without its javascript: target
    # Raw HTML is shown as text, not run.
    assert "&lt;script&gt;" in html


def test_the_preview_button_works_without_javascript_and_saves_nothing(tenant, admin) -> None:
    response = login(admin).post("/kb/articles/new", _form(
        title="", body="Some *preview* text", preview="1"))
    assert response.status_code == 200
    html = _text(response)
    assert "<em>preview</em>" in html and "Some *preview* text" in html
    assert not has_error(response, "title")  # a preview is not a save
    assert not Article.objects.filter(tenant=tenant).exists()


def test_the_preview_explains_what_it_cannot_render(tenant, admin) -> None:
    client = login(admin)
    nul = client.post("/kb/preview", {"body": "a\x00b"})
    assert nul.status_code == 422 and "must not contain NUL" in _text(nul)
    big = client.post("/kb/preview", {"body": "x" * (MAX_BODY + 1)}, **HX)
    assert big.status_code == 200 and 'data-testid="preview-problem"' in _text(big)


def test_the_editor_copes_with_a_one_megabyte_body(tenant, admin) -> None:
    body = ("A line of text with **bold** words.\n\n" * 30_000)[:MAX_BODY]
    client = login(admin)
    created = client.post("/kb/articles/new", _form(title="Long one", body=body))
    assert created.status_code == 302
    article = Article.objects.get(tenant=tenant, title="Long one")
    assert article.body == body
    edit = client.get(f"/kb/articles/{article.pk}/edit")
    assert edit.status_code == 200 and len(edit.content) > MAX_BODY


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fields, field", [
    ({"title": "a\x00b"}, "title"),
    ({"body": "a\x00b"}, "body"),
    ({"body": "x" * 2_000_000}, "body"),
    ({"title": ""}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"slug": "!!!"}, "slug"),
    ({"language": "not a language"}, "language"),
    ({"visibility": "everyone"}, "visibility"),
    ({"category": "99999999"}, "category"),
    ({"category": "seven"}, "category"),
    ({"tags": ", ".join(f"tag{i}" for i in range(21))}, "tags"),
])
def test_bad_input_is_a_form_error_and_saves_nothing(tenant, admin, fields, field) -> None:
    response = login(admin).post("/kb/articles/new", _form(**fields))
    assert response.status_code == 422, response.status_code
    assert has_error(response, field), field
    assert not Article.objects.filter(tenant=tenant).exists()


def test_another_tenants_category_is_a_form_error(tenant, admin, foreign) -> None:
    response = login(admin).post("/kb/articles/new", _form(category=foreign.kb_category_id))
    assert response.status_code == 422 and has_error(response, "category")
    assert "Choose a category from the list." in _text(response)


def test_a_slug_another_article_holds_is_a_form_error(tenant, admin) -> None:
    _article(tenant, "Reset your password")
    article = _article(tenant, "Other")
    response = login(admin).post(f"/kb/articles/{article.pk}/edit", _form(
        title="Other", slug="reset-your-password"))
    assert response.status_code == 409 and has_error(response, "slug")
    article.refresh_from_db()
    assert article.slug == "other"


def test_pages_refuse_posts_without_the_csrf_token(tenant, admin) -> None:
    article = _article(tenant)
    client = login(admin, enforce_csrf_checks=True)
    for url in ("/kb/articles/new", f"/kb/articles/{article.pk}/publish", "/kb/preview",
                "/kb/categories"):
        assert client.post(url, _form()).status_code == 403, url
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT


def test_the_pages_need_nothing_the_content_security_policy_refuses(
        tenant, admin, tree) -> None:
    article = _article(tenant, "Pay an invoice", category_id=tree["invoices"].pk, tags=["pay"],
                       visibility="public", publish=True,
                       body="# Pay\n\n- by **card**\n\n[help](https://example.com)")
    services.article_update(article=article, changes={"body": "Changed"}, now=NOW)
    client = login(admin)
    for url in ("/kb/", "/kb/?q=pay", "/kb/articles/new", f"/kb/articles/{article.pk}",
                f"/kb/articles/{article.pk}/edit", f"/kb/articles/{article.pk}/versions",
                f"/kb/articles/{article.pk}/versions/1", "/kb/categories"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = _text(response)
        for pattern, what in INLINE:
            found = pattern.search(html)
            assert found is None, f"{url} has {what}: {html[found.start():found.start() + 80]}"


def test_a_version_number_no_article_has_is_a_404(tenant, admin) -> None:
    article = _article(tenant, publish=True)
    client = login(admin)
    for number in (2, 0, 2**40):
        assert client.get(f"/kb/articles/{article.pk}/versions/{number}").status_code == 404
        assert client.post(
            f"/kb/articles/{article.pk}/versions/{number}/restore").status_code == 404


# --- permissions -------------------------------------------------------------------------------


def test_an_agent_drafts_while_the_tenant_lets_them(tenant, agent, manager) -> None:
    client = login(agent)
    assert client.post("/kb/articles/new", _form(title="Agent draft")).status_code == 302
    draft = Article.objects.get(tenant=tenant, title="Agent draft")
    assert draft.author_id == agent.user_id
    assert client.post(f"/kb/articles/{draft.pk}/edit",
                       _form(title="Agent draft", body="Better")).status_code == 302
    assert client.post("/kb/preview", {"body": "x"}).status_code == 200
    # ...but never publishes, archives or restores.
    assert client.post(f"/kb/articles/{draft.pk}/publish").status_code == 403
    assert client.post(f"/kb/articles/{draft.pk}/archive").status_code == 403
    services.article_publish(article=draft, actor=manager.user, now=NOW)
    # Once published, the article is the editors' to change.
    assert client.get(f"/kb/articles/{draft.pk}/edit").status_code == 403
    assert client.post(f"/kb/articles/{draft.pk}/edit", _form()).status_code == 403
    assert client.post(f"/kb/articles/{draft.pk}/delete").status_code == 403
    assert client.post(f"/kb/articles/{draft.pk}/versions/1/restore").status_code == 403
    html = _text(client.get(f"/kb/articles/{draft.pk}/versions/1"))
    assert 'data-testid="restore-version"' not in html
    draft.refresh_from_db()
    assert draft.body == "Better" and draft.title == "Agent draft"


def test_an_agent_without_drafting_only_reads(tenant: Tenant, agent: Membership) -> None:
    tenant.kb_agents_may_draft = False
    tenant.save()
    article = _article(tenant)
    client = login(agent)
    assert client.get(f"/kb/articles/{article.pk}").status_code == 200
    assert client.get("/kb/articles/new").status_code == 403
    assert client.post("/kb/articles/new", _form(title="Nope")).status_code == 403
    assert client.get(f"/kb/articles/{article.pk}/edit").status_code == 403
    assert client.post("/kb/preview", {"body": "x"}).status_code == 403
    assert not Article.objects.filter(title="Nope").exists()


def test_another_tenants_article_and_category_are_404(tenant, admin, foreign) -> None:
    client = login(admin)
    article = f"/kb/articles/{foreign.kb_article_id}"
    for url in (article, f"{article}/edit", f"{article}/versions", f"{article}/versions/1"):
        assert client.get(url).status_code == 404, url
    for url in (f"{article}/edit", f"{article}/publish", f"{article}/archive",
                f"{article}/delete", f"{article}/versions/1/restore"):
        assert client.post(url, _form()).status_code == 404, url
    category = f"/kb/categories/{foreign.kb_category_id}"
    for url in (f"{category}/rename", f"{category}/move", f"{category}/delete"):
        assert client.post(url, {"name": "Mine now", "parent": ""}).status_code == 404, url
    assert Article.objects.get(pk=foreign.kb_article_id).title == "Globex invoices"
    assert KbCategory.objects.get(pk=foreign.kb_category_id).name == "Globex billing"


# --- categories --------------------------------------------------------------------------------


def test_agents_may_not_manage_categories(tenant, agent, tree) -> None:
    client = login(agent)
    assert client.get("/kb/categories").status_code == 403
    assert client.post("/kb/categories", {"name": "Mine"}).status_code == 403
    assert client.post(f"/kb/categories/{tree['billing'].pk}/delete").status_code == 403
    assert 'href="/kb/categories"' not in _text(client.get("/kb/"))


def test_the_tree_is_created_renamed_moved_and_deleted(tenant, manager, tree) -> None:
    client = login(manager)
    html = _text(client.get("/kb/categories"))
    rows = re.findall(r'<tr id="category-(\d+)"[^>]*>\s*<td class="kb-depth-(\d)', html)
    assert rows == [(str(tree["accounts"].pk), "0"), (str(tree["billing"].pk), "0"),
                    (str(tree["invoices"].pk), "1")]

    created = client.post("/kb/categories", {"name": "Refunds", "parent": tree["billing"].pk},
                          follow=True)
    refunds = KbCategory.objects.get(tenant=tenant, name="Refunds")
    assert refunds.parent_id == tree["billing"].pk
    assert "Created the category Refunds." in _messages(created)

    duplicate = client.post("/kb/categories", {"name": "refunds",
                                               "parent": tree["billing"].pk})
    assert duplicate.status_code == 409 and has_error(duplicate, "name")

    client.post(f"/kb/categories/{refunds.pk}/rename", {"name": "Refunds and credits"})
    client.post(f"/kb/categories/{refunds.pk}/move", {"parent": ""})
    refunds.refresh_from_db()
    assert (refunds.name, refunds.parent_id) == ("Refunds and credits", None)

    # Under itself: refused on its row, with the service's reason.
    cycle = client.post(f"/kb/categories/{tree['billing'].pk}/move",
                        {"parent": tree["invoices"].pk})
    assert cycle.status_code == 422 and "cannot move under itself" in _text(cycle)
    # The move select offers no place inside the category's own subtree.
    billing_row = re.search(rf'<tr id="category-{tree["billing"].pk}".*?</tr>',
                            _text(client.get("/kb/categories")), re.S).group(0)
    assert f'value="{tree["invoices"].pk}"' not in billing_row

    deleted = client.post(f"/kb/categories/{refunds.pk}/delete", follow=True)
    assert "Deleted the category Refunds and credits." in _messages(deleted)
    assert not KbCategory.objects.filter(pk=refunds.pk).exists()


def test_a_category_that_is_not_empty_is_not_deleted(tenant, admin, tree) -> None:
    _article(tenant, category_id=tree["accounts"].pk)
    client = login(admin)
    with_articles = client.post(f"/kb/categories/{tree['accounts'].pk}/delete")
    assert with_articles.status_code == 409
    assert "holds articles" in _text(with_articles)
    with_children = client.post(f"/kb/categories/{tree['billing'].pk}/delete")
    assert with_children.status_code == 409 and "has subcategories" in _text(with_children)
    assert KbCategory.objects.filter(tenant=tenant).count() == 3


def test_bad_category_input_is_a_form_error(tenant, admin, tree) -> None:
    client = login(admin)
    for data in ({"name": ""}, {"name": "a\x00b"}, {"name": "n" * 101},
                 {"name": "Fine", "parent": "99999999"}):
        response = client.post("/kb/categories", data)
        assert response.status_code == 422, data
    renamed = client.post(f"/kb/categories/{tree['billing'].pk}/rename", {"name": "a\x00b"})
    assert renamed.status_code == 422 and 'data-testid="row-error"' in _text(renamed)
    moved = client.post(f"/kb/categories/{tree['billing'].pk}/move", {"parent": "x"})
    assert moved.status_code == 422
    assert KbCategory.objects.filter(tenant=tenant).count() == 3
