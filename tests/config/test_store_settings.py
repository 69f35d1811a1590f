"""Settings for commands that only read the store (`care status`): no credential needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from care.settings.load import ConfigError, load_settings, load_store_settings


def test_a_helpdesk_without_credentials_still_counts_as_configured(tmp_path: Path) -> None:
    env = {"CARE_ZENDESK_URL": "https://acme.zendesk.com", "CARE_DATABASE_URL": "sqlite:///x.db"}
    config = tmp_path / "care.toml"
    config.touch()
    with pytest.raises(ConfigError, match="CARE_ZENDESK_CLIENT_ID"):
        load_settings(config, env=env)  # a poll needs them
    settings = load_store_settings(config, env=env)
    assert settings.helpdesks == ("zendesk",)
    assert settings.database_url == "sqlite:///x.db"


def test_the_file_names_the_database_and_helpdesks(tmp_path: Path) -> None:
    config = tmp_path / "care.toml"
    config.write_text(
        'database_url = "sqlite:///from-file.db"\n[freshdesk]\nurl = "https://acme.freshdesk.com"\n'
    )
    settings = load_store_settings(config, env={})
    assert settings.helpdesks == ("freshdesk",)
    assert settings.database_url == f"sqlite:///{tmp_path}/from-file.db"  # beside the file
    assert settings.source == str(config)


def test_a_bad_key_is_still_named(tmp_path: Path) -> None:
    config = tmp_path / "care.toml"
    config.write_text("[survey]\ndelay_hourz = 3\n")
    with pytest.raises(ConfigError, match=r"survey\.delay_hourz: unknown key"):
        load_store_settings(config, env={})
