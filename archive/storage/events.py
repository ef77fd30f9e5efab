"""Events: the one module that writes them, a notice's (new, edited, removed, restored,
delisted, relisted) and a site's health (site_broken, site_blocked); and the rows an event is
decided from (a URL's row, a notice's current version)."""

from __future__ import annotations

import json


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def notice_event(c, kind: str, notice: str, url: str, at: str, run_id: int, **extra) -> dict:
    """Record an event about a notice (`extra`: version, title, fields, reason, evidence, and
    whatever else the caller shows with it); the event as a dict."""
    site = c.execute("SELECT site FROM notices WHERE id=?", (notice,)).fetchone()[0]
    fields, evidence = extra.get("fields"), extra.get("evidence")
    cur = c.execute(
        "INSERT INTO events (notice_id, site, url, kind, at, run_id, version, title, fields,"
        " reason, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            notice,
            site,
            url,
            kind,
            at,
            run_id,
            extra.get("version"),
            extra.get("title"),
            _json(fields) if fields is not None else None,
            extra.get("reason"),
            _json(evidence) if evidence is not None else None,
        ),
    )
    return {
        "id": cur.lastrowid,
        "notice_id": notice,
        "url": url,
        "site": site,
        "kind": kind,
        "at": at,
        **extra,
    }


def site_event(c, kind: str, site: str, url: str, at: str, run_id: int, **extra) -> None:
    """A site's health event (site_broken, site_blocked): about no notice."""
    c.execute(
        "INSERT INTO events (notice_id, site, url, kind, at, run_id, title, reason, evidence)"
        " VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            site,
            url,
            kind,
            at,
            run_id,
            extra.get("title"),
            extra.get("reason"),
            _json(extra["evidence"]) if extra.get("evidence") is not None else None,
        ),
    )


def relist_if_delisted(c, nid: str, url: str, at: str, run_id: int, listing: str):
    status = c.execute("SELECT status FROM notices WHERE id=?", (nid,)).fetchone()[0]
    if status != "delisted":
        return []
    c.execute("UPDATE notices SET status='active' WHERE id=?", (nid,))
    cur = current(c, nid)
    return [
        notice_event(
            c,
            "relisted",
            nid,
            url,
            at,
            run_id,
            version=cur["version"],
            title=cur["title"],
            evidence={"listing_url": listing},
        )
    ]


def url_row(c, canonical: str):
    return c.execute("SELECT * FROM notice_urls WHERE canonical_url = ?", (canonical,)).fetchone()


def current(c, nid: str):
    return c.execute(
        "SELECT v.* FROM versions v JOIN notices n ON n.id = v.notice_id"
        " AND v.version = n.current_version WHERE n.id = ?",
        (nid,),
    ).fetchone()
