"""One page over HTTP for `tzgg extract URL` and `tzgg probe URL`: a check of a site, not a
crawl, but sent as the crawl sends it (its User-Agent) and bounded as the crawl is
(DOWNLOAD_MAXSIZE bytes, counted once decompressed; DOWNLOAD_TIMEOUT for the whole answer),
with the crawl's settings as `-s NAME=VALUE` gives them (SETTINGS).  Its opener (`http_opener`:
http and https only) is also the one webhooks POST with (archive/notify/webhooks.py).

    got = fetch(url)                    # Fetched; an HTTP error status is an answer too
    get = fetcher({"TZGG_CONTACT": "you@example.org"})   # fetch with those settings
    # FetchError: one line ("…: too_large: …", "…: cannot fetch: …") for the user
"""

from __future__ import annotations

import functools
import http.client
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler import settings as crawl_settings  # a plain module: no Scrapy imported

CHUNK = 65536


def user_agent(contact: str | None = None) -> str:
    """The crawl's User-Agent (spiders.notices builds it with this), naming whom to write to."""
    return f"tzgg/0.1 (archive of government notices; +{contact or crawl_settings.TZGG_CONTACT})"


USER_AGENT = crawl_settings.USER_AGENT or user_agent()
SETTINGS = ("TZGG_CONTACT", "USER_AGENT", "DOWNLOAD_MAXSIZE", "DOWNLOAD_TIMEOUT")


class FetchError(Exception):
    """The page could not be had (network, too large, not http): one line for the user."""


@dataclass
class Fetched:
    url: str  # as asked
    final_url: str  # after redirects
    status: int
    reason: str
    body: bytes
    charset: str | None  # as the HTTP header declares it


def http_opener(*, redirects: bool = True) -> urllib.request.OpenerDirector:
    """http and https only, as the crawl (no file:, ftp: or data:, even after a redirect).
    Without `redirects` a 3xx is an HTTPError (a webhook's POST is never sent elsewhere)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        *([urllib.request.HTTPRedirectHandler()] if redirects else []),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def fetcher(given: dict[str, str] | None = None):
    """`fetch` with the crawl's settings changed as `given` (names of SETTINGS) says; a value
    that is not a number is a ValueError."""
    given = given or {}
    agent = given.get("USER_AGENT") or (
        user_agent(given["TZGG_CONTACT"]) if given.get("TZGG_CONTACT") else USER_AGENT
    )
    return functools.partial(
        fetch,
        timeout=float(given.get("DOWNLOAD_TIMEOUT", crawl_settings.DOWNLOAD_TIMEOUT)),
        maxsize=int(given.get("DOWNLOAD_MAXSIZE", crawl_settings.DOWNLOAD_MAXSIZE)),
        agent=agent,
    )


def fetch(
    url: str,
    timeout: float = crawl_settings.DOWNLOAD_TIMEOUT,
    maxsize: int = crawl_settings.DOWNLOAD_MAXSIZE,
    agent: str = USER_AGENT,
) -> Fetched:
    """One GET; an HTTP error status is an answer (its page says whether the site blocks us),
    anything else a FetchError.  At most `maxsize` bytes are read and decompressed."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError(f"{url}: not an http(s) URL")
    headers = {"User-Agent": agent, "Accept-Encoding": "gzip, deflate"}
    deadline = time.monotonic() + timeout
    try:
        with http_opener().open(urllib.request.Request(url, headers=headers), timeout=timeout) as r:
            return _fetched(url, r, r.status, r.reason, deadline, maxsize)
    except urllib.error.HTTPError as exc:
        with exc:
            return _fetched(url, exc, exc.code, str(exc.reason), deadline, maxsize)
    except FetchError:
        raise
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        raise FetchError(f"{url}: cannot fetch: {reason}") from None


def fetch_page(url: str, get=fetch) -> tuple[bytes, str | None, str]:
    """(body, HTTP charset, final URL) for `tzgg extract`: an error status is a FetchError."""
    got = get(url)
    if got.status >= 400:
        raise FetchError(f"{url}: HTTP {got.status} {got.reason}")
    return got.body, got.charset, got.final_url


def _fetched(url: str, resp, status: int, reason: str, deadline: float, maxsize: int) -> Fetched:
    body = _read(url, resp, deadline, maxsize, cut_ok=status >= 400)
    return Fetched(url, resp.geturl(), status, reason, body, resp.headers.get_content_charset())


def _read(url: str, resp, deadline: float, maxsize: int, cut_ok: bool) -> bytes:
    """The body, decompressed as it comes (gzip, deflate), never past `maxsize` bytes either
    way: a small gzip bomb is stopped at the limit, not inflated into memory.  `cut_ok`: a
    connection lost mid-body leaves what came (an error page: its status speaks)."""
    coding = (resp.headers.get("Content-Encoding") or "").strip().lower()
    inflate = None
    if coding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
    elif coding == "deflate":
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib-wrapped, as servers send it
    read = getattr(resp, "read1", None) or resp.read  # what has come: a slow drip is timed
    raw, out = bytearray(), bytearray()
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: cannot fetch: timeout (no whole answer within the limit)")
        try:
            chunk = read(CHUNK)
        except http.client.IncompleteRead as exc:  # cut short: what came still speaks
            chunk, resp = exc.partial, None
        except (OSError, http.client.HTTPException) as exc:
            if cut_ok:
                break
            raise FetchError(f"{url}: cannot fetch: {type(exc).__name__}: {exc}") from None
        if not chunk:
            break
        raw += chunk
        if len(raw) > maxsize:
            raise _too_large(url, maxsize)
        if inflate is not None:
            try:
                out += inflate.decompress(chunk, maxsize + 1 - len(out))
            except zlib.error:  # not what it says it is: the bytes as they came, as a crawl
                inflate = None
            if inflate is not None and (inflate.unconsumed_tail or len(out) > maxsize):
                raise _too_large(url, maxsize)
        if resp is None:
            break
    return bytes(out if inflate is not None else raw)


def _too_large(url: str, maxsize: int) -> FetchError:
    return FetchError(
        f"{url}: too_large: more than DOWNLOAD_MAXSIZE = {maxsize} bytes (counted decompressed)"
    )
