"""The public help centre, `/portal/<tenant slug>/kb/`: only the tenant's published public
articles, indexable pages, old slugs redirecting, reads and searches recorded for the
deflection analytics (not a crawler's), and the sitemap."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse

from casedesk.kb import visitors
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import (
    article_archive,
    article_create,
    article_publish,
    article_update,
    category_create,
)
from casedesk.kb.views.public import describe
from casedesk.tenancy.services import tenant_settings_update
from tests.conftest import NOW, login

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _article(tenant, title, *, publish=True, visibility="public", now=NOW, **fields):
    article = article_create(tenant=tenant, author=None, title=title,
                             body=fields.pop("body", f"How to: {title.lower()}."),
                             visibility=visibility, now=now, **fields)
    return article_publish(article=article, actor=None, now=now) if publish else article


def _url(name, *args):
    return reverse(f"kb:{name}", args=list(args))


def _get(client, path, **headers):
    return client.get(path, headers={"User-Agent": BROWSER, **headers})


class _TagParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))


def _tags(page):
    """The page's tags with their attributes, as a browser's parser finds them."""
    parser = _TagParser()
    parser.feed(page)
    return parser.tags


def _events(kind):
    return list(KbEvent.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def browser(db) -> Client:
    return Client()


@pytest.fixture
def billing(tenant):
    return category_create(tenant=tenant, name="Billing", now=NOW)


@pytest.fixture
def invoices(tenant, billing):
    return category_create(tenant=tenant, name="Invoices", parent_id=billing.pk, now=NOW)


# --- what a reader may see --------------------------------------------------------------------


def test_home_shows_the_published_public_articles_and_non_empty_categories(
        tenant, billing, invoices, browser, clock) -> None:
    internal_only = category_create(tenant=tenant, name="Escalation runbooks", now=NOW)
    _article(tenant, "Download an invoice", category_id=invoices.pk)
    _article(tenant, "Change your plan", category_id=billing.pk, now=NOW + timedelta(hours=1))
    _article(tenant, "Refund approvals", visibility="internal", category_id=internal_only.pk)
    _article(tenant, "Upcoming pricing", publish=False, category_id=billing.pk)

    response = _get(browser, _url("public_home", tenant.slug))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Acme Support help</title>" in page
    assert "Acme Support help centre" in page
    assert re.search(r">Billing</a> <span class=\"count\"[^>]*>2<", page)
    assert re.search(r">Invoices</a> <span class=\"count\"[^>]*>1<", page)
    assert "Escalation runbooks" not in page
    assert "Refund approvals" not in page and "Upcoming pricing" not in page
    # Newest first.
    assert page.index("Change your plan") < page.index("Download an invoice")
    assert "noindex" not in page and "<script" not in page


@pytest.mark.parametrize("case", ["internal", "draft", "archived", "other tenant"])
def test_anything_but_a_published_public_article_of_the_tenant_is_a_friendly_404(
        case, tenant, other_tenant, browser, clock) -> None:
    if case == "internal":
        article = _article(tenant, "Refund approvals", visibility="internal")
    elif case == "draft":
        article = _article(tenant, "Upcoming pricing", publish=False)
    elif case == "archived":
        article = article_archive(article=_article(tenant, "Old plans"), now=NOW)
    else:
        article = _article(other_tenant, "Globex only")

    response = _get(browser, _url("public_article", tenant.slug, article.slug))

    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()
    assert article.title not in response.content.decode()
    assert not _events(KbEventKind.VIEW)


def test_an_unknown_tenant_or_odd_slug_is_a_404_not_an_error(tenant, browser, clock) -> None:
    assert _get(browser, "/portal/nobody/kb/").status_code == 404
    assert _get(browser, "/portal/nobody/kb/some-article").status_code == 404
    assert _get(browser, "/portal/nobody/kb/sitemap.xml").status_code == 404
    for slug in ("a%00b", "x" * 5000, "%E2%80%AE", "..%5C..%5Cetc"):
        assert _get(browser, f"/portal/{tenant.slug}/kb/{slug}").status_code == 404
    assert _get(browser, f"/portal/{tenant.slug}/kb/category/99999999999/x").status_code == 404
    assert _get(browser, f"/portal/{tenant.slug}/kb/?q=a%00b").status_code == 200
    assert _get(browser, f"/portal/{tenant.slug}/kb/?q={'word ' * 500}").status_code == 200


def test_pages_answer_only_get_and_head(tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    assert browser.post(_url("public_article", tenant.slug, article.slug)).status_code == 405
    assert browser.post(_url("public_home", tenant.slug)).status_code == 405


# --- the article page ------------------------------------------------------------------------


def test_article_page_is_indexable_with_title_description_canonical_and_breadcrumbs(
        tenant, billing, invoices, browser, clock) -> None:
    article = _article(tenant, "Download an invoice", category_id=invoices.pk,
                       summary="Where to find your invoices as PDF files.",
                       body="Open **Billing → Invoices** & choose *Download*.")
    related = _article(tenant, "Invoice addresses", category_id=invoices.pk)
    _article(tenant, "Change your plan", category_id=billing.pk)

    response = _get(browser, _url("public_article", tenant.slug, article.slug))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Download an invoice · Acme Support help</title>" in page
    assert ('<meta name="description" content="Where to find your invoices as PDF files.">'
            in page)
    assert (f'<link rel="canonical" href="http://testserver/portal/acme/kb/{article.slug}">'
            in page)
    assert '<html lang="en">' in page
    crumbs = page[page.index('class="breadcrumbs"'):page.index("</nav>")]
    assert re.findall(r">([^<>]+)</a>", crumbs) == ["Help centre", "Billing", "Invoices"]
    assert "<strong>Billing → Invoices</strong> &amp; choose <em>Download</em>" in page
    assert "Updated <time" in page and "23 November 2026" in page
    aside = page[page.index('class="related"'):]
    assert related.title in aside and "Change your plan" not in aside
    assert "noindex" not in page


def test_a_script_in_the_body_renders_harmless_and_the_title_is_escaped(
        tenant, browser, clock) -> None:
    article = _article(
        tenant, "<script>alert('title')</script> Tips",
        body="<script>alert(1)</script>\n\n[click](javascript:alert(2)) "
             "<img src=x onerror=alert(3)>\n\n<iframe src=//evil.test></iframe>")

    page = _get(browser, _url("public_article", tenant.slug, article.slug)).content.decode()

    # What is left of them is text: no tag, link or attribute of theirs.
    tags = _tags(page)
    assert not {"script", "iframe"} & {tag for tag, _ in tags}
    assert not [name for _, attrs in tags for name, _ in attrs if name.startswith("on")]
    assert not [value for _, attrs in tags for name, value in attrs
                if name in ("href", "src") and "javascript" in (value or "")]
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Tips" in page


def test_the_description_falls_back_to_the_start_of_the_body(tenant, clock) -> None:
    words = " ".join(f"word{i}" for i in range(60))
    article = _article(tenant, "Long", body=f"# Heading\n\nSome *emphasis* & {words}")
    description = describe(article)
    assert description.startswith("Heading Some emphasis & word0 word1")
    assert description.endswith("…") and len(description) <= 155
    short = _article(tenant, "Short", body="Just **this**.")
    assert describe(short) == "Just this."


def test_an_old_slug_redirects_permanently_to_the_current_one(tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    article_update(article=article, changes={"slug": "password-reset"}, now=NOW)

    response = _get(browser, _url("public_article", tenant.slug, "reset-your-password"))

    assert response.status_code == 301
    assert response["Location"] == _url("public_article", tenant.slug, "password-reset")
    assert not _events(KbEventKind.VIEW)


def test_dates_show_in_the_tenants_time_zone(tenant, browser, clock) -> None:
    tenant_settings_update(tenant=tenant, changes={"time_zone": "Pacific/Auckland"})
    # 21:00 UTC on the 23rd is 10:00 on the 24th in Auckland.
    article = _article(tenant, "Late article", now=NOW + timedelta(hours=12))
    page = _get(browser, _url("public_article", tenant.slug, article.slug)).content.decode()
    assert "24 November 2026" in page and "2026-11-24T10:00:00+13:00" in page


# --- what a read records ---------------------------------------------------------------------


def test_a_read_records_a_self_service_view_and_gives_the_visitor_a_cookie(
        tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    url = _url("public_article", tenant.slug, article.slug)

    first = _get(browser, url)

    cookie = first.cookies[visitors.COOKIE]
    assert visitors.is_visitor_key(cookie.value)
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert cookie["max-age"] == 365 * 24 * 3600
    [view] = _events(KbEventKind.VIEW)
    assert (view.article_id, view.visitor, view.user_id, view.created_at) == (
        article.pk, cookie.value, None, NOW)

    # The same browser again: the same key, and no new cookie.
    again = _get(browser, url)
    assert visitors.COOKIE not in again.cookies
    assert [e.visitor for e in _events(KbEventKind.VIEW)] == [cookie.value] * 2


def test_a_malformed_visitor_cookie_is_replaced(tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    browser.cookies[visitors.COOKIE] = "'; DROP TABLE kb_event; --"
    response = _get(browser, _url("public_article", tenant.slug, article.slug))
    key = response.cookies[visitors.COOKIE].value
    assert visitors.is_visitor_key(key)
    assert [e.visitor for e in _events(KbEventKind.VIEW)] == [key]


def test_the_cookie_is_secure_over_https(tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    response = browser.get(_url("public_article", tenant.slug, article.slug), secure=True,
                           headers={"User-Agent": BROWSER})
    assert response.cookies[visitors.COOKIE]["secure"]
    assert 'href="https://testserver/portal/acme/kb/' in response.content.decode()


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0)", "Mozilla/5.0 (compatible; Yahoo! Slurp)",
    "Baiduspider", "facebookexternalhit/1.1 Preview", "SomeCrawler/1.0",
])
def test_a_crawler_records_nothing(agent, tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    response = _get(browser, _url("public_article", tenant.slug, article.slug),
                    **{"User-Agent": agent})
    assert response.status_code == 200
    assert visitors.COOKIE not in response.cookies
    _get(browser, _url("public_home", tenant.slug) + "?q=password", **{"User-Agent": agent})
    assert not KbEvent.objects.exists()


def test_a_head_request_records_nothing(tenant, browser, clock) -> None:
    article = _article(tenant, "Reset your password")
    response = browser.head(_url("public_article", tenant.slug, article.slug),
                            headers={"User-Agent": BROWSER})
    assert response.status_code == 200
    assert not KbEvent.objects.exists()


def test_a_members_read_is_a_plain_view_not_self_service(tenant, agent, clock) -> None:
    article = _article(tenant, "Reset your password")
    response = _get(login(agent), _url("public_article", tenant.slug, article.slug))
    assert visitors.COOKIE not in response.cookies
    [view] = _events(KbEventKind.VIEW)
    assert (view.user_id, view.visitor) == (agent.user_id, "")


def test_a_member_of_another_tenant_reads_as_a_visitor(tenant, outsider, clock) -> None:
    article = _article(tenant, "Reset your password")
    response = _get(login(outsider), _url("public_article", tenant.slug, article.slug))
    [view] = _events(KbEventKind.VIEW)
    assert view.user_id is None and view.visitor == response.cookies[visitors.COOKIE].value


# --- search ------------------------------------------------------------------------------------


def test_search_shows_ranked_public_results_and_records_the_search(
        tenant, other_tenant, browser, clock) -> None:
    _article(tenant, "Reset your password", summary="Forgot it? Choose a new one.")
    _article(tenant, "Password rules", body="At least twelve characters.")
    _article(tenant, "Password for admins", visibility="internal")
    _article(other_tenant, "Globex password reset")

    response = _get(browser, _url("public_home", tenant.slug) + "?q=reset+password")

    page = response.content.decode()
    results = page[page.index('class="results"'):page.index('class="columns"')]
    titles = re.findall(r'<a href="/portal/acme/kb/[^"]+">([^<]+)</a>', results)
    assert titles[0] == "Reset your password"
    assert "Password for admins" not in page and "Globex" not in titles
    assert "<title>Search: reset password · Acme Support help</title>" in page
    [search] = _events(KbEventKind.SEARCH)
    assert (search.tenant_id, search.query, search.results, search.user_id) == (
        tenant.pk, "reset password", len(titles), None)


def test_a_search_with_no_result_is_recorded_as_a_content_gap(tenant, browser, clock) -> None:
    _article(tenant, "Reset your password")
    page = _get(browser, _url("public_home", tenant.slug) + "?q=refund").content.decode()
    assert "No articles match your search" in page
    [search] = _events(KbEventKind.SEARCH)
    assert (search.query, search.results) == ("refund", 0)
    # Punctuation alone asks nothing: not recorded.
    _get(browser, _url("public_home", tenant.slug) + "?q=%3F%21")
    assert len(_events(KbEventKind.SEARCH)) == 1


# --- categories --------------------------------------------------------------------------------


def test_category_page_lists_subcategories_and_its_articles(
        tenant, billing, invoices, browser, clock) -> None:
    _article(tenant, "Download an invoice", category_id=invoices.pk)
    _article(tenant, "Change your plan", category_id=billing.pk)
    _article(tenant, "Refund approvals", visibility="internal", category_id=billing.pk)

    response = _get(browser, _url("public_category", tenant.slug, billing.pk, billing.slug))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Billing · Acme Support help</title>" in page
    assert re.search(r">Invoices</a> <span class=\"count\"[^>]*>1<", page)
    assert "Change your plan" in page and "Refund approvals" not in page
    # The subcategory's article is on the subcategory's page.
    assert "Download an invoice" not in page


def test_a_wrong_category_slug_redirects_and_an_empty_category_is_a_404(
        tenant, billing, browser, clock) -> None:
    _article(tenant, "Change your plan", category_id=billing.pk)
    hidden = category_create(tenant=tenant, name="Runbooks", now=NOW)
    _article(tenant, "Escalate", visibility="internal", category_id=hidden.pk)

    response = _get(browser, _url("public_category", tenant.slug, billing.pk, "old-name"))
    assert response.status_code == 301
    assert response["Location"] == _url("public_category", tenant.slug, billing.pk, "billing")
    assert _get(browser, _url("public_category", tenant.slug, hidden.pk,
                              hidden.slug)).status_code == 404


def test_category_pages_are_paged(tenant, billing, browser, clock) -> None:
    for i in range(52):
        _article(tenant, f"Billing question {i:02d}", category_id=billing.pk)
    url = _url("public_category", tenant.slug, billing.pk, billing.slug)
    first = _get(browser, url).content.decode()
    assert "Page 1 of 2" in first and "Billing question 49" in first
    second = _get(browser, url + "?page=2").content.decode()
    assert "Billing question 51" in second and "Billing question 00" not in second
    assert _get(browser, url + "?page=zz%00").status_code == 200


# --- sitemap -----------------------------------------------------------------------------------


def test_the_sitemap_lists_exactly_the_public_published_articles(
        tenant, other_tenant, billing, browser, clock) -> None:
    shown = [_article(tenant, "Reset your password"),
             _article(tenant, "Change your plan", category_id=billing.pk,
                      now=NOW + timedelta(days=1))]
    _article(tenant, "Refund approvals", visibility="internal")
    _article(tenant, "Upcoming pricing", publish=False)
    article_archive(article=_article(tenant, "Old plans"), now=NOW)
    _article(other_tenant, "Globex only")

    response = _get(browser, _url("public_sitemap", tenant.slug))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.content)
    entries = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
               for u in root.findall("s:url", ns)}
    base = "http://testserver"
    articles = {loc for loc in entries if "/category/" not in loc
                and loc != f"{base}{_url('public_home', tenant.slug)}"}
    assert articles == {f"{base}{_url('public_article', tenant.slug, a.slug)}" for a in shown}
    assert entries[f"{base}{_url('public_article', tenant.slug, shown[1].slug)}"] == (
        "2026-11-24T09:00:00+00:00")
    assert f"{base}{_url('public_category', tenant.slug, billing.pk, billing.slug)}" in entries
    assert entries[f"{base}{_url('public_home', tenant.slug)}"] == "2026-11-24T09:00:00+00:00"


def test_the_sitemap_builds_the_addresses_reverse_would(tenant, browser, clock) -> None:
    article = _article(tenant, "Ünïcode & spaces in a title")
    page = _get(browser, _url("public_sitemap", tenant.slug)).content.decode()
    assert f"http://testserver{_url('public_article', tenant.slug, article.slug)}<" in page


# --- visitors.py -------------------------------------------------------------------------------


def test_visitor_keys_are_random_hex_and_only_that_shape_is_taken(rf) -> None:
    request = rf.get("/")
    made = visitors.visitor_key(request)
    assert visitors.is_visitor_key(made) and made != visitors.visitor_key(request)
    for bad in ("", "0" * 31, "0" * 33, "G" * 32, "A" * 32, "0" * 31 + "\n"):
        request = rf.get("/")
        request.COOKIES[visitors.COOKIE] = bad
        assert visitors.visitor_key(request) != bad
    request.COOKIES[visitors.COOKIE] = "0123456789abcdef" * 2
    assert visitors.visitor_key(request) == "0123456789abcdef" * 2
    assert visitors.is_crawler(rf.get("/", headers={"User-Agent": "Twitterbot/1.0"}))
    assert not visitors.is_crawler(rf.get("/", headers={"User-Agent": BROWSER}))
    assert not visitors.is_reader(rf.head("/", headers={"User-Agent": BROWSER}))
