"""`tzgg crawl`, and what `tzgg ingest` and `tzgg schedule` share with it: naming the
targets, the settings, and reporting a crawl's summaries.  The crawl itself is the service's
(crawler.service)."""

from __future__ import annotations

import json
import sys

import click

from archive.storage.db import ArchiveBusy, ArchiveError
from crawler.cli.common import (
    EXIT_BUSY,
    EXIT_FLAGGED,
    Fail,
    _check_listing_url,
    _db_option,
    _load_registry,
    _registry_option,
    profile_option,
    settings_option,
)
from crawler.cli.formats import format_summary
from crawler.service.plan import PlanError, listings
from crawler.service.run import SettingError, crawl_settings
from crawler.sites.registry import RegistryError


def crawl_targets(reg, targets, *, every=False, region=None) -> dict[str, str]:
    """listing URL -> its site, or a usage error (exit 2)."""
    for t in targets:
        if "://" in t:
            _check_listing_url(t)
    try:
        return listings(reg, targets, every=every, region=region)
    except PlanError as exc:
        raise Fail(str(exc), 2) from None


def settings_for(db, overrides, profile="default", verbose=False, progress=False, reg=None):
    try:
        settings = crawl_settings(db, overrides, profile, verbose, progress)
    except SettingError as exc:
        raise click.BadParameter(str(exc), param_hint="-s") from None
    if reg is not None:
        settings.set("TZGG_REGISTRY", str(reg.path.resolve()), priority="cmdline")
    return settings


def service_errors(exc: BaseException) -> Fail:
    """The crawl service refusing to start, as the one-line error `tzgg crawl` exits with."""
    if isinstance(exc, ArchiveBusy):
        return Fail(str(exc), EXIT_BUSY)
    if isinstance(exc, ArchiveError | RegistryError):
        return Fail(str(exc))
    raise exc


def report(summaries, line: str | None, db: str, as_json: bool) -> None:
    """Print the summaries and the webhooks line; exit as `tzgg crawl` does."""
    if summaries is None:
        raise Fail("the crawl stopped before it finished (run with -v to see Scrapy's log)")
    for s in summaries:
        click.echo(json.dumps(s, ensure_ascii=False) if as_json else format_summary(s))
    if line and not as_json:
        click.echo(line, err=True)
    lost = sum(
        int(f.split(":")[1])
        for s in summaries
        for f in s["flags"]
        if f.startswith("archive_errors:")
    )
    if lost:
        raise Fail(f"{lost} records could not be stored in {db} (run with -v for the errors)")
    if any(s["status"] != "ok" for s in summaries):
        sys.exit(EXIT_FLAGGED)


@click.command()
@click.argument("targets", nargs=-1, metavar="[URL_OR_SITE]...")
@click.option("--all", "every", is_flag=True, help="Every site of the registry.")
@click.option("--region", help="The registry's sites of this 行政区划代码 (4306: all of 岳阳).")
@_db_option
@settings_option()
@profile_option()
@click.option("--json", "as_json", is_flag=True, help="Print each site's summary as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@_registry_option
def crawl(targets, every, region, db, overrides, profile, as_json, verbose, quiet, registry):
    """Crawl listings (URLs, or registry keys) and revisit the notices already archived."""
    from crawler.service.run import run_crawl

    reg = _load_registry(registry)
    site_of = crawl_targets(reg, targets, every=every, region=region)
    progress = not quiet and sys.stderr.isatty()
    settings = settings_for(db, overrides, profile, verbose, progress, reg)
    try:
        summaries, line = run_crawl(settings, site_of)
    except Exception as exc:
        raise service_errors(exc) from None
    # `-s TZGG_DB=...` wins, as for any setting
    report(summaries, line, settings.get("TZGG_DB"), as_json)
