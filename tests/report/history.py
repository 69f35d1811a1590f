"""A seeded 90-day history for the report, through the store's own writes: tickets in
four groups and a dozen agents, first replies that slow down in one group lately,
escalations, next-reply waits, surveys and answers, requesters who come back."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from care.domain.actions import Action
from care.domain.model import Priority, Status, Ticket
from care.domain.waits import Wait, WaitKind
from care.store import Store, SurveyRequest, WaitObservation
from tests.rules.builders import ticket

GROUPS = {"10": "Billing", "20": "Technical support", "30": "Accounts", "40": "Shipping"}
AGENTS = [f"a{n}" for n in range(1, 13)]


def seed_history(store: Store, end: datetime, tickets: int = 1200, seed: int = 7) -> None:
    rng = random.Random(seed)
    made: list[Ticket] = []
    for n in range(tickets):
        created = end - timedelta(days=90) + timedelta(seconds=rng.uniform(0, 90 * 86400 - 3600))
        made.append(_ticket(rng, n, created, end))
    store.upsert_snapshots(made, end)
    actions = [
        Action("resolve.two_interactions", t.helpdesk, t.id, "seeded")
        for t in made
        if t.agent_replies >= 3 and rng.random() < 0.5
    ]
    store.record_actions([(a, None) for a in actions], end)
    for t in made:
        _waits(store, rng, t, end)
    for t in made:
        if t.solved_at and rng.random() < 0.6 and t.solved_at + timedelta(days=1) < end:
            _survey(store, rng, t)


def _ticket(rng: random.Random, n: int, created: datetime, end: datetime) -> Ticket:
    group = rng.choice(list(GROUPS))
    recent = end - created < timedelta(days=7)
    slow = 6.0 if group == "10" and recent else 1.0  # Billing got slower this week
    reply_h = min(rng.lognormvariate(1.2, 1.0) * slow, 24 * 6)
    answered = rng.random() < 0.92
    reply = created + timedelta(hours=reply_h) if answered else None
    if reply and reply > end:
        reply = None
    solved = reply is not None and rng.random() < 0.8
    solved_at = reply + timedelta(hours=rng.uniform(1, 48)) if solved and reply else None
    if solved_at and solved_at >= end:
        solved_at = None
    replies = rng.choice([1, 1, 1, 2, 2, 3, 4]) if reply else 0
    return ticket(
        id=str(1000 + n),
        requester={"id": f"r{rng.randint(1, 400)}", "email": f"c{n % 400}@example.com"},
        group_id=group,
        assignee_id=rng.choice(AGENTS) if reply else None,
        priority=rng.choice([Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.LOW]),
        status=Status.SOLVED if solved_at else rng.choice([Status.OPEN, Status.PENDING]),
        created_at=created,
        updated_at=min(end, (solved_at or reply or created) + timedelta(minutes=5)),
        first_agent_reply_at=reply,
        last_agent_reply_at=reply,
        last_requester_message_at=created,
        agent_replies=replies,
        solved_at=solved_at,
        reopens=1 if rng.random() < 0.04 else 0,
        group_hops=rng.choice([0, 0, 0, 1, 3]),
    )


def _waits(store: Store, rng: random.Random, t: Ticket, end: datetime) -> None:
    if not t.first_agent_reply_at or rng.random() > 0.5:
        return
    started = t.first_agent_reply_at + timedelta(hours=rng.uniform(1, 30))
    if started >= end:
        return
    wait = Wait(started, WaitKind.NEXT_REPLY)
    lasted = timedelta(hours=rng.lognormvariate(2.0, 1.0))
    seen = WaitObservation(t.helpdesk, t.id, t.group_id, wait, False, started)
    store.record_waits([seen], started)
    if started + lasted < end:
        over = WaitObservation(t.helpdesk, t.id, t.group_id, None, False, started + lasted)
        store.record_waits([over], started + lasted)


def _survey(store: Store, rng: random.Random, t: Ticket) -> None:
    assert t.solved_at is not None
    due = t.solved_at + timedelta(hours=24)
    email = t.requester.email or "someone@example.com"
    request = SurveyRequest(t.helpdesk, t.id, t.requester.id, email, "A", "S", due, due)
    store.schedule_survey(request, due)
    (claimed,) = store.claim_due_surveys(due, "seed")
    assert store.start_survey_send(claimed.id, due, "<m@x>", token="seed")
    assert store.mark_survey_sent(claimed.id, due, "<m@x>", token="seed")
    if rng.random() < 0.4:
        answer = "solved" if rng.random() < 0.75 else "unsolved"
        store.record_survey_answer(t.helpdesk, t.id, email, answer, due + timedelta(hours=2))
