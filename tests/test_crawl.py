"""Real Scrapy crawls of the example district on loopback, round after round, into a real
SQLite archive: every event kind, noise, transient failures, block pages, duplicates."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest

from archive.storage.headers import unpack
from crawler.demo import DistrictSite
from crawler.demo.scenario import apply_round, build_demo_site
from tests.conftest import crawl, events, tzgg


def by_kind(evs, base):
    return sorted((e["kind"], e["url"].removeprefix(base)) for e in evs)


def test_demo_scenario_records_every_event_kind_and_nothing_else(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db, base = site.listing_url(srv.base), tmp_path / "a.db", srv.base
    roles = site.roles

    code, [s1], p = crawl(url, db)
    assert code == 0, p.stderr
    first = events(db)
    assert {e["kind"] for e in first} == {"new"}
    assert s1["counts"]["new"] == len(first) >= 10
    assert len({e["notice_id"] for e in first}) == len(first)

    mark = first[-1]["at"]
    apply_round(site, 1)
    code, [s2], p = crawl(url, db)
    assert code == 0, p.stderr
    got = by_kind([e for e in events(db) if e["at"] > mark], base)
    path = lambda role: site.path(roles[role])  # noqa: E731
    assert got == sorted(
        [
            ("edited", path("edited")),
            ("edited", path("title_fix")),
            ("removed", path("gone404")),
            ("removed", path("soft404")),
            ("removed", path("redirect_home")),
            ("new", path("new")),
        ]
    )  # the delisted notice is delisted after a second walk without it (round 2)
    evs = {e["url"].removeprefix(base): e for e in events(db) if e["at"] > mark}
    assert evs[path("edited")]["fields"] == ["body"]
    assert evs[path("title_fix")]["fields"] == ["title"]
    assert evs[path("gone404")]["reason"] == "http_404"
    assert evs[path("soft404")]["reason"] == "soft_404"
    assert evs[path("soft404")]["evidence"]["phrase"]
    assert evs[path("redirect_home")]["reason"] == "redirected_away"
    assert evs[path("redirect_home")]["evidence"]["final_url"].rstrip("/") == base
    assert evs[path("redirect_home")]["evidence"]["redirects"] == [
        [base + path("redirect_home"), 302]
    ]

    mark = max(e["at"] for e in events(db))
    apply_round(site, 2)
    code, [s3], p = crawl(url, db)
    assert code == 0, p.stderr
    got = by_kind([e for e in events(db) if e["at"] > mark], base)
    assert got == sorted([("restored", path("gone404")), ("delisted", path("delisted"))])
    assert s3["counts"]["restored"] == 1 and s3["counts"]["delisted"] == 1

    mark = max(e["at"] for e in events(db))
    apply_round(site, 3)
    code, [s4], p = crawl(url, db)
    assert code == 0, p.stderr
    got = by_kind([e for e in events(db) if e["at"] > mark], base)
    assert got == [("relisted", path("delisted"))] and s4["counts"]["relisted"] == 1

    # show: the history of the edited notice, as JSON and as a readable diff
    p = tzgg("show", base + path("edited"), "--db", db, "--json")
    h = json.loads(p.stdout)
    assert h["status"] == "active" and len(h["versions"]) == 2
    assert set(h["versions"][0]) >= {
        "version",
        "first_seen",
        "last_seen",
        "title",
        "published",
        "source",
        "doc_number",
        "index_number",
        "written",
        "body",
        "attachments",
    }
    assert [e["kind"] for e in h["events"]] == ["new", "edited"]
    p = tzgg("show", base + path("edited"), "--db", db)
    assert "body:" in p.stdout and "\n    -" in p.stdout and "\n    +" in p.stdout
    removed = json.loads(tzgg("show", base + path("soft404"), "--db", db, "--json").stdout)
    assert removed["status"] == "removed"

    # a fifth crawl of an unchanged site (noise only) records nothing
    mark = max(e["at"] for e in events(db))
    site.rebuild()
    code, [s5], p = crawl(url, db)
    assert code == 0 and s5["status"] == "ok", p.stderr
    assert [e for e in events(db) if e["at"] > mark] == []
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_conditional_requests_get_304_and_bodies_are_stored_once(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    crawl(url, db)
    before = len(site.requests)
    code, [s], _ = crawl(url, db)
    assert code == 0 and s["counts"] == dict.fromkeys(s["counts"], 0)
    second = list(site.requests)[before:]
    statuses = Counter(r[2] for r in second)
    assert statuses[304] == 12  # every archived notice, revisited with its ETag
    fetched = Counter(r[1] for r in second)
    assert max(fetched.values()) == 1  # each page once per crawl
    conn = sqlite3.connect(db)
    n_versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    n_stored = conn.execute(
        "SELECT count(*) FROM captures WHERE kind='detail' AND body_stored=1"
    ).fetchone()[0]
    assert n_stored == n_versions
    row = conn.execute(
        "SELECT headers, request_headers, http_version, reason, decoded_from FROM captures"
        " WHERE kind='detail' AND status=200 LIMIT 1"
    ).fetchone()
    headers = {k.lower(): v for k, v in unpack(row[0])}
    sent = {k.lower(): v for k, v in unpack(row[1])}
    assert "etag" in headers and sent["user-agent"].startswith("tzgg/")
    assert row[2] == "HTTP/1.1" and row[3] == "OK" and row[4] == "gzip"
    sent304 = conn.execute(
        "SELECT request_headers FROM captures WHERE status=304 LIMIT 1"
    ).fetchone()[0]
    assert "If-None-Match" in dict(unpack(sent304))


def test_gbk_hanweb_site_transients_blocks_and_a_notice_at_two_urls(tmp_path, serve):
    site = DistrictSite(style="hanweb", page_size=4)
    ids = [
        site.add(
            f"关于第{i}批征地补偿安置方案的公告（王珺䶮）" if i == 1 else f"第{i}号通知",
            published=f"2023-05-{10 + i:02d} 09:30",
            body=[f"各有关单位：第{i}号。", "特此公告。"],
        )
        for i in range(1, 9)
    ]
    site.add_alias(ids[2], "/xxgk/copy_of_3.html")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "h.db"
    code, [s1], p = crawl(url, db)
    assert code == 0, p.stderr
    assert s1["counts"]["new"] == 8  # the copy at a second URL is the same notice
    h = json.loads(tzgg("show", srv.base + site.path(ids[2]), "--db", db, "--json").stdout)
    assert len(h["urls"]) == 2
    h = json.loads(tzgg("show", srv.base + site.path(ids[0]), "--db", db, "--json").stdout)
    assert h["versions"][0]["title"] == "关于第1批征地补偿安置方案的公告（王珺䶮）"

    mark = max(e["at"] for e in events(db))
    site.set_state(ids[3], "503")
    site.set_state(ids[4], "blocked")
    site.set_state(ids[5], "429")
    site.set_state(ids[6], "412")
    code, [s2], p = crawl(url, db)
    assert code == 3, p.stderr  # 3 of 8 pages are block pages (and a 429): flagged as blocked
    assert any(f.startswith("site_blocked:block_pages:") for f in s2["flags"])
    # no notice event: a block page is neither an edit nor a removal
    assert [e["kind"] for e in events(db) if e["at"] > mark] == ["site_blocked"]
    assert s2["failures"].get("http_5xx") == 1 and s2["failures"].get("blocked") == 2
    assert s2["failures"].get("http_429") == 1


def test_listing_bound_makes_the_walk_incomplete_and_flags_the_run(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], p = crawl(url, db, "-s", "TZGG_MAX_LISTING_PAGES=1")
    assert code == 3, p.stderr
    assert any("max_listing_pages" in f for f in s["flags"])
    assert (
        "flagged"
        in tzgg(
            "crawl", url, "--db", db, "--profile", "test", "-q", "-s", "TZGG_MAX_LISTING_PAGES=1"
        ).stdout
    )


def test_a_page_that_is_not_a_listing_is_reported(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    code, [s], p = crawl(srv.base + site.path(site.roles["edited"]), tmp_path / "a.db")
    assert code == 3
    assert any("no_notices_found" in f for f in s["flags"])
    assert "Traceback" not in p.stderr


@pytest.mark.e2e
def test_scrapy_crawl_works_from_the_repository_root(tmp_path, serve):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    site = build_demo_site(style="trs")
    srv = serve(site)
    db = tmp_path / "s.db"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "notices",
        "-a",
        f"url={site.listing_url(srv.base)}",
        "-s",
        f"TZGG_DB={db}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
        "-s",
        "LOG_LEVEL=WARNING",
    ]
    p = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert p.returncode == 0, p.stderr
    n = sqlite3.connect(db).execute("SELECT count(*) FROM notices").fetchone()[0]
    assert n >= 10


@pytest.mark.e2e
def test_two_sites_crawl_into_one_archive_at_the_same_time(tmp_path, serve):
    import subprocess
    import sys

    from tests.conftest import REPO

    sites = [build_demo_site(style="trs"), DistrictSite(style="hanweb", page_size=5)]
    sites[1].generate(30, seed=3)
    servers = [serve(s) for s in sites]
    db = tmp_path / "shared.db"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.cli",
                "crawl",
                s.listing_url(srv.base),
                "--db",
                str(db),
                "--profile",
                "test",
                "-q",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s, srv in zip(sites, servers, strict=True)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    conn = sqlite3.connect(db)
    per_site = dict(conn.execute("SELECT site, count(*) FROM notices GROUP BY site").fetchall())
    assert sorted(per_site.values()) == [12, 30]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_moved_notice_keeps_its_identity(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "m.db"
    crawl(url, db)
    mark = max(e["at"] for e in events(db))
    nid = site.roles["doc_number"]
    old = srv.base + site.path(nid)
    site.move(nid, "/xxgk/moved/t20210801_1008.html")
    code, _, p = crawl(url, db)
    assert code == 0, p.stderr
    assert [e for e in events(db) if e["at"] > mark] == []
    h = json.loads(tzgg("show", old, "--db", db, "--json").stdout)
    assert h["urls"] == [old, srv.base + "/xxgk/moved/t20210801_1008.html"]
    assert h["status"] == "active" and len(h["versions"]) == 1


def test_extract_a_live_page(serve):
    site = build_demo_site(style="hanweb")
    srv = serve(site)
    nid = site.roles["doc_number"]
    p = tzgg("extract", srv.base + site.path(nid), "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    want = site.get(nid)
    assert d["title"] == want["title"]
    assert d["doc_number"] == want["doc_number"] == "岳楼政发〔2021〕17号"
    assert d["index_number"] == want["index_number"]
    p = tzgg("extract", srv.base + "/no/such/page.html")
    assert p.returncode == 1 and "HTTP 404" in p.stderr


def test_moved_notices_are_removed_when_their_new_urls_go(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "m.db"
    moved = {
        nid: f"/xxgk/moved/t2021080{i}_{1000 + nid}.html" for i, nid in enumerate(site.nids()[:4])
    }
    old = {nid: srv.base + site.path(nid) for nid in moved}
    crawl(url, db)
    for nid, path in moved.items():
        site.move(nid, path)  # still listed, at the new URL; the old one answers 301
    crawl(url, db)
    assert events(db, "--kind", "removed") == []
    for nid in moved:
        site.set_state(nid, "404")
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    removed = events(db, "--kind", "removed")
    assert sorted(e["notice_id"] for e in removed) == sorted(
        json.loads(tzgg("show", u, "--db", db, "--json").stdout)["id"] for u in old.values()
    )
    assert {e["reason"] for e in removed} == {"http_404"}


def test_several_notices_redirected_home_in_one_crawl(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "h.db"
    crawl(url, db)
    gone = site.nids()[:3]
    for nid in gone:
        site.set_state(nid, "redirect_home")
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    removed = events(db, "--kind", "removed")
    assert sorted(e["url"] for e in removed) == sorted(srv.base + site.path(n) for n in gone)
    assert {e["reason"] for e in removed} == {"redirected_away"}


def test_a_multi_page_article_is_one_notice_joined_from_its_pages(tmp_path, serve):
    site = DistrictSite(style="trs")
    nid = site.add(
        "关于2021年度城区道路改造工程的公示",
        body=["各有关单位：", "第一页的内容。"],
        parts=[["第二页的内容。"], ["第三页的内容。", "岳阳楼区住房和城乡建设局"]],
        attachments=[("工程清单.xlsx", "/files/gcqd.xlsx")],
    )
    site.add("另一条通知", body=["只有一页。"])
    srv = serve(site)
    db, first = tmp_path / "a.db", srv.base + site.path(nid)
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert code == 0, p.stderr
    assert s["counts"]["new"] == 2  # the continuation pages are not notices of their own
    h = json.loads(tzgg("show", first, "--db", db, "--json").stdout)
    body = h["versions"][0]["body"]
    assert body.index("第一页") < body.index("第二页") < body.index("第三页的内容")
    assert body.endswith("岳阳楼区住房和城乡建设局")
    assert [a["name"] for a in h["versions"][0]["attachments"]] == ["工程清单.xlsx"]

    # An edit on page 3 alone is an edit of the notice.
    site.edit(nid, parts=[["第二页的内容。"], ["第三页改过的内容。", "岳阳楼区住房和城乡建设局"]])
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert code == 0 and s["counts"]["edited"] == 1, (p.stderr, s)

    # Page 2 failing is not an edit (half an article): nothing is recorded, and next time is.
    site.edit(nid, parts=[["第二页的内容。"], ["第三页又改了。"]])
    original = site.handle
    site.handle = _failing(original, "_1.html", 503)
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert s["counts"].get("edited", 0) == 0, s
    assert s["failures"] == {"part_http_503": 1, "incomplete_article": 1}, s
    # nor is a page 3 that is a block page (200, 访问过于频繁), or one that redirects home
    site.handle = _failing(
        original, "_2.html", 200, "<html><body>访问过于频繁，请稍后再试</body></html>"
    )
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert s["counts"].get("edited", 0) == 0 and "part_blocked" in s["failures"], s
    site.handle = _failing(original, "_2.html", 302, location="/waf/verify.html")
    site.handle = _failing(site.handle, "/waf/", 200, "<html><body>访问过于频繁</body></html>")
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert s["counts"].get("edited", 0) == 0 and "part_blocked" in s["failures"], s
    site.handle = original
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert s["counts"]["edited"] == 1, s

    # A rebuild that changes only noise adds no version, and no stored page bodies.
    def stored(table):
        with sqlite3.connect(db) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    bodies, versions = stored("bodies"), stored("versions")
    site.rebuild()
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert code == 0 and (stored("bodies"), stored("versions")) == (bodies, versions), s

    # A page 3 the site no longer serves (404) ends the article: that is an edit.
    site.handle = _failing(original, "_2.html", 404, "<html><body>页面不存在</body></html>")
    code, [s], p = crawl(site.listing_url(srv.base), db)
    assert s["counts"]["edited"] == 1, s
    h = json.loads(tzgg("show", first, "--db", db, "--json").stdout)
    assert h["versions"][-1]["body"].endswith("第二页的内容。")
    site.handle = original

    # re-extraction rebuilds each joined article from the stored pages
    p = tzgg("reextract", "--db", db)
    assert p.returncode == 0, p.stderr
    h = json.loads(tzgg("show", first, "--db", db, "--json").stdout)
    assert h["versions"][-2]["body"].endswith("第三页又改了。")
    assert "第一页的内容" in h["versions"][-2]["body"]


def _failing(handle, needle: str, status: int, page: str = "busy", location: str = ""):
    from crawler.demo import Response

    def answer(method, target, *a, **k):
        if needle in target:
            headers = [("Content-Type", "text/html; charset=utf-8")]
            return Response(
                status, headers + [("Location", location)] * bool(location), page.encode()
            )
        return handle(method, target, *a, **k)

    return answer
