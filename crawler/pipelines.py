"""The one pipeline: hand each record to the archive's single entry point."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict

from twisted.internet.task import LoopingCall

from archive.db import archive_lock, site_lock
from archive.store import Archive
from crawler.items import Fetch, Listed, WalkEnd
from crawler.registry import Registry, page_extractor

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
_TYPES = {Fetch: "fetch", Listed: "listed", WalkEnd: "walk"}


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.archive: Archive | None = None
        self.locks = ExitStack()
        self.runs: dict[str, int] = {}
        self.errors: Counter = Counter()
        self.tally: Counter = Counter()
        self.last_progress = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        s = self.settings
        spider = self.crawler.spider
        db = s.get("TZGG_DB")
        reg = s.get("TZGG_REGISTRY")
        self.archive = Archive(  # creates or migrates the archive first, before any lock
            db,
            keep_all_bodies=s.getbool("TZGG_KEEP_ALL_BODIES"),
            removal_confirmations=s.getint("TZGG_REMOVAL_CONFIRMATIONS"),
            hold_min_revisits=s.getint("TZGG_HOLD_MIN_REVISITS"),
            batch=s.getint("TZGG_WRITE_BATCH"),
            extract=page_extractor(Registry.load(reg) if reg else None),
        )
        if not s.getbool("TZGG_LOCKS_HELD"):  # `tzgg crawl` takes them before it starts
            self.locks.enter_context(archive_lock(db, exclusive=False))
            for site in spider.sites:
                self.locks.enter_context(site_lock(db, site))
        for site in spider.sites:
            if spider.adopt.get(site):
                self.archive.adopt_site(site, spider.adopt[site])
            urls = [u for u, s in spider.site_of.items() if s == site]
            self.runs[site] = self.archive.begin_run(site, urls)
        # Commit at least every FLUSH_SECONDS, so a slow site never holds the write lock long.
        self.flusher = LoopingCall(self.archive.flush)
        self.flusher.start(FLUSH_SECONDS, now=False)

    def process_item(self, item):
        record = dict(vars(item))  # shallow: the body bytes are not copied
        record["type"] = _TYPES[type(item)]
        if record["type"] == "listed":
            record["entries"] = [asdict(e) for e in item.entries]
        try:
            events = self.archive.ingest(record, self.runs[record["site"]])
        except Exception as exc:  # the record is not stored; the run says so
            self.errors[record["site"]] += 1
            logger.error(
                "could not store %s: %s: %s",
                record.get("url") or record.get("listing_url"),
                type(exc).__name__,
                exc,
            )
            return item
        if record["type"] == "fetch":
            self.tally["pages"] += 1
        for e in events:
            self.tally[e["kind"]] += 1
        if self.settings.getbool("TZGG_PROGRESS") and time.monotonic() - self.last_progress > 2:
            self.last_progress = time.monotonic()
            shown = " · ".join(f"{n} {k}" for k, n in self.tally.items())
            print(f"\r[tzgg] {shown}", end="", file=sys.stderr, flush=True)
        return item

    def close_spider(self, spider=None):
        if self.flusher.running:  # a failed flush stops the loop; finish_run says why
            self.flusher.stop()
        try:
            stopped = getattr(self.crawler, "tzgg_stopped", False)  # SIGTERM or Ctrl-C
            summaries = [
                self.archive.finish_run(run, errors=self.errors[site], stopped=stopped)
                for site, run in self.runs.items()
            ]
            self.crawler.stats.set_value("tzgg/summaries", summaries)
        finally:
            self.archive.close()
            self.locks.close()
        if self.settings.getbool("TZGG_PROGRESS") and self.last_progress:
            print(file=sys.stderr)
