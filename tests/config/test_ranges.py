"""Settings that cannot work are refused up front: every number within a range an ops
engineer would use (named with the key and the range), a sender on one line, rule names
that exist, a tag prefix the helpdesks keep as written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from care.domain.policy import RULE_NAMES
from care.domain.rules import RULES
from care.domain.rules.outreach import PROACTIVE_OUTREACH
from care.settings.file import ConfigFile
from care.settings.load import ConfigError, load_settings


def refused(tmp_path: Path, toml: str) -> str:
    path = tmp_path / "care.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env={})
    return str(raised.value)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[survey]\ndelay_hours = 1e308\n", "survey.delay_hours: must be from 0 to 720"),
        ("[survey]\ndelay_hours = inf\n", "survey.delay_hours: must be from 0 to 720"),
        ("[survey]\ndelay_hours = nan\n", "survey.delay_hours: must be from 0 to 720"),
        (
            "[rules.repeat_contact]\nwindow_days = 1e12\n",
            "rules.repeat_contact.window_days: must be more than 0 and at most 365",
        ),
        ("backfill_days = 1e9\n", "backfill_days: must be more than 0 and at most 3650"),
        ("[survey]\ncooldown_days = -1\n", "survey.cooldown_days: must be from 0 to 365"),
        (
            "[rules.response_sla.targets_by_priority]\nhigh = 1e308\n",
            "rules.response_sla.targets_by_priority.high: must be more than 0 and at most 8760",
        ),
        ("[zendesk]\nper_page = 5000\n", "zendesk.per_page: must be from 1 to 1000"),
        (
            "[zendesk]\noauth_token_lifetime_s = 300\n",
            "zendesk.oauth_token_lifetime_s: must be more than 300 and less than 172800",
        ),
        ("[alerts]\nmax_attempts = 1000000\n", "alerts.max_attempts: must be from 1 to 100"),
    ],
)
def test_a_number_out_of_range_is_named_with_its_range(tmp_path, toml, expected):
    assert expected in refused(tmp_path, toml)


def test_every_number_in_the_file_has_an_upper_bound():
    numbers = _numbers(ConfigFile)
    assert len(numbers) > 20 and "rules.response_sla.targets_by_priority.*" in dict(numbers)
    assert [key for key, bounds in numbers if not {"le", "lt"} & bounds] == []


def test_the_largest_numbers_allowed_still_work_in_date_arithmetic(tmp_path):
    from datetime import timedelta

    path = tmp_path / "care.toml"
    path.write_text(
        "backfill_days = 3650\n[survey]\ndelay_hours = 720\nmax_late_hours = 2160\n"
        "cooldown_days = 365\n[rules.repeat_contact]\nwindow_days = 365\n"
        "[rules.response_sla]\ntarget_hours = 8760\n[rules.loyal_customer]\n"
        "min_tenure_days = 36500\n",
        encoding="utf-8",
    )
    settings = load_settings(path, env={})
    now = datetime.now(UTC)
    policy = settings.policy
    assert now + timedelta(hours=policy.survey.delay_hours) > now
    assert now - timedelta(days=policy.rules.loyal_customer.min_tenure_days) < now
    assert now - timedelta(days=settings.backfill_days) < now


# --- text settings -------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["Support <help@acme.test>\\r\\nBcc: all@acme.test", "a\\nb"])
def test_a_sender_with_a_line_break_is_refused(tmp_path, sender):
    message = refused(tmp_path, f'[survey]\nsender = "{sender}"\n')
    assert "survey.sender: must be one line" in message and "Bcc" not in message


def test_a_subject_with_a_line_break_is_refused(tmp_path):
    message = refused(tmp_path, '[survey]\nsubject = "Did we?\\nBcc: x@y.z"\n')
    assert "survey.subject: must be one line" in message


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("assist.faqs", "did you mean assist.faq?"),
        ("enhance.surveys", "did you mean enhance.survey?"),
        ("resolve.sla", "did you mean resolve.response_sla?"),
    ],
)
def test_a_misspelt_rule_name_in_disabled_is_named_with_the_one_meant(tmp_path, name, suggestion):
    message = refused(tmp_path, f'[rules]\ndisabled = ["connect.greeting", "{name}"]\n')
    assert f"rules.disabled: '{name}' is not a rule; {suggestion}" in message


def test_a_rule_name_like_no_other_lists_the_rules(tmp_path):
    message = refused(tmp_path, '[rules]\ndisabled = ["wallpaper"]\n')
    assert "'wallpaper' is not a rule; the rules are connect.greeting" in message


def test_the_rule_names_disabled_accepts_are_the_rules():
    # The ticket rules, and the one that acts on product error events instead.
    assert set(RULE_NAMES) == set(RULES) | {PROACTIVE_OUTREACH}


@pytest.mark.parametrize("prefix", ["CARE_", "care ", "my care_", "Acme-"])
def test_a_tag_prefix_a_helpdesk_would_rewrite_is_refused(tmp_path, prefix):
    message = refused(tmp_path, f'[tags]\nprefix = "{prefix}"\n')
    assert "tags.prefix: must be lowercase, without spaces" in message


def test_a_lowercase_tag_prefix_is_kept(tmp_path):
    path = tmp_path / "care.toml"
    path.write_text('[tags]\nprefix = "acme-care_"\n', encoding="utf-8")
    assert load_settings(path, env={}).policy.tag("escalated") == "acme-care_escalated"


def _numbers(model: type[BaseModel], prefix: str = "") -> list[tuple[str, set[str]]]:
    """(key, names of its bounds) for every int or float key under `model`."""
    found: list[tuple[str, set[str]]] = []
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        key = f"{prefix}{name}"
        nested = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type)]
        models = [a for a in nested if issubclass(a, BaseModel)]
        if models:
            found += _numbers(models[0], f"{key}.")
            continue
        metadata = list(info.metadata)
        if get_args(annotation) and getattr(annotation, "__origin__", None) is dict:
            value = get_args(annotation)[1]
            metadata = [m for extra in get_args(value)[1:] for m in getattr(extra, "metadata", [])]
            annotation = get_args(value)[0] if get_args(value) else value
            key += ".*"
        if annotation in (int, float):
            found.append((key, {type(m).__name__.lower() for m in metadata}))
    return found
