"""HTTP header lists, packed small: raw deflate with a preset dictionary of common headers.

Every capture keeps its full response and request headers; packed, a capture's two header
lists take about 90 bytes instead of about 600, which is most of what a recrawl adds. Pure."""

from __future__ import annotations

import json
import zlib

# Common header names and values. Changing it would make old rows unreadable: add a new
# dictionary under a new version byte instead.
_ZDICT_V1 = json.dumps(
    [
        ["If-None-Match", '"'],
        ["If-Modified-Since", "Mon, 01 Jan 2026 00:00:00 GMT"],
        ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
        ["Accept-Language", "en"],
        ["Accept-Encoding", "gzip, deflate, br, zstd"],
        ["User-Agent", "tzgg/0.1 (archive of government notices; +https://github.com/tzgg/tzgg)"],
        ["Referer", "http://"],
        ["Cookie", ""],
        ["Content-Length", "1"],
        ["Server", "nginx"],
        ["Date", "Thu, 26 Nov 2026 00:49:12 GMT"],
        ["Content-Type", "text/html; charset=utf-8"],
        ["Content-Type", "text/html; charset=gb2312"],
        ["Etag", '"'],
        ["Last-Modified", "Wed, 25 Nov 2026 00:49:01 GMT"],
        ["Vary", "Accept-Encoding"],
        ["Connection", "keep-alive"],
        ["Cache-Control", "max-age=0, no-cache"],
        ["Expires", ""],
        ["Accept-Ranges", "bytes"],
        ["Set-Cookie", "JSESSIONID=; Path=/; HttpOnly"],
        ["X-Frame-Options", "SAMEORIGIN"],
        ["Location", "http://"],
        ["Retry-After", "1"],
        ["Transfer-Encoding", "chunked"],
        ["Content-Encoding", "gzip"],
        ["Pragma", "no-cache"],
    ],
    separators=(",", ":"),
).encode()
_V1 = b"\x01"


def pack(headers: list) -> bytes:
    blob = json.dumps(headers, ensure_ascii=False, separators=(",", ":")).encode()
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=_ZDICT_V1)
    return _V1 + c.compress(blob) + c.flush()


def unpack(packed: bytes | str | None) -> list:
    """The [[name, value], ...] list, as received or sent."""
    if not packed:
        return []
    if isinstance(packed, str):  # plain JSON
        return json.loads(packed)
    if packed[:1] != _V1:
        raise ValueError("unknown header packing")
    d = zlib.decompressobj(-15, zdict=_ZDICT_V1)
    return json.loads(d.decompress(packed[1:]) + d.flush())
