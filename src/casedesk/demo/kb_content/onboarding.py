"""The demo knowledge base's onboarding articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

ONBOARDING: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "support-email-setup", "Turn your support e-mail address into cases",
        ("Onboarding", "Getting started"),
        "Forward support@yourcompany to your workspace's inbound address, add the SPF and DKIM "
        "records, and send a test message.",
        """\
Every workspace has an **inbound address**, such as `acme@in.casedesk.example`. Mail sent
there becomes a case; replies to that case are threaded into it.

## 1. Forward your address

In your mail server or provider, forward `support@yourcompany.com` to the inbound address
shown under **Settings › Mail › Inbound**.

| Provider | Where |
| --- | --- |
| Google Workspace | Admin console › Gmail › Routing |
| Microsoft 365 | Exchange admin center › Mail flow › Rules |
| Other | A forwarding rule or alias on the mailbox |

Keep the original sender when forwarding; otherwise every case looks like it came from your
own server.

## 2. Let us send as you

So that replies come from `support@yourcompany.com` and are not marked as spam, add our
records to your domain's DNS:

1. Add `include:spf.casedesk.example` to your **SPF** record.
2. Add the two **DKIM** CNAME records shown under **Settings › Mail › Outbound**.
3. Click **Verify**. DNS changes can take up to an hour to be visible.

## 3. Test

Send a message to your support address from a personal mailbox. Within a minute it should
appear in **Cases** as a new case, with you as the contact. Reply to it and check the reply
arrives from your support address.
""",
        ("setup", "email", "spf", "dkim"), ("setup",), "alex",
    ),
    ArticleSpec(
        "migrate-from-another-helpdesk", "Move your tickets from another helpdesk",
        ("Onboarding", "Getting started"),
        "Bring closed and open tickets from your old helpdesk along with their dates, contacts "
        "and notes, using the importer's CSV or JSON format.",
        """\
You can bring your history along when you switch helpdesks. Imported tickets become cases
with their **original dates**, contacts and conversation.

## 1. Export from your old tool

Most helpdesks export tickets as CSV or JSON from their admin settings. Export:

- tickets, with subject, status, priority, dates, requester e-mail and tags,
- the comments or messages of each ticket,
- users, so that agents can be matched by e-mail address.

## 2. Import

1. Go to **Settings › Import › Cases**.
2. Upload the files and map the columns on the preview page (for example the old *state*
   column to **Status**).
3. Choose how old statuses translate, for example *Solved* → *Closed*.
4. Click **Import**. The import runs in the background; 50,000 tickets take about 20
   minutes.

Imported cases keep their old ticket number in the **External ID** field, and closed ones
count in reports on their original dates.

## Before you switch mail over

Import closed tickets first, then open ones on the day you forward your support address, so
no customer reply is lost in between. See [Turn your support e-mail address into
cases](/portal/demo/kb/support-email-setup).
""",
        ("setup", "migration", "import"), ("setup",), "priya",
    ),
    ArticleSpec(
        "business-hours-two-time-zones", "Business hours for offices in different time zones",
        ("Onboarding", "Getting started"),
        "Create one business-hours calendar per office, with its own time zone and holidays, "
        "and choose it in each SLA policy so targets count only working hours.",
        """\
SLA targets, such as *first reply within 4 business hours*, count only the hours of a
**business-hours calendar**. Teams in several time zones need one calendar per office.

## Create the calendars

1. Go to **Settings › SLA › Calendars** and click **New calendar**.
2. Name it after the office (for example *London*), choose its **time zone** and set the
   opening hours for each weekday.
3. Add the office's **holidays** (public holidays can be imported per country).
4. Repeat for each office, for example *Chicago* and *Sydney*.

## Use them in SLA policies

Each SLA policy has one calendar. Create a policy per office, with conditions that pick its
cases, such as *Account territory is EMEA* or *Queue is Support APAC*:

| Policy | Calendar | First reply |
| --- | --- | --- |
| EMEA standard | London, Mon–Fri 08:00–18:00 | 4 business hours |
| AMER standard | Chicago, Mon–Fri 08:00–18:00 | 4 business hours |
| APAC standard | Sydney, Mon–Fri 09:00–17:00 | 8 business hours |

## Follow the sun

If a case should be answered by whichever office is open, use one calendar with the
combined hours instead: add each office's hours converted to one time zone.
""",
        ("setup", "business hours", "sla", "time zones"), ("setup",), "priya",
    ),
    ArticleSpec(
        "book-a-training-session", "Book a training session for team leads or new agents",
        ("Onboarding", "Training"),
        "Live training for your team: onboarding calls for new agents and a session for new "
        "team leads on queues, reports and escalations. How to book and what each covers.",
        """\
We run live training sessions over video, in English, for your team only.

## Sessions

| Session | Length | For | Covers |
| --- | --- | --- | --- |
| Agent onboarding | 45 min | New agents | Inbox, replies, notes, statuses, macros |
| Team leads | 60 min | New managers | Queues, escalations, the scorecard, reports |
| Admin essentials | 90 min | New admins | Users, routing rules, SLA policies, mail |

Business and Enterprise plans include four sessions a year; more can be booked at a fixed
price.

## Book

1. Open a case titled *Training session* with the session you want, the number of people
   and two or three times that suit you (with your time zone).
2. We confirm one of the times and send a calendar invitation with the agenda.
3. Add your colleagues to the invitation; up to 25 people can join.

Sessions are recorded on request, and we send the recording and the slides afterwards, so
agents who start later can watch them.

## Before the session

Ask participants to sign in to the workspace once, so the session can use their own
screens. For team leads, set them as managers of their agents first: see
[Roles](/portal/demo/kb/roles-and-permissions).
""",
        ("training", "onboarding"), ("training",), "maya",
    ),
    ArticleSpec(
        "new-admin-checklist", "Checklist for new workspace admins",
        ("Onboarding", "Training"),
        "Just took over a workspace? Ten things to check in your first week, and where to find "
        "the admin course.",
        """\
Taking over a workspace from a colleague? Work through this list in your first week.

## Access

1. Ask the current owner to [transfer ownership](/portal/demo/kb/transfer-workspace-ownership)
   to you, or to make you an admin at least.
2. Switch on two-factor authentication for yourself under **Profile › Security**.
3. Review **Settings › Users**: deactivate people who left.

## How cases arrive

4. Check **Settings › Mail › Inbound**: which addresses become cases.
5. Check **Settings › Integrations**: which apps are connected, and by whom. Reconnect any
   connected by someone who left.

## How cases are handled

6. Read the **routing rules** from top to bottom: the first matching rule wins.
7. Read the **SLA policies** and their calendars.
8. Look at **Settings › Automations** for anything that mails customers.

## Money

9. Check **Settings › Billing**: the plan, seats, renewal date and billing contact.
10. Make yourself the billing contact if the previous admin was.

## Learn more

The free **admin course** in our help centre takes about an hour. You can also book an
*Admin essentials* session: see [Book a training
session](/portal/demo/kb/book-a-training-session).
""",
        ("training", "admin", "onboarding"), ("training",), "admin",
    ),
)
