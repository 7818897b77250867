"""Words the synthetic world is made of: names, companies, and post templates.

Brightline Software sells finance-operations software (Brightline Flow: invoice
approvals, spend control, ERP sync) to mid-sized companies. Templates carry ``{slots}``
filled by :mod:`xsim.world`; ``{brand}`` is an @-mention of one of our accounts.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ada",
    "Aisha",
    "Alex",
    "Amara",
    "Ana",
    "Anders",
    "Arjun",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Dana",
    "Daniel",
    "Diego",
    "Elena",
    "Emeka",
    "Emma",
    "Eva",
    "Farah",
    "Felix",
    "Fiona",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Isaac",
    "Jamal",
    "Jana",
    "Jonas",
    "Julia",
    "Kai",
    "Kenji",
    "Lara",
    "Leo",
    "Lina",
    "Lucas",
    "Maya",
    "Mei",
    "Milan",
    "Nadia",
    "Nina",
    "Noah",
    "Olga",
    "Omar",
    "Paula",
    "Priya",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Tess",
    "Tom",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
    "Zoe",
)

LAST_NAMES = (
    "Adeyemi",
    "Alvarez",
    "Andersen",
    "Baker",
    "Becker",
    "Brennan",
    "Castro",
    "Chowdhury",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Hansen",
    "Ito",
    "Jansen",
    "Kaur",
    "Khan",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Peters",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Smith",
    "Sousa",
    "Tanaka",
    "Torres",
    "Van Dijk",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
)

CITIES = (
    "Amsterdam",
    "Austin",
    "Berlin",
    "Boston",
    "Chicago",
    "Dublin",
    "Lisbon",
    "London",
    "Lyon",
    "Madrid",
    "Manchester",
    "Melbourne",
    "Munich",
    "New York",
    "Oslo",
    "Paris",
    "Rotterdam",
    "São Paulo",
    "Singapore",
    "Stockholm",
    "Tokyo",
    "Toronto",
    "Vienna",
    "Warsaw",
    "Zurich",
)

# Companies that already pay for Brightline.
CUSTOMER_COMPANIES = (
    "Acorn Freight",
    "Alder Health",
    "Atlas Components",
    "Bluefin Foods",
    "Cobalt Retail",
    "Copperleaf Labs",
    "Driftwood Media",
    "Ember Energy",
    "Fernbrook Clinics",
    "Granite Works",
    "Harbor Textiles",
    "Ironbark Tools",
    "Juniper Travel",
    "Keystone Labs",
    "Lumen Dental",
    "Maple Logistics",
    "Nimbus Print",
    "Oakridge Homes",
    "Pinecrest Hotels",
    "Quarry Stone Co",
    "Redwood Analytics",
    "Saltmarsh Brewing",
    "Tidewater Marine",
    "Umber Studios",
    "Vantage Rail",
    "Willow Pharma",
    "Yellowtail Seafood",
    "Zenith Optics",
)

# Target accounts the sales team works (their CEOs and CFOs are prospects).
TARGET_COMPANIES = (
    "Northwind Logistics",
    "Contoso Manufacturing",
    "Fabrikam Foods",
    "Tailspin Aviation",
    "Wingtip Retail",
    "Litware Systems",
    "Proseware Health",
    "Adatum Energy",
    "Lucerne Publishing",
    "Margie Travel",
    "Fourth Coffee",
    "Alpine Ski House",
    "Humongous Insurance",
    "Trey Research",
    "Coho Vineyard",
    "Woodgrove Logistics",
)

OUTLETS = (
    "FinOps Weekly",
    "The Ledger",
    "SaaS Street",
    "CFO Daily",
    "Mid-Market Monitor",
    "TechCrunchy",
    "Back Office Brief",
    "Procure Post",
    "The Close",
    "Finance Forward",
)

INDUSTRIES = ("logistics", "retail", "healthcare", "travel", "manufacturing")
COMPETITORS = ("Spendwise", "Ledgerly", "PayFlow", "ApproveIt", "Invoicely")
ERPS = ("NetSuite", "SAP", "Dynamics", "Xero", "Sage", "QuickBooks", "Exact")
FEATURES = (
    "multi-level approvals",
    "the ERP sync",
    "spend limits",
    "the mobile app",
    "cost-centre reports",
    "SSO",
    "the audit log",
    "bulk invoice import",
    "the Slack integration",
    "purchase orders",
    "the reporting view",
    "card reconciliation",
)
SUPPORT_AGENTS = ("Jess", "Marco", "Priya", "Sven", "Lea", "Tom")
EVENTS = ("FinOps Summit", "SaaStr", "CFO Forum", "Money20/20", "AP Automation Day")

COMPANY_BIO = (
    "Finance operations that run themselves: approvals, spend control and ERP sync "
    "for growing companies."
)
SUPPORT_BIO = (
    "Brightline Support. We answer Mon–Fri 08:00–20:00 CET. Status: status.brightline.example"
)

BRAND_ACCOUNT = "brightline"
SUPPORT_ACCOUNT = "brightline_help"

# Mention kinds and their share of the mention stream.
MENTION_MIX = (
    ("question", 0.26),
    ("complaint", 0.18),
    ("praise", 0.14),
    ("buying_signal", 0.09),
    ("press", 0.05),
    ("foreign", 0.14),
    ("retweet", 0.07),
    ("reply", 0.07),
)

QUESTION = (
    "{brand} how do I export approved invoices to {erp}?",
    "{brand} is there a way to set up {feature} per department?",
    "Hey {brand}, does the {erp} integration sync cost centres too?",
    "{brand} our SSO login keeps looping back to the start page. Any idea?",
    "{brand} can approvers delegate while they are on holiday?",
    "{brand} where do I find the audit log for last quarter?",
    "Quick one {brand}: does {feature} work on the mobile app?",
    "{brand} what is the limit on bulk invoice import? We have ~{n} a month.",
    "{brand} is there an API for {feature}? Docs link?",
    "{brand} how do we add a second entity to our account?",
)
COMPLAINT = (
    "{brand} the {erp} sync has been failing since this morning. Ticket #{ticket}, no answer yet.",
    "{brand} third time this week the dashboard times out. Not great.",
    "Waiting 3 days for a reply from {brand}. We pay for premium support!",
    "{brand} invoices stuck in 'pending approval' for everyone on our team. Please fix.",
    "{brand} the new update broke {feature} for us. Rolling back is not an option?",
    "Really disappointed with {brand} today, month-end close and the app is down.",
    "{brand} why was our card limit changed without notice?",
    "{brand} your status page says all green but nothing loads here.",
)
PRAISE = (
    "Closed the month in two days thanks to {brand}. Finance team is very happy.",
    "Shout-out to {brand}, {agent} sorted our approval chain in ten minutes!",
    "{brand} the new reporting view is excellent, exactly what we asked for.",
    "Moved our AP team to {brand} last quarter. Best decision we made this year.",
    "{brand} {feature} just saved me an afternoon. Thank you!",
    "If you run finance ops and don't use {brand} yet, you're working too hard.",
)
BUYING_SIGNAL = (
    "We're outgrowing spreadsheets for AP. Anyone using {brand}? Worth a demo?",
    "{brand} do you have pricing for ~{n} users? Looking to switch before Q3.",
    "Comparing {brand} and {competitor} for our finance stack. Thoughts?",
    "{brand} does Flow integrate with {erp}? We're evaluating tools this month.",
    "Our {competitor} contract ends in {months} months. {brand} can we talk?",
    "Looking for recommendations: invoice approval software for a {n}-person company. {brand}?",
)
PRESS = (
    "Writing a piece on finance automation in mid-market companies. {brand}, care to comment?",
    "New on {outlet}: how {brand} customers are closing their books faster {url}",
    "{brand} is hiring in {city}, per a post this morning. Expansion plans?",
    "Spoke with the {brand} team about their roadmap for 2026. Story soon at {outlet}.",
    "Interesting numbers from {brand}'s customer survey: {pct}% cut month-end close by a week.",
)
DETRACTOR = (
    "{brand} still the slowest support in the industry. #fail",
    "Another outage at {brand}? Time to look at {competitor}.",
    "{brand} raised prices again and the product still can't handle {feature}.",
    "Friendly reminder that {brand} takes days to answer tickets.",
)
REPLY_REACTIONS = (
    "{brand} love this!",
    "{brand} finally! We've been waiting for this.",
    "{brand} does this work with {erp}?",
    "{brand} is this on every plan?",
    "{brand} great, but please fix the {feature} bug first.",
    "{brand} 🔥",
    "{brand} signing up for the webinar now.",
)

FOREIGN = (
    ("de", "{brand} Der Export nach {erp} funktioniert seit gestern nicht mehr. Könnt ihr helfen?"),
    (
        "de",
        "Wir nutzen {brand} seit einem Jahr, der Monatsabschluss geht jetzt doppelt so schnell.",
    ),
    ("fr", "{brand} super outil, on a réduit notre clôture mensuelle de moitié !"),
    ("fr", "{brand} impossible de valider les factures depuis ce matin, c'est normal ?"),
    ("es", "{brand} ¿tienen soporte en español para la integración con {erp}?"),
    ("es", "Muy contentos con {brand}, el equipo de finanzas ahorra horas cada semana."),
    ("nl", "{brand} onze facturen komen niet door in {erp}, wie kan helpen?"),
    ("nl", "Demo gehad van {brand}, ziet er goed uit. Iemand ervaring mee?"),
    ("pt", "{brand} vocês têm parceiros no Brasil? Queremos uma demonstração."),
    ("it", "{brand} da stamattina non riusciamo ad approvare le fatture."),
    ("ja", "{brand} 日本語のサポートはありますか？"),
)

CHATTER = (
    "Anyone here using Brightline for invoice approvals? How was onboarding?",
    "Our finance team just moved to Brightline Flow, so far so good.",
    "The #BrightlineFlow webinar on {feature} today was actually useful.",
    "Brightline vs {competitor}: which one handles {erp} better?",
    "Three tools I'd recommend to any controller: {erp}, Brightline and a good coffee machine.",
    "Hot take: finance automation is the most underrated software category.",
    "Month-end close again. Who else is drowning in invoices?",
    "Evaluating spend management tools this quarter, open to recommendations.",
    "Just read a good thread on AP automation, worth it if you run a finance team.",
)
CUSTOMER_POSTS = (
    "Month-end close done by {day}. Small win for the finance team at {company}.",
    "We're hiring an AP specialist in {city}! DM me.",
    "Great session at {event} today about modern finance teams.",
    "Budget season at {company}. Coffee consumption up {pct}%.",
    "Anyone else find {erp} upgrades painful? Asking for a friend.",
    "Proud of the {company} team for a record quarter.",
    "Reading list for controllers: any recommendations?",
    "Our approval workflow went from 9 steps to 3. Process design matters.",
)
PROSPECT_POSTS = (
    "{company} is hiring {n} people in finance ops in {city}. Exciting times!",
    "Big quarter for {company}: we crossed {n} customers.",
    "Evaluating new tooling for our AP team. Recommendations welcome.",
    "Speaking at {event} next week about scaling finance without scaling headcount.",
    "Our CFO and I are rethinking the approval process from scratch at {company}.",
    "Thrilled to announce {company} has opened an office in {city}.",
    "{company} just closed our Series {series}. Time to build.",
    "Spreadsheets got us here, they won't get us to the next stage.",
    "Back from {event}. Lots of ideas about automating the back office.",
)
PRESS_POSTS = (
    "New: {headline} {url}",
    "From the newsletter: {headline} {url}",
    "Interviewing finance leaders about automation budgets for next year. DMs open.",
    "My take on this week's funding rounds in fintech: {url}",
    "Podcast out now: {headline} {url}",
)
HEADLINES = (
    "Why mid-market CFOs are ditching spreadsheets",
    "The quiet boom in accounts-payable software",
    "Spend management startups face a shake-out",
    "What ERP vendors get wrong about approvals",
    "Five finance teams on closing the books in two days",
    "Is the CFO tech stack getting too big?",
)
OWN_POSTS = (
    "New in Brightline Flow: {feature} for every plan. Read more: {url}",
    "Webinar on Thursday: {topic}. Register: {url}",
    "Case study: how {customer} cut month-end close by {pct}%. {url}",
    "Tip: set up {feature} once and let approvals route themselves. Guide: {url}",
    "We're at {event} next week, come say hi at booth {n}! {url}",
    "Our {erp} integration now syncs in real time. Details: {url}",
    "Finance teams using Flow approve invoices {pct}% faster. Here's how: {url}",
    "Hiring: we're looking for engineers in {city}. {url} #BrightlineFlow",
)
SUPPORT_POSTS = (
    "Heads up: scheduled maintenance on {day} 02:00–03:00 UTC. Status: {url}",
    "Tip: you can delegate approvals while you're away. How-to: {url}",
    "We've fixed the issue affecting {erp} sync. Thanks for your patience!",
    "Our support hours are extended during month-end close this week.",
    "New help article: {topic}. {url}",
)
TOPICS = (
    "closing the books in two days",
    "spend control without the friction",
    "approval workflows that scale",
    "getting ready for the audit",
    "ERP sync best practices",
)
LINK_PATHS = (
    "blog/flow-{slug}",
    "webinars/{slug}",
    "customers/{slug}",
    "help/{slug}",
    "events/{slug}",
    "careers",
    "status",
)
DMS_IN = (
    "Hi, following up on ticket #{ticket}. Any news?",
    "Could you check our account ({company})? Invoices stuck in approval.",
    "Hello! We'd like a demo for our finance team, who should I talk to?",
    "Thanks for the quick fix yesterday, everything works again.",
    "Is there a way to get an invoice copy for last month?",
    "Our admin left the company, how do we transfer ownership?",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SOURCES = ("Twitter Web App", "Twitter for iPhone", "Twitter for Android", "TweetDeck")
