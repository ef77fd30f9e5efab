"""A bound on the time one crawl may take (`TZGG_MAX_CRAWL_SECONDS`; 0: none).

A site that answers ever more slowly, a trap of endless pages the other bounds miss, a crawl
that cannot finish before the next one is due: when the time is up, the crawl stops taking
new requests, lets those in flight end (each within DOWNLOAD_TIMEOUT), and finishes its runs
as incomplete.  A walk it had not finished delists nothing, and the run holds its removals
(`removals_held:time_limit`): one cut short has not seen the whole site.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import deferred_from_coro

from crawler.schema.stops import TIME_LIMIT

logger = logging.getLogger(__name__)


class CrawlTimeLimit:
    def __init__(self, crawler):
        self.crawler = crawler
        self.seconds = crawler.settings.getfloat("TZGG_MAX_CRAWL_SECONDS")
        if self.seconds <= 0:
            raise NotConfigured
        self.task = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider=None):
        self.task = call_later(self.seconds, self.expire)

    def expire(self):
        self.task = None
        logger.warning("the crawl took TZGG_MAX_CRAWL_SECONDS=%g s: stopping it", self.seconds)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=TIME_LIMIT))

    def closed(self, spider=None):
        if self.task is not None:
            self.task.cancel()
            self.task = None
