"""Running a crawl in this process: its settings (the project's, a profile, `-s` values) and
one Scrapy crawl of the notices spider, whose service extension does the rest."""

from __future__ import annotations

import logging
import os

from crawler.pipelines import SUMMARIES_STAT
from crawler.service.extension import WEBHOOKS_STAT


class SettingError(ValueError):
    """A `-s NAME=VALUE` that cannot be used (a usage error)."""


def crawl_settings(
    db: str, overrides=(), profile: str = "default", verbose: bool = False, progress=False
):
    """The project's settings with a profile (`test`: loopback speed), the log level, the
    archive, and each `-s NAME=VALUE`, checked against its setting's type."""
    os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    defaults = settings.copy()  # a value is checked against the setting's type, not a profile's
    if profile == "test":
        settings.setdict(settings.getdict("TEST_PROFILE"), priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    settings.set("TZGG_PROGRESS", progress, priority="cmdline")
    settings.set("TZGG_DB", db, priority="cmdline")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SettingError(f"{item!r}: use -s NAME=VALUE")
        check_setting_value(name, value, defaults.get(name))
        settings.set(name, value, priority="cmdline")
    if settings.get("TZGG_REVISIT") not in ("all", "recent"):
        raise SettingError("TZGG_REVISIT is `all` or `recent`")
    return settings


def check_setting_value(name: str, value: str, default) -> None:
    """A value that cannot be read as its setting's type is a usage error now, not a
    traceback from inside the crawl."""
    from scrapy.settings import BaseSettings

    probe = BaseSettings({name: value})
    try:
        if isinstance(default, bool):
            probe.getbool(name)
        elif isinstance(default, int):
            probe.getint(name)
        elif isinstance(default, float):
            probe.getfloat(name)
    except ValueError:
        raise SettingError(f"{name}={value!r} is not a valid {type(default).__name__}") from None


def one_line_log_records() -> None:
    """Scrapy's errors shown as one line each, never a traceback (without --verbose)."""
    make = logging.getLogRecordFactory()

    def factory(name, level, fn, lno, msg, args, exc_info, func=None, sinfo=None, **kw):
        record = make(name, level, fn, lno, msg, args, None, func, sinfo, **kw)
        if exc_info and exc_info[1] is not None:
            record.msg = f"{record.getMessage()} ({type(exc_info[1]).__name__})"
            record.args = None
        return record

    logging.setLogRecordFactory(factory)
    # robots.txt that cannot be fetched: the listing behind it fails too, and is counted
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_as_info)


def _as_info(record: logging.LogRecord) -> bool:
    record.levelno, record.levelname = logging.INFO, "INFO"
    return True


def results(crawler) -> tuple[list[dict] | None, str | None]:
    """(each site's run summary, the webhooks line) of a crawler whose crawl is over."""
    return crawler.stats.get_value(SUMMARIES_STAT), crawler.stats.get_value(WEBHOOKS_STAT)


def run_crawl(settings, site_of: dict[str, str]) -> tuple[list[dict] | None, str | None]:
    """Crawl the listings (URL -> site) until done or stopped (SIGTERM, Ctrl-C, the time
    limit): `results`.  The service's errors (ArchiveBusy, ArchiveError, RegistryError) are
    raised before anything is fetched."""
    from scrapy.crawler import CrawlerProcess

    from spiders.notices import NoticesSpider

    if settings.get("LOG_LEVEL") != "INFO":
        one_line_log_records()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NoticesSpider)
    failed = []
    done = process.crawl(crawler, url=list(site_of), site_keys=site_of)
    done.addErrback(failed.append)
    if not failed:  # the service refused before the crawl began: no reactor to run
        process.start()
    if failed:
        failed[0].raiseException()
    return results(crawler)
