"""The knowledge base's forms: the article editor, the filters of the article list, and the
category forms (create, rename, move).

The forms only parse what the browser sent: whether a value is acceptable (a slug no other
article holds, a language tag, a category that is not its own descendant) the services
decide, and `add_domain_error` puts their refusal on the field it names. A category is
chosen from the tenant's tree, so an id the browser made up is a form error here."""

from typing import Any

from django import forms

from casedesk.core.errors import Conflict, DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.limits import max_length
from casedesk.core.text import search_term
from casedesk.kb.models import Article, ArticleStatus, KbCategory, Visibility
from casedesk.kb.selectors import ArticleFilters, CategoryNode
from casedesk.kb.services import MAX_BODY, MAX_TAG_LENGTH, MAX_TAGS

PATH_SEPARATOR = " › "
# Room for every tag at its longest, with a comma and a space between them.
MAX_TAGS_TEXT = MAX_TAGS * (MAX_TAG_LENGTH + 2)
CHOOSE_CATEGORY = "Choose a category from the list."

SLUG_HELP = ("The article's address, made from the title unless you set one. Once the "
             "article is published, changing it keeps the old one redirecting here, so "
             "existing links still work.")


def category_choices(nodes: list[CategoryNode], *, empty: str,
                     exclude: set[int] | None = None) -> list[tuple[str, str]]:
    """The tree as select options, each named by its path (Billing › Invoices); `exclude`
    leaves some out (a category cannot move under itself)."""
    return [("", empty)] + [(str(node.category.pk), PATH_SEPARATOR.join(node.path))
                            for node in nodes
                            if exclude is None or node.category.pk not in exclude]


def _category_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, empty_value=None, required=False,
                                  error_messages={"invalid_choice": CHOOSE_CATEGORY})


def split_tags(text: str) -> list[str]:
    """The tags typed as "billing, Invoices": trimmed, empty ones dropped (the service
    lower-cases them and keeps each once)."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=max_length(Article, "title"))
    summary = forms.CharField(
        max_length=max_length(Article, "summary"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A sentence or two: shown in lists and search results, and as the public "
                  "page's description.")
    category = _category_field("Category")
    tags = forms.CharField(max_length=MAX_TAGS_TEXT, required=False,
                           help_text="Separated by commas, e.g. billing, invoices.")
    language = forms.CharField(max_length=max_length(Article, "language"), initial="en",
                               help_text="A language tag such as en, de or pt-BR.")
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL,
                                   help_text="Public articles appear on the customer portal "
                                             "once published.")
    slug = forms.CharField(max_length=max_length(Article, "slug"), required=False,
                           help_text=SLUG_HELP)
    # Not stripped: leading spaces make a Markdown code block.
    body = forms.CharField(
        max_length=MAX_BODY, required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=f"Markdown, at most {MAX_BODY:,} characters. Raw HTML is shown as text.")

    SERVICE_FIELDS = {"category_id": "category"}

    def __init__(self, *args: Any, categories: list[CategoryNode],
                 article: Article | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.article = article
        category = self.fields["category"]
        assert isinstance(category, forms.TypedChoiceField)
        category.choices = category_choices(categories, empty="No category")

    @classmethod
    def for_article(cls, article: Article, categories: list[CategoryNode]) -> "ArticleForm":
        return cls(categories=categories, article=article, initial={
            "title": article.title, "summary": article.summary,
            "category": article.category_id, "tags": ", ".join(article.tags or []),
            "language": article.language, "visibility": article.visibility,
            "slug": article.slug, "body": article.body})

    def changes(self) -> dict[str, Any]:
        """The cleaned values as the services name them. The slug only when the editor typed
        a new one: left as it was, a draft's slug keeps following its title."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            "title": data["title"], "summary": data["summary"], "body": data["body"],
            "category_id": data["category"], "tags": split_tags(data["tags"]),
            "language": data["language"], "visibility": data["visibility"],
        }
        slug = data["slug"]
        current = self.article.slug if self.article is not None else ""
        if slug and slug != current:
            changes["slug"] = slug
        return changes

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Conflict):
            self.add_error("slug", error.detail)  # the only unique value of an article
        else:
            add_domain_error(self, error, self.SERVICE_FIELDS)


# A filter applies as soon as it is chosen (console.js submits the form); the search box
# waits for Enter, so each search is one request and recorded once.
_AUTOSUBMIT = {"data-autosubmit": ""}


class ArticleFilterForm(forms.Form):
    """The article list's search box and filters; a value that does not parse is left out
    (a link with a stale category shows every category rather than an error)."""

    q = forms.CharField(required=False, label="Search")
    category = _category_field("Category")
    status = forms.ChoiceField(choices=[("", "Any status"), *ArticleStatus.choices],
                               required=False, widget=forms.Select(attrs=_AUTOSUBMIT))
    visibility = forms.ChoiceField(choices=[("", "Anyone"), *Visibility.choices],
                                   required=False, widget=forms.Select(attrs=_AUTOSUBMIT))

    def __init__(self, *args: Any, categories: list[CategoryNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.TypedChoiceField)
        category.choices = category_choices(categories, empty="All categories")
        category.widget.attrs.update(_AUTOSUBMIT)

    def clean_q(self) -> str:
        return search_term(self.cleaned_data["q"])

    def filters(self) -> ArticleFilters:
        self.is_valid()
        data = self.cleaned_data
        return ArticleFilters(q=data.get("q") or None, category_id=data.get("category"),
                              status=data.get("status") or None,
                              visibility=data.get("visibility") or None)


class CategoryNameForm(forms.Form):
    name = forms.CharField(max_length=max_length(KbCategory, "name"))

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Conflict):
            self.add_error("name", error.detail)  # a sibling has the name
        else:
            add_domain_error(self, error)


class CategoryParentForm(forms.Form):
    parent = _category_field("Parent")

    SERVICE_FIELDS = {"parent_id": "parent"}

    def __init__(self, *args: Any, categories: list[CategoryNode],
                 exclude: set[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.TypedChoiceField)
        parent.choices = category_choices(categories, empty="Top level", exclude=exclude)

    def add_domain_error(self, error: DomainError) -> None:
        add_domain_error(self, error, self.SERVICE_FIELDS)


class CategoryForm(CategoryNameForm, CategoryParentForm):
    """A new category: its name and where in the tree it goes."""

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Conflict):
            self.add_error("name", error.detail)
        else:
            add_domain_error(self, error, self.SERVICE_FIELDS)
