"""A site's migration, as a run ends: when most of its archived notices failed (the run holds
their removals) and the same run found notices new to the archive, the held notices are
matched against the new ones (archive/storage/moves.py).  A matched new notice is folded into
the old one: its URL joins the notice's URLs, its text continues the notice's history (an
`edited` version when the move changed a field), and a `moved` event records both URLs and
the evidence.  Near ties and the unmatched stay held, as before."""

from __future__ import annotations

import json

from archive.storage import events
from archive.storage.links import merge
from archive.storage.moves import Doc, Link, compare, match


def doc_of(row) -> Doc:
    """A notice's current version, as the matcher compares it."""
    files = tuple(a["sha256"] for a in json.loads(row["attachments"] or "[]") if a.get("sha256"))
    return Doc(row["notice_id"], row["title"] or "", row["body"] or "", row["doc_number"], files)


def _current(c, ids: list[str]) -> list:
    return [events.current(c, nid) for nid in ids]


def fold_moves(c, run, held: list[str]) -> dict:
    """Match the notices whose removal the run holds (`held`: their ids) with the notices this
    run archived as new on the same site, and fold each match; the counts, for the run's
    flags, and `held`: the old notices of near ties, left for a person."""
    rid = run["id"]
    new_ids = [
        r[0]
        for r in c.execute(
            "SELECT e.notice_id FROM events e WHERE e.run_id = ? AND e.kind = 'new'"
            " AND e.site = ? ORDER BY e.id",
            (rid, run["site"]),
        )
    ]
    if not new_ids or not held:
        return {}
    olds = [doc_of(r) for r in _current(c, held) if r is not None]
    news = [doc_of(r) for r in _current(c, new_ids) if r is not None]
    out = match(olds, news)
    tied = {old for old, _news in out.ambiguous}
    by_key = {d.key: d for d in olds + news}
    for old, near in out.ambiguous:
        for new in near:
            _hold(c, run, by_key[old], by_key[new])
    counts = {"moved": 0, "edited": 0, "ambiguous": len(out.ambiguous), "held": tied}
    for link in out.links:
        edited = _fold(c, run, link)
        if edited is None:
            continue
        counts["moved"] += 1
        counts["edited"] += edited
    return counts


def moved_whole(c, run, failed: list) -> int:
    """The notices whose old URL failed this run and that the run found, unchanged, at a URL
    new to them (the archive joined that URL by their equal content): a `moved` event each;
    how many."""
    rid, n = run["id"], 0
    by_notice: dict[str, list] = {}
    for cap in failed:
        if cap["notice_id"]:
            by_notice.setdefault(cap["notice_id"], []).append(cap)
    for nid, caps in by_notice.items():
        if c.execute(
            "SELECT 1 FROM events WHERE notice_id = ? AND run_id = ? AND kind = 'moved'",
            (nid, rid),
        ).fetchone():
            continue  # folded, or moved by a redirect: its event is made
        new = c.execute(
            "SELECT url FROM notice_urls WHERE notice_id = ? AND gone = 0 AND redirects_to IS NULL"
            " AND first_seen >= ? ORDER BY first_seen LIMIT 1",
            (nid, run["started"]),
        ).fetchone()
        if new is None:
            continue
        cur = events.current(c, nid)
        evidence = {
            "from": [cap["url"] for cap in caps],
            "to": new[0],
            "anchor": "same_content",
            "migration": True,
        }
        events.notice_event(
            c,
            "moved",
            nid,
            new[0],
            caps[0]["at"],
            rid,
            version=cur["version"],
            title=cur["title"],
            evidence=evidence,
        )
        n += 1
    return n


def _fold(c, run, link: Link) -> bool | None:
    """Fold new notice `link.new` (first archived in this run) into `link.old`; whether the
    move changed a field (None: not folded, the new notice has a history of its own)."""
    kinds = c.execute("SELECT kind, run_id FROM events WHERE notice_id = ?", (link.new,))
    if [tuple(k) for k in kinds] != [("new", run["id"])]:
        return None
    at = c.execute("SELECT first_seen FROM notices WHERE id = ?", (link.new,)).fetchone()[0]
    evidence = {
        "anchor": link.anchor,
        "body_similarity": link.body,
        "title_similarity": link.title,
        "migration": True,
    }
    return merge(c, link.old, link.new, run["id"], at, evidence)


def _hold(c, run, old: Doc, new: Doc) -> None:
    """A near tie, kept for a person (`tzgg link`), with how alike the two are."""
    pair = compare(old, new)
    c.execute(
        "INSERT OR REPLACE INTO move_ties (old_id, new_id, run_id, at, score, body, title,"
        " anchor) VALUES (?,?,?,?,?,?,?,?)",
        (
            old.key,
            new.key,
            run["id"],
            run["started"],
            pair.score,
            pair.body,
            pair.title,
            pair.anchor,
        ),
    )
