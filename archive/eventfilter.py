"""Which events a subscriber wants: by site, kind and query words.  One rule for the Atom
feed and for webhooks.

Query words (the search syntax: words, "phrases", OR, NOT) are matched against the text of
the notice as the event's version stated it (fields, attachment names and texts).  Health
events (`site_broken`, `site_blocked`) have no notice text: a query never hides them, only a
kind or site filter does, because a subscriber following 征收 still needs to know that the
crawl of its district broke.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from .bigrams import matches, parse_query


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

    def admits(self, conn: sqlite3.Connection, event: dict) -> bool:
        if self.sites is not None and event["site"] not in self.sites:
            return False
        if self.kinds is not None and event["kind"] not in self.kinds:
            return False
        if self.terms is None or not event.get("notice_id"):
            return True
        return matches(notice_text(conn, event["notice_id"], event.get("version")), self.terms)


def notice_text(conn: sqlite3.Connection, nid: str, version: int | None = None) -> str:
    """The searchable text of a version of a notice (its current one when not given)."""
    from .search import _text

    row = conn.execute(
        "SELECT v.* FROM versions v JOIN notices n ON n.id = v.notice_id WHERE v.notice_id = ?"
        " AND v.version = coalesce(?, n.current_version)",
        (nid, version),
    ).fetchone()
    return _text(conn, row) if row is not None else ""
