"""Who may do what with the knowledge base, and the only way the API and pages fetch an
article or a category: scoped to the member's tenant, NotFound for anything else (another
tenant's record included).

Every member of a tenant reads its articles, internal and public, in any status. Managers
and admins edit, publish and archive everything; agents never publish, and write drafts only
while the tenant's `kb_agents_may_draft` is on: they create drafts and edit articles that
have never been published (an article once published is the editors' to change)."""

from casedesk.core.access import tenant_row
from casedesk.core.errors import PermissionDenied
from casedesk.kb.models import Article, ArticleStatus, KbCategory
from casedesk.tenancy.models import Membership


def may_draft(membership: Membership) -> bool:
    """Whether the member may create an article (a draft)."""
    return membership.is_manager or membership.tenant.kb_agents_may_draft


def may_edit(membership: Membership, article: Article) -> bool:
    """Whether the member may change `article`'s working copy (or delete it)."""
    if membership.is_manager:
        return True
    return membership.tenant.kb_agents_may_draft and article.status == ArticleStatus.DRAFT


def may_publish(membership: Membership) -> bool:
    """Whether the member may publish, archive and restore articles."""
    return membership.is_manager


def may_manage_categories(membership: Membership) -> bool:
    return membership.is_manager


def require_draft(membership: Membership) -> Membership:
    if not may_draft(membership):
        raise PermissionDenied("Only a manager or admin may write articles in this tenant.")
    return membership


def require_edit(membership: Membership, article: Article) -> Article:
    if not may_edit(membership, article):
        raise PermissionDenied("Only a manager or admin may change this article.")
    return article


def require_publish(membership: Membership) -> Membership:
    if not may_publish(membership):
        raise PermissionDenied("Only a manager or admin may publish or archive articles.")
    return membership


def require_categories(membership: Membership) -> Membership:
    if not may_manage_categories(membership):
        raise PermissionDenied("Only a manager or admin may change categories.")
    return membership


def get_article_for_member(membership: Membership, article_id: int) -> Article:
    """The tenant's article (any visibility, any status), or NotFound."""
    return tenant_row(Article.objects.select_related("tenant", "category"),
                      membership.tenant_id, article_id, f"No article with id {article_id}.")


def get_category_for_member(membership: Membership, category_id: int) -> KbCategory:
    """The tenant's category, or NotFound."""
    return tenant_row(KbCategory.objects.select_related("tenant"), membership.tenant_id,
                      category_id, f"No category with id {category_id}.")
