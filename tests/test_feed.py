"""`tzgg feed` and open 公示 windows, over archives made by real crawls of the example district;
feeds are read back with feedparser, as a subscriber's reader would."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta

import feedparser
import pytest

from archive.export.feed import entry_html, event_id, events_atom
from archive.storage.objections import open_objections
from crawler.demo import DistrictSite
from crawler.demo import serve as serve_site
from crawler.schema.times import SHANGHAI, utcnow
from tests.conftest import crawl, events, tzgg

TODAY = datetime.now(SHANGHAI).date()
KEY, NAME = "yylq", "岳阳楼区人民政府"


def cn(days: int) -> str:
    """A date `days` from today as a notice prints it: 2026年1月5日."""
    d = TODAY + timedelta(days=days)
    return f"{d.year}年{d.month}月{d.day}日"


def published(days: int) -> str:
    return f"{TODAY + timedelta(days=days):%Y-%m-%d} 09:00"


def iso(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def registry(tmp_path, listing: str) -> str:
    path = tmp_path / "sites.toml"
    path.write_text(
        f"""
[sites.{KEY}]
name = "{NAME}"
region = "430602"
listings = ["{listing}"]

[sites.futian]
name = "福田区人民政府"
region = "440304"
listings = ["http://www.szft.gov.cn/tzgg/index.html"]
""",
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two crawls.  Between them: A is edited, B and X (window still open) answer 404, W (a
    公示 whose window closed in 2021) answers 404, N is published.  O, L and F carry windows
    open now, open for weeks, and not open yet; C one that closed long ago."""
    tmp = tmp_path_factory.mktemp("feed")
    site = DistrictSite(style="trs", page_size=20)
    n = {}
    n["a"] = site.add(
        "关于征收集体土地的公告",
        "2021-09-01 09:00",
        body=["拟征收土地涉及农户如下。", "户主张三。"],
    )
    n["b"] = site.add("关于道路施工的通知", "2021-09-02 09:00", body=["施工期间请绕行。"])
    n["w"] = site.add(
        "关于道路命名的公示",
        "2021-09-10 09:00",
        body=["现将道路命名方案予以公示。", "公示期为2021年9月10日至2021年9月17日。"],
    )
    n["c"] = site.add(
        "关于2021年拟任职干部的公示",
        "2021-09-01 10:00",
        body=["现予以公示。", "公示期为2021年9月1日至2021年9月7日。"],
    )
    n["o"] = site.add(
        "关于拟确定低保对象的公示",
        published(-2),
        body=[
            "现将拟确定低保对象名单予以公示。",
            f"公示期为{cn(-2)}至{cn(3)}。如有异议，请向区民政局反映。",
            "联系人：李明，联系电话：0730-8888888。",
        ],
    )
    n["l"] = site.add(
        "关于老旧小区改造项目的公示",
        published(-1),
        body=["现将改造项目予以公示。", f"公示期为{cn(-1)}至{cn(20)}。"],
    )
    n["f"] = site.add(
        "关于城东街道补偿安置方案的公示",
        published(0),
        body=["现将补偿安置方案予以公示。", f"公示期为{cn(2)}至{cn(5)}。"],
    )
    n["x"] = site.add(
        "关于拆迁安置名单的公示",
        published(-1),
        body=["现将拆迁安置名单予以公示。", f"公示期为{cn(-1)}至{cn(6)}。"],
    )
    srv = serve_site(site, host="127.0.0.1", port=0)
    db = tmp / "a.db"
    try:
        listing = site.listing_url(srv.base)
        reg = registry(tmp, listing)
        code, _, p = crawl(listing, db, "--registry", reg)
        assert code == 0, p.stderr
        between = utcnow()
        time.sleep(0.05)
        site.edit(n["a"], body=["拟征收土地涉及农户如下（更正）。", "户主张三。"])
        for k in ("b", "w", "x"):
            site.set_state(n[k], "404")
        n["n"] = site.add("关于开展安全检查的通知", published(0), body=["请各单位做好准备。"])
        code, _, p = crawl(listing, db, "--registry", reg)
        assert code == 0, p.stderr
        url = {k: srv.base + site.path(v) for k, v in n.items()}
    finally:
        srv.close()
    evs = events(db)
    return {
        "db": db,
        "tmp": tmp,
        "url": url,
        "events": evs,
        "site": evs[0]["site"],
        "reg": reg,
        "between": between,
    }


def feed(archive, *args, name="feed.xml"):
    out = archive["tmp"] / name
    p = tzgg("feed", "--db", archive["db"], "--output", out, *args)
    assert p.returncode == 0, p.stderr
    return out, feedparser.parse(out.read_bytes())


def kinds_of(parsed) -> list[str]:
    return [e.tags[0].term for e in parsed.entries]


def same_day():
    """Windows were dated relative to TODAY: a run that crossed midnight cannot check them."""
    if datetime.now(SHANGHAI).date() != TODAY:
        pytest.skip("the day changed in Asia/Shanghai during the test run")


def one_line_error(p):
    assert p.returncode != 0 and "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("tzgg: error:"), p.stderr
    return lines[0]


def test_the_crawls_made_the_events_the_feed_shows(archive):
    url = archive["url"]
    got = sorted((e["kind"], e["url"]) for e in archive["events"])
    want = [("new", url[k]) for k in "abwcolfxn"] + [("edited", url["a"])]
    want += [("removed", url[k]) for k in "bwx"]
    assert got == sorted(want)
    removals = {e["url"]: e for e in archive["events"] if e["kind"] == "removed"}
    assert removals[url["w"]]["window_closed"] == "2021-09-17"
    assert "window_closed" not in removals[url["x"]]  # removed while its window was open
    assert removals[url["x"]]["window_open"] >= archive["events"][-1]["at"][:10]
    assert "window_closed" not in removals[url["b"]] and "window_open" not in removals[url["b"]]


def test_feed_entries_newest_first_with_links_titles_and_content(archive):
    url, site = archive["url"], archive["site"]
    _, parsed = feed(archive)
    assert not parsed.bozo, parsed.bozo_exception
    assert len(parsed.entries) == len(archive["events"]) == 13
    times = [e.updated for e in parsed.entries]
    assert times == sorted(times, reverse=True)
    assert parsed.feed.updated == times[0]
    newest = max(e["at"] for e in archive["events"])
    assert (
        parsed.feed.updated_parsed
        == feedparser.parse(
            f'<feed xmlns="http://www.w3.org/2005/Atom"><updated>{newest}</updated></feed>'
        ).feed.updated_parsed
    )
    assert parsed.feed.generator == "tzgg"
    by = {(e.tags[0].term, e.link): e for e in parsed.entries}

    edited = by[("edited", url["a"])]
    assert edited.title == f"[edited] 关于征收集体土地的公告 — {site}"
    assert edited.author == site
    body = edited.content[0].value
    assert "-拟征收土地涉及农户如下。" in body and "+拟征收土地涉及农户如下（更正）。" in body

    removed = by[("removed", url["b"])]
    assert removed.title == f"[removed] 关于道路施工的通知 — {site}"
    assert "http_404" in removed.content[0].value and "404" in removed.content[0].value
    assert "Routine" not in removed.content[0].value

    routine = by[("removed", url["w"])]
    assert routine.title == f"[removed after 公示 closed] 关于道路命名的公示 — {site}"
    assert "Routine removal" in routine.content[0].value
    assert "2021-09-17" in routine.content[0].value
    alarm = by[("removed", url["x"])]
    assert alarm.title.startswith("[REMOVED during its 公示] ")
    assert "Removed while its 公示 was still open" in alarm.content[0].value

    new = by[("new", url["n"])]
    assert new.title == f"[new] 关于开展安全检查的通知 — {site}"
    assert "请各单位做好准备。" in new.content[0].value
    assert new.published == new.updated
    # ids: stable, distinct, and naming the site and the notice
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == len(ids)
    ev = next(e for e in archive["events"] if e["kind"] == "edited")
    assert edited.id == event_id(ev)
    assert edited.id.startswith(f"urn:tzgg:event:{ev['notice_id']}:{ev['id']}:")


def test_a_regenerated_feed_is_byte_identical(archive):
    first, _ = feed(archive, name="one.xml")
    time.sleep(1.1)
    second, _ = feed(archive, name="two.xml")
    assert first.read_bytes() == second.read_bytes()
    assert not (archive["tmp"] / "two.xml.partial").exists()
    p = tzgg("feed", "--db", archive["db"], "--output", "-")
    assert p.returncode == 0 and p.stdout.encode() == first.read_bytes()


def test_filters_by_kind_site_query_since_and_limit(archive):
    url, site = archive["url"], archive["site"]
    _, parsed = feed(archive, "--kind", "removed")
    assert sorted(e.link for e in parsed.entries) == sorted(url[k] for k in "bwx")
    assert parsed.feed.title == "tzgg: events · removed"
    _, parsed = feed(archive, "--kind", "removed", "--kind", "edited")
    assert sorted(kinds_of(parsed)) == ["edited", "removed", "removed", "removed"]
    _, parsed = feed(archive, "--query", "征收")
    assert parsed.feed.title == "tzgg: events · “征收”"
    assert sorted(kinds_of(parsed)) == ["edited", "new"]
    assert {e.link for e in parsed.entries} == {url["a"]}
    _, parsed = feed(archive, "--query", "征收 OR 拆迁", "--kind", "removed")
    assert [e.link for e in parsed.entries] == [url["x"]]
    _, parsed = feed(archive, "--query", "公示 NOT 低保", "--kind", "new")
    assert {e.link for e in parsed.entries} == {url[k] for k in "wclfx"}
    _, parsed = feed(archive, "--site", site, "--limit", "2")
    assert len(parsed.entries) == 2
    newest_two = sorted(archive["events"], key=lambda e: (e["at"], e["id"]))[-2:]
    assert {e.id for e in parsed.entries} == {event_id(e) for e in newest_two}
    _, parsed = feed(archive, "--since", archive["between"])
    assert len(parsed.entries) == 5  # edited, three removals, one new
    # the feed's id says which filters made it
    one, _ = feed(archive, "--kind", "removed", name="k1.xml")
    two, _ = feed(archive, "--kind", "edited", name="k2.xml")
    assert feedparser.parse(one.read_bytes()).feed.id != feedparser.parse(two.read_bytes()).feed.id


def test_region_selects_the_registry_sites_of_a_code(archive, tmp_path):
    """The region's sites are registry keys: crawled with --registry, the archive names the
    site by its key."""
    assert archive["site"] == KEY
    db = archive["db"]
    reg = archive["reg"]
    out = tmp_path / "region.xml"

    def run(*args):
        return tzgg("feed", "--db", db, "--registry", reg, "-o", out, *args, cwd=tmp_path)

    p = run("--region", "4306")
    assert p.returncode == 0, p.stderr
    parsed = feedparser.parse(out.read_bytes())
    assert len(parsed.entries) == 13
    assert all(e.title.endswith(f" — {NAME}") and e.author == KEY for e in parsed.entries)
    assert parsed.feed.title == "tzgg: events · region 4306"
    p = run("--region", "4403", "--kind", "removed")  # a region whose site has no events yet
    assert p.returncode == 0, p.stderr
    assert feedparser.parse(out.read_bytes()).entries == []
    p = run("--region", "430602", "--site", KEY, "--kind", "edited")
    assert p.returncode == 0 and len(feedparser.parse(out.read_bytes()).entries) == 1
    assert "no site of region 9999" in one_line_error(run("--region", "9999"))
    assert "not in region" in one_line_error(run("--region", "4403", "--site", KEY))
    p = tzgg("feed", "--db", db, "-o", out, "--region", "4306", cwd=tmp_path)
    assert "needs a site registry" in one_line_error(p)
    assert p.returncode == 2
    # and `changes` takes the same --region
    p = tzgg("changes", "--db", db, "--registry", reg, "--region", "4306", "--json", cwd=tmp_path)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 13
    p = tzgg("changes", "--db", db, "--registry", reg, "--region", "4403", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == ""
    p = tzgg("changes", "--db", db, "--registry", reg, "--region", "12", cwd=tmp_path)
    assert p.returncode == 2 and "no site of region 12" in one_line_error(p)
    for region, count in (("4306", 2), ("4403", 0)):
        p = tzgg(
            *("changes", "--db", db, "--registry", reg, "--region", region),
            *("--open-objections", "--json"),
            cwd=tmp_path,
        )
        assert p.returncode == 0 and len(p.stdout.splitlines()) == count, (region, p.stderr)


def test_bad_input_is_a_one_line_error_and_writes_nothing(archive, tmp_path):
    out = tmp_path / "feed.xml"
    db = archive["db"]
    cases = [
        (["--kind", "exploded"], 2, "unknown kind 'exploded'"),
        (["--query", "征收 OR"], 2, "--query"),
        (["--query", "OR"], 2, "--query"),
        (["--site", "nowhere.gov.cn"], 2, "no site 'nowhere.gov.cn'"),
        (["--since", "yesterday"], 2, "not a date"),
        (["--within", "3"], 2, "--within goes with --open-objections"),
        (["--open-objections", "--kind", "new"], 2, "not open windows"),
    ]
    for args, code, message in cases:
        p = tzgg("feed", "--db", db, "-o", out, *args, cwd=tmp_path)
        assert p.returncode == code, (args, p.stderr)
        assert message in one_line_error(p), args
        assert list(tmp_path.iterdir()) == [], args
    p = tzgg("feed", "--db", db, "-o", tmp_path / "no" / "such" / "feed.xml")
    assert "cannot write the feed" in one_line_error(p)
    assert not (tmp_path / "no").exists()
    p = tzgg("feed", "--db", db, "-o", db)
    assert p.returncode == 2 and "would overwrite the archive" in one_line_error(p)
    p = tzgg("feed", "--db", tmp_path / "none.db", "-o", out)
    assert p.returncode == 1 and "no archive" in one_line_error(p)
    assert list(tmp_path.iterdir()) == []
    # an existing feed is left whole when a new one fails
    out.write_bytes(b"old feed")
    p = tzgg("feed", "--db", db, "-o", out, "--query", "NOT")
    assert p.returncode == 2 and out.read_bytes() == b"old feed"


def test_changes_lists_open_objection_windows(archive):
    same_day()
    url = archive["url"]
    p = tzgg("changes", "--db", archive["db"], "--open-objections", "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [(r["url"], r["closes"], r["days_left"]) for r in rows] == [
        (url["o"], iso(3), 3),
        (url["l"], iso(20), 20),
    ]
    o = rows[0]
    assert o["title"] == "关于拟确定低保对象的公示" and o["status"] == "active"
    assert o["objection_window"]["start"] == iso(-2)
    assert o["site"] == archive["site"] and o["version"] == 1
    # closing within a week: O, and F that opens in two days; not L (closes in 20 days)
    p = tzgg("changes", "--db", archive["db"], "--open-objections", "--within", "7", "--json")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [(r["url"], r["days_left"]) for r in rows] == [(url["o"], 3), (url["f"], 5)]
    p = tzgg("changes", "--db", archive["db"], "--open-objections", "--within", "7")
    assert p.returncode == 0, p.stderr
    assert f"{iso(3)}  3 days left" in p.stdout and f"opens {iso(2)}" in p.stdout
    assert "公示期为" in p.stdout and url["f"] in p.stdout
    p = tzgg("changes", "--db", archive["db"], "--open-objections", "--site", "elsewhere.gov.cn")
    assert (
        p.returncode == 2 and "no site 'elsewhere.gov.cn'" in p.stderr
    )  # neither archived nor registered
    p = tzgg("changes", "--db", archive["db"], "--within", "7")
    assert p.returncode == 2 and "--within" in one_line_error(p)
    p = tzgg("changes", "--db", archive["db"], "--open-objections", "--kind", "new")
    assert p.returncode == 2


def test_objections_feed(archive):
    same_day()
    url, site = archive["url"], archive["site"]
    out, parsed = feed(archive, "--open-objections", name="objections.xml")
    assert not parsed.bozo, parsed.bozo_exception
    assert [e.link for e in parsed.entries] == [url["o"], url["l"]]
    o = parsed.entries[0]
    assert o.title == f"[公示 closes {iso(3)}] 关于拟确定低保对象的公示 — {site}"
    assert (
        o.id
        == f"urn:tzgg:objection:{json.loads(tzgg('show', url['o'], '--db', archive['db'], '--json').stdout)['id']}:v1"
    )
    text = o.content[0].value
    assert f"公示期为{cn(-2)}至{cn(3)}" in text and "3 days left" in text and "李明" in text
    shown = json.loads(tzgg("show", url["o"], "--db", archive["db"], "--json").stdout)
    first_seen = shown["versions"][-1]["first_seen"]
    assert (
        o.updated_parsed
        == feedparser.parse(
            f'<feed xmlns="http://www.w3.org/2005/Atom"><updated>{first_seen}</updated></feed>'
        ).feed.updated_parsed
    )
    _, parsed = feed(archive, "--open-objections", "--within", "7", name="soon.xml")
    assert parsed.feed.title == "tzgg: open 公示 windows · closing within 7 days"
    assert [e.link for e in parsed.entries] == [url["o"], url["f"]]
    again, _ = feed(archive, "--open-objections", name="objections2.xml")
    assert again.read_bytes() == out.read_bytes()


# -- the functions, on hand-made records --------------------------------------------------------


def test_health_events_show_whatever_the_query(archive, tmp_path):
    db = tmp_path / "h.db"
    src, dst = sqlite3.connect(archive["db"]), sqlite3.connect(tmp_path / "h.db")
    src.backup(dst)
    src.close()
    evidence = {"walk": "no_notices_found"}
    dst.execute(
        "INSERT INTO events (notice_id, site, url, kind, at, title, reason, evidence)"
        " VALUES (NULL, ?, ?, 'site_broken', '2099-01-01T00:00:00.000Z', ?, 'no_notices', ?)",
        (archive["site"], "http://x/tzgg/", "the listing shows no notices", json.dumps(evidence)),
    )
    dst.commit()
    dst.close()
    out = tmp_path / "h.xml"
    p = tzgg("feed", "--db", db, "-o", out, "--query", "征收")
    assert p.returncode == 0, p.stderr
    parsed = feedparser.parse(out.read_bytes())
    assert kinds_of(parsed) == ["site_broken", "edited", "new"]
    broken = parsed.entries[0]
    assert broken.title == f"[site_broken] the listing shows no notices — {archive['site']}"
    assert broken.link == "http://x/tzgg/" and ":site:" in broken.id
    assert "no_notices" in broken.content[0].value
    assert "no_notices_found" in broken.content[0].value


def test_a_query_reads_each_notice_version_once_and_the_feed_keeps_its_rule(
    archive, tmp_path, monkeypatch
):
    """Many events of few notices (a long-running archive): a query reads and matches each
    (notice, version) once per feed, and the newest-first reading that stops at --limit picks
    the entries the plain rule (every event, filtered, newest first) picks."""
    from archive.export.feed import recent_events
    from archive.storage import eventfilter
    from archive.storage.eventfilter import EventFilter
    from archive.storage.queries import changes

    db = tmp_path / "many.db"
    src, dst = sqlite3.connect(archive["db"]), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    rows = dst.execute(
        "SELECT notice_id, site, url, kind, version, title, fields, reason, evidence FROM events"
        " WHERE notice_id IS NOT NULL ORDER BY id"
    ).fetchall()
    dst.executemany(  # 1200 more, each a copy of one of them, in ten batches of times
        "INSERT INTO events (notice_id, site, url, kind, version, title, fields, reason, evidence,"
        " at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*rows[k % len(rows)], f"2030-01-0{1 + k % 9}T00:00:00.000Z") for k in range(1200)],
    )
    dst.commit()
    dst.close()
    reads: list = []
    real = eventfilter.notice_text

    def counted(conn, nid, version=None):
        reads.append((nid, version))
        return real(conn, nid, version)

    monkeypatch.setattr(eventfilter, "notice_text", counted)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    plain = list(reversed(changes(conn)))
    site = archive["site"]
    for kw, since, limit in [
        ({"query": "征收"}, None, 200),
        ({"query": "征收 OR 拆迁", "kinds": ["removed", "edited"]}, None, 5),
        ({"query": "公示 NOT 低保", "sites": [site]}, "2030-01-03T00:00:00.000Z", 50),
        ({"kinds": ["removed", "edited"]}, None, 30),
        ({"sites": [site]}, "2030-01-05T00:00:00.000Z", 1000),
        ({"sites": []}, None, 10),
        ({}, None, 7),
    ]:
        reads.clear()
        got = recent_events(conn, EventFilter(**kw), since=since, limit=limit)
        assert len(reads) == len(set(reads)), kw  # each (notice, version) read once
        assert len(reads) <= len({(e["notice_id"], e["version"]) for e in plain})
        filt = EventFilter(**kw)
        want = [e for e in plain if (since is None or e["at"] >= since) and filt.admits(conn, e)]
        assert got == want[:limit], kw
    assert got and len(got) == 7


def test_archived_text_is_escaped_and_made_xml_safe():
    event = {
        "id": 7,
        "notice_id": "abc",
        "url": "http://www.x.gov.cn/t1.html?a=1&b=2",
        "site": "www.x.gov.cn",
        "kind": "removed",
        "at": "2024-05-06T01:02:03.456Z",
        "title": "<script>alert(1)</script>关于\x0b征地的公告",
        "reason": "soft_404",
        "evidence": {"status": 200, "final_url": "http://www.x.gov.cn/", "phrase": "<b>页面不存在"},
    }
    html = entry_html(event, None, None)
    assert "<b>页面" not in html and "&lt;b&gt;页面不存在" in html
    data = events_atom(None, [event], feed_id="urn:tzgg:feed:events", title="t")
    assert b"<script>" not in data and b"\x0b" not in data
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries[0].link == event["url"]
    assert (
        parsed.entries[0].title
        == "[removed] <script>alert(1)</script>关于征地的公告 — www.x.gov.cn"
    )
    assert parsed.feed.updated.startswith("2024-05-06T01:02:03")


def test_open_objections_rules_on_hand_made_windows(tmp_path):
    from archive.storage.db import connect

    conn = connect(tmp_path / "w.db")
    today = "2024-05-10"
    windows = {
        "open": {"start": "2024-05-08", "end": "2024-05-14"},
        "no_start": {"start": None, "end": "2024-05-10"},  # closes today
        "approx": {"start": "2024-05-01", "end": "2024-05-12", "approximate": True},
        "not_yet": {"start": "2024-05-11", "end": "2024-05-13"},
        "closed": {"start": "2024-05-01", "end": "2024-05-09"},
        "open_ended": {"start": "2024-05-01", "end": None},  # no closing date: never listed
        "later_stage": {"start": None, "end": None, "days": 7, "unit": "工作"},
        "garbage": {"start": None, "end": "5月"},
        "removed": {"start": "2024-05-08", "end": "2024-05-14"},
        "elsewhere": {"start": "2024-05-08", "end": "2024-05-11"},
    }
    for nid, w in windows.items():
        site = "other" if nid == "elsewhere" else "mine"
        status = "removed" if nid == "removed" else "active"
        conn.execute(
            "INSERT INTO notices (id, site, url, status, current_version, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, 1, 't', 't')",
            (nid, site, f"http://x/{nid}", status),
        )
        conn.execute(
            "INSERT INTO versions (notice_id, version, hash, url, first_seen, last_seen, title,"
            " extractor_version, objection_window) VALUES (?, 1, ?, ?, 't', 't', ?, 'x', ?)",
            (nid, nid, f"http://x/{nid}", f"公示 {nid}", json.dumps({"text": "公示期", **w})),
        )
    conn.commit()

    def ids(**kw):
        return [(o["id"], o["days_left"]) for o in open_objections(conn, today=today, **kw)]

    assert ids() == [("no_start", 0), ("elsewhere", 1), ("approx", 2), ("open", 4)]
    assert ids(sites=["mine"]) == [("no_start", 0), ("approx", 2), ("open", 4)]
    assert ids(within=2) == [("no_start", 0), ("elsewhere", 1), ("approx", 2)]
    assert ids(within=3, sites=["mine"]) == [("no_start", 0), ("approx", 2), ("not_yet", 3)]
    assert ids(within=0) == [("no_start", 0)]
    assert ids(sites=[]) == []
    approx = next(o for o in open_objections(conn, today=today) if o["id"] == "approx")
    assert approx["objection_window"]["approximate"] is True


def test_an_open_window_entry_is_updated_each_day_its_count_changes():
    from archive.export.feed import objection_entry

    n = {
        "id": "abc", "version": 2, "site": "yylq", "title": "关于拟征收土地的公示",
        "url": "http://x/t1.html", "closes": "2026-12-01", "days_left": 5,
        "first_seen": "2026-11-01T02:00:00.000Z", "objection_window": {"text": "公示期…"},
    }  # fmt: skip
    e = objection_entry(n, "岳阳楼区")
    assert e["updated"] == "2026-11-25T16:00:00.000Z"  # 26 November began in Shanghai
    assert e["id"] == "urn:tzgg:objection:abc:v2" and "5 days left" in e["content"]
    assert objection_entry(n | {"first_seen": "2026-11-26T01:00:00.000Z"}, "")["updated"] == (
        "2026-11-26T01:00:00.000Z"
    )


def test_a_feed_never_replaces_an_sqlite_file(archive, tmp_path):
    """Issue 15 #16: `--output other.db` wrote over another archive."""
    data = archive["db"].read_bytes()
    for name in ("other.db", "x.partial"):  # X.partial: the file a feed to X writes first
        (tmp_path / name).write_bytes(data)
    for target in ("other.db", "x"):
        p = tzgg("feed", "--db", archive["db"], "-o", tmp_path / target)
        assert p.returncode == 2 and "SQLite" in one_line_error(p)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["other.db", "x.partial"]
    assert all((tmp_path / name).read_bytes() == data for name in ("other.db", "x.partial"))


def test_an_empty_feed_is_as_of_the_last_crawl_never_1970(tmp_path):
    from tests.test_store import crawl as store
    from tests.test_store import fetch

    db = tmp_path / "a.db"
    store(db, [fetch(1)])  # no 公示 window in it
    finished = sqlite3.connect(db).execute("SELECT max(finished) FROM runs").fetchone()[0]
    for args in (["--open-objections"], ["--kind", "removed"]):
        out = tmp_path / "feed.xml"
        p = tzgg("feed", "--db", db, "-o", out, *args)
        assert p.returncode == 0, p.stderr
        parsed = feedparser.parse(out.read_bytes())
        assert parsed.entries == []
        expected = finished if args == ["--open-objections"] else "2026-01-01T00:00:00"
        assert parsed.feed.updated.startswith(expected[:19]), (args, parsed.feed.updated)
