"""Scrapy settings for tzgg.  Every one can be overridden with `-s NAME=VALUE`."""

from __future__ import annotations

import os

BOT_NAME = "tzgg"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Politeness by default: robots.txt, AutoThrottle, at least 1 s between requests to one host.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0
# Scrapy draws each delay from 0.5-1.5x DOWNLOAD_DELAY: gaps of 0.5 s, and a mean of 1.22 s
# that made many-host crawls slower than their politeness bound.  Exactly the delay, no less.
DOWNLOAD_DELAY_JITTER = 0
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Unless CONCURRENT_REQUESTS is set, a crawl takes CONCURRENT_REQUESTS_PER_DOMAIN per host it
# crawls (at least Scrapy's 16), at most this.
TZGG_CONCURRENT_REQUESTS_MAX = 1024
TZGG_CONTACT = "https://github.com/tzgg/tzgg"  # who to write to: set your own e-mail or URL
USER_AGENT = None  # built from TZGG_CONTACT by the spider unless set
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
TZGG_RETRY_AFTER_MAX = 60  # a 429/503's Retry-After is waited up to this (s); longer: no retry
REDIRECT_MAX_TIMES = 10
# A page larger than this is a failed fetch (`too_large`), never an edit: a 20 MB "page" is a
# misconfigured server or a trap.  Attachments have their own limit (TZGG_ATTACHMENT_MAX_BYTES).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# Error pages are evidence (404, 410, soft 404s): they reach the spider, redirects still follow.
HTTPERROR_ALLOW_ALL = True

# Scrapy re-reads a callback's source on most responses to warn about `return` in a generator
# (its cache misses for bound methods): 1.3 ms a page.  tests/test_layers.py checks the spiders
# instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
# The pipeline only queues each record for the archive's writer (a batch is written whole):
# items in parallel only add scheduling overhead.
CONCURRENT_ITEMS = 1
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
# Longer URLs are not fetched: each is a failure (`url_too_long`), never a silent drop.
URLLENGTH_LIMIT = 2083
# Scrapy's components tzgg has no use for are left out: each is called for every request,
# response or yielded item (together about 7% of a crawl's CPU).  Depth: no DEPTH_LIMIT, a
# walk's length is the listing's own rule; MetaCopyDetection: a developer's warning, and no
# callback here copies response.meta; HttpAuth: no site logs in; Offsite: the spider keeps to
# its sites' hosts itself (NoticesSpider.on_site); DownloaderStats: byte and status counts
# nobody reads (the run's own summary counts what tzgg reports).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
    "crawler.middlewares.UrlLengthLimit": 50,  # replaces Scrapy's, which tells no errback
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.SafeMetaRefreshMiddleware": 580,  # a javascript: refresh: not followed
    "crawler.middlewares.RetryAfterMiddleware": 560,  # sees a 429/503 before RetryMiddleware
    "crawler.middlewares.ContentEncodingMiddleware": 595,
    "crawler.middlewares.RedirectHopsMiddleware": 650,  # sees a 3xx before RedirectMiddleware
    "spiders.attachments.FileTextMiddleware": 540,  # a file's text, in a worker process
}
EXTENSIONS = {
    # the crawl service: plan, locks, per-site delays and webhooks, for `scrapy crawl` too
    "crawler.service.extension.CrawlService": 0,
    "crawler.extensions.CrawlTimeLimit": 500,
}
REQUEST_FINGERPRINTER_CLASS = "crawler.middlewares.CanonicalFingerprinter"
# Sites are on the web: a link to file:, ftp: or s3: must never read the crawling machine's
# files (or anyone's bucket) into an archive that may be published.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
# A download given up is a counted failure in the run's summary, not an error to print.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"

# tzgg's own settings.
TZGG_DB = os.environ.get("TZGG_DB", "tzgg.db")
# The site registry (TOML): a site's entry may override extraction (selectors, labels, charset).
TZGG_REGISTRY = os.environ.get("TZGG_REGISTRY")
# Listing pages per walk (0: no bound); a walk that hits it is incomplete.  Endless pagination
# is stopped without it: a page listing nothing the walk had not listed ends the walk there.
TZGG_MAX_LISTING_PAGES = 0
# An archived listing is walked whole once in this many days (0: every crawl); in between,
# a crawl walks it only until a page of notices all archived, and such a walk delists nothing.
TZGG_FULL_WALK_DAYS = 7.0
# Time one crawl may take; when it is up the crawl stops and its runs are incomplete (walks
# not finished delist nothing, removals are held).  0: no bound.
TZGG_MAX_CRAWL_SECONDS = 6 * 3600.0
TZGG_REVISIT = "all"  # all | recent: recent notices and open 公示 every crawl, the rest in slices
TZGG_REVISIT_RECENT_DAYS = 60
TZGG_REVISIT_SLICES = 7  # with `recent`: the rest is revisited once every N crawls
TZGG_KEEP_ALL_BODIES = False  # keep the body of every capture, not only each version's first
TZGG_REMOVAL_CONFIRMATIONS = 1  # consecutive removal observations before a `removed` event
TZGG_HOLD_MIN_REVISITS = 1  # below this many revisits a run never holds its removals
TZGG_WRITE_BATCH = 100  # records per SQLite transaction (each record is whole or absent)
TZGG_GC_YOUNG = 10_000  # the crawl process's gen-0 collection threshold (0: Python's own)
# the archive written on the reactor thread: a writer thread costs more CPU in GIL handoffs
# than it frees (docs/settings.md)
TZGG_WRITE_THREAD = False
TZGG_PROGRESS = False  # print a progress line to stderr while crawling
# Download notices' attachments (pdf, doc, docx, xls, xlsx, wps, ofd, zip, rar) into the archive,
# and index the text of PDF and DOCX ones; a file larger than the limit is recorded, not kept.
TZGG_ATTACHMENTS = True
TZGG_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
TZGG_TEXT_MEMORY_MB = 768  # the address space of the process reading their text (MiB)
TZGG_SITE_DELAYS = True  # a registry entry's `delay` is its host's download slot delay

# A fast profile for tests and benchmarks on loopback (`tzgg crawl --profile test`).
TEST_PROFILE = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_TIMEOUT": 5,
    "RETRY_TIMES": 1,
    "TZGG_RETRY_AFTER_MAX": 2,
    "TZGG_SITE_DELAYS": False,
    "TZGG_FULL_WALK_DAYS": 0,  # rounds a second apart: each one walks whole, as before
}
