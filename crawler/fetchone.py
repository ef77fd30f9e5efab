"""Fetch one page for `tzgg extract URL` (a check of a site, not a crawl)."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import click

USER_AGENT = "tzgg/0.1 (archive of government notices; +https://github.com/tzgg/tzgg)"


def fetch_page(url: str, timeout: float = 20) -> tuple[bytes, str | None, str]:
    """(body, HTTP charset, final URL); a one-line error for anything that goes wrong."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            if resp.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            return body, resp.headers.get_content_charset(), resp.geturl()
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise click.ClickException(f"{url}: cannot fetch: {reason}") from None
