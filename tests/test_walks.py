"""Listing walks of real length: no page bound stops a real column, a page's cost does not
grow with the column, incremental walks between whole ones, and a crawl whose time runs out
after its walks ended leaves the rest to the next crawl without flagging the run."""

from __future__ import annotations

import json
import sqlite3

import pytest

from crawler.demo import DistrictSite
from crawler.parse.listing import parse_listing
from crawler.parse.listing.pagination import UNBOUNDED
from tests.conftest import crawl, events
from tests.faultsite import FaultServer

TRS_PAGE = """<html><head><title>通知公告</title></head><body>
<ul class="list">{items}</ul>
<script>var countPage = {count}; var currentPage = {current};
createPageHTML(countPage, currentPage, "index", "html");</script></body></html>"""


def trs_page(count: int, current: int) -> str:
    items = "".join(
        f'<li><a href="./2024{m:02d}/t2024{m:02d}01_{current * 10 + i}.html">关于第{current}页'
        f"第{i}项工作的通知</a><span>2024-{m:02d}-01</span></li>"
        for i, m in ((i, 1 + i % 12) for i in range(10))
    )
    return TRS_PAGE.format(items=items, count=count, current=current)


@pytest.mark.parametrize("current", [0, 7, 49_990])
def test_a_page_of_a_long_column_names_only_the_pages_just_past_it(current):
    url = "http://www.example.gov.cn/tzgg/" + (f"index_{current}.html" if current else "")
    page = parse_listing(trs_page(50_000, current), url, UNBOUNDED, ahead=4)
    assert page.page_count == 50_000 and not page.last_page
    base = "http://www.example.gov.cn/tzgg/index_"
    want = [f"{base}{n}.html" for n in range(current + 1, min(current + 5, 50_000))]
    assert page.next_urls == want
    # without a look-ahead the page names every page after it, as it always did
    whole = parse_listing(trs_page(60, 3), url.replace(f"{current}", "3"), 300)
    assert len(whole.next_urls) == 56


GENERIC_PAGE = """<html><body><div class="news"><ul>{items}</ul></div>
<div class="page">共{count}页 当前第{n}页
<a href="list_1.html">首页</a><a href="list_{prev}.html">上一页</a>
<a href="list_{next}.html">下一页</a><a href="list_{count}.html">尾页</a></div></body></html>"""


def test_a_generic_pager_with_a_stated_last_page_is_looked_ahead_only():
    items = "".join(
        f'<li><a href="/art/2024/3/{i}/art_1_{i}.html">关于开展第{i}项检查的通知</a>'
        f"<span>2024-03-{i:02d}</span></li>"
        for i in range(1, 11)
    )
    text = GENERIC_PAGE.format(items=items, count=20_000, n=5, prev=4, next=6)
    url = "http://www.example.gov.cn/col/list_5.html"
    page = parse_listing(text, url, UNBOUNDED, ahead=3)
    assert page.next_urls == [f"http://www.example.gov.cn/col/list_{n}.html" for n in (6, 7, 8)]


def walk_of(db) -> tuple:
    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT complete, pages, reason FROM walks ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    conn.close()
    return row


def test_a_column_longer_than_the_old_bound_is_walked_whole(tmp_path, serve):
    site = DistrictSite(style="trs", page_size=1)
    site.generate(330)  # 330 listing pages: the old bound was 300
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], p = crawl(url, db)
    assert code == 0 and s["flags"] == [] and s["counts"]["new"] == 330, p.stderr
    assert walk_of(db) == (1, 330, None)


def listing_hits(site) -> int:
    return sum(1 for p in site.requests.paths() if "/index" in p)


def test_incremental_walks_stop_at_the_archived_and_delist_nothing(tmp_path, serve):
    site = DistrictSite(style="trs", page_size=2)
    site.generate(40)  # 20 listing pages
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    weekly = ("-s", "TZGG_FULL_WALK_DAYS=7")
    code, [s], p = crawl(url, db, *weekly)  # never walked whole: walked whole
    assert code == 0 and s["flags"] == [] and walk_of(db) == (1, 20, None), p.stderr

    new = site.add(title="关于新增一项工作的通知", published="2030-01-02 09:00")
    gone = site.nids()[-3]  # an old notice taken off the listing, still online
    site.delist(gone)
    site.requests.reset()
    for _ in range(2):
        code, [s], p = crawl(url, db, *weekly)
        assert code == 0 and s["flags"] == [], (s, p.stderr)
        complete, pages, reason = walk_of(db)
        assert (complete, reason) == (1, "nodelist:incremental") and pages < 20
    assert listing_hits(site) < 2 * 20
    kinds = [(e["kind"], e["url"]) for e in events(db) if e["kind"] != "new"]
    assert kinds == []  # two walks without it, but neither whole: nothing delisted
    assert [e["url"] for e in events(db, "--kind", "new")][-1] == srv.base + site.path(new)

    # whole walks (every crawl with 0) delist it: the second whole walk without it
    for delisted in ([], [srv.base + site.path(gone)]):
        code, [s], p = crawl(url, db, "-s", "TZGG_FULL_WALK_DAYS=0")
        assert code == 0 and walk_of(db)[::2] == (1, None), p.stderr
        assert [e["url"] for e in events(db, "--kind", "delisted")] == delisted


def test_time_running_out_after_the_walk_defers_the_rest_without_a_flag(tmp_path):
    site = DistrictSite(style="trs", page_size=4)
    site.generate(16)
    srv = FaultServer(site)
    try:
        url, db = srv.listing_url(), tmp_path / "a.db"
        srv.fault("/tzgg/2*", "slow", seconds=0.6)  # every notice page
        slow = ("-s", "TZGG_MAX_CRAWL_SECONDS=1.5", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        code, [s], p = crawl(url, db, *slow)
        assert code == 0 and s["status"] == "ok" and s["flags"] == [], (s, p.stderr)
        assert walk_of(db) == (1, 4, None)
        first = s["counts"]["new"]
        assert 0 < first < 16
        # the next crawl fetches the rest first, whatever its listing shows now (here: it
        # lost its list, a flag of its own), and each notice is new once
        srv.clear()
        srv.fault("/tzgg/index*", "empty")
        code, [s], p = crawl(url, db)
        assert s["counts"]["new"] == 16 - first, (s, p.stderr)
        urls = [e["url"] for e in events(db, "--kind", "new")]
        assert sorted(urls) == sorted(srv.url(site.path(n)) for n in site.nids())
    finally:
        srv.close()


def test_the_walk_flags_name_what_stopped_them(tmp_path, serve):
    """A bound given still bounds (and flags); the default has none."""
    site = DistrictSite(style="trs", page_size=2)
    site.generate(12)
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], _ = crawl(url, db, "-s", "TZGG_MAX_LISTING_PAGES=3")
    assert code == 3 and s["flags"] == [f"listing_incomplete:max_listing_pages:{url}"]
    assert walk_of(db) == (0, 3, "max_listing_pages")
    code, [s], _ = crawl(url, db, "--json")
    assert code == 0 and json.dumps(s["flags"]) == "[]" and walk_of(db) == (1, 6, None)


def test_a_script_list_finds_its_own_page_in_a_long_column_from_its_url():
    """A script states the page count and a URL template, not the page it is: its number is
    one of the numbers its URL holds (channel ids and years beside it), never a scan of every
    page of a 50,000-page column."""
    rows = ", ".join(
        f"{{docTitle: '关于第{i}批项目的公示', docUrl: '/xxgk/{i}.shtml', docRelTime: '2023-0{i}-10'}}"
        for i in range(1, 4)
    )
    tmpl = "list.jsp?channelId=31&year=2023&pageNo={pageNo}"
    text = (
        '<html><body><ul id="list"></ul><script>var pageData = '
        f"{{pageCount: 50000, urlTemplate: '{tmpl}', docs: [{rows}]}};</script></body></html>"
    )
    base = "http://www.jx-demo.example/xxgk/list.jsp?channelId=31&year=2023&pageNo="
    for own, want in ((7, [8, 9, 10]), (31, [32, 33, 34]), (2023, [2024, 2025, 2026])):
        page = parse_listing(text, f"{base}{own}", UNBOUNDED, ahead=3)
        assert page.next_urls == [f"{base}{n}" for n in want], own
    # a URL holding no number of the series: the page is taken for the first
    page = parse_listing(text, "http://www.jx-demo.example/xxgk/list.jsp", UNBOUNDED, ahead=2)
    assert page.next_urls == [f"{base}{n}" for n in (2, 3)]
