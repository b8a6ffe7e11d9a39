"""The demo tenant's knowledge base: its category tree and its articles, as data.

Pure data, read by `casedesk.demo.builder`. The articles answer what the demo's customers write
in about (`casedesk.demo.topics`): each lists the topic keys it answers (`ArticleSpec.topics`),
which is what the demo's tests hold the suggestions to, and what the builder's replayed
analytics history opens and marks as "solved it".

The top-level categories are the tenant's case categories (Billing, Technical, Account,
Onboarding, General), so an article is lifted on a case of its category
(`kb.suggestions.CATEGORY_BOOST`) and agents find the same words in both places. Bodies are
Markdown; links between public articles use the portal's clean URLs (`PORTAL`), so they work
for customers as well as agents. The product the demo's customers use is a cloud service desk:
they have a workspace, agents, cases, queues and integrations.

One module per part of the tree holds its articles (`billing`, `sign_in`, `technical`,
`account`, `onboarding`, `general`; `drafts` the unpublished ones); `spec` what an article is.
"""

from dataclasses import dataclass

from casedesk.demo.kb_content.account import ACCOUNT
from casedesk.demo.kb_content.billing import BILLING
from casedesk.demo.kb_content.drafts import DRAFTS
from casedesk.demo.kb_content.general import GENERAL
from casedesk.demo.kb_content.onboarding import ONBOARDING
from casedesk.demo.kb_content.sign_in import SIGN_IN
from casedesk.demo.kb_content.spec import PORTAL, ArticleSpec
from casedesk.demo.kb_content.technical import TECHNICAL
from casedesk.demo.topics import TOPICS, Topic

__all__ = ["ARTICLES", "CATEGORIES", "PORTAL", "SEARCHES", "ArticleSpec", "SearchSpec",
           "articles_for_topic", "topic_for"]

# Top-level category → its subcategories, in the order the tree shows them.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Billing": ("Invoices", "Refunds", "Payment methods", "Plans & pricing"),
    "Technical": ("Sign-in & SSO", "Performance", "Integrations", "Data import",
                  "Errors & troubleshooting"),
    "Account": ("Users & roles", "Access & security", "Cancellation"),
    "Onboarding": ("Getting started", "Training"),
    "General": ("How-to", "Product feedback"),
}


def topic_for(type_: str, category: str, subcategory: str) -> Topic | None:
    """The demo topic a case of this classification was made from (each topic has its own
    type, category and subcategory); None for a classification no topic has."""
    for topic in TOPICS:
        if (topic.type, topic.category, topic.subcategory) == (type_, category, subcategory):
            return topic
    return None


ARTICLES: tuple[ArticleSpec, ...] = (
    BILLING + SIGN_IN + TECHNICAL + ACCOUNT + ONBOARDING + GENERAL + DRAFTS
)


def articles_for_topic(key: str) -> tuple[ArticleSpec, ...]:
    """The articles that answer the demo topic `key`, in the order of `ARTICLES`."""
    return tuple(spec for spec in ARTICLES if key in spec.topics)


@dataclass(frozen=True)
class SearchSpec:
    """A search a member of the demo's staff ran in the knowledge base, `days_ago` before the
    build; those that find nothing are the analytics' content gaps."""

    query: str
    by: str  # the local part of a staff email
    days_ago: float


# What agents looked for lately: the articles they found, and what the knowledge base lacks
# (WhatsApp as a channel, HIPAA, an Android app, a sandbox, chatbots, voicemail).
SEARCHES: tuple[SearchSpec, ...] = (
    SearchSpec("whatsapp", "alex", 2.3),
    SearchSpec("whatsapp", "priya", 9.1),
    SearchSpec("WhatsApp", "sofia", 17.6),
    SearchSpec("hipaa", "tom", 4.2),
    SearchSpec("HIPAA", "maya", 21.0),
    SearchSpec("android", "priya", 6.5),
    SearchSpec("sandbox", "hannah", 11.8),
    SearchSpec("chatbot", "alex", 13.4),
    SearchSpec("voicemail", "lucas", 26.7),
    SearchSpec("refund", "grace", 1.4),
    SearchSpec("vat number", "grace", 8.2),
    SearchSpec("sso certificate", "tom", 3.6),
    SearchSpec("csv import", "priya", 5.9),
    SearchSpec("unlock account", "alex", 12.2),
    SearchSpec("webhook 401", "sofia", 15.3),
    SearchSpec("seats invoice", "lucas", 19.5),
    SearchSpec("two-factor", "tom", 24.8),
)
