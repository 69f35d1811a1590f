"""A third helpdesk is a connector package, a sandbox and one registry line (issue 14).

In a copy of the tree, a helpdesk "acme" is added the way docs/architecture.md sketches
it: `connectors/acme/` (its settings and its registry entry; it speaks Freshdesk's API,
so its client and sandbox are Freshdesk's) and one line in `connectors/registry.py`.
Nothing else is edited, and the settings, `care check` and `care sandbox` know it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sandboxes.freshdesk import FreshdeskSandbox
from tests.ports import free_port

ROOT = Path(__file__).parents[2]
PACKAGES = ("care", "connectors", "flows", "sandboxes", "tasks", "deployments")

ACME_KIND = """
from dataclasses import dataclass, replace
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from connectors.freshdesk.kind import FRESHDESK
from connectors.freshdesk.settings import FreshdeskConfig


class AcmeSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    api_budget_per_minute: int = 0


@dataclass(frozen=True)
class AcmeConfig(FreshdeskConfig):
    helpdesk: ClassVar[str] = "acme"


def acme_config(section, source):
    url = source.base_url("acme", section.url)
    if not url:
        return None
    return AcmeConfig(url=url, api_key=source.secret_of("CARE_ACME_API_KEY"))


ACME = replace(
    FRESHDESK,
    name="acme",
    title="Acme Desk",
    section=AcmeSection,
    read=acme_config,
    credential="Acme → Settings → API; set CARE_ACME_API_KEY",
    secret_keys={"acme_key": "CARE_ACME_API_KEY"},
    sandbox_settings=lambda s: {"CARE_ACME_URL": s.url, "CARE_ACME_API_KEY": s.api_key},
)
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    into = tmp_path_factory.mktemp("third-helpdesk")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, into / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", into / "pyproject.toml")
    (into / "connectors" / "acme").mkdir()
    (into / "connectors" / "acme" / "__init__.py").write_text("")
    (into / "connectors" / "acme" / "kind.py").write_text(ACME_KIND)
    registry = into / "connectors" / "registry.py"
    text = registry.read_text()
    line = "HELPDESKS: dict[str, HelpdeskKind] = {kind.name: kind for kind in (ZENDESK, FRESHDESK)}"
    assert line in text, "the registry line this test extends has changed"
    text = text.replace(line, line.replace("FRESHDESK)", "FRESHDESK, ACME)"))
    registry.write_text(
        text.replace(
            "from connectors.zendesk.kind import ZENDESK",
            "from connectors.zendesk.kind import ZENDESK\nfrom connectors.acme.kind import ACME",
        )
    )
    return into


def care(
    tree: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARE_")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from care.app.cli import main; sys.argv[0] = 'care'; main()",
            *args,
        ],
        cwd=tree,  # first on sys.path: the copy's packages, not the installed ones
        env={**clean, "CARE_CONFIG": str(tree / "care.toml"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_settings_read_its_table_and_refuse_its_secret_in_the_file(tree: Path) -> None:
    (tree / "care.toml").write_text('[acme]\nurl = "https://support.acme.test"\nacme_key = "k"\n')
    refused = care(tree, "check")
    assert refused.returncode == 1
    assert "acme.acme_key is a secret" in refused.stdout and "CARE_ACME_API_KEY" in refused.stdout
    assert '"k"' not in refused.stdout


def test_care_check_reaches_it_and_care_sandbox_offers_it(tree: Path) -> None:
    with FreshdeskSandbox(tickets=5, port=free_port()) as sandbox:
        (tree / "care.toml").write_text(f'[acme]\nurl = "{sandbox.url}"\n')
        checked = care(tree, "check", env={"CARE_ACME_API_KEY": sandbox.api_key})
        wrong = care(tree, "check", env={"CARE_ACME_API_KEY": "not-the-key"})
    acme = [line for line in checked.stdout.splitlines() if line[2:].startswith("acme ")]
    assert acme and "authenticated as" in acme[0], checked.stdout
    failed = [line for line in wrong.stdout.splitlines() if line[2:].startswith("acme ")]
    assert failed and failed[0].startswith("✗"), wrong.stdout
    assert "Acme → Settings → API" in wrong.stdout  # its own fix, from its registry entry
    offered = care(tree, "sandbox", "--help")
    assert "acme" in offered.stdout and "zendesk" in offered.stdout
