"""Relevance order that does not rank every match: the top k of a score that a walk of the
index in date order can bound, so the walk stops after a few hundred matches however many
there are.  (FTS5's own bm25 ranks every match and counts each phrase's matches first: linear
in the matches, 0.3-1 s for a common word at 1M notices.)

A matching version's score, for the query's words (its terms but the NOT ones):

    score = head + text + recency
    head     1 when the title, 文号 or 索引号 alone match the words (the `search_heads` index),
             else 0
    text     in [0, 1): bm25's term-frequency saturation, averaged over the words:
             tf / (tf + K1 * (1 - B + B * length / LENGTH)), tf the word's occurrences as
             written in the title and body, length theirs in characters
    recency  0 when the query has at most SCALE matches (in its date range): then every
             match is read and ranked by head + text alone.  Beyond that, -age / span: age
             in days after the newest match, span the days from the newest to the SCALE-th
             newest match (at least 1), so a version older than the SCALE newest matches
             loses more than the whole range of `text`.

Both indexes are walked newest first, title matches (at most 2 + recency) and all matches (at
most 1 + recency for one whose head does not match), and the walk stops when neither can hold
a version scoring above the k-th best notice found: the result is the exact top k of this
score.  The work is about SCALE matches when the matches are spread over time; matches
published on one day all have the same recency, so they are all read.
"""

from __future__ import annotations

import heapq
import math
import sqlite3

from archive.storage.bigrams import FULLWIDTH, Term, match_expression

SCALE = 500
K1, B = 1.2, 0.75
LENGTH = 1000  # characters: what a notice's length is measured against
_SHIFT = 32


class _Walk:
    """One index's matches, newest first, read ahead one row at a time as needed."""

    def __init__(self, conn, table: str, expr: str, low: int, high: int, cap: float):
        sql = (
            f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
            " AND rowid BETWEEN ? AND ? ORDER BY rowid DESC"
        )
        self.rows = conn.execute(sql, (expr, low, high))
        self.cap = cap  # the most a version in this walk can score, recency aside
        self.read: list[int] = []  # rows read ahead, not yet taken (newest last)
        self.done = False

    def peek(self) -> int | None:
        if not self.read and not self.done:
            rows = self.rows.fetchmany(256)
            self.read = [r[0] for r in reversed(rows)]
            self.done = not rows
        return self.read[-1] if self.read else None

    def take(self, n: int, above: int) -> list[int]:
        """Up to n rows, each above the row id `above`."""
        out = []
        while len(out) < n and (row := self.peek()) is not None and row > above:
            out.append(self.read.pop())
        return out


def _needle(term: Term) -> str:
    """The word as text is searched for its frequency: whitespace out, Latin folded."""
    return "".join(term.text.split()).translate(FULLWIDTH).lower()


def top(
    conn: sqlite3.Connection,
    terms: list[Term],
    check: str,
    args: list,
    low: int,
    high: int,
    limit: int,
) -> list[tuple[str, int]]:
    """(notice id, version) of the `limit` best notices, best first.  `check` selects
    `v.rowid, v.notice_id, v.version` and then `{cols}` of the versions `{ids}` that pass the
    filters (`args`)."""
    words = [t for t in terms if t.op != "NOT"]
    needles = [_needle(t) for t in words]
    expr = match_expression(terms)
    full = _Walk(conn, "search_index", expr, low, high, 1.0)
    # the recency scale: the span of the SCALE newest matches (none when there are fewer)
    while len(full.read) <= SCALE and not full.done:
        more = full.rows.fetchmany(SCALE + 1 - len(full.read))
        full.read[:0] = [r[0] for r in reversed(more)]
        full.done = not more
    if not full.read:
        return []
    newest = full.read[-1] >> _SHIFT
    span = None
    if len(full.read) > SCALE:
        span = max(1, newest - (full.read[-SCALE] >> _SHIFT))
    else:  # every match is read: no title match below the oldest can count
        low = full.read[0]
    heads = _Walk(conn, "search_heads", match_expression(words), low, high, 2.0)

    def bound(walk: _Walk) -> float:
        row = walk.peek()
        if row is None:
            return -math.inf
        return walk.cap - ((newest - (row >> _SHIFT)) / span if span else 0.0)

    size_sql = "coalesce(length(v.title), 0) + coalesce(length(v.body), 0)"
    tf_sql = (
        f"({size_sql} - length(replace(coalesce(v.title, ''), ?, ''))"
        " - length(replace(coalesce(v.body, ''), ?, ''))) / ?"
    )
    cols = ", ".join([size_sql] + [tf_sql] * len(needles))
    col_args = [x for n in needles for x in (n, n, max(1, len(n)))]
    has_not = len(words) < len(terms)
    best: dict[str, float] = {}  # notice -> its best version's score
    shown: dict[str, int] = {}  # notice -> its latest matching version seen
    seen_heads: set[int] = set()
    size = 32

    def kth() -> float:
        if len(best) < limit:
            return -math.inf
        return heapq.nlargest(limit, best.values())[-1]

    def floor(walk: _Walk, k: float) -> int:
        """The row id at or below which nothing in `walk` can score above k."""
        if span is None or k == -math.inf:
            return -1
        day = math.floor(newest - (walk.cap - k) * span) + 1  # the oldest day that can
        return (day << _SHIFT) - 1

    def score(rows: list[int], head: bool) -> None:
        if not rows:
            return
        sql = check.format(ids=",".join("?" * len(rows)), cols=", " + cols)
        low_ids = {r & ((1 << _SHIFT) - 1): r for r in rows}
        for r in conn.execute(sql, [*col_args, *low_ids, *args]):
            length, tfs = r[3], r[4:]
            norm = K1 * (1 - B + B * length / LENGTH)
            text = sum(tf / (tf + norm) for tf in tfs) / max(1, len(tfs))
            day = low_ids[r[0]] >> _SHIFT
            s = head + text - ((newest - day) / span if span else 0.0)
            nid = r[1]
            if s > best.get(nid, -math.inf):
                best[nid] = s
            shown[nid] = max(shown.get(nid, 0), r[2])

    while True:
        k = kth()
        bh, bf = bound(heads), bound(full)
        if max(bh, bf) <= k:
            break
        if bh >= bf:
            rows = heads.take(size, above=floor(heads, k))
            seen_heads.update(rows)
            if has_not:  # a NOT word may exclude a title match: ask the full index
                sql = (
                    "SELECT rowid FROM search_index WHERE search_index MATCH ?"
                    " AND rowid BETWEEN ? AND ?"
                )
                found = {r[0] for r in conn.execute(sql, (expr, rows[-1], rows[0]))}
                rows = [r for r in rows if r in found]
            score(rows, True)
        else:
            # every title match above the next unread one is read: the rest have head = 0
            nxt = heads.peek()
            above = max(floor(full, k), -1 if nxt is None else nxt)
            rows = full.take(size, above=above)
            score([r for r in rows if r not in seen_heads], False)
        size = min(size * 2, 256)
    order = sorted(best, key=lambda nid: best[nid], reverse=True)[:limit]
    return [(nid, shown[nid]) for nid in order]
