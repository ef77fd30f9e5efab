"""The version store and change detection, fed records as a crawl yields them."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC

import pytest

from archive.storage.db import ArchiveError, connect
from archive.storage.queries import changes, notice_history
from archive.storage.store import Archive, notice_id

SITE = "www.example.gov.cn"
BASE = f"http://{SITE}"
LISTING = f"{BASE}/tzgg/index.html"


def notice(n: int, **over) -> dict:
    d = {
        "url": f"{BASE}/tzgg/t{n}.html",
        "title": f"关于第{n}号事项的公示",
        "published": f"2021-09-{10 + n:02d}T16:12:00+08:00",
        "source": "区政府办公室",
        "doc_number": None,
        "index_number": None,
        "written": None,
        "body": f"各有关单位：\n第{n}号事项如下。\n岳阳楼区人民政府\n2021年9月{10 + n}日",
        "body_html": "<p>…</p>",
        "attachments": [],
        "breadcrumb": ["首页", "通知公告"],
    }
    d.update(over)
    return d


def fetch(n: int | str, status: int = 200, at: str = "2026-01-01T00:00:00.000Z", **over) -> dict:
    url = n if isinstance(n, str) else f"{BASE}/tzgg/t{n}.html"
    rec = {
        "type": "fetch",
        "site": SITE,
        "kind": "detail",
        "url": url,
        "final_url": url,
        "at": at,
        "status": status,
        "body": f"<html>{n} {over}</html>".encode(),
        "headers": [],
        "page_class": "ok",
        "notice": notice(n) if isinstance(n, int) and status == 200 else None,
    }
    rec.update(over)
    return rec


def listed(*ns, at="2026-01-01T00:00:00.000Z") -> dict:
    entries = [
        {"url": f"{BASE}/tzgg/t{n}.html", "title": None, "date": f"2021-09-{10 + n:02d}"}
        for n in ns
    ]
    return {"type": "listed", "site": SITE, "listing_url": LISTING, "entries": entries, "at": at}


def walk(complete=True) -> dict:
    return {"type": "walk", "site": SITE, "listing_url": LISTING, "complete": complete, "pages": 1}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "a.db"


def crawl(db, records, **kw) -> tuple[list[dict], dict]:
    """One run: ingest the records, finish the run; return (events, summary)."""
    a = Archive(db, **kw)
    run = a.begin_run(SITE)
    for r in records:
        a.ingest(r, run)
    summary = a.finish_run(run)
    a.close()
    events = [e for e in changes(connect(db)) if e["id"] in _run_event_ids(db, run)]
    return events, summary


def _run_event_ids(db, run) -> set[int]:
    return {r[0] for r in connect(db).execute("SELECT id FROM events WHERE run_id=?", (run,))}


def kinds(db, **kw):
    return [(e["kind"], e["url"].rsplit("/", 1)[-1]) for e in changes(connect(db), **kw)]


def test_first_crawl_records_every_notice_new_once(db):
    _, summary = crawl(db, [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()])
    assert summary["counts"]["new"] == 3
    assert summary["status"] == "ok"
    assert kinds(db) == [("new", "t1.html"), ("new", "t2.html"), ("new", "t3.html")]
    assert connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_noise_and_whitespace_never_make_a_version(db):
    crawl(db, [listed(1), fetch(1), walk()])
    noisy = notice(
        1,
        body="各有关单位：\u3000\n第1号事项如下。 \n岳阳楼区人民政府\n2021年9月11日",
        breadcrumb=["首页", "公告栏目"],
        body_html="<p>other</p>",
    )
    events, summary = crawl(
        db, [listed(1), fetch(1, notice=noisy, body=b"different bytes"), walk()]
    )
    assert events == [] and summary["counts"]["edited"] == 0
    conn = connect(db)
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 1
    # the later capture keeps its hash, not a second copy of the body
    stored = conn.execute("SELECT body_stored FROM captures ORDER BY id").fetchall()
    assert [r[0] for r in stored] == [1, 0]


def test_edit_records_a_version_with_the_changed_fields(db):
    crawl(db, [listed(1), fetch(1), walk()])
    edited = notice(1, title="关于第1号事项的公示（更正）", body="各有关单位：\n改过的句子。")
    events, _ = crawl(db, [listed(1), fetch(1, notice=edited), walk()])
    assert [(e["kind"], e["fields"]) for e in events] == [("edited", ["title", "body"])]
    h = notice_history(connect(db), notice_id(SITE, f"{BASE}/tzgg/t1.html"))
    assert [v["version"] for v in h["versions"]] == [1, 2]
    assert h["versions"][1]["title"].endswith("（更正）")


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"status": 404}, "http_404"),
        ({"status": 410}, "http_410"),
        (
            {"page_class": "soft_404", "phrase": "页面不存在", "notice": {"title": "提示"}},
            "soft_404",
        ),
        ({"redirected": True, "home": True, "final_url": f"{BASE}/"}, "redirected_away"),
    ],
)
def test_removals_carry_reason_and_evidence_and_restore(db, over, reason):
    crawl(db, [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()])
    events, _ = crawl(db, [listed(2, 3), fetch(2), fetch(3), fetch(1, **over), walk()])
    assert [(e["kind"], e.get("reason")) for e in events] == [("removed", reason)]
    ev = changes(connect(db), kind="removed")[0]
    assert ev["evidence"]["status"] == over.get("status", 200)
    assert ev["evidence"]["body_sha256"]
    if "phrase" in over:
        assert ev["evidence"]["phrase"] == "页面不存在"
    assert ev["url"] == f"{BASE}/tzgg/t1.html"
    events, _ = crawl(db, [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()])
    assert [e["kind"] for e in events] == ["restored"]
    h = notice_history(connect(db), ev["notice_id"])
    assert h["status"] == "active" and len(h["versions"]) == 1


@pytest.mark.parametrize(
    "over",
    [
        {"status": 503},
        {"status": 429},
        {"status": 500},
        {"status": 403},
        {"status": 412},
        {"status": 451},
        {"status": 302},
        {"status": None, "error": "timeout", "body": None},
        {"status": None, "error": "dns", "body": None},
        {"page_class": "blocked", "phrase": "访问过于频繁"},
        {"notice": {"title": None, "body": ""}},
    ],
)
def test_failures_are_not_removals_edits_or_versions(db, over):
    crawl(db, [listed(1, 2), fetch(1), fetch(2), walk()])
    events, summary = crawl(db, [listed(1, 2), fetch(1, **over), fetch(2), walk()])
    assert events == []
    assert sum(summary["failures"].values()) == 1
    assert connect(db).execute("SELECT count(*) FROM versions").fetchone()[0] == 2


def test_mass_disappearance_is_held_and_flagged(db):
    crawl(db, [listed(1, 2, 3, 4, 5), *[fetch(n) for n in range(1, 6)], walk()])
    events, summary = crawl(
        db, [listed(5), *[fetch(n, status=404) for n in range(1, 5)], fetch(5), walk()]
    )
    assert [e for e in events if e["kind"] == "removed"] == []
    assert summary["status"] == "flagged"
    assert any(f.startswith("removals_held") for f in summary["flags"])
    assert kinds(db, kind="removed") == []


def test_removal_confirmations_setting(db):
    crawl(db, [listed(1, 2), fetch(1), fetch(2), walk()], removal_confirmations=2)
    crawl(db, [listed(2), fetch(1, status=404), fetch(2), walk()], removal_confirmations=2)
    assert kinds(db, kind="removed") == []
    crawl(db, [listed(2), fetch(1, status=404), fetch(2), walk()], removal_confirmations=2)
    assert kinds(db, kind="removed") == [("removed", "t1.html")]


def test_delisted_only_when_newer_than_oldest_listed_and_still_online(db):
    crawl(db, [listed(1, 2, 3, 4), *[fetch(n) for n in range(1, 5)], walk()])
    # 3 drops from the listing but is online; 1 drops too but is older than the oldest listed (2)
    events, _ = crawl(db, [listed(2, 4), *[fetch(n) for n in range(1, 5)], walk()])
    assert events == []  # one walk without it may be a shift during the walk
    events, _ = crawl(db, [listed(2, 4), *[fetch(n) for n in range(1, 5)], walk()])
    assert [(e["kind"], e["url"][-7:]) for e in events] == [("delisted", "t3.html")]
    events, _ = crawl(db, [listed(2, 3, 4), *[fetch(n) for n in range(1, 5)], walk()])
    assert [e["kind"] for e in events] == ["relisted"]


def test_no_delisting_from_an_incomplete_walk(db):
    crawl(db, [listed(1, 2, 3, 4), *[fetch(n) for n in range(1, 5)], walk()])
    events, summary = crawl(db, [listed(2, 4), *[fetch(n) for n in range(1, 5)], walk(False)])
    assert events == [] and summary["status"] == "flagged"


def test_one_notice_at_two_urls_is_removed_only_when_both_are_gone(db):
    alias = f"{BASE}/xxgk/copy1.html"
    crawl(db, [listed(1, 2), fetch(1), fetch(alias, notice=notice(1, url=alias)), fetch(2), walk()])
    conn = connect(db)
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 2
    nid = notice_id(SITE, f"{BASE}/tzgg/t1.html")
    assert notice_history(conn, nid)["urls"] == [f"{BASE}/tzgg/t1.html", alias]
    events, _ = crawl(db, [fetch(1, status=404), fetch(alias), fetch(2)])
    assert events == []
    events, _ = crawl(db, [fetch(1, status=404), fetch(alias, status=404), fetch(2)])
    assert [(e["kind"], e["notice_id"]) for e in events] == [("removed", nid)]


def test_redirect_to_the_same_notice_is_a_move(db):
    crawl(db, [fetch(1), fetch(2)])
    new_url = f"{BASE}/new/t1.html"
    moved = [fetch(1, redirected=True, final_url=new_url, notice=notice(1, url=new_url)), fetch(2)]
    events, _ = crawl(db, moved)
    # the watchdog hears of the move once, with both URLs; the notice is unchanged
    assert [(e["kind"], e["evidence"]["from"], e["evidence"]["to"]) for e in events] == [
        ("moved", [f"{BASE}/tzgg/t1.html"], new_url)
    ]
    assert crawl(db, moved)[0] == []
    https = [fetch(2, redirected=True, final_url=f"https://{BASE.split('://')[1]}/tzgg/t2.html")]
    assert crawl(db, https)[0] == []  # a site moving to https moves no notice
    h = notice_history(connect(db), notice_id(SITE, f"{BASE}/tzgg/t1.html"))
    assert h["urls"] == [f"{BASE}/tzgg/t1.html", new_url] and h["status"] == "active"


def test_not_modified_is_a_capture_of_the_held_version(db):
    crawl(db, [fetch(1, headers=[["ETag", '"abc"']])])
    events, _ = crawl(db, [fetch(1, status=304, body=b"", at="2026-02-01T00:00:00.000Z")])
    assert events == []
    conn = connect(db)
    assert (
        conn.execute("SELECT last_seen FROM versions").fetchone()[0] == "2026-02-01T00:00:00.000Z"
    )
    assert conn.execute("SELECT etag FROM notice_urls").fetchone()[0] == '"abc"'


def test_bodies_are_content_addressed_and_compressed(db):
    same = b"<html>" + "公告".encode() * 2000 + b"</html>"
    crawl(db, [fetch(1, body=same), fetch(2, body=same)])
    conn = connect(db)
    rows = conn.execute("SELECT size, length(data) FROM bodies").fetchall()
    assert len(rows) == 1 and rows[0][1] < rows[0][0] / 10


def test_ids_are_stable_and_not_from_insertion_order(db, tmp_path):
    crawl(db, [fetch(1), fetch(2)])
    other = tmp_path / "b.db"
    crawl(other, [fetch(2), fetch(1)])
    ids = lambda p: sorted(r[0] for r in connect(p).execute("SELECT id FROM notices"))  # noqa: E731
    assert ids(db) == ids(other)


def test_not_an_archive_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="cannot open archive"):
        connect(bad)
    other = tmp_path / "y.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ArchiveError, match="not a tzgg archive"):
        connect(other)


def test_event_json_shape(db):
    crawl(db, [listed(1, 2), fetch(1), fetch(2), walk()])
    crawl(db, [listed(1, 2), fetch(1, notice=notice(1, body="改")), fetch(2, status=404), walk()])
    evs = changes(connect(db), since="2025-01-01T00:00:00Z")
    edited = next(e for e in evs if e["kind"] == "edited")
    assert set(edited) >= {"id", "notice_id", "url", "site", "kind", "at", "title", "fields"}
    removed = next(e for e in evs if e["kind"] == "removed")
    assert set(removed) >= {"reason", "evidence"}
    json.dumps(evs, ensure_ascii=False)


def test_headers_are_kept_whole_and_packed_small(db):
    headers = [
        ["Content-Type", "text/html; charset=gb2312"],
        ["Date", "Thu, 26 Nov 2026 00:49:12 GMT"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
        ["X-自定义", "值"],
    ]
    crawl(db, [fetch(1, headers=headers, request_headers=[["User-Agent", "tzgg/0.1"]])])
    from archive.storage.headers import unpack

    row = connect(db).execute("SELECT headers, request_headers, final_url FROM captures").fetchone()
    assert unpack(row[0]) == headers and unpack(row[1]) == [["User-Agent", "tzgg/0.1"]]
    assert len(row[0]) < 90
    assert row[2] is None  # not redirected: final_url is url


def test_keep_all_bodies_setting(db):
    crawl(db, [fetch(1)], keep_all_bodies=True)
    crawl(db, [fetch(1, body=b"new bytes, same notice")], keep_all_bodies=True)
    stored = connect(db).execute("SELECT body_stored FROM captures ORDER BY id").fetchall()
    assert [r[0] for r in stored] == [1, 1]


def test_revisit_policy_recent_slices_the_old_notices(db):
    from datetime import datetime

    from archive.storage.revisits import revisit_targets

    old = [fetch(n, notice=notice(n, published=f"2019-01-{n:02d}")) for n in range(1, 29)]
    recent = fetch(29, notice=notice(29, published="2026-11-20T09:00:00+08:00"))
    crawl(db, [*old, recent])
    conn = connect(db)
    assert len(revisit_targets(conn, SITE)) == 29
    now = datetime(2026, 11, 25, tzinfo=UTC)
    seen, recent_every_time = set(), True
    for _ in range(7):
        urls = {t["url"] for t in revisit_targets(conn, SITE, policy="recent", slices=7, now=now)}
        recent_every_time &= f"{BASE}/tzgg/t29.html" in urls
        assert len(urls) < 29
        seen |= urls
        crawl(db, [])  # another finished run turns the slice
    assert recent_every_time and len(seen) == 29
    with pytest.raises(ValueError, match="unknown TZGG_REVISIT"):
        revisit_targets(conn, SITE, policy="sometimes")


def test_batched_writes_keep_each_record_whole(db):
    a = Archive(db, batch=50)
    run = a.begin_run(SITE)
    a.ingest(fetch(1), run)
    broken = fetch(2)
    broken["notice"] = notice(2, breadcrumb={"not", "json"})  # fails after two inserts
    with pytest.raises(TypeError):
        a.ingest(broken, run)  # nothing of it stays
    a.ingest(fetch(3), run)
    reader = sqlite3.connect(db)
    assert reader.execute("SELECT count(*) FROM notices").fetchone()[0] == 0  # not committed yet
    a.flush()
    assert reader.execute("SELECT count(*) FROM notices").fetchone()[0] == 2
    assert reader.execute("SELECT count(*) FROM captures").fetchone()[0] == 2
    assert reader.execute("SELECT count(*) FROM notice_urls").fetchone()[0] == 2
    a.finish_run(run)
    a.close()


def test_urls_already_gone_do_not_count_towards_holding(db):
    crawl(
        db, [listed(1, 2, 3, 4, 5), *[fetch(n) for n in range(1, 6)], walk()], hold_min_revisits=2
    )
    crawl(
        db,
        [
            listed(4, 5),
            *[fetch(n, status=404) for n in (1, 2)],
            *[fetch(n) for n in (3, 4, 5)],
            walk(),
        ],
        hold_min_revisits=2,
    )
    assert len(kinds(db, kind="removed")) == 2
    # the two gone URLs answer 404 again, and a third notice goes: 1 of 3 live revisits
    _, summary = crawl(
        db,
        [listed(4, 5), *[fetch(n, status=404) for n in (1, 2, 3)], fetch(4), fetch(5), walk()],
        hold_min_revisits=2,
    )
    assert summary["status"] == "ok" and summary["counts"]["removed"] == 1


def test_copies_that_diverge_do_not_flip_versions(db):
    alias = f"{BASE}/xxgk/copy1.html"
    crawl(db, [fetch(1), fetch(alias, notice=notice(1, url=alias))])
    edited = notice(1, body="改过的正文")
    for _ in range(3):  # the original is edited, the copy is not: one edit, then quiet
        crawl(db, [fetch(1, notice=edited), fetch(alias, notice=notice(1, url=alias))])
    assert kinds(db, kind="edited") == [("edited", "t1.html")]
    h = notice_history(connect(db), notice_id(SITE, f"{BASE}/tzgg/t1.html"))
    assert len(h["versions"]) == 2


def test_a_listed_url_that_redirects_to_an_archived_notice_joins_it(db):
    crawl(db, [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()])
    old = f"{BASE}/old/t2.html"
    entries = listed(1, 3)
    entries["entries"].append({"url": old, "title": None, "date": "2021-09-12"})
    events, _ = crawl(
        db,
        [
            entries,
            fetch(1),
            fetch(3),
            fetch(old, redirected=True, final_url=f"{BASE}/tzgg/t2.html", notice=notice(2)),
            walk(),
        ],
    )
    assert events == []  # not delisted: it is listed, at a URL that redirects to it
    h = notice_history(connect(db), notice_id(SITE, f"{BASE}/tzgg/t2.html"))
    assert old in h["urls"]


def test_delisting_is_decided_per_listing(db):
    other = f"{BASE}/gsgg/index.html"
    col_b = {
        "type": "listed",
        "site": SITE,
        "listing_url": other,
        "walk": other,
        "entries": [
            {"url": f"{BASE}/tzgg/t{n}.html", "title": None, "date": f"2021-09-{10 + n:02d}"}
            for n in (5, 6)
        ],
    }
    both = [
        listed(1, 2, 3, 4),
        col_b,
        *[fetch(n) for n in range(1, 7)],
        walk(),
        {**walk(), "listing_url": other},
    ]
    crawl(db, both)
    # only column A is walked this time: B's notices are not delisted
    events, _ = crawl(db, [listed(1, 2, 3, 4), *[fetch(n) for n in range(1, 7)], walk()])
    assert events == []


def test_a_store_error_rolls_back_and_the_batch_goes_on(db):
    a = Archive(db, batch=10)
    run = a.begin_run(SITE)
    a.ingest(fetch(1), run)
    a.conn.execute(
        "CREATE TEMP TRIGGER boom BEFORE INSERT ON captures"
        " WHEN NEW.url LIKE '%t2.html' BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        a.ingest(fetch(2), run)
    a.ingest(fetch(3), run)
    a.finish_run(run)
    a.close()
    conn = connect(db)
    assert [r[0][-7:] for r in conn.execute("SELECT url FROM notices ORDER BY url")] == [
        "t1.html",
        "t3.html",
    ]
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 2


def test_a_redirect_into_an_edited_notice_is_an_edit_not_a_removal(db):
    crawl(db, [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()])
    old = f"{BASE}/m/t2.html"
    entries = listed(1, 3)
    entries["entries"].append({"url": old, "title": None, "date": "2021-09-12"})
    fixed = notice(2, title="关于第2号事项的公示（更正）", body="更正后的正文")
    events, _ = crawl(
        db,
        [
            entries,
            fetch(1),
            fetch(3),
            fetch(old, redirected=True, final_url=f"{BASE}/tzgg/t2.html", notice=fixed),
            walk(),
        ],
    )
    assert [(e["kind"], e.get("fields")) for e in events] == [("edited", ["title", "body"])]


def test_a_redirect_into_another_notice_is_redirected_away(db):
    same_title = {"title": "关于端午节放假的通知"}
    crawl(
        db,
        [
            fetch(1, notice=notice(1, **same_title)),
            fetch(2, notice=notice(2, **same_title, published="2022-06-01")),
        ],
    )
    events, _ = crawl(
        db,
        [
            fetch(
                1,
                redirected=True,
                final_url=f"{BASE}/tzgg/t2.html",
                notice=notice(2, **same_title, published="2022-06-01"),
            ),
            fetch(2, notice=notice(2, **same_title, published="2022-06-01")),
        ],
    )
    assert [(e["kind"], e["url"][-7:], e.get("reason")) for e in events] == [
        ("removed", "t1.html", "redirected_away")
    ]
    h2 = notice_history(connect(db), notice_id(SITE, f"{BASE}/tzgg/t2.html"))
    assert h2["status"] == "active" and h2["urls"] == [f"{BASE}/tzgg/t2.html"]


def test_a_stale_copys_304_does_not_make_it_current(db):
    alias = f"{BASE}/xxgk/copy1.html"
    etag = [["ETag", '"v1"']]
    crawl(db, [fetch(1), fetch(alias, notice=notice(1, url=alias), headers=etag)])
    crawl(db, [fetch(1, notice=notice(1, body="改")), fetch(alias, status=304, body=b"")])
    crawl(db, [fetch(1, notice=notice(1, body="改")), fetch(alias, notice=notice(1, url=alias))])
    assert kinds(db, kind="edited") == [("edited", "t1.html")]


def test_a_removed_notice_back_at_a_new_url_is_restored_at_once(db):
    crawl(db, [fetch(1), fetch(2), fetch(3)])
    crawl(db, [fetch(1, status=404), fetch(2), fetch(3)])
    new = f"{BASE}/new/t1.html"
    events, _ = crawl(
        db, [fetch(1, status=404), fetch(new, notice=notice(1, url=new)), fetch(2), fetch(3)]
    )
    assert [e["kind"] for e in events] == ["restored"]


def test_a_delisted_notice_listed_at_a_new_url_is_relisted_at_once(db):
    crawl(db, [listed(1, 2, 3, 4), *[fetch(n) for n in range(1, 5)], walk()])
    for _ in range(2):  # two walks without it
        crawl(db, [listed(1, 2, 4), *[fetch(n) for n in range(1, 5)], walk()])
    assert kinds(db, kind="delisted") == [("delisted", "t3.html")]
    new = f"{BASE}/new/t3.html"
    entries = listed(1, 2, 4)
    entries["entries"].append({"url": new, "title": None, "date": "2021-09-13"})
    events, _ = crawl(
        db, [entries, *[fetch(n) for n in (1, 2, 4)], fetch(new, notice=notice(3, url=new)), walk()]
    )
    assert [e["kind"] for e in events] == ["relisted"]


def test_one_listing_however_its_url_is_spelled(db):
    spelled = f"{BASE}/tzgg/"  # the same listing as LISTING (…/tzgg/index.html)

    def as_spelled(rec):
        return {**rec, "listing_url": spelled, **({"walk": spelled} if "entries" in rec else {})}

    crawl(db, [listed(1, 2, 3, 4), *[fetch(n) for n in range(1, 5)], walk()])
    crawl(db, [listed(1, 2, 4), *[fetch(n) for n in range(1, 5)], walk()])
    events, _ = crawl(
        db, [as_spelled(listed(1, 2, 4)), *[fetch(n) for n in range(1, 5)], as_spelled(walk())]
    )
    assert [(e["kind"], e["url"][-7:]) for e in events] == [("delisted", "t3.html")]


def test_a_delisting_missed_while_the_notice_was_unreachable_comes_later(db):
    crawl(db, [listed(1, 2, 3, 4), *[fetch(n) for n in range(1, 5)], walk()])
    # 3 leaves the listing, but its page answers 503 in that run: not known to be online
    events, _ = crawl(
        db, [listed(1, 2, 4), fetch(1), fetch(2), fetch(3, status=503), fetch(4), walk()]
    )
    assert events == []
    events, _ = crawl(db, [listed(1, 2, 4), *[fetch(n) for n in range(1, 5)], walk()])
    assert [(e["kind"], e["url"][-7:]) for e in events] == [("delisted", "t3.html")]


def test_a_notice_moved_and_edited_at_once_is_one_edit(db):
    crawl(db, [listed(1, 2, 3), fetch(1), fetch(2), fetch(3), walk()])
    new = f"{BASE}/new/t2.html"
    edited = notice(2, url=new, body="各有关单位：\n更正后的正文")
    entries = listed(1, 3)
    entries["entries"].append({"url": new, "title": None, "date": "2021-09-12"})
    # the new URL is fetched first (a new notice, as far as anyone can tell), then the old
    # URL's redirect shows it is notice 2, moved
    events, _ = crawl(
        db,
        [
            entries,
            fetch(1),
            fetch(3),
            fetch(new, notice=edited),
            fetch(2, redirected=True, final_url=new, notice=edited),
            walk(),
        ],
    )
    assert [(e["kind"], e.get("fields")) for e in events] == [("edited", ["body"]), ("moved", None)]
    assert events[1]["evidence"]["to"] == new
    conn = connect(db)
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 3
    h = notice_history(conn, notice_id(SITE, f"{BASE}/tzgg/t2.html"))
    assert h["urls"] == [f"{BASE}/tzgg/t2.html", new] and len(h["versions"]) == 2


def test_a_pinned_old_item_does_not_delist_what_rolled_off(db):
    # a column showing its newest 3: older ones roll off by design
    for shown in [(1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 6), (5, 6, 7)]:
        crawl(db, [listed(*shown), *[fetch(n) for n in range(1, max(shown) + 1)], walk()])
    entries = listed(5, 6, 7)
    entries["entries"].insert(
        0, {"url": f"{BASE}/tzgg/t0.html", "title": None, "date": "2021-09-01"}
    )  # pinned (置顶)
    events, _ = crawl(db, [entries, *[fetch(n) for n in range(0, 8)], walk()])
    assert [e["kind"] for e in events] == ["new"]
    assert kinds(db, kind="delisted") == []


def test_annual_notices_sharing_a_title_stay_apart(db):
    title = "关于端午节放假的通知"
    y2023 = notice(2, title=title, published="2023-06-01T09:00:00+08:00", body="2023年安排")
    crawl(db, [fetch(1), fetch(2, notice=y2023)])
    b = f"{BASE}/tzgg/t9.html"
    y2024 = notice(9, url=b, title=title, published="2024-06-01T09:00:00+08:00", body="2024年安排")
    events, _ = crawl(
        db, [fetch(1), fetch(b, notice=y2024), fetch(2, redirected=True, final_url=b, notice=y2024)]
    )
    assert sorted((e["kind"], e["url"][-7:]) for e in events) == [
        ("new", "t9.html"),
        ("removed", "t2.html"),
    ]


def test_a_move_seen_a_run_late_is_not_a_removal(db):
    crawl(db, [fetch(1), fetch(2), fetch(3)])
    b = f"{BASE}/new/t2.html"
    edited = notice(2, url=b, body="各有关单位：\n更正后的正文")
    crawl(db, [fetch(1), fetch(3), fetch(b, notice=edited), fetch(2, status=503)])
    events, _ = crawl(
        db,
        [
            fetch(1),
            fetch(3),
            fetch(b, notice=edited),
            fetch(2, redirected=True, final_url=b, notice=edited),
        ],
    )
    assert events == []  # not `removed`: the old URL leads to the same notice, archived apart


def test_event_ids_are_never_reused(db):
    crawl(db, [fetch(1), fetch(2)])
    conn = connect(db)
    conn.execute("DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    conn.commit()
    crawl(db, [fetch(3)])
    assert [r[0] for r in conn.execute("SELECT id FROM events ORDER BY id")] == [1, 3]


def test_a_version_1_archive_is_migrated_with_its_notices(tmp_path):
    from archive.storage.db import MIGRATIONS, SCHEMA_VERSION

    db = tmp_path / "old.db"
    a = Archive(db)
    run = a.begin_run(SITE, [LISTING])
    a.ingest(fetch(1), run)
    a.finish_run(run)
    a.close()
    # Roll the file back to what schema 1 wrote: the same tables without the v2 columns,
    # without the v3 search index, the v4 attachment texts, the v5 redirect answers, the
    # v6 webhook tables, the v7 index of titles, the v8 indexes of runs and events and the
    # v9 table of sites and index of events by kind, the v10 index of 公示 windows and of a
    # notice's events by kind, the v11 index of a site's events, the v12 tables of moves.
    conn = sqlite3.connect(db)
    conn.executescript(
        "DROP INDEX versions_window_end; ALTER TABLE versions DROP COLUMN objection_window;"
        " ALTER TABLE versions DROP COLUMN contact; ALTER TABLE versions DROP COLUMN parts;"
        " DROP TABLE search_index; DROP TABLE attachment_texts;"
        " DROP INDEX captures_attachment; ALTER TABLE captures DROP COLUMN hops;"
        " DROP TABLE webhooks; DROP TABLE deliveries; DROP TABLE search_heads;"
        " DROP TABLE search_queue; DROP INDEX runs_site; DROP INDEX events_run;"
        " DROP TABLE sites; DROP INDEX events_kind;"
        " DROP INDEX events_notice; CREATE INDEX events_notice ON events(notice_id);"
        " DROP INDEX events_site; DROP TABLE move_ties; DROP TABLE copies;"
        " DROP TABLE sketches;"
        " PRAGMA user_version=1;"
    )
    conn.close()
    assert len(MIGRATIONS) == SCHEMA_VERSION == 12
    # a reader (`tzgg changes`, `show`) is the first to open it: it is upgraded, then read
    conn = connect(db, readonly=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 12
    assert conn.execute("SELECT count(*) FROM attachment_texts").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sites").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM copies").fetchone()[0] == 0
    # and the notices archived before are searchable
    from archive.storage.search import search

    assert [r["id"] for r in search(conn, "事项")] == [notice_id(SITE, f"{BASE}/tzgg/t1.html")]
    nid = notice_id(SITE, f"{BASE}/tzgg/t1.html")
    history = notice_history(conn, nid)
    assert history["versions"][0]["title"] == "关于第1号事项的公示"
    assert history["versions"][0]["objection_window"] is None


def test_objection_window_and_contact_are_kept_with_the_version(tmp_path):
    window = {
        "text": "公示期为5个工作日",
        "start": "2021-09-11",
        "end": "2021-09-17",
        "days": 5,
        "unit": "working",
        "approximate": False,
    }
    contact = {
        "text": "联系电话：0730-1234567",
        "person": None,
        "phone": "0730-1234567",
        "email": None,
        "address": None,
    }
    a = Archive(tmp_path / "a.db")
    run = a.begin_run(SITE, [LISTING])
    rec = fetch(1)
    rec["notice"].update(objection_window=window, contact=contact)
    a.ingest(rec, run)
    a.finish_run(run)
    a.close()
    v = notice_history(connect(tmp_path / "a.db"), notice_id(SITE, rec["url"]))["versions"][0]
    assert v["objection_window"] == window
    assert v["contact"] == contact


def test_an_upgraded_extractor_is_not_an_edit(tmp_path):
    from crawler.schema.records import EXTRACTOR_VERSION, Notice

    better = "各有关单位：\n第1号事项如下。\n（正文的第二页，旧的抽取器漏掉了）"

    def extract(body, url, charset):  # the new extractor, on the old version's stored page
        return Notice.from_dict(notice(1, body=better) | {"canonical_url": url, "site": SITE})

    a = Archive(tmp_path / "a.db", extract=extract)
    run = a.begin_run(SITE, [LISTING])
    a.ingest(fetch(1, extractor_version="1"), run)  # archived by the old extractor
    a.finish_run(run)
    run = a.begin_run(SITE, [LISTING])
    upgraded = fetch(1, at="2026-01-02T00:00:00.000Z", extractor_version=EXTRACTOR_VERSION)
    upgraded["notice"]["body"] = better
    assert a.ingest(upgraded, run) == []  # the same page, read better: no event
    a.finish_run(run)
    # while a real edit, read by the same new extractor, still is one
    run = a.begin_run(SITE, [LISTING])
    edited = fetch(1, at="2026-01-03T00:00:00.000Z", extractor_version=EXTRACTOR_VERSION)
    edited["notice"]["body"] = better + "\n补充：延期至10月。"
    assert [e["kind"] for e in a.ingest(edited, run)] == ["edited"]
    a.finish_run(run)
    a.close()
    h = notice_history(connect(tmp_path / "a.db"), notice_id(SITE, upgraded["url"]))
    assert [v["extractor_version"] for v in h["versions"]] == [EXTRACTOR_VERSION] * 2
    assert h["versions"][0]["body"] == better


def test_an_extractor_that_fails_on_an_old_page_does_not_lose_the_record(tmp_path):
    def extract(body, url, charset):
        raise ValueError("the new extractor chokes on this old page")

    a = Archive(tmp_path / "a.db", extract=extract)
    run = a.begin_run(SITE, [LISTING])
    a.ingest(fetch(1, extractor_version="1"), run)
    a.finish_run(run)
    run = a.begin_run(SITE, [LISTING])
    rec = fetch(1, at="2026-01-02T00:00:00.000Z", extractor_version="2")
    rec["notice"]["title"] = "关于第1号事项的公示（更正）"
    assert [e["kind"] for e in a.ingest(rec, run)] == ["edited"]  # compared as it stands
    a.finish_run(run)
    a.close()


def test_after_an_upgrade_a_known_notice_at_a_new_url_is_not_new(tmp_path):
    from crawler.schema.records import EXTRACTOR_VERSION, Notice

    better = "各有关单位：\n第1号事项如下。\n（旧的抽取器漏掉的一段）"

    def extract(body, url, charset):
        return Notice.from_dict(notice(1, body=better) | {"canonical_url": url, "site": SITE})

    a = Archive(tmp_path / "a.db", extract=extract)
    run = a.begin_run(SITE, [LISTING])
    a.ingest(fetch(1, extractor_version="1"), run)
    a.finish_run(run)
    run = a.begin_run(SITE, [LISTING])  # re-derives the old version first
    moved = fetch(f"{BASE}/tzgg/202101/t1.html", extractor_version=EXTRACTOR_VERSION)
    moved["notice"] = notice(1, body=better, url=moved["url"])
    assert a.ingest(moved, run) == []  # the same notice, at a second URL
    a.finish_run(run)
    a.close()
    conn = connect(tmp_path / "a.db")
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 1


@pytest.mark.parametrize(
    "name", ["x.db#2", "x.db?mode=ro", "x.db%3F", "100%.db", "file:x.db", "new 文件 #1?.db"]
)
def test_an_archive_path_names_that_file_whatever_its_characters(tmp_path, monkeypatch, name):
    """`#`, `?` and `%` in a path are the path's own (issue 15 #13): SQLite is given a file: URI
    with them escaped, never one that cuts the name at `#` or `?` (and reads x.db instead)."""
    from urllib.parse import unquote

    from archive.storage.db import sqlite_uri

    monkeypatch.chdir(tmp_path)
    crawl(tmp_path / "x.db", [fetch(1)])  # what a cut-off name would open instead
    crawl(name, [fetch(1), fetch(2), fetch(3)])
    for readonly in (True, False):
        conn = connect(name, readonly=readonly)
        assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == 3
        conn.close()
    assert (tmp_path / name).is_file()
    assert {p.name for p in tmp_path.iterdir()} <= {
        f"{base}{suffix}"
        for base in ("x.db", name)
        for suffix in ("", "-wal", "-shm", ".archive.lock")
    }
    uri = sqlite_uri(name, "ro")
    assert uri.endswith("?mode=ro") and uri.count("?") == 1 and "#" not in uri
    assert unquote(uri.removeprefix("file://").removesuffix("?mode=ro")) == str(tmp_path / name)


def test_a_reader_waits_for_an_archive_being_created(tmp_path):
    """The archive's file appears a moment before its schema commits: a reader opening it
    then waits for the creator (which holds the archive's lock), never calls it "not a tzgg
    archive"."""
    import shutil
    import threading

    from archive.storage.db import archive_lock, connect

    made = tmp_path / "made.db"
    connect(made).close()  # what the creator will have committed
    db = tmp_path / "a.db"
    sqlite3.connect(db).close()  # the file, still without its schema
    got = {}

    def read():
        try:
            got["notices"] = (
                connect(db, readonly=True).execute("SELECT count(*) FROM notices").fetchone()[0]
            )
        except Exception as exc:  # noqa: BLE001  (the test reports it)
            got["error"] = exc

    with archive_lock(db, exclusive=True):  # the creator, mid-creation
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(0.5)  # the reader is waiting by now (it would have failed at once)
        assert "error" not in got, got
        shutil.copyfile(made, db)  # the schema commits
    reader.join(30)
    assert got == {"notices": 0}, got
    # with no creator, an SQLite file without a schema is still not an archive
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    with pytest.raises(ArchiveError, match="not a tzgg archive"):
        connect(other, readonly=True)


def test_a_redirect_to_next_years_notice_is_not_a_move(db):
    """Annual notices share a title but for its year, and a text but for its numbers: an old
    URL redirected to next year's notice was redirected away, not moved (the displayed date is
    no evidence either way, so the title's numbers must agree)."""

    def annual(year: int, url: str) -> dict:
        return notice(
            1,
            url=url,
            title=f"{year}年度城乡居民最低生活保障标准调整公告",
            published=f"{year}-01-05T09:00:00+08:00",
            body=(
                f"经区人民政府研究，{year}年度城乡居民最低生活保障标准调整如下：城市居民最低生活"
                "保障标准为每人每月七百二十元，农村居民最低生活保障标准为每人每年六千元，特困人员"
                "基本生活标准按不低于当地最低生活保障标准的一点三倍确定，各乡镇街道要做好政策宣传"
                "和资金发放工作，确保按时足额发放到户，并接受社会监督。"
            ),
        )

    crawl(db, [fetch(1, notice=annual(2023, f"{BASE}/tzgg/t1.html")), fetch(3)])
    new_url = f"{BASE}/tzgg/t2.html"
    events, _ = crawl(
        db, [fetch(1, redirected=True, final_url=new_url, notice=annual(2024, new_url)), fetch(3)]
    )
    kinds = [(e["kind"], e.get("reason")) for e in events]
    assert ("moved", None) not in kinds and ("edited", None) not in kinds, kinds
    assert ("removed", "redirected_away") in kinds
