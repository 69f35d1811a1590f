"""Hostile and broken ticket JSON at the mapping boundary, both vendors: text comes out
safe to store, to put in a note and in an e-mail header; a record of the wrong shape is
refused with a reason naming the field, never with a bare TypeError."""

from __future__ import annotations

import pytest

from care.domain.text import MAX_DESCRIPTION, clean_line, clean_text
from connectors.errors import MalformedRecord
from connectors.freshdesk.mapping import to_ticket as freshdesk_ticket
from connectors.zendesk.mapping import to_ticket as zendesk_ticket
from tests.connectors.test_freshdesk_mapping import raw_ticket as freshdesk_raw
from tests.connectors.test_zendesk_mapping import METRICS, USERS
from tests.connectors.test_zendesk_mapping import raw_ticket as zendesk_raw

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


def zendesk(raw=None, users=None, metrics=METRICS):
    return zendesk_ticket(
        raw or zendesk_raw(),
        USERS if users is None else users,
        metrics,
        helpdesk="zendesk",
        base_url="https://acme.zendesk.com",
    )


def freshdesk(raw=None):
    return freshdesk_ticket(
        raw or freshdesk_raw(), helpdesk="freshdesk", base_url="https://acme.freshdesk.com"
    )


def zendesk_user(**fields):
    return {501: {**USERS[501], **fields}}


def test_text_loses_nul_and_controls_but_keeps_tabs_and_lines():
    assert clean_text("a\x00b\x07c\td\r\ne\x1bf\x7fg") == "abc\td\nefg"


def test_a_lone_surrogate_becomes_a_replacement_character_and_a_pair_stays_one_character():
    assert clean_text("Jos\ud800") == "Jos\ufffd"
    assert clean_text("smile \ud83d\ude00") == "smile \U0001f600"


def test_bidi_overrides_and_isolates_are_removed():
    assert clean_line(f"Ann{RLO}gnp.exe {LRI}x{PDI}") == "Anngnp.exe x"


def test_a_one_line_field_has_no_line_breaks_left_for_an_e_mail_header():
    assert clean_line("Hello\r\nBcc: all@example.com\u2028x\x85y") == (
        "Hello Bcc: all@example.com x y"
    )


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
def test_nul_in_subject_and_requester_name_is_removed(vendor):
    if vendor == "zendesk":
        t = zendesk(zendesk_raw(subject="Refund\x00 now"), zendesk_user(name="Ana\x00 Lima"))
    else:
        requester = {"id": 5001, "name": "Ana\x00 Lima", "email": "ana@example.com"}
        t = freshdesk(freshdesk_raw(subject="Refund\x00 now", requester=requester))
    assert t.subject == "Refund now"
    assert t.requester.name == "Ana Lima" and t.requester.first_name == "Ana"


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
def test_a_lone_surrogate_and_an_rlo_in_the_requester_name_are_neutralised(vendor):
    name = f"Jos\ud800 {RLO}nomis"
    if vendor == "zendesk":
        t = zendesk(users=zendesk_user(name=name, email=f"ana{RLO}@example.com"))
    else:
        requester = {"id": 5001, "name": name, "email": f"ana{RLO}@example.com"}
        t = freshdesk(freshdesk_raw(requester=requester))
    assert t.requester.name == "Jos\ufffd nomis"
    assert t.requester.email == "ana@example.com"


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
def test_tags_are_cleaned_one_by_one(vendor):
    tags = ["vip\x00", f"{RLO}billing", "", "  "]
    t = (
        zendesk(zendesk_raw(tags=tags))
        if vendor == "zendesk"
        else freshdesk(freshdesk_raw(tags=tags))
    )
    assert t.tags == {"vip", "billing"}


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
def test_a_one_megabyte_description_is_kept_to_what_the_rules_read(vendor):
    body = "password reset " * 70_000  # 1 MB
    if vendor == "zendesk":
        t = zendesk(zendesk_raw(description=body))
    else:
        t = freshdesk(freshdesk_raw(description_text=body))
    assert len(t.description) == MAX_DESCRIPTION
    assert t.description.startswith("password reset password reset")


@pytest.mark.parametrize("vendor", ["zendesk", "freshdesk"])
def test_a_number_where_text_belongs_is_read_as_its_digits(vendor):
    if vendor == "zendesk":
        t = zendesk(zendesk_raw(subject=404), zendesk_user(name=7))
    else:
        t = freshdesk(freshdesk_raw(subject=404, requester={"id": 5001, "name": 7}))
    assert t.subject == "404" and t.requester.name == "7"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"via": ["email"]}, "via"),
        ({"subject": ["a", "b"]}, "subject"),
        ({"tags": "billing"}, "tags"),
        ({"tags": [{"name": "x"}]}, "tags"),
        ({"status": ["open"]}, "status"),
        ({"priority": {"p": 1}}, "priority"),
        ({"requester_id": [501]}, "requester_id"),
        ({"group_id": {"id": 77}}, "group_id"),
        ({"assignee_id": "9001\x00"}, "assignee_id"),
    ],
)
def test_zendesk_wrong_types_are_refused_naming_the_field(overrides, field):
    with pytest.raises(MalformedRecord, match=field):
        zendesk(zendesk_raw(**overrides))


@pytest.mark.parametrize(
    ("metrics", "field"),
    [
        ({**METRICS, "replies": "many"}, "replies"),
        ({**METRICS, "reply_time_in_minutes": [90]}, "reply_time_in_minutes"),
        ([METRICS], "metric_set"),
    ],
)
def test_zendesk_metric_sets_of_the_wrong_shape_are_refused_naming_the_field(metrics, field):
    with pytest.raises(MalformedRecord, match=field):
        zendesk(metrics=metrics)


def test_zendesk_a_requester_of_the_wrong_shape_is_refused():
    with pytest.raises(MalformedRecord, match="requester"):
        zendesk(users={501: ["Ana"]})
    with pytest.raises(MalformedRecord, match=r"requester\.name"):
        zendesk(users=zendesk_user(name={"first": "Ana"}))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"stats": ["x"]}, "stats"),
        ({"requester": ["Ana"]}, "requester"),
        ({"subject": {"text": "x"}}, "subject"),
        ({"tags": 7}, "tags"),
        ({"priority": [3]}, "priority"),
        ({"status": "2"}, "status"),
        ({"requester_id": "5001"}, "requester_id"),
        ({"responder_id": [9001]}, "responder_id"),
    ],
)
def test_freshdesk_wrong_types_are_refused_naming_the_field(overrides, field):
    with pytest.raises(MalformedRecord, match=field):
        freshdesk(freshdesk_raw(**overrides))


def test_nulls_where_objects_belong_read_as_absent():
    raw = zendesk_raw(via=None, subject=None, raw_subject=None, tags=None)
    z = zendesk(raw, users={501: None}, metrics=None)
    assert (z.channel, z.subject, z.tags, z.requester.name, z.agent_replies) == (
        "web",
        "",
        frozenset(),
        "",
        0,
    )
    f = freshdesk(freshdesk_raw(stats=None, requester=None, source=None, tags=None))
    assert (f.channel, f.requester.name, f.requester.email, f.tags) == (
        "web",
        "",
        None,
        frozenset(),
    )
