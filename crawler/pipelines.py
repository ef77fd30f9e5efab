"""The one pipeline: hand each record to the archive's single entry point (`ArchiveWriter`)."""

from __future__ import annotations

from contextlib import ExitStack

from twisted.internet.task import LoopingCall

from archive.storage.db import archive_lock, site_lock
from archive.storage.writer import ArchiveWriter, as_record

FLUSH_SECONDS = 0.5


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.writer: ArchiveWriter | None = None
        self.locks = ExitStack()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        s = self.settings
        spider = self.crawler.spider
        db = s.get("TZGG_DB")
        self.writer = ArchiveWriter(db, s, progress=s.getbool("TZGG_PROGRESS"))
        if not s.getbool("TZGG_LOCKS_HELD"):  # `tzgg crawl` takes them before it starts
            self.locks.enter_context(archive_lock(db, exclusive=False))
            for site in spider.sites:
                self.locks.enter_context(site_lock(db, site))
        self.writer.begin(spider.site_of, spider.adopt)
        # Commit at least every FLUSH_SECONDS, so a slow site never holds the write lock long.
        self.flusher = LoopingCall(self.writer.flush)
        self.flusher.start(FLUSH_SECONDS, now=False)

    def process_item(self, item):
        self.writer.write(as_record(item))
        return item

    def close_spider(self, spider=None):
        if self.flusher.running:  # a failed flush stops the loop; finish_run says why
            self.flusher.stop()
        try:
            stopped = getattr(self.crawler, "tzgg_stopped", False)  # SIGTERM or Ctrl-C
            self.crawler.stats.set_value("tzgg/summaries", self.writer.finish(stopped))
        finally:
            self.locks.close()
