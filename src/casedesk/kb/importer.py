"""Importing articles from Markdown files or a CSV file (`casedesk kb_import`): the reading,
checking and applying, as plain functions; the command only parses its arguments and prints.

Sources:
- a folder: every `*.md` file under it (recursively, sorted by path). A file may start with
  YAML front matter between `---` lines (title, summary, category, tags, visibility,
  language, slug, status); without a `title` its first line must be a first-level heading
  (`# Title`), which becomes the title and leaves the body;
- a `.csv` file (UTF-8, with or without a BOM): a header row naming the columns; `title` and
  `body` are required, `summary`, `category`, `tags`, `visibility`, `language`, `slug` and
  `status` optional; an empty cell gives nothing (the default, or the article's value).

A category is a path ("Billing › Invoices", "Billing/Invoices", "Billing > Invoices"); the
categories missing from the tenant's tree are created. Tags are a list or comma-separated.
Status is `draft` or `published` (the default `draft`, or `published` with `publish=True`).

An article is known by its slug: the one given, or its title's (`services._title_slug`). An
article of the tenant with that slug (now or once: an old slug leads to the article it was
renamed from) is updated with what the source gives — fields the source leaves out keep
their value — and re-published when it is published and its title, summary or body changed;
an article that would not change is left alone. Any other is created. Two entries of one
import with the same slug are refused: which of them is the article would depend on order.

Everything goes through `kb.services` in one transaction. Problems are collected over all
files first: what reading finds (syntax, unknown keys and columns, sizes, encodings), then
what the services refuse for each entry (each in a savepoint, so the others are still
checked); with any problem, or for a dry run, the transaction is rolled back and nothing
stays. A dry run thus checks and reports exactly what a real run would do.
"""

import csv
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from django.db import transaction
from django.utils.text import slugify

from casedesk.core.errors import DomainError, Invalid
from casedesk.core.limits import max_length
from casedesk.kb import services
from casedesk.kb.models import Article, ArticleSlug, ArticleStatus, KbCategory
from casedesk.tenancy.models import Membership, Tenant, User

KEYS = ("title", "summary", "category", "tags", "visibility", "language", "slug", "status")
REQUIRED_COLUMNS = ("title", "body")
COLUMNS = (*REQUIRED_COLUMNS, *(key for key in KEYS if key != "title"))
STATUSES = (ArticleStatus.DRAFT.value, ArticleStatus.PUBLISHED.value)
# A UTF-8 character takes at most 4 bytes: a larger file holds more than MAX_BODY characters.
MAX_MARKDOWN_BYTES = 4 * services.MAX_BODY
MAX_CSV_BYTES = 256 * 1024 * 1024
CATEGORY_SEPARATOR = " › "
_CATEGORY_SPLIT = re.compile(r"[›/>]")
_HEADING = re.compile(r"#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r"(?:---|\.\.\.)[ \t]*")
# The article fields a version holds: a change to one of them is re-published.
_VERSIONED = ("title", "summary", "body")

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: printed as `path:line: message`."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class Entry:
    """One article as a source gives it. `fields` holds the article fields it gives besides
    title and body (summary, tags, visibility, language, slug); `lines` the line each key
    was given on (the entry's `line` for the others)."""

    source: str
    line: int
    title: str
    body: str
    status: str
    category: tuple[str, ...] | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str | None) -> int:
        return self.lines.get(name or "", self.line)

    @property
    def slug_key(self) -> str:
        """The slug the article has (or gets) in the tenant."""
        given = self.fields.get("slug")
        if isinstance(given, str):
            return slugify(given, allow_unicode=True).strip("-_")
        # What `services.article_create` gives a new article when the slug is free.
        limit = max_length(Article, "slug")
        return services._title_slug(self.title)[:limit].strip("-_") or "article"


@dataclass(frozen=True)
class Outcome:
    action: Action
    slug: str
    source: str
    line: int
    published: bool  # whether this import published it


@dataclass
class ImportResult:
    outcomes: list[Outcome] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # the paths created
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: Action) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)


# --- reading ---------------------------------------------------------------------------------


def decode(data: bytes, source: str) -> tuple[str | None, Problem | None]:
    """The text of a file's bytes (UTF-8, a BOM dropped, line ends made `\\n`), or the
    problem: NUL bytes or bytes that are not UTF-8, at the line they are on."""
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return None, Problem(source, line, "the file contains NUL bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, Problem(source, line, "the file is not UTF-8 text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def category_path(value: Any) -> tuple[str, ...]:
    """A category path: "Billing › Invoices" (or with / or >), or a list of names."""
    if isinstance(value, list):
        parts = [_scalar(part, "category") for part in value]
    else:
        parts = _CATEGORY_SPLIT.split(_scalar(value, "category"))
    names = tuple(part.strip() for part in parts)
    if not names or any(not name for name in names):
        raise Invalid("category is a path of names such as Billing › Invoices, with no empty "
                      "name.", field="category")
    return names


def tag_list(value: Any) -> list[str]:
    """Tags from a list or a comma-separated text, cleaned as the services clean them."""
    if isinstance(value, list):
        tags = [_scalar(tag, "tags") for tag in value]
    else:
        tags = _scalar(value, "tags").split(",")
    return services.clean_tags(tags)


def _scalar(value: Any, name: str) -> str:
    """A YAML or CSV value as text: a string, a number or a date; never a yes/no (YAML reads
    an unquoted `yes` as true), a list or a mapping."""
    if isinstance(value, str | int | float | date) and not isinstance(value, bool):
        return str(value)
    raise Invalid(f"{name} must be text (put it in quotes).", field=name)


def _entry(source: str, line: int, title: tuple[str, int], body: str,
           given: dict[str, tuple[Any, int]], *, publish: bool) -> tuple[Entry, list[Problem]]:
    """An entry of `title` (text, line), `body` and the other keys `given` (value, line),
    with the problems of those keys' values."""
    entry = Entry(source=source, line=line, title=title[0].strip(), body=body,
                  status=ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT,
                  lines={"title": title[1]})
    problems: list[Problem] = []
    for name, (value, at) in given.items():
        if value is None or value == "":
            continue
        entry.lines[name] = at
        try:
            if name == "category":
                entry.category = category_path(value)
            elif name == "tags":
                entry.fields["tags"] = tag_list(value)
            elif name == "status":
                status = _scalar(value, name).strip().lower()
                if status not in STATUSES:
                    raise Invalid(f"status is {' or '.join(STATUSES)}, not {status!r}.")
                entry.status = status
            elif name == "visibility":
                entry.fields[name] = _scalar(value, name).strip().lower()
            elif name == "slug":
                slug = _scalar(value, name).strip()
                if not slugify(slug, allow_unicode=True).strip("-_"):
                    raise Invalid("slug needs letters or digits.")
                entry.fields["slug"] = slug
            else:
                entry.fields[name] = _scalar(value, name).strip()
        except DomainError as error:
            problems.append(Problem(source, at, error.detail))
    if not entry.title:
        problems.append(Problem(source, entry.line_of("title"), "the article needs a title"))
    if entry.status == ArticleStatus.PUBLISHED and not entry.body.strip():
        problems.append(Problem(source, entry.line_of("status"),
                                "a published article needs a body"))
    return entry, problems


def parse_markdown(text: str, source: str, *, publish: bool = False
                   ) -> tuple[Entry | None, list[Problem]]:
    """The entry of one Markdown file's text (see the module's docstring), or its
    problems."""
    if len(text) > services.MAX_BODY:
        return None, [Problem(source, 1, f"the file has more than {services.MAX_BODY:,} "
                                         "characters")]
    lines = text.split("\n")
    given: dict[str, tuple[Any, int]] = {}
    body_start = 0
    if lines and lines[0].rstrip() == "---":
        end = next((i for i in range(1, len(lines)) if _FENCE.fullmatch(lines[i])), None)
        if end is None:
            return None, [Problem(source, 1, "the front matter has no closing --- line")]
        front, problems = _front_matter("\n".join(lines[1:end]), source)
        if problems:
            return None, problems
        given = front
        body_start = end + 1
    while body_start < len(lines) and not lines[body_start].strip():
        body_start += 1
    title_value = given.pop("title", None)
    title, title_line = "", 1
    if title_value is not None and title_value[0] not in (None, ""):
        try:
            title, title_line = _scalar(title_value[0], "title"), title_value[1]
        except Invalid as error:
            return None, [Problem(source, title_value[1], error.detail)]
    elif body_start < len(lines) and (heading := _HEADING.fullmatch(lines[body_start])):
        title, title_line = heading.group(1), body_start + 1
        body_start += 1
    body = "\n".join(lines[body_start:]).strip("\n").rstrip()
    entry, problems = _entry(source, 1, (title, title_line), body, given, publish=publish)
    return (None if problems else entry), problems


def _front_matter(text: str, source: str) -> tuple[dict[str, tuple[Any, int]], list[Problem]]:
    """The front matter's keys, each with its value and the file's line it is on (the
    front matter starts on line 2)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 2 if mark is not None else 1
        return {}, [Problem(source, line, "the front matter is not valid YAML: "
                                          f"{error.problem or error.context}")]
    except yaml.YAMLError:
        return {}, [Problem(source, 1, "the front matter is not valid YAML")]
    finally:
        loader.dispose()
    if node is None:
        return {}, []
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        return {}, [Problem(source, 2, "the front matter must be keys and values "
                                       "(title: …, category: …)")]
    given: dict[str, tuple[Any, int]] = {}
    problems: list[Problem] = []
    for key_node, _ in node.value:
        line = key_node.start_mark.line + 2
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        name = key.strip().lower() if isinstance(key, str) else None
        if name not in KEYS:
            problems.append(Problem(source, line, f"unknown front-matter key {key!r} (known: "
                                                  f"{', '.join(KEYS)})"))
        elif name in given:
            problems.append(Problem(source, line, f"{name} is given twice"))
        else:
            given[name] = (data.get(key), line)
    return given, problems


@contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def parse_csv(text: str, source: str, *, publish: bool = False
              ) -> tuple[list[Entry], list[Problem]]:
    """The entries of a CSV file's text, one a row after the header (see the module's
    docstring), and the problems of all rows."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    with _csv_field_limit(services.MAX_BODY):
        try:
            header = next(reader, None)
        except csv.Error as error:
            return [], [Problem(source, 1, f"the header row is not valid CSV: {error}")]
        if header is None:
            return [], [Problem(source, 1, "the file is empty: it needs a header row")]
        columns = [name.strip().lower() for name in header]
        for name in columns:
            if name not in COLUMNS:
                problems.append(Problem(source, 1, f"unknown column {name!r} (known: "
                                                   f"{', '.join(COLUMNS)})"))
        for name in sorted({n for n in columns if columns.count(n) > 1}):
            problems.append(Problem(source, 1, f"the column {name!r} is given twice"))
        for name in REQUIRED_COLUMNS:
            if name not in columns:
                problems.append(Problem(source, 1, f"the required column {name!r} is missing"))
        if problems:
            return [], problems
        line = reader.line_num + 1
        while True:
            try:
                row = next(reader, None)
            except csv.Error as error:
                message = str(error)
                if "field larger than field limit" in message:
                    message = f"a value has more than {services.MAX_BODY:,} characters"
                problems.append(Problem(source, line, message))
                break
            if row is None:
                break
            if any(cell.strip() for cell in row):
                entry, row_problems = _csv_entry(columns, row, source, line, publish=publish)
                problems.extend(row_problems)
                if entry is not None:
                    entries.append(entry)
            line = reader.line_num + 1
    return entries, problems


def _csv_entry(columns: list[str], row: list[str], source: str, line: int, *,
               publish: bool) -> tuple[Entry | None, list[Problem]]:
    if len(row) > len(columns):
        return None, [Problem(source, line, f"the row has {len(row)} values for "
                                            f"{len(columns)} columns")]
    values = dict(zip(columns, row, strict=False))
    given = {name: (value, line) for name, value in values.items()
             if name not in REQUIRED_COLUMNS}
    body = values.get("body", "").strip("\n").rstrip()
    entry, problems = _entry(source, line, (values.get("title", ""), line), body, given,
                             publish=publish)
    return (None if problems else entry), problems


def read_path(path: Path, *, publish: bool = False) -> tuple[list[Entry], list[Problem]]:
    """The entries of a folder of Markdown files (or one Markdown file) or of a CSV file,
    with the problems of every file. Invalid when `path` is none of these."""
    if path.is_dir():
        files = sorted((p for p in path.rglob("*.md") if p.is_file()),
                       key=lambda p: p.relative_to(path).as_posix())
        if not files:
            raise Invalid(f"There are no *.md files under {path}.", field="path")
    elif path.is_file() and path.suffix.lower() in (".md", ".csv"):
        files = [path]
    else:
        raise Invalid(f"{path} is neither a folder of Markdown files nor a .csv file.",
                      field="path")
    entries: list[Entry] = []
    problems: list[Problem] = []
    for file in files:
        source = str(file)
        is_csv = file.suffix.lower() == ".csv"
        limit = MAX_CSV_BYTES if is_csv else MAX_MARKDOWN_BYTES
        try:
            if file.stat().st_size > limit:
                problems.append(Problem(source, 1, f"the file is larger than {limit:,} bytes"
                                        if is_csv else f"the file has more than "
                                        f"{services.MAX_BODY:,} characters"))
                continue
            data = file.read_bytes()
        except OSError as error:
            problems.append(Problem(source, 1, f"cannot read the file: {error.strerror}"))
            continue
        text, problem = decode(data, source)
        if problem is not None or text is None:
            problems.append(problem or Problem(source, 1, "cannot read the file"))
            continue
        if is_csv:
            found, file_problems = parse_csv(text, source, publish=publish)
            entries.extend(found)
        else:
            entry, file_problems = parse_markdown(text, source, publish=publish)
            if entry is not None:
                entries.append(entry)
        problems.extend(file_problems)
    return entries, problems


def duplicate_slugs(entries: Sequence[Entry]) -> list[Problem]:
    """A problem for each entry whose slug an earlier entry of the import has."""
    first: dict[str, Entry] = {}
    problems = []
    for entry in entries:
        key = entry.slug_key
        if key in first:
            other = first[key]
            problems.append(Problem(entry.source, entry.line_of("slug"),
                                    f"the slug {key!r} is also {other.source}:{other.line}'s: "
                                    "give one of them another title or a slug"))
        else:
            first[key] = entry
    return problems


# --- the tenant and the author ---------------------------------------------------------------


def find_tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise Invalid(f"No tenant with the slug {slug!r}.", field="tenant")
    return tenant


def find_author(tenant: Tenant, email: str) -> User:
    """The active member of `tenant` with the address `email`, or Invalid."""
    membership = (Membership.objects.select_related("user")
                  .filter(tenant=tenant, is_active=True, user__email=email.strip().lower())
                  .first())
    if membership is None:
        raise Invalid(f"{email} is not a member of {tenant.slug}.", field="author")
    return membership.user


# --- applying ----------------------------------------------------------------------------------


def import_entries(tenant: Tenant, entries: Sequence[Entry], *, author: User | None,
                   now: datetime, dry_run: bool = False,
                   problems: Sequence[Problem] = ()) -> ImportResult:
    """Creates and updates the tenant's articles (and categories) from `entries` in one
    transaction, which is rolled back for a dry run or when there is any problem (those
    found reading, `problems`, or the services' refusals, all collected in the result)."""
    result = ImportResult(dry_run=dry_run, problems=[*problems, *duplicate_slugs(entries)])
    with transaction.atomic():
        categories = _categories(tenant, entries, now, result)
        for entry in entries:
            if entry.category is not None and entry.category not in categories:
                continue  # its category was refused, which is reported already
            category_id = categories[entry.category].pk if entry.category else None
            try:
                with transaction.atomic():  # a savepoint: the next entries are still checked
                    result.outcomes.append(_apply(tenant, entry, category_id, author, now))
            except DomainError as error:
                name = error.field if isinstance(error, Invalid) else None
                result.problems.append(Problem(
                    entry.source, entry.line_of("category" if name == "category_id" else name),
                    error.detail))
        if dry_run or result.problems:
            transaction.set_rollback(True)
    if result.problems:
        result.outcomes = []
        result.categories = []
    return result


def _categories(tenant: Tenant, entries: Sequence[Entry], now: datetime,
                result: ImportResult) -> dict[tuple[str, ...], KbCategory]:
    """Each category path the entries name, found in the tenant's tree or created (the
    paths created go to `result.categories`); a refused one is left out, with its problem
    at the first entry that names it."""
    known: dict[tuple[int | None, str], KbCategory] = {}
    for category in KbCategory.objects.filter(tenant=tenant).order_by("pk"):
        known.setdefault((category.parent_id, category.name.lower()), category)
    found: dict[tuple[str, ...], KbCategory] = {}
    for entry in entries:
        if entry.category is None or entry.category in found:
            continue
        parent: KbCategory | None = None
        try:
            for depth, name in enumerate(entry.category, start=1):
                key = (parent.pk if parent is not None else None, name.lower())
                if key not in known:
                    with transaction.atomic():
                        known[key] = services.category_create(
                            tenant=tenant, name=name,
                            parent_id=parent.pk if parent is not None else None, now=now)
                    result.categories.append(CATEGORY_SEPARATOR.join(entry.category[:depth]))
                parent = known[key]
        except DomainError as error:
            result.problems.append(Problem(entry.source, entry.line_of("category"),
                                           f"category: {error.detail}"))
            continue
        if parent is not None:
            found[entry.category] = parent
    return found


def _existing(tenant: Tenant, slug: str) -> Article | None:
    """The tenant's article with `slug`, now or once."""
    article = Article.objects.filter(tenant=tenant, slug=slug).first()
    if article is None:
        old = ArticleSlug.objects.filter(tenant=tenant, slug=slug).select_related(
            "article").first()
        article = old.article if old is not None else None
    return article


def _apply(tenant: Tenant, entry: Entry, category_id: int | None, author: User | None,
           now: datetime) -> Outcome:
    wanted: dict[str, Any] = {"title": entry.title, "body": entry.body,
                              **{k: v for k, v in entry.fields.items() if k != "slug"}}
    if entry.category is not None:
        wanted["category_id"] = category_id
    publish = entry.status == ArticleStatus.PUBLISHED
    article = _existing(tenant, entry.slug_key)
    if article is None:
        article = services.article_create(tenant=tenant, author=author, now=now,
                                          slug=entry.fields.get("slug"), **wanted)
        if publish:
            article = services.article_publish(article=article, actor=author, now=now)
        return Outcome("created", article.slug, entry.source, entry.line, publish)
    changes = {name: value for name, value in wanted.items()
               if getattr(article, name) != value}
    republish = (publish and article.status != ArticleStatus.PUBLISHED) or (
        article.status == ArticleStatus.PUBLISHED and any(n in changes for n in _VERSIONED))
    if changes:
        article = services.article_update(article=article, changes=changes, now=now)
    if republish:
        article = services.article_publish(article=article, actor=author, now=now)
    action: Action = "updated" if changes or republish else "unchanged"
    return Outcome(action, article.slug, entry.source, entry.line, republish)


def run_import(tenant: Tenant, path: Path, *, author: User | None, now: datetime,
               publish: bool = False, dry_run: bool = False) -> ImportResult:
    """Reads `path` and imports what it holds (`read_path`, then `import_entries`)."""
    entries, problems = read_path(path, publish=publish)
    return import_entries(tenant, entries, author=author, now=now, dry_run=dry_run,
                          problems=problems)
