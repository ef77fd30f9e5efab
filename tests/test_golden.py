"""The golden test: one per page of the extraction corpus, tests/fixtures/extract and the real
government pages of ../shared/realpages, holding tzgg to every ground-truth field of the page's
manifest.json as tests/golden.py checks them (the oracle benchmarks/extraction_eval.py scores
with), and to what the tests held it to before the corpus had one test. On the real pages:

* detail: title, source, doc_number, index_number and written exactly as the truth; published
  starting with it (exactly, for a date); the body's ends; attachments as (name, resolved URL);
  the breadcrumb's crumbs; the objection window's and contact's text; classified ok with no
  phrase; body_html sanitized; url, site and canonical URL set; no blank line in the body;
* list: the items (resolved URL, title, date) in order, as many as the truth's total, and the
  next page;
* blocked: classified blocked and no listing either;
and on a page with an `expected` (fixtures): its whole notice, page class, decoding, body_html.

A field listed in benchmarks/disputed_truth.json must still be wrong there (a strict expected
failure: once tzgg matches that truth, withdraw the dispute).  The real pages absent, only the
fixtures run and `test_real_pages_are_there` skips; it fails where TZGG_REQUIRE_REALPAGES is
set (CI).
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urljoin

import pytest

from crawler.parse.listing import parse_listing
from crawler.parse.notice import classify_page, decode_html, extract_notice, extract_page
from crawler.parse.notice.text import fold_ws, squash
from tests import golden
from tests.conftest import require_realpages

FOLDERS = [golden.FIXTURES] + (
    [golden.REALPAGES] if (golden.REALPAGES / "manifest.json").is_file() else []
)
PAGES = [page for folder in FOLDERS for page in golden.load_corpus(folder)]
DISPUTED = golden.disputed()
TZGG = golden.Tzgg()
REAL_KINDS = {"detail", "list", "blocked"}


def test_real_pages_are_there():
    require_realpages()


def test_the_corpus_is_complete():
    fixtures = [p for p in PAGES if p.folder == golden.FIXTURES]
    assert {"detail", "list", "soft_404", "blocked"} <= {p.kind for p in fixtures}
    for page in PAGES:
        assert (page.folder / page.file).is_file(), page.id
    for page in fixtures:
        assert len(page.raw) < 30_000, page.id
    real = [p for p in PAGES if p.folder == golden.REALPAGES]
    if real:
        assert {p.kind for p in real} == REAL_KINDS
        assert all(p.kind in REAL_KINDS for p in real)


def test_disputes_name_real_checks():
    """Each disputed check names a real page and a field scored there, with a reason."""
    require_realpages()
    real = {p.file: p for p in PAGES if p.folder == golden.REALPAGES}
    for (file, field), why in DISPUTED.items():
        assert file in real, file
        assert field in golden.expected_fields(real[file]), (file, field)
        assert len(why) > 40, (file, field)


def test_comparison_helpers():
    g = golden
    assert g.norm_date("2019-09-18 06:23") == "2019-09-18T06:23"
    assert g.norm_date("2021-09-24T16:12:00+08:00") == "2021-09-24T16:12:00"
    assert g.norm_date("2023年5月6日") == "2023-05-06"
    assert g.norm_date("二〇二三年五月六日") is None
    assert g._published_ok("2021-09-24T16:12:00+08:00", "2021-09-24T16:12", "strict")
    assert not g._published_ok("2021-09-24T16:12:00+08:00", "2021-09-24", "strict")
    assert g._published_ok("2021-09-24 16:12", "2021-09-24", "truth")
    assert g._published_ok("2021-09-24", "2021-09-24T16:12", "date")
    assert not g._published_ok("2021-09-24", "2021-09-24T16:12", "truth")
    assert g.same_url("http://a.gov.cn/p?x=1&y=%E9%9D%92", "http://A.gov.cn/p?y=青&x=1#f")
    assert not g.same_url("http://a.gov.cn/p?x=1", "http://a.gov.cn/p?x=2")


# --- what each page is held to -----------------------------------------------------------------

_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|＞|›|→)\s*")  # a trail as the truth prints it


def _detail(page, wrong) -> None:
    gt, n = page.truth, extract_notice(page.raw, page.url)
    for field in ("title", "source", "doc_number", "index_number", "written"):
        if field in gt and getattr(n, field) != gt[field]:
            wrong[field].append(f"exactly: got {getattr(n, field)!r}, want {gt[field]!r}")
    truth, got = gt.get("published"), n.published
    if "published" in gt and not (
        got is None
        if truth is None
        else got is not None and got.startswith(truth) and (len(truth) != 10 or got == truth)
    ):
        wrong["published"].append(f"got {got!r}, want {truth!r} (a date alone: exactly)")
    body = squash(n.body)
    if "body_first_20" in gt and body[:20] != squash(gt["body_first_20"]):
        wrong["body_first_20"].append(f"product squash: got {body[:20]!r}")
    if "body_last_20" in gt and body[-20:] != squash(gt["body_last_20"]):
        wrong["body_last_20"].append(f"product squash: got {body[-20:]!r}")
    if "attachments" in gt:
        want = [(a["name"], urljoin(page.url, a["href"])) for a in gt["attachments"]]
        got = [(a.name, a.url) for a in n.attachments]
        if got != want:
            wrong["attachments"].append(f"exactly: got {got!r}, want {want!r}")
    if gt.get("breadcrumb"):
        want = [fold_ws(c) for c in _CRUMB_SEP.split(gt["breadcrumb"])]
        if n.breadcrumb != want:
            wrong["breadcrumb"].append(f"crumbs: got {n.breadcrumb!r}, want {want!r}")
    for field in ("objection_window", "contact"):
        if field in gt:
            have, truth = getattr(n, field), gt[field]
            if (squash(have["text"]) if have else None) != (squash(truth) if truth else None):
                wrong[field].append(f"product squash: got {have!r}, want {truth!r}")
    if page.kind == "detail" and "page_class" not in gt:
        notice, text, _enc = extract_page(page.raw, page.url)
        verdict = classify_page(notice.title, notice.body, text)
        if verdict != ("ok", None):
            wrong["page_class"].append(f"got {verdict!r}, want ('ok', None)")
    low = n.body_html.lower()
    if not n.body_html.startswith("<") or any(
        bad in low
        for bad in ("<script", "<iframe", "<style", "javascript:", " onclick=", " onload=")
    ):
        wrong["body_html"].append(f"not sanitized: {n.body_html[:200]!r}")
    if n.url != page.url or not n.site or not n.canonical_url.startswith("http"):
        wrong["identity"].append(f"{n.url!r} {n.site!r} {n.canonical_url!r}")
    if "\n\n" in n.body:
        wrong["identity"].append("a blank line in the body")


def _list(page, wrong) -> None:
    gt = page.truth
    text, _enc = decode_html(page.raw, None)
    lp = parse_listing(text, page.url)
    got = [(i.url, fold_ws(i.title), i.date) for i in lp.items]
    want = [(urljoin(page.url, w["url"]), fold_ws(w["title"]), w["date"]) for w in gt["items"]]
    if "total_items" in gt and not len(got) == gt["total_items"] == len(want):
        wrong["list_items"].append(f"{len(got)} items, the truth {gt['total_items']}")
    if got != want:
        wrong["list_items"].append(f"exactly: got {got!r}")
    if "next_page" in gt:
        next_page = gt["next_page"]
        if next_page is None and lp.next_urls != []:
            wrong["next_page"].append(f"got {lp.next_urls!r}, want none")
        if next_page is not None and lp.next_urls[:1] != [urljoin(page.url, next_page)]:
            wrong["next_page"].append(f"exactly: got {lp.next_urls[:1]!r}")


def _blocked(page, wrong) -> None:
    notice, text, _enc = extract_page(page.raw, page.url)
    kind, _why = classify_page(notice.title, notice.body, text)
    if kind != "blocked":
        wrong["page_class"].append(f"got {kind!r}, want 'blocked'")
    if parse_listing(text, page.url).items:  # nothing on it to delist against
        wrong["page_class"].append("a block page read as a listing")


def _expected(page, wrong) -> None:
    exp = page.expected
    n = extract_notice(page.raw, page.url, page.http_charset)
    fields = n.to_dict()
    del fields["body_html"]
    if "notice" in exp and fields != exp["notice"]:
        wrong["notice"].append(f"the whole notice: got {fields!r}")
    for key, value in exp.get("notice_has", {}).items():
        if fields[key] != value:
            wrong["notice"].append(f"{key}: got {fields[key]!r}, want {value!r}")
    if "page_class" in exp:
        verdict = classify_page(n.title, n.body, decode_html(page.raw)[0])
        if list(verdict) != exp["page_class"]:
            wrong["page_class"].append(f"got {verdict!r}, want {exp['page_class']!r}")
    if "decoded_as" in exp and decode_html(page.raw, page.http_charset)[1] != exp["decoded_as"]:
        wrong["decoded_as"].append(f"got {decode_html(page.raw, page.http_charset)[1]!r}")
    for s in exp.get("body_html_has", []):
        if s not in n.body_html:
            wrong["body_html"].append(f"lacks {s!r}")
    for s in exp.get("body_html_lacks", []):
        if s in n.body_html:
            wrong["body_html"].append(f"holds {s!r}")


def wrong_fields(page) -> dict[str, list[str]]:
    """field -> what tzgg got wrong on the page (nothing: right)."""
    wrong = defaultdict(list)
    for c in golden.score_tzgg(page, TZGG):
        if not c.ok:
            wrong[c.field].append(f"got {c.got!r}, want {c.want!r}")
    if page.folder == golden.REALPAGES:  # held to these since before the oracle
        {"detail": _detail, "list": _list, "blocked": _blocked}[page.kind](page, wrong)
    _expected(page, wrong)
    return wrong


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_page(page):
    wrong = wrong_fields(page)
    if page.folder == golden.REALPAGES:
        for (file, field), why in DISPUTED.items():
            if file == page.file:
                assert wrong.pop(field, None), (
                    f"{field}: tzgg now gives the disputed truth ({why[:80]}…):"
                    " withdraw the dispute from benchmarks/disputed_truth.json"
                )
    assert not wrong, f"{page.id}:\n" + "\n".join(
        f"  {field}: {why}" for field, whys in wrong.items() for why in whys
    )
