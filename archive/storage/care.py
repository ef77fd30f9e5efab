"""Archive care: check every stored byte against its hash, and copy the archive consistently
while a crawl writes to it.  No Scrapy."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zlib
from pathlib import Path

from archive.storage.db import sqlite_uri


def verify(conn: sqlite3.Connection, progress=None) -> dict:
    """Re-hash every stored body (pages, joined parts, attachments) and run SQLite's
    integrity_check.  Reads one snapshot, so a crawl may run meanwhile.  Returns
    {"bodies", "bytes", "bad": [{"sha256", "why"}], "integrity": [messages] (["ok"] when
    whole), "missing": [sha256 a capture names as kept but that is not stored]}."""
    bad, n, total = [], 0, 0
    conn.execute("BEGIN")  # one read snapshot for the whole check
    try:
        for sha, size, data in conn.execute("SELECT sha256, size, data FROM bodies"):
            n += 1
            try:
                raw = zlib.decompress(data)
            except zlib.error as exc:
                bad.append({"sha256": sha, "why": f"cannot decompress: {exc}"})
                continue
            total += len(raw)
            if len(raw) != size:
                bad.append({"sha256": sha, "why": f"{len(raw)} bytes, recorded {size}"})
            elif hashlib.sha256(raw).hexdigest() != sha:
                bad.append({"sha256": sha, "why": "its bytes hash to another sha256"})
            if progress is not None and n % 1000 == 0:
                progress(n)
        missing = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT c.body_sha256 FROM captures c WHERE c.body_stored = 1"
                " AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.sha256 = c.body_sha256)"
            )
        ]
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.execute("ROLLBACK")
    return {"bodies": n, "bytes": total, "bad": bad, "missing": missing, "integrity": integrity}


def backup(conn: sqlite3.Connection, path: str | os.PathLike) -> dict:
    """A consistent copy of the archive (VACUUM INTO: one snapshot, compacted), written
    beside `path` and renamed into place once SQLite says the copy is whole."""
    path = Path(path).absolute()  # an absolute name is never read as a `file:` URI
    tmp = partial_path(path)
    _remove_copy(tmp)
    try:
        conn.execute("VACUUM INTO ?", (str(tmp),))
        copy = sqlite3.connect(sqlite_uri(tmp, "ro"), uri=True)
        try:
            check = [r[0] for r in copy.execute("PRAGMA quick_check")]
            notices = copy.execute("SELECT count(*) FROM notices").fetchone()[0]
        finally:
            copy.close()
        if check != ["ok"]:
            raise sqlite3.DatabaseError(f"the copy does not check: {check[0]}")
        os.replace(tmp, path)
    except BaseException:
        _remove_copy(tmp)
        raise
    return {"path": str(path), "bytes": path.stat().st_size, "notices": notices}


def partial_path(path: str | os.PathLike) -> Path:
    """Where a backup to `path` is written until it checks."""
    path = Path(path)
    return path.with_name(path.name + ".partial")


def _remove_copy(tmp: Path) -> None:
    # with its rollback journal, which a VACUUM INTO that failed (a full disk) leaves behind
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
