"""The knowledge base API: categories, articles, publishing, versions, permissions, isolation
and bad input."""

import json

import pytest

from casedesk.kb.models import Article, ArticleSlug, ArticleVersion, KbCategory
from casedesk.kb.services import article_create, category_create
from casedesk.tenancy.models import Tenant
from tests.api_checks import conforms, error
from tests.conftest import NOW, login


def _create(api, **fields):
    fields.setdefault("title", "Reset your password")
    fields.setdefault("body", "Click **reset**.")
    response = api.post("/kb/articles", fields)
    assert response.status_code == 201, response.content
    return conforms(response, "POST", "/kb/articles")


def test_article_crud_and_publish_keeps_versions(admin_api, admin, clock) -> None:
    category = admin_api.post("/kb/categories", {"name": "Accounts"}).json()
    created = _create(admin_api, category_id=category["id"], tags=["Login", " login "],
                      visibility="public", summary="How to")
    assert created["status"] == "draft" and created["version"] == 0
    assert created["slug"] == "reset-your-password" and created["tags"] == ["login"]
    assert created["author_id"] == admin.user_id
    assert "<strong>reset</strong>" in created["body_html"]
    path = f"/kb/articles/{created['id']}"
    published = conforms(admin_api.post(f"{path}/publish"), "POST",
                         "/kb/articles/{article_id}/publish")
    assert published["status"] == "published" and published["version"] == 1
    clock.advance(hours=1)
    patched = admin_api.patch(path, {"body": "Use the *new* form.", "title": "Password help"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["slug"] == "reset-your-password"  # published: the slug stays
    admin_api.post(f"{path}/publish")
    versions = conforms(admin_api.get(f"{path}/versions"), "GET",
                        "/kb/articles/{article_id}/versions")
    assert [(v["number"], v["title"]) for v in versions["items"]] == [
        (2, "Password help"), (1, "Reset your password")]
    got = conforms(admin_api.get(path), "GET", "/kb/articles/{article_id}")
    assert got["version"] == 2 and "<em>new</em>" in got["body_html"]


def test_restoring_a_version(admin_api) -> None:
    article = _create(admin_api, body="First")
    path = f"/kb/articles/{article['id']}"
    admin_api.post(f"{path}/publish")
    admin_api.patch(path, {"body": "Second"})
    admin_api.post(f"{path}/publish")
    restored = admin_api.post(f"{path}/versions/1/restore")
    body = conforms(restored, "POST", "/kb/articles/{article_id}/versions/{number}/restore")
    assert body["body"] == "First" and body["version"] == 2 and body["status"] == "published"
    error(admin_api.post(f"{path}/versions/9/restore"), 404)


def test_a_new_slug_keeps_the_old_one_leading_to_the_article(admin_api) -> None:
    article = _create(admin_api)
    path = f"/kb/articles/{article['id']}"
    admin_api.post(f"{path}/publish")
    body = admin_api.patch(path, {"slug": "password-reset"}).json()
    assert body["slug"] == "password-reset" and body["old_slugs"] == ["reset-your-password"]
    assert ArticleSlug.objects.get(slug="reset-your-password").article_id == article["id"]
    # Nobody else may take the old slug.
    other = _create(admin_api, title="Other")
    error(admin_api.patch(f"/kb/articles/{other['id']}", {"slug": "reset-your-password"}), 409)


def test_delete_takes_only_a_never_published_draft(admin_api) -> None:
    draft = _create(admin_api)
    published = _create(admin_api, title="Live")
    admin_api.post(f"/kb/articles/{published['id']}/publish")
    error(admin_api.delete(f"/kb/articles/{published['id']}"), 409, mentions=("archive",))
    assert admin_api.delete(f"/kb/articles/{draft['id']}").status_code == 204
    archived = admin_api.post(f"/kb/articles/{published['id']}/archive").json()
    assert archived["status"] == "archived"
    assert list(Article.objects.values_list("pk", flat=True)) == [published["id"]]


def test_lists_filter_by_status_visibility_and_category_with_its_descendants(
        admin_api, tenant) -> None:
    billing = category_create(tenant=tenant, name="Billing", now=NOW)
    invoices = category_create(tenant=tenant, name="Invoices", parent_id=billing.pk, now=NOW)
    other = category_create(tenant=tenant, name="Other", now=NOW)
    a = _create(admin_api, title="Invoice copy", category_id=invoices.pk, visibility="public")
    b = _create(admin_api, title="Billing basics", category_id=billing.pk)
    _create(admin_api, title="Unrelated", category_id=other.pk)
    admin_api.post(f"/kb/articles/{a['id']}/publish")

    def ids(**params):
        response = admin_api.get("/kb/articles", **params)
        return {item["id"] for item in conforms(response, "GET", "/kb/articles")["items"]}

    assert ids(category=billing.pk) == {a["id"], b["id"]}
    assert ids(category=invoices.pk) == {a["id"]}
    assert ids(status="published") == {a["id"]}
    assert ids(visibility="public") == {a["id"]}
    assert ids(q="invoice") == {a["id"]}
    assert ids(q="invoice", status="draft") == set()
    error(admin_api.get("/kb/articles", status="gone"), 422)


def test_lists_page_with_next_cursor(admin_api, clock) -> None:
    made = []
    for i in range(5):
        made.append(_create(admin_api, title=f"Article {i}")["id"])
        clock.advance(minutes=1)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin_api.get("/kb/articles", **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))
    error(admin_api.get("/kb/articles", cursor="bm9wZQ"), 422, field="cursor")


def test_the_category_tree(admin_api) -> None:
    billing = admin_api.post("/kb/categories", {"name": "Billing"}).json()
    invoices = admin_api.post("/kb/categories", {"name": "Invoices",
                                                 "parent_id": billing["id"]})
    assert invoices.status_code == 201
    assert invoices.json()["path"] == ["Billing", "Invoices"]
    error(admin_api.post("/kb/categories", {"name": "invoices", "parent_id": billing["id"]}),
          409)
    error(admin_api.patch(f"/kb/categories/{billing['id']}",
                          {"parent_id": invoices.json()["id"]}), 422, field="parent_id")
    tree = conforms(admin_api.get("/kb/categories"), "GET", "/kb/categories")
    assert [(c["name"], c["depth"]) for c in tree] == [("Billing", 0), ("Invoices", 1)]
    error(admin_api.delete(f"/kb/categories/{billing['id']}"), 409)
    moved = admin_api.patch(f"/kb/categories/{invoices.json()['id']}", {"parent_id": None})
    assert moved.json()["depth"] == 0
    assert admin_api.delete(f"/kb/categories/{billing['id']}").status_code == 204


# --- permissions -------------------------------------------------------------------------------


def test_agents_draft_while_the_setting_is_on(agent_api, admin_api, tenant) -> None:
    draft = _create(agent_api)
    assert agent_api.patch(f"/kb/articles/{draft['id']}", {"body": "Better"}).status_code == 200
    error(agent_api.post(f"/kb/articles/{draft['id']}/publish"), 403)
    error(agent_api.post(f"/kb/articles/{draft['id']}/archive"), 403)
    error(agent_api.post("/kb/categories", {"name": "Agents"}), 403)
    assert Article.objects.get(pk=draft["id"]).status == "draft"
    # Once published, the article is the editors'.
    admin_api.post(f"/kb/articles/{draft['id']}/publish")
    error(agent_api.patch(f"/kb/articles/{draft['id']}", {"body": "Sneaky"}), 403)
    assert Article.objects.get(pk=draft["id"]).body == "Better"
    assert not ArticleVersion.objects.filter(body="Sneaky").exists()


def test_agents_write_nothing_when_the_setting_is_off(agent_api, admin_api, tenant) -> None:
    draft = _create(agent_api)
    settings = admin_api.patch("/tenant/settings", {"kb_agents_may_draft": False})
    assert settings.json()["kb_agents_may_draft"] is False
    assert Tenant.objects.get(pk=tenant.pk).kb_agents_may_draft is False
    error(agent_api.post("/kb/articles", {"title": "Mine", "body": "x"}), 403)
    error(agent_api.patch(f"/kb/articles/{draft['id']}", {"body": "x"}), 403)
    error(agent_api.delete(f"/kb/articles/{draft['id']}"), 403)
    assert Article.objects.count() == 1
    assert agent_api.get(f"/kb/articles/{draft['id']}").status_code == 200  # still reads


def test_managers_publish(manager_api) -> None:
    article = _create(manager_api)
    assert manager_api.post(f"/kb/articles/{article['id']}/publish").status_code == 200


def test_agents_read_internal_and_public_articles(agent_api, tenant) -> None:
    for visibility in ("internal", "public"):
        article_create(tenant=tenant, author=None, title=visibility, body="x",
                       visibility=visibility, now=NOW)
    titles = {a["title"] for a in agent_api.get("/kb/articles").json()["items"]}
    assert titles == {"internal", "public"}


def test_the_settings_page_sets_agents_drafting(admin, tenant) -> None:
    client = login(admin)
    page = client.get("/settings/")
    assert 'name="kb_agents_may_draft"' in page.content.decode()
    form = {"name": tenant.name, "time_zone": tenant.time_zone, "reopen_limit": 1,
            "reopen_window_hours": 6}
    assert client.post("/settings/", form).status_code == 302
    assert Tenant.objects.get(pk=tenant.pk).kb_agents_may_draft is False


# --- isolation ---------------------------------------------------------------------------------


def test_another_tenants_article_and_category_are_not_found(admin_api, other_tenant) -> None:
    theirs = article_create(tenant=other_tenant, author=None, title="Globex secret",
                            body="x", now=NOW)
    category = category_create(tenant=other_tenant, name="Globex", now=NOW)
    for path in (f"/kb/articles/{theirs.pk}", f"/kb/articles/{theirs.pk}/versions"):
        error(admin_api.get(path), 404)
    error(admin_api.patch(f"/kb/articles/{theirs.pk}", {"title": "Mine"}), 404)
    error(admin_api.post(f"/kb/articles/{theirs.pk}/publish"), 404)
    error(admin_api.delete(f"/kb/categories/{category.pk}"), 404)
    error(admin_api.post("/kb/articles", {"title": "x", "category_id": category.pk}), 422,
          field="category_id")
    assert Article.objects.get(pk=theirs.pk).title == "Globex secret"
    assert KbCategory.objects.filter(pk=category.pk).exists()
    assert "Globex" not in admin_api.get("/kb/articles", q="Globex").content.decode()


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field"), [
    ({"body": "x" * 1_000_001}, "body"),
    ({"body": "a\x00b"}, "body"),
    ({"title": "a\x00b"}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"category_id": 999_999}, "category_id"),
    ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ({"visibility": "secret"}, "visibility"),
])
def test_bad_input_is_a_422_naming_the_field(admin_api, fields, field) -> None:
    response = admin_api.post("/kb/articles", {"title": "Fine", "body": "Fine", **fields})
    error(response, 422, field=field)
    assert not Article.objects.exists()


def test_a_50_mb_body_is_refused_before_it_is_read(admin_api) -> None:
    response = admin_api.client.post(
        "/api/v1/kb/articles", data=json.dumps({"title": "Big", "body": "x" * 50_000_000}),
        content_type="application/json")
    error(response, 413)
    assert not Article.objects.exists()


def test_a_patch_with_an_over_long_body_changes_nothing(admin_api) -> None:
    article = _create(admin_api)
    error(admin_api.patch(f"/kb/articles/{article['id']}", {"body": "y" * 1_000_001}), 422,
          field="body")
    assert Article.objects.get(pk=article["id"]).body == "Click **reset**."
