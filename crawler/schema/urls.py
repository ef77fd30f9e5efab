"""URL canonicalization and site names. Pure."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = {"spm", "fbclid", "gclid", "isappinstalled", "share_token"}
_INDEX_FILES = {
    "index.html",
    "index.htm",
    "index.shtml",
    "index.jsp",
    "default.htm",
    "default.html",
}


def site_name(url: str) -> str:
    """The site's name: the listing URL's host, lower-cased, with a non-default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def split_userinfo(url: str) -> tuple[str | None, str]:
    """(the user part of the URL's authority, None when it has none; the URL without it),
    read as urlsplit reads it: the authority ends at the first `/`, `?` or `#`, the user part
    at its last `@`."""
    scheme, sep, rest = url.partition("://")
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    if not (sep and at):
        return None, url
    return userinfo, f"{scheme}://{host}{rest[end:]}"


def mask_url(url: str) -> str:
    """The URL to print, log or store: a password in it as `***` (`https://user:***@host/…`),
    a user name alone too (it may be a token: `https://***@host/…`)."""
    userinfo, bare = split_userinfo(url)
    if userinfo is None:
        return url
    user, colon, _ = userinfo.partition(":")
    scheme, _, rest = bare.partition("://")
    return f"{scheme}://{user + ':***' if colon else '***'}@{rest}"


@lru_cache(maxsize=1 << 16)  # a crawl canonicalizes each URL several times (dedupe, store)
def canonicalize(url: str) -> str:
    """Fold the ways one page is spelled: scheme/host case, default port, fragment,
    tracking parameters, a trailing index file, parameter order, percent-encoding case.

    Percent-encoded bytes are kept as bytes (w3lib), so two GBK-encoded query values never
    collapse into one."""
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    path = parts.path or "/"
    head, _, last = path.rpartition("/")
    if last.lower() in _INDEX_FILES:
        path = head + "/"
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _is_tracking(pair.partition("=")[0].lower())
    )
    return urlunsplit((parts.scheme, site_name(url), path, query, ""))


def _is_tracking(key: str) -> bool:
    return key in _TRACKING or key.startswith("utm_")


def is_loopback(host: str) -> bool:
    """Whether a host name is this machine (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
