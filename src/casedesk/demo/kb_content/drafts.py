"""The demo knowledge base's drafts articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

DRAFTS: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "jira-field-mapping", "Map Jira fields to case fields",
        ("Technical", "Integrations"),
        "Choose which case fields fill which Jira fields when an agent creates a Jira issue "
        "from a case, and which Jira changes flow back.",
        """\
When an agent clicks **Create Jira issue** on a case, the Jira integration copies the case's
fields into the new issue. The mapping decides which field goes where.

## Edit the mapping

1. Go to **Settings › Integrations › Jira › Field mapping**.
2. For each Jira field, pick the case field that fills it:

| Jira field | Default case field |
| --- | --- |
| Summary | Subject |
| Description | Description and the latest customer message |
| Priority | Priority (Urgent → Highest) |
| Labels | Tags |

3. Custom Jira fields appear at the bottom of the list once the integration has read your
   project's fields; click **Refresh fields** after adding one in Jira.

## Changes flowing back

Status changes in Jira are added to the case as internal notes. Choose under **Sync back**
whether a Jira issue moving to *Done* should also move the case to *In progress* so the
agent can confirm the fix with the customer.

Still to add before publishing: screenshots of the mapping page, and what happens with Jira
Cloud's team-managed projects.
""",
        ("integration", "jira"), ("integration_howto",), "sofia", status="draft",
    ),
    ArticleSpec(
        "teams-channel-notifications", "Send case notifications to a Microsoft Teams channel",
        ("Technical", "Integrations"),
        "Post new or escalated cases to a Microsoft Teams channel with the Teams integration "
        "and an automation.",
        """\
The Microsoft Teams integration works like the Slack one: an automation posts a message to
the channel you choose.

## Connect Teams

1. A Microsoft 365 admin must approve the app once for your organisation: **Settings ›
   Integrations › Microsoft Teams › Connect** shows the approval link to send them.
2. After approval, connect with your own account and choose the team.

## Post cases

Create an automation with **Then: Post to Microsoft Teams**, pick the channel and write the
message with placeholders such as `{case.number}` and `{case.link}`. Messages appear as
cards with a button that opens the case.

## Differences from Slack

- Private channels are not supported by Microsoft's API for apps; use a standard channel.
- Cards cannot be edited later, so a status change posts a new message.

Draft: waiting for Engineering to confirm the private-channel limitation still applies.
""",
        ("integration", "microsoft teams"), ("integration_howto",), "hannah", status="draft",
    ),
    ArticleSpec(
        "quarterly-board-report", "Build a quarterly report for your board",
        ("General", "How-to"),
        "The five figures boards ask about (volume, first reply, resolution time, CSAT, "
        "backlog) and how to schedule a report that sends them every quarter.",
        """\
Boards and leadership teams usually ask the same five questions about support every
quarter. One scheduled report answers them.

## The figures

| Question | Report | Figure |
| --- | --- | --- |
| How busy were we? | Cases by month | Cases created |
| How fast did we answer? | SLA compliance | Median first reply |
| How fast did we solve? | SLA compliance | Median time to resolve |
| Were customers happy? | Satisfaction | CSAT score |
| Are we keeping up? | Backlog | Open cases at quarter end |

## Schedule it

1. Open **Reports**, build the first report with the range *Last quarter*.
2. Click **Schedule**, choose *Quarterly, first Monday* and add the recipients.
3. Add the other four reports to the same schedule.

Ranges over 90 days run in the background; the e-mail arrives when all five are ready.

Still to write: how to compare with the previous quarter, and an example slide.
""",
        ("reports", "how-to"), ("howto", "performance"), "priya", status="draft",
    ),
)
