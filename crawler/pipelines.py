"""The one pipeline: hand each record to the archive's single entry point."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import asdict

from twisted.internet.task import LoopingCall

from archive.store import Archive
from crawler.items import Fetch, Listed, WalkEnd

FLUSH_SECONDS = 0.5
_TYPES = {Fetch: "fetch", Listed: "listed", WalkEnd: "walk"}


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.archive: Archive | None = None
        self.runs: dict[str, int] = {}
        self.tally: Counter = Counter()
        self.last_progress = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        s = self.settings
        self.archive = Archive(
            s.get("TZGG_DB"),
            keep_all_bodies=s.getbool("TZGG_KEEP_ALL_BODIES"),
            removal_confirmations=s.getint("TZGG_REMOVAL_CONFIRMATIONS"),
            hold_min_revisits=s.getint("TZGG_HOLD_MIN_REVISITS"),
            batch=s.getint("TZGG_WRITE_BATCH"),
        )
        # Commit at least every FLUSH seconds, so a slow site never holds the write lock long.
        self.flusher = LoopingCall(self.archive.flush)
        self.flusher.start(FLUSH_SECONDS, now=False)
        for site in self.crawler.spider.sites:
            self.runs[site] = self.archive.begin_run(site)

    def process_item(self, item):
        record = dict(vars(item))  # shallow: the body bytes are not copied
        record["type"] = _TYPES[type(item)]
        if record["type"] == "listed":
            record["entries"] = [asdict(e) for e in item.entries]
        events = self.archive.ingest(record, self.runs[record["site"]])
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
        self.flusher.stop()
        summaries = [self.archive.finish_run(run) for run in self.runs.values()]
        self.crawler.stats.set_value("tzgg/summaries", summaries)
        self.archive.close()
        if self.settings.getbool("TZGG_PROGRESS") and self.last_progress:
            print(file=sys.stderr)
