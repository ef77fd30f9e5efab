"""The one way records reach the archive: a crawl's pipeline and `tzgg ingest` (the single
writer of a distributed crawl) both hand records to an `ArchiveWriter`.  No Scrapy here."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter

from archive.storage.store import Archive
from crawler.schema.records import to_record

logger = logging.getLogger(__name__)


def as_record(item) -> dict:
    """A spider's item as the plain dict the archive ingests (and a queue can carry)."""
    return to_record(item)


class ArchiveWriter:
    def __init__(self, db: str, settings, *, progress: bool = False, extract=None):
        """`settings`: anything with Scrapy's `get`/`getint`/`getbool` (the crawl's);
        `extract`: the registry's page extractor (a crawl plan's), to re-derive stored pages."""
        s = settings
        self.archive = Archive(  # creates or migrates the archive first, before any lock
            db,
            keep_all_bodies=s.getbool("TZGG_KEEP_ALL_BODIES"),
            removal_confirmations=s.getint("TZGG_REMOVAL_CONFIRMATIONS"),
            hold_min_revisits=s.getint("TZGG_HOLD_MIN_REVISITS"),
            batch=s.getint("TZGG_WRITE_BATCH"),
            extract=extract,
        )
        self.progress = progress
        self.runs: dict[str, int] = {}
        self.errors: Counter = Counter()
        self.tally: Counter = Counter()
        self.last_progress = 0.0

    def begin(self, site_of: dict[str, str], adopt: dict) -> None:
        """Open a run for each site (listing URL -> site), adopting what its entry names."""
        for site in sorted(set(site_of.values())):
            if adopt.get(site):
                self.archive.adopt_site(site, adopt[site])
            urls = [u for u, s in site_of.items() if s == site]
            self.runs[site] = self.archive.begin_run(site, urls)

    def write(self, record: dict) -> None:
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
            return
        if record["type"] == "fetch":
            self.tally["pages"] += 1
        for e in events:
            self.tally[e["kind"]] += 1
        if self.progress and time.monotonic() - self.last_progress > 2:
            self.last_progress = time.monotonic()
            shown = " · ".join(f"{n} {k}" for k, n in self.tally.items())
            print(f"\r[tzgg] {shown}", end="", file=sys.stderr, flush=True)

    def flush(self) -> None:
        self.archive.flush()

    def finish(self, stopped: bool = False) -> list[dict]:
        """Close every run (cut short when `stopped`) and the archive; the runs' summaries."""
        try:
            return [
                self.archive.finish_run(run, errors=self.errors[site], stopped=stopped)
                for site, run in self.runs.items()
            ]
        finally:
            self.archive.close()
            if self.progress and self.last_progress:
                print(file=sys.stderr)
