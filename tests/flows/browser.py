"""Headless Chromium for the browser tests (Debian's `chromium` + `chromium-driver`,
installed by .ci/run): skipped where there is no chromedriver, unless
CARE_REQUIRE_BROWSER is set (CI), where it fails instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def chromium(size: tuple[int, int], phone: bool) -> Iterator[Any]:
    """A driver with a phone's viewport (`phone`: mobile emulation at pixel ratio 2;
    desktop windows stay >= 500 px wide) or a desktop window of `size`."""
    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        if os.environ.get("CARE_REQUIRE_BROWSER"):
            pytest.fail("chromedriver is not installed (apt-get install chromium-driver)")
        pytest.skip("no chromedriver here: .ci/run installs Debian's chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    if phone:
        metrics = {"width": size[0], "height": size[1], "pixelRatio": 2}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    else:
        options.add_argument(f"--window-size={size[0]},{size[1]}")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
