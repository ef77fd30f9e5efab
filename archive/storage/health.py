"""Is the crawler of a site broken, or is the site blocking it?  Judged at the end of a run
from what the run recorded; the verdicts become `site_broken` / `site_blocked` events beside
the notice events, with `url` the listing URL.

* broken: a listing yields no notices (a redesign moved the column), the share of detail pages
  without a title, a date or a body jumps (the template changed), or every revisit fails;
* blocked: a listing or a good share of detail pages answer with block pages (WAF challenges,
  访问过于频繁, 403 / 412 / 429) or login walls.

An event is raised when a flag appears, not again while the next runs keep it: a watchdog
hears once that its crawl of a district broke, and `tzgg runs` shows every flagged run.
"""

from __future__ import annotations

import json

from archive.storage.outcome import BLOCKING
from crawler.schema.fields import core
from crawler.schema.records import NOTICE_FIELDS
from crawler.schema.urls import canonicalize

BLOCKED_WALK = {"blocked", "http_403", "http_412", "http_451", "http_429"}
MIN_PAGES = 5  # detail pages extracted before a share of them means anything
MISSING_SHARE = 0.5  # this share of pages missing a field, and
MISSING_JUMP = 0.3  # this much more than the site's earlier runs: the template changed
BLOCKED_SHARE = 0.2
MIN_BLOCKED = 3
MIN_REVISITS = 3
BASELINE_RUNS = 5
FIELDS = core(NOTICE_FIELDS)  # what every notice page states (title, date, body)


def assess(c, run, walks: dict) -> list[dict]:
    """The health verdicts of a run: [{kind, reason, url, evidence}], at most one per kind
    and reason (and listing, for listings)."""
    rid, listings = run["id"], json.loads(run["listing_urls"] or "[]")
    first = listings[0] if listings else f"http://{run['site']}/"
    out = []
    for url in listings or list(walks):
        walk = walks.get(canonicalize(url))
        reason = walk["reason"] if walk is not None else None
        if reason in BLOCKED_WALK:
            out.append(_verdict("site_blocked", "listing_blocked", url, {"walk": reason}))
        elif reason == "no_notices_found":
            out.append(_verdict("site_broken", "no_notices", url, {"walk": reason}))
    blocked = _blocked_pages(c, rid)
    if blocked:
        out.append(_verdict("site_blocked", "block_pages", first, blocked))
    missing = _missing_fields(c, run)
    if missing:
        out.append(_verdict("site_broken", "fields_missing", first, missing))
    if not blocked and not missing and not _broken_before(c, run, "fields_missing"):
        # (a page that lost its fields fails its revisit: the template break says why)
        failed = _revisits_failed(c, rid)
        if failed:
            out.append(_verdict("site_broken", "revisits_failed", first, failed))
    return out


def flag(v: dict) -> str:
    return f"{v['kind']}:{v['reason']}"


def is_new(c, run, v: dict) -> bool:
    """Whether the site's previous run lacked this flag (an event is raised once a streak)."""
    prev = c.execute(
        "SELECT flags FROM runs WHERE site = ? AND id < ? AND finished IS NOT NULL"
        " ORDER BY id DESC LIMIT 1",
        (run["site"], run["id"]),
    ).fetchone()
    if prev is None:
        return True
    return f"{flag(v)}:{v['url']}" not in json.loads(prev["flags"] or "[]")


def _broken_before(c, run, reason: str) -> bool:
    prev = c.execute(
        "SELECT flags FROM runs WHERE site = ? AND id < ? AND finished IS NOT NULL"
        " ORDER BY id DESC LIMIT 1",
        (run["site"], run["id"]),
    ).fetchone()
    return prev is not None and f"site_broken:{reason}:" in prev["flags"]


def _verdict(kind: str, reason: str, url: str, evidence: dict) -> dict:
    return {"kind": kind, "reason": reason, "url": url, "evidence": evidence}


def _blocked_pages(c, rid: int) -> dict | None:
    marks = ", ".join("?" * len(BLOCKING))
    total, blocked, phrase, example = c.execute(
        f"SELECT count(*), sum(outcome IN ({marks})),"
        " max(CASE WHEN outcome IN ('blocked', 'transient:login_wall') THEN phrase END),"
        f" max(CASE WHEN outcome IN ({marks}) THEN url END)"
        " FROM captures WHERE run_id = ? AND kind IN ('detail', 'part')",
        (*BLOCKING, *BLOCKING, rid),
    ).fetchone()
    if not blocked or blocked < MIN_BLOCKED or blocked < BLOCKED_SHARE * total:
        return None
    return {"blocked": blocked, "fetched": total, "phrase": phrase, "example": example}


def _missing_counts(c, rid: int) -> tuple[int, dict[str, int], int]:
    """(pages extracted, pages missing each field, pages missing any) in a run."""
    pages, any_missing = 0, 0
    counts = dict.fromkeys(FIELDS, 0)
    for outcome, *fields in c.execute(
        f"SELECT cap.outcome, {', '.join(f'v.{name}' for name in FIELDS)} FROM captures cap"
        " LEFT JOIN versions v ON v.notice_id = cap.notice_id AND v.version = cap.version"
        " WHERE cap.run_id = ? AND cap.kind = 'detail'"
        " AND cap.outcome IN ('ok', 'empty', 'degraded')",
        (rid,),
    ):
        pages += 1
        values = fields if outcome == "ok" else [None] * len(FIELDS)
        gaps = [name for name, value in zip(FIELDS, values, strict=True) if not value]
        for name in gaps:
            counts[name] += 1
        any_missing += bool(gaps)
    return pages, counts, any_missing


def _missing_fields(c, run) -> dict | None:
    pages, counts, missing = _missing_counts(c, run["id"])
    if pages < MIN_PAGES or missing < MISSING_SHARE * pages:
        return None
    earlier = [
        _missing_counts(c, r[0])
        for r in c.execute(
            # runs flagged broken or blocked are no baseline: a lasting break must stay flagged
            "SELECT id FROM runs WHERE site = ? AND id < ? AND flags NOT LIKE '%site_broken:%'"
            " AND flags NOT LIKE '%site_blocked:%' ORDER BY id DESC LIMIT ?",
            (run["site"], run["id"], BASELINE_RUNS),
        )
    ]
    seen = sum(p for p, _, _ in earlier)
    baseline = sum(m for _, _, m in earlier) / seen if seen >= MIN_PAGES else 0.0
    share = missing / pages
    if share - baseline < MISSING_JUMP:
        return None  # a site whose pages never state a date is not broken today
    return {
        "pages": pages,
        "missing": counts,
        "share": round(share, 3),
        "baseline": round(baseline, 3),
    }


def _revisits_failed(c, rid: int) -> dict | None:
    total, answered = c.execute(
        "SELECT count(*), sum(outcome IN ('ok', 'not_modified') OR outcome LIKE 'removed:%')"
        " FROM captures WHERE run_id = ? AND kind = 'detail' AND revisit = 1",
        (rid,),
    ).fetchone()
    if total < MIN_REVISITS or answered:
        return None
    outcomes = dict(
        c.execute(
            "SELECT outcome, count(*) FROM captures WHERE run_id = ? AND kind = 'detail'"
            " AND revisit = 1 GROUP BY outcome",
            (rid,),
        ).fetchall()
    )
    return {"revisits": total, "outcomes": outcomes}
