"""What each page of the web UI shows, read from the archive: plain dicts for the templates.

Every read goes through the archive's own functions where one exists (`search`,
`notice_history`, `open_objections`), on a read-only connection of the UI's, and a few queries
of the UI's own, each driven by an index.  What grows with the archive is read for the home
page's aggregates only (each site's health and counts, 26 weeks of events, every removal and
edit by site), and those are kept until the archive changes (`Aggregates`)."""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from datetime import date, timedelta

from archive.storage.bigrams import QueryError
from archive.storage.objections import open_objections
from archive.storage.queries import find_notice, notice_history, version_dict
from archive.storage.search import search
from crawler.schema.fields import displayed
from crawler.schema.records import NOTICE_FIELDS
from crawler.schema.times import shanghai_today

PAGE_SIZE = 20
MAX_PAGE = 50  # deeper than 1,000 results: narrow the search instead
LATEST = 10  # rows of each list on the home page
SORTS = {"relevance": "相关度 · relevance", "newest": "最新 · newest", "oldest": "最早 · oldest"}
STATUSES = {
    "active": "在线 · online",
    "removed": "已删除 · removed",
    "delisted": "已下架 · delisted",
}
FIELDS = displayed(NOTICE_FIELDS)  # labels and order: the schema's field metadata
TOO_BROAD = (
    "检索太宽，未能及时完成：请加一个词，或按站点、日期缩小范围 · too broad to finish in time:"
    " add a word, or narrow it by site or dates"
)


class NotFound(Exception):
    """No such notice, version or site: the page answers 404 with this line."""


class BadRequest(Exception):
    """A parameter that cannot be read: the page answers 400 with this line."""


def interrupted(exc: sqlite3.OperationalError) -> bool:
    """Whether a read was stopped by the page's time limit (routes.py)."""
    return "interrupted" in str(exc)


# -- home ----------------------------------------------------------------------------------


def home(conn: sqlite3.Connection, today: str) -> dict:
    return {
        "removals": latest(conn, "removed"),
        "edits": latest(conn, "edited"),
        "diverged": latest(conn, "diverged"),
        "moved": latest(conn, "moved"),
        "windows": open_objections(conn, today=today, within=30)[:LATEST],
    }


class Aggregates:
    """The home page's reads that grow with the archive, kept per archive file until it
    changes: a commit grows or rewrites the WAL file, a checkpoint rewrites the database
    file, and either changes the key (as does the day)."""

    def __init__(self):
        self._kept: dict[str, tuple] = {}

    @staticmethod
    def _key(path: str, today: str) -> tuple:
        stats = []
        for name in (path, path + "-wal"):
            try:
                st = os.stat(name)
                stats.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stats.append(None)
        return (today, *stats)

    def get(self, conn: sqlite3.Connection, path: str, today: str) -> dict:
        key = self._key(path, today)
        kept = self._kept.get(path)
        if kept is not None and kept[0] == key:
            return kept[1]
        data = {
            "health": health(conn),
            "by_week": events_by_week(conn, today=today),
            "by_site": changes_by_site(conn),
            "growth": notices_by_site(conn),
        }
        self._kept[path] = (key, data)
        return data


def latest(conn: sqlite3.Connection, kind: str, n: int = LATEST) -> list[dict]:
    """The newest events of a kind (events_kind index)."""
    rows = conn.execute("SELECT * FROM events WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, n))
    return detailed(conn, rows)


def detailed(conn: sqlite3.Connection, rows) -> list[dict]:
    """Events as the pages show them: an edit's fields; a removal, whether the notice was
    restored since (events_notice index)."""
    out = []
    for r in rows:
        e = dict(r)
        e["fields"] = json.loads(e["fields"]) if e.get("fields") else []
        e["evidence"] = json.loads(e["evidence"]) if e.get("evidence") else {}
        if e["kind"] == "removed" and e["notice_id"]:
            back = conn.execute(
                "SELECT at FROM events WHERE notice_id = ? AND kind = 'restored' AND id > ?"
                " ORDER BY id LIMIT 1",
                (e["notice_id"], e["id"]),
            ).fetchone()
            e["restored"] = back[0] if back else None
        out.append(e)
    return out


def health(conn: sqlite3.Connection) -> list[dict]:
    """Each site: its name and region (as its last crawl's registry said), its last run and
    how many of its last ten were flagged, its notices by status."""
    about = {r["site"]: dict(r) for r in conn.execute("SELECT * FROM sites")}
    out = []
    for (site,) in conn.execute("SELECT DISTINCT site FROM runs ORDER BY site"):
        runs = conn.execute(
            "SELECT id, started, finished, status, flags, pages FROM runs WHERE site = ?"
            " ORDER BY id DESC LIMIT 10",
            (site,),
        ).fetchall()
        last = dict(runs[0])
        last["flags"] = json.loads(last["flags"] or "[]")
        out.append(
            {
                "site": site,
                "name": about.get(site, {}).get("name"),
                "region": about.get(site, {}).get("region"),
                "last": last,
                "flagged": sum(1 for r in runs if json.loads(r["flags"] or "[]")),
                "runs": len(runs),
                "counts": status_counts(conn, site),
            }
        )
    return out


def status_counts(conn: sqlite3.Connection, site: str) -> dict[str, int]:
    """The site's notices by status (notices_site index)."""
    sql = "SELECT status, count(*) FROM notices WHERE site = ? GROUP BY status"
    return dict(conn.execute(sql, (site,)).fetchall())


def events_by_week(conn: sqlite3.Connection, weeks: int = 26, today: str | None = None):
    """Events of each kind per week (Monday to Sunday in Asia/Shanghai): the last `weeks`
    whole weeks and this one (events_at index)."""
    day = date.fromisoformat(today or shanghai_today())
    monday = day - timedelta(days=day.weekday(), weeks=weeks)
    since = f"{monday - timedelta(days=1)}T16:00:00Z"  # that Monday's 00:00 in Shanghai
    rows = conn.execute(
        "SELECT date(at, '+8 hours', '-6 days', 'weekday 1') AS week, kind, count(*) AS n"
        " FROM events WHERE at >= ? GROUP BY week, kind ORDER BY week",
        (since,),
    )
    return [dict(r) for r in rows]


def notices_by_site(conn: sqlite3.Connection) -> list[dict]:
    """Each site's notices archived by the end of each month (every notice read: kept with
    the other aggregates)."""
    rows = conn.execute(
        "SELECT site, substr(first_seen, 1, 7) AS month, count(*) FROM notices"
        " GROUP BY site, month ORDER BY site, month"
    )
    out, totals = [], {}
    for site, month, n in rows:
        totals[site] = totals.get(site, 0) + n
        out.append({"site": site, "month": month, "total": totals[site]})
    return out


def changes_by_site(conn: sqlite3.Connection) -> list[dict]:
    """Removals and edits per site, all time (events_kind index)."""
    rows = conn.execute(
        "SELECT site, kind, count(*) AS n FROM events WHERE kind IN ('removed', 'edited')"
        " GROUP BY site, kind ORDER BY site"
    )
    return [dict(r) for r in rows]


# -- search --------------------------------------------------------------------------------


def search_page(conn: sqlite3.Connection, args: dict) -> dict:
    """Results of the search form (`args`: the query string's values), a page of them."""
    q = (args.get("q") or "").strip()
    form = {
        "q": q,
        "site": args.get("site") or "",
        "region": args.get("region") or "",
        "from": args.get("from") or "",
        "to": args.get("to") or "",
        "status": args.get("status") or "",
        "source": args.get("source") or "",
        "history": bool(args.get("history")),
        "sort": args.get("sort") or "relevance",
    }
    out = {"form": form, "results": [], "error": None, "page": 1, "more": False}
    # the site menu (runs_site index: a row per run, not per notice)
    out["sites"] = [r[0] for r in conn.execute("SELECT DISTINCT site FROM runs ORDER BY site")]
    out["regions"] = sorted({r[0] for r in conn.execute("SELECT region FROM sites") if r[0]})
    if form["sort"] not in SORTS:
        raise BadRequest(f"sort: one of {', '.join(SORTS)}")
    if form["status"] and form["status"] not in STATUSES:
        raise BadRequest(f"status: one of {', '.join(STATUSES)}")
    try:
        page = int(args.get("page") or 1)
    except ValueError:
        raise BadRequest("page: a number") from None
    if not 1 <= page <= MAX_PAGE:
        raise BadRequest(f"page: from 1 to {MAX_PAGE} (narrow the search for more)")
    out["page"] = page
    for key in ("from", "to"):
        if form[key] and not _is_day(form[key]):
            raise BadRequest(f"{key}: a date such as 2023-05-06")
    if not q:
        return out
    sites = None
    if form["region"]:
        if not form["region"].isdigit():
            raise BadRequest("region: a 行政区划代码 prefix such as 4306 (digits)")
        prefix = (form["region"] + "%",)
        sites = [r[0] for r in conn.execute("SELECT site FROM sites WHERE region LIKE ?", prefix)]
    try:
        found = search(
            conn,
            q,
            site=form["site"] or None,
            sites=sites,
            date_from=form["from"] or None,
            date_to=form["to"] or None,
            source=form["source"] or None,
            status=form["status"] or None,
            in_history=form["history"],
            sort=form["sort"],
            limit=page * PAGE_SIZE + 1,
        )
    except QueryError as exc:
        out["error"] = str(exc)
        return out
    except sqlite3.OperationalError as exc:  # a one-character word read past the page's time
        if not interrupted(exc):
            raise
        out["error"] = TOO_BROAD
        return out
    out["more"] = len(found) > page * PAGE_SIZE
    results = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    for r in results:
        r["marked"] = marked(r["snippet"], r["highlights"])
        r["edits"] = conn.execute(
            "SELECT count(*) FROM events WHERE notice_id = ? AND kind = 'edited'", (r["id"],)
        ).fetchone()[0]
    out["results"] = results
    return out


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def marked(text: str, spans) -> list[tuple[str, bool]]:
    """The snippet as (piece, highlighted) runs: the template escapes each piece."""
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue
        if a > last:
            out.append((text[last:a], False))
        out.append((text[a:b], True))
        last = b
    if last < len(text):
        out.append((text[last:], False))
    return out


# -- a notice ------------------------------------------------------------------------------


def _notice_id(conn: sqlite3.Connection, key: str) -> str:
    nid = find_notice(conn, key)
    if nid is None:
        raise NotFound(f"no notice {key!r} in this archive")
    return nid


def notice_page(conn: sqlite3.Connection, key: str) -> dict:
    h = notice_history(conn, _notice_id(conn, key))
    if not h["versions"]:
        raise NotFound(f"notice {h['id']} has no version in this archive")
    current = h["current"] = h["versions"][-1]
    h["fields"] = [
        {"name": f.name, "zh": f.zh, "en": f.en, "kind": f.kind, "value": current.get(f.name)}
        for f in FIELDS
        if f.kind not in ("html", "body", "files", "object") and current.get(f.name)
    ]
    h["addresses"] = [{"url": u, "href": linkable(u)} for u in h["urls"]]
    h["attachments"] = attachments(conn, current.get("attachments") or [])
    gone = [e for e in h["events"] if e["kind"] == h["status"]] if h["status"] != "active" else []
    h["status_since"] = gone[-1]["at"] if gone else None
    h["status_reason"] = gone[-1].get("reason") if gone else None
    for e in h["events"]:
        if e.get("evidence"):
            e["evidence_text"] = json.dumps(e["evidence"], ensure_ascii=False, indent=1)
    h["timeline"] = timeline(conn, h)
    h["edits"] = [{"a": v["version"] - 1, "b": v["version"]} for v in h["versions"][1:]]
    return h


def versions_of(conn: sqlite3.Connection, key: str) -> tuple[str, list[dict]]:
    """(notice id, its versions, oldest first): what the diff page compares."""
    nid = _notice_id(conn, key)
    rows = conn.execute("SELECT * FROM versions WHERE notice_id = ? ORDER BY version", (nid,))
    versions = [version_dict(r) for r in rows]
    if not versions:
        raise NotFound(f"notice {nid} has no version in this archive")
    return nid, versions


def linkable(url: str | None) -> str | None:
    """An archived URL as a link's target: http(s) only (a page may list any text as a URL)."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def attachments(conn: sqlite3.Connection, entries: list[dict]) -> list[dict]:
    """The version's files, each saying whether its bytes were kept (its archived copy)."""
    out = []
    for a in entries:
        a = dict(a)
        sha = a.get("sha256")
        a["kept"] = bool(sha) and _kept(conn, sha)
        a["href"] = linkable(a.get("url"))
        out.append(a)
    return out


def _kept(conn, sha: str) -> bool:
    return conn.execute("SELECT 1 FROM bodies WHERE sha256 = ?", (sha,)).fetchone() is not None


def archived_file(conn: sqlite3.Connection, key: str, sha: str) -> tuple[str, bytes]:
    """(file name, bytes) of an attachment of the notice, by its sha256: only a file some
    version of that notice lists."""
    nid = _notice_id(conn, key)
    for (listed,) in conn.execute("SELECT attachments FROM versions WHERE notice_id = ?", (nid,)):
        for a in json.loads(listed or "[]"):
            if a.get("sha256") == sha:
                row = conn.execute("SELECT data FROM bodies WHERE sha256 = ?", (sha,)).fetchone()
                if row is None:
                    raise NotFound("this file's bytes were not kept")
                return a.get("name") or sha, zlib.decompress(row[0])
    raise NotFound("no such file among this notice's attachments")


def timeline(conn: sqlite3.Connection, h: dict) -> list[dict]:
    """Every capture, version and event of the notice, oldest first; a run of captures that
    found the same thing at the same URL is one row with its count and dates."""
    items = []
    for v in h["versions"]:
        items.append({"at": v["first_seen"], "what": "version", "version": v["version"], "v": v})
    for e in h["events"]:
        items.append({"at": e["at"], "what": "event", "event": e})
    last = None
    for c in conn.execute(
        "SELECT at, url, final_url, status, outcome, version FROM captures"
        " WHERE notice_id = ? AND kind IN ('detail', 'part') ORDER BY at, id",
        (h["id"],),
    ):
        same = (c["url"], c["status"], c["outcome"], c["version"])
        if last is not None and last["same"] == same:
            last["count"] += 1
            last["until"] = c["at"]
            continue
        last = {"at": c["at"], "what": "capture", "same": same, "count": 1, "until": c["at"]}
        last |= {k: c[k] for k in ("url", "final_url", "status", "outcome", "version")}
        items.append(last)
    order = {"capture": 0, "version": 1, "event": 2}
    items.sort(key=lambda i: (i["at"] or "", order[i["what"]]))
    return items


# -- a site --------------------------------------------------------------------------------


def site_page(conn: sqlite3.Connection, site: str) -> dict:
    runs = conn.execute(
        "SELECT id, started, finished, status, pages, counts, failures, flags FROM runs"
        " WHERE site = ? ORDER BY id DESC LIMIT 200",
        (site,),
    ).fetchall()
    if not runs:
        raise NotFound(f"no site {site!r} in this archive")
    about = conn.execute("SELECT name, region FROM sites WHERE site = ?", (site,)).fetchone()
    shown = []
    for r in runs:
        r = dict(r)
        for k in ("counts", "failures"):
            r[k] = json.loads(r[k] or "{}")
        r["flags"] = json.loads(r["flags"] or "[]")
        shown.append(r)
    recent = conn.execute(  # events_site index
        "SELECT * FROM events WHERE site = ? ORDER BY id DESC LIMIT 40", (site,)
    )
    return {
        "site": site,
        "name": about["name"] if about else None,
        "region": about["region"] if about else None,
        "runs": shown,
        "counts": status_counts(conn, site),
        "events": detailed(conn, recent),
        "monthly": monthly_notices(conn, site),
    }


def monthly_notices(conn: sqlite3.Connection, site: str) -> list[dict]:
    """Notices first archived each month, and the running total (notices_site index)."""
    rows = conn.execute(
        "SELECT substr(first_seen, 1, 7) AS month, count(*) FROM notices WHERE site = ?"
        " GROUP BY month ORDER BY month",
        (site,),
    ).fetchall()
    total, out = 0, []
    for month, n in rows:
        total += n
        out.append({"month": month, "new": n, "total": total})
    return out
