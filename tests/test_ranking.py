"""Relevance order (archive/storage/ranking.py): the walk that stops early returns exactly the
top notices of the score its docstring defines, recomputed here over every match."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from archive.storage import ranking
from archive.storage.bigrams import match_expression, parse_query
from archive.storage.db import connect
from archive.storage.search import search
from archive.storage.store import Archive
from tests.conftest import fetch_record

WORDS = ["征地", "补偿", "安置", "督察", "整改", "招聘", "公示", "交通", "管制", "防汛"]
FILL = "根据有关规定现将事项公告如下请各单位认真贯彻执行特此通知"
SITES = ["a.gov.cn", "b.gov.cn"]


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(FILL) for _ in range(n))


def _record(rng: random.Random, i: int, site: str, edit: int = 0) -> dict:
    day = rng.randint(1, 120)  # many notices share a day
    title = "关于" + "".join(rng.sample(WORDS, rng.randint(0, 2))) + f"的第{i}号公告"
    url = f"http://{site}/t{i}.html"
    rec = fetch_record(
        site,
        url,
        f"2026-01-0{1 + edit}T00:00:00.000Z",
        title=title,
        published=f"2021-{1 + day // 28:02d}-{1 + day % 28:02d}T09:00:00+08:00",
        source="区政府",
        doc_number=f"岳楼政发〔2021〕{i}号",
        body=_text(rng, rng.randint(20, 400)) + ("改" * edit),
    )
    return rec | {"body": None, "extractor_version": "test"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("ranking") / "a.db"
    rng = random.Random(7)
    a = Archive(path, batch=100)
    runs = {site: a.begin_run(site, []) for site in SITES}
    for i in range(600):
        site = SITES[i % 2]
        a.ingest(_record(rng, i, site), runs[site])
    for i in range(0, 600, 7):  # a second version of some: a different body
        site = SITES[i % 2]
        a.ingest(_record(random.Random(i), i, site, edit=1), runs[site])
    a.close()
    return path


def _day(iso: str) -> int:
    return (date.fromisoformat(iso) - date(1900, 1, 1)).days


def _expected(conn, query, limit, site=None, date_from=None, date_to=None, in_history=False):
    """Every match scored by the definition; the best version of each notice; the top."""
    terms = parse_query(query)
    words = [t for t in terms if t.op != "NOT"]
    low = (_day(date_from) << 32) if date_from else 0
    high = (((_day(date_to) + 1) << 32) - 1) if date_to else 1 << 62
    sql = "SELECT rowid FROM {0} WHERE {0} MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC"
    full = [
        r[0] for r in conn.execute(sql.format("search_index"), (match_expression(terms), low, high))
    ]
    heads = {
        r[0] for r in conn.execute(sql.format("search_heads"), (match_expression(words), low, high))
    }
    newest = full[0] >> 32
    span = max(1, newest - (full[ranking.SCALE - 1] >> 32)) if len(full) > ranking.SCALE else None
    needles = ["".join(t.text.split()) for t in words]
    best: dict[str, float] = {}
    for rowid in full:
        v = conn.execute("SELECT * FROM versions WHERE rowid = ?", (rowid & 0xFFFFFFFF,)).fetchone()
        n = conn.execute("SELECT * FROM notices WHERE id = ?", (v["notice_id"],)).fetchone()
        if (site and n["site"] != site) or (
            not in_history and v["version"] != n["current_version"]
        ):
            continue
        text = (v["title"] or "") + (v["body"] or "")
        norm = ranking.K1 * (1 - ranking.B + ranking.B * len(text) / ranking.LENGTH)
        tfs = [text.count(w) for w in needles]
        score = (rowid in heads) + sum(tf / (tf + norm) for tf in tfs) / len(tfs)
        if span:
            score -= (newest - (rowid >> 32)) / span
        best[n["id"]] = max(best.get(n["id"], -1e9), score)
    return best, sorted(best.values(), reverse=True)[:limit]


@pytest.mark.parametrize(
    "query, filters",
    [
        ("补偿", {}),
        ("督察", {"site": "b.gov.cn"}),
        ("征地补偿", {}),
        ('"安置督察"', {"in_history": True}),
        ("招聘 公示", {}),
        ("交通 OR 管制", {"date_from": "2021-02-01", "date_to": "2021-03-31"}),
        ("公示 NOT 防汛", {}),
        ("整改 NOT 补偿 OR 交通", {"site": "a.gov.cn"}),
        ("岳楼政发〔2021〕8号", {}),
    ],
)
@pytest.mark.parametrize("scale", [10_000, 60])  # every match read; the walk stopping early
def test_relevance_is_the_exact_top_of_its_score(db, monkeypatch, query, filters, scale):
    monkeypatch.setattr(ranking, "SCALE", scale)
    conn = connect(db, readonly=True)
    best, top = _expected(conn, query, 15, **filters)
    got = [r["id"] for r in search(conn, query, limit=15, **filters)]
    assert len(got) == len(top) and len(set(got)) == len(got)
    assert [best[nid] for nid in got] == pytest.approx(top)


def test_title_matches_come_first(db, monkeypatch):
    monkeypatch.setattr(ranking, "SCALE", 10_000)  # no recency: every match is read
    conn = connect(db, readonly=True)
    assert all("补偿" in r["title"] for r in search(conn, "补偿", limit=10))


def test_the_walk_stops_early(db, monkeypatch):
    monkeypatch.setattr(ranking, "SCALE", 60)
    conn = connect(db, readonly=True)
    statements = []
    conn.set_trace_callback(statements.append)
    search(conn, "补偿", limit=5)
    conn.set_trace_callback(None)
    scored = sum(
        len(m.group(1).split(","))
        for s in statements
        if "length(" in s and (m := re.search(r"rowid IN \(([^)]*)\)", s))
    )
    matches = conn.execute(
        "SELECT count(*) FROM search_index WHERE search_index MATCH '\"补偿\"'"
    ).fetchone()[0]
    assert 0 < scored < matches / 3  # the versions scored: far fewer than the matches


def test_both_indexes_hold_every_version_and_an_older_archive_gets_the_titles_index(db, tmp_path):
    import shutil
    import sqlite3

    from archive.storage.search import index_version, settle, unindex_version

    copy = tmp_path / "old.db"
    shutil.copy(db, copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    n = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    for table in ("search_index", "search_heads"):
        assert conn.execute(f"SELECT count(*) FROM {table}_docsize").fetchone()[0] == n
    # none left queued: the writers move them into the indexes before they commit
    assert conn.execute("SELECT count(*) FROM search_queue").fetchone()[0] == 0
    # a version's fields rewritten in place (as re-extraction does) are indexed anew
    conn.row_factory = sqlite3.Row
    nid, version = conn.execute(
        "SELECT id, current_version FROM notices ORDER BY id LIMIT 1"
    ).fetchone()
    conn.execute("BEGIN")
    unindex_version(conn, nid, version)
    conn.execute(
        "UPDATE versions SET title = '关于台风防御的紧急通知' WHERE notice_id = ? AND version = ?",
        (nid, version),
    )
    index_version(conn, nid, version)
    settle(conn)
    conn.execute("COMMIT")
    for table in ("search_index", "search_heads"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    # an archive of schema 6, before the titles index: upgraded when next opened
    conn.execute("DROP TABLE search_heads")
    conn.execute("DROP TABLE search_queue")
    conn.execute("PRAGMA user_version = 6")
    conn.close()
    conn = connect(copy, readonly=True)
    assert conn.execute("SELECT count(*) FROM search_heads_docsize").fetchone()[0] == n
    [hit] = search(conn, "台风")
    assert hit["id"] == nid and hit["title"] == "关于台风防御的紧急通知"
