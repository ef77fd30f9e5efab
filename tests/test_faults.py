"""Hostile and broken sites (issue #7): real crawls through `tests/faultsite.py`.

Each test archives a small site normally, crawls it again with faults on some of its pages,
and checks that the crawl ends by itself within its bound, exits 0 (3 where it flags the site),
names every failure in its summary and in `tzgg runs`, and records no version and no event for
any faulted page; then that a crawl with the faults gone records nothing new either.

Every crawl is timed and its peak RSS read from the kernel (wait4's rusage of that very child).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest

from crawler.demo.site import DistrictSite
from tests.conftest import REPO, events, tzgg
from tests.faultsite import FaultServer

TIMEOUT = ("-s", "DOWNLOAD_TIMEOUT=2")
RSS_CEILING_MB = 256  # measured: 85 MB idle, 100–180 MB with these pages (by load), 430 unbounded
FIGURES: dict[str, tuple[float, float]] = {}  # what each crawl took: (seconds, peak RSS MB)


class Crawl:
    def __init__(self, code, summaries, stderr, seconds, rss_mb):
        self.code, self.stderr, self.seconds, self.rss_mb = code, stderr, seconds, rss_mb
        assert len(summaries) == 1, stderr
        self.summary = summaries[0]
        self.failures, self.flags = self.summary["failures"], self.summary["flags"]


def run_crawl(url, db, *extra, limit: float = 30, name: str = "") -> Crawl:
    """`tzgg crawl --profile test --json` in a child process that must end by itself within
    `limit` seconds; its wall time and peak RSS (ru_maxrss of that child, from wait4)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    env.pop("TZGG_DB", None)
    env.pop("TZGG_REGISTRY", None)
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", url, "--db", str(db)]
    cmd += ["--profile", "test", "-q", "--json", *map(str, extra)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > limit:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                pytest.fail(f"the crawl did not end by itself within {limit} s")
            time.sleep(0.05)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    assert "Traceback" not in stderr, stderr
    rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    if name:
        FIGURES[name] = (round(seconds, 1), round(rss_mb))
    summaries = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return Crawl(proc.returncode, summaries, stderr, seconds, rss_mb)


@pytest.fixture(autouse=True, scope="module")
def _figures():
    """What each crawl took, printed at the end (pytest -s shows it)."""
    yield
    for name, (seconds, rss) in FIGURES.items():
        print(f"\n{name:36} {seconds:5.1f} s  peak RSS {rss:4d} MB", end="")


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
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    finally:
        conn.close()


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


def then_nothing_new(srv, url, db, name: str) -> Crawl:
    """The faults gone, a crawl records nothing new: no version, no event, no flag."""
    srv.clear()
    before, n_versions = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT, name=name)
    assert c.code == 0 and c.flags == [] and c.failures == {}, (c.summary, c.stderr)
    assert events(db)[len(before) :] == [] and versions(db) == n_versions
    return c


def test_network_faults_are_counted_failures_never_changes(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty)
    ids = site.nids()
    faults = {
        ids[0]: ("hang", {}),
        ids[1]: ("reset", {}),  # RST half-way through the body
        ids[2]: ("close", {}),  # FIN before any byte
        ids[3]: ("close", {"rst": True}),  # RST before any byte
        ids[4]: ("burst", {"n": 3, "status": 503}),  # RETRY_TIMES=1: two tries, both 503
        ids[5]: ("burst", {"n": 3, "status": 500}),
        ids[6]: ("burst", {"n": 3, "status": 429, "retry_after": 120}),
    }
    for nid, (kind, opts) in faults.items():
        srv.fault(site.path(nid), kind, **opts)
    before, n = events(db), versions(db)
    c = run_crawl(url, db, *TIMEOUT, limit=20, name="network faults")
    # two tries of 2 s for the hung page, and the rest in parallel
    assert c.seconds < 15
    assert c.code == 0 and c.flags == [], (c.summary, c.stderr)
    assert c.failures == {"timeout": 1, "connection": 3, "http_5xx": 2, "http_429": 1}
    # each fault was met (one request of the archiving crawl, then this crawl's), and retried
    # (RETRY_TIMES=1) but the 429 whose Retry-After (120 s) is over TZGG_RETRY_AFTER_MAX
    assert all(srv.hits[site.path(nid)] >= 3 for nid in faults if nid != ids[6])
    assert srv.hits[site.path(ids[6])] == 2
    times = srv.times[site.path(ids[4])]
    assert times[-1] - times[-2] >= 0.9, times  # its Retry-After: 1 was waited
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db, "network faults, then none")


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
    c = run_crawl(url, db, *TIMEOUT, limit=20, name=f"listing page {why}")
    assert c.code == 3 and c.flags == [f"listing_incomplete:{why}:{url}"], c.summary
    assert c.failures == failures
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db, f"listing page {why}, then none")


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
    c = run_crawl(url, db, *TIMEOUT, name="waf pages")
    assert c.code == 3 and c.flags == [f"site_blocked:block_pages:{url}"], c.summary
    assert c.failures == {"blocked": 6}
    [e] = check_faulted(c, db, before, n)
    assert (e["kind"], e["reason"], e["evidence"]["blocked"]) == ("site_blocked", "block_pages", 6)
    then_nothing_new(srv, url, db, "waf pages, then none")


def test_a_redirect_loop_is_bounded_by_redirect_max_times(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty)
    page = site.path(site.nids()[0])
    srv.fault(page, "loop")  # page -> page?tzgg_loop=1 -> page …
    srv.fault("/tzgg/index_1.html", "loop")
    before, n = events(db), versions(db)
    srv.hits.clear()
    c = run_crawl(url, db, *TIMEOUT, "-s", "REDIRECT_MAX_TIMES=4", name="redirect loops")
    assert srv.hits[page] == 5 and srv.hits["/tzgg/index_1.html"] == 5  # 1 + 4 redirects
    assert c.code == 3 and c.flags == [f"listing_incomplete:redirect_loop:{url}"], c.summary
    assert c.failures == {"redirect_loop": 1, "listing_redirect_loop": 1}
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db, "redirect loops, then none")


def test_endless_pagination_stops_at_the_bound_and_counts_the_walk_incomplete(tmp_path, faulty):
    site, srv, url, db = archived(tmp_path, faulty)
    srv.fault("/tzgg/index*", "endless")  # 1,000,000 pages: page k shows page k mod 3
    before, n = events(db), versions(db)
    srv.hits.clear()
    c = run_crawl(url, db, *TIMEOUT, "-s", "TZGG_MAX_LISTING_PAGES=8", name="endless listing")
    listing_pages = sum(v for k, v in srv.hits.items() if k.startswith("/tzgg/index"))
    assert listing_pages == 8
    assert c.code == 3 and c.flags == [f"listing_incomplete:max_listing_pages:{url}"]
    conn = sqlite3.connect(db)
    walk = conn.execute("SELECT complete, pages, reason FROM walks ORDER BY run_id DESC").fetchone()
    conn.close()
    assert walk == (0, 8, "max_listing_pages")  # incomplete: it delists nothing
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db, "endless listing, then none")


def test_oversize_pages_and_files_are_too_large_and_memory_stays_bounded(tmp_path, faulty):
    """DOWNLOAD_MAXSIZE is 10 MiB for pages; TZGG_ATTACHMENT_MAX_BYTES is set to 10 MiB here
    (its default is 20 MiB) against a 20 MB file.  Bodies come without a Content-Length,
    so the crawler must count what it reads; one page is a 20 MB gzip bomb."""
    site = DistrictSite(style="trs", page_size=4)
    ids = site.generate(8)
    site.edit(ids[3], attachments=[("征收范围图.pdf", "/files/map.pdf")])
    srv = faulty(site)
    url, db = srv.listing_url(), tmp_path / "a.db"
    files = ("-s", f"TZGG_ATTACHMENT_MAX_BYTES={10 * 1024 * 1024}")
    assert run_crawl(url, db, *TIMEOUT, *files).code == 0
    site.rebuild()  # every page is served afresh (no 304), so the file is fetched again
    srv.fault(site.path(ids[0]), "huge")  # 20 MB, no Content-Length
    srv.fault(site.path(ids[1]), "huge", length=True)  # 20 MB, announced
    srv.fault(site.path(ids[2]), "huge", gzip=True)  # 20 MB once decompressed
    srv.fault("/files/map.pdf", "huge", ctype="application/pdf")
    before, n = events(db), versions(db)
    srv.hits.clear()
    c = run_crawl(url, db, *TIMEOUT, *files, name="20 MB pages and file")
    assert c.code == 0 and c.flags == [], (c.summary, c.stderr)
    assert c.failures == {"too_large": 3, "attachment_too_large": 1}
    assert srv.hits["/files/map.pdf"] == 1
    assert c.rss_mb < RSS_CEILING_MB, c.rss_mb
    assert check_faulted(c, db, before, n) == []
    then_nothing_new(srv, url, db, "20 MB pages and file, then none")


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
    c = run_crawl(url, db, *TIMEOUT, name="binary and empty pages")
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
    c = run_crawl(url, db, *TIMEOUT, name="binary and empty pages, then none")
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
    c = run_crawl(url, db, *TIMEOUT, *limit, limit=20, name="time bound 1.5 s")
    # without the bound: 4 tries of 2 s for each hung page
    assert c.seconds < 1.5 + 2 + 5, c.seconds
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
    c = run_crawl(url, db, *TIMEOUT, name="time bound, then none")
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
