"""The API budget all workers share: a Prefect global concurrency limit used as a rate limit."""

from __future__ import annotations

import re

import httpx
import pytest
from prefect.client.orchestration import PrefectClient, get_client

from connectors.budget import PrefectRateLimit, bucket, ensure_limit, limit_name

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.mark.parametrize("per_minute", [60, 200, 700, 5000])
def test_a_full_burst_plus_a_minute_of_refill_never_exceeds_the_budget(per_minute):
    burst, refill = bucket(per_minute)
    assert burst + refill * 60 == pytest.approx(per_minute)
    assert 10 <= burst <= 50


def test_a_budget_smaller_than_a_burst_is_refused():
    with pytest.raises(ValueError, match="too small"):
        bucket(8)


def test_the_limit_is_created_on_the_prefect_server_and_updated_when_the_budget_changes():
    name = ensure_limit("budget-test", 600)
    ensure_limit("budget-test", 1200)
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(name)
    assert name == limit_name("budget-test") == "care-api-budget-test"
    assert (limit.limit, limit.slot_decay_per_second) == (50, pytest.approx(19.1666, rel=1e-3))


def test_requests_wait_for_slots_once_the_burst_is_spent(monkeypatch):
    with get_client(sync_client=True) as client:
        # 2 slots a second: a batch of 5 refills in 2.5 s, far longer than a busy machine's
        # pauses between two asks, so the refusals below do not depend on timing.
        client.upsert_global_concurrency_limit_by_name("care-api-paced", 5, 2.0)
    asked: list[tuple[int, int]] = []  # (slots, HTTP status) of each ask to the Prefect server
    original = PrefectClient.increment_concurrency_slots

    async def recording(self, names, slots, mode):
        try:
            response = await original(self, names, slots, mode)
        except httpx.HTTPStatusError as exc:  # 423 Locked: no slots yet, retry after a wait
            asked.append((slots, exc.response.status_code))
            raise
        asked.append((slots, response.status_code))
        return response

    monkeypatch.setattr(PrefectClient, "increment_concurrency_slots", recording)
    budget = PrefectRateLimit("care-api-paced", prefetch=5)
    for _ in range(15):
        budget.take()
    assert [slots for slots, status in asked if status == 200] == [5, 5, 5]  # 5 at a time
    # The burst at once; the later batches are refused (told to wait) before they are granted.
    answers = "".join("g" if status == 200 else "w" for _, status in asked)
    assert re.fullmatch("gw+gw*g", answers), asked
