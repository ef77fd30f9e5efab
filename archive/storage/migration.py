"""A site's migration, as a run ends: when most of its archived notices failed (the run holds
their removals) and the same run found notices new to the archive, the held notices are
matched against the new ones (archive/storage/moves.py).  A matched new notice is folded into
the old one: its URL joins the notice's URLs, its text continues the notice's history (an
`edited` version when the move changed a field), and a `moved` event records both URLs and
the evidence.  Near ties and the unmatched stay held, as before."""

from __future__ import annotations

import json

from archive.storage import events
from archive.storage.moves import Doc, Link, match
from archive.storage.queries import version_dict
from archive.storage.search import unindex_version
from archive.storage.versioning import changed_fields


def _doc(row) -> Doc:
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
    olds = [_doc(r) for r in _current(c, held) if r is not None]
    news = [_doc(r) for r in _current(c, new_ids) if r is not None]
    out = match(olds, news)
    tied = {old for old, _news in out.ambiguous}
    counts = {"moved": 0, "edited": 0, "ambiguous": len(out.ambiguous), "held": tied}
    for link in out.links:
        edited = _fold(c, run, link)
        if edited is None:
            continue
        counts["moved"] += 1
        counts["edited"] += edited
    return counts


def _fold(c, run, link: Link) -> bool | None:
    """Fold new notice `link.new` (first archived in this run) into `link.old`; whether the
    move changed a field (None: not folded, the new notice has a history of its own)."""
    old, new, rid = link.old, link.new, run["id"]
    kinds = c.execute("SELECT kind, run_id FROM events WHERE notice_id = ?", (new,)).fetchall()
    if [tuple(k) for k in kinds] != [("new", rid)]:
        return None
    old_cur, new_cur = events.current(c, old), events.current(c, new)
    old_urls = [r[0] for r in c.execute("SELECT url FROM notice_urls WHERE notice_id = ?", (old,))]
    changed = changed_fields(version_dict(old_cur), version_dict(new_cur))
    version = old_cur["version"] + 1 if changed else old_cur["version"]
    at = new_cur["first_seen"]
    if changed:  # the move's text is the notice's next version (its search entry kept)
        c.execute(
            "UPDATE versions SET notice_id = ?, version = ?, changed = ?"
            " WHERE notice_id = ? AND version = ?",
            (old, version, json.dumps(changed), new, new_cur["version"]),
        )
    else:
        unindex_version(c, new, new_cur["version"])
        c.execute("DELETE FROM versions WHERE notice_id = ?", (new,))
        c.execute(
            "UPDATE versions SET last_seen = max(last_seen, ?) WHERE notice_id = ? AND version = ?",
            (new_cur["last_seen"], old, version),
        )
    c.execute(
        "UPDATE notice_urls SET notice_id = ?, version = ? WHERE notice_id = ?", (old, version, new)
    )
    c.execute(
        "UPDATE captures SET notice_id = ?, version = ? WHERE notice_id = ?", (old, version, new)
    )
    c.execute("UPDATE OR REPLACE listed_on SET notice_id = ? WHERE notice_id = ?", (old, new))
    c.execute("DELETE FROM events WHERE notice_id = ?", (new,))  # its `new`: it was not new
    c.execute(
        "UPDATE notices SET current_version = ?, last_seen = max(last_seen, ?), status = 'active'"
        " WHERE id = ?",
        (version, new_cur["last_seen"], old),
    )
    c.execute("DELETE FROM notices WHERE id = ?", (new,))
    evidence = {
        "from": old_urls,
        "to": new_cur["url"],
        "anchor": link.anchor,
        "body_similarity": link.body,
        "title_similarity": link.title,
        "migration": True,
    }
    title = events.current(c, old)["title"]

    def event(kind: str, **extra) -> None:
        events.notice_event(
            c, kind, old, new_cur["url"], at, rid, version=version, title=title, **extra
        )

    event("moved", evidence=evidence)
    if changed:
        on_the_way = {"on_the_way": True}
        if "published" in changed:  # a migration often shows its own day as the date
            on_the_way["published_regenerated"] = {
                "before": old_cur["published"],
                "after": new_cur["published"],
            }
        event("edited", fields=changed, evidence=on_the_way)
    return bool(changed)
