"""The one entry point for writing: records from crawls in, versions and events out.

`Archive.ingest(record)` takes the plain records a crawl yields (a fetch, a listing page, the end
of a listing walk) and stores each in one transaction, so a crawl killed at any moment leaves a
consistent archive.  Removals and delistings are decided when a run finishes
(`finish_run`), because a run that sees most of a site vanish holds its removals instead.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections import Counter
from contextlib import contextmanager

from crawler.urls import canonicalize

from . import db as dbmod
from .headers import pack as pack_headers
from .outcome import classify, evidence
from .timeutil import utcnow
from .versioning import changed_fields, fold, version_hash

COMPRESS_LEVEL = 6


def notice_id(site: str, canonical_url: str) -> str:
    """Stable id from the site and the first canonical URL, never from insertion order."""
    return hashlib.sha256(f"{site}\n{canonical_url}".encode()).hexdigest()[:16]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _header(headers: list, name: str) -> str | None:
    name = name.lower()
    for k, v in headers or []:
        if k.lower() == name:
            return v
    return None


class Archive:
    """Writes crawl records into the archive at `path`."""

    def __init__(
        self,
        path,
        *,
        keep_all_bodies: bool = False,
        removal_confirmations: int = 1,
        hold_min_revisits: int = 4,
        batch: int = 1,
    ):
        self.path = path
        self.conn = dbmod.connect(path)
        self.conn.isolation_level = None  # explicit transactions
        self.keep_all_bodies = keep_all_bodies
        self.removal_confirmations = max(1, removal_confirmations)
        self.hold_min_revisits = hold_min_revisits
        # Records per transaction. Each record is whole or absent (a savepoint each), so a
        # crash loses at most the last uncommitted batch, which the next crawl fetches again.
        self.batch = max(1, batch)
        self._pending = 0

    def close(self) -> None:
        self.flush()
        self.conn.close()

    def flush(self) -> None:
        """Commit the records written so far."""
        if self._pending:
            self.conn.execute("COMMIT")
            self._pending = 0

    @contextmanager
    def _tx(self):
        if not self._pending:
            self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("SAVEPOINT record")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK TO record")
            self.conn.execute("RELEASE record")
            if not self._pending:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("RELEASE record")
        self._pending += 1
        if self._pending >= self.batch:
            self.flush()

    # -- runs -------------------------------------------------------------------------------

    def begin_run(self, site: str, at: str | None = None) -> int:
        self.flush()
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO runs (site, started) VALUES (?, ?)", (site, at or utcnow())
            )
            return cur.lastrowid

    # -- records ----------------------------------------------------------------------------

    def ingest(self, record: dict, run_id: int) -> list[dict]:
        """Store one record; return the events it raised."""
        kind = record["type"]
        if kind == "fetch":
            return self._ingest_fetch(record, run_id)
        if kind == "listed":
            return self._ingest_listed(record, run_id)
        if kind == "walk":
            self._ingest_walk(record, run_id)
            return []
        raise ValueError(f"unknown record type {kind!r}")

    def _store_body(self, c: sqlite3.Connection, sha: str, body: bytes) -> None:
        c.execute(
            "INSERT OR IGNORE INTO bodies (sha256, size, data) VALUES (?, ?, ?)",
            (sha, len(body), zlib.compress(body, COMPRESS_LEVEL)),
        )

    def _capture(
        self,
        c,
        rec: dict,
        run_id: int,
        outcome: str,
        *,
        store: bool,
        notice: str | None = None,
        version: int | None = None,
    ) -> None:
        sha = rec.get("body_sha256")
        stored = bool(store and sha and rec.get("body") is not None)
        if stored:
            self._store_body(c, sha, rec["body"])
        c.execute(
            "INSERT INTO captures (run_id, site, kind, url, final_url, at, http_version, status,"
            " reason, headers, request_headers, body_sha256, body_stored, decoded_from, outcome,"
            " notice_id, version, error, phrase, revisit, redirects)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                rec["site"],
                rec["kind"],
                rec["url"],
                None if rec.get("final_url") == rec["url"] else rec.get("final_url"),
                rec["at"],
                rec.get("http_version"),
                rec.get("status"),
                rec.get("reason"),
                pack_headers(rec.get("headers") or []),
                pack_headers(rec.get("request_headers") or []),
                sha,
                int(stored),
                rec.get("decoded_from"),
                outcome,
                notice,
                version,
                rec.get("error"),
                rec.get("phrase"),
                int(bool(rec.get("revisit"))),
                _json(rec["redirects"]) if rec.get("redirects") else None,
            ),
        )

    def _event(
        self,
        c,
        *,
        kind,
        notice,
        site,
        url,
        at,
        run_id,
        version=None,
        title=None,
        fields=None,
        reason=None,
        evidence=None,
    ) -> dict:
        cur = c.execute(
            "INSERT INTO events (notice_id, site, url, kind, at, run_id, version, title, fields,"
            " reason, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                notice,
                site,
                url,
                kind,
                at,
                run_id,
                version,
                title,
                _json(fields) if fields is not None else None,
                reason,
                _json(evidence) if evidence is not None else None,
            ),
        )
        return {
            "id": cur.lastrowid,
            "notice_id": notice,
            "url": url,
            "site": site,
            "kind": kind,
            "at": at,
            "title": title,
            "fields": fields,
            "reason": reason,
            "evidence": evidence,
        }

    def _url_row(self, c, canonical: str):
        return c.execute(
            "SELECT * FROM notice_urls WHERE canonical_url = ?", (canonical,)
        ).fetchone()

    def _current(self, c, nid: str):
        return c.execute(
            "SELECT v.* FROM versions v JOIN notices n ON n.id = v.notice_id"
            " AND v.version = n.current_version WHERE n.id = ?",
            (nid,),
        ).fetchone()

    def _ingest_fetch(self, rec: dict, run_id: int) -> list[dict]:
        body = rec.get("body")
        if body is not None:
            rec["body_sha256"] = hashlib.sha256(body).hexdigest()
        if rec["kind"] == "listing":
            status = rec.get("status")
            ok = status is not None and 200 <= status < 300
            outcome = (
                "listing" if ok else f"transient:listing_{rec.get('error') or f'http_{status}'}"
            )
            with self._tx() as c:
                self._capture(c, rec, run_id, outcome, store=self.keep_all_bodies)
            return []
        outcome = classify(rec)
        canon = canonicalize(rec["url"])
        final = canonicalize(rec.get("final_url") or rec["url"])
        with self._tx() as c:
            row = self._url_row(c, canon) or (final != canon and self._url_row(c, final)) or None
            rec["revisit"] = row is not None and not row["gone"]  # a live archived URL
            if outcome == "ok" and rec.get("redirected") and final != canon and row is not None:
                # A redirect to a page holding the same notice is a moved URL, not a removal.
                cur = self._current(c, row["notice_id"])
                if not _same_notice(cur, rec["notice"]):
                    outcome = "removed:redirected_away"
            if outcome == "ok":
                return self._store_version(c, rec, run_id, row, final)
            if outcome == "not_modified" and row is not None:
                cur = self._current(c, row["notice_id"])
                self._touch(c, rec, row, cur["version"])
                if final != row["canonical_url"]:  # redirected, then not modified: moved
                    self._add_url(c, rec, row["notice_id"], final, rec.get("final_url"))
                self._capture(
                    c,
                    rec,
                    run_id,
                    outcome,
                    store=False,
                    notice=row["notice_id"],
                    version=cur["version"],
                )
                return []
            removal = outcome.startswith("removed:")
            self._capture(
                c,
                rec,
                run_id,
                outcome,
                store=removal or self.keep_all_bodies,
                notice=row["notice_id"] if row is not None else None,
            )
            return []

    def _touch(self, c, rec: dict, row, version: int) -> None:
        at = rec["at"]
        c.execute(
            "UPDATE notice_urls SET last_seen=?, gone=0, gone_streak=0,"
            " etag=coalesce(?, etag), last_modified=coalesce(?, last_modified) WHERE canonical_url=?",
            (
                at,
                _header(rec.get("headers"), "etag"),
                _header(rec.get("headers"), "last-modified"),
                row["canonical_url"],
            ),
        )
        c.execute("UPDATE notices SET last_seen=? WHERE id=?", (at, row["notice_id"]))
        c.execute(
            "UPDATE versions SET last_seen=? WHERE notice_id=? AND version=?",
            (at, row["notice_id"], version),
        )

    def _add_url(self, c, rec: dict, nid: str, canonical: str, url: str) -> None:
        c.execute(
            "INSERT OR IGNORE INTO notice_urls (canonical_url, url, notice_id, site, first_seen,"
            " last_seen, etag, last_modified) VALUES (?,?,?,?,?,?,?,?)",
            (
                canonical,
                url,
                nid,
                rec["site"],
                rec["at"],
                rec["at"],
                _header(rec.get("headers"), "etag"),
                _header(rec.get("headers"), "last-modified"),
            ),
        )

    def _insert_version(self, c, rec, nid, version, h, changed) -> None:
        n = rec["notice"]
        c.execute(
            "INSERT INTO versions (notice_id, version, hash, url, first_seen, last_seen, title,"
            " published, source, doc_number, index_number, written, body, body_html, attachments,"
            " breadcrumb, changed, extractor_version, body_sha256, encoding)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                nid,
                version,
                h,
                rec.get("final_url") or rec["url"],
                rec["at"],
                rec["at"],
                n.get("title"),
                n.get("published"),
                n.get("source"),
                n.get("doc_number"),
                n.get("index_number"),
                n.get("written"),
                n.get("body"),
                n.get("body_html"),
                _json(n.get("attachments") or []),
                _json(n.get("breadcrumb") or []),
                _json(changed),
                rec.get("extractor_version") or "",
                rec.get("body_sha256"),
                rec.get("charset"),
            ),
        )

    def _store_version(self, c, rec: dict, run_id: int, row, final: str) -> list[dict]:
        n = rec["notice"]
        h = version_hash(n)
        at, site = rec["at"], rec["site"]
        url = rec.get("final_url") or rec["url"]
        events: list[dict] = []
        if row is None:
            # Not seen at this URL before: the same notice at another URL, or a new notice.
            dup = c.execute(
                "SELECT n.id FROM notices n JOIN versions v ON v.notice_id = n.id"
                " AND v.version = n.current_version WHERE n.site = ? AND v.hash = ? LIMIT 1",
                (site, h),
            ).fetchone()
            if dup is None:
                nid = notice_id(site, final)
                listed = c.execute(
                    "SELECT run_id, date FROM listings WHERE canonical_url=? AND run_id=?",
                    (final, run_id),
                ).fetchone()
                c.execute(
                    "INSERT INTO notices (id, site, url, status, current_version, first_seen,"
                    " last_seen, listed_date, last_listed_run) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        nid,
                        site,
                        url,
                        "active",
                        1,
                        at,
                        at,
                        listed["date"] if listed else None,
                        listed["run_id"] if listed else None,
                    ),
                )
                self._add_url(c, rec, nid, final, url)
                self._insert_version(c, rec, nid, 1, h, [])
                self._capture(c, rec, run_id, "ok", store=True, notice=nid, version=1)
                events.append(
                    self._event(
                        c,
                        kind="new",
                        notice=nid,
                        site=site,
                        url=url,
                        at=at,
                        run_id=run_id,
                        version=1,
                        title=n.get("title"),
                    )
                )
                return events
            nid = dup["id"]
            self._add_url(c, rec, nid, final, url)
            row = self._url_row(c, final)
        nid = row["notice_id"]
        if row["canonical_url"] != final:
            self._add_url(c, rec, nid, final, url)  # moved: the new URL joins the notice
        notice = c.execute("SELECT * FROM notices WHERE id=?", (nid,)).fetchone()
        cur = self._current(c, nid)
        if notice["status"] == "removed":
            c.execute("UPDATE notices SET status='active' WHERE id=?", (nid,))
            events.append(
                self._event(
                    c,
                    kind="restored",
                    notice=nid,
                    site=site,
                    url=url,
                    at=at,
                    run_id=run_id,
                    version=cur["version"],
                    title=n.get("title"),
                )
            )
        if cur["hash"] == h:
            self._touch(c, rec, row, cur["version"])
            if row["canonical_url"] != final:
                self._touch(c, rec, self._url_row(c, final), cur["version"])
            self._capture(
                c, rec, run_id, "ok", store=self.keep_all_bodies, notice=nid, version=cur["version"]
            )
            return events
        changed = changed_fields(dict(cur) | {"attachments": json.loads(cur["attachments"])}, n)
        version = cur["version"] + 1
        self._insert_version(c, rec, nid, version, h, changed)
        c.execute("UPDATE notices SET current_version=? WHERE id=?", (version, nid))
        self._touch(c, rec, row, version)
        self._capture(c, rec, run_id, "ok", store=True, notice=nid, version=version)
        events.append(
            self._event(
                c,
                kind="edited",
                notice=nid,
                site=site,
                url=url,
                at=at,
                run_id=run_id,
                version=version,
                title=n.get("title"),
                fields=changed,
            )
        )
        return events

    def _ingest_listed(self, rec: dict, run_id: int) -> list[dict]:
        events = []
        with self._tx() as c:
            for e in rec["entries"]:
                canon = canonicalize(e["url"])
                c.execute(
                    "INSERT OR IGNORE INTO listings (run_id, site, canonical_url, listing_url,"
                    " title, date) VALUES (?,?,?,?,?,?)",
                    (run_id, rec["site"], canon, rec["listing_url"], e.get("title"), e.get("date")),
                )
                row = self._url_row(c, canon)
                if row is None:
                    continue
                nid = row["notice_id"]
                c.execute(
                    "UPDATE notices SET last_listed_run=?, listed_date=coalesce(?, listed_date)"
                    " WHERE id=?",
                    (run_id, e.get("date"), nid),
                )
                status = c.execute("SELECT status FROM notices WHERE id=?", (nid,)).fetchone()[0]
                if status == "delisted":
                    c.execute("UPDATE notices SET status='active' WHERE id=?", (nid,))
                    cur = self._current(c, nid)
                    events.append(
                        self._event(
                            c,
                            kind="relisted",
                            notice=nid,
                            site=rec["site"],
                            url=row["url"],
                            at=rec.get("at") or utcnow(),
                            run_id=run_id,
                            version=cur["version"],
                            title=cur["title"],
                            evidence={"listing_url": rec["listing_url"]},
                        )
                    )
        return events

    def _ingest_walk(self, rec: dict, run_id: int) -> None:
        with self._tx() as c:
            run = c.execute(
                "SELECT listing_complete, flags FROM runs WHERE id=?", (run_id,)
            ).fetchone()
            complete = bool(rec["complete"]) and run["listing_complete"] in (None, 1)
            flags = json.loads(run["flags"])
            if not rec["complete"]:
                flags.append(
                    f"listing_incomplete:{rec.get('reason') or 'unknown'}:{rec['listing_url']}"
                )
            c.execute(
                "UPDATE runs SET listing_complete=?, flags=? WHERE id=?",
                (int(complete), _json(flags), run_id),
            )

    # -- the end of a run -------------------------------------------------------------------

    def finish_run(self, run_id: int, at: str | None = None) -> dict:
        """Decide removals and delistings for the run, and record its summary."""
        at = at or utcnow()
        self.flush()
        with self._tx() as c:
            run = c.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            flags = json.loads(run["flags"])
            events = self._decide_removals(c, run, at, flags)
            if run["listing_complete"]:
                events += self._decide_delistings(c, run, at)
            summary = self._summary(c, run, flags)
            c.execute(
                "UPDATE runs SET finished=?, status=?, pages=?, counts=?, failures=?, flags=?"
                " WHERE id=?",
                (
                    at,
                    summary["status"],
                    summary["pages"],
                    _json(summary["counts"]),
                    _json(summary["failures"]),
                    _json(flags),
                    run_id,
                ),
            )
        self.flush()
        return summary

    def _decide_removals(self, c, run, at: str, flags: list) -> list[dict]:
        rid = run["id"]
        revisits = c.execute(
            "SELECT count(DISTINCT url) FROM captures WHERE run_id=? AND kind='detail' AND revisit=1",
            (rid,),
        ).fetchone()[0]
        gone = c.execute(
            "SELECT c.* FROM captures c WHERE c.run_id=? AND c.kind='detail'"
            " AND c.outcome LIKE 'removed:%' AND c.revisit = 1 ORDER BY c.id",
            (rid,),
        ).fetchall()
        if not gone:
            return []
        if revisits >= self.hold_min_revisits and len(gone) * 2 > revisits:
            flags.append(f"removals_held:{len(gone)}_of_{revisits}_revisits_failed")
            return []
        events = []
        for cap in gone:
            canon = canonicalize(cap["url"])
            row = self._url_row(c, canon)
            if row is None or row["gone"]:
                continue
            streak = row["gone_streak"] + 1
            c.execute(
                "UPDATE notice_urls SET gone_streak=?, gone=? WHERE canonical_url=?",
                (streak, int(streak >= self.removal_confirmations), canon),
            )
            if streak < self.removal_confirmations:
                continue
            nid = row["notice_id"]
            alive = c.execute(
                "SELECT count(*) FROM notice_urls WHERE notice_id=? AND gone=0", (nid,)
            ).fetchone()[0]
            notice = c.execute("SELECT status FROM notices WHERE id=?", (nid,)).fetchone()
            if alive or notice["status"] == "removed":
                continue
            cur = self._current(c, nid)
            c.execute("UPDATE notices SET status='removed' WHERE id=?", (nid,))
            ev = evidence(dict(cap))
            events.append(
                self._event(
                    c,
                    kind="removed",
                    notice=nid,
                    site=run["site"],
                    url=row["url"],
                    at=cap["at"],
                    run_id=rid,
                    version=cur["version"],
                    title=cur["title"],
                    reason=cap["outcome"].split(":", 1)[1],
                    evidence=ev,
                )
            )
        return events

    def _decide_delistings(self, c, run, at: str) -> list[dict]:
        rid, site = run["id"], run["site"]
        # A notice is listed when any of its URLs was, including URLs it gained in this run.
        c.execute(
            "UPDATE notices SET last_listed_run = ? WHERE id IN (SELECT u.notice_id FROM listings l"
            " JOIN notice_urls u ON u.canonical_url = l.canonical_url WHERE l.run_id = ?)",
            (rid, rid),
        )
        oldest = c.execute(
            "SELECT min(coalesce(l.date, substr(v.published, 1, 10))) FROM listings l"
            " LEFT JOIN notice_urls u ON u.canonical_url = l.canonical_url"
            " LEFT JOIN notices n ON n.id = u.notice_id"
            " LEFT JOIN versions v ON v.notice_id = n.id AND v.version = n.current_version"
            " WHERE l.run_id = ?",
            (rid,),
        ).fetchone()[0]
        if oldest is None:
            return []
        rows = c.execute(
            "SELECT n.id, n.url, v.title, v.version, coalesce(n.listed_date,"
            " substr(v.published, 1, 10)) AS d FROM notices n"
            " JOIN versions v ON v.notice_id = n.id AND v.version = n.current_version"
            " WHERE n.site = ? AND n.status = 'active' AND n.last_listed_run IS NOT NULL"
            " AND n.last_listed_run < ?"
            " AND EXISTS (SELECT 1 FROM captures c WHERE c.run_id = ? AND c.notice_id = n.id"
            "   AND c.outcome IN ('ok', 'not_modified'))",
            (site, rid, rid),
        ).fetchall()
        events = []
        for r in rows:
            if r["d"] is None or r["d"] <= oldest:
                continue  # columns drop old items by design
            c.execute("UPDATE notices SET status='delisted' WHERE id=?", (r["id"],))
            events.append(
                self._event(
                    c,
                    kind="delisted",
                    notice=r["id"],
                    site=site,
                    url=r["url"],
                    at=at,
                    run_id=rid,
                    version=r["version"],
                    title=r["title"],
                    evidence={"oldest_listed": oldest},
                )
            )
        return events

    def _summary(self, c, run, flags: list) -> dict:
        rid = run["id"]
        counts = Counter(
            {k: 0 for k in ("new", "edited", "removed", "restored", "delisted", "relisted")}
        )
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
                failures[outcome.split(":", 1)[1]] += n
            elif outcome in ("blocked", "empty"):
                failures[outcome] += n
        listing_bad = (
            any(f.startswith("listing_incomplete") for f in flags) or not run["listing_complete"]
        )
        held = any(f.startswith("removals_held") for f in flags)
        status = "flagged" if (listing_bad or held) else "ok"
        return {
            "run": rid,
            "site": run["site"],
            "status": status,
            "pages": pages,
            "counts": dict(counts),
            "failures": dict(failures),
            "flags": list(flags),
        }


def _same_notice(cur, notice: dict) -> bool:
    if cur is None:
        return False
    if version_hash(notice) == cur["hash"]:
        return True
    return fold(notice.get("title")) is not None and fold(notice.get("title")) == fold(cur["title"])
