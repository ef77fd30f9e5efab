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


# -- the newsroom pages (crawler/webui/routes.py), over the demo archive ------------------------

from tests.test_webui import newsroom  # noqa: E402, F401  (the demo archive, served)


@pytest.fixture
def watched(page):
    """The page, with every console error, uncaught exception and dialog recorded."""
    seen = {"errors": [], "dialogs": []}
    on_console = lambda m: m.type == "error" and seen["errors"].append(m.text)  # noqa: E731
    on_error = lambda e: seen["errors"].append(str(e))  # noqa: E731
    on_dialog = lambda d: (seen["dialogs"].append(d.message), d.dismiss())  # noqa: E731
    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.on("dialog", on_dialog)
    yield page, seen
    page.remove_listener("console", on_console)
    page.remove_listener("pageerror", on_error)
    page.remove_listener("dialog", on_dialog)
    assert seen == {"errors": [], "dialogs": []}


def test_search_then_a_result_then_its_notice_then_the_diff(newsroom, watched):  # noqa: F811
    page, _ = watched
    page.goto(newsroom["root"] + "/")
    page.fill("input[name=q]", "征收")
    page.click("form.tzgg-search button[type=submit]")
    page.wait_for_url("**/search?**")
    nid, version = newsroom["edited"]
    page.click(f'ol.results a.title[href="/notice/{nid}"]')
    page.wait_for_selector("ol.timeline")
    assert page.locator("h1").inner_text().startswith("关于")
    page.click(f'a.diff-link[href="/notice/{nid}/diff?a={version - 1}&b={version}"] >> nth=0')
    page.wait_for_selector("section.field.changed")
    assert page.locator("section.field.changed del").first.inner_text() == "5"
    assert page.locator("section.field.changed ins").first.inner_text() == "7"
    colour = page.locator("section.field.changed ins").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert colour not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )  # marked in colour, not only underlined
    page.click("text=并排 · side by side")
    page.wait_for_selector(".side .old del")
    assert page.locator(".side .new ins").count() >= 1


def test_home_then_a_removal_then_its_evidence_bundle(newsroom, watched, tmp_path):  # noqa: F811
    page, _ = watched
    page.goto(newsroom["root"] + "/")
    page.locator("#removals li a").first.click()
    page.wait_for_selector("ol.timeline li.event.removed")
    with page.expect_download() as dl:
        page.click("a[href$='/evidence.wacz']")
    path = tmp_path / "evidence.wacz"
    dl.value.save_as(path)
    import zipfile

    assert "datapackage.json" in zipfile.ZipFile(path).namelist()


def test_a_site_page_draws_its_charts_with_their_data(newsroom, watched):  # noqa: F811
    page, _ = watched
    page.goto(newsroom["root"] + "/site/yueyanglou")
    for chart in ("#chart-health", "#chart-notices"):
        page.wait_for_selector(f"{chart} svg")
        marks = page.locator(f"{chart} svg .mark-symbol path, {chart} svg .mark-line path")
        assert marks.count() >= 1, chart  # data points drawn, not only axes
    page.goto(newsroom["root"] + "/")
    page.wait_for_selector("#chart-week svg")
    assert page.locator("#chart-week svg .mark-rect path").count() >= 2  # a bar per kind
    page.wait_for_selector("#chart-growth svg")
    assert page.locator("#chart-growth svg .mark-symbol path").count() >= 1


def test_the_readme_screenshots_are_made_by_the_script(tmp_path):
    """docs/make_screenshots.py makes each image the README shows (no pixel comparison)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    p = subprocess.run(
        [sys.executable, str(REPO / "docs" / "make_screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert p.returncode == 0, p.stderr[-2000:]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("home", "notice", "diff", "site"):
        image = tmp_path / f"{name}.png"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 10_000
        assert f"docs/screenshots/{name}.png" in readme
