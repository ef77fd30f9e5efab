"""URL canonicalization and site names. Pure."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def canonicalize(url: str) -> str:
    """Fold the ways one page is spelled: scheme/host case, default port, fragment,
    tracking parameters, a trailing index file, parameter order."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = site_name(url)
    path = parts.path or "/"
    head, _, last = path.rpartition("/")
    if last.lower() in _INDEX_FILES:
        path = head + "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith("utm_")
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))
