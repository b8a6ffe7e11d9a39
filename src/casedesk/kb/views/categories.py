"""The category tree of the knowledge base (`/kb/categories`): creating a category at the top
or under another, renaming, moving and deleting one. Managers and admins only.

Plain form posts answered with a redirect to the changed row and a message; a refusal (a
sibling has the name, a category cannot move under itself, one that still holds articles or
subcategories cannot be deleted) shows the page again with the reason on the row or the form
that caused it, and nothing is saved."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.kb import access, selectors, services
from casedesk.kb.forms import (
    PATH_SEPARATOR,
    CategoryForm,
    CategoryNameForm,
    CategoryParentForm,
)
from casedesk.kb.models import KbCategory
from casedesk.tenancy.web import PageRequest, member, member_required

TEMPLATE = "kb/categories.html"
# Deeper levels are drawn at this indentation (the stylesheet has a class per level).
MAX_INDENT = 8


@dataclass
class TreeRow:
    node: selectors.CategoryNode
    indent: int
    # Where the category may move: every category outside its own subtree.
    parents: list[tuple[int, str]]
    errors: list[str] = field(default_factory=list)
    typed_name: str | None = None


def _rows(nodes: list[selectors.CategoryNode]) -> list[TreeRow]:
    """The tree's rows with each one's possible parents. A subtree is the run of nodes after
    a category that are deeper than it (the tree lists each category after its parent)."""
    rows = []
    for i, node in enumerate(nodes):
        end = i + 1
        while end < len(nodes) and nodes[end].depth > node.depth:
            end += 1
        inside = {n.category.pk for n in nodes[i:end]}
        parents = [(n.category.pk, PATH_SEPARATOR.join(n.path)) for n in nodes
                   if n.category.pk not in inside]
        rows.append(TreeRow(node, min(node.depth, MAX_INDENT), parents))
    return rows


def _page(request: PageRequest, *, form: CategoryForm | None = None, status: int = 200,
          failed: KbCategory | None = None, errors: list[str] | None = None,
          typed_name: str | None = None) -> HttpResponse:
    """The page; after a refusal (`status`), with the reason on the form or on the row of
    the category (`failed`) it concerns."""
    nodes = selectors.category_tree(member(request).tenant)
    rows = _rows(nodes)
    for row in rows:
        if failed is not None and row.node.category.pk == failed.pk:
            row.errors = errors or []
            row.typed_name = typed_name
    return render(request, TEMPLATE, {
        "nav": "kb", "tab": "categories", "rows": rows,
        "form": form or CategoryForm(categories=nodes),
    }, status=status)


def _back(message: str, request: PageRequest, category_id: int | None = None) -> HttpResponse:
    messages.success(request, message)
    anchor = f"#category-{category_id}" if category_id is not None else ""
    return redirect(f"{reverse('kb:categories')}{anchor}")


def _form_errors(form: CategoryNameForm | CategoryParentForm) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


@member_required
@require_http_methods(["GET", "POST"])
def category_list(request: PageRequest) -> HttpResponse:
    """The tree; a POST creates a category."""
    membership = access.require_categories(member(request))
    if request.method != "POST":
        return _page(request)
    nodes = selectors.category_tree(membership.tenant)
    form = CategoryForm(request.POST, categories=nodes)
    status = 422
    if form.is_valid():
        try:
            category = services.category_create(
                tenant=membership.tenant, name=form.cleaned_data["name"],
                parent_id=form.cleaned_data["parent"], now=clock.now())
        except DomainError as error:
            form.add_domain_error(error)
            status = error.status_code
        else:
            return _back(f"Created the category {category.name}.", request, category.pk)
    return _page(request, form=form, status=status)


@member_required
@require_POST
def category_rename(request: PageRequest, category_id: int) -> HttpResponse:
    membership = member(request)
    category = access.get_category_for_member(membership, category_id)
    access.require_categories(membership)
    form = CategoryNameForm(request.POST)
    if form.is_valid():
        try:
            category = services.category_rename(category=category,
                                                name=form.cleaned_data["name"])
        except DomainError as error:
            return _page(request, status=error.status_code, failed=category,
                         errors=[error.detail], typed_name=form.cleaned_data["name"])
        return _back(f"Renamed the category to {category.name}.", request, category.pk)
    return _page(request, status=422, failed=category, errors=_form_errors(form),
                 typed_name=request.POST.get("name", ""))


@member_required
@require_POST
def category_move(request: PageRequest, category_id: int) -> HttpResponse:
    membership = member(request)
    category = access.get_category_for_member(membership, category_id)
    access.require_categories(membership)
    form = CategoryParentForm(request.POST, categories=selectors.category_tree(
        membership.tenant))
    if form.is_valid():
        try:
            category = services.category_move(category=category,
                                              parent_id=form.cleaned_data["parent"])
        except DomainError as error:
            return _page(request, status=error.status_code, failed=category,
                         errors=[error.detail])
        where = f"under {category.parent.name}" if category.parent else "to the top level"
        return _back(f"Moved {category.name} {where}.", request, category.pk)
    return _page(request, status=422, failed=category, errors=_form_errors(form))


@member_required
@require_POST
def category_delete(request: PageRequest, category_id: int) -> HttpResponse:
    """Only an empty category: one with articles or subcategories is refused."""
    membership = member(request)
    category = access.get_category_for_member(membership, category_id)
    access.require_categories(membership)
    name = category.name
    try:
        services.category_delete(category=category)
    except DomainError as error:
        return _page(request, status=error.status_code, failed=category,
                     errors=[error.detail])
    return _back(f"Deleted the category {name}.", request)


urlpatterns = [
    path("kb/categories", category_list, name="categories"),
    path("kb/categories/<int:category_id>/rename", category_rename, name="category_rename"),
    path("kb/categories/<int:category_id>/move", category_move, name="category_move"),
    path("kb/categories/<int:category_id>/delete", category_delete, name="category_delete"),
]
