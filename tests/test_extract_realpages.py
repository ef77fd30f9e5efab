"""Every manifest field on the real government pages in ../shared/realpages."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest

from crawler.extract import extract_notice
from crawler.extract.text import squash

REALPAGES = Path(__file__).resolve().parents[2] / "shared" / "realpages"
if not (REALPAGES / "manifest.json").is_file():
    pytest.skip(f"real pages absent: {REALPAGES} not found", allow_module_level=True)

MANIFEST = json.loads((REALPAGES / "manifest.json").read_text(encoding="utf-8"))
PAGES = MANIFEST["pages"]
FALLBACK_URL = "https://www.gov.cn/gongbao/content/2007/content_711039.htm"


def _url(page: dict) -> str:
    return page.get("url_if_known") or FALLBACK_URL


@pytest.fixture(scope="module")
def notices() -> dict:
    return {p["file"]: extract_notice((REALPAGES / p["file"]).read_bytes(), _url(p)) for p in PAGES}


IDS = [p["file"] for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_title(page, notices):
    assert notices[page["file"]].title == page["ground_truth"]["title"]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_published(page, notices):
    truth = page["ground_truth"]["published"]
    got = notices[page["file"]].published
    if truth is None:
        assert got is None
    else:
        assert got is not None and got.startswith(truth), (got, truth)
        if len(truth) == 10:
            assert got == truth  # a date-only truth: no invented time


# Only the fields the ground truth states for a page (a field it leaves out is not checked).
LABELLED = [
    pytest.param(p, f, id=f"{p['file']}-{f}")
    for p in PAGES
    for f in ("source", "doc_number", "index_number", "written")
    if f in p["ground_truth"]
]


@pytest.mark.parametrize(("page", "field"), LABELLED)
def test_labelled_fields(page, field, notices):
    assert getattr(notices[page["file"]], field) == page["ground_truth"][field]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_body_ends(page, notices):
    gt = page["ground_truth"]
    body = squash(notices[page["file"]].body)
    assert body[:20] == squash(gt["body_first_20"])
    assert body[-20:] == squash(gt["body_last_20"])


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_attachments(page, notices):
    url = _url(page)
    want = [(a["name"], urljoin(url, a["href"])) for a in page["ground_truth"]["attachments"]]
    got = [(a.name, a.url) for a in notices[page["file"]].attachments]
    assert got == want


WITH_CRUMBS = [p for p in PAGES if p["ground_truth"].get("breadcrumb")]


@pytest.mark.parametrize("page", WITH_CRUMBS, ids=[p["file"] for p in WITH_CRUMBS])
def test_breadcrumb(page, notices):
    truth = page["ground_truth"]["breadcrumb"]
    assert " > ".join(notices[page["file"]].breadcrumb) == truth


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_body_html_sanitized(page, notices):
    html = notices[page["file"]].body_html
    low = html.lower()
    assert html.startswith("<")
    assert "<script" not in low and "<iframe" not in low and "<style" not in low
    assert "javascript:" not in low
    assert " onclick=" not in low and " onload=" not in low


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_identity_fields(page, notices):
    n = notices[page["file"]]
    assert n.url == _url(page)
    assert n.site and n.canonical_url.startswith("http")
    assert "\n\n" not in n.body
