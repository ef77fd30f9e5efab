"""`tzgg export`: the archive as it stood at a moment, as JSONL, CSV, WARC, WACZ or a BagIt bag.

Every format streams from the archive (one notice, one capture at a time) and is written to
`<output>.partial` first, then renamed: an export that fails leaves no file that looks whole.
What it would replace and is not its own (an SQLite file, a `.partial` it did not just make) and
what would stop the rename (a bag onto a symbolic link) are refused before any work."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

# The records and their text formats are records.py's (the bag writes them too); re-exported.
from archive.export.records import (  # noqa: F401
    CSV_COLUMNS,
    REDACTION_NOTE,
    Counted,
    csv_columns,
    notice_records,
    redact,
    redact_text,
    write_csv,
    write_jsonl,
)

FORMATS = ("warc", "wacz", "jsonl", "csv", "bagit")


class ExportError(Exception):
    """A problem the user can act on (one line)."""


# -- files ----------------------------------------------------------------------------------


@contextmanager
def atomic_path(path: Path, *, folder: bool = False, force: bool = False):
    """Yield a `.partial` path beside `path`; rename it to `path` when the block succeeds.
    Everything that would stop the rename, or replace what is not ours, is refused first."""
    if folder and path.is_symlink():  # the bag could not be renamed onto it
        raise ExportError(f"{path} is a symbolic link; give the path of a new folder")
    if path.exists():
        if folder:
            if not path.is_dir() or any(path.iterdir()):
                raise ExportError(f"{path} exists and is not an empty folder")
        elif path.is_dir():
            raise ExportError(f"{path} is a folder")
        elif is_sqlite(path):  # an archive, perhaps this one: never replaced
            raise ExportError(f"{path} is an SQLite database; it is never replaced by an export")
        elif not force:
            raise ExportError(f"{path} exists (pass --force to replace it)")
    if not path.parent.is_dir():
        raise ExportError(f"folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".partial")
    if tmp.exists() or tmp.is_symlink():  # an interrupted export's, or someone else's
        if is_sqlite(tmp):
            raise ExportError(f"{tmp} is an SQLite database; it is never replaced by an export")
        if not force:
            raise ExportError(f"{tmp} exists (left by an interrupted export? --force replaces it)")
        _remove(tmp)
    try:
        yield tmp
        if folder and path.exists():
            path.rmdir()
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def is_sqlite(path: str | os.PathLike) -> bool:
    """Whether `path` is an SQLite database (an archive, perhaps): never an export's to replace."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _remove(path: Path) -> None:
    if path.is_symlink():  # the link, never what it points to
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def export(conn: sqlite3.Connection, fmt: str, output, **kw) -> dict:
    """Write the export (see `_export`) from one read snapshot: a crawl committing meanwhile
    cannot make one part of it disagree with another."""
    level, conn.isolation_level = conn.isolation_level, None
    conn.execute("BEGIN")
    try:
        return _export(conn, fmt, output, **kw)
    finally:
        conn.execute("ROLLBACK")
        conn.isolation_level = level


def _export(
    conn: sqlite3.Connection,
    fmt: str,
    output: str | os.PathLike,
    *,
    at: str,
    site=None,  # a site, or a list of them (a region's)
    history: bool = False,
    redacted: bool = False,
    force: bool = False,
    raw_csv: bool = False,
    owner: str | None = None,
) -> dict:
    """Write the export; return a summary (counts, paths).  `owner`: who keeps the archive
    (a bag's Source-Organization)."""
    output = Path(output)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if redacted and fmt in ("warc", "wacz"):
        raise ExportError(
            "--redact applies to text exports (jsonl, csv, bagit); a WARC keeps the original bytes"
        )
    if raw_csv and fmt != "csv":
        raise ExportError("--raw-csv applies to --format csv")
    if fmt in ("jsonl", "csv"):
        with atomic_path(output, force=force) as tmp:
            records = notice_records(conn, at, site=site, history=history, redacted=redacted)
            counted = Counted(records)
            if fmt == "jsonl":
                with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                    write_jsonl(counted, fh)
            else:  # Excel reads UTF-8 only with a BOM
                with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                    write_csv(counted, fh, raw=raw_csv)
        summary = {"format": fmt, "output": str(output)} | counted.summary(history)
        return summary | {"as_of": at}
    from archive.export import bag, warc

    if fmt == "warc":
        cdxj = Path(f"{output}.cdxj")
        with atomic_path(output, force=force) as tmp, atomic_path(cdxj, force=force) as tmp_cdxj:
            stats = warc.write_warc(conn, tmp, tmp_cdxj, at=at, site=site, filename=output.name)
        return {"format": fmt, "output": str(output), "index": str(cdxj), "as_of": at} | stats
    if fmt == "wacz":
        with atomic_path(output, force=force) as tmp:
            stats = bag.write_wacz(conn, tmp, at=at, site=site)
        return {"format": fmt, "output": str(output), "as_of": at} | stats
    with atomic_path(output, folder=True, force=force) as tmp:
        stats = bag.write_bag(
            conn, tmp, at=at, site=site, history=history, redacted=redacted, owner=owner
        )
    return {"format": fmt, "output": str(output), "as_of": at} | stats
