"""Links to documents (pdf, doc, xls, wps, ofd, zip …) in and around the article."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from crawler.parse.files.kinds import DOC_EXTS
from crawler.schema.records import Attachment

from .text import fold_ws, join_url, text_of

_EXT_RE = re.compile(r"\.(" + "|".join(DOC_EXTS) + r")(?=$|[?#&;\s\"'])", re.I)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")
_URL_JUNK = frozenset("\t\r\n")  # urlsplit drops these before splitting


def is_doc_url(s: str) -> bool:
    """Whether a URL (its path, or a file name in its query) or a name names a document."""
    if not s:
        return False
    s = s.strip()
    if s.lower().startswith(_SKIP_SCHEMES):
        return False
    if not _EXT_RE.search(s) and "%" not in s and not _URL_JUNK.intersection(s):
        # the extension shows in the raw string if anywhere (no escapes to undo, none of
        # the characters urlsplit deletes): most links are settled without urlsplit
        return False
    try:
        parts = urlsplit(s)
    except ValueError:
        return False
    if _EXT_RE.search(parts.path):
        return True
    q = parts.query
    return bool(q and _EXT_RE.search(unquote(q)))


def collect_attachments(roots, base_url: str) -> list[Attachment]:
    """Attachments under `roots` (elements, in order), keyed by resolved URL."""
    seen: dict[str, Attachment] = {}
    for root in roots:
        if root is None:
            continue
        for a in root.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or href.lower().startswith(_SKIP_SCHEMES):
                continue
            name = fold_ws(text_of(a))
            if not (is_doc_url(href) or is_doc_url(name)):
                continue
            try:
                url = join_url(base_url, href)
            except ValueError:
                continue
            if not name:
                name = fold_ws(a.get("title") or "") or unquote(
                    urlsplit(url).path.rsplit("/", 1)[-1]
                )
            cur = seen.get(url)
            if cur is None:
                seen[url] = Attachment(name=name, url=url)
            elif not cur.name:
                cur.name = name
    return list(seen.values())
