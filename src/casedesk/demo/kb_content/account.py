"""The demo knowledge base's account articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

ACCOUNT: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "deactivate-or-reactivate-user", "Remove a former employee's access (and reactivate a "
        "user)",
        ("Account", "Access & security"),
        "When someone leaves, deactivate their user: they can no longer sign in, their open "
        "cases move to a colleague, and their history stays. Reactivating brings it all back.",
        """\
When an agent leaves your company, **deactivate** their user rather than deleting it. They
can no longer sign in or use the API, their seat is freed, and every case, note and report
keeps their name.

## Deactivate a user

1. Go to **Settings › Users** and open the user.
2. Click **Deactivate**.
3. Choose who takes over their **open cases**: a colleague, or their queue (the cases go back
   to the queue unassigned).
4. Confirm. Active sessions and API tokens of the user end at once.

If your company uses SSO, also remove the person in your identity provider, so they cannot
be created again at the next sign-in.

## Reactivate a user

Deactivated by mistake, or the person is back?

1. Go to **Settings › Users**, filter on **Deactivated** and open the user.
2. Click **Reactivate**. They keep their old cases, history and settings, and need a free
   seat.
3. They sign in with their old password or SSO. If they no longer know the password, send a
   reset from the same page.

Cases that were handed over when the user was deactivated stay with the colleague who took
them.
""",
        ("access", "users", "offboarding"), ("access",), "maya",
    ),
    ArticleSpec(
        "transfer-workspace-ownership", "Transfer workspace ownership to a new admin",
        ("Account", "Access & security"),
        "Make a new colleague the owner of your workspace when your IT admin changes; what the "
        "owner can do that other admins cannot, and what we need if the owner has left.",
        """\
Every workspace has exactly one **owner**. The owner is an admin who can also change the
subscription, delete the workspace and transfer ownership.

## Transfer ownership (the owner is still here)

1. Make sure the new owner has a user with the **Admin** role.
2. Sign in as the owner and go to **Settings › Workspace › Ownership**.
3. Choose the new owner and confirm with your password.

The new owner gets an e-mail confirming the change. You stay an admin until someone changes
your role.

## The owner has left

If the owner's user is deactivated or nobody knows their password, we transfer ownership for
you. For your security we need:

| What | Why |
| --- | --- |
| A request from an admin of the workspace | Only people with access can ask |
| A second contact's confirmation, or our call to the billing phone | Nobody takes over alone |
| The new owner's name and e-mail | They must already be an admin |

Open a case with these details and copy in the new owner. Transfers are done within one
business day of the confirmation.
""",
        ("access", "owner", "admin"), ("access",), "maya",
    ),
    ArticleSpec(
        "roles-and-permissions", "Roles: Admin, Manager, Agent and Viewer",
        ("Account", "Users & roles"),
        "What each role can do, how to give someone read-only access (Viewer), and why a "
        "manager only sees the cases of the agents who report to them.",
        """\
Each user has one role. Change it under **Settings › Users › (user) › Role**.

| Role | Can |
| --- | --- |
| Admin | Everything, including settings, users and billing |
| Manager | Work cases, see their team's cases and scorecard, edit articles |
| Agent | Work cases in their queues, write notes and replies, draft articles |
| Viewer | Read and search cases and articles; change nothing |

## Read-only access for finance or leadership

Give them the **Viewer** role. Viewers can open and search every case of the queues they
belong to and export lists, but cannot reply, change a field or see settings. Viewers do not
need an agent seat: each plan includes five free viewers.

## Why a manager's dashboard is empty

Managers see the cases of **the agents who report to them**. A new manager's dashboard is
empty until agents have them as their manager:

1. Open **Settings › Users** and select the agents of the team.
2. Click **Set manager** and choose the manager.

The dashboard fills in at once, including cases the agents already own.

## Custom roles

On the Enterprise plan you can create roles of your own under **Settings › Roles**, starting
from one of the four above.
""",
        ("users", "roles", "permissions", "viewer"), ("roles",), "maya",
        update="""
## Who can change roles

Only admins can change roles, and the owner's role cannot be changed by anyone but the owner.
""",
    ),
    ArticleSpec(
        "invite-agents-in-bulk", "Invite several agents at once",
        ("Account", "Users & roles"),
        "Onboarding a group of new agents: paste their addresses into Settings › Users › "
        "Invite, pick their role and queues, and check you have seats for all of them.",
        """\
You can invite up to 100 people in one go.

## Invite

1. Go to **Settings › Users** and click **Invite**.
2. Paste the e-mail addresses, one per line or separated by commas.
3. Choose their **role** (usually Agent) and the **queues** they will work.
4. Optionally set their **manager**, so their cases appear on the manager's dashboard.
5. Click **Send invitations**.

Each person gets an e-mail with a link that is valid for 7 days. Pending invitations are
listed under **Settings › Users › Invitations**, where you can re-send or cancel them.

## Seats

Every agent needs a seat. The invite page shows how many seats are free; if you invite more
people than that, you are asked to add seats first (pro-rated to your renewal date: see [Add
agent seats](/portal/demo/kb/add-agent-seats)). Invitations do not use a seat until they are
accepted.

## With single sign-on

If your workspace requires SSO, invited users sign in with your identity provider. You can
skip invitations entirely by switching on **Create users on first sign-in** under
**Settings › Security › Single sign-on**.
""",
        ("users", "invite", "onboarding", "seats"), ("roles",), "priya",
    ),
    ArticleSpec(
        "cancel-subscription", "Cancel your subscription",
        ("Account", "Cancellation"),
        "Cancel at the end of your current term: what happens to your workspace and data, and "
        "how to change your mind before the term ends.",
        """\
You can cancel at any time. Cancellation takes effect **at the end of your current term**;
until then you keep full access and nothing changes.

## Cancel

1. Sign in as the workspace owner and go to **Settings › Billing › Subscription**.
2. Click **Cancel subscription** and tell us why (optional, but it helps us improve).
3. Confirm. You get an e-mail with the date your subscription ends.

Annual plans are not refunded for the rest of the term; see the [refund
policy](/portal/demo/kb/refund-policy).

## After the term ends

| When | What happens |
| --- | --- |
| Last day of the term | Workspace becomes read-only; mail is no longer turned into cases |
| 30 days later | Workspace and data are deleted; backups within another 30 days |

Export your data before the term ends: see [Export your data before closing your
account](/portal/demo/kb/export-before-closing).

## Changed your mind?

Until the last day, click **Resume subscription** on the same page. Nothing is lost.

On invoice billing, tell us in a case as well, so we do not send the renewal invoice.
""",
        ("cancellation", "subscription"), ("cancel",), "lucas",
    ),
    ArticleSpec(
        "export-before-closing", "Export your data before closing your account",
        ("Account", "Cancellation"),
        "A full export of your cases, notes, contacts and attachments: how to request it, what "
        "the files contain and how long the download stays available.",
        """\
Before you close your account, you can download everything your workspace holds.

## Request a full export

1. Sign in as an admin and go to **Settings › Workspace › Data export**.
2. Choose **Full export**. It contains:
   - cases with all fields, custom fields and tags (CSV and JSON),
   - notes, replies and the timeline of each case (JSON),
   - contacts and accounts (CSV),
   - attachments, in folders named by case number (ZIP),
   - knowledge-base articles as Markdown files.
3. Click **Start export**. Large workspaces take up to a few hours.

You get an e-mail with a download link when it is ready. The link stays valid for **30
days** and works only for admins of the workspace.

## Importing elsewhere

The JSON files follow our public API's format, which most helpdesk importers read. The CSV
files have a header row and are UTF-8.

## After the export

The export does not close the account. To close it, [cancel your
subscription](/portal/demo/kb/cancel-subscription); the data is deleted 30 days after the
term ends.
""",
        ("cancellation", "export", "data"), ("cancel",), "hannah",
    ),
    ArticleSpec(
        "cancellation-checklist", "Cancellation checklist for agents",
        ("Account", "Cancellation"),
        "Internal. What to do when a customer cancels: confirm the end date, refer to Finance, "
        "offer the export, and record the reason for the churn review.",
        """\
A cancellation is the last conversation we have with a customer: make it easy and correct.

## Checklist

1. **Confirm the end date** from the billing console and quote it in your reply. Do not
   argue the decision.
2. **Ask why, once**, if the customer has not said. Pick the reason in the case's *Churn
   reason* field: price, missing feature, moved to a competitor, company closed, other.
3. **Refer to Finance** (internal referral) so they stop the renewal and check open
   invoices. On invoice billing this matters most: an issued renewal invoice must be
   credited.
4. **Offer the export**: link the public article on exporting data and remind them of the
   30-day window after the term ends.
5. **Enterprise accounts**: tell the account manager before replying; they may call the
   customer.
6. Tag the case `churn-risk` if the customer is still deciding.

## Retention offers

Do not offer discounts yourself. If the reason is price and the account is Business or
Enterprise, note it and refer to Finance; see *Discount approval limits*.

## Resolve

Resolve the case once Finance has confirmed the renewal is stopped.
""",
        ("cancellation", "churn", "runbook"), ("cancel",), "maya", visibility="internal",
    ),
)
