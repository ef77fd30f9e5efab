"""The web UI in a real browser: headless Chromium (Debian's package, which `.ci/run` installs)
driven by Playwright, against `tzgg serve` on a test archive."""

from __future__ import annotations

import os
import shutil
import urllib.parse

import pytest

from tests.test_serve import server  # noqa: F401  (the running `tzgg serve`)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("TZGG_REQUIRE_BROWSER"):
        raise RuntimeError("TZGG_REQUIRE_BROWSER is set but chromium is not installed")
    pytest.skip("no chromium here (.ci/run installs Debian's package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser.new_page()
        browser.close()


def test_a_journalist_searches_then_opens_a_removed_notice_and_a_diff(server, page):  # noqa: F811
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{server}/search?" + urllib.parse.urlencode({"q": "征地"}))
    table = page.locator("table.rows-and-columns")
    assert "关于第1号地块征地补偿安置方案的公告" in table.inner_text()
    assert "关于第2号地块征地补偿安置方案的公告" in table.inner_text()

    page.goto(f"{server}/recent_removals")
    removals = page.locator("table.rows-and-columns").inner_text()
    assert "关于第2号地块征地补偿安置方案的公告" in removals and "http_404" in removals
    # open the removed notice: its archived text is still there
    gone = page.locator("table.rows-and-columns td.col-id").first.inner_text().strip()
    page.goto(f"{server}/notice_history?" + urllib.parse.urlencode({"id": gone}))
    history = page.locator("table.rows-and-columns").inner_text()
    assert "关于第2号地块征地补偿安置方案的公告" in history and "2023-05-02" in history

    page.goto(f"{server}/recent_edits")
    notice = page.locator("table.rows-and-columns td.col-id").first.inner_text().strip()
    page.goto(f"{server}/version_diff?" + urllib.parse.urlencode({"id": notice, "a": 1, "b": 2}))
    assert page.locator("table.tzgg-diff del").first.inner_text() == "52"
    assert page.locator("table.tzgg-diff ins").first.inner_text() == "48"
    # the archived <script> is text on the page, and never ran
    assert "<script>alert(1)</script>" in page.locator("table.tzgg-diff").last.inner_text()
    assert dialogs == [] and errors == []
