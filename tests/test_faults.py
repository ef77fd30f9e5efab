"""Hostile and broken sites (issues #7 and #15): real crawls through `tests/faultsite.py`.

Each test archives a small site normally, crawls it again with faults on some of its pages,
and checks that the crawl ends by itself, exits 0 (3 where it flags the site), names every
failure in its summary and in `tzgg runs`, and records no version and no event for any faulted
page; then that a crawl with the faults gone records nothing new either.

The crawls run in this process; what each takes, in seconds and peak RSS, and the bounds on
them, are benchmarks/bench_bounds.py's (a crawl of its own process each).
"""

from __future__ import annotations

import json
import resource
import sqlite3

import pytest

from archive.storage.store import Archive
from crawler.demo import DistrictSite
from crawler.demo.documents import make_pdf
from crawler.schema.urls import canonicalize
from spiders.notices import AHEAD
from tests.bombs import BOMBS
from tests.conftest import count_rows, events, tzgg
from tests.conftest import crawl as crawl_once
from tests.faultsite import FaultServer

TIMEOUT = ("-s", "DOWNLOAD_TIMEOUT=2")


class Crawl:
    def __init__(self, code, summaries, stderr):
        self.code, self.stderr = code, stderr
        assert len(summaries) == 1, stderr
        self.summary = summaries[0]
        self.failures, self.flags = self.summary["failures"], self.summary["flags"]


def run_crawl(url, db, *extra) -> Crawl:
    """`tzgg crawl --profile test --json`, which must end by itself (a hung crawl fails at the
    harness's bound)."""
    code, summaries, p = crawl_once(url, db, *extra)
    assert "Traceback" not in p.stderr, p.stderr
    return Crawl(code, summaries, p.stderr)


@pytest.fixture
def faulty():
    """faulty(site) -> a FaultServer; every one is closed after the test."""
    servers = []

    def start(site):
        servers.append(FaultServer(site))
        return servers[-1]

    yield start
    for srv in servers:
        srv.close()


def archived(tmp_path, faulty, n=12, page_size=4):
    """A site of n notices, crawled once with no fault: (site, server, url, db)."""
    site = DistrictSite(style="trs", page_size=page_size)
    site.generate(n)
    srv = faulty(site)
    url, db = srv.listing_url(), tmp_path / "a.db"
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 0 and c.flags == [] and c.summary["counts"]["new"] == n, c.stderr
    return site, srv, url, db


def versions(db) -> int:
    return count_rows(db, "versions")


def last_run(db) -> dict:
    p = tzgg("runs", "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.splitlines()[0])


def check_faulted(c: Crawl, db, before: list, n_versions: int) -> list:
    """What every faulted crawl must hold; returns its health events."""
    run = last_run(db)
    assert run["failures"] == c.failures and run["flags"] == c.flags  # the run record says it
    assert versions(db) == n_versions  # no version for any faulted page
    new = events(db)[len(before) :]
    assert [e for e in new if not e["kind"].startswith("site_")] == []  # no edit, removal …
    return new


def then_nothing_new(srv, url, db) -> Crawl:
    """The faults gone, a crawl records nothing new: no version, no event, no flag."""
    srv.clear()
    before, n_versions = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 0 and c.flags == [] and c.failures == {}, (c.summary, c.stderr)
    assert events(db)[len(before) :] == [] and versions(db) == n_versions
    return c


# The faults of two crawls below, which benchmarks/bench_bounds.py times as they are here.
NETWORK_FAULTS = [  # what each of the first seven archived notices serves, in order
    ("hang", {}),
    ("reset", {}),  # RST half-way through the body
    ("close", {}),  # FIN before any byte
    ("close", {"rst": True}),  # RST before any byte
    ("burst", {"n": 3, "status": 503}),  # RETRY_TIMES=1: two tries, both 503
    ("burst", {"n": 3, "status": 500}),
    ("burst", {"n": 3, "status": 429, "retry_after": 120}),
]
OVERSIZE_SETTINGS = ("-s", f"TZGG_ATTACHMENT_MAX_BYTES={10 * 1024 * 1024}")


def serve_network_faults(site, srv) -> list[str]:
    """The notices serving NETWORK_FAULTS, in order."""
    ids = site.nids()[: len(NETWORK_FAULTS)]
    for nid, (kind, opts) in zip(ids, NETWORK_FAULTS, strict=True):
        srv.fault(site.path(nid), kind, **opts)
    return ids


def oversize_site():
    """Eight TRS notices, the fourth with a PDF: (the site, their ids)."""
    site = DistrictSite(style="trs", page_size=4)
    ids = site.generate(8)
    site.edit(ids[3], attachments=[("征收范围图.pdf", "/files/map.pdf")])
    return site, ids


def serve_oversize(site, srv, ids) -> None:
    """Three 20 MB pages and a 20 MB file, each served afresh (no 304)."""
    site.rebuild()  # so the file is fetched again
    srv.fault(site.path(ids[0]), "huge")  # 20 MB, no Content-Length
    srv.fault(site.path(ids[1]), "huge", length=True)  # 20 MB, announced
    srv.fault(site.path(ids[2]), "huge", gzip=True)  # 20 MB once decompressed
    srv.fault("/files/map.pdf", "huge", ctype="application/pdf")


def test_network_faults_are_counted_failures_never_changes(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty)
    ids = site.nids()
    faults = serve_network_faults(site, srv)
    before, n = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT)  # its time (two tries of 2 s, at most): bench_bounds.py
    assert c.code == 0 and c.flags == [], (c.summary, c.stderr)
    assert c.failures == {"timeout": 1, "connection": 3, "http_5xx": 2, "http_429": 1}
    # each fault was met (one request of the archiving crawl, then this crawl's), and retried
    # (RETRY_TIMES=1) but the 429 whose Retry-After (120 s) is over TZGG_RETRY_AFTER_MAX
    assert all(srv.hits[site.path(nid)] >= 3 for nid in faults if nid != ids[6])
    assert srv.hits[site.path(ids[6])] == 2
    times = srv.times[site.path(ids[4])]
    assert times[-1] - times[-2] >= 0.9, times  # its Retry-After: 1 was waited
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db)


@pytest.mark.parametrize(
    "fault, why, failures",
    [
        (("reset",), "connection", {"listing_connection": 1}),
        (("burst", {"n": 3, "status": 503}), "http_503", {"listing_http_503": 1}),
        (("binary", {"kind": "png"}), "not_html", {}),
        (("empty",), "empty_page", {}),  # the list of page 2 is empty: a template fault
    ],
    ids=["reset", "503", "binary", "empty"],
)
def test_a_listing_page_that_fails_cuts_the_walk_and_delists_nothing(
    tmp_path, faulty, fault, why, failures
):
    """Page 2 of 3 fails: the notices it shows were not seen, so the walk is incomplete and
    none of them counts as delisted (a complete walk without them would delist them)."""
    site, srv, url, db = archived(tmp_path, faulty)
    srv.fault("/tzgg/index_1.html", fault[0], **(fault[1] if len(fault) > 1 else {}))
    before, n = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 3 and c.flags == [f"listing_incomplete:{why}:{url}"], c.summary
    assert c.failures == failures
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db)


def test_waf_challenges_and_rate_limit_pages_flag_the_site_blocked(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty)
    ids = site.nids()
    srv.fault(site.path(ids[0]), "waf")  # 412, a cookie script, no content (瑞数/加速乐)
    srv.fault(site.path(ids[1]), "waf")
    srv.fault(site.path(ids[2]), "waf", status=200)  # the same challenge answering 200
    srv.fault(site.path(ids[3]), "too_frequent")  # 200: 访问过于频繁，请稍后再试
    srv.fault(site.path(ids[4]), "too_frequent")
    srv.fault(site.path(ids[5]), "waf", style="token", status=200)  # 瑞数-style, answering 200
    before, n = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 3 and c.flags == [f"site_blocked:block_pages:{url}"], c.summary
    assert c.failures == {"blocked": 6}
    [e] = check_faulted(c, db, before, n)
    assert (e["kind"], e["reason"], e["evidence"]["blocked"]) == ("site_blocked", "block_pages", 6)
    then_nothing_new(srv, url, db)


def test_a_redirect_loop_is_bounded_by_redirect_max_times(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty)
    page = site.path(site.nids()[0])
    srv.fault(page, "loop")  # page -> page?tzgg_loop=1 -> page …
    srv.fault("/tzgg/index_1.html", "loop")
    before, n = events(db), versions(db)
    srv.hits.clear()
    c = run_crawl(url, db, *TIMEOUT, "-s", "REDIRECT_MAX_TIMES=4")
    assert srv.hits[page] == 5 and srv.hits["/tzgg/index_1.html"] == 5  # 1 + 4 redirects
    assert c.code == 3 and c.flags == [f"listing_incomplete:redirect_loop:{url}"], c.summary
    assert c.failures == {"redirect_loop": 1, "listing_redirect_loop": 1}
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db)


def test_endless_pagination_stops_where_it_repeats_and_counts_the_walk_incomplete(tmp_path, faulty):
    """No page bound (the default): the walk stops at the pages that list nothing new."""
    site, srv, url, db = archived(tmp_path, faulty)
    srv.fault("/tzgg/index*", "endless")  # 1,000,000 pages: page k shows page k mod 3
    before, n = events(db), versions(db)
    srv.hits.clear()
    c = run_crawl(url, db, *TIMEOUT)
    listing_pages = sum(1 for k in srv.hits if k.startswith("/tzgg/index"))  # retries aside
    # Each of the 3 real pages' lists is new to the walk once, on whichever page shows it
    # first, and that page asks for at most AHEAD more: answers out of order on a loaded
    # machine can spread those, never multiply them.
    assert 3 < listing_pages <= 3 * AHEAD + 1
    assert c.code == 3 and c.flags == [f"listing_incomplete:no_progress:{url}"]
    conn = sqlite3.connect(db)
    walk = conn.execute("SELECT complete, pages, reason FROM walks ORDER BY run_id DESC").fetchone()
    conn.close()
    assert walk == (0, listing_pages, "no_progress")  # incomplete: it delists nothing
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db)


def test_oversize_pages_and_files_are_too_large_and_memory_stays_bounded(tmp_path, faulty):
    """DOWNLOAD_MAXSIZE is 10 MiB for pages; TZGG_ATTACHMENT_MAX_BYTES is set to 10 MiB here
    (its default is 20 MiB) against a 20 MB file.  Bodies come without a Content-Length,
    so the crawler must count what it reads; one page is a 20 MB gzip bomb."""
    site, ids = oversize_site()
    srv = faulty(site)
    url, db = srv.listing_url(), tmp_path / "a.db"
    files = OVERSIZE_SETTINGS
    assert run_crawl(url, db, *TIMEOUT, *files).code == 0
    serve_oversize(site, srv, ids)
    before, n = events(db), versions(db)
    srv.hits.clear()
    c = run_crawl(url, db, *TIMEOUT, *files)
    assert c.code == 0 and c.flags == [], (c.summary, c.stderr)
    assert c.failures == {"too_large": 3, "attachment_too_large": 1}
    assert srv.hits["/files/map.pdf"] == 1
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db)


def test_binary_and_empty_pages_are_failed_fetches_never_notices_nor_edits(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty, n=10)
    fresh = [
        site.add(f"关于第{i}批征收土地的公告", published=f"2026-0{i}-01 09:00") for i in (1, 2)
    ]
    old = site.nids()[:10]
    for nid, kind in zip(old[:3], ("png", "zip", "gzip"), strict=True):
        srv.fault(site.path(nid), "binary", kind=kind)  # under Content-Type: text/html
    for nid in old[3:9]:
        srv.fault(site.path(nid), "empty")  # the template, with no title, date or body
    # never archived: no notice (random bytes would extract to a notice of noise)
    srv.fault(site.path(fresh[0]), "binary", kind="random")
    srv.fault(site.path(fresh[1]), "empty")
    before, n = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT)
    # 7 of the 8 pages extracted are empty: the template broke (a flag), nothing changed
    assert c.code == 3 and c.flags == [f"site_broken:fields_missing:{url}"], c.summary
    assert c.failures == {"not_html": 4, "empty": 7}
    [e] = check_faulted(c, db, before, n)
    assert (e["kind"], e["reason"]) == ("site_broken", "fields_missing")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 10
    conn.close()
    # served properly, the two notices never archived are archived, and nothing else happens
    srv.clear()
    before = events(db)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 0 and c.flags == [] and c.failures == {}, c.summary
    assert sorted((e["kind"], e["url"]) for e in events(db)[len(before) :]) == sorted(
        ("new", srv.url(site.path(nid))) for nid in fresh
    )


def test_a_crawl_over_its_time_bound_stops_and_holds_what_it_could_not_judge(tmp_path, faulty):
    """TZGG_MAX_CRAWL_SECONDS (6 h by default) against a site whose listing hangs: the crawl
    stops at the bound (plus the DOWNLOAD_TIMEOUT of what is in flight), its walk delists
    nothing and its removals wait for a crawl that sees the whole site."""
    site, srv, url, db = archived(tmp_path, faulty, page_size=3)
    gone = site.nids()[:3]
    for nid in gone:
        site.set_state(nid, "404")  # removed for real: revisits see it at once
    srv.fault("/tzgg/index_*", "hang")
    before, n = events(db), versions(db)
    limit = ("-s", "TZGG_MAX_CRAWL_SECONDS=1.5", "-s", "RETRY_TIMES=3")
    c = run_crawl(url, db, *TIMEOUT, *limit)
    # without the bound: 4 tries of 2 s for each hung page (its time: benchmarks/bench_bounds.py)
    assert c.code == 3 and c.summary["status"] == "flagged", c.summary
    assert set(c.flags) == {
        "incomplete:time_limit",
        f"listing_incomplete:unfinished:{url}",
        "removals_held:time_limit:3",
    }
    assert check_faulted(c, db, before, n) == []
    # the whole site seen again: the three removals are recorded, and nothing else
    srv.clear()
    before = events(db)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 0 and c.flags == [], c.summary
    removed = [(e["kind"], e["url"]) for e in events(db)[len(before) :]]
    assert sorted(removed) == sorted(("removed", srv.url(site.path(nid))) for nid in gone)


def test_retry_after_reads_seconds_and_http_dates():
    from datetime import UTC, datetime

    from crawler.middlewares import retry_after

    now = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC)
    assert retry_after(b"120", now) == 120
    assert retry_after(b"Thu, 26 Nov 2026 08:00:30 GMT", now) == 30
    assert retry_after(b"Thu, 26 Nov 2026 07:00:00 GMT", now) == 0  # already past
    assert retry_after(b"soon", now) is None and retry_after(None, now) is None
    # unreadable, so the default delay: never a ValueError (digits Latin-1 has beyond 0-9)
    for odd in (b"\xb2", b"1\xb9", b"\xb3\xb2\xb9", b"\xd9\xa3", b"\xbc", b"-5", b"1.5", b""):
        assert retry_after(odd, now) is None, odd


# -- over-long links and listings that shift while walked (issue #15, items 1 and 3) ------

LONG = "x" * 2100  # with any scheme and host, a URL over URLLENGTH_LIMIT (2083)


def since(db, before: list) -> list[tuple[str, str]]:
    return [(e["kind"], e["url"]) for e in events(db)[len(before) :]]


def test_an_over_long_link_is_a_counted_failure_and_loses_no_notice(tmp_path, faulty):
    """A link over URLLENGTH_LIMIT is never fetched: each is a failure `url_too_long` (an
    attachment, a notice listed at such a URL, a listing page), and nothing waits for it: the
    notice linking it is stored, an edit adding one is an edit, and no walk is left open."""
    site = DistrictSite(style="trs", page_size=10)
    site.generate(6)
    a, b, c = site.nids()[:3]
    site.edit(a, attachments=[("征地名单.pdf", f"/files/{LONG}.pdf"), ("附表.pdf", "/files/t.pdf")])
    site.move(b, f"/tzgg/{LONG}.html")  # listed at a URL too long to fetch
    srv = faulty(site)
    url, db = srv.listing_url(), tmp_path / "a.db"
    code, [s], p = crawl_once(url, db, *TIMEOUT)
    assert code == 0 and s["failures"] == {"url_too_long": 2}, (s, p.stderr[-2000:])
    assert sorted(e["url"] for e in events(db)) == sorted(
        srv.url(site.path(n)) for n in site.nids() if n != b
    )
    conn = sqlite3.connect(db)
    outcomes = conn.execute(
        "SELECT kind, outcome FROM captures WHERE length(url) > 2083 ORDER BY kind"
    ).fetchall()
    assert outcomes == [("attachment", "attachment_failed:url_too_long"),
                        ("detail", "transient:url_too_long")]  # fmt: skip

    # an archived notice gains such a link: an edit, recorded
    before = events(db)
    site.edit(c, attachments=[("补充名单.pdf", f"/files/{LONG}b.pdf")])
    code, [s], p = crawl_once(url, db, *TIMEOUT)
    assert code == 0 and s["failures"] == {"url_too_long": 3}, (s, p.stderr[-2000:])
    assert since(db, before) == [("edited", srv.url(site.path(c)))]

    # a listing whose own URL is too long: its walk ends, incomplete, with the failure named
    long_listing = f"{url}?{LONG}"
    code, [s], p = crawl_once(long_listing, tmp_path / "b.db", *TIMEOUT)
    assert s["failures"] == {"url_too_long": 1}, (s, p.stderr[-2000:])
    assert s["flags"] == [f"listing_incomplete:url_too_long:{long_listing}"]


def test_a_listing_that_shifts_during_the_walk_delists_nothing(tmp_path, faulty):
    """Ten a page, newest first: the site drops an item of page 1 after the walk read page 1,
    so the first item of page 2 moves up onto page 1 and this walk never sees it.  No
    `delisted` for it (and no `relisted` next crawl); the item really dropped is `delisted`
    by the second crawl after it left the listing."""
    site = DistrictSite(style="trs", page_size=10)
    site.generate(15)
    srv = faulty(site)
    url, db = srv.listing_url(), tmp_path / "a.db"
    code, [s], p = crawl_once(url, db, *TIMEOUT)
    assert code == 0 and s["counts"]["new"] == 15, p.stderr[-2000:]
    dropped, moved = site.listed_nids()[3], site.listed_nids()[10]

    before = events(db)
    srv.fault("/tzgg/index_1.html", "shift", nid=dropped)  # page 2, asked after page 1
    code, [s], p = crawl_once(url, db, *TIMEOUT)
    assert code == 0 and s["flags"] == [], (s, p.stderr[-2000:])
    assert site.listed_nids()[9] == moved  # it was on page 1 when page 2 was read
    assert since(db, before) == []
    srv.clear()

    for crawled in ("first", "second"):  # crawls after the item left the listing
        before = events(db)
        code, [s], p = crawl_once(url, db, *TIMEOUT)
        assert code == 0 and s["flags"] == [], (s, p.stderr[-2000:])
        got = since(db, before)
        assert got == ([] if crawled == "first" else [("delisted", srv.url(site.path(dropped)))])


SITE = "www.example.gov.cn"
LISTING = f"http://{SITE}/tzgg/index.html"


def _notice(n: int, url: str) -> dict:
    return {
        "url": url,
        "title": f"关于第{n}号事项的公示",
        "published": f"2021-09-{10 + n:02d}T16:12:00+08:00",
        "body": f"第{n}号事项如下。",
        "attachments": [],
    }


def _run(db, shown: list[tuple[str, str]], fetched: list[dict]) -> list[dict]:
    """One run of the store: the listing shows `shown` [(url, date)], a whole walk."""
    archive = Archive(db)
    run = archive.begin_run(SITE, [LISTING])
    entries = [{"url": u, "title": None, "date": d} for u, d in shown]
    got = archive.ingest(
        {"type": "listed", "site": SITE, "listing_url": LISTING, "entries": entries}, run
    )
    for rec in fetched:
        got += archive.ingest({"type": "fetch", "site": SITE, "kind": "detail", **rec}, run)
    archive.ingest({"type": "walk", "site": SITE, "listing_url": LISTING, "complete": True}, run)
    archive.finish_run(run)
    archive.close()
    return [e["kind"] for e in got]


def test_an_unfetchable_listed_link_holds_the_notice_listed_under_its_date(tmp_path):
    """The listing shows notice 3 at a new URL too long to fetch, its old URL still serving
    it: the link may be notice 3, so notice 3 is never delisted because of it."""
    db = tmp_path / "a.db"
    urls = {n: f"http://{SITE}/tzgg/t{n}.html" for n in (1, 2, 3, 4)}
    dates = {n: f"2021-09-{10 + n:02d}" for n in urls}

    def ok(n):
        return {"url": urls[n], "at": "2026-01-01T00:00:00Z", "status": 200,
                "body": b"<html></html>", "notice": _notice(n, urls[n])}  # fmt: skip

    _run(db, [(urls[n], dates[n]) for n in urls], [ok(n) for n in urls])
    long_url = f"http://{SITE}/tzgg/{LONG}.html"
    unsent = {"url": long_url, "at": "2026-01-02T00:00:00Z", "error": "url_too_long"}
    shown = [(urls[n], dates[n]) for n in (1, 2, 4)] + [(long_url, dates[3])]
    for _ in range(3):
        _run(db, shown, [ok(n) for n in urls] + [unsent])
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM events WHERE kind = 'delisted'").fetchone()[0] == 0
    # the same listing without that link: notice 3 is delisted (two walks without it)
    for _ in range(2):
        _run(db, [(urls[n], dates[n]) for n in (1, 2, 4)], [ok(n) for n in urls])
    delisted = conn.execute("SELECT url FROM events WHERE kind = 'delisted'").fetchall()
    assert delisted == [(urls[3],)]


# -- short genuine notices and login walls (issue #15, items 2 and 4) -------------------------


def test_a_login_wall_showing_a_date_is_a_failed_fetch_never_an_edit(tmp_path, faulty):
    """Archived notices whose pages turn into the site's login wall (用户登录, a source and a
    date in the notice's template, a password form for a body): each is a failed fetch named
    login_wall, counted with the blocks (three of twelve: site_blocked), never an edit; a
    new notice behind the wall is not archived as 用户登录; all is as it was once the wall
    is gone.  Two short new notices that say 信息已撤销 and 验证码 are archived."""
    site = DistrictSite(style="trs", page_size=4)
    site.generate(12)
    srv = faulty(site)
    url, db = srv.listing_url(), tmp_path / "a.db"
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 0 and c.summary["counts"]["new"] == 12, c.stderr
    ids = site.nids()
    fresh = site.add("关于第三批城镇建设用地征收土地的公告", published="2026-04-01 09:00")
    short = [
        site.add(
            "关于撤销某某建材有限公司排污许可证的公告",
            published="2026-04-02 10:00",
            body="你公司排污许可证系以虚假材料取得，我局决定予以撤销，相关信息已撤销。特此公告。",
        ),
        site.add(
            "关于启用政务服务网短信验证码登录的通知",
            published="2026-04-03 10:00",
            body="自5月1日起，政务服务网个人用户改用手机号码加短信验证码登录。",
        ),
    ]
    srv.fault(site.path(ids[0]), "login")  # showing the notice's own date
    srv.fault(site.path(ids[1]), "login")
    srv.fault(site.path(ids[2]), "login", dated=False)  # the same wall without a date
    srv.fault(site.path(fresh), "login")
    before, kept = events(db), _current(db, ids[:3], site, srv)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 3 and c.flags == [f"site_blocked:block_pages:{url}"], c.summary
    assert c.failures == {"login_wall": 4}
    new = events(db)[len(before) :]
    assert sorted((e["kind"], e.get("reason") or "", e["url"]) for e in new) == sorted(
        [("site_blocked", "block_pages", url)]
        + [("new", "", srv.url(site.path(nid))) for nid in short]
    )
    assert [e["evidence"]["blocked"] for e in new if e["kind"] == "site_blocked"] == [4]
    assert _current(db, ids[:3], site, srv) == kept  # title, source, body as archived
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 14
    conn.close()
    srv.clear()
    before = events(db)
    c = run_crawl(url, db, *TIMEOUT)
    assert c.code == 0 and c.flags == [] and c.failures == {}, c.summary
    assert [(e["kind"], e["url"]) for e in events(db)[len(before) :]] == [
        ("new", srv.url(site.path(fresh)))
    ]


def _current(db, nids, site, srv) -> list:
    conn = sqlite3.connect(db)
    try:
        return [
            conn.execute(
                "SELECT v.title, v.source, v.body, v.published FROM versions v"
                " JOIN notices n ON n.id = v.notice_id AND v.version = n.current_version"
                " JOIN notice_urls u ON u.notice_id = n.id WHERE u.canonical_url = ?",
                (canonicalize(srv.url(site.path(nid))),),
            ).fetchone()
            for nid in nids
        ]
    finally:
        conn.close()


# -- attachment bombs of every extracted format (issue #15, item 7) ---------------------------

CRAWL_MB = 900  # the crawl's address space: a parser in the crawl itself would need more


def _address_space(mb: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))

    return apply


@pytest.mark.e2e  # the crawl's own address-space limit
def test_a_notice_linking_bombs_is_stored_with_its_files_texts_missing_and_why(tmp_path):
    site = DistrictSite(style="trs")
    names = ("docx_flat", "pdf_flate", "zip")
    nid = site.add(
        "关于征地补偿名单的公告",
        body=["各有关单位：", "名单见附件。"],
        attachments=[(BOMBS[n][1], f"/files/{BOMBS[n][1]}") for n in names]
        + [("正常.pdf", "/files/good.pdf")],
    )
    site.add("另一条通知", body=["没有附件。"])
    site.set_file("/files/good.pdf", make_pdf(["正常的名单 赵敏"]))
    srv = FaultServer(site)
    try:
        for n in names:
            srv.fault(f"/files/{BOMBS[n][1]}", "bomb", kind=n)
        db = tmp_path / "a.db"
        # the crawl under an address-space limit; its text worker at 200 MiB of its own
        p = tzgg(
            "crawl", srv.listing_url(), "--db", db, "--profile", "test", "-q", "--json",
            "-s", "TZGG_TEXT_MEMORY_MB=200",
            preexec_fn=_address_space(CRAWL_MB), timeout=120,
        )  # fmt: skip
    finally:
        srv.close()
    [s] = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    assert p.returncode == 0 and s["counts"]["new"] == 2, (s, p.stderr[-2000:])
    assert "Traceback" not in p.stderr and "MemoryError" not in p.stderr
    conn = sqlite3.connect(db)
    # the notice is stored, every file kept (a download that worked), its text row says why
    rows = conn.execute(
        "SELECT c.url, c.outcome, t.text, t.error FROM captures c"
        " JOIN attachment_texts t ON t.sha256 = c.body_sha256 WHERE c.kind = 'attachment'"
    ).fetchall()
    got = {url.rsplit("/", 1)[1]: (outcome, text, error) for url, outcome, text, error in rows}
    assert got == {
        "bomb.docx": ("attachment", None, "no_text"),  # read whole, in bounded memory
        "flate.pdf": ("attachment", None, "too_costly"),  # the worker's 200 MiB
        "bomb.zip": ("attachment", None, None),  # kept, never unzipped
        "good.pdf": ("attachment", "正常的名单 赵敏", None),  # the worker was replaced
    }
    [(title, atts)] = conn.execute(
        "SELECT v.title, v.attachments FROM versions v JOIN notices n ON n.id = v.notice_id"
        " WHERE n.url = ?",
        (srv.base + site.path(nid),),
    ).fetchall()
    assert title == "关于征地补偿名单的公告"
    assert all(len(a["sha256"]) == 64 for a in json.loads(atts))


# -- pages made to cost a parser dearly (issue #15, item 5) ---------------------------------

HOSTILE_LISTING = (
    b"<html><body><datastore><recordset>" + b"<record>x" * 60_000  # no </record>, ever
    + b"<totalrecord" + b"9" * 5_000 + b"<script>createPageHTML(" * 20_000
)  # fmt: skip
HOSTILE_DETAIL = (
    b"<html><head><title></title></head><body>" + b"<div>" * 40_000  # deeper than libxml2 goes
    + b"<!--" + b"<script>x</script>" * 30_000 + b"<a href=" * 30_000
)  # fmt: skip


def test_pages_made_to_cost_a_parser_dearly_do_not_hold_the_crawl(tmp_path, faulty):
    """A listing page of unclosed Hanweb records (which took minutes, the reactor blocked) and
    a notice page of deep nesting and an unclosed comment full of scripts: each is read in
    linear time, the crawl ends well within its bound, and neither is a change."""
    site, srv, url, db = archived(tmp_path, faulty)
    srv.fault("/tzgg/index_1.html", "hostile", body=HOSTILE_LISTING)
    srv.fault(site.path(site.nids()[0]), "hostile", body=HOSTILE_DETAIL)
    before, n = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT, "-s", "TZGG_MAX_CRAWL_SECONDS=20")
    assert c.code == 3 and c.flags == [f"listing_incomplete:empty_page:{url}"], c.summary
    assert c.failures == {"empty": 1}, c.summary
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db)
