"""Every manifest check on the real government pages in ../shared/realpages, by page kind:

* detail: every field the ground truth states;
* list: parse_listing's items (url, title, date, in order), their count and the next page;
* blocked: classified as blocked, never a notice.

Absent pages skip these tests, or fail them where TZGG_REQUIRE_REALPAGES is set (CI).
A check listed in benchmarks/disputed_truth.json is a strict expected failure.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest

from crawler.parse.listing import parse_listing
from crawler.parse.notice import classify_page, decode_html, extract_notice, extract_page
from crawler.parse.notice.text import fold_ws, squash
from tests.conftest import REPO, require_realpages

REALPAGES = require_realpages(module_level=True)
MANIFEST = json.loads((REALPAGES / "manifest.json").read_text(encoding="utf-8"))
PAGES = MANIFEST["pages"]
FALLBACK_URL = "https://www.gov.cn/gongbao/content/2007/content_711039.htm"
DISPUTED = {
    (d["file"], d["field"]): d["why"]
    for d in json.loads((REPO / "benchmarks" / "disputed_truth.json").read_text("utf-8"))[
        "disputed"
    ]
}
KINDS = {"detail", "list", "blocked"}


def _url(page: dict) -> str:
    return page.get("url_if_known") or page.get("base_url") or FALLBACK_URL


def _of(kind: str) -> list[dict]:
    return [p for p in PAGES if p["kind"] == kind]


def _marks(page: dict, field: str | None) -> list:
    why = DISPUTED.get((page["file"], field))
    return [pytest.mark.xfail(strict=True, reason=f"disputed truth: {why}")] if why else []


def _param(page: dict, field: str | None = None):
    pid = page["file"] if field is None else f"{page['file']}-{field}"
    return pytest.param(page, id=pid, marks=_marks(page, field))


def test_every_page_has_a_known_kind():
    assert PAGES, "the manifest lists no page"
    for p in PAGES:
        assert p["kind"] in KINDS, (p["file"], p["kind"])
        assert (REALPAGES / p["file"]).is_file(), p["file"]
    assert {p["kind"] for p in PAGES} == KINDS


# --- detail pages --------------------------------------------------------------------------

DETAIL = _of("detail")


@pytest.fixture(scope="module")
def notices() -> dict:
    return {
        p["file"]: extract_notice((REALPAGES / p["file"]).read_bytes(), _url(p)) for p in DETAIL
    }


@pytest.mark.parametrize("page", [_param(p, "title") for p in DETAIL])
def test_title(page, notices):
    assert notices[page["file"]].title == page["ground_truth"]["title"]


@pytest.mark.parametrize("page", [_param(p, "published") for p in DETAIL])
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
    pytest.param(p, f, id=f"{p['file']}-{f}", marks=_marks(p, f))
    for p in DETAIL
    for f in ("source", "doc_number", "index_number", "written")
    if f in p["ground_truth"]
]


@pytest.mark.parametrize(("page", "field"), LABELLED)
def test_labelled_fields(page, field, notices):
    assert getattr(notices[page["file"]], field) == page["ground_truth"][field]


@pytest.mark.parametrize("page", [_param(p, "body") for p in DETAIL])
def test_body_ends(page, notices):
    gt = page["ground_truth"]
    body = squash(notices[page["file"]].body)
    assert body[:20] == squash(gt["body_first_20"])
    assert body[-20:] == squash(gt["body_last_20"])


@pytest.mark.parametrize("page", [_param(p, "attachments") for p in DETAIL])
def test_attachments(page, notices):
    url = _url(page)
    want = [(a["name"], urljoin(url, a["href"])) for a in page["ground_truth"]["attachments"]]
    got = [(a.name, a.url) for a in notices[page["file"]].attachments]
    assert got == want


# A trail as the truth prints it, whatever its separator (>, », ＞ …): its crumbs.
_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|＞|›|→)\s*")
WITH_CRUMBS = [p for p in DETAIL if p["ground_truth"].get("breadcrumb")]


@pytest.mark.parametrize("page", [_param(p, "breadcrumb") for p in WITH_CRUMBS])
def test_breadcrumb(page, notices):
    truth = [fold_ws(c) for c in _CRUMB_SEP.split(page["ground_truth"]["breadcrumb"])]
    assert notices[page["file"]].breadcrumb == truth


@pytest.mark.parametrize("page", [_param(p, "objection_window") for p in DETAIL])
def test_objection_window(page, notices):
    truth = page["ground_truth"].get("objection_window")
    got = notices[page["file"]].objection_window
    assert (squash(got["text"]) if got else None) == (squash(truth) if truth else None)


@pytest.mark.parametrize("page", [_param(p, "contact") for p in DETAIL])
def test_contact(page, notices):
    truth = page["ground_truth"].get("contact")
    got = notices[page["file"]].contact
    assert (squash(got["text"]) if got else None) == (squash(truth) if truth else None)


@pytest.mark.parametrize("page", [_param(p) for p in DETAIL])
def test_detail_is_a_notice(page):
    notice, text, _enc = extract_page((REALPAGES / page["file"]).read_bytes(), _url(page))
    assert classify_page(notice.title, notice.body, text) == ("ok", None)


@pytest.mark.parametrize("page", [_param(p) for p in DETAIL])
def test_body_html_sanitized(page, notices):
    html = notices[page["file"]].body_html
    low = html.lower()
    assert html.startswith("<")
    assert "<script" not in low and "<iframe" not in low and "<style" not in low
    assert "javascript:" not in low
    assert " onclick=" not in low and " onload=" not in low


@pytest.mark.parametrize("page", [_param(p) for p in DETAIL])
def test_identity_fields(page, notices):
    n = notices[page["file"]]
    assert n.url == _url(page)
    assert n.site and n.canonical_url.startswith("http")
    assert "\n\n" not in n.body


# --- list pages ----------------------------------------------------------------------------

LISTS = _of("list")


def _listing(page: dict):
    text, _enc = decode_html((REALPAGES / page["file"]).read_bytes(), None)
    return parse_listing(text, _url(page))


@pytest.mark.parametrize("page", [_param(p, "list_items") for p in LISTS])
def test_list_items(page):
    gt = page["ground_truth"]
    url = _url(page)
    got = [(i.url, fold_ws(i.title), i.date) for i in _listing(page).items]
    want = [(urljoin(url, w["url"]), fold_ws(w["title"]), w["date"]) for w in gt["items"]]
    assert len(got) == gt["total_items"] == len(want)
    assert got == want


@pytest.mark.parametrize("page", [_param(p, "next_page") for p in LISTS])
def test_list_next_page(page):
    want = page["ground_truth"]["next_page"]
    got = _listing(page).next_urls
    if want is None:
        assert got == []
    else:
        assert got and got[0] == urljoin(_url(page), want)


# --- block pages ---------------------------------------------------------------------------

BLOCKED = _of("blocked")


@pytest.mark.parametrize("page", [_param(p, "page_class") for p in BLOCKED])
def test_blocked_is_never_a_notice(page):
    notice, text, _enc = extract_page((REALPAGES / page["file"]).read_bytes(), _url(page))
    kind, _why = classify_page(notice.title, notice.body, text)
    assert kind == "blocked"
    # and it is no listing either: nothing on it to delist against
    assert parse_listing(text, _url(page)).items == []
