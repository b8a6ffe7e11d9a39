"""`{% kb_attachments article membership as box %}`: what the attachments box of an article's
edit page shows (`kb/partials/_attachments.html`): the files with their addresses and
Markdown snippets, whether the member may add and delete them, and the limits. One query."""

from dataclasses import dataclass

from django import template

from casedesk.kb import access
from casedesk.kb.attachments import (
    MAX_FILES,
    AttachmentLinks,
    article_attachments,
    attachment_links,
    is_image,
    max_file_bytes,
)
from casedesk.kb.models import Article, ArticleAttachment
from casedesk.tenancy.models import Membership

register = template.Library()


@dataclass(frozen=True)
class AttachmentItem:
    attachment: ArticleAttachment
    links: AttachmentLinks
    is_image: bool


@dataclass(frozen=True)
class AttachmentBox:
    items: list[AttachmentItem]
    can_edit: bool
    is_full: bool
    max_files: int
    max_bytes: int


@register.simple_tag
def kb_attachments(article: Article, membership: Membership) -> AttachmentBox:
    slug = membership.tenant.slug
    items = [AttachmentItem(a, attachment_links(a, slug), is_image(a))
             for a in article_attachments(article)]
    return AttachmentBox(items=items, can_edit=access.may_edit(membership, article),
                         is_full=len(items) >= MAX_FILES, max_files=MAX_FILES,
                         max_bytes=max_file_bytes())
