"""Downloader middleware and the request fingerprinter."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from crawler.schema.times import utcnow
from crawler.schema.urls import canonicalize

logger = logging.getLogger(__name__)


class UrlTooLong(IgnoreRequest):
    """A request whose URL is longer than URLLENGTH_LIMIT: not sent (`url_too_long`)."""


class UrlLengthLimit:
    """URLLENGTH_LIMIT, enforced so that the request's errback hears of it.

    Scrapy's own UrlLengthMiddleware (a spider middleware, off in tzgg's settings) drops an
    over-long request silently: a notice waiting for that attachment or part was never stored,
    a walk waiting for that page never ended.  Here it fails like a fetch that got no answer,
    and its errback records the failure.  A redirect is followed whatever its length, as
    before: the limit is on the links the crawl makes, not on where a server sends it."""

    def __init__(self, limit: int):
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler):
        limit = crawler.settings.getint("URLLENGTH_LIMIT")
        if limit <= 0:
            raise NotConfigured
        return cls(limit)

    def process_request(self, request, spider=None):
        if len(request.url) > self.limit and not request.meta.get("redirect_urls"):
            logger.info(
                "not fetched (URL of %d characters): %.200s…", len(request.url), request.url
            )
            raise UrlTooLong(f"URL of {len(request.url)} characters, over {self.limit}")
        return None


class ContentEncodingMiddleware:
    """Remember a response's Content-Encoding before HttpCompressionMiddleware (590) removes
    it, so the archive can say truthfully that a stored body was decompressed."""

    def process_response(self, request, response, spider=None):
        encoding = response.headers.get(b"Content-Encoding")
        if encoding:
            request.meta["tzgg_content_encoding"] = encoding.decode("latin-1")
        return response


class RedirectHopsMiddleware:
    """Keep each 3xx answer's status line and headers before RedirectMiddleware (600) follows
    it: the archive records the redirects themselves, not only where they led."""

    def process_response(self, request, response, spider=None):
        if 300 <= response.status < 400 and b"Location" in response.headers:
            hops = request.meta.setdefault("tzgg_hops", [])
            hops.append(
                [
                    response.url,
                    response.status,
                    response.protocol or None,
                    [
                        [k.decode("latin-1"), v.decode("latin-1")]
                        for k, values in response.headers.items()
                        for v in values
                    ],
                    utcnow(),
                ]
            )
        return response


class CanonicalFingerprinter:
    """One fetch per canonical URL per crawl, however many listing pages link it."""

    def fingerprint(self, request) -> bytes:
        key = f"{request.method} {canonicalize(request.url)} ".encode() + (request.body or b"")
        return hashlib.sha1(key).digest()


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """A refresh to a URL Scrapy cannot request (javascript:, mailto:) is not followed: the page
    is the response (Scrapy's own raises ValueError, and the notice would never be archived)."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except ValueError:
            return response


class RetryAfterMiddleware:
    """A 429 or 503 that says when to come back (Retry-After: seconds, or an HTTP date) is
    retried then, not at once; one that asks for more than TZGG_RETRY_AFTER_MAX seconds is not
    retried in this crawl (a failed fetch, tried again next crawl).  Before RetryMiddleware
    (550), which would retry at once."""

    def __init__(self, max_wait: float):
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("TZGG_RETRY_AFTER_MAX"))

    def process_response(self, request, response, spider=None):
        if response.status in (429, 503):
            wait = retry_after(response.headers.get(b"Retry-After"))
            if wait is not None and wait > self.max_wait:
                request.meta["dont_retry"] = True
            elif wait:
                request.meta["tzgg_retry_after"] = wait  # the retry (a copy) waits
        return response

    async def process_request(self, request, spider=None):
        wait = request.meta.pop("tzgg_retry_after", None)
        if wait:
            await sleep(wait)
        return None


def retry_after(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (None: absent or unreadable)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isascii() and text.isdigit():  # not "²" (0xB2), which isdigit() admits
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def sleep(seconds: float) -> None:
    """Wait in the crawl's reactor (Scrapy's own, installed by the time a request runs)."""
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
