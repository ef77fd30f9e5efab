"""`tzgg export`: the archive as it stood at a moment, as JSONL, CSV, WARC, WACZ or a BagIt bag.

Every format streams from the archive (one notice, one capture at a time) and is written to
`<output>.partial` first, then renamed: an export that fails leaves no file that looks whole.
What it would replace and is not its own (an SQLite file, a `.partial` it did not just make) and
what would stop the rename (a bag onto a symbolic link) are refused before any work."""

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

from archive.storage.asof import notices_as_of

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


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) sends
# the reader's data away): OWASP's CSV injection list.  Such a text cell gets a leading `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(name: str, value, *, raw: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):  # a number is a value, never a formula: as it is
        return str(value)
    if name == "attachments":
        text = " | ".join(f"{a.get('name') or ''} <{a['url']}>" for a in value)
    elif isinstance(value, list):
        text = " | ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if raw or not text.startswith(FORMULA_STARTS) else "'" + text


def write_jsonl(records: Iterable[dict], fh) -> int:
    n = 0
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False))
        fh.write("\n")
        n += 1
    return n


def write_csv(records: Iterable[dict], fh, *, raw: bool = False) -> int:
    """CSV for spreadsheets: a text cell a spreadsheet would run as a formula starts with `'`
    (unless `raw`)."""
    w = csv.writer(fh)
    w.writerow(CSV_COLUMNS)
    n = 0
    for r in records:
        w.writerow([_csv_cell(c, r.get(c), raw=raw) for c in CSV_COLUMNS])
        n += 1
    return n


class Counted:
    """Records passed through, counting them and the notices they belong to (a history has
    several records, one per version, of one notice, and they come together)."""

    def __init__(self, records: Iterable[dict]):
        self.records, self.versions, self.notices = records, 0, 0

    def __iter__(self):
        last = None
        for r in self.records:
            self.versions += 1
            if r["id"] != last:
                self.notices, last = self.notices + 1, r["id"]
            yield r

    def summary(self, history: bool) -> dict:
        return {"notices": self.notices} | ({"versions": self.versions} if history else {})


def notice_records(conn, at: str, *, site=None, history=False, redacted=False):
    records = notices_as_of(conn, at, site=site, history=history)
    return (redact(r) for r in records) if redacted else records


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
