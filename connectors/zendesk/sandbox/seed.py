"""Deterministic sandbox data: the named CARE scenarios first, then synthetic filler.

Everything is a pure function of (seed, total tickets, now): ticket *i* is computed on
demand, so a million tickets cost no memory. Scenario tickets take ids 1..len(SCENARIOS);
filler follows, its `generated_timestamp` non-decreasing with the id, so the export order
(generated_timestamp, id) of untouched filler is the id order.

How the Ticket Metrics (`metric_sets`) fields express what CARE reads:

- number of public agent replies: `replies`;
- first agent reply: `created_at + reply_time_in_minutes.calendar` (null while `replies` is 0);
- last agent reply: `assignee_updated_at` when `replies > 0` (agents reply as the assignee);
- last requester message: `requester_updated_at`;
- the requester wrote after the last agent reply: `requester_updated_at > assignee_updated_at`,
  and then `latest_comment_added_at == requester_updated_at`;
- group / assignee hops: `group_stations - 1` / `assignee_stations - 1`; reopens: `reopens`.

All seeded timestamps lie in (now - BACKFILL + 1 h, now - 2 min]. `SCENARIOS[name].rules` are
the rules expected to fire at `now` with the default policy, reading repeat contact as "the
requester's tickets created in the 7 days up to this ticket's creation, this one included".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

BACKFILL = 30 * 86400
MIN, HOUR, DAY = 60, 3600, 86400
ADMIN_ID = 9_000_000
AGENT_BASE, AGENTS = 9_000_001, 12
GROUP_BASE, GROUPS = 360_001, 6
ORG_BASE, ORGS = 700_001, 40
REQUESTER_BASE = 10_000_000  # filler requesters: REQUESTER_BASE + pool index
PERSON_BASE = 20_000_001  # scenario requesters
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("problem", "incident", "question", "task")
CUSTOM_STATUS = {s: 1_000 + i for i, s in enumerate(STATUSES)}
_M64 = (1 << 64) - 1


def mix(seed: int, n: int, salt: int = 0) -> int:
    """splitmix64 of (seed, n, salt): stable across Python versions, unlike hash()."""
    z = (seed * 0x9E3779B97F4A7C15 + n * 0xBF58476D1CE4E5B9 + salt * 0xD6E8FEB86659FD93) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


_DATES: dict[int, str] = {}
_CLOCK = [f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


def iso(epoch: int | None) -> str | None:
    """ISO 8601 UTC as Zendesk writes it; hot in page rendering, hence the lookup tables."""
    if epoch is None:
        return None
    day = epoch // DAY
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
    return date + _CLOCK[epoch - day * DAY]


@dataclass(slots=True)
class Rec:
    """One ticket and its metric set, timestamps as Unix seconds."""

    id: int
    subject: str
    description: str
    status: str
    priority: str | None
    type: str | None
    tags: list[str]
    channel: str
    requester_id: int
    assignee_id: int | None
    group_id: int | None
    organization_id: int | None
    created: int
    updated: int
    gts: int
    replies: int = 0
    reopens: int = 0
    group_stations: int = 0
    assignee_stations: int = 0
    first_reply: int | None = None
    agent_at: int | None = None  # assignee_updated_at
    requester_at: int | None = None  # requester_updated_at
    assigned_first: int | None = None
    assigned_last: int | None = None
    solved: int | None = None
    status_at: int = 0
    latest_comment: int | None = None
    added: list[tuple[int, int, str, bool, int]] = field(default_factory=list)
    """Comments added through the API: (comment id, author id, body, public, created)."""


class Scenario(NamedTuple):
    ticket_id: int
    rules: tuple[str, ...]  # CARE rules expected to fire with the default policy
    note: str


GREET, LOYAL, FAQ = "connect.greeting", "connect.loyal_customer", "assist.faq"
REPEAT, ERROR = "assist.repeat_contact", "assist.error_page"
SLA, TWO, HOPS, SURVEY = (
    "resolve.response_sla",
    "resolve.two_interactions",
    "resolve.passed_around",
    "enhance.survey",
)

# Scenario requesters: key -> (name, has e-mail, account age in days). Only Olivia, Sofia
# and Mia have several tickets, so no other scenario trips the repeat-contact rule.
_PEOPLE: dict[str, tuple[str, bool, int]] = {
    "maria": ("Maria Garcia", True, 150),
    "noah": ("Noah Fischer", True, 10),
    "olivia": ("Olivia Brown", True, 3 * 365 + 10),
    "liam": ("Liam Novak", True, 699),
    "emma": ("Emma Rossi", True, 210),
    "lucas": ("Lucas Martin", True, 95),
    "sofia": ("Sofia Jensen", True, 400),
    "mateo": ("Mateo Silva", True, 60),
    "ava": ("Ava Kowalski", True, 330),
    "ethan": ("Ethan Clarke", True, 45),
    "mia": ("Mia Laurent", True, 500),
    "leo": ("Leo Schmidt", True, 180),
    "zoe": ("Zoe Tanaka", True, 260),
    "omar": ("Omar Haddad", True, 120),
    "ines": ("Ines Moreau", True, 75),
    "hugo": ("Hugo Berg", False, 300),
    "hana": ("Hana Kim", True, 240),
    "jonas": ("Jonas Weber", True, 90),
    "lena": ("Lena Hoffmann", True, 365),
    "paul": ("Paul Dupont", True, 200),
    "rita": ("Rita Costa", True, 130),
    "tom": ("Tom Becker", True, 610),
    "yara": ("Yara Nasser", True, 85),
    "ben": ("Ben Carter", True, 420),
    "chen": ("Chen Wei", True, 300),
    "dana": ("Dana Levi", True, 170),
    "eli": ("Eli Morgan", True, 220),
    "fay": ("Fay Ito", True, 140),
    "gus": ("Gus Ramos", True, 260),
    "iris": ("Iris Novak", True, 330),
    "jack": ("Jack Byrne", True, 110),
    "kai": ("Kai Larsen", True, 480),
    "lola": ("Lola Vidal", True, 190),
    "max": ("Max Ortega", True, 560),
}
_PEOPLE_ID = {key: PERSON_BASE + i for i, key in enumerate(_PEOPLE)}

# One row per scenario ticket, id = position + 1. Durations are seconds before `now`.
# (name, rules, note, person, subject, description, status, fields)
_SPECS: list[tuple[str, tuple[str, ...], str, str, str, str, str, dict[str, Any]]] = [
    (
        "greeting_new",
        (GREET,),
        "new, no agent reply; tenure 5 months is mentioned",
        "maria",
        "Package arrived damaged",
        "The box was crushed and the lamp inside is broken.",
        "new",
        {"created": 2 * HOUR},
    ),
    (
        "greeting_newcomer",
        (GREET,),
        "open, assigned, no reply; account 10 days old: no tenure",
        "noah",
        "Cannot change my delivery address",
        "I moved last week, how do I update it?",
        "open",
        {"created": HOUR, "assigned": True},
    ),
    (
        "loyal_customer",
        (LOYAL,),
        "requester account 3 years old; agent replied last",
        "olivia",
        "Question about the premium plan",
        "Does the premium plan include phone support?",
        "open",
        {"created": 5 * HOUR, "replies": 1, "agent": 4 * HOUR},
    ),
    (
        "loyal_boundary_not_yet",
        (),
        "account 1 year 11 months (699 days) old: not loyal yet",
        "liam",
        "Colour options for the desk",
        "Is the standing desk available in oak?",
        "open",
        {"created": 5 * HOUR, "replies": 1, "agent": 4 * HOUR},
    ),
    (
        "greeting_loyal",
        (GREET, LOYAL),
        "new ticket of the 3-year customer (greeting says 3 years)",
        "olivia",
        "Second desk for my office",
        "Can I get the same desk again with a discount?",
        "new",
        {"created": 30 * MIN},
    ),
    (
        "faq_reset_password",
        (GREET, FAQ),
        "FAQ topic: reset password",
        "emma",
        "How do I reset my password?",
        "I forgot my password and the reset password e-mail never arrives.",
        "new",
        {"created": 40 * MIN},
    ),
    (
        "faq_refund",
        (GREET, FAQ),
        "FAQ topic: refund",
        "lucas",
        "Refund for a duplicate charge",
        "I was charged twice for order 4411. Please refund the duplicate payment.",
        "new",
        {"created": 50 * MIN},
    ),
    (
        "faq_invoice",
        (GREET, FAQ),
        "FAQ topic: invoice",
        "mateo",
        "Where can I download my invoice?",
        "I need the invoice for my last order as a PDF for my accounting.",
        "new",
        {"created": 70 * MIN},
    ),
    (
        "faq_two_factor",
        (GREET, FAQ),
        "FAQ topic: two-factor authentication",
        "ava",
        "Lost my phone: two-factor authentication",
        "I lost my phone and cannot get the two-factor authentication code to log in.",
        "new",
        {"created": 90 * MIN},
    ),
    (
        "faq_export_data",
        (GREET, FAQ),
        "FAQ topic: export data",
        "ethan",
        "How can I export my data?",
        "I want to export all my data to CSV before the end of the month.",
        "new",
        {"created": 2 * HOUR},
    ),
    (
        "repeat_first",
        (SURVEY,),
        "1st of Sofia's 3 tickets in 7 days, solved; repeat: the 3rd",
        "sofia",
        "Order 8812 is late",
        "My order 8812 has not arrived yet.",
        "solved",
        {"created": 6 * DAY, "replies": 1, "agent": 6 * DAY - 2 * HOUR, "solved": 5 * DAY},
    ),
    (
        "repeat_second",
        (SURVEY,),
        "2nd of Sofia's 3 tickets in 7 days; solved",
        "sofia",
        "Order 8812 still missing",
        "Still no parcel, tracking shows nothing.",
        "solved",
        {"created": 3 * DAY, "replies": 1, "agent": 3 * DAY - HOUR, "solved": 2 * DAY},
    ),
    (
        "repeat_third",
        (GREET, REPEAT),
        "3rd ticket by Sofia within 7 days",
        "sofia",
        "Where is my parcel???",
        "Third time I write about order 8812.",
        "new",
        {"created": HOUR},
    ),
    (
        "spread_first",
        (SURVEY,),
        "1st of 3 tickets by Mia over 10 days; solved",
        "mia",
        "Scratch on the tabletop",
        "The tabletop has a scratch.",
        "solved",
        {"created": 10 * DAY, "replies": 1, "agent": 10 * DAY - HOUR, "solved": 9 * DAY},
    ),
    (
        "spread_second",
        (SURVEY,),
        "2nd of 3 tickets by Mia over 10 days; solved",
        "mia",
        "Replacement tabletop",
        "When will the replacement arrive?",
        "solved",
        {"created": 5 * DAY, "replies": 1, "agent": 5 * DAY - HOUR, "solved": 4 * DAY},
    ),
    (
        "spread_third",
        (GREET,),
        "3rd ticket by Mia, but 3 tickets span 10 days: no repeat",
        "mia",
        "Assembly screws missing",
        "The replacement came without screws.",
        "new",
        {"created": 2 * HOUR},
    ),
    (
        "error_page_tag",
        (GREET, ERROR),
        "tag error_page, web, priority normal -> high",
        "leo",
        "Error 500 on checkout",
        "Sent from the error page: checkout failed.",
        "new",
        {"created": 20 * MIN, "tags": ["error_page"], "priority": "normal"},
    ),
    (
        "error_page_api",
        (GREET, ERROR),
        "tag error_page via api, priority low -> high",
        "zoe",
        "Error page report: payment",
        "Automatic report from the product error page.",
        "new",
        {"created": 25 * MIN, "tags": ["error_page"], "priority": "low", "channel": "api"},
    ),
    (
        "error_page_urgent",
        (GREET, ERROR),
        "tag error_page, already urgent: priority unchanged",
        "omar",
        "Error page report: login",
        "Automatic report from the product error page.",
        "new",
        {"created": 15 * MIN, "tags": ["error_page"], "priority": "urgent", "channel": "api"},
    ),
    (
        "api_without_error_tag",
        (GREET,),
        "via api without the error_page tag: not proactive",
        "ines",
        "Wholesale enquiry",
        "Do you sell to retailers?",
        "new",
        {"created": 35 * MIN, "channel": "api"},
    ),
    (
        "sla_warning_19h",
        (SLA,),
        "requester waiting 19 h after the agent reply: care_sla_warning",
        "hana",
        "Replacement part size",
        "Which size do I need?",
        "open",
        {"created": 2 * DAY, "replies": 1, "agent": 47 * HOUR, "requester": 19 * HOUR},
    ),
    (
        "sla_warning_23h59",
        (SLA,),
        "waiting 23 h 59 min: care_sla_warning, not breached",
        "jonas",
        "Wrong colour delivered",
        "I ordered blue, got green.",
        "open",
        {"created": 2 * DAY, "replies": 1, "agent": 47 * HOUR, "requester": 23 * HOUR + 59 * MIN},
    ),
    (
        "sla_breached_24h01",
        (SLA,),
        "waiting 24 h 01 min: care_sla_breached and a note",
        "lena",
        "Warranty claim",
        "The hinge broke after a month.",
        "open",
        {"created": 2 * DAY, "replies": 1, "agent": 47 * HOUR, "requester": 24 * HOUR + MIN},
    ),
    (
        "sla_quiet_17h",
        (),
        "waiting 17 h: below the 75 % warning (18 h)",
        "paul",
        "Gift wrapping",
        "Can you gift-wrap my order?",
        "open",
        {"created": 2 * DAY, "replies": 1, "agent": 47 * HOUR, "requester": 17 * HOUR},
    ),
    (
        "sla_never_answered_30h",
        (GREET, SLA),
        "new for 30 h, never answered: care_sla_breached",
        "rita",
        "Bulk order discount",
        "Is there a discount for 20 chairs?",
        "new",
        {"created": 30 * HOUR},
    ),
    (
        "pending_30h",
        (),
        "pending: requester wrote 30 h ago, but pending stops the SLA clock",
        "tom",
        "Photo of the defect",
        "Here is the photo you asked for.",
        "pending",
        {"created": 32 * HOUR, "replies": 1, "agent": 31 * HOUR, "requester": 30 * HOUR},
    ),
    (
        "hold_40h",
        (),
        "on hold for 40 h: no SLA, no greeting",
        "yara",
        "Custom engraving",
        "Waiting for the engraving supplier.",
        "hold",
        {"created": 41 * HOUR, "replies": 1, "agent": 40 * HOUR, "requester": 39 * HOUR},
    ),
    (
        "two_interactions",
        (TWO,),
        "2 agent replies, requester wrote again 3 h ago: escalate",
        "ben",
        "Drawer keeps jamming",
        "The fix you suggested did not work.",
        "open",
        {"created": 2 * DAY, "replies": 2, "agent": 10 * HOUR, "requester": 3 * HOUR},
    ),
    (
        "two_replies_agent_last",
        (),
        "2 agent replies, the agent replied last",
        "chen",
        "Cable management kit",
        "Does the kit fit the small desk?",
        "open",
        {"created": 2 * DAY, "replies": 2, "agent": 2 * HOUR, "requester": 12 * HOUR},
    ),
    (
        "one_reply_requester_after",
        (),
        "1 agent reply, requester wrote after it 2 h ago",
        "dana",
        "Chair height",
        "The chair is too low for me.",
        "open",
        {"created": DAY, "replies": 1, "agent": 8 * HOUR, "requester": 2 * HOUR},
    ),
    (
        "passed_around_groups",
        (HOPS,),
        "group_stations 4 (3 group changes)",
        "eli",
        "Delivery note shows the wrong address",
        "Please correct it.",
        "open",
        {"created": 3 * DAY, "replies": 1, "agent": 5 * HOUR, "groups": 4, "assignees": 2},
    ),
    (
        "passed_around_assignees",
        (HOPS,),
        "assignee_stations 4 (3 assignee changes)",
        "fay",
        "Showroom appointment",
        "I would like to visit the showroom.",
        "open",
        {"created": 3 * DAY, "replies": 1, "agent": 6 * HOUR, "groups": 1, "assignees": 4},
    ),
    (
        "passed_around_not_yet",
        (),
        "group_stations 3, assignee_stations 3: 2 changes each",
        "gus",
        "Bookshelf wall mounting",
        "Which wall plugs should I use?",
        "open",
        {"created": 3 * DAY, "replies": 1, "agent": 7 * HOUR, "groups": 3, "assignees": 3},
    ),
    (
        "survey_due",
        (SURVEY,),
        "solved 25 h ago: survey due now",
        "iris",
        "Parcel arrived",
        "Thanks, the parcel arrived today.",
        "solved",
        {"created": 3 * DAY, "replies": 1, "agent": 26 * HOUR, "solved": 25 * HOUR},
    ),
    (
        "survey_not_yet_due",
        (SURVEY,),
        "solved 2 h ago: survey due in 22 h",
        "jack",
        "Voucher code",
        "The voucher code was not accepted.",
        "solved",
        {"created": DAY, "replies": 1, "agent": 3 * HOUR, "solved": 2 * HOUR},
    ),
    (
        "survey_closed",
        (SURVEY,),
        "closed (solved 6 days ago); closed tickets reject updates",
        "kai",
        "Lamp shade colour",
        "Is the shade available in white?",
        "closed",
        {
            "created": 7 * DAY,
            "replies": 1,
            "agent": 6 * DAY + HOUR,
            "solved": 6 * DAY,
            "updated": 2 * DAY,
        },
    ),
    (
        "survey_opted_out_tag",
        (),
        "solved 26 h ago, tagged care_no_survey: no survey is sent",
        "lola",
        "Delivery slot",
        "Can you deliver on Saturday?",
        "solved",
        {
            "created": 3 * DAY,
            "replies": 1,
            "agent": 27 * HOUR,
            "solved": 26 * HOUR,
            "tags": ["care_no_survey"],
        },
    ),
    (
        "survey_no_email",
        (),
        "solved 26 h ago, requester has no e-mail: no survey is sent",
        "hugo",
        "Phone order status",
        "I ordered by phone, what is the status?",
        "solved",
        {
            "created": 3 * DAY,
            "replies": 1,
            "agent": 27 * HOUR,
            "solved": 26 * HOUR,
            "channel": "voice",
        },
    ),
    (
        "reopened",
        (),
        "reopened once, requester wrote 1 h after the only agent reply",
        "max",
        "Mattress smell",
        "The smell came back.",
        "open",
        {"created": 4 * DAY, "replies": 1, "agent": 6 * HOUR, "requester": HOUR, "reopens": 1},
    ),
]

SCENARIOS: dict[str, Scenario] = {
    name: Scenario(i + 1, rules, note) for i, (name, rules, note, *_rest) in enumerate(_SPECS)
}


def _scenario_rec(tid: int, spec: tuple[Any, ...], now: int) -> Rec:
    _name, _rules, _note, person, subject, description, status, f = spec
    created = now - f["created"]
    replies = f.get("replies", 0)
    agent = now - f["agent"] if replies else None
    requester = now - f.get("requester", f["created"])
    solved = now - f["solved"] if "solved" in f else None
    assigned = replies > 0 or f.get("assigned", False) or status not in ("new",)
    assignee = AGENT_BASE + tid % AGENTS if assigned else None
    first_reply = (agent if replies == 1 else created + 45 * MIN) if replies else None
    touched = [created, requester] + [t for t in (agent, solved) if t is not None]
    updated = now - f["updated"] if "updated" in f else max(touched)
    return Rec(
        id=tid,
        subject=subject,
        description=description,
        status=status,
        priority=f.get("priority", "normal"),
        type="question",
        tags=list(f.get("tags", [])),
        channel=f.get("channel", "web"),
        requester_id=_PEOPLE_ID[person],
        assignee_id=assignee,
        group_id=GROUP_BASE + tid % GROUPS if assigned else None,
        organization_id=None,
        created=created,
        updated=updated,
        gts=updated,
        replies=replies,
        reopens=f.get("reopens", 0),
        group_stations=f.get("groups", 1 if assigned else 0),
        assignee_stations=f.get("assignees", 1 if assigned else 0),
        first_reply=first_reply,
        agent_at=agent,
        requester_at=requester,
        assigned_first=min(created + 5 * MIN, updated) if assigned else None,
        assigned_last=min(created + 5 * MIN, updated) if assigned else None,
        solved=solved,
        status_at=solved if solved is not None else (agent or created),
        latest_comment=max(t for t in (requester, agent) if t is not None),
    )


_TOPICS = (
    ("How do I reset my password?", "The reset password link has expired.", "account"),
    ("Refund request for order {n}", "I returned the item; where is my refund?", "billing"),
    ("Invoice for order {n}", "Please send me the invoice with our VAT number.", "billing"),
    ("Two-factor authentication problem", "My authenticator app shows codes that fail.", "account"),
    ("Export data to spreadsheet", "How can I export my data for the last year?", "data"),
    ("Order {n} has not arrived", "Tracking has not moved for five days.", "shipping"),
    ("Damaged item in order {n}", "One leg of the chair is bent.", "shipping"),
    ("Change delivery address", "Can I still change the address for order {n}?", "shipping"),
    ("Cancel my subscription", "Please cancel my subscription at the end of the month.", "billing"),
    ("App crashes on start", "Since the last update the app closes immediately.", "bug"),
    ("Discount code not working", "The code from your newsletter is rejected.", "billing"),
    ("Question about assembly", "Step 7 of the manual is unclear to me.", "product"),
    ("Missing parts in order {n}", "Two screws are missing from the package.", "shipping"),
    ("Warranty question", "Is the warranty still valid after moving abroad?", "product"),
    ("Feature request: dark mode", "It would be great to have a dark mode.", "feedback"),
    ("Payment declined", "My card is declined although it works elsewhere.", "billing"),
)
_FIRST = (
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Felix",
    "Grace",
    "Henry",
    "Isla",
    "Jonas",
    "Kira",
    "Luca",
    "Maya",
    "Nils",
    "Oscar",
    "Paula",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zara",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
)
_LAST = (
    "Adams",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gomez",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Keller",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rahman",
    "Santos",
    "Torres",
    "Ueda",
    "Vargas",
    "Weber",
    "Young",
    "Zimmer",
)
_CHANNELS = ("web",) * 8 + ("email",) * 7 + ("api",) * 2 + ("chat",) * 2 + ("voice",)


class Seed:
    """The deterministic base data of one sandbox: tickets, users and their timestamps."""

    def __init__(self, tickets: int, seed: int, now: int, scenarios: bool) -> None:
        self.seed, self.now = seed, now
        self.scenario_count = len(_SPECS) if scenarios else 0
        self.total = max(tickets, self.scenario_count)
        self.first_filler = self.scenario_count + 1
        self.filler = self.total - self.scenario_count
        self._start = now - BACKFILL + HOUR
        self._span = BACKFILL - HOUR - 3 * MIN
        self.pool = max(10, self.filler // 3)  # shared requesters: some open several tickets

    # -- tickets -----------------------------------------------------------------------
    def scenario_recs(self) -> list[Rec]:
        return [_scenario_rec(i + 1, _SPECS[i], self.now) for i in range(self.scenario_count)]

    def filler_gts(self, k: int) -> int:
        """generated_timestamp of the k-th filler ticket (id first_filler + k), non-decreasing."""
        return self._start + (k * self._span) // max(self.filler, 1)

    def filler_rec(self, tid: int) -> Rec:
        k = tid - self.first_filler
        h, g = mix(self.seed, tid, 1), mix(self.seed, tid, 2)
        updated = self.filler_gts(k)
        age = self.now - updated
        recent = age < 3 * DAY
        s = h % 100
        if recent:
            status = (
                "new"
                if s < 18
                else "open"
                if s < 50
                else "pending"
                if s < 63
                else ("hold" if s < 68 else "solved")
            )
        else:
            status = (
                "solved"
                if s < 60
                else "closed"
                if s < 85
                else "pending"
                if s < 92
                else ("open" if s < 96 else "hold")
            )
        p = (h >> 8) % 100
        priority = (
            None
            if p < 5
            else "low"
            if p < 20
            else "normal"
            if p < 75
            else ("high" if p < 95 else "urgent")
        )
        topic = _TOPICS[(h >> 16) % len(_TOPICS)]
        order_no = 10_000 + (h >> 24) % 90_000
        channel = _CHANNELS[(h >> 44) % len(_CHANNELS)]
        tags = (
            [topic[2]]
            + (["error_page"] if (h >> 40) % 100 < 3 else [])
            + (["vip"] if (h >> 52) % 100 < 5 else [])
        )
        created = updated - (0 if status == "new" and g % 3 == 0 else g % (4 * DAY))
        replies = 0 if status == "new" else ((g >> 8) % 4 if status == "open" else 1 + (g >> 8) % 4)
        first_reply = created + 10 * MIN + (g >> 16) % (20 * HOUR) if replies else None
        if first_reply is not None and first_reply > updated:
            first_reply = created + (updated - created) // 3
        requester_after = replies > 0 and status in ("open", "hold") and (g >> 32) % 2 == 0
        solved = None
        if status in ("solved", "closed"):
            solved = updated if status == "solved" else updated - 4 * DAY
            created = min(created, solved - HOUR)
            first_reply = min(first_reply or solved, solved)
        agent = (
            None
            if not replies
            else (
                updated
                if not requester_after
                else max(first_reply or created, updated - 1 - (g >> 40) % (12 * HOUR))
            )
        )
        if solved is not None and agent is not None:
            agent = min(agent, solved)
        requester = (
            updated
            if requester_after
            else (created if not replies else max(created, (agent or created) - HOUR))
        )
        assigned = status != "new"
        assignee = AGENT_BASE + (g >> 48) % AGENTS if assigned else None
        hops = (g >> 56) % 100
        requester_id = REQUESTER_BASE + mix(self.seed, tid, 4) % self.pool
        return Rec(
            id=tid,
            subject=topic[0].format(n=order_no),
            description=topic[1].format(n=order_no),
            status=status,
            priority=priority,
            type=TYPES[(h >> 36) % 4] if p % 10 else None,
            tags=tags,
            channel=channel,
            requester_id=requester_id,
            assignee_id=assignee,
            group_id=GROUP_BASE + (g >> 52) % GROUPS if assigned else None,
            organization_id=self._org(requester_id),
            created=created,
            updated=updated,
            gts=updated,
            replies=replies,
            reopens=1 if hops in (7, 8) else 0,
            group_stations=(1 + (hops > 90) + (hops > 96)) if assigned else 0,
            assignee_stations=(1 + (hops > 85) + (hops > 95)) if assigned else 0,
            first_reply=first_reply,
            agent_at=agent,
            requester_at=requester,
            assigned_first=min(created + 5 * MIN, updated) if assigned else None,
            assigned_last=min(created + 5 * MIN, updated) if assigned else None,
            solved=solved,
            status_at=solved or agent or created,
            latest_comment=max(t for t in (requester, agent) if t is not None),
        )

    # -- users -------------------------------------------------------------------------
    def user_fields(self, uid: int) -> tuple[str, str | None, int, str, int | None] | None:
        """(name, email, created epoch, role, organization id) of a known user, else None."""
        if uid == ADMIN_ID:
            return (
                "CARE Sandbox Admin",
                "admin@care-sandbox.example",
                self.now - 4 * 365 * DAY,
                ("admin"),
                None,
            )
        if AGENT_BASE <= uid < AGENT_BASE + AGENTS:
            i = uid - AGENT_BASE
            first, last = _FIRST[(i * 7) % len(_FIRST)], _LAST[(i * 11) % len(_LAST)]
            email = f"{first.lower()}.{last.lower()}@care-sandbox.example"
            return f"{first} {last}", email, self.now - (400 + 90 * i) * DAY, "agent", None
        if PERSON_BASE <= uid < PERSON_BASE + len(_PEOPLE):
            key = list(_PEOPLE)[uid - PERSON_BASE]
            name, has_email, days = _PEOPLE[key]
            email = name.lower().replace(" ", ".") + "@example.com" if has_email else None
            return name, email, self.now - days * DAY - 3 * HOUR, "end-user", None
        if REQUESTER_BASE <= uid < REQUESTER_BASE + self.pool:
            h = mix(self.seed, uid, 3)
            first, last = _FIRST[h % len(_FIRST)], _LAST[(h >> 8) % len(_LAST)]
            email = (
                None
                if (h >> 16) % 100 < 3
                else (f"{first.lower()}.{last.lower()}{uid - REQUESTER_BASE}@example.com")
            )
            days = 30 + (h >> 24) % 2500  # about a third of them are 2+ years old
            return (
                f"{first} {last}",
                email,
                self.now - days * DAY - (h >> 48) % DAY,
                ("end-user"),
                self._org(uid),
            )
        return None

    def _org(self, uid: int) -> int | None:
        h = mix(self.seed, uid, 5)
        return ORG_BASE + (h >> 8) % ORGS if h % 5 == 0 else None
