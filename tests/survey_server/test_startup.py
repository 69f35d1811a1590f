"""`care survey-server` does not start with a signing key short enough to guess offline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import SecretStr

from care.settings.load import ConfigError
from care.web.server import create_app
from tests.cli.test_cli import run
from tests.survey_server.conftest import settings_for


def test_the_survey_server_refuses_a_short_signing_key(tmp_path: Path) -> None:
    result = run(
        ["survey-server", "--port", "0"],
        tmp_path,
        CARE_DATABASE_URL=f"sqlite:///{tmp_path}/care.db",
        CARE_SURVEY_SECRET="a",
    )

    assert result.returncode == 2
    assert "CARE_SURVEY_SECRET" in result.stderr and "openssl rand -hex 32" in result.stderr
    assert "Survey answers on" not in result.stdout and "Traceback" not in result.stderr
    assert not (tmp_path / "care.db").exists()  # refused before anything was opened


def test_the_endpoint_refuses_a_short_key_however_its_settings_were_made(
    zendesk, database_url: str, tmp_path: Path
) -> None:
    """Settings built in code skip the loader's check: the endpoint makes its own."""
    settings = settings_for(zendesk, database_url, tmp_path)
    short = dataclasses.replace(settings, survey_secret=SecretStr("x" * 31))

    with pytest.raises(ConfigError, match=r"CARE_SURVEY_SECRET.*openssl rand -hex 32"):
        create_app(short)
