"""The report page in a real browser, at phone and desktop width, over a seeded 90-day
history: nothing wider than the screen at 390 px, the sections a support lead reads on
Monday in order, every trend drawn. CARE_UPDATE_SCREENSHOTS=1 copies full-page pictures
to docs/report-phone.png and docs/report-desktop.png."""

from __future__ import annotations

import base64
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from care.store import Store
from flows.report import care_report
from tasks.report import HelpdeskNames
from tests.flows.browser import chromium
from tests.report.history import GROUPS, seed_history

pytestmark = pytest.mark.usefixtures("prefect_server")

DOCS = Path(__file__).parents[2] / "docs"
PHONE, DESKTOP = (390, 844), (1280, 900)


@pytest.fixture
def page(database_url, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CARE_DATABASE_URL", database_url)
    (tmp_path / "care.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("CARE_CONFIG", str(tmp_path / "care.toml"))
    for name in ("CARE_ZENDESK_URL", "CARE_FRESHDESK_URL"):
        monkeypatch.delenv(name, raising=False)
    names = HelpdeskNames(groups={("zendesk", gid): name for gid, name in GROUPS.items()})
    monkeypatch.setattr("flows.report.helpdesk_names", lambda settings, store: names)
    with Store.open(database_url) as store:
        seed_history(store, datetime.now(UTC))
    return care_report(days=7, out_dir=str(tmp_path / "reports")).html_path


def full_page(driver, path: Path, scale: float = 1) -> None:
    """The whole page, not only the viewport, through the DevTools protocol; `scale` 0.5
    on a phone of pixel ratio 2 keeps one picture pixel per CSS pixel."""
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": scale},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def test_the_report_fits_a_phone_and_reads_in_order(page: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with chromium(PHONE, phone=True) as driver:
        driver.get(page.as_uri())
        viewport = driver.execute_script("return window.innerWidth")
        overflow = driver.execute_script("return document.documentElement.scrollWidth")
        assert overflow <= viewport  # nothing makes the phone scroll sideways
        for name in ("direction", "consistency-1", "outcomes"):
            table = driver.find_element(By.CSS_SELECTOR, f"section[aria-labelledby={name}] table")
            box = driver.execute_script(
                "return [arguments[0].scrollWidth, arguments[0].parentElement.clientWidth]", table
            )
            assert box[0] <= box[1], f"the {name} table is wider than the phone"
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h2")]
        assert headings[:4] == ["Bottlenecks", "Direction", "Consistency across groups",
                                "Consistency across agents"]  # fmt: skip
        assert "Outcomes: what each rule is worth" in headings
        assert headings[-1] == "How each figure is counted"
        problems = driver.find_elements(By.CSS_SELECTOR, "ol.problems li")
        assert any("Billing" in p.text for p in problems)  # it got slower this week
        trends = driver.find_elements(By.CSS_SELECTOR, ".trends svg")
        assert len(trends) >= 8 and all(t.size["width"] <= viewport for t in trends)
        shot = tmp_path / "report-phone.png"
        full_page(driver, shot, scale=0.5)
    if os.environ.get("CARE_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, DOCS / "report-phone.png")


def test_the_report_at_desktop_width(page: Path, tmp_path: Path) -> None:
    with chromium(DESKTOP, phone=False) as driver:
        driver.get(page.as_uri())
        assert "<script" not in driver.page_source.lower()
        shot = tmp_path / "report-desktop.png"
        full_page(driver, shot)
        assert shot.stat().st_size > 10_000
    if os.environ.get("CARE_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, DOCS / "report-desktop.png")
