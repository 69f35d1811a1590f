"""The named CARE scenarios, written once and seeded into every helpdesk sandbox.

Tickets 1..len(SCENARIOS), each covering a rule or its non-firing neighbour. A
scenario is vendor-neutral: each sandbox expresses it in its own API's terms
(Zendesk: ticket, users and metric sets; Freshdesk: ticket, stats, contact and
conversations), and a parity test proves that CARE decides the same on both.

Fields (durations are seconds before the sandbox's `now`):

- `created`; `updated` (default: the latest event below);
- `replies`: public agent replies; `agent`: the last one (the first is 45 min after
  creation when there are several); `requester`: the requester's last message
  (default: the ticket's creation); `solved`: when it was solved;
- `assigned`: an agent holds it although nobody replied (replied tickets always are);
- `tags`, `priority` (low/normal/high/urgent), `channel` (web/api/voice), `reopens`;
- `moves`: the ticket's history *after* CARE's first poll, one string per poll round:
  "g" it moves to another group, "a" to another agent (see `moves_in_round`). A
  helpdesk without hop counts (Freshdesk) sees only what its polls observe, so the
  history is replayed between polls on every helpdesk alike.

`SCENARIOS[name].rules` are the rules expected once the whole history is replayed,
with the default policy, reading repeat contact as "the requester's tickets created
in the 7 days up to this ticket's creation, this one included".
"""

from __future__ import annotations

from typing import Any, NamedTuple

MIN, HOUR, DAY = 60, 3600, 86400


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
PEOPLE: dict[str, tuple[str, bool, int]] = {
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

# One row per scenario ticket, id = position + 1. Durations are seconds before `now`.
# (name, rules, note, person, subject, description, status, fields)
SPECS: list[tuple[str, tuple[str, ...], str, str, str, str, str, dict[str, Any]]] = [
    (
        "greeting_new",
        (GREET, FAQ),
        "new, no agent reply; tenure 5 months is mentioned; FAQ: damaged item",
        "maria",
        "Package arrived damaged",
        "The box was crushed and the lamp inside is broken.",
        "new",
        {"created": 2 * HOUR},
    ),
    (
        "greeting_newcomer",
        (GREET, FAQ),
        "open, assigned, no reply; 10-day account: no tenure; FAQ: delivery address",
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
        (GREET, REPEAT, FAQ),
        "3rd ticket by Sofia within 7 days; FAQ: track an order",
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
        (GREET, FAQ),
        "3rd ticket by Mia, but 3 tickets span 10 days: no repeat; FAQ: missing parts",
        "mia",
        "Assembly screws missing",
        "The replacement came without screws.",
        "new",
        {"created": 2 * HOUR},
    ),
    (
        "error_page_tag",
        (GREET, ERROR, FAQ),
        "tag error_page, web, priority normal -> high; FAQ: checkout error and status page",
        "leo",
        "Error 500 on checkout",
        "Sent from the error page: checkout failed.",
        "new",
        {"created": 20 * MIN, "tags": ["error_page"], "priority": "normal"},
    ),
    (
        "error_page_api",
        (GREET, ERROR, FAQ),
        "tag error_page via api, priority low -> high; FAQ: status page",
        "zoe",
        "Error page report: payment",
        "Automatic report from the product error page.",
        "new",
        {"created": 25 * MIN, "tags": ["error_page"], "priority": "low", "channel": "api"},
    ),
    (
        "error_page_urgent",
        (GREET, ERROR, FAQ),
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
        (SLA, FAQ),
        "waiting 23 h 59 min: care_sla_warning, not breached; FAQ: returns",
        "jonas",
        "Wrong colour delivered",
        "I ordered blue, got green.",
        "open",
        {"created": 2 * DAY, "replies": 1, "agent": 47 * HOUR, "requester": 23 * HOUR + 59 * MIN},
    ),
    (
        "sla_breached_24h01",
        (SLA, FAQ),
        "waiting 24 h 01 min: care_sla_breached and a note; FAQ: warranty",
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
        (GREET, SLA, FAQ),
        "new for 30 h, never answered: care_sla_breached; FAQ: discount codes (bulk orders)",
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
        (HOPS, FAQ),
        "moved to another group in three polls running; FAQ: delivery address",
        "eli",
        "Delivery note shows the wrong address",
        "Please correct it.",
        "open",
        {"created": 3 * DAY, "replies": 1, "agent": 5 * HOUR, "moves": ("g", "g", "ga")},
    ),
    (
        "passed_around_assignees",
        (HOPS,),
        "handed to another agent in three polls running",
        "fay",
        "Showroom appointment",
        "I would like to visit the showroom.",
        "open",
        {"created": 3 * DAY, "replies": 1, "agent": 6 * HOUR, "moves": ("a", "a", "a")},
    ),
    (
        "passed_around_not_yet",
        (FAQ,),
        "two group and two agent changes: not yet passed around; FAQ: assembly (wall plugs)",
        "gus",
        "Bookshelf wall mounting",
        "Which wall plugs should I use?",
        "open",
        {"created": 3 * DAY, "replies": 1, "agent": 7 * HOUR, "moves": ("ga", "ga")},
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
        (SURVEY,),
        "solved 26 h ago, no e-mail: scheduled, skipped at send time",
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
    name: Scenario(i + 1, rules, note) for i, (name, rules, note, *_rest) in enumerate(SPECS)
}


class Move(NamedTuple):
    ticket_id: int
    group: bool  # moved to another group
    agent: bool  # handed to another agent


HISTORY_ROUNDS = max(len(spec[-1].get("moves", ())) for spec in SPECS)


def moves_in_round(round_no: int) -> list[Move]:
    """What agents change between CARE's poll `round_no` and the next (from 1)."""
    moves = []
    for i, spec in enumerate(SPECS):
        history = spec[-1].get("moves", ())
        if round_no <= len(history):
            step = history[round_no - 1]
            moves.append(Move(i + 1, "g" in step, "a" in step))
    return moves


def replay_round(sandbox: Any, round_no: int) -> int:
    """Apply round `round_no` of the scenario history through a sandbox's `move`."""
    moves = moves_in_round(round_no)
    for move in moves:
        sandbox.move(move.ticket_id, group=move.group, agent=move.agent)
    return len(moves)
