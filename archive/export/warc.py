"""Captures as WARC 1.1 and the CDXJ index pywb replays it with.

Every capture up to the as-of time, in the order it was archived:
* a `request` and a `response` record with the original status line and headers and the
  stored bytes, `WARC-Date` = capture time;
* bytes already written once, as a `revisit` (identical-payload-digest) referring to them;
* a 304 answer, as a `revisit` (server-not-modified) referring to what the URL served before,
  with an empty block, and its status line and headers in a `metadata` record beside it;
* a capture whose bytes were not kept (a listing page, a notice page that changed only in its
  noise), as a `metadata` record with its URL, status, headers and payload digest, so the record
  of the visit is whole without pretending to hold the page;
* the redirects a fetch followed, as a `metadata` record (archives made before schema 5);
* documents made from the archive (an evidence bundle's versions, events and diffs), last, as
  `resource` records under `urn:tzgg:` targets.
A `metadata` record's target is `urn:tzgg:capture:<id>`, never the page's URL: pywb and the
`wacz` package index every record by its target, and would replay the JSON as the page.
Where the crawler stored a body decompressed, the headers written drop `Content-Encoding`
(and `Transfer-Encoding`) and keep the original values as `X-Tzgg-Orig-*`, and Content-Length
is the stored length, so replay serves the bytes as they are.  Payload digests are the
archive's own SHA-256, base32 as WARC expects; block digests SHA-1, as warcio writes them.

The records are framed here rather than by warcio's writer, which costs more a record than
compressing it does (headers and digests through several layers, a zlib state made anew for
each record's gzip member); `warcio check` and pywb read them in the tests.  The CDXJ index is
made from the offsets noted while writing (cdxj.py), and what a record refers to (the first
capture of its bytes, what a 304 stands for) is found in one pass of SQL, not a query a record."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sqlite3
import struct
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version as package_version
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders

from archive.export.cdxj import Index, compact_json
from archive.storage.asof import site_clause
from archive.storage.headers import unpack

NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# zlib's default: warcio's 9 costs up to twice the time for well under 1% of size on HTML
GZIP_LEVEL = 6
_RENAMED = {"content-encoding", "transfer-encoding"}
_STATUSES = {s.value for s in HTTPStatus}
_EMPTY = hashlib.sha256(b"").hexdigest()
_HTTP = {
    "response": "application/http; msgtype=response",
    "revisit": "application/http; msgtype=response",
    "request": "application/http; msgtype=request",
}


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]
_B32_PADS = {0: 0, 1: 1, 2: 3, 3: 4, 4: 6}  # zero bytes added: "=" at the end


def b32(raw: bytes) -> str:
    """`base64.b32encode(raw).decode()` ten bits a step: the stdlib's is Python too, five bytes
    a step, and every record has a digest or two."""
    pad = -len(raw) % 5
    n = int.from_bytes(raw, "big") << (8 * pad)
    steps = range(8 * (len(raw) + pad) - 10, -1, -10)
    text = "".join([_B32_PAIRS[(n >> i) & 1023] for i in steps])
    cut = _B32_PADS[pad]
    return text[: len(text) - cut] + "=" * cut


def payload_digest(sha256_hex: str) -> str:
    return "sha256:" + b32(bytes.fromhex(sha256_hex))


def _sha1(*parts: bytes) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p)
    return "sha1:" + b32(h.digest())


_EMPTY_SHA1 = _sha1()


# -- HTTP heads -----------------------------------------------------------------------------


def _head(first_line: str, headers) -> bytes:
    """An HTTP head as the bytes received: the crawler decoded them as latin-1, so encoding them
    back gives the original bytes (warcio would %-encode a GBK filename instead)."""
    lines = [first_line, *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")


class RawHeaders(StatusAndHeaders):
    """warcio's headers object over the same bytes as the records hold (`_head`)."""

    def compute_headers_buffer(self, header_filter=None):
        first = f"{self.protocol} {self.statusline}" if self.statusline else self.protocol
        self.headers_buff = _head(first, self.headers)


def _response_parts(status, reason, protocol, received, decoded_from, body_len):
    """(status line, headers): the original ones, made true of the stored bytes."""
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
    return f"{status} {reason or ''}".strip(), headers


def response_headers(row, body_len: int | None) -> RawHeaders:
    """The original status line and headers, made true of the stored bytes (as warcio's
    object; the records hold the same bytes, from `_response_head`)."""
    args = (row["status"], row["reason"], row["http_version"], unpack(row["headers"]))
    line, headers = _response_parts(*args, row["decoded_from"], body_len)
    return RawHeaders(line, headers, protocol=row["http_version"] or "HTTP/1.1")


def _response_head(row, body_len: int | None) -> tuple[bytes, str]:
    """The response's head as written, and its MIME type for the index."""
    args = (row["status"], row["reason"], row["http_version"], unpack(row["headers"]))
    return _response_bytes(*args, row["decoded_from"], body_len)


def _response_bytes(status, reason, protocol, received, decoded_from, body_len):
    line, headers = _response_parts(status, reason, protocol, received, decoded_from, body_len)
    mime = next((v for k, v in headers if k.lower() == "content-type"), None)
    mime = (mime or "unk").split(";")[0].strip().lower() or "unk"
    return _head(f"{protocol or 'HTTP/1.1'} {line}", headers), mime


# what urlsplit gives of such a URL (netloc, path, query), without its cost
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#\s]*)([^?#\s]*)(?:\?([^#\s]*))?(?:#\S*)?")


def _request_head(row, uri: str) -> bytes:
    m = _URL.fullmatch(uri)
    netloc, path, query = m.groups() if m else urlsplit(uri)[1:4]
    target = (path or "/") + (f"?{query}" if query else "")
    has_host, lines = _request_lines(row["request_headers"])
    host = "" if has_host else f"Host: {netloc}\r\n"
    first = f"GET {target} {row['http_version'] or 'HTTP/1.1'}\r\n"
    return (first + host + lines + "\r\n").encode("latin-1", "replace")


@functools.lru_cache(maxsize=1024)  # a crawl sends the same headers again and again
def _request_lines(packed) -> tuple[bool, str]:
    headers = unpack(packed)
    has_host = any(k.lower() == "host" for k, _ in headers)
    return has_host, "".join(f"{k}: {v}\r\n" for k, v in headers)


# -- records --------------------------------------------------------------------------------

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime
_FINAL_BLOCK = b"\x03\x00"  # an empty last block (static Huffman): ends a deflate stream


class _Members:
    """Each record as a gzip member of its own, so a reader can start at any record's offset.
    One deflate stream makes them all: a full flush ends each member's data and resets the
    history (no member refers to another's bytes), and an empty last block closes it.  A new
    zlib state per record, as warcio makes, costs more than compressing a small record."""

    def __init__(self, level: int):
        self.z = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)

    def __call__(self, data: bytes) -> bytes:
        trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
        body = self.z.compress(data) + self.z.flush(zlib.Z_FULL_FLUSH)
        return b"".join((_GZIP_HEADER, body, _FINAL_BLOCK, trailer))


class _Ids:
    """WARC-Record-IDs: random (version 4) UUIDs, those of a capture's records derived from
    the capture id with a key drawn for this export, so a revisit can name the response it
    refers to without a table of the ids written."""

    def __init__(self):
        self.key = os.urandom(32)

    def __call__(self, capture_id: int | None = None, role: int = 0) -> str:
        if capture_id is None:
            raw = os.urandom(16)
        else:
            data = struct.pack("<qI", capture_id, role)
            raw = hashlib.blake2b(data, key=self.key, digest_size=16).digest()
        h = raw.hex()
        variant = "89ab"[int(h[16], 16) & 3]
        return f"<urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}>"


RESPONSE, REQUEST, METADATA, REDIRECTS, HOP = range(5)  # a capture's records (`_Ids` roles)


class _Writer:
    """Writes records, noting the offset and length of those the index names."""

    def __init__(self, fh, index: Index, filename: str, compress: bool):
        self.fh, self.index, self.filename = fh, index, filename
        self.gzip = _Members(GZIP_LEVEL) if compress else None
        self.offset = 0
        self.counts: dict[str, int] = {}

    def write(
        self,
        kind: str,
        uri: str,
        at: str,
        rid: str,
        *,
        http: bytes = b"",
        payload: bytes = b"",
        digest: str | None = None,
        extra: tuple = (),
        content_type: str | None = None,
        cdx: tuple | None = None,
    ) -> None:
        """One record: its block is `http` (a head) and `payload` (a revisit's, none).
        `digest`: the payload's; `cdx`: (mime, status, digest) to index it under."""
        block_digest = _sha1(http, payload)
        if kind == "request":
            digest = _EMPTY_SHA1  # what warcio writes for a request without a body
        elif kind == "metadata":
            digest = block_digest
        lines = [
            "WARC/1.1",
            f"WARC-Type: {kind}",
            f"WARC-Record-ID: {rid}",
            f"WARC-Target-URI: {uri}",
            f"WARC-Date: {at}",
            *(f"{k}: {v}" for k, v in extra),
        ]
        if digest:
            lines.append(f"WARC-Payload-Digest: {digest}")
        lines += [
            f"WARC-Block-Digest: {block_digest}",
            f"Content-Type: {content_type or _HTTP[kind]}",
            f"Content-Length: {len(http) + len(payload)}",
            "\r\n",
        ]
        record = b"".join(("\r\n".join(lines).encode(), http, payload, b"\r\n\r\n"))
        self._out(kind, self.gzip(record) if self.gzip else record, uri, at, cdx)

    def _out(self, kind: str, data: bytes, uri: str, at: str, cdx) -> None:
        self.fh.write(data)
        if cdx is not None:
            mime, status, digest = cdx
            self.index.add(uri, at, mime, status, digest, len(data), self.offset, self.filename)
        self.offset += len(data)
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def warcinfo(self, info: dict) -> None:
        fields = "".join(f"{k}: {v}\r\n" for k, v in info.items() if v).encode()
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        lines = [
            "WARC/1.1",
            "WARC-Type: warcinfo",
            f"WARC-Record-ID: {_Ids()()}",
            f"WARC-Filename: {self.filename}",
            f"WARC-Date: {now}",
            f"WARC-Block-Digest: {_sha1(fields)}",
            "Content-Type: application/warc-fields",
            f"Content-Length: {len(fields)}",
            "\r\n",
        ]
        record = "\r\n".join(lines).encode() + fields + b"\r\n\r\n"
        self._out("warcinfo", self.gzip(record) if self.gzip else record, "", now, None)


def _warcinfo(w: _Writer, at: str, sites: list[str], description: str | None = None) -> None:
    w.warcinfo(
        {
            "software": f"tzgg/{package_version('tzgg')}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": description or f"tzgg archive of 通知公告 columns as it stood at {at}",
            "tzgg-as-of": at,
            "tzgg-sites": " ".join(sites),
        }
    )


# -- the captures ---------------------------------------------------------------------------

# What the records of a capture refer to, made once in SQL (the archive has no index for these
# lookups; temporary tables are spilled to disk by SQLite, so memory stays flat however large
# the archive):
# _first: each stored body's first capture in the export, where its bytes are written (a
#   `response`); later captures of the same bytes are revisits referring to it.
# _ok: each URL's 2xx captures with a payload (by the URL asked and the one it ended at): what
#   a later 304 of the URL stands for.
_PREPARE = """
CREATE TEMP TABLE _first (sha TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID;
INSERT INTO temp._first SELECT c.body_sha256, min(c.id) FROM captures c
 WHERE c.at <= :t {site} AND c.status IS NOT NULL AND c.status != 304
 AND c.body_sha256 IN (SELECT sha256 FROM bodies) GROUP BY c.body_sha256;
CREATE TEMP TABLE _ok (url TEXT, id INTEGER, sha TEXT, PRIMARY KEY (url, id)) WITHOUT ROWID;
INSERT OR IGNORE INTO temp._ok
 SELECT c.url, c.id, c.body_sha256 FROM captures c WHERE c.at <= :t {site} AND {ok}
 UNION ALL
 SELECT c.final_url, c.id, c.body_sha256 FROM captures c
 WHERE c.at <= :t {site} AND {ok} AND c.final_url IS NOT NULL;
"""
_OK = "c.status >= 200 AND c.status < 300 AND c.body_sha256 != ''"

# Every capture with what it refers to: `ref_*` is the first capture of its bytes (of the bytes
# its URL last served, for a 304), `data` the stored bytes when this capture writes them.
_CAPTURES = """
WITH sel AS (
 SELECT c.id, c.kind, c.url, c.final_url, c.redirects, c.hops, c.at, c.http_version, c.status,
  c.reason, c.headers, c.request_headers, c.body_sha256, c.decoded_from, c.outcome,
  CASE WHEN c.status = 304 THEN (SELECT k.sha FROM temp._ok k
  WHERE k.url = c.url AND k.id < c.id ORDER BY k.id DESC LIMIT 1) END AS last_sha
 FROM captures c WHERE c.at <= :t {site}
)
SELECT sel.*, b.size, f.id AS ref_id, r.at AS ref_at, coalesce(r.final_url, r.url) AS ref_uri,
 CASE WHEN f.id = sel.id THEN b.data END AS data
FROM sel
LEFT JOIN bodies b ON b.sha256 = sel.body_sha256
LEFT JOIN temp._first f
 ON f.sha = CASE WHEN sel.status = 304 THEN sel.last_sha ELSE sel.body_sha256 END
LEFT JOIN captures r ON r.id = f.id
ORDER BY sel.id
"""


def write_warc(
    conn: sqlite3.Connection,
    path,
    cdxj_path,
    *,
    at: str,
    site: str | None,
    filename: str,
    only: str | None = None,
    resources: Iterable[tuple[str, str, bytes]] = (),
    description: str | None = None,
) -> dict:
    """Write every capture up to `at` to `path` (gzipped per record when `filename` ends in
    .gz) and its sorted CDXJ index to `cdxj_path`; return counts.  `only`: a temporary table
    whose `id`s are the captures to write (an evidence bundle's), instead of all; `resources`:
    (urn, content type, bytes) written after them as `resource` records dated `at`."""
    _drop(conn)
    clause, names = site_clause("c.site", site)
    if only:
        clause += f" AND c.id IN (SELECT id FROM {only})"
    params = {"t": at, **names}
    sql = f"SELECT DISTINCT c.site FROM captures c WHERE c.at <= :t {clause} ORDER BY c.site"
    sites = [r[0] for r in conn.execute(sql, params)]
    payload_bytes = 0
    try:
        for statement in _PREPARE.format(site=clause, ok=_OK).split(";"):
            if statement.strip():
                conn.execute(statement, params)
        with Index(cdxj_path) as index, open(path, "wb") as fh:
            w = _Writer(fh, index, filename, compress=filename.endswith(".gz"))
            ids = _Ids()
            _warcinfo(w, at, sites, description)
            for row in conn.execute(_CAPTURES.format(site=clause), params):
                payload_bytes += _capture(w, ids, row)
            for urn, content_type, data in resources:
                _resource(w, ids(), urn, at, content_type, data)
        return {"records": dict(sorted(w.counts.items())), "payload_bytes": payload_bytes}
    finally:
        _drop(conn)


def _drop(conn) -> None:
    for table in ("_first", "_ok"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _capture(w: _Writer, ids: _Ids, row) -> int:
    """Write one capture's records; return the payload bytes written."""
    hops = unpack(row["hops"]) if row["hops"] else []
    for n, hop in enumerate(hops):
        _hop(w, ids(row["id"], HOP + n), hop)
    if row["status"] is None:  # no HTTP answer (timeout, DNS ...): nothing was exchanged
        return 0
    cid, uri, at, sha = row["id"], row["final_url"] or row["url"], row["at"], row["body_sha256"]
    rid = ids(cid, RESPONSE)
    ref = None
    if row["ref_id"] is not None and row["ref_id"] != cid:
        ref = (
            ("WARC-Refers-To", ids(row["ref_id"], RESPONSE)),
            ("WARC-Refers-To-Target-URI", row["ref_uri"]),
            ("WARC-Refers-To-Date", row["ref_at"]),
        )
    written = 0
    if row["status"] == 304:
        # It stands for the bytes of the URL's last 200 (whose validators were sent): named
        # when this file holds them.  Its block is empty and the 304's status line and headers
        # go in a `metadata` record beside it: pywb replays a revisit's own HTTP headers, so a
        # 304 there would replay as an empty page; with none, it replays the bytes named.
        # Not in tzgg's CDXJ: pywb serves the nearest capture with bytes.
        last = row["last_sha"]
        extra = (("WARC-Profile", NOT_MODIFIED_PROFILE),) + (ref or ())
        w.write("revisit", uri, at, rid, extra=extra, digest=ref and payload_digest(last))
    elif ref is not None:
        http, _ = _response_head(row, row["size"])
        digest = payload_digest(sha)
        extra = (("WARC-Profile", IDENTICAL_PROFILE),) + ref
        cdx = ("warc/revisit", row["status"], digest)
        w.write("revisit", uri, at, rid, http=http, extra=extra, digest=digest, cdx=cdx)
    elif row["data"] is not None:
        body = zlib.decompress(row["data"])
        http, mime = _response_head(row, len(body))
        digest = payload_digest(sha)
        cdx = (mime, row["status"], digest)
        w.write("response", uri, at, rid, http=http, payload=body, digest=digest, cdx=cdx)
        written = len(body)
    else:
        _unkept(w, ids(cid, METADATA), row, uri)
        return 0
    concurrent = (("WARC-Concurrent-To", rid),)
    w.write("request", uri, at, ids(cid, REQUEST), http=_request_head(row, uri), extra=concurrent)
    if row["status"] == 304:
        info = _answer(row, uri, row["last_sha"])
        _metadata(w, ids(cid, METADATA), capture_urn(cid), at, info, extra=concurrent)
    if row["redirects"] and not hops:  # archived before the 3xx answers were kept
        _redirects(w, ids(cid, REDIRECTS), row, rid)
    return written


def capture_urn(capture_id: int, part: str = "") -> str:
    """The target of a `metadata` record about a capture: no replay tool takes it for a page."""
    return f"urn:tzgg:capture:{capture_id}" + (f":{part}" if part else "")


def _metadata(w: _Writer, rid: str, urn: str, at: str, info: dict, extra=()) -> None:
    # one field a line: readable, and json's C encoder (an indent takes the Python one)
    payload = (
        "{\n"
        + ",\n".join(f" {compact_json(k)}: {compact_json(v)}" for k, v in info.items())
        + "\n}"
    )
    json_type = "application/json"
    w.write("metadata", urn, at, rid, payload=payload.encode(), extra=extra, content_type=json_type)


def _resource(w: _Writer, rid: str, urn: str, at: str, content_type: str, data: bytes) -> None:
    """A document made from the archive, not a capture: its target a `urn:tzgg:` name."""
    digest = payload_digest(hashlib.sha256(data).hexdigest())
    w.write("resource", urn, at, rid, payload=data, digest=digest, content_type=content_type)


def _hop(w: _Writer, rid: str, hop: list) -> None:
    """A redirect answer: its status line and headers (its body, a few bytes of HTML, was not
    kept, so Content-Length says 0 and the original value is kept beside it)."""
    url, status, protocol, received, at = hop
    http, mime = _response_bytes(status, None, protocol, received, None, 0)
    digest = payload_digest(_EMPTY)
    w.write("response", url, at, rid, http=http, digest=digest, cdx=(mime, status, digest))


def _redirects(w: _Writer, rid: str, row, response_id: str) -> None:
    info = {
        "requested": row["url"],
        "redirects": json.loads(row["redirects"]),
        "final_url": row["final_url"] or row["url"],
    }
    urn = capture_urn(row["id"], "redirects")
    _metadata(w, rid, urn, row["at"], info, extra=(("WARC-Refers-To", response_id),))


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


def _unkept(w: _Writer, rid: str, row, uri: str) -> None:
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
    _metadata(w, rid, capture_urn(row["id"]), row["at"], info)
