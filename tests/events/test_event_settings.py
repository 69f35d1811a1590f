"""CARE_SENTRY_CLIENT_SECRET and CARE_EVENTS_SECRET: read from the environment, held as
SecretStr, refused in care.toml, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from care.settings.load import ConfigError, load_settings

EVENTS = "events-signing-key-0123456789abcdef"
SENTRY = "ab" * 32


def empty_config(tmp_path: Path) -> Path:
    config = tmp_path / "care.toml"
    config.write_text("", encoding="utf-8")
    return config


def test_both_secrets_are_read_and_never_shown(tmp_path: Path) -> None:
    config = tmp_path / "care.toml"
    config.write_text("", encoding="utf-8")
    env = {"CARE_SENTRY_CLIENT_SECRET": SENTRY, "CARE_EVENTS_SECRET": EVENTS}
    settings = load_settings(config, env=env)
    assert settings.sentry_client_secret is not None
    assert settings.sentry_client_secret.get_secret_value() == SENTRY
    assert settings.events_secret is not None
    assert settings.events_secret.get_secret_value() == EVENTS
    assert SENTRY not in repr(settings) and EVENTS not in repr(settings)


def test_unset_secrets_are_none(tmp_path: Path) -> None:
    settings = load_settings(empty_config(tmp_path), env={})
    assert (settings.sentry_client_secret, settings.events_secret) == (None, None)


def test_a_short_events_secret_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(empty_config(tmp_path), env={"CARE_EVENTS_SECRET": "short-one"})
    assert "CARE_EVENTS_SECRET" in str(caught.value) and "short-one" not in str(caught.value)


@pytest.mark.parametrize(
    ("key", "variable"),
    [
        ("sentry_client_secret", "CARE_SENTRY_CLIENT_SECRET"),
        ("events_secret", "CARE_EVENTS_SECRET"),
    ],
)
def test_the_secrets_are_refused_in_the_file(tmp_path: Path, key: str, variable: str) -> None:
    config = tmp_path / "care.toml"
    config.write_text(f'[events]\n{key} = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert key in str(caught.value) and variable in str(caught.value)
    assert '"x"' not in str(caught.value)
