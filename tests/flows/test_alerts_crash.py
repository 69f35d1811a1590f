"""A sender killed between the 2xx and its record: the alert goes again, with the same key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from prefect import flow
from prefect.utilities.annotations import quote

from care.domain.actions import Action
from care.domain.policy import Policy
from care.settings.load import AlertSettings
from care.store import Store
from tasks.alerts import AlertResult, send_alerts
from tasks.context import PollContext
from tests.flows.webhooks import GENERIC_PATH, SLACK_PATH, Receiver, webhook_receiver

pytestmark = pytest.mark.usefixtures("prefect_server")

APPLIED = datetime.now(UTC).replace(microsecond=0)


class Helpdesk:
    name = "zendesk"

    def tickets(self, ids: list[str]) -> dict[str, Any]:
        return {i: SimpleNamespace(url=f"https://acme.zendesk.com/agent/tickets/{i}") for i in ids}


def alerts_only(ctx: PollContext) -> AlertResult:
    @flow(name="send-alerts-only")
    def run() -> AlertResult:
        return send_alerts(quote(ctx))

    return run()


def context(store: Store, receiver: Receiver, now: datetime) -> PollContext:
    settings = AlertSettings(
        webhook_url=receiver.url + GENERIC_PATH, slack_webhook_url=receiver.url + SLACK_PATH
    )
    return PollContext(
        helpdesk=Helpdesk(),  # type: ignore[arg-type]
        store=store,
        policy=Policy(),
        faq=None,  # type: ignore[arg-type]
        notes=None,  # type: ignore[arg-type]
        clock=lambda: now,
        alerts=settings,
    )


@pytest.fixture
def store(database_url: str):
    with Store.open(database_url) as s:
        escalation = Action(
            rule="resolve.two_interactions",
            helpdesk="zendesk",
            ticket_id="7",
            reason="the requester wrote again after 2 agent replies",
            add_tags=frozenset({"care_escalated"}),
            notify=True,
        )
        s.record_actions([(escalation, None)], APPLIED)
        s.mark_applied([r.id for r in s.claim_pending("zendesk", "applier")], APPLIED)
        yield s


def test_a_crash_before_the_record_resends_once_the_claim_is_stale_with_the_same_key(
    store, monkeypatch
):
    with webhook_receiver() as receiver:
        original = Store.mark_alert_sent

        def killed(self, *args, **kwargs):
            raise RuntimeError("worker killed")

        monkeypatch.setattr(Store, "mark_alert_sent", killed)
        with pytest.raises(RuntimeError, match="worker killed"):
            alerts_only(context(store, receiver, APPLIED))
        monkeypatch.setattr(Store, "mark_alert_sent", original)

        assert alerts_only(context(store, receiver, APPLIED + timedelta(minutes=5))).sent == 0
        resent = alerts_only(context(store, receiver, APPLIED + timedelta(minutes=11)))
        assert alerts_only(context(store, receiver, APPLIED + timedelta(minutes=30))).sent == 0

    assert resent.sent == 1
    keys = [r.headers["Idempotency-Key"] for r in receiver.on(GENERIC_PATH)]
    assert keys == ["zendesk:7:resolve.two_interactions:"] * 2  # the receiver can drop one
    assert len(receiver.on(SLACK_PATH)) == 2
    (row,) = store.recent_actions()
    assert row.notified_at is not None and row.notify_attempts == 0
