"""Files and images in articles: what is trusted of an upload (name, type, size), the limits,
the API and the edit page's box, the two addresses of a file (members', and the file URL
under the portal that a published public article's readers get), the headers that keep a
browser from running what was uploaded, and files leaving the storage on commit."""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from casedesk.core.errors import Conflict, Invalid
from casedesk.kb import services
from casedesk.kb.attachments import (
    MAX_FILES,
    FileTooLarge,
    article_files_drop,
    attachment_add,
    attachment_delete,
    clean_filename,
    markdown_snippet,
    sniff_content_type,
)
from casedesk.kb.markdown import render
from casedesk.kb.models import ArticleAttachment
from casedesk.tenancy.models import Tenant
from tests.api_checks import conforms, error
from tests.conftest import NOW, login

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
LIST = "/kb/articles/{article_id}/attachments"
ONE = "/kb/attachments/{attachment_id}"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path: Path) -> Path:
    """Files on disk in a folder of the test's own, as an installation keeps them."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _upload(name: str = "screen.png", content: bytes = PNG,
            content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _article(tenant: Tenant, **fields: Any) -> Any:
    fields.setdefault("title", "Printing invoices")
    fields.setdefault("body", "Open **Billing**.")
    return services.article_create(tenant=tenant, author=None, now=NOW, **fields)


def _published(tenant: Tenant, visibility: str = "public") -> Any:
    return services.article_publish(article=_article(tenant, visibility=visibility),
                                    actor=None, now=NOW)


def _add(article: Any, **upload: Any) -> ArticleAttachment:
    return attachment_add(article=article, upload=_upload(**upload), user=None, now=NOW)


def _stored(attachment: ArticleAttachment) -> bytes:
    with default_storage.open(attachment.file.name, "rb") as f:
        return f.read()


def _post_file(api: Any, article_id: int, upload: SimpleUploadedFile) -> Any:
    return api.client.post(f"/api/v1/kb/articles/{article_id}/attachments", {"file": upload})


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- what is trusted of a file -----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("screen.png", "screen.png"),
    ("../../etc/passwd", "passwd"),
    ("/var/www/index.html", "index.html"),
    ("C:\\Users\\ann\\Desktop\\invoice.pdf", "invoice.pdf"),
    ("in\x00voice\x07.pdf", "invoice.pdf"),
    ("line\r\nbreak.txt", "linebreak.txt"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override to fake ".jpg"
    ("report. . ", "report"),
    ("..", "file"),
    ("", "file"),
    ("Übersicht März.pdf", "Übersicht März.pdf"),
])
def test_a_files_name_is_its_last_part_without_hidden_characters(raw, clean) -> None:
    assert clean_filename(raw) == clean


def test_a_name_too_long_or_not_text_is_refused() -> None:
    with pytest.raises(Invalid, match="150") as long:
        clean_filename("a" * 147 + ".pdf")
    assert long.value.field == "file"
    with pytest.raises(Invalid) as surrogate:
        clean_filename("bad\udc80.png")
    assert surrogate.value.field == "file"
    assert clean_filename("a" * 146 + ".pdf") == "a" * 146 + ".pdf"


@pytest.mark.parametrize(("head", "declared", "stored"), [
    (PNG, "image/png", "image/png"),
    (PNG, "application/octet-stream", "image/png"),  # the bytes decide
    (JPEG, "image/png", "image/jpeg"),
    (GIF, "", "image/gif"),
    (WEBP, None, "image/webp"),
    (SVG, "image/png", "application/octet-stream"),  # an image only in name
    (SVG, "image/svg+xml", "image/svg+xml"),  # kept, and only ever downloaded
    (PDF, "application/pdf", "application/pdf"),
    (b"hello", "Text/Plain; charset=utf-8", "text/plain"),
    (b"hello", "text/html\r\nX-Evil: 1", "application/octet-stream"),
    (b"hello", "nonsense", "application/octet-stream"),
    (b"RIFF\x00\x00\x00\x00WAVE", "audio/wav", "audio/wav"),  # RIFF, but no WebP
])
def test_the_type_is_read_from_the_bytes_for_images(head, declared, stored) -> None:
    assert sniff_content_type(head, declared) == stored


def test_the_markdown_snippet_shows_an_image_and_links_a_file(tenant) -> None:
    article = _article(tenant)
    image = _add(article, name="Invoice [draft] *v2*.png")
    pdf = _add(article, name="terms (2026).pdf", content=PDF, content_type="application/pdf")
    url = "/portal/acme/kb/files/1/a b(1).png"
    snippet = markdown_snippet(image, url)
    assert snippet.startswith("![Invoice \\[draft\\] \\*v2\\*](")
    html = render(snippet)
    assert 'src="/portal/acme/kb/files/1/a%20b%281%29.png"' in html
    assert 'alt="Invoice [draft] *v2*"' in html
    html = render(markdown_snippet(pdf, "/kb/attachments/7"))
    assert ('<a href="/kb/attachments/7" rel="noopener noreferrer nofollow">terms (2026).pdf'
            '</a>') in html


def test_the_sanitizer_keeps_the_files_relative_urls_and_nothing_dangerous() -> None:
    assert '<img src="/portal/acme/kb/files/4/a.png" alt="a">' in render(
        "![a](/portal/acme/kb/files/4/a.png)")
    assert 'href="/kb/attachments/4"' in render("[a](/kb/attachments/4)")
    for markdown in ("![x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))",
                     "[x](java&#x73;cript:alert(1))", "![x](data:image/svg+xml;base64,PHN2Zz4=)",
                     "[x](data:text/html,<script>alert(1)</script>)",
                     "![x](vbscript:msgbox(1))"):
        html = render(markdown).lower()
        for attribute in ('src="', 'href="'):
            for scheme in ("javascript", "data", "vbscript"):
                assert attribute + scheme not in html, (markdown, html)


# --- the service -------------------------------------------------------------------------------


def test_a_file_is_stored_under_a_random_name_with_its_sniffed_type(tenant, admin,
                                                                     storage) -> None:
    article = _article(tenant)
    attachment = attachment_add(article=article, upload=_upload("../../x/Screen Shot.PNG"),
                                user=admin.user, now=NOW)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "Screen Shot.PNG", "image/png", len(PNG))
    assert attachment.uploaded_by_id == admin.user_id and attachment.created_at == NOW
    assert attachment.file.name.startswith("kb/") and attachment.file.name.endswith(".png")
    assert "Screen" not in attachment.file.name and ".." not in attachment.file.name
    assert (storage / attachment.file.name).read_bytes() == PNG
    disguised = _add(article, name="logo.png", content=SVG)
    assert disguised.content_type == "application/octet-stream"
    # Only a real image keeps an image's extension in the storage; the rest are ".bin".
    assert disguised.file.name.endswith(".bin")
    assert _add(article, name="page.html", content=b"<script>x</script>",
                content_type="text/html").file.name.endswith(".bin")


def test_the_size_limit(tenant, settings, storage) -> None:
    article = _article(tenant)
    settings.CASEDESK_UPLOAD_MAX_BYTES = 1024
    _add(article, content=PNG + b"\x00" * (1024 - len(PNG)))  # exactly the limit
    with pytest.raises(FileTooLarge, match="screen.png is larger than 1 KB") as big:
        _add(article, content=PNG + b"\x00" * 1024)
    assert big.value.status_code == 413 and big.value.field == "file"
    with pytest.raises(Invalid, match="empty"):
        _add(article, content=b"")
    assert ArticleAttachment.objects.count() == 1
    assert len([p for p in storage.rglob("*") if p.is_file()]) == 1


def test_the_default_limit_is_ten_megabytes(tenant) -> None:
    article = _article(tenant)
    ten = 10 * 1024 * 1024
    assert _add(article, content=PNG + b"\x00" * (ten - len(PNG))).size == ten
    with pytest.raises(FileTooLarge, match="10 MB"):
        _add(article, content=PNG + b"\x00" * (ten + 1 - len(PNG)))


def test_an_article_holds_at_most_fifty_files(tenant, storage) -> None:
    article = _article(tenant)
    for i in range(MAX_FILES):
        _add(article, name=f"shot-{i}.png")
    with pytest.raises(Conflict, match=str(MAX_FILES)):
        _add(article, name="one-more.png")
    assert article.attachments.count() == MAX_FILES
    assert len([p for p in storage.rglob("*") if p.is_file()]) == MAX_FILES
    # Another article is not full.
    assert _add(_article(tenant, title="Other")).pk


def test_deleting_a_file_removes_it_from_the_storage_on_commit(
        tenant, storage, django_capture_on_commit_callbacks) -> None:
    attachment = _add(_article(tenant))
    path = storage / attachment.file.name
    with django_capture_on_commit_callbacks(execute=False) as pending:
        attachment_delete(attachment=attachment)
    assert path.exists() and not ArticleAttachment.objects.exists()  # not yet committed
    for callback in pending:
        callback()
    assert not path.exists()


def test_a_deleted_drafts_files_go_on_commit_an_archived_articles_stay(
        tenant, storage, django_capture_on_commit_callbacks) -> None:
    draft = _article(tenant)
    draft_file = storage / _add(draft).file.name
    live = _published(tenant)
    live_file = storage / _add(live).file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.article_archive(article=live, now=NOW)
    assert live_file.exists() and live.attachments.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        article_files_drop(draft)
        draft.delete()
    assert not draft_file.exists() and not ArticleAttachment.objects.filter(
        article_id=draft.pk).exists()


def test_the_delete_service_removes_a_drafts_files(
        tenant, storage, django_capture_on_commit_callbacks) -> None:
    draft = _article(tenant)
    path = storage / _add(draft).file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.article_delete(article=draft)
    assert not path.exists()


# --- the API -----------------------------------------------------------------------------------


def test_upload_list_download_and_delete_through_the_api(
        tenant, admin_api, admin, storage, django_capture_on_commit_callbacks) -> None:
    article = _article(tenant, visibility="public")
    response = _post_file(admin_api, article.pk, _upload("C:\\shots\\login.png"))
    assert response.status_code == 201, response.content
    added = conforms(response, "POST", LIST)
    assert added["filename"] == "login.png" and added["is_image"] is True
    assert added["content_type"] == "image/png" and added["size"] == len(PNG)
    assert added["uploaded_by_id"] == admin.user_id and added["article_id"] == article.pk
    assert added["file_url"] == f"/portal/acme/kb/files/{added['id']}/login.png"
    assert added["markdown"] == f"![login]({added['file_url']})"
    items = conforms(admin_api.get(f"/kb/articles/{article.pk}/attachments"), "GET", LIST)
    assert [i["id"] for i in items] == [added["id"]]
    download = admin_api.client.get(added["download_url"])
    assert download.status_code == 200 and _body(download) == PNG
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("inline")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["Cache-Control"] == "private, no-store"
    stored = storage / ArticleAttachment.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api.delete(f"/kb/attachments/{added['id']}").status_code == 204
    assert not stored.exists() and not ArticleAttachment.objects.exists()
    error(admin_api.client.get(added["download_url"]), 404)


def test_an_svg_posing_as_png_is_only_ever_downloaded(tenant, admin_api) -> None:
    article = _article(tenant)
    added = _post_file(admin_api, article.pk, _upload("cat.png", SVG)).json()
    assert added["content_type"] == "application/octet-stream" and added["is_image"] is False
    assert added["markdown"].startswith("[cat.png](")
    download = admin_api.client.get(added["download_url"])
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="cat.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_api_refusals(tenant, admin_api, settings) -> None:
    article = _article(tenant)
    settings.CASEDESK_UPLOAD_MAX_BYTES = 100
    error(_post_file(admin_api, article.pk, _upload(content=PNG * 10)), 413, field="file",
          mentions=("larger than 100 bytes",))
    error(_post_file(admin_api, article.pk, _upload(content=b"")), 422, field="file")
    error(admin_api.client.post(f"/api/v1/kb/articles/{article.pk}/attachments", {}), 422,
          mentions=("file", "required"))
    error(admin_api.client.post(f"/api/v1/kb/articles/{article.pk}/attachments",
                                data=b"--zz\r\nContent-Disposition: form-data; name=\"file\"; "
                                     b"filename=\"a.png\"\r\n\r\nabc",
                                content_type="multipart/form-data; boundary=zz"), 422)
    error(admin_api.post(f"/kb/articles/{article.pk}/attachments", {"file": "x"}), 422)
    error(_post_file(admin_api, 999_999, _upload()), 404)
    assert not ArticleAttachment.objects.exists()


def test_an_unreadable_multipart_body_is_invalid_input(tenant, admin_api) -> None:
    article = _article(tenant)
    error(admin_api.client.post(f"/api/v1/kb/articles/{article.pk}/attachments",
                                data=b"--x\r\nbroken", content_type="multipart/form-data"), 422)


def test_the_api_takes_a_file_up_to_the_upload_limit(tenant, admin_api) -> None:
    article = _article(tenant)
    ten = 10 * 1024 * 1024
    response = _post_file(admin_api, article.pk, _upload(content=PNG + bytes(ten - len(PNG))))
    assert response.status_code == 201, response.content
    error(_post_file(admin_api, article.pk, _upload(content=PNG + bytes(ten))), 413,
          field="file", mentions=("larger than 10 MB",))


def test_too_many_files_is_a_conflict(tenant, admin_api) -> None:
    article = _article(tenant)
    for i in range(MAX_FILES):
        _add(article, name=f"{i}.png")
    error(_post_file(admin_api, article.pk, _upload()), 409, mentions=(str(MAX_FILES),))


def test_only_those_who_edit_the_article_change_its_files(tenant, agent_api, admin_api,
                                                          manager_api) -> None:
    draft = _article(tenant)
    mine = _post_file(agent_api, draft.pk, _upload())  # agents draft (the tenant's default)
    assert mine.status_code == 201, mine.content
    published = _published(tenant)
    error(_post_file(agent_api, published.pk, _upload()), 403)
    theirs = _add(published)
    error(agent_api.delete(f"/kb/attachments/{theirs.pk}"), 403)
    assert agent_api.client.get(f"/api/v1/kb/attachments/{theirs.pk}").status_code == 200
    assert agent_api.get(f"/kb/articles/{published.pk}/attachments").status_code == 200
    Tenant.objects.filter(pk=tenant.pk).update(kb_agents_may_draft=False)
    error(_post_file(agent_api, draft.pk, _upload()), 403)
    error(agent_api.delete(f"/kb/attachments/{mine.json()['id']}"), 403)
    assert _post_file(manager_api, published.pk, _upload()).status_code == 201
    assert ArticleAttachment.objects.count() == 3


def test_another_tenants_files_are_not_found(tenant, admin_api, other_tenant) -> None:
    theirs = _article(other_tenant)
    file = _add(theirs)
    error(admin_api.get(f"/kb/articles/{theirs.pk}/attachments"), 404)
    error(_post_file(admin_api, theirs.pk, _upload()), 404)
    error(admin_api.client.get(f"/api/v1/kb/attachments/{file.pk}"), 404)
    error(admin_api.delete(f"/kb/attachments/{file.pk}"), 404)
    error(admin_api.client.get(f"/api/v1/kb/attachments/{2**63}"), 404)
    assert ArticleAttachment.objects.filter(pk=file.pk).exists()
    assert ArticleAttachment.objects.filter(tenant=tenant).count() == 0


# --- the pages ---------------------------------------------------------------------------------


def test_the_edit_pages_box_lists_files_with_snippets_and_an_upload_form(tenant, admin,
                                                                        agent) -> None:
    article = _article(tenant, visibility="public")
    image = _add(article, name="step 1.png")
    pdf = _add(article, name="terms.pdf", content=PDF, content_type="application/pdf")
    request = RequestFactory().get(f"/kb/articles/{article.pk}/edit")
    request.user = admin.user
    html = render_to_string("kb/partials/_attachments.html",
                            {"article": article, "membership": admin}, request)
    file_url = f"/portal/acme/kb/files/{image.pk}/step%201.png"
    assert f'value="![step 1]({file_url})"' in html
    assert f'value="[terms.pdf](/portal/acme/kb/files/{pdf.pk}/terms.pdf)"' in html
    assert html.count('data-testid="kb-attachment"') == 2 and "Copy Markdown" in html
    assert 'data-testid="kb-upload"' in html and 'enctype="multipart/form-data"' in html
    assert f'name="next" value="/kb/articles/{article.pk}/edit"' in html
    assert "kb/attachments.js" in html
    services.article_publish(article=article, actor=None, now=NOW)
    article.refresh_from_db()
    # Agents may not edit a published article: they read and copy, nothing more.
    html = render_to_string("kb/partials/_attachments.html",
                            {"article": article, "membership": agent}, request)
    assert "Copy Markdown" in html and 'data-testid="kb-upload"' not in html
    assert "kb-attachment-delete" not in html


def test_uploading_on_the_page_answers_htmx_with_the_box(tenant, admin) -> None:
    article = _article(tenant)
    client = login(admin)
    url = f"/kb/articles/{article.pk}/attachments"
    response = client.post(url, {"file": _upload("shot.png"), "next": "/kb/"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    added = ArticleAttachment.objects.get()
    assert 'id="kb-attachments"' in html and "shot.png" in html
    assert f"![shot](/portal/acme/kb/files/{added.pk}/shot.png)" in html
    assert 'name="next" value="/kb/"' in html
    # The box alone: the page's stylesheet and script are not sent again.
    assert "kb/attachments.js" not in html


def test_a_refused_upload_shows_its_reason_in_the_box(tenant, admin, settings) -> None:
    settings.CASEDESK_UPLOAD_MAX_BYTES = 100
    article = _article(tenant)
    client = login(admin)
    url = f"/kb/articles/{article.pk}/attachments"
    big = client.post(url, {"file": _upload(content=PNG * 10)}, headers={"HX-Request": "true"})
    assert big.status_code == 413 and big["X-Kb-Partial"] == "1"
    assert 'data-testid="kb-upload-error"' in big.content.decode()
    assert "larger than 100 bytes" in big.content.decode()
    none = client.post(url, {}, headers={"HX-Request": "true"})
    assert none.status_code == 422 and "Choose a file" in none.content.decode()
    assert not ArticleAttachment.objects.exists()


def test_plain_posts_go_back_with_a_message(tenant, admin) -> None:
    article = _article(tenant)
    client = login(admin)
    back = f"/kb/articles/{article.pk}/edit"
    response = client.post(f"/kb/articles/{article.pk}/attachments",
                           {"file": _upload("a/b/../evil\x00.png"), "next": back})
    assert response.status_code == 302 and response["Location"] == back
    added = ArticleAttachment.objects.get()
    assert "/" not in added.filename and "\x00" not in added.filename
    response = client.post(f"/kb/attachments/{added.pk}/delete",
                           {"next": "https://evil.example/"})
    # Never to another site: back to the article's editor instead.
    assert response.status_code == 302 and response["Location"] == back
    assert not ArticleAttachment.objects.exists()
    refused = client.post(f"/kb/articles/{article.pk}/attachments", {"next": back})
    assert refused.status_code == 302
    assert "Choose a file to upload." in [str(m) for m in refused.wsgi_request._messages]


def test_page_permissions_and_isolation(tenant, agent, admin, other_tenant, outsider) -> None:
    published = _published(tenant)
    file = _add(published)
    client = login(agent)
    assert client.post(f"/kb/articles/{published.pk}/attachments",
                       {"file": _upload()}).status_code == 403
    assert client.post(f"/kb/attachments/{file.pk}/delete").status_code == 403
    download = client.get(f"/kb/attachments/{file.pk}")
    assert download.status_code == 200 and _body(download) == PNG
    theirs = _add(_article(other_tenant))
    assert client.get(f"/kb/attachments/{theirs.pk}").status_code == 404
    assert client.post(f"/kb/attachments/{theirs.pk}/delete").status_code == 404
    assert client.post(f"/kb/articles/{theirs.article_id}/attachments",
                       {"file": _upload()}).status_code == 404
    assert login(admin).post(f"/kb/attachments/{theirs.pk}/delete").status_code == 404
    assert ArticleAttachment.objects.count() == 2
    assert Client().get(f"/kb/attachments/{file.pk}").status_code == 302  # sign in first


def test_the_page_download_serves_a_disguised_svg_as_a_download(tenant, admin) -> None:
    file = _add(_article(tenant), name="chart.png", content=SVG)
    response = login(admin).get(f"/kb/attachments/{file.pk}")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="chart.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


# --- the file URL ------------------------------------------------------------------------------


def _file_url(file: ArticleAttachment, slug: str = "acme") -> str:
    return f"/portal/{slug}/kb/files/{file.pk}/{file.filename}"


def test_the_file_url_is_public_only_for_a_published_public_article(tenant, agent) -> None:
    article = _article(tenant, visibility="public")
    file = _add(article, name="flow chart.png")
    url = _file_url(file)
    assert Client().get(url).status_code == 404  # a draft
    services.article_publish(article=article, actor=None, now=NOW)
    response = Client().get(url)
    assert response.status_code == 200 and _body(response) == PNG
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # What the published article shows its readers reaches the file.
    article = services.article_update(article=article, changes={
        "body": f"See:\n\n![flow]({url.replace(' ', '%20')})"}, now=NOW)
    assert f'<img src="{url.replace(" ", "%20")}" alt="flow">' in article.body_html
    assert Client().get(url.replace(" ", "%20")).status_code == 200
    assert Client().get(url.replace("chart", "chart2")).status_code == 404
    assert Client().get(url.replace("/acme/", "/globex/")).status_code == 404
    services.article_update(article=article, changes={"visibility": "internal"}, now=NOW)
    assert Client().get(url).status_code == 404
    services.article_update(article=article, changes={"visibility": "public"}, now=NOW)
    services.article_archive(article=article, now=NOW)
    assert Client().get(url).status_code == 404
    assert (ArticleAttachment.objects.filter(pk=file.pk).exists()
            and default_storage.exists(file.file.name))  # archived: the file stays


def test_the_file_url_serves_the_tenants_members_whatever_the_article(tenant, agent,
                                                                       other_tenant,
                                                                       outsider) -> None:
    file = _add(_article(tenant, visibility="internal"))
    url = _file_url(file)
    response = login(agent).get(url)  # an editor's preview of a draft shows its images
    assert response.status_code == 200 and _body(response) == PNG
    assert response["Cache-Control"] == "private, no-store"
    assert login(outsider).get(url).status_code == 404
    theirs = _add(_published(other_tenant))
    assert Client().get(_file_url(theirs, "globex")).status_code == 200
    assert Client().get(_file_url(theirs, "acme")).status_code == 404
    assert login(agent).get(_file_url(theirs, "globex")).status_code == 200  # it is public


@pytest.mark.parametrize("tail", ["0/a.png", f"{2**63}/a.png", "1/a%00.png", "1/%2e%2e",
                                  f"{2**70}/x"])
def test_a_file_url_no_file_can_have_is_not_found(tenant, tail) -> None:
    assert Client().get(f"/portal/acme/kb/files/{tail}").status_code == 404
