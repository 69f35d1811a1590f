"""`lint-imports` holds issue 14's layering: it passes on the tree and fails on a leak.

A leak is planted in a copy of the packages (never in the tree itself) and the real
`lint-imports` runs on that copy with the real pyproject.toml, as `make test` runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("care", "connectors", "flows", "sandboxes", "tasks")
LAYERS = "the layers import one way (docs/architecture.md)"
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # cwd first on sys.path: the copy's packages, not the editable install's.
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_of_the_tree(into: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, into / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", into / "pyproject.toml")
    return into


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "sandboxes are the second opinion: they never import connectors KEPT" in result.stdout
    assert "connectors never import sandboxes KEPT" in result.stdout


@pytest.mark.parametrize(
    ("leak", "code", "contract", "also_broken"),
    [
        (
            "sandboxes/zendesk/leak.py",
            "from connectors.zendesk import endpoints\n",
            "sandboxes are the second opinion: they never import connectors",
            None,
        ),
        (
            # Indirect: through the app, which imports connectors.
            "sandboxes/freshdesk/leak.py",
            "from care.app import checks\n",
            "sandboxes are the second opinion: they never import connectors",
            "sandboxes stand alone: no care, flows or tasks",
        ),
        (
            "connectors/freshdesk/leak.py",
            "from sandboxes.freshdesk.limits import PLANS\n",
            "connectors never import sandboxes",
            None,
        ),
        (
            "tasks/leak.py",
            "import sandboxes.http\n",
            "a sandbox is started by name only; the demo imports its scenarios",
            None,
        ),
        ("care/domain/rules/leak.py", "from tasks.poll import PageResult\n", LAYERS, None),
        ("care/domain/leak.py", "from care.settings.load import Settings\n", LAYERS, None),
        ("care/store/leak.py", "from care.report.html import write_html\n", LAYERS, None),
        ("connectors/zendesk/leak.py", "from care.store import Store\n", LAYERS, None),
        (
            "care/store/leak.py",
            "from care.settings.urls import UrlError\n",
            "the store imports the domain only",
            None,
        ),
        ("connectors/leak.py", "from care.settings.load import load_settings\n", LAYERS, None),
        ("tasks/leak.py", "from flows.summary import PollSummary\n", LAYERS, None),
        ("flows/leak.py", "from care.app import status\n", LAYERS, None),
        ("care/web/leak.py", "from care.app.cli import app\n", LAYERS, None),
    ],
)
def test_a_leak_breaks_its_contract(
    tmp_path: Path, leak: str, code: str, contract: str, also_broken: str | None
):
    tree = copy_of_the_tree(tmp_path)
    (tree / leak).write_text(code)

    result = lint_imports(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    # "<name> BROKEN", or "<name> BROKEN (5 ignored imports)"
    broken = {
        line.partition(" BROKEN")[0] for line in result.stdout.splitlines() if " BROKEN" in line
    }
    assert broken == {contract, also_broken} - {None}, result.stdout
    assert leak.removesuffix(".py").replace("/", ".") in result.stdout


def test_the_sandboxes_use_the_standard_library_only():
    graph = grimp.build_graph("sandboxes", include_external_packages=True, cache_dir=None)
    outside = {module for module in graph.modules if not module.startswith("sandboxes")}

    assert outside, "grimp saw no import from the standard library: the check checks nothing"
    assert sorted(outside - sys.stdlib_module_names) == []
