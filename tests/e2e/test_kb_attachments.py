"""Images in an article, in the browser: upload one on the edit page (htmx, multipart), copy
its Markdown, see it in the editor's preview while the article is a draft, see a refused
upload explained in place, and find the image on the file URL for everyone once the article
is published and public."""

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.kb.models import ArticleAttachment
from casedesk.kb.services import article_create
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn

pytestmark = pytest.mark.e2e


def png(width: int, height: int) -> bytes:
    """A real PNG of one colour, which a browser decodes (so the image's size shows)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x2a\x6f\xdb" * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def test_upload_an_image_copy_its_markdown_preview_and_publish_it(
        page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, manager: Membership,
        tmp_path: Path, settings: Any, browser: Any) -> None:
    article = article_create(tenant=tenant, author=manager.user, title="Find your invoice",
                             body="Open **Billing**.", visibility="public", now=NOW)
    shot = tmp_path / "billing screen.png"
    shot.write_bytes(png(40, 30))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    log_in(page, manager)
    page.goto(f"{live_server.url}/kb/articles/{article.pk}/edit")
    box = page.get_by_test_id("kb-attachments")
    expect(box.get_by_test_id("kb-no-attachments")).to_be_visible()

    box.get_by_label("Add a file").set_input_files(str(shot))
    box.get_by_role("button", name="Upload").click()
    expect(box.get_by_test_id("kb-attachment")).to_have_count(1)
    added = ArticleAttachment.objects.get(article=article)
    assert added.content_type == "image/png" and added.filename == "billing screen.png"
    file_url = f"/portal/{tenant.slug}/kb/files/{added.pk}/billing%20screen.png"
    snippet = box.get_by_test_id("kb-snippet")
    expect(snippet).to_have_value(f"![billing screen]({file_url})")
    # The thumbnail is the file itself, which a member sees while the article is a draft.
    page.wait_for_function(
        "() => { const i = document.querySelector('img.kb-thumb');"
        " return i && i.complete && i.naturalWidth === 40; }")

    box.get_by_role("button", name="Copy Markdown").click()
    expect(page.locator("#toast")).to_contain_text("Copied the Markdown")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"![billing screen]({file_url})"

    body = page.get_by_label("Body")
    body.fill(f"Open **Billing**:\n\n{copied}")
    image = page.get_by_test_id("preview").locator("img")
    expect(image).to_have_attribute("src", file_url)
    expect(image).to_have_attribute("alt", "billing screen")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=preview] img');"
        " return i && i.complete && i.naturalWidth === 40; }")

    # Too large: the reason shows in the box, and the file is not kept.
    settings.CASEDESK_UPLOAD_MAX_BYTES = 50
    box.get_by_label("Add a file").set_input_files(str(shot))
    box.get_by_role("button", name="Upload").click()
    expect(box.get_by_test_id("kb-upload-error")).to_contain_text(
        "billing screen.png is larger than 50 bytes")
    expect(box.get_by_test_id("kb-attachment")).to_have_count(1)
    assert ArticleAttachment.objects.filter(article=article).count() == 1

    page.get_by_test_id("save-article").click()
    page.get_by_test_id("publish-article").click()
    expect(page.get_by_test_id("status")).to_have_text("Published")
    # A reader without an account gets the image from the file URL.
    reader = browser.new_context()
    answer = reader.request.get(f"{live_server.url}{file_url}")
    assert answer.status == 200 and answer.body() == shot.read_bytes()
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["cache-control"] == "public, max-age=3600"
    reader.close()
