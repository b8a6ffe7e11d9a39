"""The words of the demo tenant: staff, customers, deals and the notes agents write (what
customers write in about is `demo.topics`).

Pure data, read by `casedesk.demo.builder`. Customer domains use the reserved `.example` TLD so
that no channel added later (outbound mail, webhooks) can ever reach a real company.
Texts are `str.format` templates; `casedesk.demo.builder.case_values` lists the placeholders.
"""

from dataclasses import dataclass

# Role → password. Fixed and printed by `casedesk demo`, so anyone trying the demo can sign in.
PASSWORDS = {"admin": "demo-admin", "manager": "demo-manager", "agent": "demo-agent"}
STAFF_DOMAIN = "demo.casedesk.test"


@dataclass(frozen=True)
class Person:
    """One member of the demo tenant's staff."""

    email: str
    name: str
    role: str  # a tenancy.models.Role value
    territory: str = ""
    skills: tuple[str, ...] = ()
    capacity: int = 20
    manager: str = ""  # the manager's email
    teams: tuple[str, ...] = ()  # queue names the person works


def _staff(local: str) -> str:
    return f"{local}@{STAFF_DOMAIN}"


STAFF: tuple[Person, ...] = (
    Person(_staff("admin"), "Riley Chen", "admin", "AMER", ("administration", "automation"), 10),
    Person(_staff("maya"), "Maya Okafor", "manager", "EMEA",
           ("escalations", "enterprise accounts"), 10, teams=("Support",)),
    Person(_staff("daniel"), "Daniel Brooks", "manager", "AMER",
           ("billing", "incident management"), 10, teams=("Finance", "Engineering")),
    # Support: first line, one or two agents per territory.
    Person(_staff("alex"), "Alex Rivera", "agent", "AMER",
           ("login", "integrations", "onboarding"), 25, _staff("maya"), ("Support",)),
    Person(_staff("priya"), "Priya Nair", "agent", "APAC",
           ("onboarding", "data import", "how-to"), 25, _staff("maya"), ("Support",)),
    Person(_staff("tom"), "Tom Becker", "agent", "EMEA",
           ("login", "sso", "performance"), 25, _staff("maya"), ("Support",)),
    Person(_staff("sofia"), "Sofia Lindqvist", "agent", "EMEA",
           ("integrations", "api", "webhooks"), 20, _staff("maya"), ("Support",)),
    # Finance: billing questions and referrals from support.
    Person(_staff("grace"), "Grace Mensah", "agent", "EMEA",
           ("invoices", "refunds", "vat"), 30, _staff("daniel"), ("Finance",)),
    Person(_staff("lucas"), "Lucas Moreau", "agent", "AMER",
           ("payments", "pricing", "renewals"), 30, _staff("daniel"), ("Finance",)),
    # Engineering: takes referred bugs; fewer cases each, so a lower capacity.
    Person(_staff("hannah"), "Hannah Schultz", "agent", "EMEA",
           ("api", "integrations", "performance"), 15, _staff("daniel"), ("Engineering",)),
    Person(_staff("kenji"), "Kenji Watanabe", "agent", "APAC",
           ("sso", "data import", "bugs"), 15, _staff("daniel"), ("Engineering",)),
)

# Whose logins `casedesk demo` prints, one per role.
SHOWN_LOGINS = (_staff("admin"), _staff("maya"), _staff("alex"))


@dataclass(frozen=True)
class Company:
    """A customer account of the demo tenant."""

    name: str
    domain: str
    tier: str  # Enterprise, Business or Starter
    territory: str  # EMEA, AMER or APAC
    segment: str  # the industry


COMPANIES: tuple[Company, ...] = (
    Company("Northwind Logistics", "northwind-logistics.example", "Enterprise", "AMER",
            "Logistics"),
    Company("Meridian Health Partners", "meridianhealth.example", "Enterprise", "AMER",
            "Healthcare"),
    Company("Kestrel Aerospace", "kestrel-aero.example", "Enterprise", "EMEA", "Manufacturing"),
    Company("Granite Peak Bank", "granitepeakbank.example", "Enterprise", "AMER",
            "Financial services"),
    Company("Silverline Telecom", "silverline-telecom.example", "Enterprise", "EMEA",
            "Telecommunications"),
    Company("Sakura Robotics", "sakura-robotics.example", "Enterprise", "APAC", "Manufacturing"),
    Company("Helios Energy Group", "helios-energy.example", "Enterprise", "EMEA", "Energy"),
    Company("Pacific Crest Insurance", "pacificcrest.example", "Enterprise", "APAC",
            "Insurance"),
    Company("Bluefin Analytics", "bluefin-analytics.example", "Business", "AMER", "Software"),
    Company("Harbor & Vale Legal", "harborvale.example", "Business", "EMEA", "Legal"),
    Company("Copperleaf Dental Group", "copperleafdental.example", "Business", "AMER",
            "Healthcare"),
    Company("Tidewater Foods", "tidewaterfoods.example", "Business", "AMER", "Food & beverage"),
    Company("Juniper Learning", "juniperlearning.example", "Business", "EMEA", "Education"),
    Company("Fjord Maritime", "fjordmaritime.example", "Business", "EMEA", "Logistics"),
    Company("Koala Freight", "koalafreight.example", "Business", "APAC", "Logistics"),
    Company("Atlas Biolabs", "atlasbiolabs.example", "Business", "EMEA", "Life sciences"),
    Company("Vireo Insurance Brokers", "vireo-insurance.example", "Business", "AMER",
            "Insurance"),
    Company("Redwood Payments", "redwoodpayments.example", "Business", "AMER",
            "Financial services"),
    Company("Marigold Hotels", "marigoldhotels.example", "Business", "APAC", "Hospitality"),
    Company("Ironbark Construction", "ironbark.example", "Business", "APAC", "Construction"),
    Company("Nimbus Cloudworks", "nimbuscloud.example", "Business", "AMER", "Software"),
    Company("Polaris Travel", "polaristravel.example", "Business", "EMEA", "Travel"),
    Company("Cobalt Manufacturing", "cobaltmfg.example", "Business", "AMER", "Manufacturing"),
    Company("Evergreen Clinics", "evergreenclinics.example", "Business", "APAC", "Healthcare"),
    Company("Orchard Lane Bakery", "orchardlane.example", "Starter", "EMEA", "Food & beverage"),
    Company("Brightpath Recruiting", "brightpath.example", "Starter", "AMER", "Staffing"),
    Company("Andes Coffee Traders", "andescoffee.example", "Starter", "AMER", "Retail"),
    Company("Pinecrest Realty", "pinecrestrealty.example", "Starter", "AMER", "Real estate"),
    Company("Quarry Street Media", "quarrystreet.example", "Starter", "EMEA", "Media"),
    Company("Sable & Finch", "sablefinch.example", "Starter", "EMEA", "Retail"),
    Company("Tangent Games", "tangentgames.example", "Starter", "APAC", "Software"),
    Company("Mosaic Community Trust", "mosaictrust.example", "Starter", "EMEA", "Nonprofit"),
    Company("Lumen Yoga Studios", "lumenyoga.example", "Starter", "APAC", "Fitness"),
    Company("Saltmarsh Brewing", "saltmarsh.example", "Starter", "EMEA", "Food & beverage"),
    Company("Wren Architecture", "wrenarchitecture.example", "Starter", "EMEA", "Architecture"),
    Company("Cedar & Stone Interiors", "cedarstone.example", "Starter", "AMER", "Retail"),
    Company("Harvest Moon Farms", "harvestmoon.example", "Starter", "AMER", "Agriculture"),
    Company("Kiwi Pixel Studio", "kiwipixel.example", "Starter", "APAC", "Design"),
    Company("Bramble Pet Care", "bramblepets.example", "Starter", "EMEA", "Retail"),
    Company("Lotus Language School", "lotuslanguage.example", "Starter", "APAC", "Education"),
)

# Contacts per account by tier; with 8 / 16 / 16 accounts this makes 48 + 64 + 38 = 150
# (Starter accounts alternate 2 and 3 contacts).
CONTACTS_PER_TIER = {"Enterprise": (6,), "Business": (4,), "Starter": (3, 2, 2, 3, 2, 2, 3, 2)}
# How much more often an account of each tier writes in.
CASE_WEIGHT_PER_TIER = {"Enterprise": 4, "Business": 2, "Starter": 1}

FIRST_NAMES = (
    "Olivia", "Liam", "Amara", "Noah", "Chloe", "Mateo", "Aisha", "Ethan", "Ingrid", "Kofi",
    "Hana", "Lucas", "Zara", "Oscar", "Mei", "Rafael", "Nadia", "Samuel", "Freya", "Arjun",
    "Elena", "Jonas", "Yuki", "Marcus", "Leila", "Tobias", "Aroha", "Diego", "Sienna", "Omar",
    "Camille", "Henrik", "Anya", "Kwame", "Isabel", "Felix", "Ravi", "Greta", "Tariq", "Lena",
)
LAST_NAMES = (
    "Andersen", "Baptiste", "Costa", "Dubois", "Eriksen", "Fernandes", "Garcia", "Haddad",
    "Ishikawa", "Johansson", "Kowalski", "Larsen", "Mbeki", "Novak", "Olsen", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang",
    "Moreno", "Okoye", "Bianchi", "Nguyen", "Kaur", "Murphy", "Silva", "Lindgren", "Adeyemi",
)
# Numbers from ranges reserved for fiction (NANP 555-01xx, Ofcom drama, ACMA 5550).
PHONE_FORMATS = {"AMER": "+1 202 555 01{:02d}", "EMEA": "+44 20 7946 0{:03d}",
                 "APAC": "+61 2 5550 {:04d}"}


@dataclass(frozen=True)
class DealSpec:
    """A sales opportunity on one of the demo accounts; `close_in_days` counts from today."""

    domain: str
    name: str
    stage: str  # a crm.models.DealStage value
    amount: int
    close_in_days: int


DEALS: tuple[DealSpec, ...] = (
    DealSpec("northwind-logistics.example", "Northwind: 2027 renewal", "negotiation", 84000, 45),
    DealSpec("meridianhealth.example", "Meridian: three new clinics", "proposal", 46500, 60),
    DealSpec("kestrel-aero.example", "Kestrel: enterprise roll-out", "won", 120000, -70),
    DealSpec("granitepeakbank.example", "Granite Peak: SSO and audit add-on", "qualification",
             18000, 90),
    DealSpec("silverline-telecom.example", "Silverline: annual renewal", "won", 96000, -30),
    DealSpec("sakura-robotics.example", "Sakura: APAC expansion", "proposal", 62000, 75),
    DealSpec("helios-energy.example", "Helios: field service pilot", "prospecting", 25000, 120),
    DealSpec("bluefin-analytics.example", "Bluefin: upgrade to Enterprise", "negotiation",
             38000, 20),
    DealSpec("juniperlearning.example", "Juniper: 40 extra seats", "won", 9600, -15),
    DealSpec("redwoodpayments.example", "Redwood: annual plan", "lost", 14400, -40),
    DealSpec("nimbuscloud.example", "Nimbus: API tier", "qualification", 12000, 50),
    DealSpec("marigoldhotels.example", "Marigold: multi-property bundle", "proposal", 21000, 35),
)


INTEGRATIONS = ("Salesforce", "Slack", "HubSpot", "Jira", "Zapier", "Shopify",
                "Microsoft Teams", "QuickBooks")
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")

# Texts used across topics; each is a `str.format` template like the topics' texts.
ACKS = (
    "Hi {first}, thanks for reaching out. I'm looking into this now and will get back to you "
    "shortly.",
    "Thanks {first}. I've picked this up and will update you as soon as I know more.",
    "Hi {first}, thanks for the details; that helps. I'm on it.",
    "Hello {first}, sorry for the trouble. I'm checking this with the team and will reply "
    "today.",
)
GENERIC_NOTES = (
    "Checked the audit log: no configuration changes on our side.",
    "Customer is on the {tier} plan; renewal coming up.",
    "Similar report from another customer last week; linking for context.",
    "Called the customer; they're fine with an update by tomorrow.",
)
# For topics without asks of their own: questions, requests, feedback (bugs have their own).
GENERIC_ASKS = (
    "Could you tell us a bit more about what you're trying to achieve, so we can suggest the "
    "best way?",
    "Could you confirm which users or teams this is about?",
)
CUSTOMER_BACK_NOTES = (
    "Customer replied with the details we asked for.",
    "Customer sent screenshots and the exact times.",
    "Customer called back: it still happens for three users.",
)
REMINDERS = (
    "Hi {first}, just checking in: do you still need help with this? We'll close the case "
    "in a few days if we don't hear back.",
)
UNRESPONSIVE_NOTES = ("No answer after a reminder; resolving as customer unresponsive.",)
CLOSE_NOTES = (
    "Customer confirmed the fix; closing.",
    "No further questions from the customer; closing.",
    "Solution accepted by the customer; closing.",
)
REOPEN_NOTES = (
    "Customer wrote back: the problem is back since this morning.",
    "Customer says the fix only worked for some of their users.",
)
RESOLVED_REOPEN_NOTES = (
    "Customer replied that it isn't fixed for them yet; looking again.",
)
DUPLICATE_REPLIES = (
    "Hi {first}, this is the same issue as your other open case, so we'll continue there "
    "and close this one.",
)
DUPLICATE_NOTES = ("Duplicate of an earlier case from the same contact.",)
ESCALATION_NOTES = (
    "{tier} customer with a renewal coming up; raising the priority.",
    "Customer escalated to their account manager; please give this priority.",
)
