"""The demo knowledge base's general articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

GENERAL: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "save-a-filtered-view", "Save a filtered case list as a view",
        ("General", "How-to"),
        "Save the filters you use every day (queue, priority, status) as a view in the sidebar, "
        "share it with your team, and make it your start page.",
        """\
If you filter the case list the same way every day, save the filter as a **view**.

## Save a view

1. Open **Cases** and set the filters, for example *Queue: Support* and *Priority: High*.
2. Sort the list the way you want; the sort is saved too.
3. Click **Save view** above the list and give it a name, such as *My high priority*.

The view appears in the sidebar under **Views**. Click it to apply all its filters at once.

## Share it

When saving, choose **Visible to**:

| Choice | Who sees the view |
| --- | --- |
| Only me | You |
| My team | Everyone in the queues you choose |
| Everyone | All users of the workspace |

Only the view's creator and admins can change a shared view.

## Make it your start page

Open **Profile › Preferences › Start page** and pick the view. You then land on it after
signing in.

## Change or delete a view

Open the view, change the filters and click **Update view**, or use the menu next to its
name in the sidebar to rename or delete it.
""",
        ("how-to", "views", "filters"), ("howto",), "alex",
    ),
    ArticleSpec(
        "customise-notification-emails", "Customise the e-mails your customers receive",
        ("General", "How-to"),
        "Change the wording, tone and logo of the automatic e-mails customers get "
        "(acknowledgement, reply, resolution, survey) under Settings › Notifications › "
        "Templates.",
        """\
Customers receive automatic e-mails when their case is created, when you reply, and when it
is resolved. You can change all of them.

## Your logo and colours

1. Go to **Settings › Notifications › Templates** and open **Shared header**.
2. Upload your logo (PNG or SVG, at least 200 px wide) and choose the accent colour.
3. Save. Every template uses the shared header.

## The wording

Each template has a subject and a body. Use placeholders for the case's details:

| Placeholder | Becomes |
| --- | --- |
| `{{ contact.first_name }}` | The customer's first name |
| `{{ case.number }}` | The case number, e.g. CS-1042 |
| `{{ case.subject }}` | The case's subject |
| `{{ agent.name }}` | The name of the agent who replied |

Click **Preview** to see the e-mail with the details of a real case, and **Send test** to
receive it yourself.

## Tips

- Keep the case number in the subject: replies are threaded by it.
- A friendlier acknowledgement tells customers when they can expect an answer, for example
  *We usually reply within four business hours*.
- Templates can be translated: add a language under **Languages** and the customer's
  language decides which one is sent.
""",
        ("how-to", "notifications", "email templates"), ("howto",), "sofia",
    ),
    ArticleSpec(
        "merge-duplicate-cases", "Merge two cases from the same customer",
        ("General", "How-to"),
        "A customer wrote twice about the same problem: close the newer case as a duplicate of "
        "the other so the conversation continues in one place.",
        """\
Customers sometimes write to two addresses, or write again before you reply. Keep the
conversation in one case by closing the other as a duplicate.

## Close a case as a duplicate

1. Open the **newer** case.
2. Choose **Close as duplicate** in the status menu.
3. Enter the number of the case to keep, for example `CS-1042`, and optionally a note to the
   customer.
4. Confirm.

What happens:

- the duplicate is closed with the reason *Duplicate*;
- its notes and attachments are linked on the kept case's timeline;
- the customer's later replies to the duplicate are added to the kept case.

## Which one to keep

Keep the case someone is already working on. If neither has been answered, keep the older
one so SLA reports stay fair.

## Undo

A duplicate can be re-opened like any closed case within the re-open window, for example if
it turns out to be a different problem after all.

Duplicates created by an integration rather than by the customer? See [Duplicate contacts
created by an integration](/portal/demo/kb/integration-duplicate-contacts).
""",
        ("how-to", "duplicates", "merge"), ("howto",), "tom",
    ),
    ArticleSpec(
        "feature-requests", "How we handle feature requests",
        ("General", "Product feedback"),
        "Where feature requests go, how votes are counted, what the roadmap board statuses "
        "mean and when you hear back.",
        """\
Many of our features started as a customer's request. Here is what happens to yours.

## 1. Tell us

Open a case or use **Help › Suggest a feature** in the workspace. Tell us the problem you
want solved, not only the feature: *our night shift finds the bright screen tiring* helps us
more than *add dark mode*.

## 2. We log it

Your request is added to our **roadmap board**, either as a new item or as a vote on an
existing one. Votes are counted per company, and weighted by nothing but the number of
companies asking.

## 3. Statuses on the board

| Status | Means |
| --- | --- |
| Under review | We are collecting use cases |
| Planned | Scheduled for one of the next two quarters |
| In progress | Being built |
| Shipped | Available; release notes link to it |
| Not planned | We explain why |

## 4. You hear back

Everyone who voted is notified when the status changes to *Planned* or *Shipped*. We do
not promise dates for items under review.

Current favourites include dark mode, bulk editing in the case list and a PDF export of a
case timeline; see [What you can do today](/portal/demo/kb/requested-features-workarounds).
""",
        ("feature-request", "roadmap", "feedback"), ("feedback",), "maya",
    ),
    ArticleSpec(
        "requested-features-workarounds", "Dark mode, bulk editing, PDF timelines: what you can "
        "do today",
        ("General", "Product feedback"),
        "The most requested features on our roadmap (dark mode, bulk editing in the case list, "
        "exporting a case timeline as PDF) and the workarounds until they ship.",
        """\
These are the three most requested features. Each is on the roadmap board; here is how to
get most of the way there today.

## Dark mode for agents

*Status: Planned.* Until it ships, browsers can darken pages for you: in Chrome and Edge
open `chrome://flags` and enable **Auto Dark Mode for Web Contents**. Reduce eye strain on
night shifts with your operating system's night light as well.

## Bulk editing in the case list

*Status: In progress.* To move many cases to another queue today:

1. Save a [view](/portal/demo/kb/save-a-filtered-view) that lists exactly those cases.
2. Open the view's menu and choose **Move all to queue**.

Changing priority or tags for many cases at once needs the API for now: `PATCH
/api/v1/cases/{number}` for each case, which a short script can loop over.

## Export a case timeline as PDF

*Status: Under review.* For audits, the timeline API (`GET /api/v1/cases/{number}`) returns
the full history. Our sample script turns it into a printable page; print it to PDF from the
browser. Ask us for the script in a case.

Vote for any of these with **Help › Suggest a feature**, so we know you are waiting for it.
""",
        ("feature-request", "dark mode", "bulk edit", "pdf"), ("feedback",), "maya",
    ),
)


# Work in progress: agents may draft (the tenant's `kb_agents_may_draft`), managers publish.
