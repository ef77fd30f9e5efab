"""Which archived URLs a crawl re-fetches (the revisit policy)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from crawler.parse.files.kinds import download_ext


def revisit_targets(
    conn: sqlite3.Connection,
    site: str,
    *,
    policy: str = "all",
    recent_days: int = 60,
    slices: int = 7,
    now: datetime | None = None,
    files: bool = False,
) -> list[dict]:
    """Every URL of the site's notices (policy `all`), or with `recent` the notices published in
    the last `recent_days` and open 公示 every crawl, and the rest in a rotating slice.  With
    `files` (attachments are downloaded), a notice that lists files is asked for whole."""
    rows = conn.execute(
        "SELECT u.url, u.etag, u.last_modified, u.gone, n.id, v.published, v.title, n.first_seen,"
        " v.parts, v.objection_window, v.attachments FROM notice_urls u JOIN notices n ON n.id = u.notice_id"
        " JOIN versions v ON v.notice_id = n.id AND v.version = n.current_version"
        " WHERE u.site = ? ORDER BY u.first_seen",
        (site,),
    ).fetchall()
    if policy == "all":
        return [_target(r, files) for r in rows]
    if policy != "recent":
        raise ValueError(f"unknown TZGG_REVISIT policy {policy!r} (use all or recent)")
    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(days=recent_days)).date().isoformat()
    notice_cutoff = (now - timedelta(days=30)).date().isoformat()
    runs = conn.execute("SELECT count(*) FROM runs WHERE site=? AND finished IS NOT NULL", (site,))
    turn = runs.fetchone()[0] % max(1, slices)
    out = []
    for r in rows:
        published = (r["published"] or r["first_seen"])[:10]
        recent = published >= cutoff
        open_notice = _open_window(r, notice_cutoff, now.date().isoformat())
        if recent or open_notice or int(r["id"][:8], 16) % max(1, slices) == turn:
            out.append(_target(r, files))
    return out


def _open_window(r, notice_cutoff: str, today: str) -> bool:
    """A 公示 whose objection window is open (or, when the page gives no end, a recent one)."""
    window = json.loads(r["objection_window"]) if r["objection_window"] else None
    if window and window.get("end"):
        return window["end"] >= today
    published = (r["published"] or r["first_seen"])[:10]
    return (window is not None or "公示" in (r["title"] or "")) and published >= notice_cutoff


def _target(r, files: bool) -> dict:
    # A multi-page article is fetched whole: its first page's validators say nothing of the
    # rest.  Nor of its attachments: a file replaced under an unchanged page is an edit, found
    # only when the page is read and its files asked for (conditionally: a 304 each).
    whole = bool(r["parts"]) or (files and _lists_files(r["attachments"]))
    return {
        "url": r["url"],
        "etag": None if whole else r["etag"],
        "last_modified": None if whole else r["last_modified"],
        "gone": bool(r["gone"]),
    }


def _lists_files(attachments: str | None) -> bool:
    return any(download_ext(a["url"], a.get("name")) for a in json.loads(attachments or "[]"))


def _last_full_walk_run(conn: sqlite3.Connection, site: str) -> int:
    """The last run of the site with a whole walk that could delist (0: none)."""
    return conn.execute(
        "SELECT coalesce(max(w.run_id), 0) FROM walks w JOIN runs r ON r.id = w.run_id"
        " WHERE r.site = ? AND w.complete = 1 AND r.finished IS NOT NULL"
        " AND coalesce(w.reason, '') NOT LIKE 'nodelist:%'",
        (site,),
    ).fetchone()[0]


def unfetched(conn: sqlite3.Connection, site: str) -> list[str]:
    """Canonical URLs the site's listings named since its last whole walk that were never
    archived: a crawl whose time ran out after its walks ended left them for the next one."""
    return [
        u
        for (u,) in conn.execute(
            "SELECT DISTINCT l.canonical_url FROM runs r JOIN listings l ON l.run_id = r.id"
            " WHERE r.site = ? AND r.id >= ? AND NOT EXISTS"
            " (SELECT 1 FROM notice_urls n WHERE n.canonical_url = l.canonical_url)"
            " ORDER BY l.canonical_url",
            (site, _last_full_walk_run(conn, site)),
        )
    ]


def full_walks_since(conn: sqlite3.Connection, site: str, since: str) -> set[str]:
    """The site's listing walks (canonical URLs) walked whole, able to delist, by a run
    started at `since` or later."""
    return {
        u
        for (u,) in conn.execute(
            "SELECT DISTINCT w.listing_url FROM walks w JOIN runs r ON r.id = w.run_id"
            " WHERE r.site = ? AND r.started >= ? AND w.complete = 1"
            " AND r.finished IS NOT NULL AND coalesce(w.reason, '') NOT LIKE 'nodelist:%'",
            (site, since),
        )
    }


def archived_urls(conn: sqlite3.Connection, site: str) -> set[str]:
    """The canonical URLs of the site's archived notices."""
    return {
        u for (u,) in conn.execute("SELECT canonical_url FROM notice_urls WHERE site = ?", (site,))
    }
