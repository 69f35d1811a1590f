"""The suite runs on the versions constraints.txt pins, so a green run vouches for them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, exact = line.partition("==")
            pins[canonicalize_name(name)] = exact.strip()
    return pins


def test_the_installed_packages_are_the_pinned_ones():
    differing = []
    for name, exact in pinned().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        if installed != exact:
            differing.append(f"{name} {installed} (pinned {exact})")
    assert not differing, (
        "installed without constraints.txt; run `make test` on a new .venv or "
        f"`pip install -c constraints.txt -e '.[dev]'`: {', '.join(differing)}"
    )


def test_the_pins_keep_prefect_off_sqlalchemy_2_1():
    # Prefect 3.8's scheduler creates no run at all on SQLAlchemy 2.1 (issue 11).
    assert pinned()["sqlalchemy"].startswith("2.0.")
    requirement = next(
        Requirement(line.strip().strip('",').split("#")[0].strip().strip('",'))
        for line in (ROOT / "pyproject.toml").read_text().splitlines()
        if line.strip().startswith('"SQLAlchemy')
    )
    assert not requirement.specifier.contains("2.1.0")
