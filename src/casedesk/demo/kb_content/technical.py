"""The demo knowledge base's technical articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

TECHNICAL: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "slow-dashboard-case-list", "Dashboard or case list is slow to load",
        ("Technical", "Performance"),
        "The dashboard or the case list takes many seconds to load, or times out. What to "
        "check on your side, and what to send us so we can find the slow query.",
        """\
The dashboard and the case list should load in about a second, even in workspaces with
hundreds of thousands of cases. If yours takes 10 seconds or more, something is wrong and we
want to know.

## Quick checks

1. **Status page**: look at [status.casedesk.example](https://status.casedesk.example) for an
   ongoing incident.
2. **One page or all?** If only the dashboard is slow, open it and note which widget loads
   last. If only a filtered case list is slow, note the filter (queue, tag, custom field).
3. **One browser or all?** Try a private window and another browser. Browser extensions
   that rewrite pages (ad blockers, translators) can slow large lists.

## Send us

- the page's address and the exact time you tried,
- whether it is slow for everyone or for some users,
- a [HAR file](/portal/demo/kb/record-har-file) of one slow load.

With that we can find the request in our logs and profile the query on your workspace's
data. Slowness that only large workspaces see is usually a missing index or a widget
counting too many cases, and we fix those in our regular releases, often within days.

## Meanwhile

Dashboards with many widgets over *All time* are the slowest. Set widgets to the last 30 or
90 days under **Edit dashboard**; your reports keep the full history.
""",
        ("performance", "slow", "dashboard"), ("performance",), "tom",
    ),
    ArticleSpec(
        "long-reports-time-out", "Reports over long date ranges time out",
        ("Technical", "Performance"),
        "Reports covering more than 90 days run in the background and arrive by e-mail. How to "
        "run quarterly and yearly reports without a timeout.",
        """\
A report that covers more than **90 days** or more than 200,000 cases can take longer than a
page is allowed to wait. Such reports run **in the background** instead.

## Run a long report

1. Open **Reports** and choose the report (for example *Cases by queue*).
2. Set the date range, for example the last quarter.
3. If the range is longer than 90 days, the button reads **Run in background**. Click it.
4. You get an e-mail with a download link when it is ready, usually within 10 minutes. The
   report also appears under **Reports › Recent exports** for 7 days.

## If a report still fails

| Symptom | What helps |
| --- | --- |
| *Timeout* on a range under 90 days | Add a filter (queue, team) or split the range |
| The e-mail never arrives | Check **Recent exports**; allowlist `mail.casedesk.example` |
| Figures differ from the dashboard | Reports use the time zone in **Settings › Workspace** |

## Board meetings and audits

For figures you need every quarter, create a **scheduled report**: it runs in the background
on the first day of each quarter and is e-mailed to the people you choose.

Tell us in a case if a report over a short range is slow: that is a bug, not a limit.
""",
        ("performance", "reports", "timeout"), ("performance",), "hannah",
    ),
    ArticleSpec(
        "connect-an-integration", "Connect Salesforce, Slack, HubSpot, Jira and other "
        "integrations",
        ("Technical", "Integrations"),
        "How to connect an integration from Settings › Integrations, which permissions (API "
        "scopes) each app asks for, and who in your company must approve it.",
        """\
Integrations show your cases where your teams already work, and bring customer data into
your cases. All of them are set up the same way.

## Connect

1. Sign in as a workspace admin and go to **Settings › Integrations**.
2. Pick the app (Salesforce, Slack, HubSpot, Jira, Zapier, Shopify, Microsoft Teams,
   QuickBooks) and click **Connect**.
3. Sign in to the other app when asked and approve the permissions.
4. Back in the workspace, choose what to sync (for example *new cases* and *status changes*)
   and click **Save**. The integration page then shows *Connected* and the time of the last
   sync.

## Permissions (API scopes)

Your security team may want to know what an app can do before approving it:

| App | Reads | Writes |
| --- | --- | --- |
| Salesforce, HubSpot | Cases, contacts, accounts | Notes on cases |
| Jira | Cases | Linked issues, comments |
| Slack, Microsoft Teams | Cases | Messages in the channels you choose |
| Zapier | What each Zap uses | What each Zap uses |

Each app asks only for the scopes in this table. We can send your security team our
data-processing summary on request.

## Disconnect

Click **Disconnect** on the integration's page. Data already synced stays in both apps.
""",
        ("integration", "salesforce", "slack", "api scopes"), ("integration_howto",), "sofia",
        update="""
## Connected by someone who left?

An integration keeps working with the account of the admin who connected it. If that person
leaves, reconnect it with your own account before their access is removed.
""",
    ),
    ArticleSpec(
        "integration-not-syncing", "Integration says “connected” but nothing syncs",
        ("Technical", "Integrations"),
        "New cases stopped appearing in Salesforce, HubSpot or Jira although the integration "
        "page says connected. Usually an expired token: reconnect, then re-sync the gap.",
        """\
If new cases stopped arriving in the other app while **Settings › Integrations** still says
*Connected*, the integration can no longer authenticate, but has not noticed yet.

## Fix it

1. Open **Settings › Integrations** and pick the app. Check **Last successful sync**: the
   problem started after that time.
2. Click **Reconnect** and sign in to the other app again. This renews the access token.
3. Click **Re-sync** and choose the start time (the last successful sync). Cases created in
   the gap are sent again; nothing is duplicated.

## Why it happens

| Cause | Typical sign |
| --- | --- |
| The other app's admin revoked the token or changed the password | Stops at a precise time |
| The user who connected it was deactivated in the other app | Stops when they left |
| The other app's API limit was reached | Partial syncs during busy hours |
| A refresh token expired (Salesforce, after 90 days unused) | Stops after a quiet period |

## Still not syncing?

Open **Integration log** on the same page: each failed attempt shows the other app's answer.
Send us the log lines and the time of a missing case in a case; we can replay the sync from
our side.
""",
        ("integration", "sync", "token"), ("integration_sync",), "sofia",
    ),
    ArticleSpec(
        "webhook-deliveries-401", "Webhook deliveries fail with HTTP 401",
        ("Technical", "Integrations"),
        "Your endpoint rejects our webhooks with 401 Unauthorized, usually after you rotated "
        "keys or secrets. Update the signing secret and retry the failed deliveries.",
        """\
Each webhook delivery is signed with your webhook's **signing secret**, in the
`X-Signature` header. Endpoints that check the signature answer **401 Unauthorized** when
the secret they expect differs from the one we sign with.

## After rotating keys

If you rotated secrets or API keys on your side, the endpoint now expects a new value:

1. Go to **Settings › Webhooks** and open the webhook.
2. Click **Rotate secret**, copy the new secret and put it into your endpoint's
   configuration. (Or paste the secret your endpoint already expects.)
3. Click **Send test event**. The delivery log should show `200`.

## Retry what failed

Failed deliveries are retried with backoff for 24 hours. For older ones, select them in
**Delivery log** and click **Retry selected**. Deliveries are retried in their original
order.

## Other 401 causes

- The endpoint sits behind a proxy that needs its own `Authorization` header: add it under
  **Custom headers**.
- The endpoint's clock is off: we reject nothing, but some libraries refuse signatures with
  a timestamp older than 5 minutes.

Want to check the signature yourself? It is an HMAC-SHA256 of the raw request body with the
signing secret, hex-encoded.
""",
        ("integration", "webhooks", "401"), ("integration_sync",), "hannah",
    ),
    ArticleSpec(
        "integration-duplicate-contacts", "Duplicate contacts created by an integration",
        ("Technical", "Integrations"),
        "An integration creates a new contact each time a customer writes in instead of "
        "matching the existing one. How matching works and how to merge the duplicates.",
        """\
When a case comes in through an integration, we look for an existing contact with the same
**e-mail address** and link the case to it. Duplicates appear when that match fails.

## Why matching fails

- The other app sends the address with different capitals (`Ana.Silva@…` vs `ana.silva@…`).
  We now match addresses case-insensitively, but duplicates made before that remain.
- The other app sends no e-mail address, only a name or a phone number.
- The contact exists in another workspace, not this one.

## Merge the duplicates

1. Go to **Contacts** and filter by **Possible duplicates**. Contacts with the same address
   (ignoring capitals) or the same name and phone number are grouped.
2. Open a group, choose the contact to keep and click **Merge**. Cases, notes and custom
   field values move to the kept contact.

Hundreds of duplicates? Open a case: we can merge them by script for the whole workspace.

## Prevent new ones

In the integration's settings, set **Match contacts by** to *E-mail, then phone*. If the
other app sends no e-mail address, map one of its fields to it under **Field mapping**.
""",
        ("integration", "contacts", "duplicates"), ("integration_sync",), "sofia",
    ),
    ArticleSpec(
        "post-urgent-cases-to-slack", "Post new urgent cases to a Slack or Teams channel",
        ("Technical", "Integrations"),
        "Use an automation with the Slack (or Microsoft Teams) action to post every new urgent "
        "case to a channel your team watches.",
        """\
Teams that live in Slack or Microsoft Teams can get new cases posted to a channel
automatically. You need the Slack (or Teams) integration connected first: see [Connect an
integration](/portal/demo/kb/connect-an-integration).

## Set up the automation

1. Go to **Settings › Automations** and click **New automation**.
2. **When**: *A case is created*.
3. **If**: *Priority is Urgent*. Add more conditions if you like, for example *Account tier
   is Enterprise*.
4. **Then**: *Post to Slack*, choose the channel (for example `#support-urgent`) and the
   message. You can use placeholders such as `{case.number}`, `{case.subject}` and
   `{case.link}`.
5. Click **Save** and **Enable**.

The message links to the case, so whoever picks it up can open it straight from the
channel.

## Tips

- Private channels: invite the app to the channel first (`/invite @casedesk`).
- To post when a case **becomes** urgent later, add a second automation with *When: Priority
  changes*.
- Avoid posting every new case to a channel: a busy channel gets muted. Urgent cases or cases
  of one queue work best.
""",
        ("integration", "slack", "automation"), ("integration_howto",), "sofia",
    ),
    ArticleSpec(
        "import-contacts-from-csv", "Import contacts from a CSV file",
        ("Technical", "Data import"),
        "Import contacts and accounts from a spreadsheet: the columns we read, the file "
        "format (UTF-8, accents, byte-order mark), and what to do with rows that are rejected.",
        """\
You can import contacts, with their accounts, from a CSV file exported from a spreadsheet or
another tool.

## Prepare the file

| Column | Required | Example |
| --- | --- | --- |
| `email` | Yes | `ana.silva@example.com` |
| `name` | Yes | `Ana Silva` |
| `phone` | No | `+44 20 7946 0123` |
| `account` | No | `Northwind Logistics` |
| `account_domain` | No | `northwind.example` |

Save the file as **CSV UTF-8**. Accented characters (é, ü, ñ) need UTF-8; with other
encodings rows are rejected with *invalid character in line …*. A byte-order mark at the
start of the file, which Excel adds, is fine.

## Import

1. Go to **Contacts › Import** and choose the file.
2. Check the preview: the first rows as they will be imported, and the column mapping.
3. Click **Import**. Large files are imported in the background; the page shows progress.

## Rejected rows

When the import ends you get a report with each rejected row, its line number and the
reason. Fix those rows in a copy of the file and import only them; existing contacts are
matched by e-mail address and updated, never duplicated.
""",
        ("import", "csv", "contacts", "utf-8"), ("import",), "priya",
        update="""
## Excel on a Mac

Choose **File › Save As › CSV UTF-8 (Comma delimited)**. The plain *CSV* option saves in the
Mac's old encoding, and accented names are then rejected.
""",
    ),
    ArticleSpec(
        "import-stuck", "An import is stuck or stopped part-way",
        ("Technical", "Data import"),
        "A large import has shown the same percentage for hours. Do not start it again: what "
        "to check, and how we finish it without duplicates.",
        """\
Imports of tens of thousands of rows run in the background and usually take a few minutes.
If the progress bar has not moved for **more than 30 minutes**, the import has stalled.

## Do not start it again yet

Rows imported so far are already in your workspace. A new import of the same file updates
them rather than duplicating them, but running two at once can make both stall.

## What to do

1. Open **Contacts › Import › History** and click the stalled import. Note its ID and the
   last row it reached.
2. Look at that row and the next few in your file. Stalls are usually caused by one odd
   value: a phone number with a tab in it, a cell with a line break, or a very long note.
3. Open a case with the import ID and, if you can, the file (or the rows around the one it
   stopped at).

We then restart the import from where it stopped, after fixing or skipping the row that
stopped it, and tell you how many rows were imported in total. You do not need to upload the
file again.

## Avoid it

Split very large files (over 100,000 rows) into several files, and remove line breaks inside
cells before you export.
""",
        ("import", "stuck", "csv"), ("import",), "priya",
    ),
    ArticleSpec(
        "import-custom-fields", "Custom fields are empty after an import",
        ("Technical", "Data import"),
        "Imported cases or contacts came through without their custom field values: the column "
        "headers must match the custom field keys, not their labels.",
        """\
An import fills a custom field only when the file's **column header matches the field's
key**. Labels, which people see in the workspace, are ignored. A column that matches no
field is skipped without an error, so the values seem to vanish.

## Find the keys

1. Go to **Settings › Fields › Custom fields**.
2. Each field shows its **key** under its label, for example:

| Label | Key |
| --- | --- |
| Region | `region` |
| Contract ID | `contract_id` |
| Renewal date | `renewal_date` |

## Fix the file

Rename the column headers to the keys (`region`, not `Region`), or map them on the import
preview: click a column's header and pick the field. The preview shows the first values of
each field, so you can check before importing.

## Values that must match

- **Picklist** fields take one of the field's choices exactly; other values are rejected
  with the row's line number.
- **Date** fields take `YYYY-MM-DD`.
- **Number** fields take digits with a dot as the decimal separator.

Imported already? Run the import again with the fixed headers: existing records are matched
and their empty fields filled in.
""",
        ("import", "custom fields"), ("import",), "priya",
    ),
    ArticleSpec(
        "export-cases-to-csv", "Export cases to CSV (and “Server error (500)” on large exports)",
        ("Technical", "Errors & troubleshooting"),
        "Export the case list to CSV, what the export contains, and why very large exports "
        "used to fail with a server error.",
        """\
You can export any case list, with its filters, to a CSV file.

## Export

1. Open **Cases** and set the filters you need (queue, status, dates).
2. Click **Export › CSV**.
3. Choose the columns: the standard fields, custom fields, and optionally the first and last
   note.

Exports of up to 10,000 cases download at once. Larger exports are prepared in the
background and e-mailed to you as a link, valid for 7 days.

## “Server error (500)” on a large export

Exports with more than 10,000 rows used to fail with *Server error (500)*
after a minute. Exports now stream row by row and have no such limit. If you still see the
error:

1. Note the exact time and the filters you used.
2. Try a smaller date range to see whether the size matters.
3. Open a case with the time of the failed attempt; we find it in our logs by that time.

## Opening the file

The file is UTF-8 with a header row. In Excel use **Data › From Text/CSV** so accented
names display correctly. Dates are in ISO format in your workspace's time zone.
""",
        ("export", "csv", "error 500"), ("error",), "hannah",
    ),
    ArticleSpec(
        "picklist-save-error", "“Something went wrong” when saving a custom field",
        ("Technical", "Errors & troubleshooting"),
        "Saving a picklist or custom field fails with “Something went wrong”. Known causes: "
        "trailing spaces, duplicate choices, very long lists.",
        """\
If **Save** on a custom field shows *Something went wrong* and nothing is saved, the field's
choices usually contain something the check did not expect.

## Check the choices

1. Open **Settings › Fields › Custom fields** and the field (for example *Region*).
2. Look for:
   - a choice with a **space at the end** (`EMEA ` next to `EMEA`),
   - two choices that differ only in capitals,
   - a choice longer than 100 characters,
   - more than 500 choices in one picklist.
3. Fix or remove them and save again.

Trailing spaces are now trimmed automatically when you save, and duplicates get
a clear message next to the choice, so *Something went wrong* should no longer appear for
them.

## Still failing?

Note the time of the attempt and the field's name, and open a case. The error has an ID at
the bottom of the message (`Error ID: …`); include it and we can find the exact cause in our
logs. A screenshot of the field's choices helps too.

Nothing you enter in a field's settings can damage existing cases: a failed save changes
nothing.
""",
        ("error", "custom fields", "picklist"), ("error",), "kenji",
    ),
    ArticleSpec(
        "attachment-size-limits", "Attachment size limits",
        ("Technical", "Errors & troubleshooting"),
        "Files up to 25 MB each can be attached to cases, by e-mail and in the workspace. What "
        "happens to larger files and how to share them.",
        """\
| Where | Limit per file | Limit per message |
| --- | --- | --- |
| Attaching in the workspace | 25 MB | 50 MB |
| E-mail to your support address | 25 MB | 35 MB |
| Customer portal and web form | 25 MB | 50 MB |

## Uploads that stop at 99%

An upload that reaches 99% and then fails is rejected by the size check after the transfer.
On some workspaces the actual limit used to be lower than documented (10 MB);
it is now 25 MB everywhere. Reload the page and try again.

## Larger files

- **Log files** compress very well: zip them first; 200 MB of logs often becomes 15 MB.
- Share large files through your company's file sharing and paste the link into the case.
- Ask us for an upload link for a single large file (up to 2 GB) in a case; it is valid for
  7 days.

## E-mails with larger attachments

An e-mail over the limit still becomes a case, without the oversized attachments. The case
shows a note naming each file that was left out, so your agent can ask for another way to
send it.

Blocked file types (`.exe`, `.js`, `.bat`) are removed from every message for safety.
""",
        ("attachments", "upload", "error"), ("error",), "alex",
    ),
    ArticleSpec(
        "runbook-server-errors", "Triage checklist for server errors (500)",
        ("Technical", "Errors & troubleshooting"),
        "Internal. What support collects before referring an error to Engineering, how to find "
        "the stack trace, and when an error is an incident.",
        """\
Engineering fixes server errors fastest when the case arrives with the facts below. Collect
them before you refer the case to the Engineering queue.

## Collect

1. **Workspace** and **user** who saw the error.
2. **Exact time** (with time zone) of one failed attempt. *This morning* is not enough.
3. **What they did**: the page, the button, the filters, the file.
4. The **Error ID** from the message, if the page showed one.
5. Can you **reproduce** it on the customer's workspace (with their permission) or on the
   internal test workspace?

## Find the trace

Search the error log for the Error ID, or for the workspace and the minute of the attempt.
Paste the first lines of the stack trace into an internal note, not into a public reply.

## Incident or bug?

| Signal | Treat as |
| --- | --- |
| Several customers, same error, same hour | Incident: page the on-call engineer |
| One customer, reproducible | Bug: refer to Engineering, priority by impact |
| One customer, not reproducible | Ask for a HAR file and the time of the next failure |

Link duplicate cases to the first one, so Engineering sees how many customers are affected.
""",
        ("error", "500", "runbook", "engineering"), ("error",), "daniel", visibility="internal",
    ),
)
