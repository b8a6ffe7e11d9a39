"""The demo knowledge base's billing articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

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
