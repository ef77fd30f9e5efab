"""Packages: a WACZ (with the `wacz` package) and a BagIt bag (with `bagit`).

The bag holds the WARC and its index, the notices as JSONL, and every attachment archived by
the as-of time, named by its SHA-256 (never by a name from the site), with
`manifest-sha256.txt` and a `bag-info.txt` naming the archive's keeper (Source-Organization,
when given), the sites, the as-of time and tzgg's version."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
import tempfile
import threading
import time
import zlib
from importlib.metadata import version as package_version
from pathlib import Path

import bagit

from archive.export.records import REDACTION_NOTE, Counted, notice_records, write_jsonl
from archive.export.warc import write_warc
from archive.storage.asof import notices_as_of, site_clause, sites_as_of
from archive.storage.locks import file_lock, held_elsewhere
from crawler.parse.files.kinds import safe_attachment_name

STAGING = ".tzgg-wacz-"
_PACKAGING = threading.Lock()  # wacz's progress goes to sys.stdout, which the process shares
STALE_UNLOCKED_S = 60  # a staging folder with no lock yet is being made, unless older


def write_wacz(conn: sqlite3.Connection, path: Path, *, at: str, site: str | None) -> dict:
    def fill(warc: Path, pages: Path) -> dict:
        stats = write_warc(
            conn, warc, warc.with_name("index.cdxj"), at=at, site=site, filename=warc.name
        )
        return stats | {"pages": _write_pages(conn, pages, at=at, site=site)}

    return package_wacz(path, fill, title=f"tzgg archive as of {at}")


def package_wacz(path: Path, fill, *, title: str, description: str | None = None) -> dict:
    """A WACZ at `path` of the WARC and the pages.jsonl that `fill(warc, pages)` writes to the
    paths it is given (in a staging folder); every file's SHA-256 in its datapackage.json.
    Returns what `fill` returns."""
    from wacz.main import main as wacz_main

    sweep_staging(path.parent)
    # staged beside the output, not in $TMPDIR (often RAM-backed, and small); locked while in
    # use, so a later export knows a folder left by a killed one from one still at work
    with tempfile.TemporaryDirectory(prefix=STAGING, dir=path.parent) as tmp, _held(tmp):
        warc, pages = Path(tmp) / "tzgg.warc.gz", Path(tmp) / "pages.jsonl"
        stats = fill(warc, pages)
        args = ["create", "-o", str(path), str(warc), "-p", str(pages), "--copy-pages"]
        args += ["--hash-type", "sha256", "--title", title]
        args += ["--desc", description] if description else []
        # it prints its progress; stdout is the process's, so one packaging at a time (the
        # web UI makes bundles on several threads)
        with _PACKAGING, contextlib.redirect_stdout(io.StringIO()):
            if wacz_main(args):
                raise RuntimeError("the wacz package could not package the WARC")
    return stats


def _held(folder: str):
    """The staging folder's lock, while an export works in it (a sweep only tests it)."""
    return file_lock(Path(folder) / "lock", f"the staging folder {folder} is in use", wait=60)


def sweep_staging(folder: Path) -> list[Path]:
    """Remove the WACZ staging folders in `folder` that no export holds (left by one that was
    killed); return them."""
    swept = []
    for d in folder.glob(STAGING + "*"):
        try:
            if d.is_symlink() or not d.is_dir() or _in_use(d):
                continue
        except OSError:  # gone meanwhile, or not ours to read
            continue
        shutil.rmtree(d, ignore_errors=True)
        swept.append(d)
    return swept


def _in_use(staging: Path) -> bool:
    try:
        return held_elsewhere(staging / "lock")
    except FileNotFoundError:  # just made (its lock comes next), or left before it had one
        return time.time() - staging.stat().st_mtime < STALE_UNLOCKED_S


def _write_pages(conn, path: Path, *, at: str, site: str | None) -> int:
    """pages.jsonl: each notice's page at the capture that made its version then."""
    pages = (
        {"url": r["version_url"], "ts": r["valid_from"], "title": r["title"] or ""}
        for r in notices_as_of(conn, at, site=site)
    )
    return write_pages(path, pages)


def write_pages(path: Path, pages, title: str = "Notices") -> int:
    """A WACZ's pages.jsonl of `pages` ({url, ts, title} each); how many."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n")
        for page in pages:
            fh.write(json.dumps(page, ensure_ascii=False) + "\n")
            n += 1
    return n


def _attachments(conn, folder: Path, *, at: str, site: str | None) -> int:
    """Copy each attachment archived by `at` into `folder`; list them in attachments.jsonl."""
    from archive.storage.headers import unpack

    folder.mkdir()
    # the first capture of each distinct file by then (grouped by SQLite, spilling to disk)
    sql = (
        "SELECT c.body_sha256 AS sha, c.url, c.notice_id, c.at, c.headers FROM ("
        " SELECT min(id) AS first FROM captures WHERE kind = 'attachment' AND at <= :t"
        " AND body_sha256 IS NOT NULL {site} GROUP BY body_sha256"
        ") f JOIN captures c ON c.id = f.first ORDER BY c.id"
    )
    clause, names = site_clause("site", site)
    sql = sql.format(site=clause)
    n = 0
    with open(folder.parent / "attachments.jsonl", "w", encoding="utf-8") as index:
        for r in conn.execute(sql, {"t": at, **names}):
            data = conn.execute("SELECT data FROM bodies WHERE sha256 = ?", (r["sha"],)).fetchone()
            if data is None:  # failed or too large: nothing was kept
                continue
            ctype = next((v for k, v in unpack(r["headers"]) if k.lower() == "content-type"), None)
            name = safe_attachment_name(r["sha"], r["url"], None, ctype)
            (folder / name).write_bytes(zlib.decompress(data[0]))
            entry = {
                "path": f"attachments/{name}",
                "sha256": r["sha"],
                "url": r["url"],
                "notice_id": r["notice_id"],
                "first_captured": r["at"],
                "content_type": ctype,
            }
            index.write(json.dumps(entry, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_bag(
    conn: sqlite3.Connection,
    folder: Path,
    *,
    at: str,
    site: str | None,
    history: bool,
    redacted: bool,
    owner: str | None = None,
) -> dict:
    folder.mkdir()
    sites = sites_as_of(conn, at, site)
    with open(folder / "notices.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        records = Counted(notice_records(conn, at, site=site, history=history, redacted=redacted))
        write_jsonl(records, fh)
    stats = records.summary(history)
    if not redacted:  # the original bytes carry the very numbers redaction masks
        warc = folder / "tzgg.warc.gz"
        stats |= write_warc(
            conn, warc, folder / "tzgg.warc.gz.cdxj", at=at, site=site, filename=warc.name
        )
        stats["attachments"] = _attachments(conn, folder / "attachments", at=at, site=site)
    info = {
        "External-Description": f"tzgg archive of 通知公告 notices as it stood at {at}",
        "Tzgg-As-Of": at,
        "Tzgg-Sites": " ".join(sites),
        "Tzgg-Version": package_version("tzgg"),
        "Tzgg-Notices": str(records.notices),
        "Tzgg-History": "every version up to the as-of time" if history else "current versions",
    }
    if history:
        info["Tzgg-Versions"] = str(records.versions)
    if owner:  # who keeps the archive, not the sites it holds (those are Tzgg-Sites)
        info["Source-Organization"] = owner
    if redacted:
        info["Tzgg-Redacted"] = f"{REDACTION_NOTE}; WARC and attachments left out"
    bagit.make_bag(str(folder), info, processes=1, checksums=["sha256"])
    return stats
