"""The archive as it stood at a moment: each notice's version and status then.

Everything is decided by capture times, never by what a page says it was published: a version
is valid from its `first_seen` until the next version's, and a notice's status then is the one
its last status event before that moment set.  Rows stream from one query each, in notice
order, so an export of any size holds one notice in memory at a time."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from archive.storage.queries import version_dict

# What each event kind leaves a notice as; `edited` leaves the status alone.
STATUS_AFTER = {
    "new": "active",
    "restored": "active",
    "relisted": "active",
    "moved": "active",
    "removed": "removed",
    "delisted": "delisted",
}
_STATUS_KINDS = ", ".join(f"'{k}'" for k in STATUS_AFTER)

# One row per notice first seen by `:t` (in the order they were first archived, which needs no
# sort): the newest version by then (or every version by then,
# for a history), the status event in force, the URLs known by then, the last capture by then.
_SQL = f"""
SELECT n.id, n.site, n.url AS first_url, n.first_seen AS notice_first_seen, v.*,
  (SELECT min(w.first_seen) FROM versions w
    WHERE w.notice_id = n.id AND w.version > v.version AND w.first_seen <= :t) AS valid_to,
  (SELECT json_array(e.kind, e.at, e.reason) FROM events e
    WHERE e.notice_id = n.id AND e.at <= :t AND e.kind IN ({_STATUS_KINDS})
    ORDER BY e.at DESC, e.id DESC LIMIT 1) AS status_event,
  (SELECT json_group_array(url) FROM (SELECT u.url FROM notice_urls u
    WHERE u.notice_id = n.id AND u.first_seen <= :t ORDER BY u.first_seen, u.url)) AS urls,
  (SELECT max(c.at) FROM captures c
    WHERE c.notice_id = n.id AND c.at <= :t AND c.outcome IN ('ok', 'not_modified'))
    AS seen_by_then
FROM notices n JOIN versions v ON v.notice_id = n.id
WHERE n.first_seen <= :t AND v.first_seen <= :t {{site}} {{which}}
ORDER BY n.rowid, v.version
"""
_CURRENT = (
    "AND v.version = (SELECT max(w.version) FROM versions w"
    " WHERE w.notice_id = n.id AND w.first_seen <= :t)"
)


def site_clause(column: str, site) -> tuple[str, dict]:
    """(`AND column IN (...)`, its named parameters) for a site or a list of sites (a
    region's); ("", {}) for every site."""
    if not site:
        return "", {}
    names = {f"site{i}": s for i, s in enumerate([site] if isinstance(site, str) else site)}
    return f"AND {column} IN ({', '.join(':' + k for k in names)})", names


def notices_as_of(
    conn: sqlite3.Connection, at: str, *, site=None, history: bool = False
) -> Iterator[dict]:
    """Each notice as of `at` (RFC 3339 UTC): one dict per notice, or with `history` one per
    version it had by then, oldest first.  `site`: a site, or a list of them."""
    clause, names = site_clause("n.site", site)
    sql = _SQL.format(site=clause, which="" if history else _CURRENT)
    for row in conn.execute(sql, {"t": at, **names}):
        yield _record(row)


def _record(row: sqlite3.Row) -> dict:
    kind, since, reason = json.loads(row["status_event"]) if row["status_event"] else (None,) * 3
    version = version_dict(row)  # the version's fields, as `tzgg show --json` names them
    del version["first_seen"], version["last_seen"]  # the version's; last_seen may be later
    out = {
        "id": row["id"],
        "site": row["site"],
        "url": row["first_url"],
        "urls": json.loads(row["urls"]),
        "status": STATUS_AFTER.get(kind, "active"),
        "status_since": since or row["notice_first_seen"],
        "removed_reason": reason if kind == "removed" else None,
        "first_seen": row["notice_first_seen"],
        "last_seen": row["seen_by_then"] or row["first_seen"],
        "valid_from": row["first_seen"],
        "valid_to": row["valid_to"],
    }
    version["version_url"] = version.pop("url")  # where this version was read
    return out | version


def sites_as_of(conn: sqlite3.Connection, at: str, site=None) -> list[str]:
    """The sites with a notice first seen by `at` (of `site`, a site or a list, when given)."""
    clause, names = site_clause("site", site)
    sql = f"SELECT DISTINCT site FROM notices WHERE first_seen <= :t {clause} ORDER BY site"
    return [r[0] for r in conn.execute(sql, {"t": at, **names})]
