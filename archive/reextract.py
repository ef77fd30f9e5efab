"""Re-derive every version from its stored raw body when the extractor improves.

Versions are rewritten in place (their fields and hash); no events are raised."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable

from crawler.items import EXTRACTOR_VERSION, VERSION_FIELDS

from .versioning import version_hash

# What extraction derives, beside attachments and breadcrumb (stored as JSON).
_FIELDS = tuple(f for f in VERSION_FIELDS if f != "attachments") + ("body_html",)


def reextract_all(conn: sqlite3.Connection, extract: Callable) -> tuple[int, int]:
    """Return (versions re-extracted, versions whose fields changed)."""
    conn.isolation_level = None
    rows = conn.execute(
        "SELECT v.notice_id, v.version, v.url, v.encoding, v.hash, b.data FROM versions v"
        " JOIN bodies b ON b.sha256 = v.body_sha256"
    ).fetchall()
    done = changed = 0
    for r in rows:
        notice = extract(zlib.decompress(r["data"]), r["url"], r["encoding"]).to_dict()
        h = version_hash(notice)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE versions SET "
            + ", ".join(f"{f}=?" for f in _FIELDS)
            + ", attachments=?, breadcrumb=?, hash=?, extractor_version=?"
            " WHERE notice_id=? AND version=?",
            [notice[f] for f in _FIELDS]
            + [
                json.dumps(notice["attachments"], ensure_ascii=False),
                json.dumps(notice["breadcrumb"], ensure_ascii=False),
                h,
                EXTRACTOR_VERSION,
                r["notice_id"],
                r["version"],
            ],
        )
        conn.execute("COMMIT")
        done += 1
        changed += h != r["hash"]
    return done, changed
