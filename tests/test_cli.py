"""The command line: exit statuses, one-line errors, locks, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime, timedelta

import pytest

from archive.storage.db import site_lock
from crawler.demo import DistrictSite
from crawler.demo.scenario import build_demo_site
from tests.conftest import REPO, Gate, crawl, events, tzgg


def one_line_error(p):
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    return p.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["crawl", "--no-such-flag", "http://127.0.0.1:9/"], 2),
        (["crawl", "not-a-url"], 2),
        (["crawl", "ftp://example.org/x"], 2),
        (["changes", "--since", "yesterday"], 2),
        (["changes", "--kind", "exploded"], 2),
        (["show", "nothing-like-this"], 1),
        (["extract", "/no/such/file.html"], 2),
        (["frobnicate"], 2),
    ],
)
def test_bad_input_gets_a_one_line_error(tmp_path, args, code):
    db = tmp_path / "a.db"
    if args[0] == "show":
        args = [*args, "--db", str(db)]
        tzgg("crawl", "http://127.0.0.1:9/tzgg/", "--db", db, "--profile", "test", "-q")
    p = tzgg(*args)
    assert p.returncode == code, (p.stdout, p.stderr)
    one_line_error(p)


def test_a_corrupt_or_missing_archive_is_an_error_and_left_alone(tmp_path):
    bad = tmp_path / "bad.db"
    junk = b"not a database at all" * 200
    bad.write_bytes(junk)
    for args in (["changes"], ["show", "x"], ["crawl", "http://127.0.0.1:9/x/"], ["reextract"]):
        p = tzgg(*args, "--db", bad)
        assert p.returncode == 1, (args, p.stderr)
        assert "cannot open archive" in one_line_error(p)
    assert bad.read_bytes() == junk
    p = tzgg("changes", "--db", tmp_path / "none.db")
    assert p.returncode == 1 and "no archive" in one_line_error(p)


def test_unreachable_site_is_a_flagged_crawl(tmp_path):
    code, [s], p = crawl("http://127.0.0.1:9/tzgg/index.html", tmp_path / "a.db")
    assert code == 3
    assert s["flags"] and "Traceback" not in p.stderr


def test_a_second_crawl_of_the_same_site_reports_busy(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    db = tmp_path / "a.db"
    url = site.listing_url(srv.base)
    crawl(url, db)
    with site_lock(db, f"127.0.0.1:{srv.port}"):
        code, _, p = crawl(url, db)
        assert code == 75
        assert "busy" in one_line_error(p)
        # readers are never blocked
        assert tzgg("changes", "--db", db).returncode == 0


@pytest.mark.e2e
def test_kill_9_mid_crawl_leaves_a_consistent_archive_and_the_next_crawl_finishes(tmp_path, serve):
    site = DistrictSite(style="trs", page_size=20)
    site.generate(400, seed=7)
    gate = Gate(site, after=60)  # the crawl cannot finish before it is killed
    srv = serve(site)
    db = tmp_path / "k.db"
    url = site.listing_url(srv.base)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", url, "--db", str(db)]
    cmd += ["--profile", "test", "-q", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    cmd += ["-s", "DOWNLOAD_TIMEOUT=120"]  # a held page waits for the kill, not a timeout
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert gate.held.wait(60), "the crawl never reached its 61st notice page"
        while stored(db) < 40:  # what was fetched is committed within a flush (0.5 s)
            assert proc.poll() is None, "the crawl ended while held"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        gate.release()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    orphan = conn.execute(
        "SELECT count(*) FROM events e LEFT JOIN versions v ON v.notice_id = e.notice_id"
        " AND v.version = e.version WHERE v.notice_id IS NULL"
    ).fetchone()[0]
    assert orphan == 0
    half = conn.execute(
        "SELECT count(*) FROM notices n LEFT JOIN versions v ON v.notice_id = n.id"
        " AND v.version = n.current_version WHERE v.notice_id IS NULL"
    ).fetchone()[0]
    assert half == 0
    assert 0 < conn.execute("SELECT count(*) FROM notices").fetchone()[0] < 400
    conn.close()
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    new = [e["notice_id"] for e in events(db, "--kind", "new")]
    assert len(new) == len(set(new)) == 400
    assert [e for e in events(db) if e["kind"] != "new"] == []


def stored(db) -> int:
    """Versions committed so far (0 before the schema exists)."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_extract_a_saved_file(tmp_path):
    page = tmp_path / "p.html"
    page.write_bytes(
        '<html><head><meta charset="gbk"><title>关于征地的公告_某区</title></head><body>'
        '<h1>关于征地的公告</h1><div class="info">来源：区自然资源局 发布时间：2021-09-24 16:12</div>'
        '<div class="TRS_Editor"><p>各有关单位：</p><p>现将征地事项公告如下。</p></div></body></html>'.encode(
            "gbk"
        )
    )
    p = tzgg("extract", page, "--url", "http://www.x.gov.cn/tzgg/202109/t20210924_1.html", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["title"] == "关于征地的公告"
    assert d["published"] == "2021-09-24T16:12:00+08:00"
    assert d["source"] == "区自然资源局"
    assert d["site"] == "www.x.gov.cn"
    assert d["body"] == "各有关单位：\n现将征地事项公告如下。"
    assert d["objection_window"] is None and d["contact"] is None


def test_extract_shows_the_objection_window_and_contact(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>拟征收土地公示</title></head><body><h1>拟征收土地公示</h1>"
        '<div class="info">发布时间：2023-11-27 16:35</div><div class="TRS_Editor">'
        "<p>现将拟征收土地有关事项公示如下。</p><p>公示期为5个工作日（2023年11月28日至2023年12月4日）。</p>"
        "<p>联系人：刘建军 联系电话：0730-4221357</p></div></body></html>",
        encoding="utf-8",
    )
    url = "http://www.x.gov.cn/tzgg/202311/t20231127_1.html"
    d = json.loads(tzgg("extract", page, "--url", url, "--json").stdout)
    assert d["objection_window"] == {
        "text": "公示期为5个工作日（2023年11月28日至2023年12月4日）",
        "start": "2023-11-28",
        "end": "2023-12-04",
        "days": 5,
        "unit": "working",
        "approximate": False,
    }
    assert d["contact"]["phone"] == "0730-4221357" and d["contact"]["person"] == "刘建军"
    p = tzgg("extract", page, "--url", url)
    assert p.returncode == 0, p.stderr
    assert (
        "objection_window: 公示期为5个工作日（2023年11月28日至2023年12月4日）"
        "  [2023-11-28 – 2023-12-04, 5 working days]" in p.stdout
    )
    assert "contact: 联系人：刘建军 联系电话：0730-4221357" in p.stdout


def test_reextract_rederives_versions_without_events(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    db = tmp_path / "a.db"
    crawl(site.listing_url(srv.base), db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE versions SET title = 'wrong', extractor_version = '0'")
    conn.commit()
    before = len(events(db))
    p = tzgg("reextract", "--db", db)
    assert p.returncode == 0, p.stderr
    assert conn.execute("SELECT count(*) FROM versions WHERE title = 'wrong'").fetchone()[0] == 0
    assert (
        conn.execute("SELECT count(*) FROM versions WHERE extractor_version = '0'").fetchone()[0]
        == 0
    )
    assert len(events(db)) == before


@pytest.mark.e2e
def test_demo_shows_every_event_kind_and_starts_its_own_archive_afresh(tmp_path):
    db = tmp_path / "demo.db"
    stale_demo_archive(db)  # an earlier demo's, its site on another port
    p = tzgg("demo", "--db", db, timeout=300)
    assert p.returncode == 0, p.stderr
    for kind in ("new", "edited", "removed", "restored", "delisted", "relisted"):
        assert f" {kind} " in p.stdout, kind
    for reason in ("http_404", "soft_404", "redirected_away"):
        assert reason in p.stdout
    assert "A field diff" in p.stdout
    assert "  yueyanglou  " in p.stdout  # the registry key names the site
    assert "[removed after 公示 closed] " in p.stdout and "— 岳阳楼区人民政府" in p.stdout
    assert "site_broken" not in p.stdout
    conn = sqlite3.connect(db)  # started afresh: nothing of the earlier demo's site is left
    for table in ("captures", "notices"):
        sql = f"SELECT count(*) FROM {table} WHERE url LIKE ?"
        assert conn.execute(sql, (STALE + "%",)).fetchone() == (0,), table
    conn.close()


STALE = "http://127.0.0.1:1/"


def stale_demo_archive(db) -> None:
    """A demo archive as an earlier `tzgg demo --db` left it: marked, a loopback site."""
    from archive.storage.store import Archive
    from crawler.cli.demo import _mark

    a = Archive(db)
    run = a.begin_run("yueyanglou", [STALE + "tzgg/index.html"])
    url = STALE + "tzgg/t1.html"
    a.ingest(
        {"type": "fetch", "site": "yueyanglou", "kind": "detail", "url": url, "final_url": url,
         "at": "2026-01-01T00:00:00Z", "status": 200, "body": b"<html>1</html>", "headers": [],
         "page_class": "ok", "notice": {"url": url, "title": "关于旧演示的通知",
         "published": "2026-01-01T09:00:00+08:00", "body": "旧的演示。", "attachments": []}},
        run,
    )  # fmt: skip
    a.finish_run(run)
    a.close()
    _mark(str(db))


def test_setting_values_are_checked_and_tzgg_db_is_honoured(tmp_path, serve):
    p = tzgg(
        "crawl",
        "http://127.0.0.1:9/x/",
        "--db",
        tmp_path / "a.db",
        "-s",
        "TZGG_REMOVAL_CONFIRMATIONS=abc",
    )
    assert p.returncode == 2 and "not a valid int" in one_line_error(p)
    p = tzgg("crawl", "http://127.0.0.1:9/x/", "-s", "DOWNLOAD_TIMEOUT=soon")
    assert p.returncode == 2
    site = build_demo_site(style="trs")
    srv = serve(site)
    other = tmp_path / "other.db"
    code, _, p = crawl(
        site.listing_url(srv.base), tmp_path / "ignored.db", "-s", f"TZGG_DB={other}"
    )
    assert code == 0, p.stderr
    assert other.exists() and not (tmp_path / "ignored.db").exists()
    assert list(tmp_path.glob("ignored.db*")) == []


def test_records_that_cannot_be_stored_fail_the_crawl(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    db = tmp_path / "a.db"
    tzgg("changes", "--db", db)  # no archive yet
    crawl("http://127.0.0.1:9/x/", db)  # creates it
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON versions BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    conn.commit()
    code, _, p = crawl(site.listing_url(srv.base), db)
    assert code == 1
    assert "could not be stored" in p.stderr and "Traceback" not in p.stderr
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_readers_are_not_blocked_by_an_open_write_transaction(tmp_path):
    from archive.storage.store import Archive

    db = tmp_path / "a.db"
    a = Archive(db, batch=1000)
    run = a.begin_run("www.x.gov.cn")
    a.ingest(
        {
            "type": "fetch",
            "site": "www.x.gov.cn",
            "kind": "detail",
            "at": "2026-01-01T00:00:00Z",
            "url": "http://www.x.gov.cn/t1.html",
            "status": 200,
            "body": b"x",
            "notice": {"title": "t", "body": "b"},
        },
        run,
    )
    assert a.conn.in_transaction  # a crawl mid-batch holds the write lock
    # held until after the read: a blocked reader could only fail (at the busy timeout)
    p = tzgg("changes", "--db", db, "--json")
    assert p.returncode == 0 and p.stdout == ""  # it sees the last committed state
    a.close()
    assert len(tzgg("changes", "--db", db, "--json").stdout.splitlines()) == 1


def test_a_fresh_archive_opened_by_many_at_once(tmp_path):
    import concurrent.futures

    from archive.storage.db import SCHEMA_VERSION, connect

    for i in range(10):
        db = tmp_path / f"race{i}.db"
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            versions = list(
                pool.map(
                    lambda _: connect(db).execute("PRAGMA user_version").fetchone()[0],  # noqa: B023
                    range(4),
                )
            )
        assert versions == [SCHEMA_VERSION] * 4
        assert connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_changes_filters(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    db = tmp_path / "a.db"
    crawl(site.listing_url(srv.base), db)
    everything = events(db)
    assert len(everything) == 12
    at = everything[0]["at"]
    assert events(db, "--since", "2099-01-01") == []
    assert len(events(db, "--since", at)) == 12  # --since is inclusive, on `at`
    p = tzgg("changes", "--db", db, "--site", "www.example.gov.cn")  # a site it never had
    assert p.returncode == 2 and "no site 'www.example.gov.cn'" in p.stderr
    assert len(events(db, "--site", f"127.0.0.1:{srv.port}", "--kind", "new")) == 12
    assert events(db, "--kind", "removed") == []
    # a date alone is the start of that day in Asia/Shanghai
    day = (datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(hours=8)).date()
    assert len(events(db, "--since", day.isoformat())) == 12
    assert events(db, "--since", (day + timedelta(days=1)).isoformat()) == []
    text = tzgg("changes", "--db", db).stdout
    assert text.count(" new ") == 12
