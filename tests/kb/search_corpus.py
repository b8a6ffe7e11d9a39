"""A small help desk's knowledge base for the search tests: articles about a SaaS help desk,
each written through the ORM and indexed, as the services do it."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from casedesk.kb.index import index_article
from casedesk.kb.models import Article, ArticleStatus, Visibility
from casedesk.tenancy.models import Tenant

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Doc:
    slug: str
    title: str
    summary: str
    body: str
    tags: list[str] = field(default_factory=list)
    visibility: str = Visibility.PUBLIC
    status: str = ArticleStatus.PUBLISHED
    language: str = "en"


CORPUS = [
    Doc("password-reset", "Password reset",
        "How to reset a forgotten password from the sign-in page.",
        "Click **Forgot password?** on the sign-in page and enter your email address. We "
        "send a link that lets you choose a new password; it expires after one hour.",
        ["account", "login"]),
    Doc("change-password", "Changing your password",
        "Choose a new password while you are signed in.",
        "Open *Profile › Security*, type your current password, then the new one twice. "
        "Other sessions are signed out.",
        ["account", "security"]),
    Doc("two-factor", "Two-factor authentication",
        "Protect your account with an authenticator app.",
        "Scan the QR code with an authenticator app and type the six-digit code. Lost your "
        "phone? Use a recovery code, or ask an admin to reset two-factor for you.",
        ["security", "login"]),
    Doc("sso-saml", "Single sign-on with SAML",
        "Connect Okta, Azure AD or Google Workspace.",
        "Paste your identity provider's metadata URL under *Settings › Single sign-on*. "
        "Once SSO is on, people sign in through the identity provider, and a password "
        "reset happens there, not in the help desk.",
        ["sso", "security", "login"]),
    Doc("sso-errors", "Troubleshooting SSO login errors",
        "What the SAML error messages mean and how to fix them.",
        "Most errors come from a clock skew or a certificate that expired. Compare the "
        "entity ID with the one your identity provider sends.",
        ["sso", "login"]),
    Doc("invoice-download", "Downloading invoices",
        "Find and download the PDF invoice of every payment.",
        "Go to *Billing › Invoices* and click the PDF icon next to an invoice. Invoices are "
        "also emailed to the billing contact.",
        ["billing", "invoice"]),
    Doc("invoice-address", "Changing the billing address on an invoice",
        "Correct the company name, address or VAT number.",
        "Edit the billing details under *Billing › Details*; new invoices use them. Ask us "
        "to reissue an invoice that was already sent.",
        ["billing", "invoice"]),
    Doc("refund-policy", "Refund policy",
        "When we refund a payment and how long it takes.",
        "Annual plans are refunded in full within 30 days. The money goes back to the "
        "original card within 5 to 10 business days, and a credit note cancels the invoice.",
        ["billing", "refund"]),
    Doc("request-refund", "Requesting a refund",
        "Ask for your money back for a charge you did not expect.",
        "Write to billing from the account owner's address with the invoice number. We "
        "answer refund requests within two business days.",
        ["billing", "refund"]),
    Doc("cancel-subscription", "Cancelling your subscription",
        "Stop the renewal of your plan.",
        "Under *Billing › Plan* choose *Cancel subscription*. You keep access until the end "
        "of the period you paid for; nothing is refunded for the rest of a month.",
        ["billing"]),
    Doc("payment-method", "Updating your payment method",
        "Change the credit card we charge.",
        "Add the new card under *Billing › Payment method* and make it the default. A "
        "failed payment is retried three times.",
        ["billing", "payment"]),
    Doc("export-csv", "Exporting cases to CSV",
        "Download a list of cases as a spreadsheet.",
        "Filter the case list, then choose *Export › CSV*. The export holds the columns "
        "shown, up to 100,000 rows.",
        ["export", "reports"]),
    Doc("export-all", "Exporting all your data",
        "A full archive of your account for backups or a move.",
        "Admins can request a full data export under *Settings › Data*. We email a link to "
        "a ZIP archive with every case, contact and attachment.",
        ["export", "gdpr"]),
    Doc("api-tokens", "Creating API tokens",
        "Personal tokens for scripts and integrations.",
        "Open *Settings › API tokens*, name the token and copy it: it is shown once. Send "
        "it as a bearer token. Revoke a token you no longer use.",
        ["api", "developer"]),
    Doc("api-rate-limits", "API rate limits",
        "How many requests a token may send.",
        "Each token may send 600 requests a minute. Past the limit the API answers 429 "
        "with a Retry-After header.",
        ["api", "developer"]),
    Doc("webhooks", "Setting up webhooks",
        "Receive an HTTP request when a case changes.",
        "Add the endpoint URL under *Settings › Webhooks*. Each delivery is signed with the "
        "secret; failed deliveries are retried for a day.",
        ["api", "developer", "integrations"]),
    Doc("email-forwarding", "Forwarding support email to your help desk",
        "Turn the messages of your support address into cases.",
        "Forward support@yourcompany to the address shown under *Mail › Mailboxes*. Replies "
        "go out from your own address once the domain is verified.",
        ["email", "setup"]),
    Doc("sla-policies", "Configuring SLA policies",
        "First response and resolution targets per priority.",
        "Create a policy under *SLA › Policies*, set the targets and the conditions. Cases "
        "show a clock that turns red when the target is missed.",
        ["sla", "setup"]),
    Doc("business-hours", "Business hours and holidays",
        "When the SLA clocks run.",
        "A calendar holds your opening hours and public holidays; SLA clocks pause outside "
        "them.",
        ["sla", "setup"]),
    Doc("invite-agents", "Inviting agents to your team",
        "Add people to your help desk.",
        "Admins invite people under *Settings › People*. The invitation link is valid for "
        "seven days; resend it if it expired.",
        ["team", "setup"]),
    Doc("roles", "Roles and permissions",
        "What admins, managers and agents may do.",
        "Admins change settings and billing, managers run queues and reports, agents work "
        "cases.",
        ["team", "security"]),
    Doc("macros", "Saving replies as macros",
        "Answer common questions with one click.",
        "Write a reply, then choose *Save as macro*. Macros can also set the status and "
        "the priority of the case.",
        ["productivity"]),
    Doc("delete-account", "Deleting your account",
        "Close your help desk for good.",
        "The account owner can delete the account under *Settings › Account*. We keep "
        "invoices for ten years, as the law asks; everything else is erased within 30 days.",
        ["account", "gdpr"]),
    Doc("mobile-app", "Using the mobile app",
        "Work cases from your phone.",
        "Install the app from the App Store or Google Play and sign in with your help desk "
        "address. Push notifications tell you about new cases.",
        ["mobile"]),
    Doc("custom-fields", "Adding custom fields to cases",
        "Record the details your team needs.",
        "Admins add fields under *Settings › Fields*: text, numbers, dates or a pick list.",
        ["setup"]),
    Doc("refund-approvals", "Refund approvals over 500 EUR",
        "Who signs off on large refunds.",
        "A refund over 500 EUR needs a manager's approval in the billing tool before the "
        "agent confirms it to the customer.",
        ["billing", "refund"], visibility=Visibility.INTERNAL),
    Doc("new-invoice-layout", "The new invoice layout",
        "What changes on invoices next year.",
        "Invoices get a QR code for bank transfers and show the VAT per line.",
        ["billing", "invoice"], status=ArticleStatus.DRAFT),
    Doc("old-password-rules", "Password rules (2024)",
        "The password rules before passphrases.",
        "Passwords needed eight characters, a digit and a symbol, and expired every 90 "
        "days.",
        ["account"], status=ArticleStatus.ARCHIVED),
]


def add_article(tenant: Tenant, doc: Doc) -> Article:
    article = Article.objects.create(
        tenant=tenant, title=doc.title, slug=doc.slug, summary=doc.summary, body=doc.body,
        body_html=doc.body, tags=doc.tags, language=doc.language, visibility=doc.visibility,
        status=doc.status, created_at=WHEN, updated_at=WHEN)
    index_article(article)
    return article


def load_corpus(tenant: Tenant) -> dict[str, Article]:
    """The corpus written for `tenant`, by slug."""
    return {doc.slug: add_article(tenant, doc) for doc in CORPUS}
