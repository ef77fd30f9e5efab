"""The one pipeline: hand each record to the archive's single entry point (`ArchiveWriter`),
in batches on the reactor's thread (on one of its own with `TZGG_WRITE_THREAD`), and finish the crawl's runs with the reason the spider closed for."""

from __future__ import annotations

from collections import deque

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from archive.storage.writer import ArchiveWriter, WriterThread, as_record
from crawler.schema.stops import stopped_by

FLUSH_SECONDS = 0.5  # a commit at least this often, so a slow site never holds back its records
SUMMARIES_STAT = "tzgg/summaries"  # each site's run summary, when the crawl is over


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.writer: ArchiveWriter | None = None  # TZGG_WRITE_THREAD off: on the reactor
        self.flusher: LoopingCall | None = None
        self.thread: WriterThread | None = None
        self.reactor = None
        self.waiting: deque = deque()  # (item, Deferred) the full queue holds back, in order
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        s = self.settings
        plan = getattr(self.crawler.spider, "plan", None)
        if plan is None:
            raise RuntimeError("no crawl plan: enable crawler.service.extension.CrawlService")

        def open_writer():
            writer = ArchiveWriter(
                s.get("TZGG_DB"), s, progress=s.getbool("TZGG_PROGRESS"), extract=plan.extract
            )
            try:
                writer.begin(plan.site_of, plan.adopt, plan.about)
            except BaseException:
                writer.archive.close()
                raise
            return writer

        if s.getbool("TZGG_WRITE_THREAD"):
            from twisted.internet import reactor  # the crawl's, installed by now

            self.reactor = reactor
            self.thread = WriterThread(
                open_writer,
                seconds=FLUSH_SECONDS,
                notify=lambda: reactor.callFromThread(self._room),
            )
            return
        self.writer = open_writer()
        self.flusher = LoopingCall(self.writer.flush)
        self.flusher.start(FLUSH_SECONDS, now=False)

    async def process_item(self, item):
        if self.thread is None:
            self.writer.write(as_record(item))
        elif self.waiting or not self.thread.offer(item):
            # back-pressure: the item waits (and its response with it) until there is room
            d = Deferred()
            self.waiting.append((item, d))
            await maybe_deferred_to_future(d)
        return item

    def _room(self) -> None:
        """On the reactor, when the writer has committed: queue what waits, in order."""
        while self.waiting:
            item, d = self.waiting[0]
            try:
                if not self.thread.offer(item):
                    return
            except Exception as exc:  # the writer stopped: the items fail, nothing hangs
                self.waiting.popleft()
                d.errback(exc)
                continue
            self.waiting.popleft()
            d.callback(item)

    async def close_spider(self, spider=None):
        if self.flusher is not None and self.flusher.running:
            self.flusher.stop()
        if self.thread is not None and self.thread.thread.is_alive():
            # let the writer commit what is queued while the reactor goes on
            d = Deferred()
            drained = self.thread.call(lambda _: None)
            drained.add_done_callback(lambda _: self.reactor.callFromThread(d.callback, None))
            await maybe_deferred_to_future(d)

    def spider_closed(self, spider, reason):
        if self.thread is not None:
            summaries = self.thread.finish(stopped_by(reason))
        elif self.writer is not None:
            summaries = self.writer.finish(stopped_by(reason))
        else:
            return
        self.crawler.stats.set_value(SUMMARIES_STAT, summaries)
