"""kill -9 at random moments of a crawl, ten times in a row on one archive: the archive is
whole after every kill, and the crawl after them records every notice new exactly once.
Every other kill comes amid the crawl's new notices: the site holds the rest of them (a gate,
not a race) until one is stored.

The moments are drawn from a seeded generator; the seed is printed (`pytest -s`) and named in
every assertion message.  Replay a failure with `TZGG_KILL_SEED=<seed> pytest
tests/test_killloop.py`."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from collections import Counter

import pytest

from crawler.demo import DistrictSite
from crawler.demo.documents import make_pdf
from tests.conftest import Gate, crawl, events, start_crawl, tzgg

pytestmark = pytest.mark.e2e  # crawls killed with SIGKILL

KILLS = 10
NOTICES = 120  # at first; each kill's crawl finds GROWTH more
GROWTH = 20
TOTAL = NOTICES + KILLS * GROWTH
DELAY = "DOWNLOAD_DELAY=0.005"  # a crawl of the site takes a few seconds on loopback


def _site() -> DistrictSite:
    site = DistrictSite(style="trs", page_size=25)
    ids = site.generate(NOTICES, seed=7)  # a fifth list a (placeholder) PDF
    for nid in ids[:6]:  # multi-page articles: three pages, one version
        site.edit(nid, parts=[["第二页：征收范围。"], ["第三页：补偿标准。"]])
    for k, nid in enumerate(ids[10:14]):  # real PDFs, whose text is indexed
        path = f"/files/kill{k}.pdf"
        site.set_file(path, make_pdf([f"附件{k}：征地补偿名单", "张三 李四"]))
        site.edit(nid, attachments=[(f"征地补偿名单{k}.pdf", path)])
    return site


def _notices(db) -> int:
    """Notices committed so far, read beside the crawl (0 before the schema exists)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        return conn.execute("SELECT count(*) FROM notices").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _whole(db, why: str) -> int:
    """Checks an archive must pass at any moment; returns its number of notices."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], why
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal", why
        half = conn.execute(
            "SELECT count(*) FROM notices n LEFT JOIN versions v ON v.notice_id = n.id"
            " AND v.version = n.current_version WHERE v.notice_id IS NULL"
        ).fetchone()[0]
        assert half == 0, f"{why}: a notice without its version"
        orphans = conn.execute(
            "SELECT count(*) FROM versions v LEFT JOIN notices n ON n.id = v.notice_id"
            " WHERE n.id IS NULL"
        ).fetchone()[0]
        assert orphans == 0, f"{why}: a version without its notice"
        dangling = conn.execute(
            "SELECT count(*) FROM events e LEFT JOIN versions v ON v.notice_id = e.notice_id"
            " AND v.version = e.version WHERE e.notice_id IS NOT NULL AND v.notice_id IS NULL"
        ).fetchone()[0]
        assert dangling == 0, f"{why}: an event naming no stored version"
        kinds = Counter(
            r[0] for r in conn.execute("SELECT kind FROM events WHERE notice_id IS NOT NULL")
        )
        assert set(kinds) <= {"new"}, f"{why}: {kinds}"
        twice = conn.execute(
            "SELECT notice_id, count(*) FROM events WHERE kind = 'new' GROUP BY notice_id"
            " HAVING count(*) > 1"
        ).fetchall()
        assert twice == [], f"{why}: notices recorded new twice: {twice[:5]}"
        unannounced = conn.execute(
            "SELECT count(*) FROM notices n WHERE NOT EXISTS"
            " (SELECT 1 FROM events e WHERE e.notice_id = n.id AND e.kind = 'new')"
        ).fetchone()[0]
        assert unannounced == 0, f"{why}: a notice stored without its `new` event"
        bodies = conn.execute(
            "SELECT count(*) FROM captures c WHERE c.body_stored = 1 AND NOT EXISTS"
            " (SELECT 1 FROM bodies b WHERE b.sha256 = c.body_sha256)"
        ).fetchone()[0]
        assert bodies == 0, f"{why}: a capture whose stored body is missing"
        return conn.execute("SELECT count(*) FROM notices").fetchone()[0]
    finally:
        conn.close()


def test_ten_kill_9s_then_a_crawl_records_every_notice_new_exactly_once(tmp_path, serve):
    seed = int(os.environ.get("TZGG_KILL_SEED") or random.SystemRandom().randrange(2**32))
    print(f"kill seed {seed}")
    rng = random.Random(seed)
    tag = f"kill seed {seed}"
    site = _site()
    url = site.listing_url(serve(site).base)

    # how long a whole crawl of the site takes here (on an archive of its own), in a process
    # of its own as the killed ones are: the kill moments are drawn within it
    t0 = time.monotonic()
    code, [s], p = crawl(url, tmp_path / "measure.db", "-s", DELAY, in_process=False)
    span = time.monotonic() - t0
    assert code == 0 and s["counts"].get("new") == NOTICES, (tag, p.stderr[-2000:])

    db = tmp_path / "a.db"
    kills, had = [], 0
    for i in range(KILLS):
        new = site.generate(GROWTH, seed=100 + i)  # every crawl has new notices to store
        size = len(site.nids())
        gate = None
        if i % 2:
            # amid the writes: the site holds this round's notices after the first k, and the
            # crawl is killed once one of them is stored
            k = rng.randint(1, GROWTH - 1)
            how = f"amid new notices (held after {k})"
            gate = Gate(site, after=k, nids=new)
        proc = start_crawl(url, db, "-s", DELAY, "-s", "DOWNLOAD_TIMEOUT=60")
        t0 = time.monotonic()
        try:
            if gate is None:
                # any moment: startup, schema creation, listings, details, the end of the run
                how = "at"
                deadline = t0 + rng.uniform(0.05, span * size / NOTICES)
                while proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
            else:
                assert gate.held.wait(60), f"{tag}, kill {i + 1}: the site was never held"
                while _notices(db) <= had:  # stored within a flush (0.5 s)
                    assert proc.poll() is None, f"{tag}, kill {i + 1}: the crawl ended held"
                    time.sleep(0.02)
            running = proc.poll() is None
            if running:
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            if gate is not None:
                gate.close()
        _, err = proc.communicate(timeout=30)
        when = time.monotonic() - t0
        why = f"{tag}, kill {i + 1} {how} {when:.2f}s"
        # the crawl was quicker this time (it may end between the poll and the kill, and a
        # kill then lands on a process that has exited): it must have ended well
        ended = not running or proc.returncode != -signal.SIGKILL
        running = not ended
        if ended:
            assert proc.returncode == 0, f"{why}: the crawl exited {proc.returncode}: {err}"
        if not db.exists():  # killed before the archive was created
            kills.append((round(when, 2), running, 0, size))
            continue
        assert not list(tmp_path.glob("a.db-journal")), f"{why}: a rollback journal left"
        n = _whole(db, why)
        assert n >= had, f"{why}: {had} notices before the kill, {n} after"
        had = n
        v = tzgg("verify", "--db", db, "--json")
        assert v.returncode == 0, f"{why}: verify: {v.stdout[-2000:]} {v.stderr[-2000:]}"
        assert json.loads(v.stdout)["integrity"] == ["ok"], why
        kills.append((round(when, 2), running, n, size))
    print(f"{tag}: a whole crawl took {span:.2f}s; kills (s, while running, archived, on site):")
    print(kills)
    assert sum(k[1] for k in kills) >= KILLS // 2, f"{tag}: too few kills mid-crawl: {kills}"
    assert any(0 < k[2] < k[3] for k in kills), f"{tag}: no kill amid new notices: {kills}"

    code, [s], p = crawl(url, db, "-s", DELAY)
    assert code == 0, (tag, p.stderr[-2000:])
    assert s["status"] == "ok", (tag, s)
    evs = events(db)
    assert {e["kind"] for e in evs} == {"new"}, (tag, Counter(e["kind"] for e in evs))
    new = Counter(e["notice_id"] for e in evs)
    assert len(new) == TOTAL and set(new.values()) == {1}, (tag, new.most_common(3))
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT n.id, n.url, n.status, n.current_version, count(v.version) FROM notices n"
            " JOIN versions v ON v.notice_id = n.id GROUP BY n.id"
        ).fetchall()
        assert len(rows) == TOTAL, (tag, len(rows))
        assert {r[1] for r in rows} == {site.url(url.split("/tzgg/")[0], i) for i in site.nids()}
        assert {(r[2], r[3], r[4]) for r in rows} == {("active", 1, 1)}, tag
        assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone() == (
            0,
        ), f"{tag}: a run left running"
        parts = conn.execute("SELECT count(*) FROM versions WHERE parts IS NOT NULL").fetchone()
        assert parts == (6,), (tag, parts)
        texts = conn.execute(
            "SELECT count(*) FROM attachment_texts WHERE text LIKE '%征地补偿名单%'"
        ).fetchone()
        assert texts == (4,), (tag, texts)
    finally:
        conn.close()
    assert _whole(db, tag) == TOTAL
