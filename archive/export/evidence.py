"""An evidence bundle: one notice, whole, as a WACZ (`tzgg evidence`, and the web UI's download).

It holds exactly that notice's captures, as the full WACZ export writes them (request, response,
revisit and metadata records, with the redirects each fetch followed): every capture of the
notice at each URL it was seen at (and those of its URLs from before the archive knew them as
its own, a first fetch that failed), its continuation pages, and its attachments' captures by
URL (bytes where they were kept), whichever notice's page a crawl fetched the file from (a
file two notices link to is fetched once a crawl).  Then what the archive made of them, as
`resource` records, dated when the bundle was made:

    urn:tzgg:notice:<id>                the notice: its URLs, site, status, first and last seen
    urn:tzgg:notice:<id>:version:<n>    each version, as `tzgg show --json` gives it (JSON)
    urn:tzgg:notice:<id>:events         its events, oldest first (JSON)
    urn:tzgg:notice:<id>:diff:<a>-<b>   each edit, rendered (HTML, <del> and <ins>)

pages.jsonl lists each version's page at the capture that made it, and each other URL of the
notice when first seen there.  datapackage.json lists every file of the package with its
SHA-256.  Unsigned: the hashes show that the files are intact, not who made them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from archive.export import ExportError, atomic_path
from archive.export.bag import package_wacz, write_pages
from archive.export.warc import write_warc
from archive.storage.diff import render_diff_html
from archive.storage.queries import find_notice, notice_history
from crawler.schema.times import utcnow

UNSIGNED = (
    "Unsigned: the SHA-256 of each file in datapackage.json shows that the package is intact,"
    " not who made it."
)
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"

# Captures with no notice id at the notice's URLs (fetched before the archive knew the URL as
# the notice's) and its continuation pages: found among the site's runs, as captures have no
# index by URL (`captures_run` leads with the run; the `+` keeps SQLite off the notice-id
# index, whose NULLs are every listing page of every site).
_BY_URL = """
INSERT OR IGNORE INTO temp._evidence
SELECT c.id FROM captures c
WHERE c.run_id IN (SELECT id FROM runs WHERE site = :site) AND c.site = :site
 AND +c.notice_id IS NULL AND (
  c.kind = 'detail' AND (c.url IN (SELECT value FROM json_each(:urls))
   OR c.final_url IN (SELECT value FROM json_each(:urls)))
  OR c.kind = 'part' AND c.url IN (SELECT value FROM json_each(:parts)))
"""
_FILES = """
INSERT OR IGNORE INTO temp._evidence
SELECT id FROM captures WHERE kind = 'attachment' AND site = :site
 AND url IN (SELECT value FROM json_each(:files))
"""


def resolve_notice(conn: sqlite3.Connection, key: str) -> str:
    """The id of the notice `key` names (its id, or any URL it was seen at)."""
    nid = find_notice(conn, key)
    if nid is None:
        raise ExportError(f"no notice {key!r} in the archive")
    return nid


def write_evidence(conn: sqlite3.Connection, nid: str, path: Path, *, force: bool = False) -> dict:
    """Write notice `nid`'s evidence bundle, a WACZ, to `path` (through `path.partial`: never
    over an existing file without `force`, never over an SQLite file); return a summary:
    the notice, the output, the time it stands at, its captures (`captures`: of its pages;
    `attachments`: of its files), `resources`, `pages` and the WARC's `records` by type."""
    path = Path(path)
    with _snapshot(conn):
        if conn.execute("SELECT 1 FROM notices WHERE id = ?", (nid,)).fetchone() is None:
            raise ExportError(f"no notice {nid!r} in the archive")
        at = utcnow()  # after the snapshot began: every capture it holds is by then
        h = notice_history(conn, nid)
        with atomic_path(path, force=force) as tmp:
            stats = _write(conn, h, tmp, at)
    return {"notice": nid, "url": h["url"], "output": str(path), "as_of": at} | stats


def _write(conn: sqlite3.Connection, h: dict, path: Path, at: str) -> dict:
    def fill(warc: Path, pages: Path) -> dict:
        stats = write_warc(
            conn,
            warc,
            warc.with_name("index.cdxj"),
            at=at,
            site=h["site"],
            filename=warc.name,
            only="temp._evidence",
            resources=_resources(h),
            description=f"tzgg evidence bundle of notice {h['id']} <{h['url']}> as of {at}",
        )
        return stats | {"pages": write_pages(pages, _pages(conn, h), "Notice")}

    try:
        counts = _select(conn, h, at)
        title = f"tzgg evidence: {h['versions'][-1]['title'] or h['url']} ({h['id']})"
        stats = package_wacz(path, fill, title=title, description=UNSIGNED)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp._evidence")
    return counts | {"resources": stats["records"].get("resource", 0)} | stats


@contextmanager
def _snapshot(conn: sqlite3.Connection):
    """One read transaction for every query of the bundle (a crawl committing meanwhile
    cannot make its parts disagree), rows read by name; the connection as it was after."""
    factory, conn.row_factory = conn.row_factory, sqlite3.Row
    conn.execute("SAVEPOINT tzgg_evidence")
    try:
        yield
    finally:
        conn.execute("RELEASE tzgg_evidence")
        conn.row_factory = factory


def _select(conn: sqlite3.Connection, h: dict, at: str) -> dict:
    """Fill temp._evidence with the ids of the notice's captures; count them by kind."""
    nid, site = h["id"], h["site"]
    rows = conn.execute("SELECT url, canonical_url FROM notice_urls WHERE notice_id = ?", (nid,))
    urls = {u for row in rows for u in row}
    files = {a["url"] for v in h["versions"] for a in v.get("attachments") or []}
    parts = {
        p[0]
        for (raw,) in conn.execute("SELECT parts FROM versions WHERE notice_id = ?", (nid,))
        for p in json.loads(raw or "[]")
    }
    conn.execute("CREATE TEMP TABLE _evidence (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO temp._evidence SELECT id FROM captures WHERE notice_id = ?", (nid,))
    names = {"site": site, "urls": json.dumps(sorted(urls)), "parts": json.dumps(sorted(parts))}
    conn.execute(_BY_URL, names)
    conn.execute(_FILES, {"site": site, "files": json.dumps(sorted(files))})
    kinds = dict(
        conn.execute(
            "SELECT kind = 'attachment', count(*) FROM captures"
            " WHERE id IN (SELECT id FROM temp._evidence) AND at <= ? GROUP BY 1",
            (at,),
        ).fetchall()
    )
    return {"captures": kinds.get(0, 0), "attachments": kinds.get(1, 0)}


def _resources(h: dict):
    """(urn, content type, bytes) of each document the bundle holds beside the captures, from
    the notice's history (`notice_history`)."""
    urn = f"urn:tzgg:notice:{h['id']}"
    notice = {k: h[k] for k in ("id", "url", "urls", "site", "status", "first_seen", "last_seen")}
    yield urn, JSON_TYPE, _json(notice)
    for v in h["versions"]:
        yield f"{urn}:version:{v['version']}", JSON_TYPE, _json(v)
    yield f"{urn}:events", JSON_TYPE, _json(h["events"])
    for old, new in zip(h["versions"], h["versions"][1:], strict=False):
        diff = render_diff_html(old, new).encode()
        yield f"{urn}:diff:{old['version']}-{new['version']}", HTML_TYPE, diff


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


def _pages(conn: sqlite3.Connection, h: dict):
    """Each version's page at the capture that made it; each other URL when first seen."""
    for v in h["versions"]:
        yield {"url": v["url"], "ts": v["first_seen"], "title": _page_title(v)}
    shown = {v["url"] for v in h["versions"]}
    for url, first_seen in conn.execute(
        "SELECT url, first_seen FROM notice_urls WHERE notice_id = ? ORDER BY first_seen, url",
        (h["id"],),
    ):
        if url not in shown:  # titled as the version current then
            then = [v for v in h["versions"] if v["first_seen"] <= first_seen]
            yield {"url": url, "ts": first_seen, "title": _page_title((then or h["versions"])[-1])}


def _page_title(v: dict) -> str:
    return f"{v['title'] or ''} (version {v['version']})".strip()
