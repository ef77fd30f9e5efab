"""Reading the archive: changes, a notice's history. Readers never block a running crawl
(WAL mode lets them read while a crawl writes)."""

from __future__ import annotations

import json
import sqlite3

from archive.storage.versioning import read_column
from crawler.schema.fields import exported
from crawler.schema.records import NOTICE_FIELDS
from crawler.schema.urls import canonicalize

# A version's own keys, each after the field it has always followed in `tzgg show --json`
# and the JSONL export.
_AFTER = {"attachments": "url", "breadcrumb": "changed"}


def event_dict(row: sqlite3.Row) -> dict:
    out = {
        "id": row["id"],
        "notice_id": row["notice_id"],
        "url": row["url"],
        "site": row["site"],
        "kind": row["kind"],
        "at": row["at"],
        "title": row["title"],
        "version": row["version"],  # the notice's version the event is about (None: a site's)
    }
    if row["kind"] == "edited":
        out["fields"] = json.loads(row["fields"] or "[]")
    if row["kind"] == "removed" or row["kind"].startswith("site_"):
        out["reason"] = row["reason"]
        out["evidence"] = json.loads(row["evidence"] or "{}")
        # removed after its 公示 ended: routine; while it was open: the alarm a watchdog wants
        for name in ("window_closed", "window_open"):
            if out["evidence"].get(name):
                out[name] = out["evidence"][name]
    elif row["evidence"]:
        out["evidence"] = json.loads(row["evidence"])
    if row["kind"] == "diverged":  # what the copy did: edited or removed
        out["reason"] = row["reason"]
    return out


def changes(
    conn: sqlite3.Connection,
    *,
    since: str | None = None,
    site: str | None = None,
    kind: str | None = None,
    notice_id: str | None = None,
    sites: list[str] | None = None,
    after_id: int | None = None,
) -> list[dict]:
    """Events in order; `sites` (e.g. a region's) and `after_id` (a reader's cursor) narrow."""
    filters = {
        "at >= ?": since,
        "site = ?": site,
        "kind = ?": kind,
        "notice_id = ?": notice_id,
        "id > ?": after_id,
    }
    where = [cond for cond, value in filters.items() if value is not None]
    args = [value for value in filters.values() if value is not None]
    if sites is not None:
        where.append(f"site IN ({','.join('?' * len(sites))})")
        args += sites
    sql = "SELECT * FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [event_dict(r) for r in conn.execute(sql + " ORDER BY at, id", args)]


def find_notice(conn: sqlite3.Connection, key: str) -> str | None:
    """A notice id from an id or any URL it was seen at."""
    row = conn.execute("SELECT id FROM notices WHERE id = ?", (key,)).fetchone()
    if row:
        return row[0]
    try:
        canonical = canonicalize(key) if "://" in key else key
    except ValueError:  # not a URL after all (a bad port, an open [): no notice's
        canonical = key
    row = conn.execute(
        "SELECT notice_id FROM notice_urls WHERE canonical_url = ? OR url = ?", (canonical, key)
    ).fetchone()
    return row[0] if row else None


def version_dict(row: sqlite3.Row, specs=NOTICE_FIELDS) -> dict:
    """A version as `tzgg show --json` and the exports give it."""
    out = {
        "version": row["version"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
    }
    own = {"url": row["url"], "changed": json.loads(row["changed"])}
    for spec in exported(specs):
        out[spec.name] = read_column(spec, row[spec.name])
        if spec.name in _AFTER:
            key = _AFTER[spec.name]
            out[key] = own.pop(key)
    out |= own
    out["extractor_version"] = row["extractor_version"]
    return out


def group_of(c, nid: str) -> list[dict]:
    """The notice's copies on other sites (not itself): {id, site, url, status} each."""
    rows = c.execute(
        "SELECT n.id, n.site, n.url, n.status FROM copies me JOIN copies o ON o.grp = me.grp"
        " JOIN notices n ON n.id = o.notice_id WHERE me.notice_id = ? AND o.notice_id != ?"
        " ORDER BY n.site, n.id",
        (nid, nid),
    ).fetchall()
    return [{"id": r[0], "site": r[1], "url": r[2], "status": r[3]} for r in rows]


def notice_history(conn: sqlite3.Connection, nid: str) -> dict:
    n = conn.execute("SELECT * FROM notices WHERE id = ?", (nid,)).fetchone()
    urls = [
        r[0]
        for r in conn.execute(
            "SELECT url FROM notice_urls WHERE notice_id = ? ORDER BY first_seen", (nid,)
        )
    ]
    versions = [
        version_dict(r)
        for r in conn.execute("SELECT * FROM versions WHERE notice_id = ? ORDER BY version", (nid,))
    ]
    return {
        "id": n["id"],
        "url": n["url"],
        "urls": urls,
        "site": n["site"],
        "status": n["status"],
        "first_seen": n["first_seen"],
        "last_seen": n["last_seen"],
        "versions": versions,
        "events": changes(conn, notice_id=nid),
        "copies": group_of(conn, nid),
    }
