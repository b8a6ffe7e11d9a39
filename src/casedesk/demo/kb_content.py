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
"""

from dataclasses import dataclass

from casedesk.demo.topics import TOPICS, Topic

PORTAL = "/portal/demo/kb"


@dataclass(frozen=True)
class ArticleSpec:
    """One article. `slug` is its natural key (the builder finds it by it, live or old);
    `author` is the local part of a staff email (`content.STAFF`). An article with an
    `update` is published twice: first without it, later with it appended, so its version
    history has two entries."""

    slug: str
    title: str
    category: tuple[str, str]  # (top-level category, subcategory)
    summary: str
    body: str
    tags: tuple[str, ...]
    topics: tuple[str, ...]  # the demo topic keys (demo.topics) the article answers
    author: str
    visibility: str = "public"  # a kb.models.Visibility value
    status: str = "published"  # a kb.models.ArticleStatus value
    update: str = ""

    @property
    def final_body(self) -> str:
        """The body as the latest version has it."""
        return self.body + self.update


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


BILLING: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "invoice-seat-count", "Why your invoice shows more seats than you use",
        ("Billing", "Invoices"),
        "Invoices count the agent seats active on the 1st of the month. Users removed after that "
        "date are still on the invoice; here is how to check the count and get a corrected "
        "invoice.",
        """\
Your monthly invoice charges for the **agent seats that were active on the 1st of the
month**, at 00:00 in your workspace's time zone. We call this the licence snapshot.

## Why the count can look too high

- You removed users *after* the 1st: they are counted this month and drop off next month.
- A user was deactivated but not removed from a seat. Deactivated users no longer count;
  users who merely have no open cases still do.
- You added seats in the middle of the month: new seats are billed pro-rata on the next
  invoice, as a separate line.

## Check the seat count

1. Go to **Settings › Billing › Invoices** and open the invoice.
2. Click **Seat details** to see every user the snapshot counted, with the date they were
   added.
3. Compare it with **Settings › Users**, filtered on *Active*.

## Get a corrected invoice

If a user on the list had already left before the 1st, reply to the invoice e-mail or open
a case with the invoice number (for example `INV-2026-4821`) and the names of the users who
should not be counted. Our billing team issues a corrected invoice and a credit note for the
original one; both appear under **Billing › Invoices** within one business day.

See also: [Add your VAT number to invoices](/portal/demo/kb/vat-number-on-invoices).
""",
        ("invoice", "seats", "licence"), ("invoice",), "grace",
        update="""
## Credit notes

A credit note cancels the original invoice in full, so your accounts payable team books the
corrected invoice only. Credit notes have their own number (`CN-…`) and are listed next to
the invoice they cancel.
""",
    ),
    ArticleSpec(
        "vat-number-on-invoices", "Add your VAT number to invoices",
        ("Billing", "Invoices"),
        "Put your VAT or tax ID on your billing profile so every invoice carries it, and ask "
        "us to re-issue invoices that were sent without it.",
        """\
Many accounts payable teams cannot book an invoice without the buyer's VAT number. Your VAT
number (or another tax ID, such as an ABN or GST number) is part of your **billing
profile**, and every invoice copies it from there when it is issued.

## Add or change the VAT number

1. Go to **Settings › Billing › Billing profile**.
2. Enter the number in **VAT / tax ID**, including the country prefix (for example
   `DE811907980`).
3. Click **Save**. We check EU VAT numbers against VIES; if the check fails, the number is
   saved but marked *unverified*, and reverse charge is not applied.

## Invoices issued before you added it

Invoices are documents of record, so they are not changed after they are issued. Open a case
with the invoice number and we will re-issue it with the VAT number and send a credit note
for the original. The re-issued invoice has a new number; both are listed under **Billing ›
Invoices**.

| Your billing country | What the invoice shows |
| --- | --- |
| EU, with a valid VAT number | Reverse charge, 0% VAT |
| EU, without a VAT number | Your country's VAT rate |
| Outside the EU | No VAT; your tax ID if you entered one |
""",
        ("invoice", "vat", "tax"), ("invoice",), "grace",
    ),
    ArticleSpec(
        "change-billing-contact", "Change who receives your invoices",
        ("Billing", "Invoices"),
        "Invoices go to the billing contact on your billing profile. Change it when someone "
        "leaves, and re-send any invoice that went to the wrong person.",
        """\
Every invoice is e-mailed to the **billing contact** of your workspace. When that person
leaves your company, invoices keep going to their old address until you change it.

## Change the billing contact

1. Sign in as a workspace admin and go to **Settings › Billing › Billing profile**.
2. Under **Billing contact**, enter the new name and e-mail address. You can add up to three
   more addresses in **Send copies to**, for example your accounts payable mailbox.
3. Click **Save**. The next invoice goes to the new contact.

The billing contact does not need to be a user of your workspace, so you do not need a seat
for your finance team.

## Re-send an invoice

Open **Billing › Invoices**, pick the invoice and click **Re-send**. You can enter any
address; the invoice PDF is attached to the e-mail.

If nobody at your company can sign in as an admin any more, open a case from the address of
a known contact and we will verify the change with you by phone before we make it. See
[Transfer workspace ownership](/portal/demo/kb/transfer-workspace-ownership).
""",
        ("invoice", "billing contact"), ("invoice",), "lucas",
    ),
    ArticleSpec(
        "runbook-corrected-invoice", "Runbook: re-issue an invoice and credit the original",
        ("Billing", "Invoices"),
        "Internal. How finance agents correct seat counts, VAT numbers or recipients on an "
        "issued invoice: credit note first, then the corrected invoice.",
        """\
Issued invoices are never edited. A correction is always **a credit note for the original
plus a new invoice**, so the customer's books and ours stay in step.

## Steps

1. Open the customer's account in the billing console and find the invoice by number.
2. Check the reason against the data:
   - *Seat count*: open **Licence snapshot** for the 1st of the month. If the users were
     removed after the snapshot, the invoice is right; explain the snapshot rule and link
     the public article on seat counts.
   - *VAT number*: make sure the number is on the billing profile and verified first.
3. Click **Credit in full** and choose the reason. The credit note is created as `CN-…`.
4. Click **Re-issue** on the credited invoice. Adjust the seat lines if needed; the new
   invoice takes the billing profile as it is now.
5. Send both documents from the console (**Send to billing contact**).
6. Add an internal note to the case with both numbers and resolve it.

## Approval

| Credit amount | Who approves |
| --- | --- |
| Up to 1,000 | Any finance agent |
| 1,000 to 10,000 | Daniel Brooks |
| Over 10,000 | Daniel Brooks and the CFO |

If the same customer needs a second correction in three months, tell Daniel: their seat
sync is probably misconfigured.
""",
        ("invoice", "credit note", "runbook"), ("invoice",), "daniel", visibility="internal",
    ),
    ArticleSpec(
        "refund-policy", "Refund policy",
        ("Billing", "Refunds"),
        "When we refund: duplicate charges, downgrades in the middle of a term and renewals "
        "charged after a cancellation. How refunds are calculated and how long they take.",
        """\
We refund money you should not have paid. This page explains when, how much and how fast.

## When you get a refund

| Situation | Refund |
| --- | --- |
| Charged twice for the same period | The duplicate charge, in full |
| Downgraded mid-term (e.g. Business to Starter) | The difference, pro-rated to the term's end |
| Renewal charged after you cancelled | The renewal, in full, if the new term is unused |
| Seats removed mid-term | No refund; seats drop off at the next renewal |

Annual plans cancelled mid-term are not refunded; you keep access until the end of the term.

## How a pro-rated refund is calculated

We take the daily price difference between the two plans and multiply it by the days left
in the term. For example, moving from Business to Starter with 120 days of a 365-day term
left refunds 120/365 of the annual price difference.

## How long it takes

Refunds go back to the card or account that paid. We issue them within two business days;
your bank then needs **5–10 business days** to show them on your statement. You get an
e-mail with the refund reference when we issue it.

To ask for a refund, open a case with the invoice number and the date of the charge. See
also [Charged twice for one subscription period](/portal/demo/kb/charged-twice).
""",
        ("refund", "downgrade", "cancellation"), ("refund",), "daniel",
        update="""
## Refunds in another currency

A refund is issued in the currency you paid in. If your bank converted the original charge,
the amount you get back can differ slightly because of the exchange rate on the day.
""",
    ),
    ArticleSpec(
        "charged-twice", "Charged twice for one subscription period",
        ("Billing", "Refunds"),
        "Two charges on the same day for the same subscription are usually a payment retry "
        "after a timeout. What to send us, and when the duplicate is refunded.",
        """\
If your card shows two charges of the same amount on the same day, one of them is almost
always a **retry**: the payment provider did not answer in time, the renewal was attempted
again and both attempts went through.

## What to do

1. Check **Settings › Billing › Invoices**. A duplicate charge has *one* invoice and *two*
   payments listed under it.
2. Open a case and tell us:
   - the invoice number,
   - the dates and amounts of both charges,
   - the last four digits of the card.
3. We match both payments in the payment provider's log and refund the duplicate in full.

You do not need to dispute the charge with your bank. A chargeback freezes the payment for
weeks and can suspend your subscription while it is open; our refund is faster.

## When the money is back

We issue the refund within two business days. Depending on your bank it takes **5–10
business days** to appear on the statement, sometimes as a separate credit rather than a
cancelled charge.

See the [refund policy](/portal/demo/kb/refund-policy) for other refunds.
""",
        ("refund", "double charge", "payments"), ("refund",), "lucas",
    ),
    ArticleSpec(
        "issue-refund-billing-console", "How to issue a refund in the billing console",
        ("Billing", "Refunds"),
        "Internal. Step by step: find the payment, choose full or pro-rated, record the reason "
        "and tell the customer, with the approval limits for finance agents.",
        """\
Only finance agents have the **Refund** permission in the billing console. Support agents:
refer the case to the Finance queue with the invoice number.

## Steps

1. Open the billing console and search for the customer's account (domain or invoice
   number).
2. Open **Payments** and find the charge. For a duplicate, both payments show the same
   invoice; refund the *later* one.
3. Click **Refund** and choose:
   - **Full** for duplicates and renewals charged after a cancellation;
   - **Pro-rated** for downgrades: enter the downgrade date and the console computes the
     amount for the rest of the term.
4. Pick the reason (*Duplicate*, *Downgrade*, *Cancelled renewal*, *Goodwill*) and paste the
   case number into **Reference**.
5. Confirm. The refund reference (`re_…`) appears in the payment's history.
6. Reply to the customer with the amount, the reference and the 5–10 business days their
   bank needs. Resolve the case.

## Limits

| Refund | Approval |
| --- | --- |
| Up to 500 | None |
| 500 to 5,000 | Daniel Brooks, in the case |
| Goodwill of any amount | Daniel Brooks |

Two captures on the same day after a gateway timeout are a known problem: add the tag
`duplicate-capture` so engineering can count them.
""",
        ("refund", "billing console", "runbook"), ("refund",), "daniel", visibility="internal",
        update="""
## Cards that have expired

If the card that paid has expired, the refund still goes to it; the issuing bank forwards it
to the new card. Do not refund to another card.
""",
    ),
    ArticleSpec(
        "card-declined-on-renewal", "Card declined on renewal or “Payment method could not be "
        "verified”",
        ("Billing", "Payment methods"),
        "Why a renewal fails when the card on file expired or the bank asks for 3-D Secure, "
        "and how to add a new card before your subscription ends.",
        """\
When a renewal fails, we e-mail the billing contact and retry the card for seven days. Your
workspace stays fully available during that time.

## Add a new card

1. Go to **Settings › Billing › Payment method** and click **Replace card**.
2. Enter the card details. Your bank may show a 3-D Secure check: approve it in your banking
   app or with the code it sends you.
3. Click **Save and pay now** to settle the failed renewal straight away.

## “Payment method could not be verified”

This message means your bank declined the verification charge of 0.00. The usual reasons:

| Reason | What to do |
| --- | --- |
| 3-D Secure not approved in time | Try again and approve in your banking app within five minutes |
| Card blocked for online or foreign payments | Ask your bank to allow payments to us |
| Company card with a low limit | Ask your card admin to raise the limit for the renewal |
| Billing address does not match | Enter the address the bank has for the card |

If it still fails, tell us the exact time of your attempt in a case; we can find it in the
payment provider's log and see the bank's answer.

Would you rather not pay by card? See [Pay by bank transfer against a purchase
order](/portal/demo/kb/pay-by-bank-transfer).
""",
        ("payments", "card", "renewal", "3-d secure"), ("payment",), "lucas",
        update="""
## Renewal date close?

If your subscription ends within two days, mention it in the case: we can extend the grace
period while your bank sorts out the card.
""",
    ),
    ArticleSpec(
        "pay-by-bank-transfer", "Pay by bank transfer against a purchase order",
        ("Billing", "Payment methods"),
        "Business and Enterprise plans can pay by bank transfer instead of card: invoice "
        "billing with your purchase order number and 30-day payment terms.",
        """\
If your procurement team pays by bank transfer against a purchase order, switch your
workspace to **invoice billing**. It is available on the Business and Enterprise plans for
annual subscriptions.

## How invoice billing works

- We send the invoice 30 days before your renewal date, with your purchase order (PO)
  number and our bank details.
- Payment terms are 30 days from the invoice date.
- You can pay in EUR, USD or AUD; the currency is fixed for the term.

## Switch to invoice billing

1. Open a case titled *Switch to invoice billing* and include:
   - your purchase order number (or tell us you will send it later),
   - the legal name and address that should appear on the invoice,
   - the e-mail address of your accounts payable team.
2. We switch the account and confirm. Your card stays on file as a fallback until you remove
   it under **Settings › Billing › Payment method**.

## Paying

Quote the **invoice number** as the payment reference, not the PO number; our bank
statement only shows the reference, and that is how we match your payment.

A new PO number for the next term? Update it under **Settings › Billing › Billing profile**
before the renewal invoice is issued.
""",
        ("payments", "bank transfer", "purchase order"), ("payment",), "grace",
    ),
    ArticleSpec(
        "switch-to-invoice-billing", "Switching an account to invoice billing",
        ("Billing", "Payment methods"),
        "Internal. The checks before moving a customer from card to invoice billing, and what "
        "to set in the billing console.",
        """\
Customers ask for this when procurement wants to pay against a purchase order. Use the
public article [Pay by bank transfer against a purchase
order](/portal/demo/kb/pay-by-bank-transfer) in your reply.

## Checks first

1. The plan is **Business or Enterprise**, billed annually. Starter and monthly plans stay on
   card; offer an annual plan instead.
2. The account has no overdue invoice.
3. For subscriptions over 20,000 a year, the credit check in the console is green.

## In the billing console

1. Open the account, then **Billing settings › Collection method**.
2. Choose **Send invoice**, payment terms **Net 30**.
3. Enter the PO number, the invoice address and the accounts payable e-mail.
4. Leave the card on file: it is the fallback if a transfer is more than 14 days late.
5. Save, then check that the next renewal shows *Invoice* as the method.

Add an internal note to the case with the PO number and resolve it. The account's renewal
invoice will then be issued 30 days before the renewal date.
""",
        ("payments", "invoice billing", "runbook"), ("payment",), "daniel",
        visibility="internal",
    ),
    ArticleSpec(
        "pay-by-cheque", "Paying by cheque",
        ("Billing", "Payment methods"),
        "We no longer accept cheques. Pay by card or by bank transfer instead.",
        """\
Customers in the United States used to be able to pay annual invoices by cheque, sent to our
lockbox address in Chicago.

## What changed

We no longer accept cheques. Cheques took two to three weeks to clear and
were often sent without an invoice number, so payments could not be matched and renewals
failed.

## What to use instead

- **Card**: add it under **Settings › Billing › Payment method**.
- **Bank transfer (ACH or wire)**: available with invoice billing on annual Business and
  Enterprise plans. Quote the invoice number as the reference.

A cheque that reaches us now is returned to the sender, uncashed. If you have
already posted one, open a case and tell us the cheque number and amount so we can watch for
it and keep your subscription active while you pay another way.
""",
        ("payments", "cheque"), ("payment",), "grace", status="archived",
    ),
    ArticleSpec(
        "add-agent-seats", "Add agent seats in the middle of your term",
        ("Billing", "Plans & pricing"),
        "Adding agent seats mid-term: what it costs, how it is pro-rated to your renewal date, "
        "and the volume discount for larger teams.",
        """\
You can add agent seats at any time. New seats are **pro-rated to your renewal date**, so all
your seats renew together and you get one invoice a year (or a month).

## Price per seat

| Plan | Monthly billing | Annual billing, per month |
| --- | --- | --- |
| Starter | 19 | 15 |
| Business | 49 | 39 |
| Enterprise | 99 | 79 |

Prices are per agent seat, in EUR, USD or AUD, before tax.

## Volume discount

From 25 seats on an annual plan you get 10% off every seat, and from 100 seats 20%. The
discount applies to all seats, not only the new ones, from your next renewal.

## Add seats

1. Go to **Settings › Billing › Subscription** and click **Change seats**.
2. Enter the new total. The page shows the pro-rated amount for the rest of the term.
3. Confirm. The seats are available at once; the amount is charged now (card) or invoiced
   (invoice billing).

Need a formal quote for your procurement team first? Open a case with the number of seats
and the start date, and we will send one within a business day.

Removing seats works the same way, but takes effect at the renewal: see the [refund
policy](/portal/demo/kb/refund-policy).
""",
        ("pricing", "seats", "quote"), ("pricing",), "lucas",
    ),
    ArticleSpec(
        "nonprofit-discount", "Discounts for nonprofits and schools",
        ("Billing", "Plans & pricing"),
        "Registered charities, nonprofits and schools get 30% off annual plans. Who qualifies, "
        "what to send us and how the discount is applied.",
        """\
Registered **nonprofits and charities get 30% off** any annual plan, and accredited schools
and universities get 40% off for their own support teams.

## Who qualifies

- Charities and nonprofits registered in their country (for example a 501(c)(3) in the
  United States, a registered charity in the UK or Australia, an *association reconnue* in
  France).
- Schools, colleges and universities, for their own staff's use.

Companies that sell to nonprofits, and foundations of commercial companies, do not qualify.

## How to apply

1. Open a case titled *Nonprofit discount* from your work address.
2. Attach proof of registration (a certificate or the registry link) and tell us your
   workspace name.
3. We check it within three business days and apply the discount to your **next renewal**.
   If you are on a monthly plan, we move you to annual billing at the discounted price.

The discount cannot be combined with the volume discount; you get whichever is higher. We
confirm the registration again every two years.
""",
        ("pricing", "discount", "nonprofit"), ("pricing",), "lucas",
    ),
    ArticleSpec(
        "upgrade-to-enterprise", "Upgrade from Business to Enterprise",
        ("Billing", "Plans & pricing"),
        "What Enterprise adds (single sign-on, the audit log, custom roles), what the upgrade "
        "costs mid-term and how to upgrade without losing data.",
        """\
You can upgrade from Business to Enterprise at any time. Your data, settings and integrations
stay as they are; the new features are available as soon as the upgrade is confirmed.

## What Enterprise adds

| Feature | Business | Enterprise |
| --- | --- | --- |
| SAML single sign-on | No | Yes |
| Audit log (12 months) | No | Yes |
| Custom roles | No | Yes |
| SLA policies | 3 | Unlimited |
| Uptime commitment | 99.5% | 99.9% with service credits |

## What it costs mid-term

You pay only the **difference between the plans for the rest of your term**, pro-rated by
day. The renewal is then at the Enterprise price. Volume discounts carry over.

## Upgrade

1. Go to **Settings › Billing › Subscription** and click **Change plan**.
2. Choose **Enterprise**; the page shows the pro-rated amount.
3. Confirm. On invoice billing we send a quote first and upgrade when you accept it.

After upgrading, set up single sign-on: see
[Set up SAML single sign-on](/portal/demo/kb/saml-sso-setup).
""",
        ("pricing", "enterprise", "upgrade"), ("pricing",), "lucas",
        update="""
## Trying Enterprise first

Admins can start a 14-day Enterprise trial from **Settings › Billing › Subscription**. At
the end of the trial the workspace returns to Business unless you upgrade.
""",
    ),
    ArticleSpec(
        "discount-approvals", "Discount approval limits",
        ("Billing", "Plans & pricing"),
        "Internal. Which discounts support and finance agents may promise, and who approves "
        "anything beyond them.",
        """\
Never promise a discount in a reply before it is approved. Refer the case to the Finance
queue with the request and the customer's tier; Finance answers within a business day.

## Standing discounts (no approval)

| Discount | Conditions |
| --- | --- |
| Volume, 10% | 25+ seats, annual |
| Volume, 20% | 100+ seats, annual |
| Nonprofit, 30% | Proof of registration checked |
| Education, 40% | Accredited school or university |

## Discounts that need approval

| Request | Approves |
| --- | --- |
| Up to 15% on a renewal, customer at risk | Daniel Brooks |
| Up to 25%, multi-year commitment | Daniel Brooks and the account manager |
| Anything else, free months, custom terms | Sales leadership |

## Recording it

Add the approval to the case as an internal note (who, what, until when) and set the
discount in the billing console with the case number as the reference. Discounts end at the
renewal unless the note says otherwise.
""",
        ("pricing", "discount", "approval"), ("pricing",), "daniel", visibility="internal",
    ),
)


SIGN_IN: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "saml-sso-setup", "Set up SAML single sign-on (Okta, Entra ID, Google)",
        ("Technical", "Sign-in & SSO"),
        "Connect your identity provider to your workspace with SAML 2.0: the entity ID and ACS "
        "URL to use, the attributes we read, and how to test before you switch it on for "
        "everyone.",
        """\
SAML single sign-on (SSO) is available on the Enterprise plan. Your users then sign in with
your identity provider (IdP), such as Okta, Microsoft Entra ID or Google Workspace.

## 1. Copy our details into your IdP

Open **Settings › Security › Single sign-on**. It shows the values your IdP needs:

| IdP field | Value |
| --- | --- |
| Audience / Entity ID | Your workspace's entity ID, e.g. `https://acme.casedesk.example/saml` |
| ACS (reply) URL | `https://acme.casedesk.example/saml/acs` |
| Name ID format | Email address |

The **audience must be the entity ID**, not the login URL. If they differ, sign-in fails
with *Invalid audience*.

## 2. Copy your IdP's details into the workspace

Paste your IdP's **SSO URL** and **signing certificate** (or upload its metadata XML). We read
the `email`, `firstName` and `lastName` attributes.

## 3. Test, then enforce

1. Click **Test sign-in** and sign in with your IdP in the window that opens.
2. When the test succeeds, switch **Require SSO** on. Admins can still sign in with their
   password, so nobody is locked out if the IdP is down.

Errors after a change on the IdP side? See [SSO error “Invalid SAML
response”](/portal/demo/kb/invalid-saml-response).
""",
        ("sso", "saml", "login", "okta"), ("sso",), "tom",
        update="""
## Just-in-time provisioning

With **Create users on first sign-in** switched on, anyone your IdP lets in gets an agent
account (and a seat) at their first SSO sign-in. Leave it off to invite users yourself.
""",
    ),
    ArticleSpec(
        "invalid-saml-response", "SSO error “Invalid SAML response” after a certificate change",
        ("Technical", "Sign-in & SSO"),
        "Nobody can sign in with SSO and the workspace shows “Invalid SAML response”: almost "
        "always a rotated signing certificate or a clock difference. How to fix it in minutes.",
        """\
If all your users suddenly see **“Invalid SAML response”** after your identity provider
authenticated them, the workspace rejected the SAML assertion. Admins can still sign in with
their password while you fix it.

## Most common cause: the IdP rotated its signing certificate

Identity providers rotate signing certificates every one to three years. The workspace still
has the old certificate, so the signature does not match.

1. In your IdP, download the **new signing certificate** (or the metadata XML).
2. Sign in to the workspace as an admin with your password.
3. Go to **Settings › Security › Single sign-on**, replace the certificate and click
   **Test sign-in**.

## Other causes

| Detail in the error log | Cause | Fix |
| --- | --- | --- |
| `Signature invalid` | Old certificate | Replace it (above) |
| `Assertion expired` | IdP clock off by over 3 minutes | Sync the IdP server's clock (NTP) |
| `Invalid audience` | Entity ID in the IdP is wrong | Use the entity ID shown on the SSO page |
| `Missing email attribute` | Attribute mapping changed | Send `email` in the assertion |

The error log is under **Settings › Security › Single sign-on › Recent failures**.

Still failing? Open a case with a SAML trace: see [Record a HAR file for our support
team](/portal/demo/kb/record-har-file).
""",
        ("sso", "saml", "login", "certificate"), ("sso",), "tom",
    ),
    ArticleSpec(
        "sso-login-loop", "SSO sends users back to the login page",
        ("Technical", "Sign-in & SSO"),
        "Users sign in through SSO and land on the login page again, in a loop, often in one "
        "browser only. Causes: blocked cookies, an old bookmark, or the IdP-initiated URL.",
        """\
A sign-in loop means the identity provider signed the user in, but the browser did not keep
the workspace's session cookie, so the workspace asks them to sign in again.

## Check these in order

1. **Bookmarks**: users who bookmarked an old login page (`/login?next=…`) should bookmark
   the workspace's home page instead.
2. **Cookies blocked**: Safari's *Prevent cross-site tracking*, Firefox's strict tracking
   protection or a company browser policy can block the cookie set during the SAML redirect.
   Allow cookies for your workspace's domain and sign in again.
3. **IdP-initiated sign-in**: if users start from a tile in Okta or Entra ID, the tile must
   point to the ACS URL shown under **Settings › Security › Single sign-on**, not to the
   login page.
4. **Several workspaces**: users who belong to two workspaces should sign out of both and
   sign in to one.

## Only in one browser?

Try a private window. If that works, clear the cookies for your workspace's domain in the
normal window. If only one browser keeps looping for everyone, tell us the browser and its
version in a case; we changed our session cookie so that it no longer depends on
third-party cookies, and a report helps us check a new browser release.
""",
        ("sso", "login", "cookies", "browser"), ("sso",), "alex",
    ),
    ArticleSpec(
        "password-reset-email-missing", "Password reset e-mail never arrives",
        ("Technical", "Sign-in & SSO"),
        "You asked for a password reset and no e-mail came, not even in spam. Usually your "
        "company's mail gateway holds it: what to allowlist and how to get a new link.",
        """\
A reset e-mail is sent within a minute of the request. If it does not arrive, it is almost
always held by a spam filter or your company's mail gateway.

## Try this first

1. Search your mailbox, including spam and *Other*, for mail from
   `no-reply@mail.casedesk.example`.
2. Make sure you typed the address you sign in with. For security we show the same message
   whether or not the address has an account.
3. Wait five minutes, then request **one** new link. Each request cancels the previous link,
   so clicking an older e-mail later shows *Link expired*.

## Ask your IT team to allowlist us

Company gateways (Microsoft Defender, Mimecast, Proofpoint) often quarantine automated mail.
Ask your IT team to allowlist:

| What | Value |
| --- | --- |
| Sending domain | `mail.casedesk.example` |
| Return-Path domain | `bounce.casedesk.example` |
| DKIM signing domain | `casedesk.example` |

## Still nothing?

A workspace admin can send you a reset link from **Settings › Users**, or open a case for
you; we can see in our mail log whether your gateway accepted the message. Signing in with
SSO? Then your password is managed by your identity provider, not by us.
""",
        ("password", "login", "email", "reset"), ("password",), "alex",
        update="""
## Reset links expire

A reset link works once and for 60 minutes. After that, request a new one.
""",
    ),
    ArticleSpec(
        "lost-two-factor-device", "Locked out after losing or replacing your two-factor phone",
        ("Technical", "Sign-in & SSO"),
        "Two-factor authentication is on and your phone was lost or replaced. Use a recovery "
        "code, ask an admin to reset it, or have us verify your identity.",
        """\
When you switched on two-factor authentication (2FA) you got **ten recovery codes**. Each works
once instead of the code from your authenticator app.

## Option 1: use a recovery code

1. On the sign-in page, enter your password, then click **Use a recovery code**.
2. Enter one of the codes.
3. Go to **Profile › Security** and set up 2FA on your new phone. Generate new recovery codes
   and store them in your password manager.

## Option 2: ask a workspace admin

Admins can reset 2FA for any user under **Settings › Users › (user) › Reset two-factor**. You
then sign in with your password and set up 2FA again.

## Option 3: you are the only admin

Open a case from the e-mail address of your account. Because resetting 2FA hands over an
account, we verify your identity first: we call the phone number on your company's billing
profile, or ask another admin of your company to confirm. This takes up to one business day.

## Avoid it next time

Moving to a new phone? Most authenticator apps can transfer their accounts. Do it before you
reset the old phone.
""",
        ("password", "login", "two-factor", "2fa"), ("password",), "tom",
    ),
    ArticleSpec(
        "unlock-locked-account", "Unlock an account after too many sign-in attempts",
        ("Technical", "Sign-in & SSO"),
        "After ten wrong passwords an account is locked for 30 minutes. Admins can unlock it "
        "at once under Settings › Users › Unlock.",
        """\
To protect against password guessing, an account is **locked for 30 minutes after ten wrong
passwords** in a row. The user sees *Account temporarily locked* on the sign-in page.

## Unlock it now (admins)

1. Go to **Settings › Users** and find the user. Locked users have a padlock icon.
2. Open the user and click **Unlock**.
3. Tell the user to sign in again, or to use **Forgot password** if they no longer know it.

Unlocking does not change the password and does not sign the user out elsewhere.

## Or wait

The lock lifts by itself after 30 minutes. Each further wrong password while locked does not
extend it.

## Locked again and again?

Repeated locks without the user trying to sign in can mean an old password saved in a
mobile app or a script is retrying. Check **Settings › Security › Sign-in log** for the IP
address and device of the failed attempts; if they are unknown to you, reset the user's
password and tell us in a case.
""",
        ("password", "login", "locked"), ("password",), "alex",
    ),
    ArticleSpec(
        "runbook-two-factor-reset", "Runbook: verify identity before resetting two-factor",
        ("Technical", "Sign-in & SSO"),
        "Internal. Resetting two-factor authentication hands over an account: the checks to do "
        "first, who may approve, and what to write in the case.",
        """\
Social engineering attempts against support desks usually ask for exactly this. Follow
every step, even for a customer you know.

## Before you reset

1. The request comes from the account's **own e-mail address** (check the case's contact).
2. The workspace has **no other admin** who could reset it. If it has, send the customer the
   public article on lost two-factor devices and stop here.
3. Verify by **one** of:
   - a call to the phone number on the billing profile (not a number given in the case);
   - a confirmation from another known contact at the company, by e-mail from their own
     address.
4. Write in an internal note how you verified, and who confirmed.

## Reset

In the admin console open the user, click **Reset two-factor**, and choose *Require set-up
at next sign-in*. Reply to the customer without repeating any personal details.

## Never

- reset because the requester sounds urgent or senior;
- reset for an address whose domain differs from the account's;
- change the account's e-mail address in the same case.

Escalate anything unusual to Maya Okafor before acting.
""",
        ("password", "two-factor", "security", "runbook"), ("password",), "maya",
        visibility="internal",
    ),
    ArticleSpec(
        "record-har-file", "Record a HAR file for our support team",
        ("Technical", "Errors & troubleshooting"),
        "A HAR file records what your browser sent and received: the fastest way for us to "
        "investigate a slow page, an error or an SSO problem. How to record one in each "
        "browser.",
        """\
A HAR file lets us see exactly what happened in your browser: timings of a slow page, the
error behind *Something went wrong*, or the SAML messages of a failed SSO sign-in.

## Record it

| Browser | Open the network panel | Keep the log | Save |
| --- | --- | --- | --- |
| Chrome, Edge | F12 › **Network** | **Preserve log** | Right-click › **Save all as HAR** |
| Firefox | F12 › **Network** | **Persist logs** | Gear icon › **Save all as HAR** |
| Safari | **Develop › Show Web Inspector** | **Preserve log** | **Export** |

In Safari, switch on the Develop menu first under **Settings › Advanced**. Then reproduce the
problem with the panel open.

## Tips

1. Start recording **before** you reproduce the problem, and keep the tab open until the
   page has finished loading (or failed).
2. Write down the time of the attempt; it helps us find it in our logs.
3. For SSO problems, record from the workspace's login page to the end of the loop or error.

## Privacy

A HAR file contains your session cookie and what the page showed. Attach it to your case,
never to a public forum. We delete attachments of closed cases after 90 days, and you can
sign out of all sessions afterwards under **Profile › Security**.
""",
        ("troubleshooting", "har", "performance", "sso"), ("performance", "sso", "error"),
        "alex",
    ),
)


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
