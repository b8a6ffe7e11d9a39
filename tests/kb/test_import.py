"""`casedesk kb_import`: Markdown folders and CSV files into a tenant's articles, checked
before anything stays (problems as path:line: message), re-runs that change only what
changed, and a dry run that writes nothing."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from casedesk.kb import importer, search
from casedesk.kb.models import Article, ArticleVersion, KbCategory
from casedesk.kb.services import MAX_BODY, article_create, article_publish, article_update
from casedesk.kb.services import category_create as make_category
from tests.conftest import NOW

SAMPLES = Path(__file__).parent / "import_samples"


def _run(*args, tenant="acme"):
    """Runs the command: (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("kb_import", "--tenant", tenant, *[str(a) for a in args], stdout=out,
                 stderr=err)
    return out.getvalue(), err.getvalue()


def _fails(*args, tenant="acme"):
    """Runs the command, which must fail: (the CommandError, stderr)."""
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("kb_import", "--tenant", tenant, *[str(a) for a in args],
                     stdout=StringIO(), stderr=err)
    assert failed.value.returncode == 1
    return failed.value, err.getvalue()


@pytest.fixture(autouse=True)
def _stopped_clock(clock):
    """The command stamps with the entry points' clock: stopped at NOW, like the services
    the tests call."""
    return clock


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the sample folder the test may change."""
    return Path(shutil.copytree(SAMPLES / "help", tmp_path / "help"))


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _paths(tenant):
    return sorted(" › ".join(node) for node in _category_paths(tenant))


def _category_paths(tenant):
    categories = KbCategory.objects.filter(tenant=tenant).in_bulk()
    for category in categories.values():
        path, at = [], category
        while at is not None:
            path.insert(0, at.name)
            at = categories.get(at.parent_id)
        yield path


# --- reading (no database) ---------------------------------------------------------------------


def test_front_matter_gives_the_fields_and_the_line_of_each_key() -> None:
    text = ("---\ntitle: Download an invoice\nsummary: PDFs.\ncategory: Billing › Invoices\n"
            "tags: [Invoices, pdf, invoices]\nvisibility: Public\nlanguage: de-CH\n"
            "slug: get-invoice\nstatus: published\n---\n\nOpen *Billing*.\n\n")
    entry, problems = importer.parse_markdown(text, "a.md")
    assert problems == [] and entry is not None
    assert (entry.title, entry.body, entry.status, entry.category) == (
        "Download an invoice", "Open *Billing*.", "published", ("Billing", "Invoices"))
    assert entry.fields == {"summary": "PDFs.", "tags": ["invoices", "pdf"],
                            "visibility": "public", "language": "de-CH",
                            "slug": "get-invoice"}
    assert entry.lines == {"title": 2, "summary": 3, "category": 4, "tags": 5,
                           "visibility": 6, "language": 7, "slug": 8, "status": 9}
    assert entry.slug_key == "get-invoice"


def test_a_first_level_heading_is_the_title_when_the_front_matter_has_none() -> None:
    entry, problems = importer.parse_markdown(
        "---\ncategory: Billing/Cards\ntags: card, billing\n---\n\n# Update your card #\n\n"
        "Go to **Billing**.\n\n## Details\nMore.", "b.md", publish=True)
    assert problems == [] and entry is not None
    assert entry.title == "Update your card" and entry.lines["title"] == 6
    assert entry.body == "Go to **Billing**.\n\n## Details\nMore."
    assert entry.category == ("Billing", "Cards") and entry.fields["tags"] == ["card",
                                                                               "billing"]
    assert entry.status == "published" and entry.slug_key == "update-your-card"
    # No front matter at all.
    entry, _ = importer.parse_markdown("# Just a heading\nand text", "c.md")
    assert entry is not None and (entry.title, entry.body) == ("Just a heading", "and text")


@pytest.mark.parametrize(("text", "line", "words"), [
    ("No heading, no title.", 1, "needs a title"),
    ("---\nsummary: x\ntitle: '  '\n---\nText", 3, "needs a title"),
    ("---\nsummary: x\n---\nText\n# Heading later", 1, "needs a title"),
    ("---\ntitle: T\nsummary: [unclosed\n---\nBody", 3, "not valid YAML"),
    ("---\ntitle: T\ncolour: blue\n---\nBody", 3, "unknown front-matter key 'colour'"),
    ("---\ntitle: T\ntitle: U\n---\nBody", 3, "title is given twice"),
    ("---\ntitle: T\nstatus: live\n---\nBody", 3, "status is draft or published"),
    ("---\ntitle: yes\n---\nBody", 2, "title must be text"),
    ("---\ntitle: T\ncategory: Billing//Cards\n---\nBody", 3, "no empty name"),
    ("---\ntitle: T\ntags: {a: 1}\n---\nBody", 3, "tags must be text"),
    ("---\ntitle: T\nslug: '---'\n---\nBody", 3, "slug needs letters or digits"),
    ("---\ntitle: T\nstatus: published\n---\n", 3, "needs a body"),
    ("---\n- a\n- b\n---\nBody", 2, "keys and values"),
    ("---\ntitle: T\nBody without a closing line", 1, "no closing --- line"),
])
def test_markdown_problems_name_the_line(text, line, words) -> None:
    entry, problems = importer.parse_markdown(text, "docs/x.md")
    assert entry is None
    assert [(p.source, p.line) for p in problems] == [("docs/x.md", line)]
    assert words in problems[0].message
    assert str(problems[0]).startswith(f"docs/x.md:{line}: ")


def test_decoding_drops_a_bom_and_names_the_line_of_nul_or_non_utf8_bytes() -> None:
    assert importer.decode("\ufefftitle\r\nx".encode(), "a.csv") == ("title\nx", None)
    text, problem = importer.decode(b"one\ntwo\nth\x00ree", "a.md")
    assert text is None and problem == importer.Problem("a.md", 3,
                                                        "the file contains NUL bytes")
    text, problem = importer.decode(b"one\ncaf\xe9\n", "a.md")
    assert text is None and problem == importer.Problem("a.md", 2,
                                                        "the file is not UTF-8 text")


def test_csv_rows_are_entries_and_their_lines_count_multi_line_cells() -> None:
    text = ('Title,Body,category,status\n"Export","Line one\n\nLine three",Account > Data,'
            'published\n\n"Close",Write to us.,,\n')
    entries, problems = importer.parse_csv(text, "a.csv")
    assert problems == []
    assert [(e.title, e.line, e.status, e.category) for e in entries] == [
        ("Export", 2, "published", ("Account", "Data")), ("Close", 6, "draft", None)]
    assert entries[0].body == "Line one\n\nLine three"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("title,body,colour\nT,B,blue\n", 1, "unknown column 'colour'"),
    ("title,summary\nT,S\n", 1, "required column 'body' is missing"),
    ("title,body,title\nT,B,U\n", 1, "'title' is given twice"),
    ("", 1, "needs a header row"),
    ("title,body\nT,B\n,only a body\n", 3, "needs a title"),
    ("title,body\nT,B,extra\n", 2, "3 values for 2 columns"),
    ("title,body,visibility,status\nT,B,public,soon\n", 2, "status is draft or published"),
])
def test_csv_problems_name_the_line(text, line, words) -> None:
    entries, problems = importer.parse_csv(text, "a.csv")
    assert [(p.source, p.line) for p in problems][:1] == [("a.csv", line)]
    assert words in problems[0].message


def test_a_csv_value_over_the_body_limit_is_a_problem_of_its_row() -> None:
    entries, problems = importer.parse_csv(f"title,body\nT,{'x' * (MAX_BODY + 1)}\n", "a.csv")
    assert entries == [] and problems == [
        importer.Problem("a.csv", 2, f"a value has more than {MAX_BODY:,} characters")]


def test_category_paths_take_each_separator_and_a_list() -> None:
    for value in ("Billing › Invoices", "Billing/Invoices", " Billing > Invoices ",
                  ["Billing", "Invoices"]):
        assert importer.category_path(value) == ("Billing", "Invoices")


# --- importing -----------------------------------------------------------------------------------


def test_a_folder_imports_with_nested_categories(tenant, folder) -> None:
    out, err = _run(folder)

    assert err == ""
    assert _paths(tenant) == ["Account", "Account › Sign-in", "Billing",
                              "Billing › Invoices"]
    articles = {a.slug: a for a in Article.objects.filter(tenant=tenant)
                .select_related("category")}
    assert set(articles) == {"password-reset", "download-an-invoice", "update-your-payment-card"}
    invoice = articles["download-an-invoice"]
    assert (invoice.title, invoice.summary, invoice.tags, invoice.visibility, invoice.status,
            invoice.category.name) == ("Download an invoice",
                                       "Where to find your invoices as PDF files.",
                                       ["invoices", "pdf"], "public", "draft", "Invoices")
    assert "<strong>Billing → Invoices</strong>" in invoice.body_html
    card = articles["update-your-payment-card"]
    assert (card.status, card.version, card.tags, card.category.name) == (
        "published", 1, ["billing", "card", "payment"], "Billing")
    assert not card.body.startswith("#")
    assert articles["password-reset"].visibility == "internal"
    lines = out.splitlines()
    assert lines[0] == f"created       password-reset  [{folder / 'account/reset-password.md'}]"
    assert "created       update-your-payment-card (published)" in out
    assert lines[-1] == "3 created, 0 updated, 0 unchanged; 4 categories created."
    # In the search index, in the same transaction.
    hits = search.search_articles(tenant.pk, "invoice")
    assert [h.article_id for h in hits][:1] == [invoice.pk]


def test_publish_makes_published_the_default_and_author_is_recorded(
        tenant, folder, manager) -> None:
    out, _ = _run(folder, "--publish", "--author", "MONA@acme.test")
    assert set(Article.objects.values_list("status", flat=True)) == {"published"}
    assert set(Article.objects.values_list("author", flat=True)) == {manager.user_id}
    assert set(ArticleVersion.objects.values_list("author", flat=True)) == {manager.user_id}
    assert out.count("(published)") == 3


def test_a_csv_file_imports_with_a_bom(tenant, tmp_path) -> None:
    sample = (SAMPLES / "articles.csv").read_bytes()
    path = _write(tmp_path / "export.csv", b"\xef\xbb\xbf" + sample)

    out, _ = _run(path)

    export = Article.objects.get(slug="export-your-data")
    assert (export.status, export.visibility, export.tags, export.category.parent.name) == (
        "published", "public", ["export", "csv"], "Account")
    assert export.body == "Open **Settings → Export**.\n\nThe export is a ZIP of CSV files."
    close = Article.objects.get(slug="close-your-account")
    assert (close.status, close.visibility, close.category.name) == ("draft", "internal",
                                                                     "Account")
    assert out.splitlines()[-1] == "2 created, 0 updated, 0 unchanged; 2 categories created."


def test_a_dry_run_shows_the_plan_and_writes_nothing(tenant, folder) -> None:
    make_category(tenant=tenant, name="billing", now=NOW)

    out, err = _run(folder, "--dry-run")

    assert err == ""
    assert not Article.objects.exists()
    assert list(KbCategory.objects.values_list("name", flat=True)) == ["billing"]
    assert search.search_articles(tenant.pk, "invoice") == []
    assert "would create  download-an-invoice" in out
    assert "would create  category Billing › Invoices" in out
    # The existing Billing is found, whatever its case.
    assert "category Billing\n" not in out
    assert out.splitlines()[-1] == ("3 to create, 0 to update, 0 unchanged; 3 categories to "
                                    "create. Dry run: nothing was written.")


def test_a_rerun_changes_nothing_and_updates_only_what_changed(tenant, folder) -> None:
    _run(folder)
    before = {a.slug: (a.updated_at, a.version) for a in Article.objects.all()}

    out, _ = _run(folder)

    assert out.count("unchanged") == 4 and Article.objects.count() == 3
    assert {a.slug: (a.updated_at, a.version) for a in Article.objects.all()} == before
    assert KbCategory.objects.count() == 4
    assert out.splitlines()[-1] == "0 created, 0 updated, 3 unchanged; 0 categories created."

    # A changed text: the published article is updated and re-published (a new version).
    card = folder / "billing/update-card.md"
    card.write_text(card.read_text().replace("new card's details", "new card"))
    out, _ = _run(folder)
    assert "updated       update-your-payment-card (published)" in out
    updated = Article.objects.get(slug="update-your-payment-card")
    assert updated.version == 2 and updated.body.endswith("enter the new card.")
    assert out.splitlines()[-1] == "0 created, 1 updated, 2 unchanged; 0 categories created."


def test_a_rerun_finds_an_article_renamed_in_the_desk_by_its_old_slug(tenant, folder) -> None:
    _run(folder, "--publish")
    article = Article.objects.get(slug="download-an-invoice")
    article_update(article=article, changes={"slug": "invoices-as-pdf"}, now=NOW)

    out, _ = _run(folder, "--publish")

    assert "unchanged     invoices-as-pdf" in out
    assert Article.objects.count() == 3


def test_an_existing_article_with_the_slug_is_updated_not_duplicated(tenant, tmp_path) -> None:
    existing = article_publish(article=article_create(
        tenant=tenant, author=None, title="Reset your password", body="Old text.",
        visibility="public", now=NOW), actor=None, now=NOW)
    path = _write(tmp_path / "kb/reset.md", "# Reset your password\n\nNew text.")

    out, _ = _run(path.parent)

    existing.refresh_from_db()
    assert (existing.body, existing.version, existing.visibility) == ("New text.", 2, "public")
    assert "updated       reset-your-password (published)" in out


def test_a_bad_file_is_named_with_its_line_and_nothing_stays(tenant, folder) -> None:
    _write(folder / "zz/broken.md", "---\ntitle: Broken\nvisibility: everyone\n---\nBody")
    _write(folder / "aa/untitled.md", "Just text, no title.")

    error, err = _fails(folder)

    assert err.splitlines() == [
        f"{folder / 'aa/untitled.md'}:1: the article needs a title",
        f"{folder / 'zz/broken.md'}:3: visibility is one of internal, public.",
    ]
    assert str(error) == "2 problems: nothing was imported."
    assert not Article.objects.exists() and not KbCategory.objects.exists()
    assert search.search_articles(tenant.pk, "invoice") == []


@pytest.mark.parametrize(("content", "line", "message"), [
    (b"---\ntitle: T\n---\nA \x00 in the body", 4, "the file contains NUL bytes"),
    (b"---\ntitle: Caf\xe9\n---\nBody", 2, "the file is not UTF-8 text"),
    (b"# Big\n" + b"x" * (MAX_BODY + 1), 1, f"the file has more than {MAX_BODY:,} characters"),
    (b"x" * (4 * MAX_BODY + 1), 1, f"the file has more than {MAX_BODY:,} characters"),
])
def test_unreadable_or_oversized_files_are_named(tenant, folder, content, line, message
                                                 ) -> None:
    bad = _write(folder / "bad.md", content)
    _, err = _fails(folder)
    assert err.splitlines() == [f"{bad}:{line}: {message}"]
    assert not Article.objects.exists()


def test_a_csv_with_an_unknown_column_or_bad_rows_imports_nothing(tenant, tmp_path) -> None:
    path = _write(tmp_path / "a.csv", "title,body,colour\nT,B,blue\n")
    _, err = _fails(path)
    assert err.splitlines() == [f"{path}:1: unknown column 'colour' (known: title, body, "
                                "summary, category, tags, visibility, language, slug, status)"]
    path = _write(tmp_path / "b.csv", "title,body,visibility,language\nGood,Text,public,en\n"
                                      "Bad,Text,secret,en\nWorse,Text,public,not a language\n")
    _, err = _fails(path)
    assert err.splitlines() == [f"{path}:3: visibility is one of internal, public.",
                                f"{path}:4: language is a language tag such as en or pt-BR."]
    assert not Article.objects.exists()


def test_two_entries_with_one_slug_are_refused(tenant, tmp_path) -> None:
    path = _write(tmp_path / "a.csv", "title,body,slug\nReset password,A,\n"
                                      "Reset password!,B,\nOther,C,reset-password\n")
    _, err = _fails(path)
    assert err.splitlines() == [
        f"{path}:3: the slug 'reset-password' is also {path}:2's: give one of them another "
        "title or a slug",
        f"{path}:4: the slug 'reset-password' is also {path}:2's: give one of them another "
        "title or a slug"]


def test_a_category_the_services_refuse_is_named_with_its_line(tenant, tmp_path) -> None:
    path = _write(tmp_path / "kb/a.md", f"---\ntitle: T\ncategory: {'x' * 101}\n---\nBody")
    _, err = _fails(path.parent)
    assert err.startswith(f"{path}:3: category: ")
    assert not KbCategory.objects.exists()


def test_arguments_are_checked(tenant, folder, outsider, tmp_path) -> None:
    error, _ = _fails(folder, tenant="nobody")
    assert str(error) == "No tenant with the slug 'nobody'."
    error, _ = _fails(folder, "--author", "admin@globex.test")
    assert str(error) == "admin@globex.test is not a member of acme."
    error, _ = _fails(tmp_path / "missing")
    assert "neither a folder of Markdown files nor a .csv file" in str(error)
    error, _ = _fails(_write(tmp_path / "empty/readme.txt", "x").parent)
    assert "There are no *.md files under" in str(error)
    assert not Article.objects.exists()
