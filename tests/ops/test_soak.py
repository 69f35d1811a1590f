"""The fault soak (bench/soak.py) in short: two seeded runs must end with nothing lost,
nothing duplicated, no agent tag dropped and no traceback; and its checks do catch each."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from care.store import Store
from tests.ops.cluster import ROOT

pytestmark = pytest.mark.slow


def soak_module():
    spec = importlib.util.spec_from_file_location("soak", ROOT / "bench" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module
    spec.loader.exec_module(module)
    return module


class FakeZendesk:
    """Just what the checks read: tickets' tags, subjects and comments, and the tickets
    created through the API (proactive outreach)."""

    def __init__(
        self, tags: list[str], bodies: list[str], created: dict[int, str] | None = None
    ) -> None:
        self._tags, self._bodies = tags, bodies
        self._created = created or {}  # ticket id -> subject, tagged care_outreach

    def ticket(self, ticket_id: int) -> dict:
        if ticket_id in self._created:
            subject = self._created[ticket_id]
            return {"id": ticket_id, "tags": ["care_outreach"], "subject": subject}
        return {"id": ticket_id, "tags": self._tags}

    def comments(self, ticket_id: int) -> list[dict]:
        return [{"body": body} for body in self._bodies]

    def created_tickets(self) -> list[int]:
        return list(self._created)


def recorded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'care.db'}"
    Store.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO action_log (helpdesk, ticket_id, rule, variant, state, reason, "
                "add_tags, note, created_at) VALUES ('zendesk', '7', 'assist.faq', '', "
                "'applied', 'r', '[\"care_faq_suggested\"]', :note, '2026-12-01 00:00:00')"
            ),
            {"note": "[CARE] assist.faq\n— CARE pipelines · ref 0123456789"},
        )
    engine.dispose()
    return url


@pytest.mark.parametrize(
    ("tags", "bodies", "agent_tags", "expected"),
    [
        (["care_faq_suggested", "vip"], ["[CARE] x · ref 0123456789"], {"vip"}, (0, 0, 0)),
        (["vip"], ["[CARE] x · ref 0123456789"], {"vip"}, (1, 0, 0)),  # tag lost
        (["care_faq_suggested"], [], set(), (1, 0, 0)),  # note lost
        (["care_faq_suggested"], ["[CARE] · ref 0123456789"] * 2, set(), (0, 1, 0)),
        (["care_faq_suggested"], ["[CARE] · ref 0123456789"], {"vip"}, (0, 0, 1)),
    ],
    ids=["clean", "tag-lost", "note-lost", "note-twice", "agent-tag-dropped"],
)
def test_the_soak_checks_catch_what_they_claim(tmp_path, tags, bodies, agent_tags, expected):
    soak = soak_module()
    outcome = soak.Outcome(seed=1, vendor="zendesk")
    checker = soak.Soak(tmp_path, "http://unused", None)
    (tmp_path / "outbox").mkdir()
    checker._check(
        outcome,
        FakeZendesk(tags, bodies),
        "zendesk",
        recorded(tmp_path),
        tmp_path,
        {7: agent_tags},
    )
    assert (outcome.lost, outcome.duplicated, outcome.dropped) == expected


def sla_rows(tmp_path: Path) -> str:
    """A wait warned, then over: the warning tag must be gone from the ticket."""
    url = f"sqlite:///{tmp_path / 'care.db'}"
    Store.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        for variant, add, remove in (
            ("warning:20261201T000000Z", '["care_sla_warning"]', "[]"),
            ("ended:20261201T020000Z", "[]", '["care_sla_warning"]'),
        ):
            conn.execute(
                text(
                    "INSERT INTO action_log (helpdesk, ticket_id, rule, variant, state, reason, "
                    "add_tags, remove_tags, created_at) VALUES ('zendesk', '7', "
                    "'resolve.response_sla', :v, 'applied', 'r', :add, :remove, "
                    "'2026-12-01 00:00:00')"
                ),
                {"v": variant, "add": add, "remove": remove},
            )
    engine.dispose()
    return url


@pytest.mark.parametrize(
    ("tags", "lost"), [(["vip"], 0), (["vip", "care_sla_warning"], 1)], ids=["cleared", "left"]
)
def test_the_soak_checks_only_the_latest_sla_state(tmp_path, tags, lost):
    soak = soak_module()
    outcome = soak.Outcome(seed=1, vendor="zendesk")
    (tmp_path / "outbox").mkdir()
    soak.Soak(tmp_path, "http://unused", None)._check(
        outcome, FakeZendesk(tags, []), "zendesk", sla_rows(tmp_path), tmp_path, {}
    )
    assert outcome.lost == lost, outcome.problems


def test_two_soak_runs_lose_and_duplicate_nothing(tmp_path, monkeypatch):
    from care.app.local_server import local_prefect_server
    from tests.ports import free_port

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    soak = soak_module()
    with local_prefect_server(free_port(), tmp_path / "server.log") as api:
        checker = soak.Soak(tmp_path, api, None)
        outcomes = [checker.run(seed) for seed in (11, 12)]
    for outcome in outcomes:
        assert outcome.clean, (outcome.line(), outcome.problems)
        assert outcome.actions > 0 and outcome.notes > 0


def outreach_rows(tmp_path: Path, state: str, ticket_id: str | None) -> str:
    url = f"sqlite:///{tmp_path / 'care.db'}"
    Store.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outreach (key, helpdesk, customer_email, fingerprint, state, "
                "subject, body, public, tags, facts, intended_at, attempts, ticket_id) VALUES "
                "('k1', 'zendesk', 'ana@example.com', '4512', :state, 'About it', 'b', false, "
                "'[]', 'f', '2026-12-01 00:00:00', 0, :ticket)"
            ),
            {"state": state, "ticket": ticket_id},
        )
    engine.dispose()
    return url


@pytest.mark.parametrize(
    ("state", "recorded", "created", "expected"),
    [
        ("opened", "50", {50: "About it"}, (0, 0)),
        ("opened", "50", {50: "About it", 51: "About it"}, (0, 1)),  # a second ticket
        ("intended", None, {50: "About it"}, (1, 1)),  # never recorded: lost, and a stray
        ("opened", "50", {50: "Something else"}, (1, 0)),  # recorded with the wrong ticket
    ],
    ids=["clean", "second-ticket", "left-intended", "wrong-ticket"],
)
def test_the_outreach_checks_catch_what_they_claim(tmp_path, state, recorded, created, expected):
    soak = soak_module()
    outcome = soak.Outcome(seed=1, vendor="zendesk")
    (tmp_path / "outbox").mkdir()
    url = outreach_rows(tmp_path, state, recorded)
    soak.Soak(tmp_path, "http://unused", None)._check(
        outcome, FakeZendesk([], [], created), "zendesk", url, tmp_path, {}
    )
    assert (outcome.lost, outcome.duplicated) == expected, outcome.problems
