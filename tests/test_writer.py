"""Writing in batches: one transaction per batch, a failing record replayed alone, and the
writer thread a crawl feeds through a bounded queue."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest

from archive.storage.db import ArchiveError
from archive.storage.store import Archive
from archive.storage.writer import ArchiveWriter, WriterThread
from crawler.demo.scenario import build_demo_site
from tests.conftest import count_rows, crawl, events
from tests.test_store import BASE, SITE, fetch, listed, notice, walk

AT = "2026-01-01T00:00:00.000Z"


def broken(n: int) -> dict:
    """A fetch that fails after its first inserts (a breadcrumb that is not JSON)."""
    return fetch(n, notice=notice(n, breadcrumb={"not", "json"}))


def batch() -> list[dict]:
    alias = f"{BASE}/xxgk/copy1.html"  # the same notice as t1, found within the batch
    return [
        listed(1, 2, 3, 4),
        fetch(1),
        fetch(2),
        broken(3),
        fetch(alias, notice=notice(1, url=alias)),
        fetch(4),
        walk(),
    ]


def dump(db) -> dict:
    """Every table's rows, but the search indexes' own (their segments are how FTS5 grouped
    its writes; what they index is the versions)."""
    conn = sqlite3.connect(db)
    fts = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")
    ]
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if not any(r[0] == v or r[0].startswith(f"{v}_") for v in fts)
    ]
    out = {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}"))) for t in tables}
    conn.close()
    assert {"notices", "versions", "captures", "events", "listings", "walks"} <= set(out)
    return out


def traced(a: Archive) -> list[str]:
    statements: list[str] = []
    a.conn.set_trace_callback(statements.append)
    return statements


def control(statements: list[str]) -> list[str]:
    words = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return [s.split()[0] for s in statements if s.split()[0] in words]


def test_a_batch_is_one_transaction_without_savepoints(tmp_path):
    a = Archive(tmp_path / "a.db", batch=100)
    run = a.begin_run(SITE, at=AT)
    statements = traced(a)
    records = [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()]
    results = a.ingest_batch([(r, run) for r in records])
    assert control(statements) == ["BEGIN", "COMMIT"]
    assert [e["kind"] for r in results for e in r] == ["new", "new", "new"]
    assert not a.conn.in_transaction  # committed before it returns
    a.close()


def test_a_record_that_raises_mid_batch_is_absent_and_the_others_stored_as_one_by_one(tmp_path):
    """The outcome is the one a savepoint per record gives: compared table by table."""
    one = Archive(tmp_path / "one.db", batch=100)
    run = one.begin_run(SITE, at=AT)
    for r in batch():
        try:
            one.ingest(r, run)
        except TypeError:
            pass
    one.finish_run(run, at=AT)
    one.close()

    a = Archive(tmp_path / "batch.db", batch=100)
    run = a.begin_run(SITE, at=AT)
    statements = traced(a)
    results = a.ingest_batch([(r, run) for r in batch()])
    assert [type(r).__name__ for r in results] == [
        "list",
        "list",
        "list",
        "TypeError",
        "list",
        "list",
        "list",
    ]
    # the batch, rolled back at the failure; then replayed one record per savepoint, one COMMIT
    ops = control(statements)
    assert ops[:2] == ["BEGIN", "ROLLBACK"] and ops[2] == "BEGIN" and ops[-1] == "COMMIT"
    assert ops.count("SAVEPOINT") == len(batch()) and ops.count("COMMIT") == 1
    statements.clear()
    a.finish_run(run, at=AT)
    a.close()
    assert dump(tmp_path / "batch.db") == dump(tmp_path / "one.db")
    conn = sqlite3.connect(tmp_path / "batch.db")
    urls = {r[0].rsplit("/", 1)[-1] for r in conn.execute("SELECT url FROM captures")}
    assert urls == {"t1.html", "t2.html", "copy1.html", "t4.html"}  # t3 absent
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 3


def test_the_writer_counts_and_logs_a_record_it_cannot_store(tmp_path, caplog):
    w = ArchiveWriter(tmp_path / "a.db", _Settings(TZGG_WRITE_BATCH=3))
    w.begin({f"{BASE}/tzgg/index.html": SITE}, {})
    with caplog.at_level(logging.ERROR, logger="archive.storage.writer"):
        for r in [fetch(1), broken(2), fetch(3), fetch(4)]:  # a batch is written at the third
            w.write(r)
        assert w.errors == {SITE: 1} and w.tally["new"] == 2
        [summary] = w.finish()
    assert summary["counts"]["new"] == 3 and "archive_errors:1" in summary["flags"]
    [line] = [m for m in caplog.messages if "could not store" in m]
    assert line.startswith(f"could not store {BASE}/tzgg/t2.html: TypeError: ")


class _Settings(dict):
    """The few settings ArchiveWriter reads, as Scrapy's Settings answers them."""

    DEFAULTS = {
        "TZGG_KEEP_ALL_BODIES": False,
        "TZGG_REMOVAL_CONFIRMATIONS": 1,
        "TZGG_HOLD_MIN_REVISITS": 1,
        "TZGG_WRITE_BATCH": 100,
    }

    def __init__(self, **over):
        super().__init__(self.DEFAULTS | over)

    def getbool(self, k):
        return bool(self[k])

    def getint(self, k):
        return int(self[k])


def _thread(db, batch=100, **kw) -> WriterThread:
    def open_writer():
        w = ArchiveWriter(db, _Settings(TZGG_WRITE_BATCH=batch))
        w.begin({f"{BASE}/tzgg/index.html": SITE}, {})
        return w

    return WriterThread(open_writer, **kw)


def test_the_thread_commits_a_batch_not_yet_full_within_its_seconds(tmp_path):
    db = tmp_path / "a.db"
    t = _thread(db, seconds=0.2)
    assert t.offer(fetch(1)) and t.offer(fetch(2))
    deadline = time.monotonic() + 30
    while count_rows(db, "notices") < 2:  # not at a full batch, nor at the end: on its clock
        assert time.monotonic() < deadline, "the records were never committed"
        time.sleep(0.02)
    [summary] = t.finish()
    assert summary["counts"]["new"] == 2 and not t.thread.is_alive()


def test_a_full_queue_refuses_records_until_the_writer_makes_room(tmp_path):
    db = tmp_path / "a.db"
    room = threading.Event()
    t = _thread(db, batch=2, max_records=4, notify=room.set)
    hold = threading.Event()
    t.call(lambda _: hold.wait(30))  # the writer is busy
    offered = [t.offer(fetch(n)) for n in range(1, 7)]
    assert offered == [True] * 4 + [False] * 2  # bounded: four taken, none committed
    hold.set()
    deadline = time.monotonic() + 30
    while not t.offer(fetch(5)):  # room once a batch is committed, and `notify` says so
        assert room.wait(30) and time.monotonic() < deadline, "no room was ever made"
        room.clear()
    [summary] = t.finish()
    assert summary["counts"]["new"] == 5 == count_rows(db, "notices")


def test_a_queue_full_of_bytes_refuses_records_too(tmp_path):
    t = _thread(tmp_path / "a.db", max_bytes=50_000)
    hold = threading.Event()
    t.call(lambda _: hold.wait(30))
    big = fetch(1, body=b"x" * 30_000)
    assert t.offer(big) and not t.offer(fetch(2, body=b"y" * 30_000))
    hold.set()
    [summary] = t.finish()
    assert summary["counts"]["new"] == 1


def test_the_thread_counts_what_it_cannot_store_and_finishes_the_runs(tmp_path):
    t = _thread(tmp_path / "a.db", batch=3)
    for r in [fetch(1), broken(2), fetch(3), fetch(4), {**fetch(5), "site": "elsewhere"}]:
        assert t.offer(r)
    [summary] = t.finish(stopped=True)
    assert summary["status"] == "interrupted" and summary["counts"]["new"] == 3
    assert "archive_errors:1" in summary["flags"]  # its own site's
    assert t.writer.errors == {SITE: 1, "elsewhere": 1}


def test_an_archive_the_thread_cannot_open_fails_at_once(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 200)
    with pytest.raises((ArchiveError, sqlite3.DatabaseError)):
        _thread(bad)


def test_a_crawl_writes_the_same_archive_with_or_without_the_thread(tmp_path, serve):
    site = build_demo_site(style="trs")
    url = site.listing_url(serve(site).base)
    got = []
    for on in ("1", "0"):
        db = tmp_path / f"thread{on}.db"
        # batches of one: a queue of two records, often full (the crawl waits for room)
        code, [s], p = crawl(url, db, "-s", f"TZGG_WRITE_THREAD={on}", "-s", "TZGG_WRITE_BATCH=1")
        assert code == 0, p.stderr
        conn = sqlite3.connect(db)
        versions = conn.execute("SELECT notice_id, version, hash FROM versions ORDER BY 1, 2")
        got.append(
            (
                s["counts"],
                sorted((e["kind"], e["url"]) for e in events(db)),
                versions.fetchall(),
            )
        )
        conn.close()
    assert got[0] == got[1]
