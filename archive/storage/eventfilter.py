"""Which events a subscriber wants: by site, kind and query words.  One rule for the Atom
feed and for webhooks.

Query words (the search syntax: words, "phrases", OR, NOT) are matched against the text of
the notice as the event's version stated it (fields, attachment names and texts).  Health
events (`site_broken`, `site_blocked`) have no notice text: a query never hides them, only a
kind or site filter does, because a subscriber following 征收 still needs to know that the
crawl of its district broke.

A pass over many events (a feed, a webhook's backlog) meets the same few notices again and
again: `admits` takes a `memo`, a dict the caller keeps for that one pass, and reads and matches
each (notice, version) once.  A memo is not kept across passes: a notice's current version,
and its attachments' texts, can change between two calls.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from archive.storage.bigrams import matches
from crawler.parse.query import parse_query

MEMO_MAX = 100_000  # (notice, version) answers one memo holds; then it starts again


class EventFilter:
    def __init__(
        self,
        *,
        sites: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        query: str | None = None,
    ):
        self.sites = set(sites) if sites is not None else None
        self.kinds = set(kinds) if kinds else None
        self.terms = parse_query(query) if query else None  # QueryError on a bad query

    def admits(self, conn: sqlite3.Connection, event, memo: dict | None = None) -> bool:
        """Whether the subscriber wants `event` (a dict such as `tzgg changes --json` gives, or
        a row of `events`).  `memo`: see the module's docstring."""
        if self.sites is not None and event["site"] not in self.sites:
            return False
        if self.kinds is not None and event["kind"] not in self.kinds:
            return False
        nid = _field(event, "notice_id")
        if self.terms is None or not nid:
            return True
        key = (nid, _field(event, "version"))
        if memo is not None and key in memo:
            return memo[key]
        hit = matches(notice_text(conn, *key), self.terms)
        if memo is not None:
            if len(memo) >= MEMO_MAX:
                memo.clear()
            memo[key] = hit
        return hit


def _field(event, name: str):
    return event[name] if name in event.keys() else None


def notice_text(conn: sqlite3.Connection, nid: str, version: int | None = None) -> str:
    """The searchable text of a version of a notice (its current one when not given)."""
    from archive.storage.search import _text

    row = conn.execute(
        "SELECT v.* FROM versions v JOIN notices n ON n.id = v.notice_id WHERE v.notice_id = ?"
        " AND v.version = coalesce(?, n.current_version)",
        (nid, version),
    ).fetchone()
    return _text(conn, row) if row is not None else ""
