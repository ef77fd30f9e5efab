"""`tzgg worker` and `tzgg ingest`: one crawl over many processes, through Redis."""

from __future__ import annotations

import signal
import sys

import click

from crawler.cli.common import (
    Fail,
    _db_option,
    _load_registry,
    _registry_option,
    profile_option,
    settings_option,
)

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


def _server(url: str):
    from crawler.service.distributed import connect

    try:
        return connect(url)
    except ConnectionError as exc:
        raise Fail(str(exc)) from None


@click.command()
@_redis_option
@settings_option()
@profile_option()
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def worker(redis_url, overrides, profile, verbose):
    """Fetch for every crawl queued in Redis, until stopped (run one or more per machine)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.cli.crawl import settings_for
    from crawler.schema.urls import mask_url
    from crawler.service.distributed import WorkerSpider, worker_settings
    from crawler.service.run import one_line_log_records

    _server(redis_url)
    settings = worker_settings(settings_for("", overrides, profile, verbose), redis_url)
    if not verbose:
        one_line_log_records()
    click.echo(f"tzgg worker: waiting for crawls in {mask_url(redis_url)}", err=True)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler)
    process.start()
    # a worker ends when told to (SIGTERM, Ctrl-C); else it failed, and must not sit idle
    if crawler.stats.get_value("finish_reason") != "shutdown":
        raise Fail("the worker stopped (run with -v to see Scrapy's log)")


@click.command()
@click.argument("targets", nargs=-1, metavar="[URL_OR_SITE]...")
@click.option("--all", "every", is_flag=True, help="Every site of the registry.")
@click.option("--region", help="The registry's sites of this 行政区划代码 (4306: all of 岳阳).")
@_db_option
@_redis_option
@settings_option()
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
    from crawler.cli.crawl import crawl_targets, report, service_errors, settings_for
    from crawler.service.session import CrawlSession

    reg = _load_registry(registry)
    site_of = crawl_targets(reg, targets, every=every, region=region)
    server = _server(redis_url)
    progress = not quiet and sys.stderr.isatty()
    settings = settings_for(db, overrides, "default", False, progress, reg)
    session = CrawlSession(settings, site_of, reg)
    try:
        plan = session.open()
    except Exception as exc:
        raise service_errors(exc) from None
    try:
        summaries = _ingest(server, settings, plan, reg, idle_timeout)
    finally:
        line = session.close()
    report(summaries, line, settings.get("TZGG_DB"), as_json)


def _ingest(server, settings, plan, reg, idle_timeout) -> list[dict]:
    import redis

    from archive.storage.writer import ArchiveWriter
    from crawler.service.distributed import drain, end_job, job_spec, start_job

    writer = ArchiveWriter(
        settings.get("TZGG_DB"),
        settings,
        progress=settings.getbool("TZGG_PROGRESS"),
        extract=plan.extract,
    )
    stopping = []
    handlers = {
        sig: signal.signal(sig, lambda *_: stopping.append(1))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        writer.begin(plan.site_of, plan.adopt, plan.about)
        job = start_job(server, job_spec(settings, plan, reg), plan.revisits, plan.validators)
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
