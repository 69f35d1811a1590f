"""The Zendesk sandbox itself, over real HTTP on loopback: the second opinion must be right."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandboxes.zendesk import SCENARIOS, ZendeskSandbox

EXPORT = "/api/v2/incremental/tickets/cursor.json"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=250, seed=7, job_delay_ms=20) as sb:
        yield sb


def session(sb: ZendeskSandbox) -> requests.Session:
    s = requests.Session()
    s.auth = (f"{sb.admin_email}/token", sb.api_token)
    return s


def month_ago(sb: ZendeskSandbox) -> int:
    return int(sb.clock()) - 31 * 86400


def drain(s: requests.Session, sb: ZendeskSandbox, params: dict) -> tuple[list[dict], str]:
    """Every export page from `params` to end_of_stream; returns the pages and the last cursor."""
    pages = []
    while True:
        response = s.get(sb.url + EXPORT, params=params, timeout=10)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if pages[-1]["end_of_stream"]:
            return pages, pages[-1]["after_cursor"]
        params = {**params, "cursor": pages[-1]["after_cursor"]}
        params.pop("start_time", None)


def wait_for_job(s: requests.Session, sb: ZendeskSandbox, job: dict) -> dict:
    seen = [job["status"]]
    for _ in range(200):
        job = s.get(f"{sb.url}/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
        seen.append(job["status"])
        if job["status"] == "completed":
            return {**job, "seen": seen}
        time.sleep(0.01)
    raise AssertionError(f"job never completed: {seen}")


# -- incremental export ------------------------------------------------------------------


def test_given_250_tickets_when_paging_by_100_then_every_id_comes_exactly_once(sandbox):
    pages, _ = drain(
        session(sandbox),
        sandbox,
        {"start_time": month_ago(sandbox), "per_page": 100, "include": "users,metric_sets"},
    )

    ids = [t["id"] for page in pages for t in page["tickets"]]
    assert sorted(ids) == list(range(1, 251))
    assert [len(p["tickets"]) for p in pages] == [100, 100, 50]
    assert [p["end_of_stream"] for p in pages] == [False, False, True]
    keys = [(t["generated_timestamp"], t["id"]) for page in pages for t in page["tickets"]]
    assert keys == sorted(keys)
    for page in pages:
        assert [m["ticket_id"] for m in page["metric_sets"]] == [t["id"] for t in page["tickets"]]
        users = {u["id"]: u for u in page["users"]}
        assert all(users[t["requester_id"]]["role"] == "end-user" for t in page["tickets"])


def test_cursor_decodes_to_the_documented_timestamp_and_id_form(sandbox):
    page = (
        session(sandbox)
        .get(sandbox.url + EXPORT, params={"start_time": month_ago(sandbox), "per_page": 5})
        .json()
    )

    last = page["tickets"][-1]
    assert base64.b64decode(page["after_cursor"]).decode() == (
        f"{last['generated_timestamp']}.0||{last['id']}|"
    )
    assert page["after_url"].startswith(f"{sandbox.url}{EXPORT}?cursor=")
    assert page["before_cursor"] is None


def test_start_time_within_the_last_minute_is_rejected_with_400(sandbox):
    response = session(sandbox).get(
        sandbox.url + EXPORT, params={"start_time": int(sandbox.clock()) - 30}
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "InvalidValue",
        "description": ("Too recent start_time. Use a start_time older than 1 minute"),
    }


def test_a_caught_up_client_gets_end_of_stream_and_sees_new_changes_a_minute_later(sandbox):
    s = session(sandbox)
    _, cursor = drain(s, sandbox, {"start_time": month_ago(sandbox)})
    sandbox.touch(42, priority="urgent")

    fresh = s.get(sandbox.url + EXPORT, params={"cursor": cursor}).json()
    assert fresh["tickets"] == [] and fresh["end_of_stream"] is True
    assert fresh["after_cursor"] == cursor  # nothing new yet: the last minute is withheld

    sandbox.advance(61)
    later = s.get(sandbox.url + EXPORT, params={"cursor": cursor}).json()
    assert [(t["id"], t["priority"]) for t in later["tickets"]] == [(42, "urgent")]


def test_same_seed_and_now_give_identical_export_pages():
    bodies = []
    for _ in range(2):
        with ZendeskSandbox(tickets=300, seed=11, now=NOW) as sb:
            start = int((NOW - timedelta(days=30)).timestamp())
            text = (
                session(sb)
                .get(sb.url + EXPORT, params={"start_time": start, "include": "users,metric_sets"})
                .text
            )
            bodies.append(text.replace(sb.url, "BASE"))
    assert bodies[0] == bodies[1]


# -- writes --------------------------------------------------------------------------------


def test_update_many_additional_tags_keeps_tags_and_the_ticket_reappears_in_the_stream(sandbox):
    s = session(sandbox)
    error_page = SCENARIOS["error_page_tag"].ticket_id  # tags: error_page
    opted_out = SCENARIOS["survey_opted_out_tag"].ticket_id  # tags: care_no_survey
    _, cursor = drain(s, sandbox, {"start_time": month_ago(sandbox)})

    job = s.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json",
        params={"ids": f"{error_page},{opted_out}"},
        json={"ticket": {"additional_tags": ["care_proactive"], "priority": "high"}},
    ).json()
    wait_for_job(s, sandbox, job["job_status"])
    sandbox.advance(61)
    pages, _ = drain(s, sandbox, {"cursor": cursor})

    again = {t["id"]: t for page in pages for t in page["tickets"]}
    assert sorted(again) == sorted([error_page, opted_out])
    assert again[error_page]["tags"] == ["error_page", "care_proactive"]
    assert again[opted_out]["tags"] == ["care_no_survey", "care_proactive"]
    assert again[error_page]["priority"] == "high"


def test_batch_update_many_applies_each_change_with_comment(sandbox):
    s = session(sandbox)
    body = {
        "tickets": [
            {
                "id": 1,
                "additional_tags": ["care_greeted"],
                "comment": {"body": "connect.greeting: say hi", "public": False},
            },
            {"id": 2, "remove_tags": ["nothing"], "priority": "low"},
        ]
    }
    job = s.put(f"{sandbox.url}/api/v2/tickets/update_many", json=body).json()["job_status"]
    wait_for_job(s, sandbox, job)

    assert sandbox.ticket(1)["tags"] == ["care_greeted"]
    assert sandbox.ticket(2)["priority"] == "low"
    note = sandbox.comments(1)[-1]
    assert (note["body"], note["public"]) == ("connect.greeting: say hi", False)


def test_single_put_replaces_tags_and_ignores_additional_tags(sandbox):
    s = session(sandbox)
    tid = SCENARIOS["survey_opted_out_tag"].ticket_id

    response = s.put(
        f"{sandbox.url}/api/v2/tickets/{tid}.json",
        json={"ticket": {"tags": ["vip"], "additional_tags": ["ignored"]}},
    )

    assert response.status_code == 200
    assert response.json()["ticket"]["tags"] == ["vip"]
    assert sandbox.ticket(tid)["tags"] == ["vip"]
    assert "additional_tags" in response.headers["X-Zendesk-API-Warn"]
    change = response.json()["audit"]["events"][0]
    assert (change["field_name"], change["previous_value"]) == ("tags", ["care_no_survey"])


def test_put_with_a_private_comment_adds_a_note_but_no_agent_reply(sandbox):
    s = session(sandbox)
    tid = SCENARIOS["greeting_new"].ticket_id

    s.put(
        f"{sandbox.url}/api/v2/tickets/{tid}",
        json={"ticket": {"comment": {"body": "Draft greeting", "public": False}}},
    )

    metrics = s.get(f"{sandbox.url}/api/v2/tickets/{tid}/metrics").json()["ticket_metric"]
    assert metrics["replies"] == 0
    comments = s.get(f"{sandbox.url}/api/v2/tickets/{tid}/comments.json").json()
    assert comments["count"] == 2 and comments["next_page"] is None
    assert comments["comments"][-1]["public"] is False


def test_invalid_priority_is_422_record_invalid_and_unknown_ticket_404(sandbox):
    s = session(sandbox)

    invalid = s.put(f"{sandbox.url}/api/v2/tickets/3", json={"ticket": {"priority": "huge"}})
    missing = s.get(f"{sandbox.url}/api/v2/tickets/999999.json")

    assert invalid.status_code == 422
    assert invalid.json()["error"] == "RecordInvalid" and "priority" in invalid.json()["details"]
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_closed_ticket_rejects_updates(sandbox):
    tid = SCENARIOS["survey_closed"].ticket_id
    response = session(sandbox).put(
        f"{sandbox.url}/api/v2/tickets/{tid}", json={"ticket": {"tags": ["care_survey_solved"]}}
    )
    assert response.status_code == 422
    assert "closed" in str(response.json()["details"])


def test_job_status_goes_to_completed_with_per_ticket_results(sandbox):
    s = session(sandbox)
    job = s.put(
        f"{sandbox.url}/api/v2/tickets/update_many",
        params={"ids": "5,999999"},
        json={"ticket": {"additional_tags": ["x"]}},
    ).json()["job_status"]
    assert (job["status"], job["total"], job["results"]) == ("queued", 2, None)

    done = wait_for_job(s, sandbox, job)

    assert done["progress"] == 2 and done["message"].startswith("Completed at ")
    assert done["results"][0] == {"id": 5, "action": "update", "success": True, "status": "Updated"}
    assert done["results"][1]["success"] is False
    assert done["results"][1]["error"] == "TicketNotFound"
    many = s.get(
        f"{sandbox.url}/api/v2/job_statuses/show_many", params={"ids": f"{job['id']},feedbeef"}
    ).json()
    assert [j["id"] for j in many["job_statuses"]] == [job["id"]]
    assert s.get(f"{sandbox.url}/api/v2/job_statuses/feedbeef").status_code == 404


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"params": {"ids": ",".join(map(str, range(1, 102)))}, "json": {"ticket": {"tags": []}}},
        {"json": {"tickets": [{"id": i, "tags": []} for i in range(1, 102)]}},
    ],
)
def test_update_many_with_more_than_100_tickets_is_400(sandbox, request_kwargs):
    response = session(sandbox).put(f"{sandbox.url}/api/v2/tickets/update_many", **request_kwargs)
    assert response.status_code == 400
    assert response.json()["error"] == "TooManyValues"


# -- auth, limits, faults --------------------------------------------------------------


def test_oauth_client_credentials_token_works_until_it_expires(sandbox):
    token_request = {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "scope": "read write",
        "expires_in": 600,
    }
    issued = requests.post(f"{sandbox.url}/oauth/tokens", json=token_request)
    assert issued.status_code in (200, 201)
    token = issued.json()
    assert (token["token_type"], token["scope"], token["expires_in"]) == (
        "bearer",
        "read write",
        600,
    )
    bearer = {"Authorization": f"Bearer {token['access_token']}"}

    assert requests.get(f"{sandbox.url}/api/v2/tickets/1", headers=bearer).status_code == 200
    sandbox.expire_tokens()
    expired = requests.get(f"{sandbox.url}/api/v2/tickets/1", headers=bearer)

    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"


def test_oauth_rejects_a_wrong_secret_and_an_out_of_range_lifetime(sandbox):
    base = {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "scope": "read write",
    }

    wrong = requests.post(f"{sandbox.url}/oauth/tokens", json={**base, "client_secret": "nope"})
    short = requests.post(f"{sandbox.url}/oauth/tokens", json={**base, "expires_in": 299})

    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert short.status_code == 400


def test_read_only_token_cannot_write(sandbox):
    token = requests.post(
        f"{sandbox.url}/oauth/tokens",
        json={
            "grant_type": "client_credentials",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "scope": "read",
        },
    ).json()["access_token"]
    response = requests.put(
        f"{sandbox.url}/api/v2/tickets/1",
        json={"ticket": {"tags": []}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("auth", [("admin@care-sandbox.example/token", "wrong"), None])
def test_bad_or_missing_basic_auth_is_401(sandbox, auth):
    response = requests.get(f"{sandbox.url}/api/v2/tickets/1", auth=auth)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


def test_export_over_budget_gets_429_with_retry_after():
    with ZendeskSandbox(tickets=50, rate_limit_per_minute=2) as sb:
        s = session(sb)
        params = {"start_time": month_ago(sb)}
        ok = [s.get(sb.url + EXPORT, params=params) for _ in range(2)]
        limited = s.get(sb.url + EXPORT, params=params)

    assert [r.status_code for r in ok] == [200, 200]
    assert ok[0].headers["X-Rate-Limit"] == "2" and ok[0].headers["X-Rate-Limit-Remaining"] == "1"
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json() == {
        "error": "APIRateLimitExceeded",
        "description": ("Number of allowed incremental export API requests per minute exceeded"),
    }


def test_injected_faults_hit_the_next_requests_in_order(sandbox):
    s = session(sandbox)
    for fault in ("429", "500", "conn_reset"):
        sandbox.inject(fault)

    limited = s.get(f"{sandbox.url}/api/v2/tickets/1")
    failed = s.get(f"{sandbox.url}/api/v2/tickets/1")
    with pytest.raises(requests.ConnectionError):
        s.get(f"{sandbox.url}/api/v2/tickets/1")
    recovered = s.get(f"{sandbox.url}/api/v2/tickets/1")

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
    assert failed.status_code == 500
    assert recovered.status_code == 200


def test_injected_malformed_ticket_appears_broken_once_in_the_export(sandbox):
    sandbox.inject("malformed:7")
    s = session(sandbox)
    params = {"start_time": month_ago(sandbox)}

    first = {t["id"]: t for t in s.get(sandbox.url + EXPORT, params=params).json()["tickets"]}
    second = {t["id"]: t for t in s.get(sandbox.url + EXPORT, params=params).json()["tickets"]}

    assert first[7]["created_at"] == "not a date"
    assert second[7]["created_at"].endswith("Z")


# -- seeded data ---------------------------------------------------------------------------


def test_scenarios_are_the_first_ids_and_carry_the_data_the_rules_need(sandbox):
    s = session(sandbox)
    ids = sorted(sc.ticket_id for sc in SCENARIOS.values())
    assert ids == list(range(1, len(SCENARIOS) + 1))

    two = SCENARIOS["two_interactions"].ticket_id
    body = s.get(
        f"{sandbox.url}/api/v2/tickets/{two}", params={"include": "users,metric_sets"}
    ).json()
    metrics = body["metric_sets"][0]
    assert metrics["replies"] == 2
    assert metrics["requester_updated_at"] > metrics["assignee_updated_at"]
    assert metrics["latest_comment_added_at"] == metrics["requester_updated_at"]

    def requester_since(name: str) -> datetime:
        tid = SCENARIOS[name].ticket_id
        ticket = s.get(f"{sandbox.url}/api/v2/tickets/{tid}", params={"include": "users"}).json()
        user = ticket["users"][0]
        assert user["id"] == ticket["ticket"]["requester_id"]
        return datetime.fromisoformat(user["created_at"])

    assert sandbox.now - requester_since("loyal_customer") >= timedelta(days=730)
    assert sandbox.now - requester_since("loyal_boundary_not_yet") < timedelta(days=730)
    no_email = SCENARIOS["survey_no_email"].ticket_id
    requester = sandbox.ticket(no_email)["requester_id"]
    assert s.get(f"{sandbox.url}/api/v2/users/{requester}").json()["user"]["email"] is None


def test_touch_with_a_requester_message_reopens_and_moves_the_ticket(sandbox):
    tid = SCENARIOS["survey_due"].ticket_id
    before = sandbox.ticket(tid)

    after = sandbox.touch(tid, requester_message="It broke again")

    assert after["status"] == "open"
    assert after["generated_timestamp"] > before["generated_timestamp"]
    assert sandbox.comments(tid)[-1]["author_id"] == after["requester_id"]
