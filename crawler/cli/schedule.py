"""`tzgg schedule`: the long-running scheduler, or the crontab lines that do the same."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from crawler.cli.common import (
    EXIT_BUSY,
    Fail,
    _db_option,
    _open,
    _registry_option,
    profile_option,
    settings_option,
)


@click.command()
@_registry_option
@_db_option
@click.option(
    "--max-parallel",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Crawls at a time (each site is crawled by one process at a time).",
)
@settings_option("For every crawl.")
@profile_option("For every crawl: `test` is for loopback sites only.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Crawl through `tzgg worker`s: each due site is a `tzgg ingest` (see the README).",
)
@click.option("--print-crontab", is_flag=True, help="Print equivalent crontab lines and exit.")
def schedule(registry, db, max_parallel, overrides, profile, redis_url, print_crontab):
    """Crawl every registry site on its schedule (default daily), until stopped."""
    from archive.storage.db import ArchiveBusy
    from crawler.service.scheduler import Scheduler, crontab, schedule_lock
    from crawler.sites.registry import Registry, RegistryError

    path = Path(registry or "sites.toml")
    try:
        reg = Registry.load(path)
    except RegistryError as exc:
        raise Fail(f"{exc} (add sites with `tzgg sites add URL`)", 2) from None
    if not any(s.listings for s in reg.sites.values()):
        raise Fail(f"no site with listings in {path}: add one with `tzgg sites add URL`", 2)
    from crawler.cli.crawl import settings_for

    settings_for(db, overrides, profile)  # a bad -s fails now, not in every crawl
    extra = [a for item in overrides for a in ("-s", item)]
    verb = "crawl"
    if redis_url:
        if profile != "default":
            raise Fail("with --redis, give --profile to the workers (tzgg worker --profile)", 2)
        verb, extra = "ingest", [*extra, "--redis", redis_url]
    if profile != "default":
        extra += ["--profile", profile]
    if print_crontab:
        tzgg = shutil.which("tzgg") or f"{sys.executable} -m crawler.cli"
        click.echo("\n".join(crontab(reg, db, tzgg, extra, verb)))
        return
    _open(db, readonly=False).close()  # create or migrate it now, not in every child
    from crawler.service.hooks import deliver_after_crawl

    def deliver():  # retries of webhooks between crawls (None: the registry has none)
        return deliver_after_crawl(db, sched.reg)

    try:
        with schedule_lock(db):
            sched = Scheduler(
                path,
                db,
                max_parallel=max_parallel,
                deliver=deliver,
                crawl_args=extra,
                verb=verb,
            )
            sched.run_forever()
    except ArchiveBusy as exc:
        raise Fail(str(exc), EXIT_BUSY) from None
