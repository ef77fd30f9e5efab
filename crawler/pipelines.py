"""The one pipeline: hand each record to the archive's single entry point (`ArchiveWriter`),
and finish the crawl's runs with the reason the spider closed for."""

from __future__ import annotations

from scrapy import signals
from twisted.internet.task import LoopingCall

from archive.storage.writer import ArchiveWriter, as_record
from crawler.schema.stops import stopped_by

FLUSH_SECONDS = 0.5
SUMMARIES_STAT = "tzgg/summaries"  # each site's run summary, when the crawl is over


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.writer: ArchiveWriter | None = None
        self.flusher: LoopingCall | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        s = self.settings
        plan = getattr(self.crawler.spider, "plan", None)
        if plan is None:
            raise RuntimeError("no crawl plan: enable crawler.service.extension.CrawlService")
        self.writer = ArchiveWriter(
            s.get("TZGG_DB"), s, progress=s.getbool("TZGG_PROGRESS"), extract=plan.extract
        )
        self.writer.begin(plan.site_of, plan.adopt)
        # Commit at least every FLUSH_SECONDS, so a slow site never holds the write lock long.
        self.flusher = LoopingCall(self.writer.flush)
        self.flusher.start(FLUSH_SECONDS, now=False)

    def process_item(self, item):
        self.writer.write(as_record(item))
        return item

    def close_spider(self, spider=None):
        if self.flusher is not None and self.flusher.running:  # a failed flush stops it
            self.flusher.stop()

    def spider_closed(self, spider, reason):
        if self.writer is not None:
            summaries = self.writer.finish(stopped_by(reason))
            self.crawler.stats.set_value(SUMMARIES_STAT, summaries)
