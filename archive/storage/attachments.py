"""Archived attachments: their texts, their captures' outcomes, and the SHA-256 each notice
version lists them with.

A version's attachment entries carry `sha256` and `size` once the bytes are known.  Entries
without them (never downloaded, or the download failed) take them from the version before,
so a failed download is never an edit; a first download of a file already listed fills them
in place, so it is not one either."""

from __future__ import annotations

import hashlib
import sqlite3

from archive.storage.headers import unpack

OK, NOT_MODIFIED, FAILED = "attachment", "attachment_not_modified", "attachment_failed"


def file_sha(f: dict) -> str | None:
    """The SHA-256 of the bytes an attachment fetch stands for (None when it failed): its
    body's, or for a 304 the one the spider carried forward.  Sets f['sha256']."""
    if _ok(f):
        f["sha256"] = hashlib.sha256(f["body"]).hexdigest()
    elif f.get("status") != 304:
        f["sha256"] = None
    return f.get("sha256")


def _ok(f: dict) -> bool:
    status = f.get("status")
    return status is not None and 200 <= status < 300 and not f.get("error") and bool(f.get("body"))


def outcome(f: dict) -> str:
    if _ok(f):
        return OK
    if f.get("status") == 304 and f.get("sha256"):
        return NOT_MODIFIED
    why = f.get("error") or f"http_{f.get('status')}"
    return f"{FAILED}:{why}"


def store_texts(c: sqlite3.Connection, files: list[dict], texts: list[dict]) -> None:
    """One row per distinct file, written once: a version's search document is built from
    it, so it must never change under an indexed version."""
    rows = [(f["sha256"], f.get("content_type"), f.get("text"), f.get("text_error")) for f in files]
    rows += [(t["sha256"], t.get("content_type"), t.get("text"), t.get("error")) for t in texts]
    c.executemany(
        "INSERT OR IGNORE INTO attachment_texts (sha256, content_type, text, error)"
        " VALUES (?, ?, ?, ?)",
        [r for r in rows if r[0]],
    )


def drop_unknown(c: sqlite3.Connection, notice: dict) -> None:
    """Forget a sha256 the archive holds no text row for (a file another notice's record was
    to store): a version lists only files whose text row exists before it is indexed."""
    entries = [a for a in notice.get("attachments") or [] if a.get("sha256")]
    if not entries:
        return
    shas = sorted({a["sha256"] for a in entries})
    known = {
        r[0]
        for r in c.execute(
            f"SELECT sha256 FROM attachment_texts WHERE sha256 IN ({','.join('?' * len(shas))})",
            shas,
        )
    }
    for a in entries:
        if a["sha256"] not in known:
            a.pop("sha256", None)
            a.pop("size", None)


def carry(old: list[dict], new: list[dict]) -> None:
    """Entries of `new` without a sha256 take the one the same URL had in `old`."""
    before = {a["url"]: a for a in old if a.get("sha256")}
    for a in new:
        prev = before.get(a["url"])
        if prev is not None and not a.get("sha256"):
            a["sha256"] = prev["sha256"]
            if prev.get("size") is not None:
                a["size"] = prev["size"]


def baseline(old: list[dict], new: list[dict]) -> bool:
    """Fill in `old` (in place) the sha256 of files it listed unknown and `new` knows; True
    when there was any."""
    known = {a["url"]: a for a in new if a.get("sha256")}
    filled = False
    for a in old:
        if not a.get("sha256") and a["url"] in known:
            a["sha256"] = known[a["url"]]["sha256"]
            if known[a["url"]].get("size") is not None:
                a["size"] = known[a["url"]]["size"]
            filled = True
    return filled


def without_shas(entries: list[dict]) -> list[dict]:
    return [{"name": a["name"], "url": a["url"]} for a in entries]


def last_known(c: sqlite3.Connection, site: str, entries: list[dict]) -> list[dict]:
    """`entries`, those without a sha256 filled from the last archived bytes of their URL."""
    out = []
    for a in entries:
        a = dict(a)
        if not a.get("sha256"):
            row = c.execute(
                "SELECT c.body_sha256, b.size, max(c.id) FROM captures c JOIN bodies b"
                " ON b.sha256 = c.body_sha256 WHERE c.kind = 'attachment' AND c.site = ?"
                " AND c.url = ? AND c.outcome IN (?, ?)",
                (site, a["url"], OK, NOT_MODIFIED),
            ).fetchone()
            if row is not None and row[0]:
                a["sha256"], a["size"] = row[0], row[1]
        out.append(a)
    return out


def validators(c: sqlite3.Connection, site: str) -> dict[str, dict]:
    """URL -> {etag, last_modified, sha256, size} of the last download of each of the site's
    attachments: a recrawl asks with them, and a 304 means those bytes."""
    out = {}
    for url, headers, sha, size, _ in c.execute(
        "SELECT c.url, c.headers, c.body_sha256, b.size, max(c.id) FROM captures c"
        " JOIN bodies b ON b.sha256 = c.body_sha256"
        " WHERE c.kind = 'attachment' AND c.site = ? AND c.outcome = ? GROUP BY c.url",
        (site, OK),
    ):
        h = {k.lower(): v for k, v in unpack(headers)}
        out[url] = {
            "etag": h.get("etag"),
            "last_modified": h.get("last-modified"),
            "sha256": sha,
            "size": size,
        }
    return out
