"""Re-derive every version from its stored raw body when the extractor improves.

Versions are rewritten in place (their fields and hash); no events are raised."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable

from archive.storage.attachments import carry
from archive.storage.db import ArchiveError
from archive.storage.search import index_version, settle, unindex_version
from archive.storage.versioning import column_values, version_hash
from crawler.parse.notice.parts import join_parts
from crawler.schema.records import EXTRACTOR_VERSION


def reextract_all(conn: sqlite3.Connection, extract: Callable) -> tuple[int, int, list[str]]:
    """Return (versions re-extracted, versions whose fields changed, the failures: a line
    each for a version this extractor could not read, left as it was).

    Each version is read with the overrides of the site its notice is filed under, as a crawl
    of that site reads it (`extract.for_site`, when the extractor has sites)."""
    conn.isolation_level = None
    keys = conn.execute(
        "SELECT v.notice_id, v.version, v.hash, v.url, n.site FROM versions v"
        " JOIN notices n ON n.id = v.notice_id ORDER BY n.site"
    ).fetchall()
    done = changed = 0
    failed = []
    bound: dict[str, Callable] = {}
    for nid, version, old, url, site in keys:
        if site not in bound:
            bound[site] = _for_site(conn, extract, site, url)
        conn.execute("BEGIN IMMEDIATE")
        try:
            h = rederive(conn, nid, version, bound[site])
        except Exception as exc:  # one unreadable page must not stop the rest
            conn.execute("ROLLBACK")
            failed.append(f"{url} (version {version}): {type(exc).__name__}: {exc}")
            continue
        settle(conn)  # the versions queued for the search indexes
        conn.execute("COMMIT")
        if h is not None:
            done += 1
            changed += h != old
    return done, changed, failed


def _for_site(conn: sqlite3.Connection, extract: Callable, site: str, url: str) -> Callable:
    """`extract` bound to the site's overrides.  A site filed under a host name (no registry
    key) is resolved by the listings its last run walked, as the next crawl of them will
    (archive/storage/store.py `rederive_site`), else by the notice's URL."""
    if not hasattr(extract, "for_site"):
        return extract
    row = conn.execute(
        "SELECT listing_urls FROM runs WHERE site = ? ORDER BY id DESC LIMIT 1", (site,)
    ).fetchone()
    urls = json.loads(row[0] or "[]") if row is not None else []
    return extract.for_site(site, urls or [url])


def rederive(conn: sqlite3.Connection, nid: str, version: int, extract: Callable) -> str | None:
    """Re-extract one version from its stored pages and rewrite it in place; its new hash,
    or None when its body is not stored.  (Within the caller's transaction.)"""
    r = conn.execute(
        "SELECT v.url, v.encoding, v.parts, v.attachments, b.data FROM versions v"
        " JOIN bodies b ON b.sha256 = v.body_sha256 WHERE v.notice_id = ? AND v.version = ?",
        (nid, version),
    ).fetchone()
    if r is None:
        return None
    notice = extract(zlib.decompress(r["data"]), r["url"], r["encoding"])
    if r["parts"]:
        refs = json.loads(r["parts"])
        parts = [extract(_stored(conn, url, sha), url, r["encoding"]) for url, sha in refs]
        notice = join_parts(notice, parts)
    notice = notice.to_dict()
    # the page names the files; their bytes are known from the crawls only
    carry(json.loads(r["attachments"] or "[]"), notice["attachments"])
    h = version_hash(notice)
    tag = extract.tag(r["url"]) if hasattr(extract, "tag") else EXTRACTOR_VERSION
    unindex_version(conn, nid, version)
    values = column_values(notice) | {"hash": h, "extractor_version": tag}
    conn.execute(
        f"UPDATE versions SET {', '.join(f'{k}=?' for k in values)}"
        " WHERE notice_id=? AND version=?",
        [*values.values(), nid, version],
    )
    index_version(conn, nid, version)
    return h


def _stored(conn: sqlite3.Connection, url: str, sha: str) -> bytes:
    """A continuation page's body, as the version that joined it saw it."""
    row = conn.execute("SELECT data FROM bodies WHERE sha256 = ?", (sha,)).fetchone()
    if row is None:
        raise ArchiveError(f"the archive lacks the stored page {url} ({sha[:12]})")
    return zlib.decompress(row["data"])
