"""The crawl service inside Scrapy: an extension (in EXTENSIONS), so that `tzgg crawl` and
`scrapy crawl notices -a url=…` plan, lock, delay and notify alike.

Built once the spider exists and before the settings freeze, it opens the crawl's session
(the archive migrated, the locks taken, the webhooks told, the plan read from the archive),
hands the plan to the spider, the per-site delays to the downloader's slots and, for a crawl
of many hosts, a concurrency that lets each host have its turn; when the engine stops it
releases the locks and delivers the webhooks their events.
"""

from __future__ import annotations

import gc
import logging

from scrapy import signals
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.service.plan import site_keys
from crawler.service.session import CrawlSession
from crawler.sites.registry import Registry

logger = logging.getLogger(__name__)

WEBHOOKS_STAT = "tzgg/webhooks"  # the line telling what the end of the crawl delivered


class CrawlService:
    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        spider = crawler.spider
        path = s.get("TZGG_REGISTRY")
        reg = Registry.load(path) if path else None
        site_of = site_keys(reg, spider.listing_urls, spider.site_keys)
        self.session = CrawlSession(s, site_of, reg)
        spider.plan = self.session.open()
        if s.getbool("TZGG_SITE_DELAYS") and spider.plan.delays:
            slots = dict(s.getdict("DOWNLOAD_SLOTS"))
            for host, delay in spider.plan.delays.items():
                slots[host] = {**slots.get(host, {}), "delay": delay}
            s.set("DOWNLOAD_SLOTS", slots, priority="cmdline")
        scale_concurrency(s, len(set().union(*spider.plan.hosts.values())))
        young = s.getint("TZGG_GC_YOUNG")
        if young > 0:
            # Every full collection walks each live object, and a walk that runs ahead keeps
            # thousands of requests queued: at 700 (Python's default) the collector took 0.25
            # to 0.56 ms a page, growing with the column; at 10,000 under 0.03.
            gc.set_threshold(young, *gc.get_threshold()[1:])
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_stopped(self):
        line = self.session.close()
        if line:
            self.crawler.stats.set_value(WEBHOOKS_STAT, line)
            logger.info(line)


def scale_concurrency(settings, hosts: int) -> None:
    """CONCURRENT_REQUESTS, unless set: CONCURRENT_REQUESTS_PER_DOMAIN per host (at least
    Scrapy's default), at most TZGG_CONCURRENT_REQUESTS_MAX.  A request waiting out its host's
    delay holds one of them, so Scrapy's 16 let a 1,000-host crawl start about 16 hosts a
    second while the others, and the cores, sat idle."""
    if settings.getpriority("CONCURRENT_REQUESTS") > SETTINGS_PRIORITIES["default"]:
        return
    wanted = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") * hosts
    most = settings.getint("TZGG_CONCURRENT_REQUESTS_MAX")
    n = min(max(settings.getint("CONCURRENT_REQUESTS"), wanted), most)
    settings.set("CONCURRENT_REQUESTS", n, priority="default")
