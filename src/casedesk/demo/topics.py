"""What the demo's customers write in about: families of issues, each with its classification,
its queue, the public answer that solves each issue and the notes agents write. Pure data,
read by `casedesk.demo.plan`; texts are `str.format` templates like those of
`casedesk.demo.content`."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One thing a customer writes in about, and the public answer that solves it."""

    subject: str
    description: str
    solution: str


@dataclass(frozen=True)
class Topic:
    """A family of issues with one classification, one queue and the notes agents write."""

    key: str
    weight: int
    type: str
    category: str
    subcategory: str
    queue: str
    issues: tuple[Issue, ...]
    resolve_notes: tuple[str, ...]
    notes: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    priorities: tuple[int, int, int, int] = (2, 6, 2, 0)  # weights of low/normal/high/urgent
    refer_to: str = ""  # queue that part of the work is referred to, if any
    refer_rate: float = 0.0
    refer_texts: tuple[str, ...] = ()
    refer_closes: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "invoice", 6, "Billing", "Billing", "Invoice", "Finance",
        (
            Issue("Invoice {invoice} shows the wrong number of seats",
                  "Hi,\n\nOur invoice {invoice} for {month} charges us for {seats} more seats "
                  "than we have active. We removed those users at the start of the month. "
                  "Could you check and send a corrected invoice?\n\nThanks,\n{first}",
                  "I've issued a corrected invoice for the seats you actually had and credited "
                  "{invoice} in full. Both documents are under Billing › Invoices."),
            Issue("Please add our VAT number to invoice {invoice}",
                  "Hello,\n\nOur accounts payable team cannot book {invoice} without our VAT "
                  "number on it. Can you re-issue it?\n\nBest regards,\n{first}\n{company}",
                  "The VAT number is now on your billing profile and I've re-issued {invoice} "
                  "with it. Future invoices will carry it automatically."),
            Issue("{month} invoice went to a former employee",
                  "Hi team,\n\nThe {month} invoice was e-mailed to someone who left {company} "
                  "months ago. Please send it to me and make me the billing contact.\n\n{first}",
                  "You're now the billing contact for {company}, and I've re-sent the "
                  "{month} invoice to you."),
        ),
        ("Corrected invoice issued and sent.", "Billing profile updated; invoice re-sent."),
        notes=("Seat count on the invoice matches the licence snapshot on the 1st; the users "
               "were removed after the snapshot.",
               "Checked the billing history: no other invoices affected."),
        asks=("Could you confirm the purchase order number that should appear on the "
              "corrected invoice?",),
        priorities=(3, 6, 1, 0), tags=("billing", "invoice"),
    ),
    Topic(
        "refund", 4, "Billing", "Billing", "Refund", "Finance",
        (
            Issue("Charged twice for our {month} subscription",
                  "Hello,\n\nOur company card was charged twice for the {month} subscription "
                  "({amount} each, same day). Please refund the duplicate.\n\n{first}",
                  "The duplicate charge of {amount} has been refunded. Depending on your bank "
                  "it takes 5–10 business days to show on the statement."),
            Issue("Refund after downgrading to Starter",
                  "Hi,\n\nWe moved from Business to Starter in the middle of the billing "
                  "period but were charged the full Business price. Are we owed a pro-rated "
                  "refund?\n\nRegards,\n{first}, {company}",
                  "You were right: the downgrade should have been pro-rated. I've refunded "
                  "the difference for the rest of the period."),
            Issue("Card charged after we cancelled",
                  "Hi,\n\nWe cancelled our subscription last month, yet our card was charged "
                  "{amount} again this week. Please refund it.\n\n{first}",
                  "The cancellation was recorded for the end of the term, but the renewal "
                  "still ran. I've refunded {amount} and confirmed the cancellation."),
        ),
        ("Refund issued through the payment provider.", "Pro-rated refund issued."),
        notes=("Payment provider shows two captures; the retry after a gateway timeout was "
               "not deduplicated.", "Refund approved by Daniel."),
        asks=("Could you send the last four digits of the card and the dates of both charges, "
              "so we can match them in the payment provider's log?",),
        priorities=(1, 5, 3, 1), refer_to="Engineering", refer_rate=0.15,
        refer_texts=("Customer was charged twice after a checkout timeout; please check why the "
                     "renewal retry was not deduplicated.",),
        refer_closes=("Renewal retries were missing their idempotency key. Fix deployed; no "
                      "other customers were double-charged this month.",),
        tags=("billing", "refund"),
    ),
    Topic(
        "payment", 4, "Billing", "Billing", "Payment method", "Finance",
        (
            Issue("Card declined on renewal",
                  "Hi,\n\nOur renewal failed because the card on file expired. I tried to add "
                  "the new card on the billing page but it says \"Payment method could not be "
                  "verified\". Our subscription ends on Friday, please help.\n\n{first}",
                  "The new card is on file and the renewal went through; {company} is active "
                  "for another year."),
            Issue("Can we pay by bank transfer instead of card?",
                  "Hello,\n\nFrom next year our procurement team wants to pay by bank transfer "
                  "against a purchase order. Is that possible on the {tier} plan?\n\nThanks,\n"
                  "{first}",
                  "Your account is now on invoice billing: the next invoice shows our bank "
                  "details and your purchase order number."),
        ),
        ("Payment method updated; renewal charged.", "Switched the account to invoice billing."),
        notes=("The card was declined by the issuer for 3-D Secure; customer needs to approve "
               "in their banking app.",),
        asks=("Could you try once more and tell us the exact time, so we can find the attempt "
              "in the payment provider's log?",),
        priorities=(1, 5, 3, 1), tags=("billing", "payments"),
    ),
    Topic(
        "pricing", 4, "Question", "Billing", "Pricing", "Support",
        (
            Issue("Pricing for {seats} additional agent seats",
                  "Hi,\n\nWe're growing the support team and need {seats} more agent seats "
                  "from next month. What would that cost on our current plan, and is there a "
                  "volume discount?\n\n{first}\n{company}",
                  "I've sent you a quote for the {seats} seats, pro-rated to your renewal "
                  "date so both terms end together."),
            Issue("Do you offer a discount for nonprofits?",
                  "Hello,\n\nWe're a registered charity. Is there a nonprofit discount on "
                  "annual plans?\n\nKind regards,\n{first}",
                  "Yes: registered nonprofits get 30% off annual plans. I've applied it to "
                  "your next renewal."),
            Issue("Upgrading from Business to Enterprise: what changes?",
                  "Hi,\n\nWe're looking at Enterprise mainly for SSO and the audit log. What "
                  "is the price difference, and can we upgrade mid-term?\n\nBest,\n{first}",
                  "You can upgrade at any time; you only pay the difference for the rest of "
                  "the term. The quote with the Enterprise features is in your inbox."),
        ),
        ("Quote sent to the customer.", "Pricing question answered."),
        priorities=(3, 6, 1, 0), refer_to="Finance", refer_rate=0.5,
        refer_texts=("Customer asks for a quote for {seats} extra seats mid-term; please "
                     "prepare pricing.",
                     "Please confirm the discount we can offer {company} before I reply."),
        refer_closes=("Quote prepared and attached; pro-rated to the renewal date.",
                      "Approved 30% off the annual plan."),
        tags=("pricing", "sales"),
    ),
    Topic(
        "sso", 4, "Bug", "Technical", "Login", "Support",
        (
            Issue("Users cannot sign in with SSO since this morning",
                  "Hi,\n\nSince about 8:00 none of our agents can sign in with SSO. Our "
                  "identity provider authenticates them, then casedesk shows \"Invalid SAML "
                  "response\". Password login for the admin still works. This blocks the whole "
                  "team.\n\n{first}, {company}",
                  "SSO works again: the new signing certificate of your identity provider is "
                  "configured now. Sorry for the disruption this morning."),
            Issue("SAML login fails with \"Invalid audience\"",
                  "Hello,\n\nWe're setting up SAML with Okta and every attempt ends with "
                  "\"Invalid audience\". Which entity ID should we use?\n\nThanks,\n{first}",
                  "The audience must be your workspace's entity ID (shown on the SSO settings "
                  "page), not the login URL. With that change the test login succeeded."),
            Issue("SSO users are sent back to the login page",
                  "Hi,\n\nAfter signing in through SSO some of our users land on the login page "
                  "again, in a loop. It happens in {browser} only.\n\n{first}",
                  "The loop came from a blocked third-party cookie in {browser}. We've changed "
                  "the session cookie so it no longer depends on it; please try again."),
        ),
        ("SSO configuration fixed; logins confirmed.", "Root cause found and fixed."),
        notes=("Their IdP rotated its signing certificate; the old fingerprint is still "
               "configured.", "Reproduced with a test account on their workspace."),
        asks=("Could you send us a SAML trace (a HAR file of one login attempt) and tell us "
              "whether you rotated the signing certificate recently?",),
        priorities=(0, 2, 5, 3), refer_to="Engineering", refer_rate=0.6,
        refer_texts=("SSO logins rejected for the whole workspace of {company}; SAML trace "
                     "attached. Please check the assertion validation.",),
        refer_closes=("Clock-skew tolerance was too strict after the IdP change. Fixed and "
                      "deployed; their logins work again.",),
        tags=("sso", "login"),
    ),
    Topic(
        "password", 7, "Question", "Technical", "Login", "Support",
        (
            Issue("Password reset e-mail never arrives",
                  "Hi,\n\nI've requested a password reset three times today and no e-mail "
                  "arrived, not even in spam. Can you help?\n\n{first}",
                  "Your mail gateway was holding our messages. Once our sending domain was "
                  "allowlisted they came through; I've sent you a fresh reset link."),
            Issue("Locked out after enabling two-factor authentication",
                  "Hello,\n\nI switched on two-factor authentication, then my phone was "
                  "replaced and now I can't get in. How do I recover my account?\n\n{first}",
                  "I've reset two-factor authentication on your account after verifying your "
                  "identity. You'll be asked to set it up again at your next login."),
            Issue("Agent account locked after too many attempts",
                  "Hi,\n\nOne of our agents typed the wrong password too often and the account "
                  "is locked. Can you unlock it?\n\nThanks,\n{first}, {company}",
                  "The account is unlocked. Admins can do this themselves under Settings › "
                  "Users › Unlock, in case it happens again."),
        ),
        ("Access restored.", "Account unlocked and customer informed."),
        notes=("Mail log shows the reset messages were accepted by their gateway and then "
               "quarantined.", "Identity verified by a call to the account's admin."),
        asks=("Could you check whether messages from our domain are quarantined by your mail "
              "gateway?",),
        priorities=(2, 6, 2, 0), tags=("login", "password"),
    ),
    Topic(
        "performance", 5, "Bug", "Technical", "Performance", "Support",
        (
            Issue("Dashboard takes more than 30 seconds to load",
                  "Hi,\n\nSince Monday the team dashboard takes over 30 seconds to load, "
                  "sometimes it times out. It used to be instant.\n\n{first}, {company}",
                  "We found a slow query behind the dashboard widgets on large workspaces and "
                  "fixed it; the dashboard loads in about a second again."),
            Issue("Reports time out for date ranges over 90 days",
                  "Hello,\n\nAny report covering more than 90 days fails with a timeout. We "
                  "need the quarterly numbers for a board meeting next week.\n\n{first}",
                  "Long-range reports now run in the background and arrive by e-mail when "
                  "ready; your quarterly report is waiting in your inbox."),
            Issue("Case list is very slow since the last release",
                  "Hi,\n\nThe case list takes 10–15 seconds to show when we filter by queue. "
                  "Other pages are fine. We're on {browser}.\n\n{first}",
                  "A missing index made the queue filter slow for workspaces of your size. "
                  "It's in place now and the list loads quickly again."),
        ),
        ("Performance fix deployed; customer confirmed.", "Slow query fixed."),
        notes=("Reproduced: 28 s on their workspace, 0.4 s on a small one. Looks like a "
               "missing index.", "Asked the customer for a HAR file of the slow page."),
        asks=("Could you send a HAR file of the slow page and tell us roughly when it "
              "started?",),
        priorities=(0, 4, 5, 1), refer_to="Engineering", refer_rate=0.7,
        refer_texts=("Slow page on {company}'s workspace; timings and HAR file in the case. "
                     "Please profile the query.",),
        refer_closes=("Added the missing index and cached the widget counts; p95 down from "
                      "28 s to 0.6 s.",),
        tags=("performance",),
    ),
    Topic(
        "integration_sync", 6, "Bug", "Technical", "Integration", "Support",
        (
            Issue("{integration} sync stopped working",
                  "Hi,\n\nNew cases haven't synced to {integration} since yesterday afternoon. "
                  "The integration page says \"connected\" but nothing arrives.\n\n{first}",
                  "The {integration} connection had lost its refresh token. We've fixed the "
                  "renewal and re-synced the missing cases."),
            Issue("Webhook deliveries failing with HTTP 401",
                  "Hello,\n\nOur webhook endpoint receives nothing since we rotated our API "
                  "keys; the delivery log shows HTTP 401. What do we need to update?\n\n"
                  "{first}, {company}",
                  "The webhook still signed requests with the old secret. After updating it "
                  "under Settings › Webhooks the deliveries succeed; the failed ones were "
                  "retried."),
            Issue("Duplicate contacts created by the {integration} integration",
                  "Hi,\n\nEvery time a customer writes in, the {integration} integration creates "
                  "a new contact instead of matching the existing one. We now have hundreds of "
                  "duplicates.\n\n{first}",
                  "The integration matched contacts case-sensitively. That is fixed, and we've "
                  "merged the duplicates it created."),
        ),
        ("Integration fixed and backlog re-synced.", "Root cause fixed; customer confirmed."),
        notes=("Integration log shows token refresh failures since 14:05 yesterday.",
               "Same behaviour on our internal test workspace."),
        asks=("Could you reconnect the integration once and tell us whether new cases "
              "arrive afterwards?",),
        priorities=(0, 4, 5, 1), refer_to="Engineering", refer_rate=0.6,
        refer_texts=("{integration} integration failing for {company}; logs attached. Please "
                     "investigate.",),
        refer_closes=("Bug in the token refresh; fixed and deployed, backlog re-synced.",
                      "Contact matching is now case-insensitive; duplicates merged by script."),
        tags=("integration",),
    ),
    Topic(
        "integration_howto", 6, "Question", "Technical", "Integration", "Support",
        (
            Issue("How do I connect {integration}?",
                  "Hi,\n\nWe'd like new cases to show up in {integration}. Is there a guide "
                  "for setting up the integration?\n\nThanks,\n{first}",
                  "Go to Settings › Integrations › {integration} and click Connect; the "
                  "step-by-step guide is linked on that page. I've checked and your account "
                  "is now connected."),
            Issue("Which API scopes does the {integration} app need?",
                  "Hello,\n\nOur security team asks which scopes the {integration} app "
                  "requests and why, before they approve it.\n\n{first}, {company}",
                  "The app needs read access to cases and contacts and write access to notes. "
                  "I've sent your security team the data-processing summary."),
            Issue("Can we post case updates to a Slack channel?",
                  "Hi,\n\nOur team lives in Slack. Can new urgent cases be posted to a "
                  "channel automatically?\n\n{first}",
                  "Yes: an automation with the Slack action does that. I've set one up for "
                  "urgent cases in #support-urgent as an example."),
        ),
        ("Question answered; integration set up.", "Customer confirmed it works."),
        priorities=(2, 7, 1, 0), tags=("integration", "how-to"),
    ),
    Topic(
        "import", 5, "Bug", "Technical", "Data import", "Support",
        (
            Issue("CSV import rejects rows with accented characters",
                  "Hi,\n\nImporting our contact list fails on every row with an accent "
                  "(é, ü, ñ): \"invalid character in line 12\".\n\n{first}",
                  "The importer expected UTF-8 without a byte-order mark. It accepts both now; "
                  "please run the import again."),
            Issue("Import of {count} contacts stuck at 80%",
                  "Hello,\n\nOur import of {count} contacts has been at 80% for six hours. "
                  "Should we cancel and start again?\n\n{first}, {company}",
                  "The import job had stalled on a malformed phone number. We've fixed the "
                  "parser and completed your import: all {count} contacts are in."),
            Issue("Custom fields are empty after import",
                  "Hi,\n\nWe imported our open cases from a spreadsheet; subjects and contacts "
                  "came through but every custom field is empty.\n\n{first}",
                  "The column headers must match the custom field keys, not their labels. "
                  "I've re-run the import with the mapping fixed."),
        ),
        ("Import completed.", "Importer fixed and data re-imported."),
        notes=("Got the file from the customer; it is UTF-8 with BOM.",
               "Row 2,118 has a phone number with a tab in it."),
        asks=("Could you attach the file (or the first 20 rows of it) so we can reproduce "
              "the problem?",),
        priorities=(1, 6, 3, 0), refer_to="Engineering", refer_rate=0.4,
        refer_texts=("Import failing for {company}; sample file attached. Please check the "
                     "parser.",),
        refer_closes=("Parser fixed to accept a byte-order mark; deployed.",
                      "Stalled job restarted after the parser fix; import complete."),
        tags=("import",),
    ),
    Topic(
        "error", 6, "Bug", "Technical", "Error message", "Support",
        (
            Issue("Error 500 when exporting cases to CSV",
                  "Hi,\n\nExporting our cases to CSV fails with \"Server error (500)\" every "
                  "time. Smaller exports work.\n\n{first}",
                  "Exports with more than 10,000 rows hit a limit; they now stream and your "
                  "export completes."),
            Issue("\"Something went wrong\" when saving a custom field",
                  "Hello,\n\nWhen I edit the \"Region\" picklist field and click Save I get "
                  "\"Something went wrong\". Nothing is saved.\n\n{first}, {company}",
                  "Saving failed when a picklist choice contained a trailing space. That's "
                  "fixed; your change is saved."),
            Issue("Attachments over 10 MB fail to upload",
                  "Hi,\n\nOur customers send log files of 15–20 MB and the upload stops at "
                  "99% with an error.\n\n{first}",
                  "The upload limit was lower than documented. It's 25 MB now, as promised "
                  "on the pricing page."),
        ),
        ("Bug fixed; customer confirmed.", "Fix deployed."),
        notes=("Reproduced with a 12,000-row export.", "Stack trace found in the error log."),
        asks=("Could you tell us the exact time of one failed attempt, so we can find it in "
              "our logs?",),
        priorities=(0, 5, 4, 1), refer_to="Engineering", refer_rate=0.6,
        refer_texts=("Reproducible server error for {company}; steps and time of failure in "
                     "the case.",),
        refer_closes=("Fixed and deployed; regression test added.",),
        tags=("bug",),
    ),
    Topic(
        "access", 5, "Question", "Account", "Access", "Support",
        (
            Issue("Please remove access for a former employee",
                  "Hi,\n\nOne of our agents left {company} on Friday. Please make sure they "
                  "can no longer sign in, and move their open cases to me.\n\n{first}",
                  "The user is deactivated and their open cases are now in your queue."),
            Issue("Transfer account ownership to our new IT admin",
                  "Hello,\n\nOur IT admin changed. Please make our new colleague the owner of "
                  "the workspace; I'm cc'ing them.\n\nThanks,\n{first}",
                  "Ownership is transferred. Your new admin has received an e-mail with the "
                  "details."),
            Issue("Reactivate a deactivated agent",
                  "Hi,\n\nWe deactivated an agent by mistake. Can they get their account "
                  "back with the old cases?\n\n{first}",
                  "The agent is active again with all their cases and history."),
        ),
        ("Access changed as requested.", "Verified with the workspace owner and done."),
        notes=("Verified the request with the workspace owner by phone.",),
        asks=("For security, could the workspace owner confirm this request from their "
              "own address?",),
        priorities=(2, 6, 2, 0), tags=("access", "security"),
    ),
    Topic(
        "roles", 5, "Question", "Account", "Users and roles", "Support",
        (
            Issue("How do I make a user read-only?",
                  "Hi,\n\nOur finance colleague should see cases but never change them. Is "
                  "there a read-only role?\n\n{first}",
                  "Yes: give them the Viewer role under Settings › Users. Viewers can read "
                  "and search cases but not change them."),
            Issue("Add {seats} new agents to our workspace",
                  "Hello,\n\nWe're onboarding {seats} new agents next week. Can we invite them "
                  "in bulk?\n\nThanks,\n{first}, {company}",
                  "You can paste a list of addresses into Settings › Users › Invite. I've "
                  "checked that your plan has room for all {seats}."),
            Issue("Managers cannot see their team's cases",
                  "Hi,\n\nOur team leads have the manager role but their dashboard is empty. "
                  "What are we missing?\n\n{first}",
                  "Managers see the cases of the agents who report to them. I've set the "
                  "manager on your agents' profiles; the dashboards are filled now."),
        ),
        ("Roles explained and set up.", "Question answered."),
        priorities=(3, 6, 1, 0), tags=("users",),
    ),
    Topic(
        "cancel", 2, "Other", "Account", "Cancellation", "Support",
        (
            Issue("Cancel our subscription at the end of the term",
                  "Hi,\n\nWe've decided not to renew. Please cancel our subscription at the "
                  "end of the current term.\n\nRegards,\n{first}, {company}",
                  "Your subscription will end on the last day of the term; you keep full "
                  "access until then. We're sorry to see you go."),
            Issue("Closing our account: data export first",
                  "Hello,\n\nBefore we close our account we need a full export of our cases "
                  "and attachments. How do we get it?\n\n{first}",
                  "Your full export (cases, notes and attachments) is ready to download from "
                  "the link we e-mailed you; it stays available for 30 days."),
        ),
        ("Cancellation scheduled at the end of the term.", "Export delivered."),
        priorities=(2, 6, 2, 0), refer_to="Finance", refer_rate=0.8,
        refer_texts=("Customer cancels at the end of the term; please stop the renewal and "
                     "check for open invoices.",),
        refer_closes=("Renewal stopped; no open invoices.",),
        tags=("cancellation", "churn-risk"),
    ),
    Topic(
        "setup", 5, "Onboarding", "Onboarding", "Setup", "Support",
        (
            Issue("Help setting up our support e-mail address",
                  "Hi,\n\nWe want mail to support@ our domain to become cases. What do we "
                  "need to change in our mail server?\n\n{first}, {company}",
                  "Forward the address to your workspace's inbound address and add the SPF "
                  "record from the guide. I sent a test message and it became a case."),
            Issue("Importing tickets from our old helpdesk",
                  "Hello,\n\nWe're moving from our old helpdesk and would like to bring about "
                  "{count} closed tickets along. Is there an importer?\n\n{first}",
                  "Yes: the importer takes the CSV export of your old tool. Your {count} "
                  "tickets are in, marked closed, with their original dates."),
            Issue("Setting up business hours for two offices",
                  "Hi,\n\nWe have offices in two time zones. Can SLAs count business hours "
                  "per office?\n\n{first}",
                  "Create one business-hours calendar per office and pick it in each SLA "
                  "policy. I've set up both calendars for you as a start."),
        ),
        ("Setup completed with the customer.", "Configuration done and tested."),
        notes=("Walked through the setup on a call; customer shares their screen.",),
        asks=("Could you send us the DNS records you currently have for your domain?",),
        priorities=(1, 6, 3, 0), tags=("onboarding", "setup"),
    ),
    Topic(
        "training", 3, "Onboarding", "Onboarding", "Training", "Support",
        (
            Issue("Training session for our new team leads",
                  "Hi,\n\nWe've promoted three agents to team leads. Could you run a short "
                  "training on queues, reports and escalations?\n\n{first}, {company}",
                  "I've booked a 60-minute session for next Tuesday; the invitation and the "
                  "agenda are in your inbox."),
            Issue("Admin training materials?",
                  "Hello,\n\nIs there a guide or a video for new admins? I've just taken over "
                  "the workspace.\n\n{first}",
                  "The admin course in our help centre takes about an hour; I've also sent "
                  "you our checklist for new admins."),
            Issue("Onboarding call for {seats} new agents",
                  "Hi,\n\n{seats} agents start on Monday. Can we get an onboarding call for "
                  "them?\n\nThanks,\n{first}",
                  "The onboarding call is booked for Monday at 10:00 your time; the recording "
                  "will be shared afterwards."),
        ),
        ("Training delivered.", "Session booked and materials sent."),
        priorities=(3, 6, 1, 0), tags=("onboarding", "training"),
    ),
    Topic(
        "howto", 8, "Question", "General", "How-to", "Support",
        (
            Issue("How do I create a saved filter?",
                  "Hi,\n\nI keep filtering the case list by my queue and \"high\" priority. "
                  "Can I save that?\n\n{first}",
                  "Set the filters, then click \"Save view\" above the list and give it a "
                  "name; it appears in the sidebar from then on."),
            Issue("Can we customise the customer notification e-mails?",
                  "Hello,\n\nWe'd like our logo and a friendlier tone in the e-mails customers "
                  "get. Is that possible?\n\n{first}, {company}",
                  "Yes, under Settings › Notifications › Templates. Each template has a "
                  "preview; your logo goes in the shared header."),
            Issue("Merging two cases from the same customer",
                  "Hi,\n\nA customer wrote to two of our addresses about the same problem and "
                  "we now have two cases. Can we merge them?\n\n{first}",
                  "Open the newer case and choose \"Close as duplicate\", naming the other "
                  "case; its notes are linked there."),
        ),
        ("Question answered.", "Explained the steps; customer confirmed."),
        priorities=(4, 6, 0, 0), tags=("how-to",),
    ),
    Topic(
        "feedback", 5, "Feature Request", "General", "Feedback", "Support",
        (
            Issue("Feature request: dark mode for agents",
                  "Hi,\n\nOur night shift would love a dark theme. Any plans?\n\n{first}",
                  "Thanks for the suggestion! I've added your vote to the dark-mode request "
                  "on our roadmap board; you'll be notified when it ships."),
            Issue("Would love bulk editing in the case list",
                  "Hello,\n\nWe often need to move 20–30 cases to another queue. Selecting "
                  "several and editing them at once would save us a lot of time.\n\n{first}, "
                  "{company}",
                  "Bulk editing is planned for next quarter. Until then, a saved view plus "
                  "\"Move all to queue\" covers the most common case."),
            Issue("Request: export a case timeline as PDF",
                  "Hi,\n\nFor audits we need to hand over the full history of a case. A PDF "
                  "export would help.\n\n{first}",
                  "I've logged this as a feature request. For now the timeline API returns "
                  "the full history, which you can print from our sample script."),
        ),
        ("Logged on the product feedback board.", "Feature request recorded."),
        priorities=(5, 5, 0, 0), tags=("feature-request",),
    ),
)
