"""Captures as WARC 1.1 (with warcio) and the CDXJ index pywb replays it with.

Every capture up to the as-of time, in the order it was archived:
* a `request` and a `response` record with the original status line and headers and the
  stored bytes, `WARC-Date` = capture time;
* bytes already written once, as a `revisit` (identical-payload-digest) referring to them;
* a 304 answer, as a `revisit` (server-not-modified) referring to what the URL served before,
  with an empty block, and its status line and headers in a `metadata` record beside it;
* a capture whose bytes were not kept (a listing page, a notice page that changed only in its
  noise), as a `metadata` record with its URL, status, headers and payload digest, so the record
  of the visit is whole without pretending to hold the page;
* the redirects a fetch followed, as a `metadata` record (archives made before schema 5).
A `metadata` record's target is `urn:tzgg:capture:<id>`, never the page's URL: pywb and the
`wacz` package index every record by its target, and would replay the JSON as the page.
Where the crawler stored a body decompressed, the headers written drop `Content-Encoding`
(and `Transfer-Encoding`) and keep the original values as `X-Tzgg-Orig-*`, and Content-Length
is the stored length, so replay serves the bytes as they are.  Payload digests are the
archive's own SHA-256, base32 as WARC expects."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sqlite3
import zlib
from http import HTTPStatus
from importlib.metadata import version as package_version
from urllib.parse import urlsplit

import surt
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.storage.asof import site_clause
from archive.storage.headers import unpack

NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
GZIP_LEVEL = 6
_RENAMED = {"content-encoding", "transfer-encoding"}
_STATUSES = {s.value for s in HTTPStatus}
_EMPTY = hashlib.sha256(b"").hexdigest()


def payload_digest(sha256_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode()


def warc_timestamp(at: str) -> str:
    """`2026-11-25T05:00:00.123Z` -> `20261125050000` (CDXJ's 14 digits)."""
    return at[:19].replace("-", "").replace(":", "").replace("T", "")


class RawHeaders(StatusAndHeaders):
    """Headers written as the bytes received: the crawler decoded them as latin-1, so encoding
    them back gives the original bytes (warcio would %-encode a GBK filename instead)."""

    def compute_headers_buffer(self, header_filter=None):
        self.headers_buff = self.to_str(header_filter).encode("latin-1", "replace") + b"\r\n"


def response_headers(row, body_len: int | None) -> StatusAndHeaders:
    """The original status line and headers, made true of the stored bytes."""
    return http_headers(
        row["status"],
        row["reason"],
        row["http_version"],
        unpack(row["headers"]),
        row["decoded_from"],
        body_len,
    )


def http_headers(status, reason, protocol, received, decoded_from, body_len) -> RawHeaders:
    headers, had = [], set()
    for name, value in received:
        low = name.lower()
        had.add(low)
        if low in _RENAMED:
            headers.append((f"X-Tzgg-Orig-{name}", value))
        elif low == "content-length" and body_len is not None:
            if value.strip() != str(body_len):
                headers.append((f"X-Tzgg-Orig-{name}", value))
        else:
            headers.append((name, value))
    if decoded_from and "content-encoding" not in had:
        headers.append(("X-Tzgg-Orig-Content-Encoding", decoded_from))
    if body_len is not None:
        headers.append(("Content-Length", str(body_len)))
    reason = reason or HTTPStatus(status).phrase if status in _STATUSES else reason
    return RawHeaders(f"{status} {reason or ''}".strip(), headers, protocol=protocol or "HTTP/1.1")


def request_headers(row, uri: str) -> StatusAndHeaders:
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [(k, v) for k, v in unpack(row["request_headers"])]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    protocol = row["http_version"] or "HTTP/1.1"
    return RawHeaders(f"GET {target} {protocol}", headers, is_http_request=True)


def _mime(headers: StatusAndHeaders) -> str:
    value = headers.get_header("Content-Type") or "unk"
    return value.split(";")[0].strip().lower() or "unk"


class _Writer:
    """A WARCWriter that notes each record's offset and length for the index."""

    def __init__(self, fh, conn: sqlite3.Connection, filename: str, compress: bool):
        self.fh, self.conn, self.filename, self.compress = fh, conn, filename, compress
        # warcio builds each record; each is then one gzip member at zlib's default level:
        # warcio's own level 9 costs twice the time for about 1% of size on HTML.
        self.buf = io.BytesIO()
        self.w = WARCWriter(self.buf, gzip=False, warc_version="1.1")
        self.counts: dict[str, int] = {}

    def write(self, record, *, index: dict | None = None) -> None:
        start = self.fh.tell()
        self.buf.seek(0)
        self.buf.truncate()
        self.w.write_record(record)
        data = self.buf.getvalue()
        self.fh.write(gzip.compress(data, GZIP_LEVEL, mtime=0) if self.compress else data)
        kind = record.rec_type
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if index is None:
            return
        uri = record.rec_headers.get_header("WARC-Target-URI")
        key = f"{surt.surt(uri)} {warc_timestamp(index.pop('at'))}"
        fields = (
            {"url": uri}
            | index
            | {
                "length": str(self.fh.tell() - start),
                "offset": str(start),
                "filename": self.filename,
            }
        )
        self.conn.execute(
            "INSERT INTO temp._cdxj (key, line) VALUES (?, ?)",
            (key, f"{key} {json.dumps(fields, ensure_ascii=False)}"),
        )

    def record(self, uri: str, kind: str, at: str, *, payload=b"", http=None, extra=None):
        headers = {"WARC-Date": at} | (extra or {})
        return self.w.create_warc_record(
            uri,
            kind,
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http,
            warc_headers_dict=headers,
        )


def _warcinfo(w: _Writer, filename: str, at: str, sites: list[str]) -> None:
    info = {
        "software": f"tzgg/{package_version('tzgg')} (warcio {package_version('warcio')})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": f"tzgg archive of 通知公告 columns as it stood at {at}",
        "tzgg-as-of": at,
        "tzgg-sites": " ".join(sites),
    }
    w.write(w.w.create_warcinfo_record(filename, info))


_CAPTURES = "SELECT c.* FROM captures c WHERE c.at <= :t {site} ORDER BY c.id"


def write_warc(
    conn: sqlite3.Connection, path, cdxj_path, *, at: str, site: str | None, filename: str
) -> dict:
    """Write every capture up to `at` to `path` (gzipped per record when `filename` ends in
    .gz) and its sorted CDXJ index to `cdxj_path`; return counts."""
    _drop(conn)
    # Spilled to disk by SQLite, so memory stays flat however large the archive.
    conn.execute("CREATE TEMP TABLE _seen (sha TEXT PRIMARY KEY, id TEXT, uri TEXT, at TEXT)")
    conn.execute("CREATE TEMP TABLE _cdxj (key TEXT, line TEXT)")
    # each URL's last 2xx payload so far: what a later 304 stands for
    conn.execute("CREATE TEMP TABLE _last (url TEXT PRIMARY KEY, sha TEXT)")
    clause, names = site_clause("c.site", site)
    wanted = None if not site else {site} if isinstance(site, str) else set(site)
    sites = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT site FROM captures WHERE at <= ? ORDER BY site", (at,)
        )
        if wanted is None or r[0] in wanted
    ]
    payload_bytes = 0
    try:
        with open(path, "wb") as fh:
            w = _Writer(fh, conn, filename, compress=filename.endswith(".gz"))
            _warcinfo(w, filename, at, sites)
            sql = _CAPTURES.format(site=clause)
            for row in conn.execute(sql, {"t": at, **names}):
                payload_bytes += _capture(w, row)
        with open(cdxj_path, "w", encoding="utf-8") as out:
            for (line,) in conn.execute("SELECT line FROM temp._cdxj ORDER BY key"):
                out.write(line + "\n")
        return {"records": dict(sorted(w.counts.items())), "payload_bytes": payload_bytes}
    finally:
        _drop(conn)


def _drop(conn) -> None:
    for table in ("_seen", "_cdxj", "_last"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _seen(conn, sha: str | None):
    if not sha:
        return None
    return conn.execute("SELECT id, uri, at FROM temp._seen WHERE sha = ?", (sha,)).fetchone()


def _capture(w: _Writer, row) -> int:
    """Write one capture's records; return the payload bytes written."""
    hops = unpack(row["hops"]) if row["hops"] else []
    for hop in hops:
        _hop(w, hop)
    if row["status"] is None:  # no HTTP answer (timeout, DNS ...): nothing was exchanged
        return 0
    conn, uri, at, sha = w.conn, row["final_url"] or row["url"], row["at"], row["body_sha256"]
    written = 0
    if 200 <= row["status"] < 300 and sha:
        conn.executemany(
            "INSERT OR REPLACE INTO temp._last (url, sha) VALUES (?, ?)",
            {(row["url"], sha), (uri, sha)},
        )
    answer = None  # a 304's own status line and headers
    if row["status"] == 304:
        # It stands for the bytes of the URL's last 200 (whose validators were sent): named
        # when this file holds them.  Its block is empty and the 304's status line and headers
        # go in a `metadata` record beside it: pywb replays a revisit's own HTTP headers, so a
        # 304 there would replay as an empty page; with none, it replays the bytes named.
        # Not in tzgg's CDXJ: pywb serves the nearest capture with bytes.
        last = conn.execute("SELECT sha FROM temp._last WHERE url = ?", (row["url"],)).fetchone()
        ref = _seen(conn, last[0]) if last else None
        answer = _answer(row, uri, last[0] if last else None)
        http = None
        extra = {"WARC-Profile": NOT_MODIFIED_PROFILE}
        if ref is not None:
            extra |= {
                "WARC-Payload-Digest": payload_digest(last[0]),
                "WARC-Refers-To": ref[0],
                "WARC-Refers-To-Target-URI": ref[1],
                "WARC-Refers-To-Date": ref[2],
            }
        rec = w.record(uri, "revisit", at, http=http, extra=extra)
        index = None
    elif (ref := _seen(conn, sha)) is not None:
        size = conn.execute("SELECT size FROM bodies WHERE sha256 = ?", (sha,)).fetchone()[0]
        http = response_headers(row, size)
        digest = payload_digest(sha)
        extra = {
            "WARC-Profile": IDENTICAL_PROFILE,
            "WARC-Payload-Digest": digest,
            "WARC-Refers-To": ref[0],
            "WARC-Refers-To-Target-URI": ref[1],
            "WARC-Refers-To-Date": ref[2],
        }
        rec = w.record(uri, "revisit", at, http=http, extra=extra)
        index = {"at": at, "mime": "warc/revisit", "status": str(row["status"]), "digest": digest}
    else:
        data = sha and conn.execute("SELECT data FROM bodies WHERE sha256 = ?", (sha,)).fetchone()
        if not data:
            _unkept(w, row, uri)
            return 0
        body = zlib.decompress(data[0])
        http = response_headers(row, len(body))
        digest = payload_digest(sha)
        rec = w.record(
            uri, "response", at, payload=body, http=http, extra={"WARC-Payload-Digest": digest}
        )
        rid = rec.rec_headers.get_header("WARC-Record-ID")
        conn.execute("INSERT INTO temp._seen VALUES (?, ?, ?, ?)", (sha, rid, uri, at))
        index = {"at": at, "mime": _mime(http), "status": str(row["status"]), "digest": digest}
        written = len(body)
    w.write(rec, index=index)
    rid = rec.rec_headers.get_header("WARC-Record-ID")
    req = w.record(
        uri, "request", at, http=request_headers(row, uri), extra={"WARC-Concurrent-To": rid}
    )
    w.write(req)
    if answer:
        concurrent = {"WARC-Concurrent-To": rid}
        _metadata(w, capture_urn(row["id"]), at, answer, extra=concurrent)
    if row["redirects"] and not hops:  # archived before the 3xx answers were kept
        _redirects(w, row, rid)
    return written


def capture_urn(capture_id: int, part: str = "") -> str:
    """The target of a `metadata` record about a capture: no replay tool takes it for a page."""
    return f"urn:tzgg:capture:{capture_id}" + (f":{part}" if part else "")


def _metadata(w: _Writer, urn: str, at: str, info: dict, refers_to=None, extra=None) -> None:
    payload = json.dumps(info, ensure_ascii=False, indent=1).encode()
    extra = {"Content-Type": "application/json"} | (extra or {})
    if refers_to:
        extra["WARC-Refers-To"] = refers_to
    w.write(w.record(urn, "metadata", at, payload=payload, extra=extra))


def _hop(w: _Writer, hop: list) -> None:
    """A redirect answer: its status line and headers (its body, a few bytes of HTML, was not
    kept, so Content-Length says 0 and the original value is kept beside it)."""
    url, status, protocol, received, at = hop
    http = http_headers(status, None, protocol, received, None, 0)
    digest = payload_digest(_EMPTY)
    rec = w.record(url, "response", at, http=http, extra={"WARC-Payload-Digest": digest})
    mime = _mime(http) if http.get_header("Content-Type") else "unk"
    w.write(rec, index={"at": at, "mime": mime, "status": str(status), "digest": digest})


def _redirects(w: _Writer, row, response_id: str) -> None:
    info = {
        "requested": row["url"],
        "redirects": json.loads(row["redirects"]),
        "final_url": row["final_url"] or row["url"],
    }
    _metadata(w, capture_urn(row["id"], "redirects"), row["at"], info, response_id)


def _answer(row, uri: str, sha: str | None) -> dict:
    return {
        "url": uri,
        "capture": "the server answered 304 Not Modified",
        "status": row["status"],
        "reason": row["reason"],
        "http_version": row["http_version"],
        "headers": unpack(row["headers"]),
        "stands_for_payload_sha256": sha,
    }


def _unkept(w: _Writer, row, uri: str) -> None:
    info = {
        "url": uri,
        "capture": "the response's bytes were not kept by tzgg",
        "why": "a listing page, or a page that differed from the archived version only in noise",
        "kind": row["kind"],
        "outcome": row["outcome"],
        "status": row["status"],
        "reason": row["reason"],
        "http_version": row["http_version"],
        "headers": unpack(row["headers"]),
        "payload_sha256": row["body_sha256"],
    }
    _metadata(w, capture_urn(row["id"]), row["at"], info)
