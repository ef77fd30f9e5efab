"""Full-text search over every version: a contentless FTS5 index of application-made bigrams
(see bigrams.py), kept in step with the versions table, and the search query itself."""

from __future__ import annotations

import json
import sqlite3

from .bigrams import Term, document, match_expression, matches, parse_query, snippet

INDEX_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5("
    "doc, content='', tokenize='unicode61 remove_diacritics 0')"
)
_DOC_COLUMNS = "rowid, title, doc_number, index_number, source, body, attachments"


def _doc(row) -> str:
    names = " ".join(a["name"] for a in json.loads(row["attachments"] or "[]"))
    return document(
        row["title"], row["doc_number"], row["index_number"], row["source"], row["body"], names
    )


def _row(c: sqlite3.Connection, nid: str, version: int):
    return c.execute(
        f"SELECT {_DOC_COLUMNS} FROM versions WHERE notice_id=? AND version=?", (nid, version)
    ).fetchone()


def index_version(c: sqlite3.Connection, nid: str, version: int) -> None:
    row = _row(c, nid, version)
    c.execute("INSERT INTO search_index (rowid, doc) VALUES (?, ?)", (row["rowid"], _doc(row)))


def unindex_version(c: sqlite3.Connection, nid: str, version: int) -> None:
    """Before a version's fields are rewritten: a contentless index forgets a row only when
    told the tokens it was indexed with."""
    row = _row(c, nid, version)
    c.execute(
        "INSERT INTO search_index (search_index, rowid, doc) VALUES ('delete', ?, ?)",
        (row["rowid"], _doc(row)),
    )


def reindex_all(c: sqlite3.Connection) -> int:
    c.execute("DELETE FROM search_index")
    n = 0
    for row in c.execute(f"SELECT {_DOC_COLUMNS} FROM versions").fetchall():
        c.execute("INSERT INTO search_index (rowid, doc) VALUES (?, ?)", (row["rowid"], _doc(row)))
        n += 1
    return n


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    site: str | None = None,
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
    an earlier version held (the result says which).  One result per notice."""
    terms = parse_query(query)
    where, args = [], []
    if site:
        where.append("n.site = ?")
        args.append(site)
    if status:
        where.append("n.status = ?")
        args.append(status)
    if date_from:
        where.append("substr(cv.published, 1, 10) >= ?")
        args.append(date_from)
    if date_to:
        where.append("substr(cv.published, 1, 10) <= ?")
        args.append(date_to)
    if source:
        where.append("cv.source LIKE ?")
        args.append(f"%{source}%")
    which = "" if in_history else " AND v.version = n.current_version"
    filters = "".join(f" AND {w}" for w in where)
    order = {
        "relevance": "rank, cv.published DESC",
        "newest": "cv.published DESC, rank",
        "oldest": "cv.published IS NULL, cv.published, rank",
    }[sort]
    joins = (
        " JOIN versions v ON v.rowid = m.rowid JOIN notices n ON n.id = v.notice_id"
        + which
        + " JOIN versions cv ON cv.notice_id = n.id AND cv.version = n.current_version"
    )
    # Matches are grouped, sorted and cut to `limit` in SQL; only those become results.
    grouped = (
        "WITH m AS MATERIALIZED ({m}) SELECT v.notice_id, max(v.version) AS version,"
        " min(m.rank) AS rank FROM m"
        + joins
        + " WHERE 1"
        + filters
        + f" GROUP BY v.notice_id ORDER BY {order} LIMIT ?"
    )
    if any(t.needs_scan for t in terms):  # a one-character word: read the text itself
        conn.create_function(
            "tzgg_matches",
            2,
            lambda title, body: matches(f"{title or ''}\n{body or ''}", terms),
            deterministic=True,
        )
        sql = grouped.format(
            m="SELECT rowid, 0.0 AS rank FROM versions WHERE tzgg_matches(title, body)",
        )
        rows = conn.execute(sql, [*args, limit]).fetchall()
    else:
        sql = grouped.format(
            m="SELECT rowid, bm25(search_index) AS rank FROM search_index"
            " WHERE search_index MATCH ?",
        )
        rows = conn.execute(sql, [match_expression(terms), *args, limit]).fetchall()
    return [_result(conn, r["notice_id"], r["version"], terms) for r in rows]


def _result(conn, nid: str, version: int, terms: list[Term]) -> dict:
    n = conn.execute("SELECT * FROM notices WHERE id = ?", (nid,)).fetchone()
    cur = _version(conn, nid, n["current_version"])
    hit = cur if version == n["current_version"] else _version(conn, nid, version)
    text, spans = snippet(f"{hit['title'] or ''} {hit['body'] or ''}", terms)
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
        "title": cur["title"],
        "published": cur["published"],
        "source": cur["source"],
        "doc_number": cur["doc_number"],
        "status": n["status"],
        "version": n["current_version"],
        "matched_version": version,
        "snippet": text,
        "highlights": spans,
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
        "SELECT title, body, published, source, doc_number FROM versions"
        " WHERE notice_id = ? AND version = ?",
        (nid, version),
    ).fetchone()
