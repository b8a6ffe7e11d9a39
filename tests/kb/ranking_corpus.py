"""The ranking corpus of issue 13: the knowledge base of Northwind, a company that sells office
hardware online, supports it (laptops, printers, networks, mail) and runs a SaaS work app
(Northwind Workspace: projects, tasks, docs, time tracking), billed per seat. 200 articles in
a two-level category tree (internal and public, a few drafts and archived ones that must never
be suggested), and 50 cases written the way customers write, each with the ONE article that
answers it (`tests/kb/test_ranking.py`: at least 45 of the 50 in the top three suggestions).

The cases were written from the customer's side first, then given the article an agent would
send; they are not phrased after the articles' words.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from casedesk.cases.models import Case
from casedesk.cases.picklists import picklist_value_add
from casedesk.cases.services import CustomerMessage, case_customer_reply
from casedesk.kb.index import index_article
from casedesk.kb.models import Article, ArticleStatus, KbCategory, Visibility
from casedesk.tenancy.models import Tenant
from tests.factories import make_case

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CASES_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

PUBLIC = Visibility.PUBLIC
INTERNAL = Visibility.INTERNAL
DRAFT = ArticleStatus.DRAFT
ARCHIVED = ArticleStatus.ARCHIVED

# The category tree: top level › its subcategories.
TREE: dict[str, tuple[str, ...]] = {
    "Account and sign-in": ("Passwords and login", "Two-factor and SSO", "Users and permissions",
                            "Profile and settings"),
    "Billing": ("Invoices", "Payments", "Refunds", "Plans and pricing", "Cancellation"),
    "Workspace app": ("Projects and tasks", "Docs and files", "Calendar and time tracking",
                      "Notifications", "Reports and dashboards", "Import and export",
                      "Mobile app", "Performance and errors"),
    "Integrations and API": ("API", "Webhooks", "Apps and integrations"),
    "IT and hardware": ("Laptops and computers", "Printers and scanners", "Network and VPN",
                        "Email and calendar clients", "Phones and headsets",
                        "Software and licences"),
    "Orders and shipping": ("Order status", "Delivery", "Returns and exchanges",
                            "Damaged or missing items", "International and customs"),
}


@dataclass(frozen=True)
class Doc:
    key: str  # the slug
    category: str  # the subcategory's name (unique across the tree)
    title: str
    summary: str
    body: str
    tags: tuple[str, ...] = ()
    visibility: str = PUBLIC
    status: str = ArticleStatus.PUBLISHED


def _docs(category: str, *rows: tuple) -> list[Doc]:  # type: ignore[type-arg]
    docs = []
    for row in rows:
        key, title, summary, body, tags, *rest = row
        options = dict(rest[0]) if rest else {}
        docs.append(Doc(key, category, title, summary, body, tuple(tags), **options))
    return docs


ARTICLES: list[Doc] = [
    # --- Account and sign-in ------------------------------------------------------------------
    *_docs(
        "Passwords and login",
        ("reset-password", "Reset a forgotten password",
         "Choose a new password when you cannot remember the old one.",
         "On the sign-in page click **Forgot password?** and enter the email address you sign "
         "in with. We email you a link to choose a new password. The link works once and "
         "expires after one hour. Other devices stay signed in until you sign out there.",
         ["password", "login", "account"]),
        ("change-password", "Change your password",
         "Set a new password while you are signed in.",
         "Open *Profile › Security*, enter your current password and then the new one twice. "
         "All your other sessions are signed out. If you do not know your current password, "
         "reset it from the sign-in page instead.",
         ["password", "security"]),
        ("reset-email-missing", "The password reset email does not arrive",
         "What to check when the reset link never reaches your inbox.",
         "Reset emails come from noreply@northwind.example within a minute. Look in your spam "
         "or junk folder and in your company's quarantine (Mimecast, Proofpoint, Microsoft "
         "Defender often hold them). Ask your IT team to allow our sending domain. Request the "
         "link only once: every new request makes the earlier links invalid.",
         ["password", "email", "login"]),
        ("account-locked", "Account locked after too many sign-in attempts",
         "Why you are locked out and how long it lasts.",
         "After ten wrong passwords in a row the account is locked for 30 minutes to stop "
         "password guessing. Wait for the lock to end, or ask a workspace admin to unlock you "
         "under *Settings › People*. Resetting your password also lifts the lock.",
         ["login", "security", "lockout"]),
        ("login-loop", "Sent back to the sign-in page after signing in",
         "The sign-in page reloads instead of opening your workspace.",
         "This happens when the browser refuses our cookies. Allow cookies for "
         "northwind.example, turn off extensions that block trackers, or try a private "
         "window. Clearing the browser's cookies for our site fixes most cases.",
         ["login", "browser", "cookies"]),
        ("password-rules", "Password requirements",
         "How long a password must be and which ones we refuse.",
         "A password needs at least 12 characters. Passphrases of several words work well. "
         "We refuse passwords found in known data breaches and ones that contain your name or "
         "email address.",
         ["password", "security"]),
        ("session-length", "Why you are signed out every day",
         "How long a session lasts and how admins change it.",
         "You stay signed in for 12 hours of inactivity, or 30 days when you tick *Keep me "
         "signed in*. Admins can shorten sessions for security under *Settings › Security*. "
         "Browsers that delete cookies when they close also sign you out.",
         ["login", "session"]),
        ("change-login-email", "Change the email address you sign in with",
         "Move your account to a new email address.",
         "Open *Profile › Email*, enter the new address and confirm the link we send to it. "
         "Until you confirm, you keep signing in with the old address. Your tasks, comments "
         "and history stay with your account.",
         ["account", "email"]),
        ("unlock-for-customer", "Unlocking a customer's account (agents)",
         "How agents lift a lock after verifying the caller.",
         "Verify the caller first (see *Verifying a caller's identity*). Then open the user in "
         "the admin console and choose *Unlock*. Never read a reset link out on the phone; "
         "send it to the address on file.",
         ["login", "lockout", "agents"], {"visibility": INTERNAL}),
        ("verify-caller", "Verifying a caller's identity before account changes",
         "The checks agents make before changing someone's account.",
         "Ask for the workspace name, the billing contact and the last invoice number. For "
         "changes to the owner or the login email, call back on the number on file. Record "
         "the checks in an internal note.",
         ["security", "agents"], {"visibility": INTERNAL}),
    ),
    *_docs(
        "Two-factor and SSO",
        ("enable-2fa", "Turn on two-factor authentication",
         "Protect your account with codes from an authenticator app.",
         "Open *Profile › Security › Two-factor*, scan the QR code with an authenticator app "
         "(Google Authenticator, Microsoft Authenticator, 1Password) and type the six-digit "
         "code. Save the recovery codes we show you somewhere safe.",
         ["2fa", "security"]),
        ("lost-2fa-device", "Signing in without your two-factor phone",
         "Lost, replaced or reset phone: use a recovery code or ask an admin.",
         "If your phone was lost, replaced or reset, the authenticator app's codes go with it. "
         "Sign in with one of your recovery codes instead and set up two-factor again on the "
         "new phone. Without recovery codes, a workspace admin can reset two-factor for you "
         "under *Settings › People*.",
         ["2fa", "login", "phone"]),
        ("2fa-code-rejected", "Two-factor codes are rejected as invalid",
         "The code is right but the sign-in page refuses it.",
         "Authenticator codes depend on the phone's clock. If the clock is off by more than a "
         "minute, for example after travelling across time zones with automatic time turned "
         "off, every code is refused. Turn on automatic date and time on the phone and try "
         "again.",
         ["2fa", "login"]),
        ("sms-codes", "Text message codes do not arrive",
         "SMS sign-in codes are late or never come.",
         "Carriers sometimes delay or filter text messages, especially abroad. Wait two "
         "minutes before asking for another code. An authenticator app works without a "
         "signal and is more reliable; switch to it under *Profile › Security*.",
         ["2fa", "sms"]),
        ("sso-setup", "Set up single sign-on with SAML",
         "Connect Okta, Microsoft Entra ID or Google Workspace.",
         "On the Business plan, admins paste the identity provider's metadata URL under "
         "*Settings › Single sign-on* and test the connection before enforcing it. Once SSO "
         "is enforced, people sign in through the identity provider and passwords are no "
         "longer used.",
         ["sso", "saml", "security"]),
        ("sso-invalid-response", "SSO sign-in fails with \"Invalid SAML response\"",
         "What the SAML errors mean and how to fix them.",
         "Most failures come from a signing certificate the identity provider renewed without "
         "updating it here: upload the new certificate or re-import the metadata. Other causes "
         "are a wrong entity ID and a server clock that is more than five minutes off.",
         ["sso", "saml", "login", "error"]),
        ("scim", "Provision users automatically with SCIM",
         "Create and remove users from your identity provider.",
         "Generate a SCIM token under *Settings › Single sign-on › Provisioning* and paste it "
         "into Okta or Entra ID. People assigned to the app get an account; people unassigned "
         "are deactivated and free their seat.",
         ["sso", "scim", "users"]),
        ("sms-2fa-retired", "Two-factor by text message (retired)",
         "How SMS codes worked before the authenticator app.",
         "Codes were sent by text message to the phone number on the profile.",
         ["2fa", "sms"], {"status": ARCHIVED}),
    ),
    *_docs(
        "Users and permissions",
        ("invite-people", "Invite people to your workspace",
         "Add colleagues by email.",
         "Admins invite people under *Settings › People › Invite*. Each person gets an email "
         "with a link to join. A new member takes a seat on your plan once they accept.",
         ["users", "invite", "team"]),
        ("invitation-expired", "Invitation link expired or not working",
         "The link in an invitation email is no longer valid.",
         "Invitations are valid for seven days. After that the link shows an error. An admin "
         "can resend the invitation from *Settings › People › Pending*, which sends a fresh "
         "link. The person must open it with the invited email address.",
         ["users", "invite"]),
        ("roles", "Roles: owner, admin, member and guest",
         "What each role may do in a workspace.",
         "The owner manages billing and can delete the workspace. Admins manage people, "
         "settings and integrations. Members work in the projects they belong to. Guests see "
         "only the projects they are invited to and do not take a paid seat.",
         ["users", "roles", "permissions"]),
        ("remove-user", "Remove someone from your workspace",
         "Take a leaver out of the workspace and free their seat.",
         "Admins open *Settings › People*, choose the person and *Remove from workspace*. "
         "Their tasks, comments and files stay where they are; reassign open tasks to someone "
         "else. The seat is freed at once and your next invoice is lower.",
         ["users", "seats", "offboarding"]),
        ("transfer-ownership", "Transfer ownership of the workspace",
         "Hand the owner role to another admin.",
         "The current owner opens *Settings › Workspace › Owner* and chooses an admin. If the "
         "owner has left the company, contact us from an admin account and we verify the "
         "request with your billing contact.",
         ["users", "owner"]),
        ("guest-access", "Give clients guest access to a project",
         "Share one project with people outside your company.",
         "Open the project, choose *Share › Invite guests* and enter their email addresses. "
         "Guests see only that project, can comment and complete tasks assigned to them, and "
         "are free of charge.",
         ["users", "guests", "sharing"]),
        ("audit-log", "See who changed what in the audit log",
         "Every admin action and sign-in, searchable.",
         "On the Business plan, *Settings › Audit log* lists sign-ins, permission changes, "
         "exports and deletions with the person, time and IP address. Filter by person or "
         "action and export the list as CSV.",
         ["security", "audit"]),
        ("export-user-list", "Export the list of users",
         "A spreadsheet of everyone in the workspace.",
         "Admins choose *Settings › People › Export* to download a CSV with each person's "
         "name, email, role, last sign-in and whether they use two-factor.",
         ["users", "export"]),
    ),
    *_docs(
        "Profile and settings",
        ("profile-photo", "Change your name and profile photo",
         "How you appear to your colleagues.",
         "Open *Profile › General* to change your display name and upload a photo (PNG or "
         "JPEG, up to 5 MB). Changes show everywhere within a minute.",
         ["profile"]),
        ("time-zone-language", "Set your time zone and language",
         "Dates and the interface in your own time zone and language.",
         "Under *Profile › Preferences* choose your time zone and language. Due dates, "
         "reminders and notification emails use your time zone. The workspace's default time "
         "zone only applies to people who have not set their own.",
         ["profile", "time zone", "language"]),
        ("delete-profile", "Delete your personal account",
         "Remove your own account and personal data.",
         "Open *Profile › Privacy › Delete account*. You are removed from every workspace and "
         "your personal data is erased within 30 days; content you created stays in the "
         "workspaces, shown as a former member. A workspace owner must transfer ownership "
         "first.",
         ["profile", "privacy", "gdpr"]),
        ("dark-mode", "Dark mode and display settings",
         "Change the theme, density and font size.",
         "Under *Profile › Appearance* pick light, dark or your system's theme, a compact or "
         "comfortable list density, and a larger font size.",
         ["profile", "display"]),
    ),
    # --- Billing ------------------------------------------------------------------------------
    *_docs(
        "Invoices",
        ("download-invoices", "Download your invoices",
         "Get PDF copies of current and past invoices.",
         "The owner and billing admins find every invoice under *Billing › Invoices*, newest "
         "first, each with a PDF download. Choose a year to see older ones, or *Download all* "
         "for a ZIP file of every invoice of that year.",
         ["invoice", "billing", "pdf"]),
        ("invoice-details", "Change the company name, address or VAT number on invoices",
         "Update the billing details printed on invoices.",
         "Edit the billing details under *Billing › Details*. New invoices use them at once. "
         "Invoices already issued cannot be edited, but we can reissue them with the new "
         "details: write to us with the invoice numbers.",
         ["invoice", "billing", "address"]),
        ("invoice-vat", "Why VAT is charged on your invoice",
         "VAT, reverse charge and VAT IDs for businesses.",
         "We charge VAT at your country's rate unless you are a business in another EU country "
         "with a valid VAT ID, where the reverse charge applies. The VAT ID must be entered "
         "under *Billing › Details* and pass the EU's VIES check before the invoice is made; "
         "we cannot refund VAT on invoices issued before.",
         ["invoice", "vat", "tax"]),
        ("invoice-recipients", "Send invoices to your accounts payable team",
         "Choose who receives invoice emails.",
         "Add up to five addresses under *Billing › Details › Invoice recipients*, for example "
         "ap@yourcompany.example. Each new invoice is emailed to them as a PDF attachment.",
         ["invoice", "email", "billing"]),
        ("purchase-order", "Add a purchase order number to invoices",
         "Show your PO number on every invoice.",
         "Enter the purchase order number under *Billing › Details*. It is printed on every "
         "invoice from then on. Change it when your PO is renewed.",
         ["invoice", "purchase order"]),
        ("invoice-currency", "Invoice currency and exchange rates",
         "Which currency you are billed in.",
         "Invoices are in euros, US dollars or pounds, chosen when you subscribe. The currency "
         "cannot change during a subscription; your bank converts other currencies at its own "
         "rate.",
         ["invoice", "currency"]),
        ("reissue-invoice", "Reissuing a corrected invoice (agents)",
         "How agents cancel an invoice and issue a corrected one.",
         "Issue a credit note for the wrong invoice in the billing tool, then a new invoice "
         "with the corrected details and the same service period. Never edit a sent invoice.",
         ["invoice", "agents"], {"visibility": INTERNAL}),
        ("store-order-invoice", "Get an invoice for a store order",
         "Invoices for hardware bought in the Northwind store.",
         "Store invoices are emailed when the order ships and can be downloaded from *My "
         "orders* in the store. They are separate from Workspace subscription invoices.",
         ["invoice", "order", "store"]),
        ("new-invoice-layout", "The new invoice layout",
         "What changes on invoices next year.",
         "Invoices get a payment QR code and show the VAT of each line.",
         ["invoice"], {"status": DRAFT}),
    ),
    *_docs(
        "Payments",
        ("update-card", "Update the credit card on file",
         "Change the card we charge for your subscription.",
         "Under *Billing › Payment method* add the new card and make it the default. The old "
         "card is removed. An open unpaid invoice is charged to the new card straight away.",
         ["payment", "card", "billing"]),
        ("payment-declined", "Card payment declined or failed",
         "Why a renewal payment fails and what happens next.",
         "Payments usually fail because the card expired, the bank asked for 3-D Secure "
         "approval, or the bank's fraud check blocked a foreign charge. We retry three times "
         "over seven days and email the owner each time. Approve the payment in your banking "
         "app or add another card under *Billing › Payment method*.",
         ["payment", "card", "declined"]),
        ("pay-by-transfer", "Pay by bank transfer instead of card",
         "Invoice payment for annual plans.",
         "Annual plans with ten or more seats can be paid by bank transfer against an invoice "
         "with 30 days' terms. Ask us to switch your payment method; monthly plans need a "
         "card.",
         ["payment", "bank transfer", "invoice"]),
        ("bank-details", "Our bank details for transfers",
         "Where to send a bank transfer.",
         "Our bank details are printed at the bottom of every invoice. Always put the invoice "
         "number in the payment reference so we can match the payment; transfers take one to "
         "three business days to arrive.",
         ["payment", "bank transfer"]),
        ("read-only-unpaid", "Workspace is read-only because of an unpaid invoice",
         "What read-only mode means and how to lift it.",
         "When an invoice stays unpaid for 14 days after its due date, the workspace becomes "
         "read-only: everyone can still see their work but nobody can change it. Pay the "
         "open invoice under *Billing › Invoices* and editing comes back within minutes.",
         ["payment", "overdue", "read-only"]),
        ("duplicate-charge", "Charged twice for the same month",
         "Two payments for one invoice on your statement.",
         "Often one of the two is a pending authorisation from a failed attempt, which your "
         "bank releases within seven days. If both charges stay on your statement after that, "
         "send us the dates and amounts and we refund the duplicate.",
         ["payment", "refund", "card"]),
        ("card-receipt", "Get a receipt for a card payment",
         "Proof of payment for your expense report.",
         "Each paid invoice under *Billing › Invoices* has a *Receipt* link showing the card, "
         "date and amount charged.",
         ["payment", "receipt"]),
    ),
    *_docs(
        "Refunds",
        ("refund-policy", "Refund policy",
         "Which payments we refund.",
         "Annual subscriptions are refunded in full when you cancel within 30 days of the "
         "purchase or renewal. Monthly subscriptions are not refunded; they run until the end "
         "of the month you paid for. Seats you remove are credited on the next invoice.",
         ["refund", "billing", "policy"]),
        ("request-refund", "Request a refund",
         "How to ask for your money back.",
         "The workspace owner writes to billing@northwind.example with the invoice number and "
         "the reason. We answer within two business days and confirm by email when the refund "
         "is sent.",
         ["refund", "billing"]),
        ("refund-timing", "When the refund reaches your account",
         "How long a refund takes to show on your card or bank account.",
         "We send refunds the day they are approved. Card refunds take 5 to 10 business days "
         "to appear on your statement, depending on your bank; bank transfers one to three "
         "days. The refund goes to the card or account that paid.",
         ["refund", "card"]),
        ("refund-approval", "Refund approvals over 500 EUR",
         "Who signs off on large refunds.",
         "A refund over 500 EUR needs a finance manager's approval in the billing tool before "
         "the agent confirms it to the customer.",
         ["refund", "agents"], {"visibility": INTERNAL}),
        ("refund-policy-2027", "Refund policy from 2027",
         "The refund rules that apply from next year.",
         "Annual subscriptions will be refunded pro rata for the unused months.",
         ["refund"], {"status": DRAFT}),
    ),
    *_docs(
        "Plans and pricing",
        ("compare-plans", "Compare plans: Free, Team and Business",
         "What each plan includes and costs.",
         "Free has up to five members and 2 GB of storage. Team adds unlimited projects, "
         "timelines and 100 GB. Business adds SSO, the audit log, 1 TB and priority support. "
         "Prices are per seat per month, lower on annual billing.",
         ["pricing", "plans"]),
        ("upgrade-plan", "Upgrade your plan",
         "Move to a bigger plan at any time.",
         "The owner chooses *Billing › Plan › Change plan*. The new features are on at once "
         "and you pay the difference for the rest of the current period.",
         ["plans", "upgrade"]),
        ("downgrade-plan", "Downgrade to a smaller plan",
         "Move to a cheaper plan at the end of the period.",
         "A downgrade takes effect at the end of the period you paid for. Features of the "
         "bigger plan switch off then; data is kept, but over the storage limit you cannot "
         "upload until you delete files.",
         ["plans", "downgrade"]),
        ("add-seats", "Add or remove seats",
         "Pay for more or fewer members.",
         "Seats are added automatically when someone accepts an invitation. You pay for a new "
         "seat pro rata, from the day it is added to the end of the period, not the whole "
         "month. Removed seats are credited on the next invoice.",
         ["seats", "pricing", "billing"]),
        ("nonprofit-discount", "Discounts for non-profits and education",
         "Lower prices for charities, schools and universities.",
         "Registered non-profit organisations and accredited schools get 50 % off the Team and "
         "Business plans. Apply with proof of your status (a charity registration number or "
         "an education email address).",
         ["pricing", "discount", "nonprofit"]),
        ("annual-billing", "Switch from monthly to annual billing",
         "Pay once a year and save two months.",
         "Under *Billing › Plan* choose *Pay annually*. You are charged for twelve months at "
         "the annual price, minus what is left of your current month.",
         ["billing", "annual"]),
        ("free-trial", "How the free trial works",
         "Fourteen days of the Business plan, no card needed.",
         "A new workspace starts with a 14-day trial of the Business plan. When it ends "
         "without a subscription, the workspace moves to the Free plan; nothing is deleted.",
         ["trial", "plans"]),
    ),
    *_docs(
        "Cancellation",
        ("cancel-subscription", "Cancel your subscription",
         "Stop your plan from renewing.",
         "The owner chooses *Billing › Plan › Cancel subscription*. The workspace keeps working "
         "until the end of the period you paid for and then moves to the Free plan. Cancelling "
         "does not delete your data.",
         ["cancel", "subscription", "billing"]),
        ("reactivate", "Reactivate a cancelled workspace",
         "Start paying again after cancelling.",
         "Choose a plan under *Billing › Plan* at any time; everything you had is still there. "
         "Workspaces on the Free plan keep their data as long as someone signs in once a "
         "year.",
         ["subscription", "reactivate"]),
        ("data-after-cancel", "What happens to your data after you cancel",
         "How long we keep a closed workspace's data.",
         "If the owner deletes the workspace, its data is erased after 30 days and backups "
         "after 90. Export everything first from *Settings › Data*.",
         ["cancel", "data", "gdpr"]),
    ),
    # --- Workspace app ------------------------------------------------------------------------
    *_docs(
        "Projects and tasks",
        ("create-project", "Create a project",
         "Start a new project and invite its members.",
         "Click **New project**, give it a name and choose the list, board or timeline view. "
         "Add members from the project's *Share* menu.",
         ["projects"]),
        ("project-templates", "Start a project from a template",
         "Reuse the structure of a project you run often.",
         "Choose **New project › From template**. Templates copy sections, tasks, custom "
         "fields and relative due dates. Save any project as a template from its menu.",
         ["projects", "templates"]),
        ("archive-project", "Archive or delete a project",
         "Put finished projects away.",
         "Archiving hides a project from the sidebar and search but keeps everything; restore "
         "it from *Projects › Archived*. Deleting moves it to the trash.",
         ["projects", "archive"]),
        ("restore-from-trash", "Restore deleted tasks and projects from the trash",
         "Get back something deleted by mistake.",
         "Deleted tasks, projects and docs stay in *Trash* for 30 days. Open the trash from "
         "the sidebar, find the item and choose **Restore**; a project comes back with its "
         "tasks, comments and files. After 30 days items are erased for good.",
         ["trash", "restore", "delete"]),
        ("recurring-tasks", "Make a task repeat",
         "Tasks that come back every day, week or month.",
         "Open the task's due date and choose **Repeat**: daily, weekly on chosen weekdays, "
         "monthly or yearly. When you complete it, the next one is created with the next due "
         "date.",
         ["tasks", "recurring"]),
        ("task-dependencies", "Task dependencies and the timeline",
         "Make one task wait for another.",
         "In the timeline view drag from one task to another to make it wait. Moving a task "
         "moves the tasks that depend on it when *Auto-schedule* is on.",
         ["tasks", "timeline"]),
        ("bulk-edit", "Edit many tasks at once",
         "Change the assignee, due date or section of several tasks.",
         "Hold Shift or Ctrl to select tasks in a list, then use the bar at the bottom to "
         "assign, move, set dates or delete them together.",
         ["tasks", "bulk"]),
        ("task-custom-fields", "Add custom fields to tasks",
         "Track budget, priority or anything else on tasks.",
         "Open the project's *Customize › Fields* and add a text, number, date or drop-down "
         "field. Fields can be shared with other projects.",
         ["tasks", "custom fields"]),
        ("boards", "Kanban boards: columns and limits",
         "Work in columns instead of lists.",
         "Switch a project to the board view; sections become columns. Set a work-in-progress "
         "limit on a column to see when it is overloaded.",
         ["boards", "projects"]),
        ("move-task", "Move a task to another project",
         "Change where a task lives.",
         "Open the task, choose **⋯ › Move to project** and pick the project and section. "
         "Comments, files and subtasks move with it.",
         ["tasks", "projects"]),
        ("subtasks", "Subtasks and checklists",
         "Break a task into smaller steps.",
         "Add subtasks from the task's panel; each can have its own assignee and due date. "
         "Use a checklist for steps that need no owner.",
         ["tasks", "subtasks"]),
    ),
    *_docs(
        "Docs and files",
        ("attach-files", "Attach files to tasks",
         "Add documents and images to a task.",
         "Drag files onto a task or use the paperclip. Each file may be up to 250 MB; your plan "
         "sets the total storage.",
         ["files", "attachments"]),
        ("upload-fails", "File upload fails or stops at 99 %",
         "Large uploads that never finish.",
         "Uploads over 250 MB are refused. If a large upload stops near the end, a company "
         "proxy or antivirus is usually scanning it and cutting the connection; try another "
         "network or browser, or ask IT to allow uploads.northwind.example.",
         ["files", "upload", "error"]),
        ("storage-full", "Storage limit reached",
         "What to do when the workspace's storage is full.",
         "When the workspace reaches its plan's storage, nobody can upload new files. Delete "
         "large files you no longer need (*Settings › Storage* lists the largest), empty the "
         "trash, or buy extra storage in blocks of 100 GB.",
         ["files", "storage"]),
        ("docs-editor", "Write and share docs",
         "Meeting notes and specs next to your tasks.",
         "Create a doc from a project's *Docs* tab. Type / to add headings, tables or tasks. "
         "Share a doc with a link that works for members or anyone.",
         ["docs"]),
        ("doc-history", "Restore an older version of a doc",
         "Go back to what a doc said yesterday.",
         "Open the doc's **⋯ › Version history** to see every saved version with its author, "
         "and restore any of them. Versions are kept for a year.",
         ["docs", "history"]),
        ("file-previews", "File previews do not show",
         "Which files can be previewed.",
         "We preview images, PDFs, Office documents and videos up to 100 MB. Other files can "
         "be downloaded. A preview may take a minute to appear after upload.",
         ["files", "preview"]),
    ),
    *_docs(
        "Calendar and time tracking",
        ("calendar-sync", "Sync due dates to Google Calendar or Outlook",
         "See your tasks in your own calendar.",
         "Under *Profile › Calendar* copy your personal calendar link and add it in Google "
         "Calendar (*Other calendars › From URL*) or Outlook (*Add calendar › Subscribe from "
         "web*). Tasks with a due date appear as all-day events.",
         ["calendar", "google", "outlook"]),
        ("calendar-feed-stale", "Calendar feed not updating",
         "New or changed due dates do not appear in your calendar.",
         "Calendar apps fetch subscribed feeds on their own schedule: Google Calendar every 8 "
         "to 24 hours, Outlook every few hours, and we cannot make them refresh sooner. If "
         "nothing changed for two days, remove the calendar and subscribe again with a fresh "
         "link.",
         ["calendar", "google", "sync"]),
        ("time-tracking", "Track time on tasks",
         "Record hours with the timer or by hand.",
         "Start the timer on a task or add an entry by hand. Entries can be billable or not, "
         "and admins can lock past weeks.",
         ["time tracking"]),
        ("timesheet-export", "Export timesheets",
         "Hours per person and project for payroll or invoicing.",
         "Open *Reports › Time* and choose a period, people and projects, then *Export* to CSV "
         "or Excel.",
         ["time tracking", "export"]),
        ("due-date-off", "Due dates show a day off",
         "A due date looks different to you and to a colleague.",
         "Due dates with a time are shown in each person's own time zone, so a task due at "
         "9:00 in Sydney is due the evening before in Europe. Check *Profile › Preferences › "
         "Time zone*, or remove the time to make a date the same for everyone.",
         ["calendar", "time zone", "due date"]),
    ),
    *_docs(
        "Notifications",
        ("email-notification-settings", "Choose which notifications you get",
         "Turn notification emails on or off by kind.",
         "Under *Profile › Notifications* choose, for each kind (assigned to you, mentioned, "
         "due soon, comments on your tasks), whether you get an email, a push notification or "
         "only the inbox entry.",
         ["notifications", "email"]),
        ("notification-emails-missing", "Not receiving notification emails",
         "Emails about assignments and comments stopped coming.",
         "Check *Profile › Notifications* first. If an email to you bounced, we stop sending "
         "to the address; the profile then shows a warning with a button to resume. Company "
         "filters sometimes quarantine our mails: ask IT to allow notify@northwind.example.",
         ["notifications", "email"]),
        ("daily-digest", "Get a daily digest instead of many emails",
         "One summary email a day.",
         "Under *Profile › Notifications* switch email to **Daily digest**. You get one email "
         "each morning with everything that happened, instead of an email per comment.",
         ["notifications", "digest", "email"]),
        ("push-notifications", "Push notifications on your phone",
         "Get notified in the mobile app.",
         "Allow notifications for the Northwind app in your phone's settings, then choose the "
         "kinds under *Profile › Notifications › Push*.",
         ["notifications", "mobile"]),
        ("mentions", "Mention people with @",
         "Bring someone into a conversation.",
         "Type @ and a name in a comment or doc. The person gets a notification and the "
         "comment shows in their inbox.",
         ["mentions", "comments"]),
    ),
    *_docs(
        "Reports and dashboards",
        ("dashboards", "Build a dashboard",
         "Charts of your projects' progress.",
         "Create a dashboard from *Reports › New dashboard* and add widgets: tasks completed, "
         "overdue tasks, workload by person, time logged.",
         ["reports", "dashboards"]),
        ("workload-report", "See who is overloaded",
         "Workload by person and week.",
         "The workload report shows each person's assigned tasks or hours per week against "
         "their capacity. Drag tasks to another person to balance it.",
         ["reports", "workload"]),
        ("report-totals-differ", "Report totals do not match the task list",
         "Why a dashboard count differs from what you count yourself.",
         "Widgets count tasks in your time zone's days and leave out archived projects and "
         "deleted tasks, while the task list may include them. Subtasks are counted only when "
         "*Include subtasks* is on. Compare the widget's filters with the list's.",
         ["reports", "dashboards", "numbers"]),
        ("scheduled-reports", "Email a report on a schedule",
         "Send a dashboard to your team every week.",
         "Open a dashboard and choose **Schedule**: pick recipients, a weekday and a time. They "
         "get a PDF of the dashboard by email.",
         ["reports", "email"]),
        ("slow-dashboard", "Dashboard loads slowly",
         "Make big dashboards faster.",
         "Dashboards with many widgets over long periods take longer. Narrow the date range "
         "or split a large dashboard into several.",
         ["reports", "performance"]),
    ),
    *_docs(
        "Import and export",
        ("import-csv", "Import tasks from a CSV file",
         "Bring a spreadsheet of tasks into a project.",
         "Choose **Import › CSV** in a project, upload the file and map its columns to task "
         "fields. A preview shows the first rows before anything is imported.",
         ["import", "csv"]),
        ("import-skipped-rows", "CSV import skipped some rows",
         "Fewer tasks than rows after an import.",
         "Rows are skipped when the task name is empty, a date is not in the format chosen on "
         "the mapping screen (for example 31/12/2026 read as month/day), or the file is not "
         "saved as UTF-8. At most 10,000 rows are imported per file. Download the import report "
         "from the project's activity to see each skipped row and why.",
         ["import", "csv", "excel"]),
        ("import-other-tools", "Move from Trello, Asana or Jira",
         "Bring boards, projects and issues over.",
         "Choose **Import › From another tool**, sign in to Trello, Asana or Jira and pick what "
         "to bring over. Cards, tasks, comments, attachments and due dates come with them.",
         ["import", "trello", "asana", "jira"]),
        ("export-workspace", "Export all your workspace data",
         "A full archive of everything in the workspace.",
         "Admins request an export under *Settings › Data › Export*. We email a link to a ZIP "
         "archive with projects, tasks, comments, docs and files; the link is valid for seven "
         "days.",
         ["export", "data", "backup"]),
        ("export-project", "Export a project to CSV or Excel",
         "A spreadsheet of one project's tasks.",
         "Open the project's **⋯ › Export** and choose CSV or Excel. The export holds the "
         "fields shown in the list view.",
         ["export", "csv", "excel"]),
    ),
    *_docs(
        "Mobile app",
        ("mobile-install", "Install the mobile app",
         "Northwind Workspace on iPhone and Android.",
         "Get the app from the App Store or Google Play and sign in with your work email. "
         "It needs iOS 16 or Android 10 or later.",
         ["mobile", "ios", "android"]),
        ("mobile-crash", "The mobile app crashes or closes on start",
         "The app closes right after opening.",
         "Update the app and your phone's system first. If it still closes after the splash "
         "screen, clear the app's cache (Android: *Settings › Apps › Northwind › Storage*) or "
         "delete and reinstall it. Send us your phone model and app version if it keeps "
         "happening.",
         ["mobile", "crash", "android", "ios"]),
        ("mobile-offline", "Working offline in the mobile app",
         "What works without a connection.",
         "Projects you opened recently are available offline. Changes you make are saved on "
         "the phone and sent when you are back online.",
         ["mobile", "offline"]),
        ("mobile-sync", "Changes on the phone do not show on the web",
         "The app and the web app show different things.",
         "Pull down to refresh the app. Changes made offline wait until the phone is online; "
         "a red dot on the sync icon means some could not be sent. Sign out and in again if "
         "they stay stuck.",
         ["mobile", "sync"]),
    ),
    *_docs(
        "Performance and errors",
        ("app-slow", "The web app is slow",
         "Pages take long to load on your computer.",
         "Check whether it is slow in a private window: browser extensions are the most common "
         "cause. Close tabs you do not need and update the browser. If the whole team is slow "
         "at the same time, check our status page.",
         ["performance", "browser"]),
        ("status-page", "Check our status page for outages",
         "See whether something is down and when it will be fixed.",
         "status.northwind.example shows incidents, outages and slowdowns as they happen, "
         "with updates until they are fixed. Subscribe to get incident updates by email or "
         "SMS.",
         ["status", "outage", "incident"]),
        ("supported-browsers", "Supported browsers",
         "Which browsers the web app works in.",
         "The latest two versions of Chrome, Edge, Firefox and Safari. Internet Explorer is "
         "not supported.",
         ["browser"]),
        ("something-went-wrong", "\"Something went wrong\" errors",
         "An error page instead of what you opened.",
         "Reload the page. If the error stays, note the request ID at the bottom of the error "
         "and send it to us with what you did just before.",
         ["error"]),
        ("clear-cache", "Clear your browser's cache and cookies",
         "Fix pages that look broken or out of date.",
         "In Chrome and Edge press Ctrl+Shift+Delete, choose *Cookies* and *Cached images and "
         "files* and clear them. In Safari use *Settings › Privacy › Manage website data*.",
         ["browser", "cache"]),
        ("escalate-outage", "Escalating a suspected outage (agents)",
         "When several customers report the same failure.",
         "Three reports of the same failure within 15 minutes are an incident: page the "
         "on-call engineer through the incident channel and link the cases to the incident.",
         ["outage", "agents"], {"visibility": INTERNAL}),
    ),
    # --- Integrations and API -----------------------------------------------------------------
    *_docs(
        "API",
        ("api-tokens", "Create an API token",
         "Personal tokens for scripts and integrations.",
         "Under *Profile › API tokens* create a token, name it after its use and copy it: it "
         "is shown only once. Send it in the `Authorization: Bearer` header.",
         ["api", "token", "developer"]),
        ("api-rate-limits", "API rate limits and 429 errors",
         "How many requests you may send.",
         "Each token may send 100 requests per minute. Past that the API answers **429 Too "
         "Many Requests** with a `Retry-After` header giving the seconds to wait. Batch your "
         "changes, cache what you read and spread your sync over time.",
         ["api", "rate limit", "429"]),
        ("api-401", "API requests return 401 Unauthorized",
         "The API refuses your token.",
         "Check that the header reads `Authorization: Bearer <token>` and that the token was "
         "not revoked or created in another workspace. Tokens of deactivated people stop "
         "working.",
         ["api", "token", "401"]),
        ("api-pagination", "Page through API results",
         "Read long lists in pages.",
         "List endpoints return at most 100 items and a `next_cursor`; pass it as `cursor` to "
         "read the next page.",
         ["api", "developer"]),
        ("api-versions", "API versions and deprecations",
         "How we change the API.",
         "Breaking changes come in a new version; the old one keeps working for 12 months "
         "after we announce its end in the changelog.",
         ["api", "changelog"]),
    ),
    *_docs(
        "Webhooks",
        ("webhooks-setup", "Set up webhooks",
         "Get an HTTP request when something changes.",
         "Add an endpoint under *Settings › Webhooks* and choose the events. Each delivery is "
         "a JSON POST signed with your secret.",
         ["webhooks", "api"]),
        ("webhook-failures", "Webhook deliveries failing or stopped",
         "Your endpoint no longer receives events.",
         "A delivery fails when your endpoint does not answer 2xx within 10 seconds. Failed "
         "deliveries are retried with backoff for 24 hours; after three days of failures the "
         "webhook is disabled and the admins get an email. Fix the endpoint, then turn the "
         "webhook on again under *Settings › Webhooks* and resend missed events.",
         ["webhooks", "api", "error"]),
        ("webhook-signature", "Verify webhook signatures",
         "Check that a request really comes from us.",
         "Each request has an `X-Northwind-Signature` header: the HMAC-SHA256 of the body with "
         "your webhook secret. Compare it before trusting the payload.",
         ["webhooks", "security"]),
        ("webhook-ip-addresses", "IP addresses to allow for webhooks",
         "Our outgoing addresses for your firewall.",
         "Webhooks come from the addresses listed at northwind.example/ips. Allow them if your "
         "endpoint is behind a firewall.",
         ["webhooks", "firewall"]),
    ),
    *_docs(
        "Apps and integrations",
        ("slack-connect", "Connect Slack",
         "Post updates to Slack channels.",
         "Under *Settings › Integrations › Slack* sign in to Slack and pick a channel for each "
         "project.",
         ["slack", "integrations"]),
        ("slack-stopped", "Slack notifications stopped",
         "Updates no longer appear in your Slack channel.",
         "The connection breaks when the Slack channel is archived or renamed to private, or "
         "when the person who connected Slack leaves the workspace. Open *Settings › "
         "Integrations › Slack*, reconnect and choose the channel again.",
         ["slack", "integrations"]),
        ("google-drive", "Attach files from Google Drive",
         "Link Drive files to tasks.",
         "Connect Google Drive under *Settings › Integrations* and choose *Google Drive* when "
         "attaching a file. The file stays in Drive with its own sharing.",
         ["google", "drive", "files"]),
        ("salesforce", "Salesforce integration: setup and sync errors",
         "Create projects from won opportunities.",
         "The integration reads opportunities every 15 minutes. It stops when the Salesforce "
         "user that connected it loses access to an object or field: the integration page "
         "then shows the error, such as *insufficient access rights on object*. Give that "
         "user read access again or reconnect with another user.",
         ["salesforce", "integrations", "crm"]),
        ("zapier", "Automate with Zapier",
         "Connect thousands of apps without code.",
         "Search for Northwind Workspace in Zapier and sign in. Triggers include new task and "
         "task completed; actions include create task and add comment.",
         ["zapier", "automation"]),
        ("outlook-addin", "Create tasks from Outlook emails",
         "Turn an email into a task.",
         "Install the Northwind add-in from Microsoft AppSource. In an email choose *Create "
         "task*; the email is attached to the new task.",
         ["outlook", "email", "integrations"]),
        ("github", "Link commits and pull requests from GitHub",
         "See code changes on tasks.",
         "Install the GitHub app and mention a task's ID in a commit message or pull request "
         "title; it shows on the task.",
         ["github", "developer"]),
    ),
    # --- IT and hardware ----------------------------------------------------------------------
    *_docs(
        "Laptops and computers",
        ("laptop-no-power", "Laptop does not turn on",
         "No lights and no response to the power button.",
         "Plug in the original charger and check that its light is on. Hold the power button "
         "for 30 seconds to reset the battery controller, then press it once. If the laptop "
         "still shows no sign of life, it needs a repair: open a warranty request.",
         ["laptop", "power", "hardware"]),
        ("laptop-battery", "Laptop battery drains fast or does not charge",
         "Short battery life and charging problems.",
         "Check the battery's health in the vendor's app; batteries wear out after about 500 "
         "cycles. Use the charger that came with the laptop: weaker USB-C chargers charge "
         "slowly or not at all.",
         ["laptop", "battery"]),
        ("laptop-slow", "Laptop is slow",
         "Speed up a slow computer.",
         "Restart it (a restart is not the same as closing the lid), install pending updates, "
         "free disk space to at least 15 %, and turn off apps that start with the computer.",
         ["laptop", "performance"]),
        ("laptop-hot", "Laptop gets hot and the fan is loud",
         "Overheating and noise.",
         "Use the laptop on a hard surface so the vents are free, and check Task Manager for a "
         "program using the CPU. A fan that is loud all the time may be full of dust.",
         ["laptop", "fan"]),
        ("dock-monitors", "Docking station: monitors stay black",
         "Screens on a USB-C dock are not detected.",
         "The laptop must be connected to a USB-C port that carries video (marked with a "
         "DisplayPort or Thunderbolt sign); a port that only charges will power the laptop but "
         "show no picture. Update the dock's firmware and the laptop's graphics driver, and "
         "connect the screens to the dock's video ports, not its USB ports.",
         ["dock", "monitor", "usb-c"]),
        ("second-monitor", "Connect a second monitor",
         "Extend your desktop to another screen.",
         "Connect the monitor with HDMI or DisplayPort, then press Windows+P (Windows) or open "
         "*Displays* (Mac) and choose *Extend*.",
         ["monitor"]),
        ("keyboard-trackpad", "Keyboard or trackpad not responding",
         "Keys or the trackpad stop working.",
         "Check that the trackpad is not turned off with a function key, restart the laptop, "
         "and try an external keyboard to tell a hardware fault from a software one.",
         ["laptop", "keyboard"]),
        ("blue-screen", "Computer crashes with a blue screen",
         "Windows stops with a stop code.",
         "Note the stop code shown on the blue screen. Install updates and recent drivers; if "
         "the crashes started after connecting new hardware, unplug it.",
         ["windows", "crash"]),
        ("new-laptop-setup", "Set up a new laptop",
         "First steps with a new company laptop.",
         "Sign in with your company account on first start; the laptop enrols in device "
         "management and installs the standard apps within an hour. Your OneDrive files sync "
         "back.",
         ["laptop", "setup"]),
        ("bitlocker-key", "BitLocker asks for a recovery key",
         "The laptop shows a blue BitLocker recovery screen at start-up.",
         "After some firmware or BIOS updates Windows asks for the BitLocker recovery key "
         "before starting. Find the key at aka.ms/myrecoverykey on another device, signed in "
         "with your work account, and type the 48 digits. If it is not there, call the IT "
         "service desk with the key ID shown on the screen.",
         ["bitlocker", "encryption", "windows"]),
        ("loaner-laptops", "Loaner laptops during repairs (agents)",
         "When to offer a loaner.",
         "Offer a loaner when a repair takes more than two working days; book it in the asset "
         "register.",
         ["laptop", "agents"], {"visibility": INTERNAL}),
    ),
    *_docs(
        "Printers and scanners",
        ("printer-offline", "Printer shows as offline",
         "Your computer says the printer is offline.",
         "If others can print, remove the printer from your computer and add it again from "
         "the print server. If nobody can, check that the printer is on, shows no error and "
         "is connected to the network.",
         ["printer", "offline"]),
        ("add-printer", "Install a printer on Windows or Mac",
         "Add an office printer to your computer.",
         "On Windows open *Settings › Printers* and add the printer by its name from the print "
         "server; on a Mac use *System Settings › Printers*. Drivers install on their own.",
         ["printer", "setup"]),
        ("paper-jam", "Clear a paper jam",
         "Remove stuck paper safely.",
         "Open the doors the printer's display points to and pull the paper out in the "
         "direction it travels. Check that no scraps are left.",
         ["printer", "paper"]),
        ("print-quality", "Faded or streaky prints",
         "Poor print quality.",
         "Shake or replace the toner cartridge and run the cleaning cycle from the printer's "
         "menu.",
         ["printer", "toner"]),
        ("scan-to-email", "Scan to email does not send",
         "Scans never reach your inbox.",
         "Scans over 10 MB are not sent: scan at a lower resolution or in black and white. "
         "Check the address you chose.",
         ["scanner", "email"]),
        ("order-toner", "Order toner and printer supplies",
         "Get new cartridges.",
         "Order toner in the store under *Supplies*; the printer's model is on the label on "
         "its front.",
         ["printer", "toner", "order"]),
        ("printer-fleet", "The new printer fleet",
         "Printers replaced in the spring.",
         "Every floor gets a new multifunction printer.",
         ["printer"], {"status": DRAFT}),
    ),
    *_docs(
        "Network and VPN",
        ("vpn-connect", "Connect to the VPN",
         "Reach company systems from home.",
         "Open the GlobalProtect app, enter vpn.northwind.example as the portal and sign in "
         "with your company account and two-factor.",
         ["vpn", "remote"]),
        ("vpn-drops", "VPN keeps disconnecting",
         "The VPN connection drops every few minutes.",
         "Frequent drops usually come from Wi-Fi power saving or an unstable home connection. "
         "Turn off power saving for the Wi-Fi adapter, use a cable if you can, and update the "
         "VPN client. If it drops at fixed intervals, tell IT the times.",
         ["vpn", "remote", "wifi"]),
        ("office-wifi", "Connect to the office Wi-Fi",
         "Which network to use in the office.",
         "Company laptops connect to *Northwind* automatically. Phones use *Northwind-BYOD* "
         "with your company account.",
         ["wifi", "office"]),
        ("wifi-slow", "Slow or unstable Wi-Fi",
         "Poor wireless connection.",
         "Use the 5 GHz network, move closer to the access point and restart your router at "
         "home. Video calls work better on a cable.",
         ["wifi", "network"]),
        ("guest-wifi", "Guest Wi-Fi for visitors",
         "Internet for visitors.",
         "Visitors connect to *Northwind-Guest* with the daily password shown at reception.",
         ["wifi", "guests"]),
        ("wired-no-internet", "No internet on a wired desk",
         "A desk's network port does not work.",
         "Check that the cable clicks into the port and try the desk's other port. Ports are "
         "labelled; tell IT the label of one that does not work.",
         ["network", "office"]),
        ("old-vpn-client", "Connect with the Cisco AnyConnect client",
         "The VPN client used until 2025.",
         "Open AnyConnect and connect to vpn-old.northwind.example.",
         ["vpn"], {"status": ARCHIVED}),
    ),
    *_docs(
        "Email and calendar clients",
        ("outlook-setup", "Add your mailbox to Outlook",
         "Set up company mail in Outlook.",
         "Open Outlook, choose *Add account*, enter your company email and sign in. Outlook "
         "finds the settings itself.",
         ["outlook", "email", "setup"]),
        ("outlook-not-receiving", "Outlook is not receiving new mail",
         "New messages show on the phone or on the web but not in Outlook.",
         "Check that Outlook is not in *Work offline* mode (the *Send/Receive* tab). Restart "
         "Outlook; if mail still does not come, the local mailbox file may be damaged: close "
         "Outlook, rename the .ost file and start it again to download a fresh copy.",
         ["outlook", "email", "sync"]),
        ("mailbox-full", "Mailbox full",
         "Free up space when your mailbox is over its quota.",
         "Empty *Deleted items*, delete large attachments (sort by size) and turn on the "
         "online archive. A full mailbox can send but not receive.",
         ["email", "quota"]),
        ("shared-mailbox", "Open a shared mailbox",
         "Read and send from a team address.",
         "Once IT gives you access, the shared mailbox appears in Outlook's folder list within "
         "an hour. To send from it, choose it in the *From* field.",
         ["email", "outlook", "shared"]),
        ("email-signature", "Set up your email signature",
         "The company signature in Outlook.",
         "Copy the template from the intranet and paste it under *Settings › Mail › "
         "Signatures*.",
         ["email", "signature"]),
        ("out-of-office", "Set an automatic out-of-office reply",
         "Let people know you are away.",
         "In Outlook choose *File › Automatic replies*, set the dates and write a message for "
         "people inside and outside the company.",
         ["email", "outlook"]),
        ("report-phishing", "Report a phishing email",
         "What to do with a suspicious email.",
         "Do not click links or open attachments. Use the *Report phishing* button in Outlook; "
         "if you already clicked, call the IT service desk at once.",
         ["security", "email", "phishing"]),
    ),
    *_docs(
        "Phones and headsets",
        ("headset-microphone", "Headset microphone not working in calls",
         "Others cannot hear you in Teams or Zoom.",
         "In the meeting app's audio settings pick the headset as the microphone, not the "
         "laptop's built-in one. On a Mac allow microphone access under *Privacy & "
         "Security*. Check the mute switch on the headset's cable or earcup.",
         ["headset", "microphone", "teams"]),
        ("bluetooth-pairing", "Pair a Bluetooth headset",
         "Connect a wireless headset.",
         "Hold the headset's power button until the light flashes, then choose it in your "
         "computer's Bluetooth settings.",
         ["headset", "bluetooth"]),
        ("desk-phone", "Desk phone shows \"No service\"",
         "The desk phone does not register.",
         "Check that the network cable is in the phone's LAN port and restart the phone by "
         "unplugging it for ten seconds.",
         ["phone"]),
        ("mobile-email", "Company email on your mobile phone",
         "Read work mail on your phone.",
         "Install Outlook from the app store and sign in with your company account; the phone "
         "must accept the company's device policy.",
         ["email", "mobile", "phone"]),
    ),
    *_docs(
        "Software and licences",
        ("install-software", "Request or install software",
         "Get the apps you need.",
         "Standard apps install from the *Company Portal* app. For anything else, request it "
         "in the portal; IT checks the licence and security first.",
         ["software", "install"]),
        ("office-unlicensed", "Office says \"Unlicensed product\"",
         "Word or Excel will not let you edit.",
         "Sign out of Office (*File › Account › Sign out*), restart and sign in with your "
         "company account. Licences are checked every few days.",
         ["office", "licence"]),
        ("antivirus-blocked", "Antivirus blocked a file",
         "A download or attachment was quarantined.",
         "Do not turn the antivirus off. If you trust the file, send IT its name and where it "
         "came from to have it checked and released.",
         ["security", "antivirus"]),
        ("windows-updates", "Windows updates stuck or failing",
         "Updates that never finish.",
         "Restart and let the update finish while plugged in. If it fails again, run the "
         "Windows Update troubleshooter and send IT the error code.",
         ["windows", "updates"]),
        ("map-drive", "Map a shared network drive",
         "Open team folders on the file server.",
         "In File Explorer choose *This PC › Map network drive* and enter the folder's path "
         "from the intranet.",
         ["files", "network"]),
        ("recover-file", "Recover a deleted or overwritten file",
         "Get an earlier version of a file back.",
         "Files on OneDrive and SharePoint keep their earlier versions: right-click the file "
         "and choose *Version history*. Deleted files stay in the recycle bin for 93 days. The "
         "shared drives are backed up every night for 30 days: ask IT to restore a folder.",
         ["files", "restore", "onedrive"]),
    ),
    # --- Orders and shipping ------------------------------------------------------------------
    *_docs(
        "Order status",
        ("track-order", "Track your order",
         "Where your order is and when it arrives.",
         "When your order ships we email a tracking number and a link to the carrier's page. "
         "You also find the tracking link under *My orders* in the store: open the order and "
         "choose *Track shipment*.",
         ["order", "tracking", "shipping"]),
        ("no-order-confirmation", "No order confirmation email",
         "You ordered but got no confirmation.",
         "Confirmations are sent within minutes. Check your spam folder and *My orders* in the "
         "store; if the order is not there, it was not placed.",
         ["order", "email"]),
        ("change-or-cancel-order", "Change or cancel an order",
         "Change items or cancel before it ships.",
         "Orders can be changed or cancelled under *My orders* until they are packed, usually "
         "within an hour of ordering. After that, refuse the delivery or return the items.",
         ["order", "cancel"]),
        ("order-processing", "Order still processing after several days",
         "An order that has not shipped yet.",
         "An order stays in *Processing* while an item is on backorder or the payment is being "
         "verified. We email you if an item is delayed more than five days.",
         ["order", "backorder"]),
        ("backorder", "Items on backorder",
         "When an item is out of stock.",
         "Backordered items ship as soon as they arrive in our warehouse; the expected date is "
         "on the product page and in *My orders*.",
         ["order", "backorder", "stock"]),
        ("split-shipment", "Only part of the order arrived",
         "Orders shipped in several parcels.",
         "Large orders and orders with items from different warehouses ship in several "
         "parcels, each with its own tracking number in *My orders*.",
         ["order", "shipping", "parcel"]),
        ("change-delivery-address", "Change the delivery address",
         "Send an order somewhere else.",
         "Before the order is packed, change the address under *My orders*. After it ships, "
         "ask the carrier to redirect it from the tracking page.",
         ["order", "address", "delivery"]),
        ("bulk-quote", "Request a quote for a large order",
         "Prices for 25 or more devices.",
         "For 25 or more of one device, ask for a quote from the product page; our sales team "
         "answers within a day with volume pricing and delivery dates.",
         ["order", "quote", "sales"]),
        ("order-hotline", "Order status by phone",
         "The order hotline, closed since 2025.",
         "Call the order hotline with your order number for its status.",
         ["order", "phone"], {"status": ARCHIVED}),
    ),
    *_docs(
        "Delivery",
        ("delivery-times", "Delivery times and shipping costs",
         "How long delivery takes and what it costs.",
         "Orders placed by 15:00 on a working day ship the same day. Standard delivery takes 1 "
         "to 3 working days and is free over 100 EUR.",
         ["delivery", "shipping"]),
        ("express-delivery", "Express and next-day delivery",
         "Faster delivery options.",
         "Choose express at checkout for delivery the next working day before noon, if you "
         "order by 15:00.",
         ["delivery", "express"]),
        ("missed-delivery", "Missed delivery",
         "You were out when the carrier came.",
         "The carrier leaves a card and tries again the next working day, or takes the parcel "
         "to a pick-up point. Arrange a new date on the carrier's tracking page.",
         ["delivery", "carrier"]),
        ("tracking-stuck", "Tracking has not updated for days",
         "The tracking page shows no news.",
         "Tracking sometimes shows no scan while a parcel travels between depots. If it has "
         "not moved for five working days, tell us and we open an enquiry with the carrier.",
         ["tracking", "delivery"]),
        ("delivered-not-received", "Parcel marked as delivered but not received",
         "The tracking says delivered but you have nothing.",
         "Check with neighbours, your reception or mail room, and the safe places the carrier "
         "uses; sometimes a parcel is scanned as delivered a day early. If it has not turned "
         "up after 48 hours, tell us: we open an investigation with the carrier and send a "
         "replacement or refund when it ends.",
         ["delivery", "tracking", "missing"]),
        ("lockers-po-boxes", "Delivering to PO boxes and parcel lockers",
         "Where we can deliver.",
         "We deliver to parcel lockers and pick-up points for parcels under 20 kg, but not to "
         "PO boxes.",
         ["delivery", "address"]),
        ("wrong-address", "Parcel delivered to the wrong address",
         "The carrier left it somewhere else.",
         "If the tracking shows another address than yours, tell us the same day; we ask the "
         "carrier to collect it.",
         ["delivery", "carrier"]),
        ("carrier-claim", "Filing a claim with the carrier (agents)",
         "Damage and loss claims.",
         "File the claim in the carrier's portal within seven days with the customer's photos "
         "and the tracking number.",
         ["carrier", "agents", "damage"], {"visibility": INTERNAL}),
    ),
    *_docs(
        "Returns and exchanges",
        ("return-policy", "Return policy",
         "What you can return and until when.",
         "You can return items within 30 days of delivery, unused and in their original "
         "packaging. Opened software and consumables such as toner cannot be returned.",
         ["returns", "policy"]),
        ("start-return", "Start a return",
         "Send an item back.",
         "Go to *My orders*, choose the order and *Return items*, select what you send back and "
         "why. We email a prepaid return label; pack the items, stick the label on and drop "
         "the parcel at any post office.",
         ["returns", "label"]),
        ("return-label", "Print a return label",
         "The label for sending items back.",
         "The label is in the email we sent when you started the return, and under *My "
         "orders › Returns*. No printer? Show the QR code at the post office.",
         ["returns", "label"]),
        ("exchange-item", "Exchange an item for another model",
         "Swap an item instead of returning it.",
         "Start a return and choose *Exchange* as the reason; pick the new item. We ship it "
         "when the return is scanned by the carrier.",
         ["returns", "exchange"]),
        ("return-refund-status", "Refund for a returned item",
         "When you get your money back after a return.",
         "We inspect returns within five working days of receiving them and refund to the "
         "original payment method; your bank may take a few more days.",
         ["returns", "refund"]),
        ("return-costs", "Who pays for return shipping",
         "Return shipping costs.",
         "Returns within 30 days are free. Returns of business orders over 25 items are "
         "collected by our carrier.",
         ["returns", "shipping"]),
        ("replacement-shipping", "Sending a free replacement (agents)",
         "When agents may ship a replacement before the return.",
         "For damaged or dead-on-arrival items under 300 EUR, ship the replacement at once; "
         "above that, wait for the photos.",
         ["returns", "agents"], {"visibility": INTERNAL}),
        ("new-returns-portal", "The new returns portal",
         "Returns without signing in (coming soon).",
         "Start a return with your order number and postcode.",
         ["returns"], {"status": DRAFT}),
    ),
    *_docs(
        "Damaged or missing items",
        ("damaged-item", "Item arrived damaged",
         "Broken items and damaged parcels.",
         "Take photos of the item, the box and the shipping label, and send them to us within "
         "48 hours of delivery. We send a replacement or refund without you having to return "
         "the broken item first.",
         ["damaged", "delivery", "replacement"]),
        ("wrong-item", "Received the wrong item",
         "The parcel has something you did not order.",
         "Send us a photo of the item and its label. We ship the right item and a prepaid "
         "label for the wrong one.",
         ["order", "wrong item"]),
        ("missing-item", "Item missing from the parcel",
         "Something is not in the box.",
         "Check the packing slip: items marked *shipped separately* come in another parcel. If "
         "an item on the slip is not in the box, tell us within seven days.",
         ["order", "missing"]),
        ("dead-on-arrival", "Device does not work out of the box",
         "A new device that is faulty on arrival.",
         "If a device does not work within 14 days of delivery, we replace it: start a return "
         "with the reason *Faulty*. Tell us what you tried so we can test it.",
         ["faulty", "replacement", "hardware"]),
        ("warranty-repair", "Warranty repairs",
         "Repairs during the two-year warranty.",
         "All hardware has a two-year warranty. Start a warranty request under *My orders*; we "
         "send a box and repair or replace the device within ten working days.",
         ["warranty", "repair", "hardware"]),
    ),
    *_docs(
        "International and customs",
        ("customs-duties", "Customs duties and import taxes",
         "Extra charges for orders outside the EU.",
         "Orders to countries outside the EU may be charged import duties and VAT by the "
         "destination country, collected by the carrier on delivery.",
         ["customs", "international"]),
        ("shipping-countries", "Countries we ship to",
         "Where we deliver.",
         "We ship to the EU, the United Kingdom, Switzerland and Norway.",
         ["shipping", "international"]),
        ("held-at-customs", "Parcel held at customs",
         "Customs stopped your parcel.",
         "Customs may ask for the invoice or the recipient's tax number. Answer the carrier's "
         "message with them; we can send the invoice again.",
         ["customs", "delivery"]),
        ("vat-free-export", "VAT-free orders for businesses outside the EU",
         "Buying without VAT from abroad.",
         "Business customers outside the EU buy without VAT when they enter their company's "
         "tax number at checkout.",
         ["vat", "international", "business"]),
    ),
]

# Extra picklist values this desk added to the defaults, for its store and IT cases.
PICKLISTS: dict[str, tuple[str, ...]] = {
    "Orders": ("Delivery", "Returns", "Damaged item"),
    "IT": ("Hardware", "Network", "Email"),
}


@dataclass(frozen=True)
class CaseDoc:
    expected: str  # the key of the article that answers the case
    subject: str
    description: str = ""
    category: str = ""
    subcategory: str = ""
    message: str = ""  # the customer's follow-up, through `case_customer_reply`


CASES: list[CaseDoc] = [
    # --- sign-in and accounts -----------------------------------------------------------------
    CaseDoc("reset-password", "cant log in",
            "I forgot my pasword and now I cant get into my account. Is there a way to get a "
            "new one? thanks", "Technical", "Login"),
    CaseDoc("reset-email-missing", "Password reset link never arrives",
            "I've clicked on forgot password like 5 times today and no email ever shows up. "
            "Checked my inbox and nothing. Our IT uses Mimecast if that matters."),
    CaseDoc("account-locked", "Locked out!!",
            "It says my account is locked after I typed the wrong password a few times. I need "
            "to get in before my 2pm meeting, please help"),
    CaseDoc("lost-2fa-device", "new phone, can't get past the 6 digit code screen",
            "I got a new iPhone over the weekend and didn't move the authenticator app over. "
            "Now the login asks for the code and I don't have it anymore."),
    CaseDoc("2fa-code-rejected", "Verification code keeps saying invalid",
            "The code from my authenticator app is always rejected, even when I type it "
            "really fast. It started after I came back from a trip to New York.",
            "Technical", "Login"),
    CaseDoc("sso-invalid-response", "Okta login error for the whole company",
            "Since this morning everybody gets 'Invalid SAML response' when signing in through "
            "Okta. Nothing changed on our side as far as I know, although our identity admin "
            "says a certificate was renewed last week?", "Technical", "Login"),
    CaseDoc("invitation-expired", "invite for new colleague doesnt work",
            "I invited our new designer last Monday but when she clicks the link today it says "
            "the invitation is no longer valid.", "Account", "Users and roles"),
    CaseDoc("remove-user", "Former employee",
            "John left the company end of last month. How do I take him out of the workspace "
            "so we don't keep paying for him? His tasks should stay where they are.",
            "Account", "Users and roles"),
    CaseDoc("session-length", "Keeps logging me out",
            "Every morning I have to sign in again even though I ticked the box to stay "
            "signed in. Very annoying, is this normal??"),
    CaseDoc("due-date-off", "Dates are wrong",
            "All the due dates on my tasks show a day earlier than what my colleague in Sydney "
            "sees on hers. Which one is right? We keep missing deadlines because of this."),
    # --- billing ------------------------------------------------------------------------------
    CaseDoc("download-invoices", "Invoice copies for 2025",
            "Hi, our accountant needs copies of all invoices from last year as PDF for the "
            "audit. Where can I get them?", "Billing", "Invoice"),
    CaseDoc("invoice-vat", "Why are you charging us VAT?",
            "We are a business in Germany and entered our VAT number when we signed up, but "
            "the last three invoices have 23% Irish VAT on them. Our accounting says it should "
            "be reverse charge.", "Billing", "Invoice"),
    CaseDoc("invoice-details", "Company name changed",
            "We changed our company name from Acme GmbH to Acme Group GmbH and moved offices. "
            "Can the invoices show the new name and adress please? Also the March one if "
            "possible."),
    CaseDoc("payment-declined", "Payment failed",
            "Our payment failed this month, the card is valid and has enough money on it. The "
            "bank says they didn't block anything. What's going on? We don't want to lose "
            "access.", "Billing", "Payment method"),
    CaseDoc("duplicate-charge", "charged 2x in october",
            "I see two charges of 240 EUR on my credit card statement for October. Please give "
            "back one of them."),
    CaseDoc("refund-policy", "Can we get our money back?",
            "We bought the yearly plan 10 days ago by mistake, we only wanted to pay monthly. "
            "Is it possible to get a refund?", "Billing", "Refund"),
    CaseDoc("refund-timing", "Where is my money?",
            "You confirmed the refund last week but it's still not on my Visa. How long does "
            "this take??", "Billing", "Refund",
            message="Still nothing on my card statement today. Can you tell me when the "
                    "refund will show up?"),
    CaseDoc("add-seats", "Adding 5 more users",
            "We're growing and need 5 extra licenses on the Team plan. Will we be charged the "
            "full month for them if we add them now, mid-month?", "Billing", "Pricing"),
    CaseDoc("cancel-subscription", "Please cancel",
            "Please cancel our subscripton at the end of this month. We moved to another tool. "
            "Thanks for everything.", "Account", "Cancellation"),
    CaseDoc("read-only-unpaid", "Can't edit anything!!",
            "None of us can edit tasks anymore, there's a yellow banner saying the workspace "
            "is read only. We didn't change any settings. Is this a bug?"),
    CaseDoc("pay-by-transfer", "Paying without a credit card",
            "Our finance department doesn't allow company credit cards. Can we pay by wire "
            "transfer against an invoice instead? We have 40 seats on an annual plan.",
            "Billing", "Payment method"),
    CaseDoc("nonprofit-discount", "Pricing for charities",
            "We are a small registered charity working with refugees. Do you have special "
            "pricing for non profits? The Team plan is a bit above our budget."),
    # --- the Workspace app --------------------------------------------------------------------
    CaseDoc("restore-from-trash", "Project deleted by accident",
            "A colleague deleted our whole 'Website relaunch' project yesterday by mistake. Is "
            "there any way to get it back??? Months of work are in there."),
    CaseDoc("import-skipped-rows", "Import problem",
            "Hello, I'm trying to bring our task list over from Excel. I saved it as CSV like "
            "the help says and imported it into the Marketing project. The file has about 800 "
            "rows but only 412 tasks showed up and there was no error message at all. Some "
            "of the dates are written like 31/12/2025 and some like 2025-12-31 because "
            "different people filled in the sheet over the years, and a few rows have "
            "umlauts in the names (we are a Swiss company). I tried it twice with the same "
            "result. Could you tell me what happened to the other rows? Thanks a lot, Petra",
            "Technical", "Data import"),
    CaseDoc("import-other-tools", "Moving from Trello",
            "We are moving our team from Trello. Is there a way to bring our boards over "
            "without copy pasting every single card?", "Onboarding", "Setup"),
    CaseDoc("upload-fails", "Upload stuck",
            "When I try to upload a video to a task the progress bar goes to 99% and then "
            "nothing happens. Small files work fine. I'm at the office on the company "
            "network."),
    CaseDoc("notification-emails-missing", "not getting any emails from you anymore",
            "I don't get notified anymore when someone assigns me a task or comments. I used to "
            "get emails for that. Checked spam already."),
    CaseDoc("daily-digest", "Too many emails",
            "I get like 50 emails a day from the app, every comment is a separate mail. Can I "
            "get one summary per day instead?"),
    CaseDoc("calendar-feed-stale", "Google calender not showing new tasks",
            "I subscribed to my tasks in Google Calendar but new due dates don't show up, only "
            "the ones from when I set it up two days ago."),
    CaseDoc("report-totals-differ", "Numbers don't add up",
            "The completed tasks widget on our dashboard says 134 for last month but when I "
            "filter the task list myself I count 151. Which is correct? I need this for the "
            "board meeting on Thursday.", "General", "How-to"),
    CaseDoc("mobile-crash", "App crashes on android",
            "since the last update the app just closes right after the splash screen on my "
            "Samsung. Already reinstalled it twice."),
    CaseDoc("recurring-tasks", "Weekly task",
            "how do I make a task that comes back every monday? like our weekly report",
            "General", "How-to"),
    CaseDoc("status-page", "Is something down?",
            "Pages take more than 10 seconds to load for the whole team since about 9am, in "
            "every browser. Is there an outage on your side?", "Technical", "Performance"),
    CaseDoc("storage-full", "Can't upload files",
            "We can't upload anything anymore, the app says we reached our storage limit. "
            "What are our options?"),
    # --- integrations -------------------------------------------------------------------------
    CaseDoc("api-rate-limits", "API errors 429",
            "Our nightly sync script started getting HTTP 429 Too Many Requests errors after "
            "we added more projects. It worked fine for a year.", "Technical", "Integration"),
    CaseDoc("webhook-failures", "No webhooks since Friday",
            "We haven't received any webhook calls since Friday. Our endpoint is up and "
            "running, we checked the logs. Did you disable something?", "Technical",
            "Integration"),
    CaseDoc("slack-stopped", "Slack messages stopped",
            "The integration used to post every new task in our #projects channel but it "
            "stopped about a week ago. Nobody changed anything as far as I know."),
    CaseDoc("salesforce", "Salesforce not syncing",
            "Opportunities are not coming over from Salesforce anymore. The integrations page "
            "shows a red error: insufficient access rights on object.", "Technical",
            "Integration"),
    # --- IT and hardware ----------------------------------------------------------------------
    CaseDoc("laptop-no-power", "Laptop won't start",
            "My laptop is completely dead this morning. No lights, nothing happens when I press "
            "the power button. It was plugged in all night.", "IT", "Hardware"),
    CaseDoc("printer-offline", "cant print",
            "The printer on the 2nd floor says offline on my computer but my colleagues can "
            "print to it without problems.", "IT", "Hardware"),
    CaseDoc("vpn-drops", "VPN keeps dropping",
            "Working from home this week and the VPN disconnects every 10-15 minutes, then I "
            "have to log in again. Very frustrating during calls.", "IT", "Network"),
    CaseDoc("dock-monitors", "Screens not working with new dock",
            "I got the new USB-C dock yesterday but my two screens stay black. The laptop "
            "charges through it though, so it's not dead.", "IT", "Hardware"),
    CaseDoc("outlook-not-receiving", "Outlook not getting emails",
            "Outlook hasn't received new mail since yesterday afternoon, but I can see the new "
            "messages on my phone.", "IT", "Email"),
    CaseDoc("bitlocker-key", "Laptop asking for recovery key",
            "After the update last night my laptop asks for a recovery key when it starts, on "
            "a blue screen. I never got any key from anyone. What do I do? I can't work.",
            "IT", "Hardware"),
    CaseDoc("headset-microphone", "People can't hear me on Teams",
            "In meetings nobody can hear me. My headset works fine for music but the mic "
            "doesn't seem to do anything. It's a Jabra Evolve.",
            message="Tried another USB port too, same thing. The little light on the headset "
                    "is on."),
    CaseDoc("recover-file", "Overwrote an Excel file",
            "I accidentally saved over an important spreadsheet on OneDrive this morning. Can "
            "I get yesterday's version back somehow?"),
    # --- orders and shipping ------------------------------------------------------------------
    CaseDoc("track-order", "Where is my order?",
            "Order 58213 says shipped since Tuesday but where is it now? The email didn't have "
            "any link in it.", "Orders", "Delivery"),
    CaseDoc("delivered-not-received", "Package says delivered but isnt here",
            "Tracking shows delivered yesterday at 14:02 but there is no parcel. Not at our "
            "reception, not with the neighbours.", "Orders", "Delivery",
            message="Still nothing today. Our office manager checked the mail room again."),
    CaseDoc("damaged-item", "Monitor arrived broken",
            "The monitor we received has a cracked screen, and the box was dented too. I have "
            "photos. We need a replacement asap please.", "Orders", "Damaged item"),
    CaseDoc("start-return", "Send back headset",
            "I'd like to send back the headset I bought, it doesn't fit well. How do I do that? "
            "I've had it for 2 weeks.", "Orders", "Returns"),
]


def _categories(tenant: Tenant) -> dict[str, KbCategory]:
    """The tree, by subcategory name."""
    leaves: dict[str, KbCategory] = {}
    for position, (top, subs) in enumerate(TREE.items()):
        parent = KbCategory.objects.create(tenant=tenant, name=top, slug=top.lower()[:50],
                                           position=position, created_at=WHEN)
        for sub_position, sub in enumerate(subs):
            leaves[sub] = KbCategory.objects.create(
                tenant=tenant, name=sub, slug=sub.lower()[:50], parent=parent,
                position=sub_position, created_at=WHEN)
    return leaves


def load_articles(tenant: Tenant) -> dict[str, Article]:
    """The 200 articles written for `tenant` and indexed, by key (the slug)."""
    leaves = _categories(tenant)
    articles = {}
    for doc in ARTICLES:
        article = Article.objects.create(
            tenant=tenant, title=doc.title, slug=doc.key, summary=doc.summary, body=doc.body,
            body_html=doc.body, category=leaves[doc.category], tags=list(doc.tags),
            language="en", visibility=doc.visibility, status=doc.status,
            version=0 if doc.status == DRAFT else 1,
            published_at=None if doc.status == DRAFT else WHEN, created_at=WHEN,
            updated_at=WHEN)
        index_article(article)
        articles[doc.key] = article
    return articles


def make_cases(tenant: Tenant) -> list[tuple[Case, CaseDoc]]:
    """The 50 cases, made through the cases services as a channel makes them (with the
    desk's extra picklist values), each customer follow-up as a customer reply."""
    for category, subcategories in PICKLISTS.items():
        picklist_value_add(tenant=tenant, kind="category", value=category)
        for sub in subcategories:
            picklist_value_add(tenant=tenant, kind="subcategory", value=sub, parent=category)
    made = []
    for k, doc in enumerate(CASES):
        case = make_case(tenant, subject=doc.subject, description=doc.description,
                         category=doc.category, subcategory=doc.subcategory, source="email",
                         now=CASES_AT)
        if doc.message:
            case, _ = case_customer_reply(
                case=case, now=CASES_AT,
                message=CustomerMessage(body=doc.message, author_email=f"c{k}@customer.test"))
        made.append((case, doc))
    return made
