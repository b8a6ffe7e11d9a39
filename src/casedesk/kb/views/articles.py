"""The agents' knowledge-base pages (`/kb/...`): the article list with search and filters, an
article as agents read it, the editor with its live preview, publishing, archiving and
deleting, and the published versions with their differences and restore.

Every member reads every article of the tenant; who may write, publish and delete is
`kb.access`'s to say, and the buttons follow it. Writes are plain form posts answered with
a redirect and a message; a refusal (an empty body cannot be published, a published article
cannot be deleted) comes back as the message on the article page, or for htmx as a 4xx text
the console shows as a toast. The editor works without JavaScript: its Preview button posts
the form and gets it back with the preview; with htmx the preview follows the typing.
"""

import difflib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid, NotFound
from casedesk.core.limits import column_limits
from casedesk.core.pages import refused
from casedesk.core.text import check_text
from casedesk.kb import access, events, selectors, services
from casedesk.kb.forms import PATH_SEPARATOR, ArticleFilterForm, ArticleForm
from casedesk.kb.markdown import render as render_markdown
from casedesk.kb.models import Article, ArticleStatus, ArticleVersion, Visibility
from casedesk.kb.services import MAX_BODY
from casedesk.kb.views import categories
from casedesk.tenancy.selectors import member_names
from casedesk.tenancy.web import PageRequest, member, member_required

PAGE_SIZE = 50
VERSIONS_PAGE_SIZE = 20
# A diff longer than this is cut: past it, reading the two versions side by side serves
# better, and a page of a million changed lines serves nobody.
MAX_DIFF_LINES = 2000
_VERSION_NUMBERS = column_limits(ArticleVersion, "number")


def _detail_url(article: Article) -> str:
    return reverse("kb:article_detail", args=[article.pk])


def _paths(nodes: list[selectors.CategoryNode]) -> dict[int, str]:
    return {node.category.pk: PATH_SEPARATOR.join(node.path) for node in nodes}


# --- the list ----------------------------------------------------------------------------------


@dataclass
class Row:
    article: Article
    category: str
    author: str


def _next_query(query: QueryDict, cursor: str | None) -> str | None:
    if not cursor:
        return None
    params = query.copy()
    params["cursor"] = cursor
    return params.urlencode()


@member_required
@require_GET
def article_list(request: PageRequest) -> HttpResponse:
    """The tenant's articles, newest change first, or best match first for a search; a
    search's first page is recorded, so searches that find nothing show as content gaps."""
    membership = member(request)
    tenant = membership.tenant
    tree = selectors.category_tree(tenant)
    form = ArticleFilterForm(request.GET, categories=tree)
    filters = form.filters()
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.article_list(tenant, filters, cursor=cursor, limit=PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("kb:article_list")
    if filters.q and not cursor:
        events.record_search(tenant, filters.q, len(page.items), membership.user, clock.now())
    paths = _paths(tree)
    names = member_names(tenant.pk) if page.items else {}
    rows = [Row(article, paths.get(article.category_id or 0, ""),
                names.get(article.author_id or 0, "")) for article in page.items]
    query = QueryDict(mutable=True)
    for name, value in (("q", filters.q), ("category", filters.category_id),
                        ("status", filters.status), ("visibility", filters.visibility)):
        if value:
            query[name] = str(value)
    context = {
        "nav": "kb", "form": form, "rows": rows, "page": page, "q": filters.q or "",
        "filtered": bool(query), "query": query.urlencode(),
        "next_query": _next_query(query, page.next_cursor), "is_first_page": not cursor,
        "can_draft": access.may_draft(membership),
        "can_manage_categories": access.may_manage_categories(membership),
    }
    if request.htmx and request.htmx.target == "kb-results":
        return render(request, "kb/article_list.html#results", context)
    return render(request, "kb/article_list.html", context)


# --- one article -------------------------------------------------------------------------------


def _latest_version(article: Article) -> ArticleVersion | None:
    versions, _ = selectors.article_versions(article, limit=1)
    return versions[0] if versions else None


def _unpublished_changes(article: Article, latest: ArticleVersion | None) -> bool:
    """Whether the working copy's text differs from the last published version."""
    if latest is None:
        return True
    return (latest.title, latest.summary, latest.body) != (article.title, article.summary,
                                                           article.body)


@member_required
@require_GET
def article_detail(request: PageRequest, article_id: int) -> HttpResponse:
    """The article as agents read it, with what the member may do to it; the read counts
    as a view in the analytics."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    events.record_view(article, user=membership.user, now=clock.now())
    latest = _latest_version(article)
    changed = _unpublished_changes(article, latest)
    can_publish = access.may_publish(membership)
    can_edit = access.may_edit(membership, article)
    publish_label = ""
    if can_publish and article.status != ArticleStatus.PUBLISHED:
        publish_label = "Publish again" if article.version else "Publish"
    elif can_publish and changed:
        publish_label = "Publish changes"
    public_url = ""
    if (article.status == ArticleStatus.PUBLISHED
            and article.visibility == Visibility.PUBLIC):
        public_url = request.build_absolute_uri(
            reverse("kb:public_article", args=[article.tenant.slug, article.slug]))
    category = ""
    if article.category_id is not None:
        category = _paths(selectors.category_tree(membership.tenant)).get(
            article.category_id, "")
    return render(request, "kb/article_detail.html", {
        "nav": "kb", "article": article, "category_path": category,
        "old_slugs": selectors.old_slugs(article), "latest": latest,
        "changed": changed and article.version > 0, "public_url": public_url,
        "can_edit": can_edit, "publish_label": publish_label,
        "can_archive": can_publish and article.status != ArticleStatus.ARCHIVED,
        "can_delete": (can_edit and article.status == ArticleStatus.DRAFT
                       and article.version == 0),
    })


# --- the editor --------------------------------------------------------------------------------


def _preview(body: str) -> tuple[str, str]:
    """The body rendered as readers will see it, or why it cannot be (the same checks the
    services make on save)."""
    if len(body) > MAX_BODY:
        return "", f"The body has more than {MAX_BODY:,} characters: shorten it to save it."
    try:
        check_text(body, field="body")
    except Invalid as error:
        return "", error.detail
    return render_markdown(body), ""


def _editor(request: PageRequest, form: ArticleForm, article: Article | None, *,
            status: int = 200, preview: tuple[str, str] | None = None) -> HttpResponse:
    html, problem = preview or ("", "")
    return render(request, "kb/article_form.html", {
        "nav": "kb", "form": form, "article": article, "preview_html": html,
        "preview_problem": problem, "previewed": preview is not None,
        "is_published": article is not None and article.version > 0,
    }, status=status)


def _previewed(request: PageRequest, tree: list[selectors.CategoryNode],
               article: Article | None) -> HttpResponse:
    """The editor again as typed, with the preview below it and nothing saved (the Preview
    button without JavaScript): unbound, so the fields show no errors yet."""
    typed = {name: request.POST.get(name, "") for name in ArticleForm.base_fields}
    form = ArticleForm(categories=tree, article=article, initial=typed)
    return _editor(request, form, article, preview=_preview(typed["body"]))


@member_required
@require_http_methods(["GET", "POST"])
def article_new(request: PageRequest) -> HttpResponse:
    """A new article, saved as a draft by its author."""
    membership = access.require_draft(member(request))
    tree = selectors.category_tree(membership.tenant)
    if request.method != "POST":
        return _editor(request, ArticleForm(categories=tree), None)
    if "preview" in request.POST:
        return _previewed(request, tree, None)
    form = ArticleForm(request.POST, categories=tree)
    status = 422
    if form.is_valid():
        try:
            article = services.article_create(tenant=membership.tenant, author=membership.user,
                                              now=clock.now(), **form.changes())
        except DomainError as error:
            form.add_domain_error(error)
            status = error.status_code
        else:
            messages.success(request, f"Saved the draft “{article.title}”.")
            return redirect(_detail_url(article))
    return _editor(request, form, None, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def article_edit(request: PageRequest, article_id: int) -> HttpResponse:
    """The article's working copy. A published article shows a saved change at once; the
    next publish records it as a version."""
    membership = member(request)
    article = access.require_edit(membership,
                                  access.get_article_for_member(membership, article_id))
    tree = selectors.category_tree(membership.tenant)
    if request.method != "POST":
        return _editor(request, ArticleForm.for_article(article, tree), article)
    if "preview" in request.POST:
        return _previewed(request, tree, article)
    form = ArticleForm(request.POST, categories=tree, article=article)
    status = 422
    if form.is_valid():
        try:
            article = services.article_update(article=article, changes=form.changes(),
                                              now=clock.now())
        except DomainError as error:
            form.add_domain_error(error)
            status = error.status_code
        else:
            messages.success(request, (
                "Saved. Readers see the change now; publish it to keep it as version "
                f"{article.version + 1}." if article.status == ArticleStatus.PUBLISHED
                else "Saved."))
            return redirect(_detail_url(article))
    return _editor(request, form, article, status=status)


@member_required
@require_POST
def preview(request: PageRequest) -> HttpResponse:
    """The editor's live preview: the posted body rendered and sanitized as the article
    page will show it. For htmx a body that cannot be rendered answers 200 with the reason
    in the pane (htmx swaps no 4xx, and the pane is where the writer looks); otherwise
    422."""
    access.require_draft(member(request))
    html, problem = _preview(request.POST.get("body", ""))
    status = 422 if problem and not request.htmx else 200
    return render(request, "kb/partials/_preview.html",
                  {"body_html": html, "preview_problem": problem}, status=status)


# --- publishing, archiving, deleting -----------------------------------------------------------


def _done(request: PageRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@member_required
@require_POST
def article_publish(request: PageRequest, article_id: int) -> HttpResponse:
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    access.require_publish(membership)
    try:
        article = services.article_publish(article=article, actor=membership.user,
                                           now=clock.now())
    except DomainError as error:
        return refused(request, error, _detail_url(article))
    return _done(request, _detail_url(article), f"Published version {article.version}.")


@member_required
@require_POST
def article_archive(request: PageRequest, article_id: int) -> HttpResponse:
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    access.require_publish(membership)
    try:
        article = services.article_archive(article=article, now=clock.now())
    except DomainError as error:
        return refused(request, error, _detail_url(article))
    return _done(request, _detail_url(article),
                 "Archived: readers no longer see it. Publishing brings it back.")


@member_required
@require_POST
def article_delete(request: PageRequest, article_id: int) -> HttpResponse:
    """Only a draft that was never published; anything else is archived instead."""
    membership = member(request)
    article = access.require_edit(membership,
                                  access.get_article_for_member(membership, article_id))
    title = article.title
    try:
        services.article_delete(article=article)
    except DomainError as error:
        return refused(request, error, _detail_url(article))
    return _done(request, reverse("kb:article_list"), f"Deleted the draft “{title}”.")


# --- versions ----------------------------------------------------------------------------------


@member_required
@require_GET
def article_versions(request: PageRequest, article_id: int) -> HttpResponse:
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    cursor = request.GET.get("cursor") or None
    try:
        versions, next_cursor = selectors.article_versions(article, cursor=cursor,
                                                           limit=VERSIONS_PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("kb:article_versions", article_id=article.pk)
    names = member_names(membership.tenant_id) if versions else {}
    return render(request, "kb/article_versions.html", {
        "nav": "kb", "article": article,
        "versions": [(v, names.get(v.author_id or 0, "")) for v in versions],
        "next_query": urlencode({"cursor": next_cursor}) if next_cursor else None,
        "is_first_page": not cursor, "can_restore": access.may_publish(membership),
    })


def _version(article: Article, number: int) -> ArticleVersion:
    """Version `number` of an article fetched through `kb.access` (so of the member's
    tenant), or NotFound."""
    found = (article.versions.select_related("author").filter(number=number).first()
             if 0 < number <= _VERSION_NUMBERS["le"] else None)
    if found is None:
        raise NotFound(f"The article has no version {number}.")
    return found


@dataclass
class DiffLine:
    kind: str  # "add", "del", "hunk" or "same"
    text: str


def body_diff(old: str, new: str) -> tuple[list[DiffLine], bool]:
    """The unified diff of two Markdown texts, line by line (without the file header), and
    whether it was cut at MAX_DIFF_LINES."""
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3)
    for line in diff:
        if line.startswith(("--- ", "+++ ")) and not lines:
            continue
        if len(lines) >= MAX_DIFF_LINES:
            return lines, True
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "same")
        lines.append(DiffLine(kind, line))
    return lines, False


@member_required
@require_GET
def version_detail(request: PageRequest, article_id: int, version: int) -> HttpResponse:
    """One published version: its text, and what changed from it to the working copy."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    found = _version(article, version)
    diff, cut = body_diff(found.body, article.body)
    return render(request, "kb/version_detail.html", {
        "nav": "kb", "article": article, "version": found,
        "body_html": render_markdown(found.body), "diff": diff, "diff_cut": cut,
        "max_diff_lines": MAX_DIFF_LINES,
        "title_changed": found.title != article.title,
        "summary_changed": found.summary != article.summary,
        "can_restore": access.may_publish(membership),
    })


@member_required
@require_POST
def version_restore(request: PageRequest, article_id: int, version: int) -> HttpResponse:
    """Copies the version's text back as the working copy; the status stays."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    access.require_publish(membership)
    number = _version(article, version).number
    try:
        article = services.article_restore_version(article=article, number=number,
                                                   now=clock.now())
    except DomainError as error:
        return refused(request, error, _detail_url(article))
    shown = ("Readers see it now; publish it to record it as a new version."
             if article.status == ArticleStatus.PUBLISHED
             else "Publish it to record it as a new version.")
    return _done(request, _detail_url(article),
                 f"Restored version {number} as the working copy. {shown}")


urlpatterns = [
    path("kb/", article_list, name="article_list"),
    path("kb/preview", preview, name="preview"),
    path("kb/articles/new", article_new, name="article_new"),
    path("kb/articles/<int:article_id>", article_detail, name="article_detail"),
    path("kb/articles/<int:article_id>/edit", article_edit, name="article_edit"),
    path("kb/articles/<int:article_id>/publish", article_publish, name="article_publish"),
    path("kb/articles/<int:article_id>/archive", article_archive, name="article_archive"),
    path("kb/articles/<int:article_id>/delete", article_delete, name="article_delete"),
    path("kb/articles/<int:article_id>/versions", article_versions, name="article_versions"),
    path("kb/articles/<int:article_id>/versions/<int:version>", version_detail,
         name="version_detail"),
    path("kb/articles/<int:article_id>/versions/<int:version>/restore", version_restore,
         name="version_restore"),
    *categories.urlpatterns,
]
