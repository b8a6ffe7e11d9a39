"""The synthetic history's vocabulary: the topics a desk hears about (with their category,
subcategory, type, priority and queue leanings) and the words around them; read by
`assist/synthetic.py`."""

from __future__ import annotations

from dataclasses import dataclass

from casedesk.core.priority import Priority


@dataclass(frozen=True)
class Topic:
    category: str
    subcategory: str
    types: tuple[tuple[str, float], ...]
    queue: tuple[tuple[str, float], ...]
    subjects: tuple[str, ...]
    sentences: tuple[str, ...]
    resolutions: tuple[str, ...]
    replies: tuple[str, ...]
    # Priority rungs this topic's cases get before words push them (low, normal, high, urgent).
    priorities: tuple[float, float, float, float] = (0.15, 0.6, 0.2, 0.05)


def _t(
    types: str, queue: str
) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """Parses 'Billing:0.8,Question:0.2' weight lists."""

    def parse(text: str) -> tuple[tuple[str, float], ...]:
        return tuple((name, float(w)) for name, w in (p.split(":") for p in text.split(",")))

    return parse(types), parse(queue)


_FIN = "Finance:0.9,Support:0.1"
_ENG = "Engineering:0.8,Support:0.2"
_SUP = "Support:0.9,Engineering:0.05,Finance:0.05"

TOPICS: tuple[Topic, ...] = (
    Topic(
        "Billing",
        "Invoice",
        *_t("Billing:0.85,Question:0.15", _FIN),
        (
            "Invoice {invoice} is wrong",
            "Question about invoice {invoice}",
            "Wrong VAT on our last invoice",
            "Need a corrected invoice",
            "Invoice address incorrect",
        ),
        (
            "The invoice {invoice} shows the wrong amount for our plan.",
            "Our finance team says the VAT number on invoice {invoice} is missing.",
            "Could you send the invoice again with our new billing address?",
            "The invoice lists {seats} seats but we only have {seats2}.",
            "We need a PDF copy of invoice {invoice} for our accounts payable.",
        ),
        (
            "Issued a corrected invoice {invoice} with the right VAT and address.",
            "Re-sent the invoice PDF to the billing contact; seat count corrected.",
        ),
        (
            "Hi {name}, I have corrected invoice {invoice} and sent the new PDF to your billing "
            "contact. Let me know if anything else looks off.",
            "Thanks {name}, the billing address is updated and future invoices will use it.",
        ),
    ),
    Topic(
        "Billing",
        "Refund",
        *_t("Billing:0.9,Other:0.1", _FIN),
        (
            "Refund request for duplicate charge",
            "Please refund {amount}",
            "Charged twice this month",
            "Refund for cancelled subscription",
            "Money back for unused seats",
        ),
        (
            "We were charged twice, {amount} each, on the same day. Please refund one of them.",
            "I cancelled last week but the card was still charged {amount}.",
            "Please refund the unused seats, we downgraded before the renewal.",
            "Our bank statement shows a double charge for invoice {invoice}.",
        ),
        (
            "Refunded the duplicate charge of {amount}; it shows on the card within 5-10 days.",
            "Processed a prorated refund for the unused seats.",
        ),
        (
            "Hi {name}, I have refunded {amount} to the original card; banks usually show it "
            "within 5 to 10 business days.",
            "Sorry about the double charge, {name}. The refund is on its way.",
        ),
    ),
    Topic(
        "Billing",
        "Payment method",
        *_t("Billing:0.8,Question:0.2", _FIN),
        (
            "Update credit card",
            "Card declined on renewal",
            "Pay by bank transfer?",
            "Change payment method",
            "Payment failed",
        ),
        (
            "Our card was declined at renewal and we got a warning email.",
            "How do I change the credit card on file? The old one expired.",
            "Can we pay by bank transfer or SEPA instead of card?",
            "The payment page throws an error when I enter the new card.",
        ),
        (
            "Customer updated the card via the billing portal; renewal charged successfully.",
            "Switched the account to invoice payment by bank transfer.",
        ),
        (
            "Hi {name}, you can update the card under Settings > Billing > Payment method. "
            "The renewal will retry automatically.",
            "Hi {name}, bank transfer is possible on annual plans; I have switched your account.",
        ),
    ),
    Topic(
        "Billing",
        "Pricing",
        *_t("Question:0.6,Billing:0.4", _FIN),
        (
            "Pricing for {seats} seats",
            "Discount for nonprofits?",
            "Question about plan pricing",
            "Quote for annual plan",
            "Price increase question",
        ),
        (
            "What would the price be for {seats} seats on the annual plan?",
            "Do you offer a discount for nonprofits or education?",
            "We got a notice about a price increase, can you explain it?",
            "Please send a quote for upgrading to the Enterprise plan.",
        ),
        (
            "Sent the quote for the annual plan with the volume discount.",
            "Explained the new pricing and applied the loyalty discount.",
        ),
        (
            "Hi {name}, attached is a quote for {seats} seats on the annual plan.",
            "Hi {name}, yes, we offer 30% off for registered nonprofits. I have applied it.",
        ),
    ),
    Topic(
        "Technical",
        "Login",
        *_t("Bug:0.6,Question:0.4", _ENG),
        (
            "Cannot log in",
            "Login loop after password reset",
            "SSO login fails",
            "Two-factor code not accepted",
            "Locked out of my account",
        ),
        (
            "When I try to log in I get sent back to the login page again and again.",
            "Single sign-on with {idp} fails with error {code}.",
            "The two-factor code from the authenticator app is always rejected.",
            "After the password reset the new password does not work.",
            "Several users cannot sign in since this morning, the login page just spins.",
        ),
        (
            "Cleared the stale session cookie; SSO certificate from {idp} was rotated and updated.",
            "Reset 2FA for the user after identity check; login works again.",
        ),
        (
            "Hi {name}, please clear your browser cookies for our domain and try again; the "
            "login loop came from an old session.",
            "Hi {name}, your identity provider {idp} rotated its certificate. We updated it "
            "and sign-in works again.",
        ),
    ),
    Topic(
        "Technical",
        "Performance",
        *_t("Bug:0.85,Question:0.15", _ENG),
        (
            "Dashboard very slow",
            "Pages take forever to load",
            "Timeouts on reports",
            "App is slow since the update",
            "Search takes 30 seconds",
        ),
        (
            "The dashboard takes more than {secs} seconds to load.",
            "Reports time out with error {code} when we pick the last year.",
            "Everything is very slow since yesterday's update.",
            "Search results take forever and sometimes never show up.",
        ),
        (
            "Added the missing index for the report query; load time back under a second.",
            "Slowness caused by a runaway export job; job stopped and limits added.",
        ),
        (
            "Hi {name}, we found a slow query behind the dashboard and fixed it. Pages should "
            "load quickly again.",
            "Hi {name}, a background export was slowing your account down. It is fixed.",
        ),
    ),
    Topic(
        "Technical",
        "Integration",
        *_t("Bug:0.5,Question:0.5", _ENG),
        (
            "{app} sync not working",
            "Webhook to {app} failing",
            "API returns {code}",
            "Integration with {app} stopped",
            "Zapier zap broken",
        ),
        (
            "Our {app} integration stopped syncing contacts yesterday.",
            "The webhook to {app} fails with HTTP {code} every time.",
            "The REST API returns error {code} when we create records.",
            "Since the update the {app} connector shows disconnected.",
        ),
        (
            "The {app} token had expired; reconnected the integration and replayed the queue.",
            "Webhook signature changed; customer updated the secret in {app}.",
        ),
        (
            "Hi {name}, the {app} connection token expired. Please reconnect it under "
            "Settings > Integrations and the sync resumes.",
            "Hi {name}, error {code} means the API key lacks the write scope. A new key with "
            "write access fixes it.",
        ),
    ),
    Topic(
        "Technical",
        "Data import",
        *_t("Bug:0.5,Question:0.4,Onboarding:0.1", _ENG),
        (
            "CSV import fails",
            "Import stuck at 0%",
            "Duplicate records after import",
            "Cannot import spreadsheet",
            "Import error on row {row}",
        ),
        (
            "The CSV import stops at row {row} with error {code}.",
            "We imported our contacts and now every record exists twice.",
            "The import has been stuck at 0% for hours.",
            "Excel file upload says the columns do not match.",
        ),
        (
            "The CSV had a semicolon delimiter; re-ran the import with the right setting.",
            "Removed the duplicate records and enabled matching on email for imports.",
        ),
        (
            "Hi {name}, the file uses semicolons as separators. Choose that delimiter in the "
            "import dialog and it goes through.",
            "Hi {name}, we removed the duplicates. Turn on 'match by email' for future imports.",
        ),
    ),
    Topic(
        "Technical",
        "Error message",
        *_t("Bug:0.9,Question:0.1", _ENG),
        (
            "Error {code} when saving",
            "Something went wrong page",
            "500 error on {page}",
            "Red error banner",
            "Crash when opening {page}",
        ),
        (
            "Every time I save the form I get error {code}.",
            "Opening the {page} page shows 'Something went wrong'.",
            "We see a 500 error on the {page} page since this morning.",
            "The app crashes when I click export on {page}.",
        ),
        (
            "Fixed a bug in the {page} form validation; error {code} no longer occurs.",
            "Deployed a hotfix for the crash on {page}.",
        ),
        (
            "Hi {name}, thanks for the screenshot. Error {code} was a bug on our side and a fix "
            "is deployed.",
            "Hi {name}, the {page} page works again after this morning's fix.",
        ),
    ),
    Topic(
        "Account",
        "Access",
        *_t("Question:0.7,Other:0.3", _SUP),
        (
            "Need access for new colleague",
            "Permission denied on {page}",
            "Cannot see the {page} section",
            "Admin rights needed",
            "Access removed by mistake",
        ),
        (
            "My colleague cannot see the {page} section even though she is in our team.",
            "I get 'permission denied' when opening {page}.",
            "Please give me admin rights, our previous admin left.",
            "My access was removed by mistake, please restore it.",
        ),
        (
            "Granted the role with access to {page}; confirmed with the account owner.",
            "Restored access after verification with the account admin.",
        ),
        (
            "Hi {name}, I have given your colleague access to {page}.",
            "Hi {name}, we need the account owner's approval for admin rights; I have asked "
            "them and will update you.",
        ),
    ),
    Topic(
        "Account",
        "Users and roles",
        *_t("Question:0.8,Feature Request:0.2", _SUP),
        (
            "Add {seats} users",
            "Change user role",
            "Remove a user who left",
            "How do roles work?",
            "Transfer ownership of account",
        ),
        (
            "How do I add {seats} new users to our account?",
            "Please remove the user who left the company and transfer their records.",
            "What is the difference between the agent and manager roles?",
            "We want to transfer ownership of the account to a new admin.",
        ),
        (
            "Explained roles; added the users and transferred ownership as requested.",
            "Deactivated the departed user and reassigned records to the manager.",
        ),
        (
            "Hi {name}, go to Settings > People and use 'Invite' to add users; each picks a role.",
            "Hi {name}, the user is deactivated and their records now belong to their manager.",
        ),
    ),
    Topic(
        "Account",
        "Cancellation",
        *_t("Other:0.6,Billing:0.4", _SUP),
        (
            "Cancel our subscription",
            "Close my account",
            "Please delete our data",
            "Do not renew",
            "Cancellation request",
        ),
        (
            "We would like to cancel our subscription at the end of the term.",
            "Please close our account and delete all data.",
            "Do not renew our plan, we are moving to another tool.",
            "How do I cancel? I cannot find the button.",
        ),
        (
            "Scheduled cancellation at term end; sent the data export link.",
            "Account closed and data deletion confirmed in writing.",
        ),
        (
            "Hi {name}, sorry to see you go. Your plan ends at the end of the term and will not "
            "renew.",
            "Hi {name}, the account is closed and the data will be deleted within 30 days.",
        ),
    ),
    Topic(
        "Onboarding",
        "Setup",
        *_t("Onboarding:0.8,Question:0.2", _SUP),
        (
            "Help setting up our workspace",
            "How to configure {app}",
            "Getting started questions",
            "Set up email forwarding",
            "New account setup",
        ),
        (
            "We just signed up and need help configuring the workspace.",
            "How do we connect our support mailbox and set up forwarding?",
            "What is the best way to set up queues for our team?",
            "Can someone walk us through the initial configuration of {app}?",
        ),
        (
            "Walked the customer through mailbox forwarding, queues and the {app} connector.",
            "Shared the setup checklist; workspace configured on a call.",
        ),
        (
            "Hi {name}, welcome! Here is our setup checklist; start with the mailbox forwarding.",
            "Hi {name}, I have booked a 30-minute onboarding call to set everything up together.",
        ),
    ),
    Topic(
        "Onboarding",
        "Training",
        *_t("Onboarding:0.7,Question:0.3", _SUP),
        (
            "Training for new team",
            "Webinar schedule?",
            "Training materials",
            "Onboarding session for {seats} agents",
            "Video tutorials",
        ),
        (
            "Do you offer training for our {seats} new agents?",
            "When is the next onboarding webinar?",
            "Is there a training video about the reports?",
            "We would like a live training session for the whole team.",
        ),
        (
            "Booked a live training session and shared the recorded webinars.",
            "Sent the training materials and the webinar calendar.",
        ),
        (
            "Hi {name}, our next webinar is on Thursday; here is the registration link.",
            "Hi {name}, I have scheduled a training session for your {seats} agents.",
        ),
    ),
    Topic(
        "General",
        "How-to",
        *_t("Question:0.9,Other:0.1", _SUP),
        (
            "How do I export reports?",
            "How to change the language",
            "Where is the {page} setting?",
            "How can I merge two records?",
            "Question about {page}",
        ),
        (
            "How do I export the monthly report to Excel?",
            "Where can I change the language of the interface?",
            "I cannot find where to set up {page}.",
            "How can I merge two duplicate records?",
        ),
        (
            "Pointed the customer to the help article on {page}; question answered.",
            "Explained how to export and merge; shared the how-to article.",
        ),
        (
            "Hi {name}, you can find this under Settings > {page}. Here is the help article.",
            "Hi {name}, open the report, click Export and choose Excel.",
        ),
    ),
    Topic(
        "General",
        "Feedback",
        *_t("Feature Request:0.8,Other:0.2", _SUP),
        (
            "Feature request: dark mode",
            "Suggestion for {page}",
            "Would love a mobile app",
            "Idea: bulk edit",
            "Feedback on the new design",
        ),
        (
            "It would be great to have a dark mode.",
            "Please add bulk edit to the {page} list, it would save us hours.",
            "We love the product but miss a mobile app.",
            "The new design makes {page} harder to find, please reconsider.",
        ),
        (
            "Logged the feature request with product; thanked the customer.",
            "Feedback passed to the design team and added to the roadmap vote.",
        ),
        (
            "Hi {name}, thanks for the idea! I have passed it to our product team.",
            "Hi {name}, great suggestion; it is on our roadmap and I added your vote.",
        ),
    ),
)

# Words that push the priority, with the rung they push to.
PRIORITY_WORDS: dict[Priority, tuple[str, ...]] = {
    Priority.URGENT: (
        "URGENT: production is down for all users.",
        "This is an outage, nobody can work!",
        "Urgent - our whole team is blocked, please call us asap.",
        "Everything is down since 8am, critical.",
    ),
    Priority.HIGH: (
        "This is blocking our team today.",
        "Please look at this as soon as possible.",
        "Important: customers are affected.",
        "We need this fixed before our launch.",
    ),
    Priority.LOW: (
        "No rush, whenever you have a moment.",
        "Low priority, just curious.",
        "Not urgent at all.",
        "When you get a chance.",
    ),
    Priority.NORMAL: ("", "Thanks in advance.", "Could you take a look?"),
}
GREETINGS = ("Hi,", "Hello team,", "Hello,", "Hi support,", "Dear support team,", "", "Hey there,")
NOISE_SENTENCES = (
    "We use the Chrome browser on Windows.",
    "I attached a screenshot.",
    "This started after the weekend.",
    "My manager asked me to contact you.",
    "We are on the Pro plan.",
    "I already tried logging out and in.",
    "Best regards from the team.",
    "Sorry for the long email.",
    "",
)
SIGNOFFS = ("Thanks, {name}", "Best, {name}", "Regards,\n{name}", "{name}", "Cheers")
FILLERS = {
    "app": ("Salesforce", "HubSpot", "Slack", "Jira", "Shopify", "Zapier", "Mailchimp", "SAP"),
    "idp": ("Okta", "Azure AD", "Google Workspace", "OneLogin", "Auth0"),
    "page": ("Reports", "Contacts", "Dashboard", "Settings", "Invoices", "Automations", "Tasks"),
    "name": ("Anna", "Ben", "Carla", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas"),
}
SOURCES = (
    ("email", 0.45),
    ("web", 0.2),
    ("portal", 0.1),
    ("phone", 0.1),
    ("chat", 0.1),
    ("api", 0.05),
)
TIERS = (
    ("Enterprise", "Finance"),
    ("Enterprise", "Retail"),
    ("Mid-market", "Tech"),
    ("Mid-market", "Healthcare"),
    ("SMB", "Tech"),
    ("SMB", "Retail"),
    ("SMB", "Education"),
)
REWORD = {
    "cannot": "can't",
    "please": "pls",
    "error": "err",
    "invoice": "bill",
    "the": "our",
    "we": "our team",
    "is": "seems",
    "does not": "doesn't",
    "very": "really",
    "since": "starting",
    "again": "once more",
}

