"""Packages: a WACZ (with the `wacz` package) and a BagIt bag (with `bagit`).

The bag holds the WARC and its index, the notices as JSONL, and every attachment archived by
the as-of time, named by its SHA-256 (never by a name from the site), with
`manifest-sha256.txt` and a `bag-info.txt` naming the sites, the as-of time and tzgg's version."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tempfile
import zlib
from importlib.metadata import version as package_version
from pathlib import Path

import bagit

from crawler.extract.files import safe_attachment_name

from .asof import notices_as_of, site_clause, sites_as_of
from .export import REDACTION_NOTE, notice_records, write_jsonl
from .warc import write_warc


def write_wacz(conn: sqlite3.Connection, path: Path, *, at: str, site: str | None) -> dict:
    from wacz.main import main as wacz_main

    # staged beside the output, not in $TMPDIR (often RAM-backed, and small)
    with tempfile.TemporaryDirectory(prefix=".tzgg-wacz-", dir=path.parent) as tmp:
        tmp = Path(tmp)
        warc = tmp / "tzgg.warc.gz"
        stats = write_warc(conn, warc, tmp / "index.cdxj", at=at, site=site, filename=warc.name)
        pages = tmp / "pages.jsonl"
        n = _write_pages(conn, pages, at=at, site=site)
        args = ["create", "-o", str(path), str(warc), "-p", str(pages), "--copy-pages"]
        args += ["--hash-type", "sha256"]
        args += ["--title", f"tzgg archive as of {at}"]
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its progress
            if wacz_main(args):
                raise RuntimeError("the wacz package could not package the WARC")
    return stats | {"pages": n}


def _write_pages(conn, path: Path, *, at: str, site: str | None) -> int:
    """pages.jsonl: each notice's page at the capture that made its version then."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Notices"}))
        fh.write("\n")
        for r in notices_as_of(conn, at, site=site):
            page = {"url": r["version_url"], "ts": r["valid_from"], "title": r["title"] or ""}
            fh.write(json.dumps(page, ensure_ascii=False) + "\n")
            n += 1
    return n


def _attachments(conn, folder: Path, *, at: str, site: str | None) -> int:
    """Copy each attachment archived by `at` into `folder`; list them in attachments.jsonl."""
    from .headers import unpack

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
) -> dict:
    folder.mkdir()
    sites = sites_as_of(conn, at, site)
    with open(folder / "notices.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        records = notice_records(conn, at, site=site, history=history, redacted=redacted)
        n = write_jsonl(records, fh)
    stats = {"notices": n}
    if not redacted:  # the original bytes carry the very numbers redaction masks
        warc = folder / "tzgg.warc.gz"
        stats |= write_warc(
            conn, warc, folder / "tzgg.warc.gz.cdxj", at=at, site=site, filename=warc.name
        )
        stats["attachments"] = _attachments(conn, folder / "attachments", at=at, site=site)
    info = {
        "Source-Organization": ", ".join(sites) or "(none)",
        "External-Description": f"tzgg archive of 通知公告 notices as it stood at {at}",
        "Tzgg-As-Of": at,
        "Tzgg-Sites": " ".join(sites),
        "Tzgg-Version": package_version("tzgg"),
        "Tzgg-Notices": str(n),
        "Tzgg-History": "every version up to the as-of time" if history else "current versions",
    }
    if redacted:
        info["Tzgg-Redacted"] = f"{REDACTION_NOTE}; WARC and attachments left out"
    bagit.make_bag(str(folder), info, processes=1, checksums=["sha256"])
    return stats
