"""The demo knowledge base's sign in articles (data)."""

from casedesk.demo.kb_content.spec import ArticleSpec

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
