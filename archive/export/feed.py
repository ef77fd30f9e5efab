"""Atom feeds of the archive's events and of open 公示 windows, made with feedgen.

A feed is a pure function of the archive: entries keep their ids and times, and the feed's
`updated` is its newest entry's time (never "now"), so regenerating an unchanged feed gives the
same bytes and a reader sees nothing new.  A feed with no entry is as of the archive's newest
event, or else its last crawl (now only for an archive never crawled).

Entry ids: `urn:tzgg:event:<site>:<notice id, or "site" for a health event>:<event id>:<time>`
-- the event id is the archive's own (never reused), and the site, notice and time keep two
archives' ids apart.  An open window's entry is `urn:tzgg:objection:<site>:<notice id>:v<N>`,
one per version of the notice (an edit that moves the window is a new entry).

Archived text is put in as text (feedgen escapes it), never as markup, and characters XML
cannot hold (control characters some CMSs leave in titles) are dropped.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from archive.storage.diff import field_diff
from archive.storage.eventfilter import EventFilter
from archive.storage.queries import event_dict, version_dict
from crawler.schema.times import parse_utc, utcnow

BODY_EXCERPT = 300  # characters of a new notice's body in its entry
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def recent_events(
    conn: sqlite3.Connection,
    filt: EventFilter,
    *,
    since: str | None = None,
    limit: int = 200,
) -> list[dict]:
    """The newest `limit` events the filter admits, newest first, each with its `version`
    (so a query is matched against the text as that event's version stated it).

    Events are read newest first and the reading stops at `limit`; the site and kind filters
    are put in the SQL, and a query reads and matches each (notice, version) once."""
    where, args = [], []
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    for column, values in (("site", filt.sites), ("kind", filt.kinds)):
        if values is not None:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args += sorted(values)
    sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
    out: list[dict] = []
    if limit <= 0:
        return out
    memo: dict = {}
    cur = conn.execute(sql + " ORDER BY at DESC, id DESC", args)
    try:
        for row in cur:
            if filt.admits(conn, row, memo):
                out.append(event_dict(row))
                if len(out) >= limit:
                    break
    finally:
        cur.close()
    return out


def newest_event_time(conn: sqlite3.Connection) -> str:
    """The time of the archive's newest event, or else of its last crawl: an empty events
    feed's `updated`."""
    row = conn.execute("SELECT max(at) FROM events").fetchone()
    return row[0] if row and row[0] else last_crawl_time(conn)


def last_crawl_time(conn: sqlite3.Connection) -> str:
    """When the archive was last crawled (its newest run's end, or start while it runs): what
    an empty list of open windows is true as of.  Now, for an archive never crawled."""
    row = conn.execute("SELECT max(coalesce(finished, started)) FROM runs").fetchone()
    return row[0] if row and row[0] else utcnow()


def describe(kind: str, filters: dict) -> tuple[str, str]:
    """(feed id, feed title) for a feed kind ("events", "objections") and its filters
    ({name: value}; None and empty values ignored): the same filters give the same id."""
    parts = {
        k: ",".join(v) if isinstance(v, list | tuple) else str(v)
        for k, v in filters.items()
        if v not in (None, "", [], ())
    }
    labels = {"kind": "{}", "query": "“{}”", "within": "closing within {} days"}
    shown = [labels.get(k, k + " {}").format(v) for k, v in parts.items()]
    what = "events" if kind == "events" else "open 公示 windows"
    title = f"tzgg: {what}" + (" · " + " · ".join(shown) if shown else "")
    canon = ";".join(f"{k}={v}" for k, v in sorted(parts.items()))
    feed_id = f"urn:tzgg:feed:{kind}" + (f":{quote(canon, safe='=;,.-_')}" if canon else "")
    return feed_id, title


# -- events -------------------------------------------------------------------------------------


def events_atom(
    conn: sqlite3.Connection,
    events: list[dict],
    *,
    feed_id: str,
    title: str,
    names: dict[str, str] | None = None,
    self_url: str | None = None,
    updated: str | None = None,
) -> bytes:
    """An Atom document of events (given newest first); `names`: site key -> display name."""
    names = names or {}
    entries = [event_entry(conn, e, names.get(e["site"]) or e["site"]) for e in events]
    newest = max((e["at"] for e in events), default=None) or updated or utcnow()
    return _atom(feed_id, title, newest, entries, self_url)


def event_entry(conn: sqlite3.Connection, event: dict, site_name: str) -> dict:
    new, old = _versions(conn, event)
    return {
        "id": event_id(event),
        "title": entry_title(event, site_name),
        "link": event["url"],
        "updated": event["at"],
        "author": event["site"],
        "category": event["kind"],
        "content": entry_html(event, new, old),
    }


def event_id(event: dict) -> str:
    """Never the site's name: a site adopted into the registry is renamed, and a feed
    reader would announce its whole history again under new ids."""
    at = re.sub(r"[^0-9TZ.]", "", event["at"])
    parts = (event.get("notice_id") or "site", str(event["id"]), at)
    return "urn:tzgg:event:" + ":".join(quote(p, safe=".-_") for p in parts)


def entry_title(event: dict, site_name: str) -> str:
    label = event["kind"]
    if event.get("window_closed"):
        label = "removed after 公示 closed"
    elif event.get("window_open"):
        label = "REMOVED during its 公示"
    return f"[{label}] {event.get('title') or '(no title)'} — {site_name}"


def entry_html(event: dict, version: dict | None, before: dict | None) -> str:
    """The entry's content, HTML built from escaped text: what an event says about its notice.
    `version` is the event's version of the notice, `before` the one it replaced."""
    kind, e = event["kind"], html.escape
    parts: list[str] = []
    if kind == "edited":
        fields = ", ".join(event.get("fields") or [])
        parts.append(f"<p>Edited: {e(fields or 'fields')}.</p>")
        if version is not None and before is not None:
            lines = field_diff(before, version)
            parts.append(f"<pre>{e(chr(10).join(lines) or '(no field changes)')}</pre>")
    elif kind == "removed":
        if event.get("window_closed"):
            parts.append(
                f"<p><strong>Routine removal</strong>: taken down after its 公示 closed on"
                f" {e(event['window_closed'])}, as such notices are. Not an alarm.</p>"
            )
        elif event.get("window_open"):
            parts.append(
                "<p><strong>Removed while its 公示 was still open</strong>: the public had"
                f" until {e(event['window_open'])} to object.</p>"
            )
        parts.append(f"<p>Removed: {e(event.get('reason') or 'unknown')}.</p>")
        ev = event.get("evidence") or {}
        parts.append(
            _items(
                [
                    ("HTTP status", ev.get("status")),
                    ("final URL", ev.get("final_url")),
                    ("phrase on the page", ev.get("phrase")),
                    ("redirects", " → ".join(f"{u} ({s})" for u, s in ev.get("redirects") or [])),
                ]
            )
        )
    elif kind == "diverged":
        ev = event.get("evidence") or {}
        parts.append(
            f"<p><strong>One copy of a reposted notice was {e(event.get('reason') or 'changed')}"
            "</strong> while these copies, on other sites, still hold its text:</p>"
        )
        parts.append(
            "<ul>"
            + "".join(
                f'<li>{e(c["site"])}: <a href="{e(c["url"])}">{e(c["url"])}</a></li>'
                for c in ev.get("copies") or []
            )
            + "</ul>"
        )
    elif kind.startswith("site_"):
        parts.append(
            f"<p>The crawl of {e(event['site'])} looks broken: {e(event.get('title') or '')}"
            f" ({e(event.get('reason') or kind)}).</p>"
        )
        ev = event.get("evidence") or {}
        parts.append(_items([(k, v) for k, v in ev.items()]))
    elif kind == "new" and version is not None:
        parts.append(
            _items(
                [
                    ("published", version.get("published")),
                    ("source", version.get("source")),
                    ("文号", version.get("doc_number")),
                ]
            )
        )
        body = version.get("body") or ""
        if body:
            cut = body[:BODY_EXCERPT] + ("…" if len(body) > BODY_EXCERPT else "")
            parts.append("<p>" + e(cut).replace("\n", "<br/>") + "</p>")
    else:
        parts.append(f"<p>{e(kind.capitalize())}.</p>")
        ev = event.get("evidence") or {}
        parts.append(_items([(k, v) for k, v in ev.items()]))
    parts.append(f'<p><a href="{e(event["url"])}">{e(event["url"])}</a></p>')
    return "\n".join(p for p in parts if p)


def _items(pairs: list[tuple[str, object]]) -> str:
    shown = [(k, v) for k, v in pairs if v not in (None, "", [], {})]
    if not shown:
        return ""
    lines = [f"<li>{html.escape(str(k))}: {html.escape(_scalar(v))}</li>" for k, v in shown]
    return "<ul>" + "".join(lines) + "</ul>"


def _scalar(v) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _versions(conn: sqlite3.Connection, event: dict) -> tuple[dict | None, dict | None]:
    """(the event's version, the version before it) of its notice, when it has them."""
    nid, version = event.get("notice_id"), event.get("version")
    if not nid or not version or event["kind"] not in ("new", "edited"):
        return None, None
    rows = conn.execute(
        "SELECT * FROM versions WHERE notice_id = ? AND version <= ? ORDER BY version DESC LIMIT 2",
        (nid, version),
    ).fetchall()
    found = [version_dict(r) for r in rows]
    new = found[0] if found and found[0]["version"] == version else None
    old = found[1] if new is not None and len(found) > 1 else None
    return new, old


# -- open windows ---------------------------------------------------------------------------


def objections_atom(
    notices: list[dict],
    *,
    feed_id: str,
    title: str,
    names: dict[str, str] | None = None,
    self_url: str | None = None,
    updated: str | None = None,
) -> bytes:
    """An Atom document of open windows (archive.storage.objections.open_objections)."""
    names = names or {}
    entries = [objection_entry(n, names.get(n["site"]) or n["site"]) for n in notices]
    newest = max((n["first_seen"] for n in notices), default=None) or updated or utcnow()
    return _atom(feed_id, title, newest, entries, self_url)


def objection_entry(n: dict, site_name: str) -> dict:
    parts = (n["id"], f"v{n['version']}")  # not the site: a site adopted by a key is renamed
    return {
        "id": "urn:tzgg:objection:" + ":".join(quote(str(p), safe=".-_") for p in parts),
        "title": f"[公示 closes {n['closes']}] {n.get('title') or '(no title)'} — {site_name}",
        "link": n["url"],
        # its "N days left" changes daily: updated then too, so readers show the new count (and
        # a feed written twice in a day is the same bytes)
        "updated": max(n["first_seen"], _day_start(n)),
        "author": n["site"],
        "category": "objection_window",
        "content": objection_html(n),
    }


def _day_start(n: dict) -> str:
    """The start of the day the list was made for (Asia/Shanghai), as RFC 3339 UTC."""
    from datetime import date, datetime, time, timedelta

    from crawler.schema.times import SHANGHAI, format_utc

    today = date.fromisoformat(n["closes"][:10]) - timedelta(days=n["days_left"])
    return format_utc(datetime.combine(today, time(0), SHANGHAI))


def objection_html(n: dict) -> str:
    e, w = html.escape, n["objection_window"] or {}
    days = n["days_left"]
    left = "closes today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    rough = " (estimated: working days counted Monday to Friday)" if w.get("approximate") else ""
    contact = (n.get("contact") or {}).get("text")
    parts = [
        f"<p><strong>{e(w.get('text') or '')}</strong></p>",
        _items(
            [
                ("opens", w.get("start")),
                ("closes", f"{n['closes']} — {left}{rough}"),
                ("published", n.get("published")),
                ("contact", contact),
            ]
        ),
        f'<p><a href="{e(n["url"])}">{e(n["url"])}</a></p>',
    ]
    return "\n".join(p for p in parts if p)


# -- the document ---------------------------------------------------------------------------


def _atom(feed_id: str, title: str, updated: str, entries: list[dict], self_url) -> bytes:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        ours = package_version("tzgg")
    except PackageNotFoundError:
        ours = None
    fg = FeedGenerator()
    fg.id(_safe(feed_id))
    fg.title(_safe(title))
    fg.updated(parse_utc(updated))
    fg.generator("tzgg", version=ours, uri="https://github.com/tzgg/tzgg")
    if self_url:
        fg.link(href=self_url, rel="self", type="application/atom+xml")
    for item in entries:
        fe = fg.add_entry(order="append")
        fe.id(_safe(item["id"]))
        fe.title(_safe(item["title"]))
        fe.link(href=item["link"], rel="alternate")
        fe.updated(parse_utc(item["updated"]))
        fe.published(parse_utc(item["updated"]))
        fe.author({"name": _safe(item["author"])})
        fe.category({"term": item["category"]})
        fe.content(_safe(item["content"]), type="html")
    return fg.atom_str(pretty=True)


def _safe(text: str) -> str:
    return _NOT_XML.sub("", text)
