"""Decode page bytes to text: HTTP charset, BOM, meta charset, and recovery from wrong labels.

Chinese government sites declare GB2312/GBK and emit GB18030-only characters, declare one
charset and serve another, or declare nothing.  The order here:

1. a byte-order mark wins (it cannot be there by accident);
2. bytes that decode strictly as UTF-8 and hold non-ASCII text are UTF-8, whatever the label
   says (GBK text is practically never valid UTF-8) - this is also the fast path;
3. the HTTP charset, then the meta charset, each tried strictly (GB2312/GBK read as GB18030);
4. GB18030 strictly;
5. last resort: whichever candidate gives the fewest U+FFFD with errors='replace'.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{2,40})""", re.I
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that are wider read as their superset.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "gb_2312": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
# Server defaults that say nothing about the page.
_WEAK = {"iso8859-1", "latin-1", "ascii", "cp1252", "us-ascii", "iso-8859-1", "windows-1252"}


def normalize_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None if unknown."""
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    n = _ALIASES.get(n, n)
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset a <meta> tag declares in the page's head (first 32 KB)."""
    m = _META_CHARSET.search(body, 0, 32768)
    return m.group(1).decode("ascii", "ignore") if m else None


def decode_html(body: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Decode page bytes; return (text, codec name used)."""
    if isinstance(body, str):
        return body, "utf-8"
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, "replace"), enc
    try:
        text = body.decode("utf-8")
        return text, "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    for name in (http_charset, sniff_meta_charset(body)):
        enc = normalize_charset(name)
        if enc and enc != "utf-8" and enc not in candidates and enc not in _WEAK:
            candidates.append(enc)
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    # Nothing decodes cleanly: take the candidate that loses the fewest characters.
    best: tuple[int, str, str] | None = None
    for enc in ["utf-8", *candidates]:
        text = body.decode(enc, "replace")
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, text, enc)
    assert best is not None
    return best[1], best[2]


def html_utf8_bytes(body: bytes | str, http_charset: str | None = None) -> tuple[bytes, str, str]:
    """(UTF-8 bytes for the parser, decoded text, codec used). Reuses the input when it is UTF-8."""
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass"), body, "utf-8"
    text, enc = decode_html(body, http_charset)
    if enc == "utf-8":
        return body, text, enc
    return text.encode("utf-8"), text, enc
