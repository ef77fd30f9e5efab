"""`tzgg worker` and `tzgg ingest`: one crawl over many processes, through Redis."""

from __future__ import annotations

import signal
import sys

import click

from crawler.cli.common import Fail, _db_option, _load_registry, _registry_option

REDIS_DEFAULT = "redis://127.0.0.1:6379/0"

_redis_option = click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    envvar="TZGG_REDIS",
    default=REDIS_DEFAULT,
    show_default=True,
    help="The Redis shared by the workers and the ingester (or $TZGG_REDIS).",
)
_settings_option = click.option(
    "-s", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting."
)
_profile_option = click.option(
    "--profile",
    type=click.Choice(["default", "test"]),
    default="default",
    help="`test`: no delay, no AutoThrottle, short timeouts (loopback sites only).",
)


def _server(url: str):
    from crawler.service.distributed import connect

    try:
        return connect(url)
    except ConnectionError as exc:
        raise Fail(str(exc)) from None


@click.command()
@_redis_option
@_settings_option
@_profile_option
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def worker(redis_url, overrides, profile, verbose):
    """Fetch for every crawl queued in Redis, until stopped (run one or more per machine)."""
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess

    from crawler.cli import _one_line_log_records, crawl_settings
    from crawler.schema.urls import mask_url
    from crawler.service.distributed import WORKER_SETTINGS, WorkerSpider

    _server(redis_url)
    settings = crawl_settings("", overrides, profile, verbose, progress=False)
    settings.setdict(WORKER_SETTINGS, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.service.distributed.SharedHostDelay"] = (
        585  # before compression, redirects
    )
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    # The delay between two requests to a host is kept in Redis, for all workers at once; a
    # worker's own slot delay (or AutoThrottle's) would only move requests after their turn.
    settings.set("TZGG_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("TZGG_MAX_CRAWL_SECONDS", 0, priority="cmdline")  # the ingester's bound
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    if not verbose:
        _one_line_log_records()
    click.echo(f"tzgg worker: waiting for crawls in {mask_url(redis_url)}", err=True)
    # Scrapy asks its scheduler for more every 5 s when it has nothing in hand; a worker's
    # requests come from other processes and from hosts whose turn comes, so it asks often.
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 0.2
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WorkerSpider)
    graceful, stopped = process._signal_shutdown, []

    def shutdown(signum, frame):
        stopped.append(signum)
        graceful(signum, frame)

    process._signal_shutdown = shutdown
    process.crawl(crawler)
    process.start()
    if not stopped:  # a worker ends when told to; else it failed (and must not sit idle)
        raise Fail("the worker stopped (run with -v to see Scrapy's log)")


@click.command()
@click.argument("targets", nargs=-1, metavar="[URL_OR_SITE]...")
@click.option("--all", "every", is_flag=True, help="Every site of the registry.")
@click.option("--region", help="The registry's sites of this 行政区划代码 (4306: all of 岳阳).")
@_db_option
@_redis_option
@_settings_option
@click.option(
    "--idle-timeout",
    type=click.FloatRange(1),
    default=600,
    show_default=True,
    help="Seconds without a record, requests still out, before the crawl counts as stalled.",
)
@click.option("--json", "as_json", is_flag=True, help="Print each site's summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@_registry_option
def ingest(
    targets, every, region, db, redis_url, overrides, idle_timeout, as_json, quiet, registry
):
    """Crawl through the workers: queue the crawl in Redis and write what they fetch."""
    from crawler.cli import crawl_locked, crawl_plan, crawl_settings

    reg = _load_registry(registry)
    plan = crawl_plan(reg, targets, every=every, region=region)
    server = _server(redis_url)
    settings = crawl_settings(
        db, overrides, "default", False, progress=not quiet and sys.stderr.isatty()
    )
    if reg is not None:
        settings.set("TZGG_REGISTRY", str(reg.path.resolve()), priority="cmdline")

    def run(settings, plan, adopt):
        return _ingest(server, settings, plan, adopt, reg, idle_timeout)

    crawl_locked(settings, reg, plan, as_json, run)


def _ingest(server, settings, plan, adopt, reg, idle_timeout) -> list[dict]:
    import redis

    from archive.storage.writer import ArchiveWriter
    from crawler.service.distributed import drain, end_job, job_inputs, start_job

    writer = ArchiveWriter(
        settings.get("TZGG_DB"), settings, progress=settings.getbool("TZGG_PROGRESS")
    )
    stopping = []
    handlers = {
        sig: signal.signal(sig, lambda *_: stopping.append(1))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        writer.begin(plan, adopt)
        spec, revisits, validators = job_inputs(settings, plan, reg)
        job = start_job(server, spec, revisits, validators)
        outcome = drain(
            server,
            job,
            writer.write,
            flush=writer.flush,
            idle_timeout=idle_timeout,
            limit=settings.getfloat("TZGG_MAX_CRAWL_SECONDS"),
            stop=lambda: bool(stopping),
        )
        end_job(server, job)
    except redis.RedisError as exc:  # the runs are recorded as cut short, and made again
        writer.finish(stopped=True)
        raise Fail(f"lost Redis during the crawl: {exc}") from None
    except BaseException:
        writer.finish(stopped=True)
        raise
    finally:
        for sig, old in handlers.items():
            signal.signal(sig, old)
    if outcome == "stalled":
        click.echo(
            f"tzgg: no record came for {idle_timeout:g} s while requests were still out "
            "(is a `tzgg worker` running?): the runs are recorded as cut short",
            err=True,
        )
    if outcome == "lapsed":
        click.echo(
            "tzgg: this ingester did not renew its crawl for a minute (paused?), so the"
            " workers dropped it: the runs are recorded as cut short",
            err=True,
        )
    if outcome == "time_limit":
        click.echo("tzgg: the crawl took TZGG_MAX_CRAWL_SECONDS: stopped", err=True)
    stopped = {"done": False, "time_limit": "time_limit"}.get(outcome, True)
    return writer.finish(stopped=stopped)
