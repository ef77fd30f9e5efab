"""Downloader middleware and the request fingerprinter."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware

from crawler.urls import canonicalize


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
                    datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
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
