"""One notice at two URLs made one, and undone: a migration's match (migration.py), a near tie a
person confirms (`tzgg link OLD NEW`), and a link a person finds wrong (`tzgg unlink OLD NEW`).

`merge` folds notice `new` into notice `old`: new's versions continue old's history (its first
is dropped when the move changed no field), and its URLs, captures, events and copies become
old's.  The `moved` event records what `unmerge` needs to split them again: new's id, old's
version before, the shift of new's version numbers and the URLs that came with it."""

from __future__ import annotations

import json

from archive.storage import events
from archive.storage.queries import version_dict
from archive.storage.search import index_version, settle, unindex_version
from archive.storage.versioning import changed_fields
from crawler.schema.urls import canonicalize


class LinkError(Exception):
    """A link or unlink that cannot be made: one line, for the user."""


def merge(c, old: str, new: str, run_id, at: str, evidence: dict) -> bool:
    """Fold `new` into `old` (see above); a `moved` event with `evidence`, and an `edited` one
    when the move changed a field (flagged when it regenerated the displayed date).  Whether
    the move changed a field."""
    old_cur, new_row = events.current(c, old), _notice(c, new)
    first = c.execute(
        "SELECT * FROM versions WHERE notice_id = ? ORDER BY version LIMIT 1", (new,)
    ).fetchone()
    before = old_cur["version"]
    changed = changed_fields(version_dict(old_cur), version_dict(first))
    shift = before if changed else before - 1  # new's version v becomes v + shift
    urls = c.execute(
        "SELECT canonical_url, url FROM notice_urls WHERE notice_id = ? ORDER BY first_seen",
        (new,),
    ).fetchall()
    old_urls = [r[0] for r in c.execute("SELECT url FROM notice_urls WHERE notice_id = ?", (old,))]
    # what `unlink` gives back: new's captures and events, old's status, new's repost group
    kept = {
        "captures": [
            r[0] for r in c.execute("SELECT id FROM captures WHERE notice_id = ?", (new,))
        ],
        "capture_mark": c.execute("SELECT max(id) FROM captures").fetchone()[0] or 0,
        "events": [
            r[0]
            for r in c.execute(
                "SELECT id FROM events WHERE notice_id = ? AND kind != 'new'", (new,)
            )
        ],
        "status_before": _notice(c, old)["status"],
        "group_moved": _regroup(c, old, new),
    }
    if changed:
        c.execute(
            "UPDATE versions SET changed = ? WHERE notice_id = ? AND version = ?",
            (json.dumps(changed), new, first["version"]),
        )
    else:  # its first version is old's current one, seen again
        unindex_version(c, new, first["version"])
        c.execute("DELETE FROM versions WHERE notice_id = ? AND version = ?", (new, 1))
        c.execute(
            "UPDATE versions SET last_seen = max(last_seen, ?) WHERE notice_id = ? AND version = ?",
            (first["last_seen"], old, before),
        )
    c.execute(
        "UPDATE versions SET notice_id = ?, version = version + ? WHERE notice_id = ?",
        (old, shift, new),
    )
    for table in ("notice_urls", "captures"):
        c.execute(
            f"UPDATE {table} SET notice_id = ?, version = version + ? WHERE notice_id = ?",
            (old, shift, new),
        )
    c.execute("UPDATE OR REPLACE listed_on SET notice_id = ? WHERE notice_id = ?", (old, new))
    c.execute("DELETE FROM events WHERE notice_id = ? AND kind = 'new'", (new,))  # it was not
    c.execute(
        "UPDATE events SET notice_id = ?, version = version + ? WHERE notice_id = ?",
        (old, shift, new),
    )
    c.execute("UPDATE OR IGNORE sketches SET notice_id = ? WHERE notice_id = ?", (old, new))
    c.execute("DELETE FROM sketches WHERE notice_id = ?", (new,))
    c.execute("DELETE FROM move_ties WHERE old_id = ? OR new_id = ?", (old, new))
    c.execute(
        "UPDATE notices SET current_version = ?, last_seen = max(last_seen, ?), status = ?"
        " WHERE id = ?",
        (new_row["current_version"] + shift, new_row["last_seen"], new_row["status"], old),
    )
    c.execute("DELETE FROM notices WHERE id = ?", (new,))
    version = before + 1 if changed else before
    title = c.execute(
        "SELECT title FROM versions WHERE notice_id = ? AND version = ?", (old, version)
    ).fetchone()[0]
    proof = {
        "from": old_urls,
        "to": new_row["url"],
        **evidence,
        "new_id": new,
        "version_before": before,
        "shift": shift,
        "urls": [r[1] for r in urls],
        **kept,
    }

    def event(kind: str, **extra) -> None:
        events.notice_event(
            c, kind, old, new_row["url"], at, run_id, version=version, title=title, **extra
        )

    event("moved", evidence=proof)
    if changed:
        on_the_way = {"on_the_way": True}
        if "published" in changed:  # a migration often shows its own day as the date
            on_the_way["published_regenerated"] = {
                "before": old_cur["published"],
                "after": first["published"],
            }
        event("edited", fields=changed, evidence=on_the_way)
    return bool(changed)


def _regroup(c, old: str, new: str) -> bool:
    """New's repost group becomes old's: whether new's own row was handed to old (old had no
    group), which `unlink` hands back; two groups are joined into old's."""
    mine = c.execute("SELECT grp FROM copies WHERE notice_id = ?", (old,)).fetchone()
    theirs = c.execute("SELECT grp FROM copies WHERE notice_id = ?", (new,)).fetchone()
    if theirs is None:
        return False
    if mine is None:
        c.execute("UPDATE copies SET notice_id = ? WHERE notice_id = ?", (old, new))
        return True
    c.execute("UPDATE copies SET grp = ? WHERE grp = ?", (mine[0], theirs[0]))
    c.execute("DELETE FROM copies WHERE notice_id = ?", (new,))
    return False


def link(c, old: str, new: str, at: str) -> dict:
    """A person's confirmation that `new` is `old`, moved: checked, then merged."""
    o, n = _notice(c, old), _notice(c, new)
    if old == new:
        raise LinkError("a notice cannot be linked with itself")
    if o["site"] != n["site"]:
        raise LinkError(
            f"{old} is on site {o['site']} and {new} on {n['site']}: a move stays within a site"
            " (copies on other sites are grouped, not linked)"
        )
    if n["first_seen"] < o["first_seen"]:
        raise LinkError(f"{new} was archived before {old}: link the older notice first")
    tie = c.execute(
        "SELECT * FROM move_ties WHERE old_id = ? AND new_id = ?", (old, new)
    ).fetchone()
    first = c.execute(
        "SELECT run_id, at FROM events WHERE notice_id = ? AND kind = 'new'", (new,)
    ).fetchone()
    run_id, when = (first[0], first[1]) if first else (None, n["first_seen"])
    evidence = {"anchor": "by_hand", "linked": at, "was_tied": tie is not None}
    if tie is not None:
        evidence |= {"body_similarity": tie["body"], "title_similarity": tie["title"]}
    edited = merge(c, old, new, run_id, when, evidence)
    settle(c)  # (the search index, as a crawl's writer leaves it)
    return {"old": old, "new": new, "edited": edited}


def unlink(c, old: str, new: str, at: str) -> dict:
    """Split `new` (an id or one of the URLs that came with it) from `old` again, as it was
    before their link: its versions, URLs, captures and later events go back to it and its
    `new` event is recorded again.  `old` is left at its version before the link; when none
    of its own URLs serves it any more it is `removed` (reason `not_migrated`)."""
    _notice(c, old)
    moved = None
    for row in c.execute(
        "SELECT * FROM events WHERE notice_id = ? AND kind = 'moved' ORDER BY id DESC", (old,)
    ):
        ev = json.loads(row["evidence"] or "{}")
        if "new_id" not in ev:
            continue  # moved by a redirect: no merge to split
        came = {canonicalize(u) for u in ev.get("urls") or []}
        if new == ev["new_id"] or canonicalize(new) in came:
            moved = (row, ev, came)
            break
    if moved is None:
        raise LinkError(f"{old} has no link with {new} (see `tzgg show {old}`)")
    row, ev, came = moved
    since = c.execute(
        "SELECT evidence FROM events WHERE notice_id = ? AND kind = 'moved' AND id > ?"
        " AND json_extract(evidence, '$.new_id') IS NOT NULL ORDER BY id DESC LIMIT 1",
        (old, row["id"]),
    ).fetchone()
    if since is not None:  # its versions came after this link's: undo links newest first
        newer = json.loads(since[0])["new_id"]
        raise LinkError(f"{old} was linked with {newer} since: unlink that first")
    nid, before, shift = ev["new_id"], ev["version_before"], ev["shift"]
    if c.execute("SELECT 1 FROM notices WHERE id = ?", (nid,)).fetchone():
        raise LinkError(f"notice {nid} exists again: nothing to split")
    o = _notice(c, old)
    later = c.execute(
        "SELECT max(version) FROM versions WHERE notice_id = ? AND version > ?", (old, before)
    ).fetchone()[0]
    c.execute(
        "INSERT INTO notices (id, site, url, status, current_version, first_seen, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            nid,
            o["site"],
            ev["to"],
            o["status"],
            (later or before) - shift,
            row["at"],
            o["last_seen"],
        ),
    )
    if shift == before - 1:  # its first version was old's current one: it is its own again
        cols = [r[1] for r in c.execute("PRAGMA table_info(versions)")]
        rest = [k for k in cols if k not in ("notice_id", "version", "first_seen", "changed")]
        c.execute(
            f"INSERT INTO versions (notice_id, version, first_seen, changed, {', '.join(rest)})"
            f" SELECT ?, 1, ?, '[]', {', '.join(rest)} FROM versions"
            " WHERE notice_id = ? AND version = ?",
            (nid, row["at"], old, before),
        )
        index_version(c, nid, 1)
    c.execute(
        "UPDATE versions SET notice_id = ?, version = version - ? WHERE notice_id = ? AND version > ?",
        (nid, shift, old, before),
    )
    c.execute("UPDATE versions SET changed = '[]' WHERE notice_id = ? AND version = 1", (nid,))
    marks = ",".join("?" * len(came))
    c.execute(
        f"UPDATE notice_urls SET notice_id = ?, version = max(1, version - ?)"
        f" WHERE notice_id = ? AND canonical_url IN ({marks})",
        (nid, shift, old, *came),
    )
    # its captures: those it had, and those made since at a URL that came with it (a page,
    # its parts, its files)
    theirs = set(ev.get("captures") or [])
    theirs |= {
        r[0]
        for r in c.execute(
            "SELECT id, url, final_url FROM captures WHERE notice_id = ? AND id > ?",
            (old, ev.get("capture_mark", 0)),
        )
        if {canonicalize(r[1]), canonicalize(r[2] or r[1])} & came
    }
    _move_rows(c, "captures", theirs, nid, shift)
    # the link's own events go: the moved one and the edit it made on the way
    c.execute(
        "DELETE FROM events WHERE notice_id = ? AND (id = ? OR (id = ? AND kind = 'edited'"
        " AND json_extract(evidence, '$.on_the_way')))",
        (old, row["id"], row["id"] + 1),
    )
    # its events: those it had, and those since of a version it brought or at its URLs
    mine = set(ev.get("events") or [])
    mine |= {
        r[0]
        for r in c.execute(
            "SELECT id, url, version FROM events WHERE notice_id = ? AND id > ?",
            (old, row["id"]),
        )
        if (r[2] or 0) > before or canonicalize(r[1]) in came
    }
    _move_rows(c, "events", mine, nid, shift)
    status = ev.get("status_before", "active")
    c.execute(
        "UPDATE notices SET current_version = ?, status = ? WHERE id = ?", (before, status, old)
    )
    if ev.get("group_moved"):  # its repost group, which old had taken over
        c.execute("UPDATE copies SET notice_id = ? WHERE notice_id = ?", (nid, old))
    cur = events.current(c, nid)
    events.notice_event(
        c, "new", nid, ev["to"], row["at"], row["run_id"], version=1, title=cur["title"]
    )
    removed = False
    if (
        status == "active"
        and not c.execute(
            "SELECT count(*) FROM notice_urls WHERE notice_id = ? AND gone = 0"
            " AND redirects_to IS NULL",
            (old,),
        ).fetchone()[0]
    ):
        removed = True
        prev = events.current(c, old)
        c.execute("UPDATE notices SET status = 'removed' WHERE id = ?", (old,))
        events.notice_event(
            c,
            "removed",
            old,
            ev["from"][0] if ev.get("from") else o["url"],
            at,
            row["run_id"],
            version=before,
            title=prev["title"],
            reason="not_migrated",
            evidence={"unlinked_from": nid, "by_hand": at, "urls": ev.get("from")},
        )
    settle(c)
    return {"old": old, "new": nid, "old_removed": removed}


def _move_rows(c, table: str, ids: set[int], nid: str, shift: int) -> None:
    """Rows of `table` (captures, events) handed back to `nid`, their versions unshifted."""
    c.executemany(
        f"UPDATE {table} SET notice_id = ?, version = max(1, version - ?) WHERE id = ?",
        [(nid, shift, i) for i in sorted(ids)],
    )


def ties(c) -> list[dict]:
    """The near ties migrations left for a person, oldest first."""
    rows = c.execute(
        "SELECT t.*, o.site, vo.title AS old_title, o.url AS old_url, vn.title AS new_title,"
        " n.url AS new_url FROM move_ties t JOIN notices o ON o.id = t.old_id"
        " JOIN versions vo ON vo.notice_id = o.id AND vo.version = o.current_version"
        " JOIN notices n ON n.id = t.new_id"
        " JOIN versions vn ON vn.notice_id = n.id AND vn.version = n.current_version"
        " ORDER BY t.at, t.old_id, t.new_id"
    ).fetchall()
    return [dict(r) for r in rows]


def _notice(c, nid: str):
    row = c.execute("SELECT * FROM notices WHERE id = ?", (nid,)).fetchone()
    if row is None:
        raise LinkError(f"no notice {nid!r} in the archive")
    return row
