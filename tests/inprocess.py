"""Crawls and `tzgg` commands in the test process, as Scrapy tests itself: one asyncio reactor
runs in a daemon thread for the whole session (Twisted's reactor does not restart), and each
crawl is a `CrawlerRunner` crawl on it, started and awaited from the test's thread.

`tzgg(...)` runs the real command (`crawler.cli.main`) with only the crawl's runner swapped:
`CrawlerProcess` (which owns the reactor and the process's signals) for a crawl on the shared
reactor. What needs a process of its own (kill -9, signals, serve, workers) uses
`conftest.tzgg(..., in_process=False)` or its own subprocess."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

_started = threading.Lock()
_reactor = None


def reactor():
    """The session's reactor, started in a daemon thread on first use."""
    global _reactor
    with _started:
        if _reactor is None:
            _reactor = _start_reactor()
    return _reactor


def _start_reactor():
    ready: concurrent.futures.Future = concurrent.futures.Future()

    def loop() -> None:
        try:
            # installed in this thread: asyncio's current loop here is the reactor's
            from scrapy.utils.reactor import install_reactor

            install_reactor(ASYNCIO_REACTOR)
            from twisted.internet import asyncioreactor
            from twisted.internet import reactor as r

            if not isinstance(r, asyncioreactor.AsyncioSelectorReactor):
                raise RuntimeError(f"another reactor was installed first: {type(r).__name__}")
        except BaseException as exc:
            ready.set_exception(exc)
            return
        r.callWhenRunning(ready.set_result, r)
        r.run(installSignalHandlers=False)

    threading.Thread(target=loop, name="reactor", daemon=True).start()
    reactor = ready.result(timeout=60)
    # What `CrawlerProcess` sets up once a process (scrapy.utils.log.configure_logging):
    # Twisted's log into Python's, and Scrapy's logger levels. Its handler: `scrapy_log`.
    from logging.config import dictConfig

    from scrapy.utils.log import DEFAULT_LOGGING
    from twisted.python.log import PythonLoggingObserver

    PythonLoggingObserver("twisted").start()
    dictConfig(DEFAULT_LOGGING)
    return reactor


def in_reactor(start, timeout: float):
    """`start()` (returning a Deferred) called in the reactor's thread; its result here.
    On a timeout, `start.stop()` (if any) is asked to end the crawl before giving up."""
    r = reactor()
    done: concurrent.futures.Future = concurrent.futures.Future()

    def call() -> None:
        try:
            d = start()
        except BaseException as exc:
            done.set_exception(exc)
            return
        d.addCallbacks(done.set_result, lambda f: done.set_exception(f.value))

    r.callFromThread(call)
    try:
        return done.result(timeout=timeout)
    except BaseException as exc:  # a timeout, or pytest-timeout interrupting the wait
        if not done.done() and hasattr(start, "stop"):
            r.callFromThread(start.stop)
            concurrent.futures.wait([done], timeout=30)
        if isinstance(exc, concurrent.futures.TimeoutError):
            raise TimeoutError(f"the in-process crawl took over {timeout:g} s") from None
        raise


# -- the product's crawl, in one place -------------------------------------------------------
# What the harness takes from the product: how `tzgg crawl` builds its settings, the function
# that runs a crawl in a reactor of its own (swapped here), and a finished crawl's results.

RUNNER = ("crawler.service.run", "run_crawl")  # (module, name): `tzgg crawl` calls it


def crawl_settings(db, overrides=(), profile="test"):
    from crawler.service.run import crawl_settings as build

    return build(str(db), tuple(overrides), profile, False, False)


def results(crawler) -> tuple[list[dict] | None, str | None]:
    """(each site's summary, the webhooks line) of a finished crawl."""
    from crawler.service.run import results as read

    return read(crawler)


def one_line_log_records() -> None:
    """Below --verbose, `run_crawl` shows each of Scrapy's errors as one line."""
    from crawler.service.run import one_line_log_records as apply

    apply()


def run_notices(settings, site_of: dict[str, str], timeout: float = 170):
    """The notices spider over the listings (URL -> site), in the session's reactor;
    returns the finished crawler (its stats hold the summaries)."""
    from scrapy.crawler import CrawlerRunner

    from spiders.notices import NoticesSpider

    box = {}

    def start():
        runner = CrawlerRunner(settings)
        box["crawler"] = crawler = runner.create_crawler(NoticesSpider)
        start.stop = runner.stop
        return runner.crawl(crawler, url=list(site_of), site_keys=dict(site_of))

    with scrapy_log(settings):
        in_reactor(start, timeout)
    return box["crawler"]


def crawl_summaries(urls, db, site_keys=None, overrides=(), profile="test") -> list[dict]:
    """The summaries of what `tzgg crawl URL... --profile test -s ...` archives, without the
    CLI (no printing, no exit status)."""
    from crawler.schema.urls import site_name

    urls = [urls] if isinstance(urls, str | os.PathLike) else list(urls)
    site_of = {str(u): (site_keys or {}).get(str(u)) or site_name(str(u)) for u in urls}
    return results(run_notices(crawl_settings(db, overrides, profile), site_of))[0]


@contextmanager
def scrapy_log(settings):
    """For one crawl, Scrapy's log on this thread's stderr as `run_crawl` shows it there:
    `CrawlerProcess`'s handler, and below --verbose one line per error (the product's log
    record factory, put back afterwards: it is process-wide)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT"))
    )
    handler.setLevel(settings.get("LOG_LEVEL"))
    root = logging.getLogger()
    level, factory = root.level, logging.getLogRecordFactory()
    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    filters = list(robots.filters)
    if settings.get("LOG_LEVEL") != "INFO":
        one_line_log_records()
    if level > handler.level:  # --verbose: INFO lines too
        root.setLevel(handler.level)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.setLogRecordFactory(factory)
        robots.filters[:] = filters


# -- `tzgg ARGS` in this process -------------------------------------------------------------


class Ran:
    """What `subprocess.run(..., capture_output=True, text=True)` returns, for an in-process
    run: returncode, stdout, stderr, args."""

    def __init__(self, args, returncode: int, stdout: str, stderr: str):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr

    def __repr__(self) -> str:
        return f"Ran({self.args!r}, returncode={self.returncode})"


def tzgg(*args, env=None, cwd=None, input=None, timeout: float = 170) -> Ran:
    """`tzgg ARGS` through `crawler.cli.main` in this process, in the working directory and
    environment a subprocess would have: its exit status, stdout and stderr apart."""
    import importlib

    from crawler.cli import main

    argv = [str(a) for a in args]
    environ = {"TZGG_DB": None, "TZGG_REGISTRY": None, **(env or {})}
    module, name = RUNNER

    def runner(settings, site_of):
        return results(run_notices(settings, site_of, timeout=timeout))

    here = os.getcwd()
    with (
        CliRunner().isolation(input=input, env=environ) as streams,
        mock.patch.object(importlib.import_module(module), name, runner),
    ):
        os.chdir(cwd or REPO)
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):  # as the interpreter would print it
                print(exc.code, file=sys.stderr)
        finally:
            os.chdir(here)
            sys.stdout.flush()
            sys.stderr.flush()
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Ran(["tzgg", *argv], code, out.decode(errors="replace"), err.decode(errors="replace"))
