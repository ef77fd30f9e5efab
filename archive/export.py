"""`tzgg export`: the archive as it stood at a moment, as JSONL, CSV, WARC, WACZ or a BagIt bag.

Every format streams from the archive (one notice, one capture at a time) and is written to
`<output>.partial` first, then renamed: an export that fails leaves no file that looks whole."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from .asof import notices_as_of

FORMATS = ("warc", "wacz", "jsonl", "csv", "bagit")


class ExportError(Exception):
    """A problem the user can act on (one line)."""


# -- redaction ------------------------------------------------------------------------------

# 18-digit resident ID numbers (the last may be X) and mainland mobile numbers (after +86 too),
# not inside a longer run of digits (a 文号 or an account number is left alone).  Matched on
# the text with full-width digits folded: the fold keeps every length, so spans carry over.
_ID = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx](?![0-9])"
)
_MOBILE = re.compile(
    r"(?:(?<=\+86)|(?<=\+86[- ])|(?<![0-9]))1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])"
)
_FOLD = str.maketrans("０１２３４５６７８９ＸｘＫ－＋", "0123456789XxK-+")


def redact_text(text: str) -> str:
    folded = text.translate(_FOLD)
    spans = [m.span() for rx in (_ID, _MOBILE) for m in rx.finditer(folded)]
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = "*" * (b - a)
    return "".join(chars)


# Free text, where people's numbers are written; ids, URLs and digests are left alone.
_FREE_TEXT = ("title", "body", "source", "breadcrumb", "contact", "objection_window")


def _redact_value(value):
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def redact(record: dict) -> dict:
    """`record` with every ID and mobile number in its free text masked (same length, `*`)."""
    out = dict(record)
    for name in _FREE_TEXT:
        if name in out:
            out[name] = _redact_value(out[name])
    if out.get("attachments"):
        out["attachments"] = [
            a | {"name": redact_text(a["name"] or "")} for a in out["attachments"]
        ]
    return out


REDACTION_NOTE = "18-digit 身份证号 and mobile numbers masked with * in the text exports"

# -- JSONL and CSV --------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "site",
    "status",
    "status_since",
    "removed_reason",
    "title",
    "published",
    "written",
    "source",
    "doc_number",
    "index_number",
    "url",
    "urls",
    "version",
    "valid_from",
    "valid_to",
    "first_seen",
    "last_seen",
    "changed",
    "breadcrumb",
    "attachments",
    "objection_window",
    "contact",
    "body",
    "version_url",
    "extractor_version",
)


def _csv_cell(name: str, value) -> str:
    if value is None:
        return ""
    if name == "attachments":
        return " | ".join(f"{a.get('name') or ''} <{a['url']}>" for a in value)
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_jsonl(records: Iterable[dict], fh) -> int:
    n = 0
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False))
        fh.write("\n")
        n += 1
    return n


def write_csv(records: Iterable[dict], fh) -> int:
    w = csv.writer(fh)
    w.writerow(CSV_COLUMNS)
    n = 0
    for r in records:
        w.writerow([_csv_cell(c, r.get(c)) for c in CSV_COLUMNS])
        n += 1
    return n


def notice_records(conn, at: str, *, site=None, history=False, redacted=False):
    records = notices_as_of(conn, at, site=site, history=history)
    return (redact(r) for r in records) if redacted else records


# -- files ----------------------------------------------------------------------------------


@contextmanager
def atomic_path(path: Path, *, folder: bool = False, force: bool = False):
    """Yield a `.partial` path beside `path`; rename it to `path` when the block succeeds."""
    if path.exists():
        if folder:
            if not path.is_dir() or any(path.iterdir()):
                raise ExportError(f"{path} exists and is not an empty folder")
        elif path.is_dir():
            raise ExportError(f"{path} is a folder")
        elif _is_sqlite(path):  # an archive, perhaps this one: never replaced
            raise ExportError(f"{path} is an SQLite database; it is never replaced by an export")
        elif not force:
            raise ExportError(f"{path} exists (pass --force to replace it)")
    if not path.parent.is_dir():
        raise ExportError(f"folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".partial")
    _remove(tmp)
    try:
        yield tmp
        if folder and path.exists():
            path.rmdir()
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir():
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
) -> dict:
    """Write the export; return a summary (counts, paths)."""
    output = Path(output)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if redacted and fmt in ("warc", "wacz"):
        raise ExportError(
            "--redact applies to text exports (jsonl, csv, bagit); a WARC keeps the original bytes"
        )
    if fmt in ("jsonl", "csv"):
        with atomic_path(output, force=force) as tmp:
            records = notice_records(conn, at, site=site, history=history, redacted=redacted)
            if fmt == "jsonl":
                with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                    n = write_jsonl(records, fh)
            else:  # Excel reads UTF-8 only with a BOM
                with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                    n = write_csv(records, fh)
        return {"format": fmt, "output": str(output), "notices": n, "as_of": at}
    from . import bag, warc

    if fmt == "warc":
        cdxj = Path(f"{output}.cdxj")
        with atomic_path(output, force=force) as tmp, atomic_path(cdxj, force=True) as tmp_cdxj:
            stats = warc.write_warc(conn, tmp, tmp_cdxj, at=at, site=site, filename=output.name)
        return {"format": fmt, "output": str(output), "index": str(cdxj), "as_of": at} | stats
    if fmt == "wacz":
        with atomic_path(output, force=force) as tmp:
            stats = bag.write_wacz(conn, tmp, at=at, site=site)
        return {"format": fmt, "output": str(output), "as_of": at} | stats
    with atomic_path(output, folder=True) as tmp:
        stats = bag.write_bag(conn, tmp, at=at, site=site, history=history, redacted=redacted)
    return {"format": fmt, "output": str(output), "as_of": at} | stats
