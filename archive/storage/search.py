"""Full-text search over every version: contentless FTS5 indexes of application-made bigrams
(see bigrams.py), kept in step with the versions table, and the search query itself.

`search_index` holds each version's whole text; `search_heads` its title, 文号 and 索引号
again (a tenth of the size), so that relevance (ranking.py) finds title matches without
reading every match."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date

from archive.storage import ranking
from archive.storage.bigrams import (
    Term,
    document,
    match_expression,
    matches,
    mentions,
    parse_query,
    scan_form,
    snippet,
)
from archive.storage.queries import group_of
from crawler.parse.query import HAN
from crawler.schema.fields import brief, searched
from crawler.schema.records import NOTICE_FIELDS

INDEX_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
    "doc, content='', tokenize='unicode61 remove_diacritics 0')"
)
HEADS_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_heads USING fts5("
    "head, content='', tokenize='unicode61 remove_diacritics 0')"
)
# What names a notice: the fields of `search_heads`, in their places (part of the archive too).
HEAD = ("title", "doc_number", "index_number")
# Versions waiting for the indexes within a transaction (see `index_version`).
QUEUE_SQL = (
    "CREATE TABLE IF NOT EXISTS search_queue"
    " (rowid INTEGER PRIMARY KEY, doc TEXT NOT NULL, head TEXT NOT NULL)"
)
# The version's fields the index holds, in their places in its document (an indexed row is
# deleted by giving the very tokens it was indexed with: this order is part of the archive).
SEARCHED = searched(NOTICE_FIELDS)
_DOC_COLUMNS = ", ".join(
    dict.fromkeys(["rowid", *(f.name for f in SEARCHED), "published", "first_seen"])
)
# What a result shows of a notice: its brief fields, and what the snippet is cut from.
BRIEF = brief(NOTICE_FIELDS)
_SHOWN = ", ".join(dict.fromkeys([*BRIEF, "title", "body", "attachments"]))
# An index row's id is (publish day << 32) | the version's rowid: FTS5 walks matches in rowid
# order, so newest-first (and a date range) stops after the first screenful, not after every
# match.  The version is `rowid & _LOW`.
_SHIFT = 32
_LOW = (1 << _SHIFT) - 1
_EPOCH = date(1900, 1, 1)


def _day(iso: str | None) -> int:
    try:
        return (date.fromisoformat(iso[:10]) - _EPOCH).days if iso else 0
    except ValueError:
        return 0


def _index_rowid(row) -> int:
    return (_day(row["published"] or row["first_seen"]) << _SHIFT) | row["rowid"]


def _doc(c: sqlite3.Connection, row) -> str:
    """A version's indexed text: its searched fields, an attachments field as its files'
    names, then the text of each file it lists by sha256 (stable: a text row is written
    once, before any version listing it is indexed)."""
    fields = []
    for spec in SEARCHED:
        if spec.kind == "files":
            entries = json.loads(row[spec.name] or "[]")
            fields.append(" ".join(a["name"] for a in entries))
            fields += _file_texts(c, entries)
        else:
            fields.append(_plain(spec, row[spec.name]))
    return document(*fields)


def _text(c: sqlite3.Connection, row) -> str:
    """What `_doc` indexes, as plain text: for words the index cannot hold (one character)."""
    fields = []
    for spec in SEARCHED:
        if spec.kind == "files":
            if row[spec.name] and row[spec.name] != "[]":
                entries = json.loads(row[spec.name])
                fields += [a["name"] for a in entries]
                fields += _file_texts(c, entries)
        else:
            fields.append(_plain(spec, row[spec.name]) or "")
    return "\n".join(fields)


def _plain(spec, value) -> str | None:
    """A stored field's searchable text."""
    if not value or not spec.json:
        return value
    if spec.kind == "list":
        return " ".join(json.loads(value))
    return json.loads(value).get("text")  # an object: what the page says


def _file_texts(c: sqlite3.Connection, entries: list[dict]):
    return attachment_texts(c, [a["sha256"] for a in entries if a.get("sha256")]).values()


def attachment_texts(c: sqlite3.Connection, shas: list[str]) -> dict[str, str]:
    """sha256 -> extracted text, in the order given (each file once), texts only."""
    shas = list(dict.fromkeys(shas))
    if not shas:
        return {}
    rows = dict(
        c.execute(
            "SELECT sha256, text FROM attachment_texts WHERE text IS NOT NULL"
            f" AND sha256 IN ({','.join('?' * len(shas))})",
            shas,
        ).fetchall()
    )
    return {sha: rows[sha] for sha in shas if sha in rows}


def _row(c: sqlite3.Connection, nid: str, version: int):
    return c.execute(
        f"SELECT {_DOC_COLUMNS} FROM versions WHERE notice_id=? AND version=?", (nid, version)
    ).fetchone()


def _head(row) -> str:
    return document(*(row[name] for name in HEAD))


def _insert(c: sqlite3.Connection, row, heads: bool = True) -> None:
    rowid = _index_rowid(row)
    c.execute("INSERT INTO search_index (rowid, doc) VALUES (?, ?)", (rowid, _doc(c, row)))
    if heads:
        c.execute("INSERT INTO search_heads (rowid, head) VALUES (?, ?)", (rowid, _head(row)))


def index_version(c: sqlite3.Connection, nid: str, version: int) -> None:
    """Queue the version for the indexes, which `settle` fills before the transaction
    commits: FTS5 writes its pending rows out as a new segment whenever a row id is not
    above the last one written in the transaction (index row ids go by publish day, not in
    the order versions arrive) and at every SAVEPOINT, so rows inserted one at a time each
    made a segment of their own (150 µs of CPU a version against 84 µs queued: the Search
    section of docs/benchmarks.md)."""
    row = _row(c, nid, version)
    c.execute(
        "INSERT INTO search_queue (rowid, doc, head) VALUES (?, ?, ?)",
        (_index_rowid(row), _doc(c, row), _head(row)),
    )


def settle(c: sqlite3.Connection) -> None:
    """Move the queued versions into the indexes in row id order (a segment per index).  The
    archive's writers call it before they commit, so readers never see a queued version."""
    if c.execute("SELECT 1 FROM search_queue LIMIT 1").fetchone() is None:
        return
    c.execute(
        "INSERT INTO search_index (rowid, doc) SELECT rowid, doc FROM search_queue ORDER BY rowid"
    )
    c.execute(
        "INSERT INTO search_heads (rowid, head) SELECT rowid, head FROM search_queue ORDER BY rowid"
    )
    c.execute("DELETE FROM search_queue")


def unindex_version(c: sqlite3.Connection, nid: str, version: int) -> None:
    """Before a version's fields are rewritten: a contentless index forgets a row only when
    told its id and the tokens it was indexed with."""
    row = _row(c, nid, version)
    rowid = _index_rowid(row)
    if c.execute("DELETE FROM search_queue WHERE rowid = ?", (rowid,)).rowcount:
        return  # queued in this transaction, not indexed yet
    c.execute(
        "INSERT INTO search_index (search_index, rowid, doc) VALUES ('delete', ?, ?)",
        (rowid, _doc(c, row)),
    )
    c.execute(
        "INSERT INTO search_heads (search_heads, rowid, head) VALUES ('delete', ?, ?)",
        (rowid, _head(row)),
    )


def reindex_all(c: sqlite3.Connection) -> int:
    """Both indexes anew from the stored versions (`search_heads` when it exists: a
    migration older than it builds `search_index` alone)."""
    heads = _has(c, "search_heads")
    c.execute("DELETE FROM search_index")
    if heads:
        c.execute("DELETE FROM search_heads")
        c.execute("DELETE FROM search_queue")
    rows = _all_rows(c)
    for row in rows:
        _insert(c, row, heads)
    return len(rows)


def add_heads(c: sqlite3.Connection) -> None:
    """The migration that adds `search_heads` (built from the stored versions) and the
    queue of versions waiting for the indexes."""
    c.execute(HEADS_SQL)
    c.execute(QUEUE_SQL)
    c.execute("DELETE FROM search_heads")
    c.executemany(
        "INSERT INTO search_heads (rowid, head) VALUES (?, ?)",
        ((_index_rowid(row), _head(row)) for row in _all_rows(c)),
    )


def _all_rows(c: sqlite3.Connection) -> list:
    """Every version, in index row id order (inserted so, FTS5 writes one segment at a time)."""
    # (a migration runs this on the columns of its day: a field added later reads as NULL)
    have = {"rowid"} | {r[1] for r in c.execute("PRAGMA table_info(versions)")}
    columns = ", ".join(x if x in have else f"NULL AS {x}" for x in _DOC_COLUMNS.split(", "))
    return sorted(c.execute(f"SELECT {columns} FROM versions").fetchall(), key=_index_rowid)


def _has(c: sqlite3.Connection, table: str) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return c.execute(sql, (table,)).fetchone() is not None


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    site: str | None = None,
    sites: list[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    source: str | None = None,
    status: str | None = None,
    in_history: bool = False,
    sort: str = "relevance",
    limit: int = 20,
) -> list[dict]:
    """Notices matching `query` (raises bigrams.QueryError for a query that cannot be run).

    By default a notice's current version must match; `in_history` also finds text that only
    an earlier version held (the result says which).  One result per notice.  Dates filter
    and order on the matching version's publish date."""
    terms = parse_query(query)
    where, args = [], []
    if site:
        where.append("n.site = ?")
        args.append(site)
    if sites is not None:  # a region's sites
        where.append(f"n.site IN ({','.join('?' * len(sites))})")
        args += sites
    if status:
        where.append("n.status = ?")
        args.append(status)
    if source:
        where.append("cv.source LIKE ?")
        args.append(f"%{source}%")
    if not in_history:
        where.append("v.version = n.current_version")
    low = _day(date_from) << _SHIFT if date_from else 0
    high = ((_day(date_to) + 1) << _SHIFT) - 1 if date_to else (1 << 62)
    current = " CROSS JOIN versions cv ON cv.notice_id = n.id AND cv.version = n.current_version"
    check = (
        # CROSS JOIN keeps this order: the batch's versions first (a site filter would
        # otherwise tempt the planner to read all the site's notices)
        "SELECT v.rowid, v.notice_id, v.version{cols} FROM versions v"
        " CROSS JOIN notices n ON n.id = v.notice_id"
        + (current if source else "")  # read for its source only
        + " WHERE v.rowid IN ({ids})"
        + "".join(f" AND {w}" for w in where)
    )
    if any(t.needs_scan for t in terms):  # a one-character word: read the text itself
        hits = [(rowid, 0.0) for rowid in _scan(conn, terms)]
        hits = [h for h in hits if _in_range(conn, h[0], low, high)]
        if sort != "relevance":  # order the hits as the index would
            hits.sort(key=lambda h: _sort_key(conn, h[0]), reverse=sort == "newest")
        picked = _pick(conn, check, args, hits, 2 * limit)
        return _results(conn, picked, terms, limit)
    if sort == "relevance":
        picked = ranking.top(conn, terms, check, args, low, high, 2 * limit)
    else:
        expr = match_expression(terms)
        direction = "DESC" if sort == "newest" else "ASC"
        sql = (
            "SELECT rowid FROM search_index WHERE search_index MATCH ?"
            f" AND rowid BETWEEN ? AND ? ORDER BY rowid {direction}"
        )
        hits = ((r[0] & _LOW, 0.0) for r in conn.execute(sql, (expr, low, high)))
        picked = _pick(conn, check, args, hits, 2 * limit)
    return _results(conn, picked, terms, limit)


def _results(conn, picked: list[tuple[str, int]], terms: list[Term], limit: int) -> list[dict]:
    """The first `limit` results, a notice reposted by several sites once (the best-placed
    copy), each with its `copies` on other sites.  (Twice `limit` were picked, so that
    copies folded away still leave a page full.)"""
    out, groups = [], set()
    for nid, version in picked:
        row = conn.execute("SELECT grp FROM copies WHERE notice_id = ?", (nid,)).fetchone()
        if row is not None:
            if row[0] in groups:
                continue
            groups.add(row[0])
        result = _result(conn, nid, version, terms)
        result["copies"] = group_of(conn, nid) if row is not None else []
        out.append(result)
        if len(out) == limit:
            break
    return out


_HAN_CHAR = re.compile(f"[{HAN}]")
# A version whose text the scan reads partly outside its row: its files' extracted text
_WITH_FILES = "attachments != '[]'"


def _holds(columns: list[str], param: str) -> str:
    """SQL: one of the columns holds the parameter's text."""
    return "(" + " OR ".join(f"instr(coalesce({c}, ''), :{param}) > 0" for c in columns) + ")"


def _scan(conn: sqlite3.Connection, terms: list[Term]) -> list[int]:
    """The rowids of the versions whose text matches `terms` (one of them a lone Han
    character, which the index cannot hold), in rowid order.

    A Han character is itself after the scan's folding (width, case, spaces), so SQLite can
    test it in C on the stored columns (JSON is written with ensure_ascii off): a query
    without OR must find each of its one-character words' character there, or the version
    lists files (whose extracted text is elsewhere).  When every word is exactly one Han
    character, that test decides for a version without files; the others, and every
    version for other queries, are read in Python (`matches`)."""
    columns = [spec.name for spec in SEARCHED]
    chars = [(t, m.group()) for t in terms if t.needs_scan and (m := _HAN_CHAR.search(t.text))]
    if any(t.op == "OR" for t in terms) or not chars:
        rows = conn.execute(f"SELECT {_DOC_COLUMNS} FROM versions")
        return [r[0] for r in rows if matches(_text(conn, r), terms)]
    params = {f"c{i}": c for i, (_t, c) in enumerate(chars)}
    need = [  # a version with files may hold the character in their text alone
        f"({_holds(columns, name)} OR {_WITH_FILES})"
        for name, (t, _c) in zip(params, chars, strict=True)
        if t.op != "NOT"
    ]
    found = f"SELECT {_DOC_COLUMNS} FROM versions" + (
        " WHERE " + " AND ".join(need) if need else ""
    )
    if not all(_HAN_CHAR.fullmatch(scan_form(t.text)) for t in terms):  # Python decides
        return [r[0] for r in conn.execute(found, params) if matches(_text(conn, r), terms)]
    decided = [
        f"NOT {_holds(columns, name)}" if t.op == "NOT" else _holds(columns, name)
        for name, (t, _c) in zip(params, chars, strict=True)
    ]
    sure = f"SELECT rowid FROM versions WHERE NOT ({_WITH_FILES}) AND " + " AND ".join(decided)
    rows = [r[0] for r in conn.execute(sure, params)]
    read = found + (" AND " if need else " WHERE ") + _WITH_FILES
    rows += [r[0] for r in conn.execute(read, params) if matches(_text(conn, r), terms)]
    return sorted(rows)


def _in_range(conn, rowid: int, low: int, high: int) -> bool:
    return low <= _sort_key(conn, rowid) <= high


def _pick(conn, check: str, args: list, hits, limit: int) -> list:
    """The first `limit` notices among matching versions taken in order, in batches: each
    batch is checked against the filters in one query.  A notice's latest matching version
    is the one reported."""
    out: dict[str, int] = {}
    batch: list[int] = []

    def flush() -> None:
        if not batch:
            return
        sql = check.format(ids=",".join("?" * len(batch)), cols="")
        rows = {r["rowid"]: r for r in conn.execute(sql, [*batch, *args])}
        for rowid in batch:
            r = rows.get(rowid)
            if r is not None and len(out) < limit:
                out[r["notice_id"]] = max(out.get(r["notice_id"], 0), r["version"])
            elif r is not None and r["notice_id"] in out:
                out[r["notice_id"]] = max(out[r["notice_id"]], r["version"])
        batch.clear()

    size = max(limit * 2, 50)
    for rowid, _rank in hits:
        batch.append(rowid)
        if len(batch) >= size:
            flush()
            if len(out) >= limit:
                break
            size = min(size * 4, 5000)
    flush()
    return list(out.items())


def _sort_key(conn, rowid: int) -> int:
    """A version's index row id (its date order), for hits found by reading the text."""
    row = conn.execute(
        "SELECT rowid, published, first_seen FROM versions WHERE rowid = ?", (rowid,)
    ).fetchone()
    return _index_rowid(row)


def _result(conn, nid: str, version: int, terms: list[Term]) -> dict:
    n = conn.execute("SELECT * FROM notices WHERE id = ?", (nid,)).fetchone()
    cur = _version(conn, nid, n["current_version"])
    hit = cur if version == n["current_version"] else _version(conn, nid, version)
    page = f"{hit['title'] or ''} {hit['body'] or ''}"
    found = _in_attachments(conn, hit, terms)
    # the snippet shows where the words are: the page, else the first attachment holding them
    text, spans = snippet(found[0][1] if found and not mentions(page, terms) else page, terms)
    urls = [
        u[0]
        for u in conn.execute(
            "SELECT url FROM notice_urls WHERE notice_id = ? ORDER BY first_seen", (nid,)
        )
    ]
    out = {
        "id": nid,
        "url": n["url"],
        "urls": urls,
        "site": n["site"],
        **{name: cur[name] for name in BRIEF},
        "status": n["status"],
        "version": n["current_version"],
        "matched_version": version,
        "snippet": text,
        "highlights": spans,
        "in_attachments": [{"name": a["name"], "url": a["url"]} for a, _ in found],
    }
    if n["status"] != "active":  # when, and why, it went
        e = conn.execute(
            "SELECT at, reason FROM events WHERE notice_id = ? AND kind = ? ORDER BY id DESC",
            (nid, n["status"]),
        ).fetchone()
        if e is not None:
            out["status_since"] = e["at"]
            out["reason"] = e["reason"]
    return out


def _version(conn, nid: str, version: int):
    return conn.execute(
        f"SELECT {_SHOWN} FROM versions WHERE notice_id = ? AND version = ?",
        (nid, version),
    ).fetchone()


def _in_attachments(conn, row, terms: list[Term]) -> list[tuple[dict, str]]:
    """(entry, text) of the version's attachments whose text holds a word of the query: read
    for the results shown only."""
    entries = [a for a in json.loads(row["attachments"] or "[]") if a.get("sha256")]
    texts = attachment_texts(conn, [a["sha256"] for a in entries])
    return [(a, texts[a["sha256"]]) for a in entries if mentions(texts.get(a["sha256"]), terms)]
