"""The walk through a Hanweb data proxy's windows: the next window to ask for, and which
records of an answer are new.

A ``dataproxy.jsp`` answer holds the records ``startrecord``..``endrecord`` of a column and no
address of the next window (no ``<nextgroup>``; its ``totalpage`` may even be counted for
another ``perpage`` than the window's).  So the walk computes the next window from the request
it sent: the same query, every other field kept as sent, the window moved past the records it
got.  Answers may overlap (a server answering more records than asked, a notice published
mid-walk pushing every record down), so the records of an answer are checked against the
latest ones of the walk, and an answer bringing nothing new ends the walk: a server that
ignores the window would otherwise be walked to the page bound.

What the walk remembers travels with its next request (Scrapy meta), so that it holds in one
process and across `tzgg worker`s alike; it is bounded: neighbouring answers overlap, not the
whole column.  Pure: no Scrapy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from crawler.schema.records import ListingEntry, ListingPage
from crawler.schema.urls import canonicalize

from .hanweb import answer_counts, is_answer

MEMORY = 4000  # record keys a walk carries to its next request (8 bytes each)
_MAX_DIGITS = 9  # a window bound longer than this is junk, not a position


def window_of(url: str) -> tuple[int, int] | None:
    """(startrecord, endrecord) of a data proxy request, or None when it names no window."""
    start = end = None
    for pair in urlsplit(url).query.split("&"):
        key, _, value = pair.partition("=")
        key = unquote_plus(key).lower()
        if key in ("startrecord", "endrecord") and value.isdigit() and len(value) <= _MAX_DIGITS:
            if key == "startrecord":
                start = int(value)
            else:
                end = int(value)
    if start is None or end is None or end < start:
        return None
    return start, end


def _moved(url: str, start: int, end: int) -> str:
    """The URL with its window replaced; every other field exactly as it was sent."""
    p = urlsplit(url)
    pairs = []
    for pair in p.query.split("&"):
        key, _, _ = pair.partition("=")
        low = unquote_plus(key).lower()
        if low == "startrecord":
            pair = f"{key}={start}"
        elif low == "endrecord":
            pair = f"{key}={end}"
        pairs.append(pair)
    return urlunsplit((p.scheme, p.netloc, p.path, "&".join(pairs), ""))


def next_window(url: str, got: int, total: int | None) -> str | None:
    """The request after the window `url` asked for, whose answer held `got` records
    (`total`: its ``totalrecord``), or None when that answer was the last."""
    window = window_of(url)
    if window is None or got <= 0:
        return None
    start, end = window
    size = end - start + 1
    # Past the records got, but never past the window asked for: an answer holding more
    # than asked is seen again in part (and de-duplicated), one holding fewer skips nothing.
    nxt = start + min(got, size)
    if total is not None:
        if nxt > total:
            return None
    elif got < size:  # a short answer without a total is the last one
        return None
    return _moved(url, nxt, nxt + size - 1)


def following(url: str, text: str) -> str | None:
    """The next window of a bare data proxy answer fetched at `url` (None for anything else,
    or after the last window)."""
    if not is_answer(text):
        return None
    got, total = answer_counts(text)
    return next_window(url, got, total)


def record_key(url: str) -> bytes:
    return hashlib.blake2b(canonicalize(url).encode("utf-8"), digest_size=8).digest()


@dataclass
class Step:
    """One answer of a window walk."""

    entries: list[ListingEntry]  # its records the walk had not seen, in order
    next_url: str | None  # the window to ask for next
    recent: tuple[bytes, ...] = ()  # to carry to that request
    stalled: bool = False  # it held records, none of them new, though more should follow


def window_step(
    url: str, text: str, page: ListingPage, recent: tuple[bytes, ...] = ()
) -> Step | None:
    """The walk's step on a listing response: None unless it is a bare data proxy answer to a
    window request that names no next URL itself; `recent`: what the previous step carried."""
    if page.next_urls or not is_answer(text) or window_of(url) is None:
        return None
    seen = set(recent)
    keys = [record_key(e.url) for e in page.items]
    fresh = [e for e, k in zip(page.items, keys, strict=True) if k not in seen]
    got, total = answer_counts(text)
    nxt = next_window(url, got, total)
    carried = (tuple(recent) + tuple(k for k in keys if k not in seen))[-MEMORY:]
    if page.items and not fresh:
        # the server answers records it answered before: it ignores the window
        return Step([], None, carried, stalled=nxt is not None)
    return Step(fresh, nxt, carried)
