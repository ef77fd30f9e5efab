"""The one entry point for writing: records from crawls in, versions and events out.

`Archive.ingest(record)` takes the records a crawl yields (a fetch, a listing page, the end
of a listing walk) and stores each whole or not at all, so a crawl killed at any moment leaves a
consistent archive.  Removals and delistings are decided when a run finishes
(`finish_run`, in `runs.py`), because a run that sees most of a site vanish holds its removals.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable
from contextlib import contextmanager

from archive.storage import attachments as files
from archive.storage import db as dbmod
from archive.storage import events as eventlog
from archive.storage import runs
from archive.storage.headers import pack as pack_headers
from archive.storage.migration import doc_of
from archive.storage.moves import Doc, alike
from archive.storage.outcome import classify, degraded
from archive.storage.reextract import rederive
from archive.storage.search import index_version, settle, unindex_version
from archive.storage.versioning import (
    changed_fields,
    column_values,
    decoded,
    fold,
    json_or_null,
    version_hash,
)
from crawler.schema.records import EXTRACTOR_VERSION, to_record
from crawler.schema.times import utcnow
from crawler.schema.urls import canonicalize

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
        hold_min_revisits: int = 1,
        batch: int = 1,
        extract: Callable | None = None,
    ):
        self.path = path
        # extract(body, url, charset) -> Notice, the crawl's own extractor.  With it, a
        # version an older extractor derived is re-derived before it is compared, so an
        # upgraded extractor never shows up as an edit.
        self.extract = extract
        self.conn = dbmod.connect(path)
        # 64 MiB of pages: the writer's inserts land at random keys (hashes, URLs) in indexes
        # that outgrow SQLite's 2 MiB default, and each COMMIT cost more as the archive grew
        self.conn.execute("PRAGMA cache_size = -65536")
        self.conn.isolation_level = None  # explicit transactions
        self.keep_all_bodies = keep_all_bodies
        self.removal_confirmations = max(1, removal_confirmations)
        self.hold_min_revisits = max(1, hold_min_revisits)
        # Records per transaction: a crash loses at most the last uncommitted batch, which the
        # next crawl fetches again.  Each record is whole or absent (`ingest_batch`).
        self.batch = max(1, batch)
        self._pending = 0
        self._bare = False  # inside ingest_batch's one transaction: no savepoint per record
        self._held = False  # replaying a batch: no commit until it is whole

    def close(self) -> None:
        self.flush()
        self.conn.close()

    def flush(self) -> None:
        """Commit the records written so far."""
        if self._pending:
            try:
                settle(self.conn)  # the versions queued for the search indexes
                self.conn.execute("COMMIT")
            finally:
                if not self.conn.in_transaction:
                    self._pending = 0

    @contextmanager
    def _tx(self):
        """One record's writes, whole or absent: in a savepoint of the batch's transaction, or
        bare inside `ingest_batch`, which replays its batch this way when a record fails."""
        if self._bare:
            yield self.conn
            return
        if not self._pending:
            self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("SAVEPOINT record")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO record")
                self.conn.execute("RELEASE record")
                if not self._pending:
                    self.conn.execute("ROLLBACK")
            else:  # SQLite rolled the whole batch back itself (disk full, I/O error)
                self._pending = 0
            raise
        self.conn.execute("RELEASE record")
        self._pending += 1
        if self._pending >= self.batch and not self._held:
            self.flush()

    def ingest_batch(self, items: list[tuple]) -> list:
        """Store (record, run id) pairs in one transaction, committed before it returns; for
        each, the events it raised or the exception that kept it out.

        The batch is written without a savepoint per record.  When a record raises, the batch
        is rolled back and replayed one record at a time, each in a savepoint: the record is
        absent, the others stored, as if each had been ingested alone.  (Replaying is sound
        because `ingest` recomputes from the archive whatever it writes into its record.)  A
        failed COMMIT raises: none of the batch is stored."""
        self.flush()
        if not items:
            return []
        self.conn.execute("BEGIN IMMEDIATE")
        self._bare = True
        try:
            out = [self.ingest(rec, run) for rec, run in items]
        except Exception:
            out = None
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._bare = False
        if out is None:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            return self._one_by_one(items)
        try:
            settle(self.conn)  # the versions queued for the search indexes
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return out

    def _one_by_one(self, items: list[tuple]) -> list:
        out = []
        self._held = True
        try:
            for rec, run in items:
                try:
                    out.append(self.ingest(rec, run))
                except Exception as exc:
                    out.append(exc)
        finally:
            self._held = False
        try:
            self.flush()
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._pending = 0
            raise
        return out

    # -- runs -------------------------------------------------------------------------------

    def adopt_site(self, key: str, hosts: dict[str, list[str] | None]) -> int:
        """File what was archived under a host name (crawled before the site had a registry
        entry) under the registry key: one name per site in every output from now on.  Ids
        stay as they are.  `hosts`: host -> None (the key is the host's only entry: all of it)
        or the key's listings there (a host several entries share: the notices those listings
        showed).  Returns the notices relabelled."""
        self.flush()
        n = 0
        for host, walks in hosts.items():
            # the notices_site index answers this at once: adopting happens once per host
            if not self.conn.execute(
                "SELECT 1 FROM notices WHERE site = ? LIMIT 1", (host,)
            ).fetchone():
                continue
            mark = f"adopted {key} {host} {' '.join(sorted(walks or []))}"
            if walks is not None and self._meta(mark):
                continue  # done once: what is left under the host is another district's
            with self._tx() as c:
                if walks is None:
                    n += c.execute(
                        "SELECT count(*) FROM notices WHERE site = ?", (host,)
                    ).fetchone()[0]
                    for table in ("notices", "notice_urls", "captures", "events", "runs"):
                        c.execute(f"UPDATE {table} SET site = ? WHERE site = ?", (key, host))
                    continue
                marks = ",".join("?" * len(walks))
                # every listing the key's walks ever showed (listed_on forgets what aged off)
                ids = [
                    r[0]
                    for r in c.execute(
                        "SELECT DISTINCT n.id FROM notices n JOIN notice_urls u"
                        " ON u.notice_id = n.id WHERE n.site = ? AND u.canonical_url IN"
                        f" (SELECT canonical_url FROM listings WHERE walk IN ({marks}))",
                        (host, *walks),
                    )
                ]
                for nid in ids:
                    for table, column in (
                        ("notices", "id"),
                        ("notice_urls", "notice_id"),
                        ("captures", "notice_id"),
                        ("events", "notice_id"),
                    ):
                        c.execute(f"UPDATE {table} SET site = ? WHERE {column} = ?", (key, nid))
                n += len(ids)
                c.execute(dbmod.META_SQL)
                c.execute(
                    "INSERT OR IGNORE INTO archive_meta (key, value) VALUES (?, ?)",
                    (mark, utcnow()),
                )
        self.flush()
        return n

    def _meta(self, key: str) -> str | None:
        try:
            row = self.conn.execute("SELECT value FROM archive_meta WHERE key = ?", (key,))
            return (row.fetchone() or (None,))[0]
        except sqlite3.OperationalError:  # no such table yet
            return None

    def describe_site(self, site: str, name: str | None, region: str | None) -> None:
        """Record what the registry says of a site (its name and region) as of this crawl."""
        with self._tx() as c:
            c.execute(
                "INSERT INTO sites (site, name, region, updated) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(site) DO UPDATE SET name = excluded.name,"
                " region = excluded.region, updated = excluded.updated",
                (site, name, region, utcnow()),
            )

    def begin_run(self, site: str, listing_urls: list[str] = (), at: str | None = None) -> int:
        self.flush()
        if self.extract is not None:
            self.rederive_site(site, listing_urls)
        with self._tx() as c:
            # The caller holds the site's lock: a run of the site still open was cut short
            # (kill -9, power loss) and will never finish.
            c.execute(
                "UPDATE runs SET status = 'interrupted' WHERE site = ? AND finished IS NULL"
                " AND status = 'running'",
                (site,),
            )
            cur = c.execute(
                "INSERT INTO runs (site, started, listing_urls) VALUES (?, ?, ?)",
                (site, at or utcnow(), _json(list(listing_urls))),
            )
            run_id = cur.lastrowid
        self.flush()
        return run_id

    def rederive_site(self, site: str, listing_urls: list[str] = ()) -> int:
        """Re-derive, from their stored pages, the site's versions that an older extractor (or
        other overrides) derived, before this run compares anything with them: so an upgrade
        is never an edit, nor a stale copy or a notice at a new URL mistaken for one.  A version
        the extractor cannot read stays as it was (then compared as it stands).  Returns how
        many could not be read.

        Every version is re-derived with the overrides of `site`, the site they are filed under
        and this run reads pages with (its registry entry; for a site filed under a host name,
        the entry of its listings), never with an entry picked by each page's URL: on a host
        that several districts share, a notice's URL need not say whose it is."""
        extract = self.extract
        if hasattr(extract, "for_site"):
            extract = extract.for_site(site, list(listing_urls) or [f"http://{site}/"])
        url = listing_urls[0] if listing_urls else f"http://{site}/"
        tag = extract.tag(url) if hasattr(extract, "tag") else EXTRACTOR_VERSION
        rows = self.conn.execute(
            "SELECT v.notice_id, v.version FROM versions v JOIN notices n ON n.id = v.notice_id"
            " WHERE n.site = ? AND v.extractor_version != ?",
            (site, tag),
        ).fetchall()
        failed = 0
        for nid, version in rows:
            try:
                with self._tx() as c:
                    rederive(c, nid, version, extract)
            except Exception:  # an old page the new extractor chokes on
                failed += 1
        self.flush()
        return failed

    def finish_run(
        self, run_id: int, at: str | None = None, errors: int = 0, stopped: bool = False
    ) -> dict:
        """Decide removals and delistings for the run, and record its summary (`stopped`: a
        shutdown cut the crawl short; the run is `interrupted`, to be made again)."""
        self.flush()
        with self._tx() as c:
            summary = runs.finish(
                c,
                run_id,
                at or utcnow(),
                errors,
                stopped,
                confirmations=self.removal_confirmations,
                hold_min=self.hold_min_revisits,
            )
        self.flush()
        return summary

    # -- records ----------------------------------------------------------------------------

    def ingest(self, record, run_id: int) -> list[dict]:
        """Store one record (a typed record, or the plain data `to_record` makes of one);
        return the events it raised."""
        if not isinstance(record, dict):
            record = to_record(record)
        kind = record["type"]
        if kind == "fetch":
            return self._ingest_fetch(record, run_id)
        if kind == "listed":
            return self._ingest_listed(record, run_id)
        if kind == "walk":
            with self._tx() as c:
                c.execute(
                    "INSERT OR REPLACE INTO walks (run_id, listing_url, complete, pages, reason)"
                    " VALUES (?,?,?,?,?)",
                    (
                        run_id,
                        canonicalize(record["listing_url"]),  # one key however it is spelled
                        int(bool(record["complete"])),
                        record.get("pages"),
                        record.get("reason"),
                    ),
                )
            return []
        raise ValueError(f"unknown record type {kind!r}")

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
            c.execute(
                "INSERT OR IGNORE INTO bodies (sha256, size, data) VALUES (?, ?, ?)",
                (sha, len(rec["body"]), zlib.compress(rec["body"], COMPRESS_LEVEL)),
            )
        final = rec.get("final_url")
        c.execute(
            "INSERT INTO captures (run_id, site, kind, url, final_url, at, http_version, status,"
            " reason, headers, request_headers, body_sha256, body_stored, decoded_from, outcome,"
            " notice_id, version, error, phrase, revisit, redirects, hops)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                rec["site"],
                rec["kind"],
                rec["url"],
                None if final == rec["url"] else final,
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
                pack_headers(rec["hops"]) if rec.get("hops") else None,
            ),
        )

    def _ingest_fetch(self, rec: dict, run_id: int) -> list[dict]:
        body = rec.get("body")
        if body is not None:
            rec["body_sha256"] = hashlib.sha256(body).hexdigest()
        if rec["kind"] in ("listing", "part"):
            kind, status = rec["kind"], rec.get("status")
            ok = status is not None and 200 <= status < 300 and not rec.get("error")
            why = rec.get("error") or (f"http_{status}" if not ok else rec.get("page_class"))
            outcome = kind if why in (None, "ok") else f"transient:{kind}_{why}"
            with self._tx() as c:  # a part's body is kept with the version it joins
                self._capture(c, rec, run_id, outcome, store=self.keep_all_bodies)
            return []
        outcome = classify(rec)
        canon = canonicalize(rec["url"])
        final = canonicalize(rec.get("final_url") or rec["url"])
        fetched = rec.get("files") or []
        for f in fetched:
            files.file_sha(f)
        with self._tx() as c:
            # texts first: the version is indexed with the text of every file it lists
            kept = [f for f in fetched if files.outcome(f) == files.OK]
            files.store_texts(c, kept, rec.get("texts") or [])
            if rec.get("notice"):
                files.drop_unknown(c, rec["notice"])
            events = self._detail(c, rec, run_id, outcome, canon, final)
            if fetched:
                row = eventlog.url_row(c, final) or eventlog.url_row(c, canon)
                nid = row["notice_id"] if row is not None else None
                for f in fetched:
                    self._file_capture(c, rec, f, run_id, nid)
            return events

    def _file_capture(self, c, rec: dict, f: dict, run_id: int, nid: str | None) -> None:
        """An attachment fetch: its bytes kept (2xx within the size limit) under its sha256."""
        outcome = files.outcome(f)
        cap = dict(f, site=rec["site"], kind="attachment", body_sha256=f["sha256"])
        self._capture(c, cap, run_id, outcome, store=outcome == files.OK, notice=nid)

    def _detail(self, c, rec: dict, run_id: int, outcome: str, canon: str, final: str) -> list:
        row = eventlog.url_row(c, canon)
        final_row = row if final == canon else eventlog.url_row(c, final)
        known = row or final_row
        # the requested URL's notice, redirected for the first time to another URL: moved,
        # when the page there is that notice (whichever of the two URLs was fetched first)
        moving = (
            outcome == "ok"
            and row is not None
            and _beyond_scheme(canon, final)
            and row["redirects_to"] != final
        )
        if outcome == "ok" and final != canon:
            outcome, known = self._redirected(c, rec, row, final_row, run_id)
        if (
            outcome == "ok"
            and known is not None
            and degraded(eventlog.current(c, known["notice_id"]), rec.get("notice") or {})
        ):
            outcome = "degraded"  # a template change lost fields: a failed fetch, not an edit
        rec["revisit"] = known is not None and not known["gone"]  # a live archived URL
        if outcome == "ok":
            events = self._store_version(c, rec, run_id, canon, final, known)
            if moving:
                events += self._moved(c, rec, row["notice_id"], final, run_id)
            if final != canon:  # after a fold, its captures learn their version
                c.execute(
                    "UPDATE captures SET version = (SELECT current_version FROM notices"
                    " WHERE id = captures.notice_id) WHERE run_id = ? AND notice_id ="
                    " (SELECT notice_id FROM notice_urls WHERE canonical_url = ?)"
                    " AND version IS NULL AND outcome = 'ok'",
                    (run_id, final),
                )
            return events
        nid = known["notice_id"] if known is not None else None
        if outcome == "not_modified" and nid is not None:
            # What this URL served last time: a stale copy's 304 is not the current version.
            version = known["version"] or eventlog.current(c, nid)["version"]
            self._join(c, rec, nid, canon, final, version)
            self._capture(c, rec, run_id, outcome, store=False, notice=nid, version=version)
            return []
        store = outcome.startswith("removed:") or self.keep_all_bodies
        self._capture(c, rec, run_id, outcome, store=store, notice=nid)
        return []

    def _moved(self, c, rec: dict, nid: str, final: str, run_id: int) -> list:
        """A `moved` event when the notice's old URL now leads to its new one, unless a move
        between them is on record (a migration's, a link's, or a redirect that came back)."""
        now = eventlog.url_row(c, final)
        if now is None or now["notice_id"] != nid:
            return []  # redirected away, into another notice: not this notice moving
        for (ev,) in c.execute(
            "SELECT evidence FROM events WHERE notice_id = ? AND kind = 'moved'", (nid,)
        ):
            told = json.loads(ev or "{}")
            to = {canonicalize(u) for u in [told.get("to") or "", *(told.get("urls") or [])]}
            if final in to:
                return []
        cur = eventlog.current(c, nid)
        evidence = {"from": [rec["url"]], "to": now["url"], "anchor": "redirect"}
        if rec.get("redirects"):
            evidence["redirects"] = rec["redirects"]
        return [
            eventlog.notice_event(
                c,
                "moved",
                nid,
                now["url"],
                rec["at"],
                run_id,
                version=cur["version"],
                title=cur["title"],
                evidence=evidence,
            )
        ]

    def _redirected(self, c, rec: dict, row, final_row, run_id: int):
        """(outcome, the URL row the content belongs to) for a page reached by a redirect.

        A page that extracts to the notice the requested URL held is that notice, moved (and
        perhaps edited); otherwise the requested URL's notice was redirected away."""
        same = row is not None and _same_notice(
            eventlog.current(c, row["notice_id"]), rec["notice"]
        )
        if final_row is None:  # a new URL: the notice moved there, or went away
            return ("ok" if same or row is None else "removed:redirected_away"), row
        if row is None or row["notice_id"] == final_row["notice_id"]:
            return "ok", final_row  # a fetch of the notice the final URL holds
        if same:
            if self._fold(c, final_row["notice_id"], into=row["notice_id"], run_id=run_id):
                return "ok", eventlog.url_row(c, final_row["canonical_url"])
            return "moved", row  # into a notice archived apart earlier: not a removal
        return "removed:redirected_away", row  # it now leads into another notice

    def _fold(self, c, dup: str, *, into: str, run_id: int) -> bool:
        """Fold a notice first seen in this very run into the one it turned out to be (the new
        URL of a moved and edited notice was fetched before the redirect that tells so)."""
        events = c.execute("SELECT kind, run_id FROM events WHERE notice_id=?", (dup,)).fetchall()
        if [tuple(e) for e in events] != [("new", run_id)]:
            return False  # an established notice of its own
        c.execute("UPDATE notice_urls SET notice_id=?, version=NULL WHERE notice_id=?", (into, dup))
        c.execute("UPDATE captures SET notice_id=?, version=NULL WHERE notice_id=?", (into, dup))
        for table, key in (("events", "notice_id"), ("versions", "notice_id"), ("notices", "id")):
            c.execute(f"DELETE FROM {table} WHERE {key}=?", (dup,))
        return True

    def _join(self, c, rec: dict, nid: str, canon: str, final: str, version: int) -> None:
        """Record that the notice's `version` was served at `final` (reached from `canon`):
        add whichever URL is new to the notice, and mark both alive."""
        at = rec["at"]
        etag = _header(rec.get("headers"), "etag")
        modified = _header(rec.get("headers"), "last-modified")
        for url, canonical, redirects_to in (
            (rec.get("final_url") or rec["url"], final, None),
            (rec["url"], canon, final if final != canon else None),
        ):
            c.execute(
                "INSERT INTO notice_urls (canonical_url, url, notice_id, site, first_seen,"
                " last_seen, version, redirects_to, etag, last_modified)"
                " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (canonical_url) DO UPDATE SET"
                " last_seen=excluded.last_seen, gone=0, gone_streak=0, version=excluded.version,"
                " redirects_to=excluded.redirects_to,"
                " etag=coalesce(excluded.etag, etag),"
                " last_modified=coalesce(excluded.last_modified, last_modified)"
                " WHERE notice_id = excluded.notice_id",
                (
                    canonical,
                    url,
                    nid,
                    rec["site"],
                    at,
                    at,
                    version,
                    redirects_to,
                    etag if redirects_to is None else None,
                    modified if redirects_to is None else None,
                ),
            )
            if canonical == final == canon:
                break
        c.execute("UPDATE notices SET last_seen=? WHERE id=?", (at, nid))
        c.execute(
            "UPDATE versions SET last_seen=? WHERE notice_id=? AND version=?", (at, nid, version)
        )

    def _insert_version(self, c, rec, nid, version, h, changed) -> None:
        n = rec["notice"]
        parts = []  # a multi-page article: its other pages are kept for re-extraction
        for url, body in rec.get("parts") or []:
            sha = hashlib.sha256(body).hexdigest()
            c.execute(
                "INSERT OR IGNORE INTO bodies (sha256, size, data) VALUES (?, ?, ?)",
                (sha, len(body), zlib.compress(body, COMPRESS_LEVEL)),
            )
            parts.append([url, sha])
        row = {
            "notice_id": nid,
            "version": version,
            "hash": h,
            "url": rec.get("final_url") or rec["url"],
            "first_seen": rec["at"],
            "last_seen": rec["at"],
            **column_values(n),
            "changed": _json(changed),
            "extractor_version": rec.get("extractor_version") or "",
            "body_sha256": rec.get("body_sha256"),
            "encoding": rec.get("charset"),
            "parts": json_or_null(parts or None),
        }
        c.execute(
            f"INSERT INTO versions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        index_version(c, nid, version)

    def _store_version(self, c, rec: dict, run_id: int, canon: str, final: str, known) -> list:
        n, at = rec["notice"], rec["at"]
        url = rec.get("final_url") or rec["url"]
        if known is None:
            # Not seen at this URL: the same notice published at another URL, or a new one.
            # (Its files' bytes may be known here and not there, or the other way round.)
            h = version_hash(n)
            atts = n.get("attachments") or []
            hashes = {h}
            for alt in (files.without_shas(atts), files.last_known(c, rec["site"], atts)):
                if alt != atts:  # the same list hashes the same: skip the JSON and the digest
                    hashes.add(version_hash(n | {"attachments": alt}))
            # From the hash index (CROSS JOIN fixes the order): driven from the site's index,
            # SQLite would read every notice of the site for each new notice.
            dup = c.execute(
                "SELECT n.id, n.current_version FROM versions v CROSS JOIN notices n"
                " ON n.id = v.notice_id AND n.current_version = v.version"
                f" WHERE v.hash IN ({','.join('?' * len(hashes))}) AND n.site = ?"
                " ORDER BY n.id LIMIT 1",
                (*sorted(hashes), rec["site"]),
            ).fetchone()
            if dup is not None:
                self._settle_attachments(c, dup["id"], n)
                events = self._restore_if_removed(c, dup["id"], rec, run_id)
                self._join(c, rec, dup["id"], canon, final, dup["current_version"])
                self._capture(
                    c,
                    rec,
                    run_id,
                    "ok",
                    store=self.keep_all_bodies,
                    notice=dup["id"],
                    version=dup["current_version"],
                )
                return events
            nid = notice_id(rec["site"], final)
            listed = c.execute(
                "SELECT date FROM listings WHERE run_id=? AND canonical_url IN (?, ?)",
                (run_id, canon, final),
            ).fetchone()
            c.execute(
                "INSERT INTO notices (id, site, url, status, current_version, first_seen, last_seen,"
                " listed_date) VALUES (?,?,?,?,?,?,?,?)",
                (nid, rec["site"], url, "active", 1, at, at, listed["date"] if listed else None),
            )
            self._insert_version(c, rec, nid, 1, h, [])
            self._join(c, rec, nid, canon, final, 1)
            self._capture(c, rec, run_id, "ok", store=True, notice=nid, version=1)
            return [
                eventlog.notice_event(
                    c, "new", nid, url, at, run_id, version=1, title=n.get("title")
                )
            ]
        nid = known["notice_id"]
        cur = self._settle_attachments(c, nid, n)
        h = version_hash(n)
        events = self._restore_if_removed(c, nid, rec, run_id)
        # Compare with the current version, and with what this URL served last time: when two
        # copies of a notice diverge, the stale copy is not an edit back and forth.
        served = c.execute(
            "SELECT hash FROM versions WHERE notice_id=? AND version=?", (nid, known["version"])
        ).fetchone()
        if h == cur["hash"] or (served is not None and h == served[0]):
            version = cur["version"] if h == cur["hash"] else known["version"]
            self._join(c, rec, nid, canon, final, version)
            self._capture(
                c, rec, run_id, "ok", store=self.keep_all_bodies, notice=nid, version=version
            )
            return events
        changed = changed_fields(decoded(cur), n)
        version = cur["version"] + 1
        self._insert_version(c, rec, nid, version, h, changed)
        c.execute("UPDATE notices SET current_version=? WHERE id=?", (version, nid))
        self._join(c, rec, nid, canon, final, version)
        self._capture(c, rec, run_id, "ok", store=True, notice=nid, version=version)
        events.append(
            eventlog.notice_event(
                c,
                "edited",
                nid,
                url,
                at,
                run_id,
                version=version,
                title=n.get("title"),
                fields=changed,
            )
        )
        return events

    def _settle_attachments(self, c, nid: str, n: dict):
        """Before comparing: files of `n` whose download failed (or was not tried) keep the
        bytes the current version knew; files the current version listed without bytes and
        `n` downloaded are filled into it in place (a baseline, no event).  Returns the
        current version as it then stands."""
        cur = eventlog.current(c, nid)
        old = json.loads(cur["attachments"] or "[]")
        files.carry(old, n.get("attachments") or [])
        if not files.baseline(old, n.get("attachments") or []):
            return cur
        unindex_version(c, nid, cur["version"])
        c.execute(
            "UPDATE versions SET attachments = ?, hash = ? WHERE notice_id = ? AND version = ?",
            (_json(old), version_hash(dict(cur) | {"attachments": old}), nid, cur["version"]),
        )
        index_version(c, nid, cur["version"])
        return eventlog.current(c, nid)

    def _restore_if_removed(self, c, nid: str, rec: dict, run_id: int) -> list[dict]:
        status = c.execute("SELECT status FROM notices WHERE id=?", (nid,)).fetchone()[0]
        if status != "removed":
            return []
        c.execute("UPDATE notices SET status='active' WHERE id=?", (nid,))
        cur = eventlog.current(c, nid)
        url = rec.get("final_url") or rec["url"]
        return [
            eventlog.notice_event(
                c,
                "restored",
                nid,
                url,
                rec["at"],
                run_id,
                version=cur["version"],
                title=rec["notice"].get("title"),
            )
        ]

    def _ingest_listed(self, rec: dict, run_id: int) -> list[dict]:
        events = []
        walk = canonicalize(rec.get("walk") or rec["listing_url"])
        at = rec.get("at") or utcnow()
        with self._tx() as c:
            for e in rec["entries"]:
                canon = canonicalize(e["url"])
                c.execute(
                    "INSERT OR IGNORE INTO listings (run_id, canonical_url, walk, title, date)"
                    " VALUES (?,?,?,?,?)",
                    (run_id, canon, walk, e.get("title"), e.get("date")),
                )
                row = eventlog.url_row(c, canon)
                if row is None:
                    continue
                nid = row["notice_id"]
                c.execute(
                    "UPDATE notices SET listed_date=coalesce(?, listed_date) WHERE id=?",
                    (e.get("date"), nid),
                )
                events += eventlog.relist_if_delisted(c, nid, row["url"], at, run_id, walk)
        return events


def _beyond_scheme(a: str, b: str) -> bool:
    """Whether two URLs differ in more than http and https (a site moving to https has not
    moved its notices)."""
    return a.split(":", 1)[-1] != b.split(":", 1)[-1]


def _same_notice(cur, notice: dict) -> bool:
    """The same notice, perhaps edited: same version fields, or the same title with nothing
    that tells them apart (annual notices share titles; their dates and 文号 do not)."""
    if cur is None:
        return False
    if version_hash(notice) == cur["hash"]:
        return True
    title = fold(notice.get("title"))
    if title is not None and title == fold(cur["title"]):
        for name, width in (("published", 10), ("doc_number", None)):
            a, b = (notice.get(name) or "")[:width], (cur[name] or "")[:width]
            if a and b and a != b:
                break
        else:
            return True
    # a migration re-dates the notice and may edit it: the texts decide (issue 19)
    return alike(
        doc_of(cur),
        Doc("", notice.get("title") or "", notice.get("body") or "", notice.get("doc_number")),
    )
