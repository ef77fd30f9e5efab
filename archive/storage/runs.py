"""The end of a run: removals (unless the run holds them), delistings, and its summary.

Removals wait until here because one run must see the whole site before it can tell a few
removed notices from a redesign or an outage that makes most of them vanish at once."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

from archive.storage import events, health, migration, reposts
from archive.storage.outcome import evidence
from crawler.schema.events import EVENT_KINDS
from crawler.schema.records import NO_DELISTING
from crawler.schema.urls import canonicalize

# The failure of a request tzgg made and never sent: its URL is over URLLENGTH_LIMIT.
UNSENT = "url_too_long"


def finish(
    c,
    run_id: int,
    at: str,
    errors: int,
    stopped: bool | str = False,
    *,
    confirmations=1,
    hold_min=1,
) -> dict:
    """`stopped`: True when a shutdown cut the crawl short (the run is `interrupted`, made
    again soon); "time_limit" when TZGG_MAX_CRAWL_SECONDS did.  A run stopped by its time
    before every listing walk ended is finished, flagged incomplete, and holds its removals:
    it has not seen the whole site.  One whose walks all ended is not flagged: the notices it
    listed and had no time to fetch are fetched first by the next crawl (`unfetched`)."""
    run = c.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
    flags: list[str] = []
    complete, walks = _walks(c, run, flags)
    timed_out = stopped == "time_limit" and bool(flags)  # a walk did not reach its end
    if timed_out:
        flags.insert(0, "incomplete:time_limit")
    elif stopped and stopped != "time_limit":
        flags.insert(0, "interrupted:shutdown")
    _moved_listings(c, run, flags)  # (after: it says nothing of the walks' ends)
    if errors:
        flags.append(f"archive_errors:{errors}")
    _health(c, run, walks, at, flags)
    _decide_removals(c, run, flags, timed_out, confirmations, hold_min)
    _decide_delistings(c, run, complete, at)
    reposts.finish_run(c, run, at)
    summary = _summary(c, run, flags)
    c.execute(
        "UPDATE runs SET finished=?, status=?, pages=?, counts=?, failures=?, flags=? WHERE id=?",
        (
            at,
            summary["status"],
            summary["pages"],
            json.dumps(summary["counts"]),
            json.dumps(summary["failures"]),
            json.dumps(flags, ensure_ascii=False),
            run_id,
        ),
    )
    return summary


HEALTH_TITLES = {
    "no_notices": "the listing shows no notices (a redesign moved the column?)",
    "fields_missing": "most pages lack a title, date or body (the template changed?)",
    "revisits_failed": "every revisit of an archived notice failed",
    "listing_blocked": "the listing answers with a block page",
    "block_pages": "the site answers with block pages (WAF, 访问过于频繁, 403/412/429)",
}


def _health(c, run, walks: dict, at: str, flags: list) -> None:
    """Flag the run, and raise an event when a flag first appears for the site."""
    for v in health.assess(c, run, walks):
        flags.append(f"{health.flag(v)}:{v['url']}")
        if not health.is_new(c, run, v):
            continue
        events.site_event(
            c,
            v["kind"],
            run["site"],
            v["url"],
            at,
            run["id"],
            title=HEALTH_TITLES[v["reason"]],
            reason=v["reason"],
            evidence=v["evidence"],
        )


def _walks(c, run, flags: list) -> tuple[list[str], dict]:
    """The listing walks of the run that reached their last page (a flag for each other),
    and every walk by its listing URL."""
    done = {
        r["listing_url"]: r for r in c.execute("SELECT * FROM walks WHERE run_id=?", (run["id"],))
    }
    complete = []
    for url in json.loads(run["listing_urls"] or "[]") or list(done):
        walk = done.get(canonicalize(url))
        if walk is None:
            flags.append(f"listing_incomplete:unfinished:{url}")
        elif not walk["complete"]:
            flags.append(f"listing_incomplete:{walk['reason'] or 'unknown'}:{url}")
        elif (walk["reason"] or "").startswith(NO_DELISTING):
            pass  # finished, but what it listed shows no absence (a list kept in a comment)
        else:
            complete.append(canonicalize(url))
    return complete, done


def _moved_listings(c, run, flags: list) -> None:
    """A listing URL of the registry that now redirects to another host (the column moved to
    a 集约化 platform, which the crawl followed): flagged, for the registry to be updated."""
    for url in json.loads(run["listing_urls"] or "[]"):
        row = c.execute(
            "SELECT final_url FROM captures WHERE run_id = ? AND kind = 'listing' AND url = ?"
            " AND final_url IS NOT NULL ORDER BY id LIMIT 1",
            (run["id"], url),
        ).fetchone()
        if row and urlsplit(row[0]).hostname != urlsplit(url).hostname:
            flags.append(f"listing_moved:{url}->{row[0]}")


def _decide_removals(c, run, flags: list, hold: bool, confirmations: int, hold_min: int) -> None:
    """`confirmations`: consecutive removal observations before a `removed` event;
    `hold_min`: below this many revisits a run never holds its removals."""
    rid = run["id"]
    revisits = c.execute(
        "SELECT count(DISTINCT url) FROM captures WHERE run_id=? AND kind='detail' AND revisit=1",
        (rid,),
    ).fetchone()[0]
    gone = c.execute(
        "SELECT * FROM captures WHERE run_id=? AND kind='detail' AND revisit=1"
        " AND outcome LIKE 'removed:%' ORDER BY id",
        (rid,),
    ).fetchall()
    if not gone:
        return
    if hold:
        flags.append(f"removals_held:time_limit:{len(gone)}")
        return
    # a URL already recorded gone that fails again is no news (a moved notice's old URL, a
    # removed notice's): the share that failed is of the URLs that were alive
    known = [_known_gone(c, cap) for cap in gone]
    failed = [cap for cap, was in zip(gone, known, strict=True) if not was]
    alive = revisits - len({cap["url"] for cap, was in zip(gone, known, strict=True) if was})
    if revisits >= hold_min and len(failed) * 2 > alive:
        flags.append(f"removals_held:{len(failed)}_of_{revisits}_revisits_failed")
        moved = migration.fold_moves(c, run, sorted({cap["notice_id"] for cap in failed}))
        same = migration.moved_whole(c, run, failed)
        if same:
            moved = {"moved": 0, "edited": 0, "ambiguous": 0, "held": set()} | moved
            moved["moved"] += same
        if not moved:
            return  # nothing new to match: a site down, or a redesign not yet listed
        _mark_moved_urls_gone(c, failed)
        lost = 0
        if moved["moved"] and not any(f.startswith("listing_incomplete") for f in flags):
            # the new listing was walked whole: what did not reappear on it did not migrate
            # (a near tie stays held, for a person)
            left = [cap for cap in failed if cap["notice_id"] not in moved["held"]]
            lost = _remove(c, rid, left, confirmations=1, reason="not_migrated", extra=moved)
        flags.append(
            f"migration:{moved['moved']}_moved_{moved['edited']}_edited"
            f"_{moved['ambiguous']}_ambiguous_{lost}_not_migrated"
        )
        return
    _remove(c, rid, gone, confirmations)


def _remove(c, rid: int, gone: list, confirmations: int, reason=None, extra=None) -> int:
    """Record each failed capture's URL gone (after `confirmations` runs), and a notice none of
    whose URLs serves it any more removed, with the capture's reason (or `reason`) and
    evidence (and `extra`: what a migration found).  How many notices it removed."""
    removed = 0
    for cap in gone:
        nid = cap["notice_id"]
        # The requested URL is gone, and so is the URL it was redirected to, when it is one of
        # the notice's own (that URL may not have been fetched directly this run).
        urls = {canonicalize(cap["url"]), canonicalize(cap["final_url"] or cap["url"])}
        for canon in urls:
            row = events.url_row(c, canon)
            if row is None or row["notice_id"] != nid or row["gone"]:
                continue
            streak = row["gone_streak"] + 1
            c.execute(
                "UPDATE notice_urls SET gone_streak=?, gone=? WHERE canonical_url=?",
                (streak, int(streak >= confirmations), canon),
            )
        # Removed when no URL of it serves it any more (a URL that redirects does not count).
        alive = _live_urls(c, nid)
        status = c.execute("SELECT status FROM notices WHERE id=?", (nid,)).fetchone()[0]
        if alive or status == "removed":
            continue
        cur = events.current(c, nid)
        c.execute("UPDATE notices SET status='removed' WHERE id=?", (nid,))
        proof = evidence(dict(cap)) | _window_state(c, cur, nid)
        if extra:
            proof["migration"] = {k: v for k, v in extra.items() if k != "held"}
        events.notice_event(
            c,
            "removed",
            nid,
            cap["url"],
            cap["at"],
            rid,
            version=cur["version"],
            title=cur["title"],
            reason=reason or cap["outcome"].split(":", 1)[1],
            evidence=proof,
        )
        removed += 1
    return removed


def _live_urls(c, nid: str, besides: str | None = None) -> int:
    """How many of the notice's URLs (other than `besides`) still serve it: not gone, not
    redirecting."""
    return c.execute(
        "SELECT count(*) FROM notice_urls WHERE notice_id = ? AND gone = 0"
        " AND redirects_to IS NULL AND canonical_url IS NOT ?",
        (nid, besides),
    ).fetchone()[0]


def _known_gone(c, cap) -> bool:
    row = events.url_row(c, canonicalize(cap["url"]))
    return row is not None and bool(row["gone"])


def _mark_moved_urls_gone(c, failed: list) -> None:
    """The URLs that failed, of notices now alive at another URL (moved): gone, as observed;
    the notice stays as it is."""
    for cap in failed:
        canon = canonicalize(cap["url"])
        row = events.url_row(c, canon)
        if row is None or row["gone"]:
            continue
        if _live_urls(c, row["notice_id"], besides=canon):
            c.execute(
                "UPDATE notice_urls SET gone = 1, gone_streak = gone_streak + 1"
                " WHERE canonical_url = ?",
                (canon,),
            )


def _window_state(c, version, nid: str) -> dict:
    """Where the removal falls against the version's 公示, from the captures that saw the
    notice last online and first gone (not from the run confirming it):
    {window_open: its last day} when it was gone by that day (the public's time to object was
    cut short: the alarm); {window_closed: its last day} when it was still online on that day
    and gone after (routine).  Between the two, nothing is claimed."""
    window = json.loads(version["objection_window"] or "null") if version else None
    end = ((window or {}).get("end") or "")[:10]
    if not end:
        return {}
    from crawler.schema.times import local_day

    alive = c.execute(
        "SELECT max(at) FROM captures WHERE notice_id = ? AND kind = 'detail'"
        " AND outcome IN ('ok', 'not_modified')",
        (nid,),
    ).fetchone()[0]
    gone = c.execute(
        "SELECT min(at) FROM captures WHERE notice_id = ? AND kind = 'detail'"
        " AND outcome LIKE 'removed:%' AND at > ?",
        (nid, alive or ""),
    ).fetchone()[0]
    if gone and local_day(gone) <= end:
        return {"window_open": end}
    if alive and local_day(alive) >= end:
        return {"window_closed": end}
    return {"window_end": end}


def _decide_delistings(c, run, complete: list[str], at: str) -> None:
    rid = run["id"]
    # Listed in this run: any of its URLs was, including URLs it gained during the run.
    listed = {
        nid: (url, walk)
        for nid, url, walk in c.execute(
            "SELECT u.notice_id, u.url, l.walk FROM listings l JOIN notice_urls u"
            " ON u.canonical_url = l.canonical_url WHERE l.run_id = ?",
            (rid,),
        )
    }
    for nid, (url, walk) in listed.items():  # a delisted notice listed again at a new URL
        events.relist_if_delisted(c, nid, url, at, rid, walk)
    c.executemany(
        "INSERT INTO listed_on (notice_id, walk, last_run) VALUES (?, ?, ?)"
        " ON CONFLICT (walk, notice_id) DO UPDATE SET last_run = excluded.last_run",
        c.execute(
            "SELECT DISTINCT u.notice_id, l.walk, l.run_id FROM listings l JOIN notice_urls u"
            " ON u.canonical_url = l.canonical_url WHERE l.run_id = ?",
            (rid,),
        ).fetchall(),
    )
    # A link the run did not follow for its length (`url_too_long`) may be an archived notice
    # listed at a new URL: a notice listed under the same date is held as seen.
    unsent = {
        canonicalize(u)
        for (u,) in c.execute(
            "SELECT url FROM captures WHERE run_id = ? AND outcome = ?",
            (rid, "transient:" + UNSENT),
        )
    }
    for walk in complete:
        # Columns drop old items by design: only what is newer than the oldest item this
        # listing still shows counts.
        oldest = c.execute(
            "SELECT min(coalesce(l.date, substr(v.published, 1, 10))) FROM listings l"
            " LEFT JOIN notice_urls u ON u.canonical_url = l.canonical_url"
            " LEFT JOIN notices n ON n.id = u.notice_id"
            " LEFT JOIN versions v ON v.notice_id = n.id AND v.version = n.current_version"
            " WHERE l.run_id = ? AND l.walk = ?",
            (rid, walk),
        ).fetchone()[0]
        if oldest is None:
            continue
        # Gone from the listing by design (no newer than what it still shows): forget them, so
        # a pinned or relisted old item cannot make them all look delisted later.
        c.execute(
            "DELETE FROM listed_on WHERE walk = ? AND last_run < ? AND notice_id IN ("
            " SELECT n.id FROM notices n JOIN versions v ON v.notice_id = n.id"
            " AND v.version = n.current_version WHERE n.id = listed_on.notice_id"
            " AND coalesce(n.listed_date, substr(v.published, 1, 10)) <= ?)",
            (walk, rid, oldest),
        )
        # Delisted: this listing showed it once, neither this whole walk of it nor the one
        # before showed it, no listing of the run does, and it is still online.  One walk is
        # not enough: a column that drops an item while it is walked moves the next one up
        # onto a page already read, and that one would be missed (see `_previous_walk`).
        before = _previous_walk(c, walk, rid)
        if before is None:
            continue
        rows = c.execute(
            "SELECT n.id, n.url, v.title, v.version,"
            " coalesce(n.listed_date, substr(v.published, 1, 10)) AS d FROM listed_on o"
            " JOIN notices n ON n.id = o.notice_id"
            " JOIN versions v ON v.notice_id = n.id AND v.version = n.current_version"
            " WHERE o.walk = ? AND o.last_run < ? AND n.status = 'active'"
            " AND EXISTS (SELECT 1 FROM captures c WHERE c.run_id = ? AND c.notice_id = n.id"
            "   AND c.outcome IN ('ok', 'not_modified'))",
            (walk, before, rid),
        ).fetchall()
        held = unsent and {
            d
            for u, d in c.execute(
                "SELECT canonical_url, date FROM listings WHERE run_id = ? AND walk = ?",
                (rid, walk),
            )
            if u in unsent
        }
        for r in rows:
            if r["id"] in listed or r["d"] is None or r["d"] <= oldest:
                continue
            if held and (None in held or r["d"] in held):
                continue
            c.execute("UPDATE notices SET status='delisted' WHERE id=?", (r["id"],))
            events.notice_event(
                c,
                "delisted",
                r["id"],
                r["url"],
                at,
                rid,
                version=r["version"],
                title=r["title"],
                evidence={"listing_url": walk, "oldest_listed": oldest, "walks": [before, rid]},
            )


def _previous_walk(c, walk: str, rid: int) -> int | None:
    """The run of the last complete walk of this listing before run `rid` (a finished run,
    whose walk could show an absence), or None.

    A notice is delisted only when two such walks in a row did not show it: an item a shift
    hid from one walk (the column dropped an item above it after its page was read) shows up
    in the next, while a real delisting is recorded by the second crawl after it."""
    return c.execute(
        "SELECT max(w.run_id) FROM walks w JOIN runs r ON r.id = w.run_id"
        " WHERE w.listing_url = ? AND w.run_id < ? AND w.complete = 1"
        " AND r.finished IS NOT NULL AND coalesce(w.reason, '') NOT LIKE ?",
        (walk, rid, NO_DELISTING + "%"),
    ).fetchone()[0]


def _summary(c, run, flags: list) -> dict:
    rid = run["id"]
    counts = dict.fromkeys(EVENT_KINDS, 0)
    for kind, n in c.execute(
        "SELECT kind, count(*) FROM events WHERE run_id=? GROUP BY kind", (rid,)
    ):
        counts[kind] = n
    failures: Counter = Counter()
    pages = 0
    for outcome, responses, n in c.execute(
        "SELECT outcome, count(status), count(*) FROM captures WHERE run_id=? GROUP BY outcome",
        (rid,),
    ):
        pages += responses
        if outcome.startswith("transient:"):
            name = outcome.split(":", 1)[1]
        elif outcome in ("blocked", "empty", "degraded"):
            name = outcome
        elif outcome.startswith("attachment_failed:"):  # the notice was kept, the file not
            name = "attachment_" + outcome.split(":", 1)[1]
        else:
            continue
        # a request never sent counts under one name, whatever it was for (listing page,
        # notice, part, attachment): listing_url_too_long, attachment_url_too_long ...
        failures[UNSENT if name.endswith(UNSENT) else name] += n
    return {
        "run": rid,
        "site": run["site"],
        "status": "interrupted"
        if "interrupted:shutdown" in flags
        else "flagged"
        if flags
        else "ok",
        "pages": pages,
        "counts": counts,
        "failures": dict(failures),
        "flags": list(flags),
    }
