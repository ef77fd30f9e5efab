"""`tzgg link` and `unlink` on a real archive file: a link merges two notices' histories, and
unlinking gives each back exactly what it had (versions, URLs, captures, events), links undone
newest first."""

from __future__ import annotations

import sqlite3

import pytest

from archive.storage.db import connect
from archive.storage.links import LinkError, link, unlink
from archive.storage.queries import notice_history
from archive.storage.store import Archive, notice_id
from tests.test_store import BASE, SITE, fetch, notice

pytestmark = pytest.mark.usefixtures("closes_sqlite")

DAYS = ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]


def _crawl(db, records, at):
    a = Archive(db)
    run = a.begin_run(SITE, [], at=at)
    for r in records:
        a.ingest(dict(r, at=at), run)
    a.finish_run(run)
    a.close()


def _state(conn, nid: str) -> dict:
    h = notice_history(conn, nid)
    return {
        "urls": h["urls"],
        "status": h["status"],
        "versions": [(v["version"], v["title"], v["body"], v["changed"]) for v in h["versions"]],
        "events": [(e["kind"], e["version"]) for e in h["events"]],
        "captures": sorted(
            tuple(r)
            for r in conn.execute("SELECT url, version FROM captures WHERE notice_id = ?", (nid,))
        ),
    }


@pytest.fixture
def archive(tmp_path):
    """Notice 1, edited once; notice 2 (its text, re-dated, at another URL) and notice 3 (the
    same, edited) archived later as notices of their own."""
    db = tmp_path / "a.db"
    _crawl(db, [fetch(1)], DAYS[0])
    _crawl(db, [fetch(1, notice=notice(1, body="各有关单位：\n第1号事项如下（更正）。"))], DAYS[1])
    moved = notice(1, url=f"{BASE}/new/a.html", published="2026-03-01T09:00:00+08:00")
    again = notice(1, url=f"{BASE}/new/b.html", body="第1号事项如下（再次更正）。")
    _crawl(
        db,
        [fetch(f"{BASE}/new/a.html", notice=moved), fetch(f"{BASE}/new/b.html", notice=again)],
        DAYS[2],
    )
    ids = [
        notice_id(SITE, u)
        for u in (f"{BASE}/tzgg/t1.html", f"{BASE}/new/a.html", f"{BASE}/new/b.html")
    ]
    return db, ids


def test_link_then_unlink_gives_each_notice_back_what_it_had(archive):
    db, (one, two, three) = archive
    conn = connect(db)
    before = {nid: _state(conn, nid) for nid in (one, two, three)}
    with conn:
        assert link(conn, one, two, DAYS[2])["edited"]  # the move re-dated it: an edit
    merged = _state(conn, one)
    assert merged["urls"] == [f"{BASE}/tzgg/t1.html", f"{BASE}/new/a.html"]
    assert [v[0] for v in merged["versions"]] == [1, 2, 3]
    assert [k for k, _v in merged["events"]] == ["new", "edited", "moved", "edited"]
    assert conn.execute("SELECT count(*) FROM notices WHERE id = ?", (two,)).fetchone()[0] == 0
    with conn:
        link(conn, one, three, DAYS[2])
    # links are undone newest first: the later link's versions came after the earlier one's
    with pytest.raises(LinkError, match="unlink that first"), conn:
        unlink(conn, one, two, DAYS[2])
    with conn:
        unlink(conn, one, three, DAYS[2])
        unlink(conn, one, f"{BASE}/new/a.html", DAYS[2])  # (a URL that came with it will do)
    after = {nid: _state(conn, nid) for nid in (one, two, three)}
    for nid in (two, three):
        assert after[nid] == before[nid]
    # notice 1 has its own versions and URL back; its URL never failed: it is not removed
    assert after[one] == before[one]
    with pytest.raises(LinkError, match="no link"), conn:
        unlink(conn, one, two, DAYS[2])


def test_a_link_that_cannot_be_made_changes_nothing(archive, tmp_path):
    db, (one, two, _three) = archive
    conn = connect(db)
    with pytest.raises(LinkError, match="itself"):
        link(conn, one, one, DAYS[2])
    with pytest.raises(LinkError, match="archived before"):
        link(conn, two, one, DAYS[2])
    with pytest.raises(LinkError, match="no notice"):
        link(conn, one, "nosuch", DAYS[2])
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT count(*) FROM notices").fetchone()[0] == 3
    assert raw.execute("SELECT count(*) FROM events WHERE kind = 'moved'").fetchone()[0] == 0


def test_a_redirect_after_a_link_tells_no_second_move(archive):
    db, (one, two, _three) = archive
    conn = connect(db)
    with conn:
        link(conn, one, two, DAYS[2])
    moved = notice(1, url=f"{BASE}/new/a.html", published="2026-03-01T09:00:00+08:00")
    later = "2026-04-01T00:00:00.000Z"
    _crawl(db, [fetch(1, redirected=True, final_url=f"{BASE}/new/a.html", notice=moved)], later)
    kinds = [e["kind"] for e in notice_history(conn, one)["events"]]
    assert kinds.count("moved") == 1, kinds


def test_a_notice_removed_before_its_link_is_removed_again_after_unlink_once(tmp_path):
    db = tmp_path / "a.db"
    _crawl(db, [fetch(1), fetch(5)], DAYS[0])
    _crawl(db, [fetch(1, status=404), fetch(5)], DAYS[1])
    moved = notice(1, url=f"{BASE}/new/a.html", published="2026-03-01T09:00:00+08:00")
    _crawl(db, [fetch(f"{BASE}/new/a.html", notice=moved), fetch(5)], DAYS[2])
    one, two = (notice_id(SITE, u) for u in (f"{BASE}/tzgg/t1.html", f"{BASE}/new/a.html"))
    conn = connect(db)
    with conn:
        link(conn, one, two, DAYS[2])
    assert notice_history(conn, one)["status"] == "active"  # found again, moved
    with conn:
        assert unlink(conn, one, two, DAYS[2])["old_removed"] is False
    h = notice_history(conn, one)
    assert h["status"] == "removed" and [e["kind"] for e in h["events"]] == ["new", "removed"]
    assert notice_history(conn, two)["status"] == "active"
