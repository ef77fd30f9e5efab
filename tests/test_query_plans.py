"""No statement the archive runs per record reads a whole site or the whole archive.

Every statement `Archive.ingest` runs while the demo scenario's rounds are crawled (every event
kind: new, edited, removed, restored, delisted, moved, duplicates, attachments, 304s) is
traced with its values bound, and SQLite's own `EXPLAIN QUERY PLAN` of it must find its rows
through an index on something narrower than the site: a record's cost must not grow with the
archive (issue 17 found one that read every notice of the site for each new notice)."""

from __future__ import annotations

import re
import sqlite3
import threading

from archive.storage import store
from crawler.demo.scenario import apply_round, build_demo_site
from tests.conftest import crawl

# Tables that grow with the archive.
BIG = {"notices", "versions", "captures", "listings", "notice_urls", "events", "bodies"}
# Indexes whose only use is to narrow to a site (or a site and status): a site's worth.
SITE_WIDE = re.compile(r"USING (?:COVERING )?INDEX \w+ \((?:site=\?|site=\? AND status=\?)\)")
ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(?!ON\b|WHERE\b|JOIN\b)(\w+))?", re.I)


def traced_statements(monkeypatch) -> set[str]:
    seen: set[str] = set()
    lock = threading.Lock()
    ingest = store.Archive.ingest

    def tracing(self, record, run_id):
        def keep(sql: str) -> None:
            with lock:
                seen.add(sql)

        self.conn.set_trace_callback(keep)
        try:
            return ingest(self, record, run_id)
        finally:
            self.conn.set_trace_callback(None)

    monkeypatch.setattr(store.Archive, "ingest", tracing)
    return seen


def wide_reads(conn: sqlite3.Connection, sql: str) -> list[str]:
    head = sql.lstrip().split(None, 1)[0].upper()
    if head not in {"SELECT", "UPDATE", "DELETE", "INSERT", "WITH", "REPLACE"}:
        return []  # BEGIN, SAVEPOINT, RELEASE, COMMIT
    tables = {t: t for t in BIG}  # the plan names a table by its alias
    for table, alias in ALIAS.findall(sql):
        tables[alias or table] = table
    bad = []
    for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql):
        words = detail.split()
        if len(words) < 2 or tables.get(words[1]) not in BIG:
            continue
        if words[0] == "SCAN" or (words[0] == "SEARCH" and SITE_WIDE.search(detail)):
            bad.append(detail)
    return bad


def _three_rounds(tmp_path, serve):
    """The demo district crawled through its first three rounds: every event kind."""
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    for r in range(3):
        if r:
            apply_round(site, r)
        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
    return db


def test_no_statement_of_the_write_path_reads_a_site_or_the_archive(tmp_path, serve, monkeypatch):
    seen = traced_statements(monkeypatch)
    db = _three_rounds(tmp_path, serve)
    writes = [s for s in seen if s.split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert len(seen) > 50 and writes  # the trace saw the write path, not nothing

    conn = sqlite3.connect(db)
    found = {sql: bad for sql in sorted(seen) if (bad := wide_reads(conn, sql))}
    assert found == {}


def test_the_plan_check_catches_a_site_wide_read(tmp_path):
    conn = store.Archive(tmp_path / "x.db").conn  # the archive's own schema and indexes
    site_driven = (  # the query issue 17 found, as it was
        "SELECT n.id, n.current_version FROM notices n JOIN versions v ON v.notice_id = n.id"
        " AND v.version = n.current_version WHERE n.site = 'a' AND v.hash IN ('x', 'y') LIMIT 1"
    )
    assert wide_reads(conn, site_driven) == ["SEARCH n USING INDEX notices_site (site=?)"]
    assert wide_reads(conn, "SELECT * FROM versions WHERE title = 'x'")
    assert not wide_reads(conn, "SELECT * FROM notices WHERE id = 'a'")


def test_the_web_uis_search_notice_and_latest_lists_read_through_indexes(tmp_path, serve):
    """What the UI's pages read per request (crawler/webui/reads.py): no statement of a search
    page, a notice page, the latest removals and edits or the 公示 windows closing soon reads a
    table that grows with the archive (the site pages and health rows read a site's counts)."""
    from crawler.webui import reads

    db = _three_rounds(tmp_path, serve)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    seen: set[str] = set()
    conn.set_trace_callback(seen.add)
    nid = conn.execute("SELECT notice_id FROM events WHERE kind = 'edited'").fetchone()[0]
    assert reads.search_page(conn, {"q": "征地"})["results"]
    reads.search_page(conn, {"q": "征地", "sort": "newest", "status": "removed"})
    assert reads.notice_page(conn, nid)["timeline"]
    assert reads.latest(conn, "removed") and reads.latest(conn, "edited")
    reads.open_objections(conn, today="2021-09-01", within=30)
    conn.set_trace_callback(None)
    assert len(seen) > 10  # the trace saw the pages' reads
    plain = sqlite3.connect(db)
    found = {sql: bad for sql in sorted(seen) if (bad := wide_reads(plain, sql))}
    assert found == {}
    # a notice's events are read from its own (not from every event of a kind)
    per_notice = [s for s in seen if "FROM events WHERE notice_id" in s]
    assert per_notice
    for sql in per_notice:
        plan = " ".join(r[3] for r in plain.execute("EXPLAIN QUERY PLAN " + sql))
        assert "events_notice" in plan, (sql, plan)
