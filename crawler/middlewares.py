"""Downloader middleware and the request fingerprinter."""

from __future__ import annotations

import hashlib

from crawler.urls import canonicalize


class ContentEncodingMiddleware:
    """Remember a response's Content-Encoding before HttpCompressionMiddleware (590) removes
    it, so the archive can say truthfully that a stored body was decompressed."""

    def process_response(self, request, response, spider=None):
        encoding = response.headers.get(b"Content-Encoding")
        if encoding:
            request.meta["tzgg_content_encoding"] = encoding.decode("latin-1")
        return response


class CanonicalFingerprinter:
    """One fetch per canonical URL per crawl, however many listing pages link it."""

    def fingerprint(self, request) -> bytes:
        key = f"{request.method} {canonicalize(request.url)} ".encode() + (request.body or b"")
        return hashlib.sha1(key).digest()
