"""`tzgg probe URL`: check a district's listing page before (or instead of) writing code.

Registered into the `tzgg` group by crawler/cli/__init__.py (`cli.add_command(probe)`); the logic is in
crawler.sites.probe."""

from __future__ import annotations

import json
import sys

import click

from crawler.cli.common import (
    Fail,
    _load_registry,
    _registry_option,
    overrides_for,
    settings_given,
)


@click.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@_registry_option
@click.option("--site", "site_key", help="Use this registry entry's overrides.")
@click.option("-s", "overrides", multiple=True, metavar="NAME=VALUE", help="A crawl setting.")
def probe(url, as_json, registry, site_key, overrides):
    """What tzgg finds on a listing page: the CMS, the notices and their dates, the next
    page, the fields of the first notice, and, when it finds nothing, which override or URL
    to try (the API a script draws the list from, an iframe), or that the page is a
    single-page app, which tzgg does not crawl.  Exit status 0: notices found; 1: none; 2: a
    bad URL.  Pages are fetched as a crawl fetches them: its User-Agent (-s TZGG_CONTACT=…),
    at most DOWNLOAD_MAXSIZE bytes once decompressed (else `too_large`).

    \b
    tzgg probe http://www.yylq.gov.cn/yylq/tzgg/index.html
    tzgg probe http://www.yylq.gov.cn/yylq/tzgg/index.html --json --registry sites.toml
    """
    from crawler.sites.fetch import FetchError
    from crawler.sites.probe import format_report
    from crawler.sites.probe import probe as run_probe
    from crawler.sites.registry import _http_url

    if not _http_url(url):
        raise Fail(f"{url!r} is not a listing URL (give the http(s) URL of a 通知公告 column)", 2)
    reg = _load_registry(registry)
    ov = overrides_for(reg, site_key, url)
    key = site_key
    if key is None and reg is not None:
        entry = reg.for_url(url)
        key = entry.key if entry is not None else None
    get = fetcher_for(overrides)
    try:
        report = run_probe(url, ov, site=key, get=get)
    except FetchError as exc:
        raise Fail(str(exc)) from None
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else format_report(report))
    if not report["items"]:
        sys.exit(1)


def fetcher_for(overrides: tuple[str, ...]):
    """crawler.sites.fetch.fetch with the crawl settings `-s NAME=VALUE` gives (for probe and
    extract): an unknown name or a value not a number is a usage error."""
    from crawler.sites.fetch import SETTINGS, fetcher

    try:
        return fetcher(settings_given(overrides, SETTINGS))
    except ValueError as exc:
        raise Fail(f"-s: not a number: {exc}", 2) from None
