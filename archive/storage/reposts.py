"""One notice reposted by several sites (a city's notice on each of its districts' sites): the
copies form a group, each keeping its own history, and a copy that is edited or removed while
another copy still holds the text is a `diverged` event - what a journalist looks for.

At the end of each run: first the copies of the run's edited and removed notices are compared
(so a divergence is judged against the group as it stood), then the run's new and edited
notices look for their copies on other sites, through a few hashes of each body and its 文号
(`sketches`), never by reading every site's notices."""

from __future__ import annotations

import json
from collections import Counter

from archive.storage import events
from archive.storage.migration import doc_of
from archive.storage.moves import (
    CHROME,
    Doc,
    boilerplate,
    heads_agree,
    kept_text,
    prepare,
    repost_keys,
    reposted,
    same_heading,
)
from archive.storage.queries import group_of

CANDIDATES = 40  # notices of other sites compared with each one, most shared hashes first
SAMPLE = 200  # a site's latest notices its template lines are learnt from
COMMON = 500  # notices holding a hash beyond which it is a set phrase, not evidence


def finish_run(c, run, at: str) -> None:
    _diverge(c, run, at)
    _group(c, run, at)


def _run_notices(c, rid: int, kinds: tuple[str, ...]) -> list[tuple[str, str, int]]:
    marks = ",".join("?" * len(kinds))
    return c.execute(
        f"SELECT notice_id, kind, id FROM events WHERE run_id = ? AND kind IN ({marks})"
        " AND notice_id IS NOT NULL ORDER BY id",
        (rid, *kinds),
    ).fetchall()


def _group(c, run, at: str) -> None:
    rows = {}
    for nid, _kind, _id in _run_notices(c, run["id"], ("new", "edited")):
        row = events.current(c, nid)
        if row is not None:
            rows[nid] = row
    if not rows:
        return
    docs = {nid: doc_of(row) for nid, row in rows.items()}
    chromes: dict[str, set[str]] = {}
    # the site's template, learnt from its latest notices (a run of one new notice has too
    # few of its own to tell): the same lines go as when its copies are compared
    chrome = _chrome(c, run["site"], chromes)
    seen: dict = {}  # other sites' notices prepared, once a run
    alone = c.execute(  # (two index searches: `site != ?` would read the whole index)
        "SELECT 1 WHERE EXISTS (SELECT 1 FROM runs WHERE site > ?)"
        " OR EXISTS (SELECT 1 FROM runs WHERE site < ?)",
        (run["site"], run["site"]),
    ).fetchone()
    for nid, doc in docs.items():
        p = prepare(doc, chrome)
        keys = repost_keys(p)
        c.executemany(
            "INSERT OR IGNORE INTO sketches (hash, notice_id, site) VALUES (?, ?, ?)",
            [(k, nid, run["site"]) for k in keys],
        )
        if not keys or alone is None:  # (no other site archived: no copy to look for)
            continue
        for other, site, title, number in _candidates(c, keys, run["site"]):
            if not heads_agree(doc, Doc(other, title or "", "", number)):
                continue  # titles or 文号 tell them apart: their bodies need not be read
            if other not in seen:
                row = events.current(c, other)
                seen[other] = prepare(doc_of(row), _chrome(c, site, chromes))
            if reposted(p, seen[other]):
                _join(c, nid, other, at, run["id"], doc.doc_number)


def _candidates(c, keys: list[int], site: str) -> list:
    """(id, site, title, 文号) of the notices of other sites sharing the most of `keys`.  A hash that
    more than COMMON notices hold is a set phrase, not evidence, and is not read further: the
    cost of a notice stays bounded however large the archive grows."""
    shared: Counter = Counter()
    site_of: dict[str, str] = {}
    for k in keys:
        holders = c.execute(
            "SELECT notice_id, site FROM sketches WHERE hash = ? LIMIT ?", (k, COMMON + 1)
        ).fetchall()
        if len(holders) <= COMMON:
            others = [(nid, theirs) for nid, theirs in holders if theirs != site]
            shared.update(nid for nid, _theirs in others)
            site_of.update(others)
    out = []
    for nid, _n in sorted(shared.items(), key=lambda x: (-x[1], x[0]))[:CANDIDATES]:
        row = c.execute(
            "SELECT v.title, v.doc_number FROM notices n JOIN versions v"
            " ON v.notice_id = n.id AND v.version = n.current_version WHERE n.id = ?",
            (nid,),
        ).fetchone()
        if row is not None:  # (a notice folded into another since)
            out.append((nid, site_of[nid], row[0], row[1]))
    return out


def _chrome(c, site: str, cache: dict) -> set[str]:
    """The template lines of a site, learnt once per run from its latest notices (a copy is
    compared without its site's template)."""
    if site not in cache:
        latest = c.execute(  # (events_site: the newest first, not the site's whole list)
            "SELECT DISTINCT notice_id FROM events WHERE site = ? AND kind = 'new'"
            " ORDER BY id DESC LIMIT ?",
            (site, SAMPLE),
        ).fetchall()
        rows = [events.current(c, nid) for (nid,) in latest]
        cache[site] = boilerplate([doc_of(r) for r in rows if r is not None], CHROME)
    return cache[site]


def _join(c, nid: str, other: str, at: str, rid: int, number: str | None) -> None:
    """Put `nid` in `other`'s group (one group, when both already had one)."""
    mine, theirs = _grp(c, nid), _grp(c, other)
    how = "doc_number" if number else "text"
    if theirs is None:
        theirs = other
        c.execute(
            "INSERT INTO copies (notice_id, grp, joined, run_id, how) VALUES (?,?,?,?,?)",
            (other, other, at, rid, how),
        )
    if mine is None:
        c.execute(
            "INSERT INTO copies (notice_id, grp, joined, run_id, how) VALUES (?,?,?,?,?)",
            (nid, theirs, at, rid, how),
        )
    elif mine != theirs:
        c.execute("UPDATE copies SET grp = ? WHERE grp = ?", (theirs, mine))


def _grp(c, nid: str) -> str | None:
    row = c.execute("SELECT grp FROM copies WHERE notice_id = ?", (nid,)).fetchone()
    return row[0] if row else None


def _diverge(c, run, at: str) -> None:
    """A copy edited or removed in this run while another copy, still online, holds what it
    had: a `diverged` event on the changed copy, naming the copies that kept it."""
    for nid, kind, event_id in _run_notices(c, run["id"], ("edited", "removed")):
        others = [o for o in group_of(c, nid) if o["status"] == "active"]
        if not others:
            continue
        ev = c.execute("SELECT version, fields, evidence FROM events WHERE id = ?", (event_id,))
        version, fields, proof = ev.fetchone()
        if kind == "edited" and json.loads(proof or "{}").get("on_the_way"):
            continue  # a migration's re-dating: the site's move, not an edit of its copy
        after = c.execute(
            "SELECT * FROM versions WHERE notice_id = ? AND version = ?", (nid, version)
        ).fetchone()
        before = c.execute(
            "SELECT * FROM versions WHERE notice_id = ? AND version < ? ORDER BY version DESC",
            (nid, version),
        ).fetchone()
        if after is None or (kind == "edited" and before is None):
            continue
        kept = [
            o
            for o in others
            if (row := events.current(c, o["id"])) is not None
            and _kept(kind, json.loads(fields or "[]"), row, before, after)
        ]
        if not kept:
            continue
        events.notice_event(
            c,
            "diverged",
            nid,
            c.execute("SELECT url FROM notices WHERE id = ?", (nid,)).fetchone()[0],
            at,
            run["id"],
            version=version,
            title=after["title"],
            reason=kind,
            evidence={"change": kind, "event": event_id, "copies": kept},
        )


def _kept(kind: str, fields: list[str], other, before, after) -> bool:
    """Whether the other copy still holds what this one had: the text removed (it is still a
    copy of it), or the text, title or 文号 before this copy's edit.  A change of other fields
    (a date, an attachment) is no divergence: copies differ in them from the start."""
    theirs = prepare(doc_of(other))
    if kind == "removed":
        return reposted(theirs, prepare(doc_of(after)))
    was, now = prepare(doc_of(before)), prepare(doc_of(after))
    if was.grams != now.grams:
        return kept_text(theirs, was, now)
    return any(
        same_heading(name, other[name], before[name])
        and not same_heading(name, other[name], after[name])
        for name in ("title", "doc_number")
        if name in fields
    )
