"""What every `tzgg` command shares: one-line errors, the --db and --registry options."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from pathlib import Path

import click

from archive.storage.db import ArchiveBusy, ArchiveError, connect
from crawler.schema.times import parse_user_time, utcnow

EXIT_FLAGGED = 3
EXIT_BUSY = 75


class Fail(click.ClickException):
    """A one-line error with an exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"tzgg: error: {self.message}", err=True)


def _db_option(f):
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False),
        default=lambda: os.environ.get("TZGG_DB", "tzgg.db"),
        show_default="./tzgg.db or $TZGG_DB",
        help="The archive file.",
    )(f)


PROFILE_HELP = "`test`: no delay, no AutoThrottle, short timeouts (loopback sites only)."


def settings_option(help: str = "A Scrapy setting."):
    """`-s NAME=VALUE`, repeatable: a Scrapy setting for the crawl."""
    return click.option("-s", "overrides", multiple=True, metavar="NAME=VALUE", help=help)


def profile_option(help: str = PROFILE_HELP):
    """`--profile default|test` (test: the settings of TEST_PROFILE, for loopback sites)."""
    return click.option(
        "--profile", type=click.Choice(["default", "test"]), default="default", help=help
    )


def _open(db: str, *, readonly: bool = True):
    try:
        return connect(db, readonly=readonly)
    except ArchiveBusy as exc:
        raise Fail(str(exc), EXIT_BUSY) from None
    except ArchiveError as exc:
        raise Fail(str(exc)) from None


def refuse_archive_output(db: str, output, *beside) -> None:
    """A usage error when --output (or a file written `beside` it) is the archive or one of
    its -wal, -shm and -journal files: never an output's to replace, even with --force."""
    archive_files = {Path(f"{db}{suffix}").resolve() for suffix in ("", "-wal", "-shm", "-journal")}
    if any(Path(path).resolve() in archive_files for path in (output, *beside)):
        raise Fail(f"--output {output} would overwrite the archive {db}", 2)


def _registry_option(f):
    return click.option(
        "--registry",
        type=click.Path(dir_okay=False),
        default=lambda: os.environ.get("TZGG_REGISTRY"),
        show_default="./sites.toml if present, or $TZGG_REGISTRY",
        help="The site registry (TOML): listing URLs and per-site overrides.",
    )(f)


def _load_registry(path: str | None):
    """The registry named, or ./sites.toml when present, or None."""
    from crawler.sites.registry import Registry, RegistryError

    if path is None:
        if not Path("sites.toml").is_file():
            return None
        path = "sites.toml"
    try:
        return Registry.load(path)
    except RegistryError as exc:
        raise Fail(str(exc), 2) from None


def overrides_for(reg, key: str | None, url: str):
    """The overrides `tzgg extract` and `tzgg probe` read a page with: those of the entry
    --site names (an unknown one is a usage error), else of the entry the URL belongs to."""
    if key is not None and (reg is None or key not in reg.sites):
        where = f"in {reg.path}" if reg is not None else "(no site registry: see --registry)"
        raise Fail(f"unknown site {key!r} {where}", 2)
    entry = reg.entry_for(key, url) if reg is not None else None
    return entry.overrides if entry is not None else None


def _since(value: str | None, *, end: bool = False) -> str | None:
    if value is None:
        return None
    try:
        return parse_user_time(value, end_of_day=end)
    except ValueError as exc:
        raise Fail(str(exc), 2) from None


def as_of_moment(value: str | None) -> str:
    """--as-of as RFC 3339 UTC, never after now: the archive cannot say how things stand
    later, so a later moment means now, and a moment wholly in the future gets a warning."""
    now = utcnow()
    if value is None:
        return now
    at = _since(value, end=True)
    if _since(value) > now:  # its start: today's date is the present, not the future
        click.echo(f"tzgg: warning: --as-of {value} is in the future; using now, {now}", err=True)
    return min(at, now)


def settings_given(overrides: tuple[str, ...], names: tuple[str, ...]) -> dict[str, str]:
    """-s NAME=VALUE for a command that reads only `names` (an unknown name is a usage error,
    not silently ignored)."""
    out = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or name not in names:
            raise Fail(f"-s {item}: this command reads only {', '.join(names)} (NAME=VALUE)", 2)
        out[name] = value
    return out


@contextmanager
def unwound_on_sigterm():
    """SIGTERM ends the command as Ctrl-C does, unwinding it: what it was writing (a
    `.partial`, a staging folder) is removed on the way out."""

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            click.echo("tzgg: stopped by SIGTERM; the unfinished output was removed", err=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_listing_url(value: str) -> str:
    from crawler.sites.registry import _http_url

    if not _http_url(value):
        raise click.BadParameter(
            f"{value!r} is not a listing URL (give the http(s) URL of a 通知公告 column)"
        )
    return value


def site_filter(conn, reg, site: str | None, region: str | None, db: str) -> list[str] | None:
    """The site keys to keep (None: every site): --site, the registry's sites of --region, or
    both (then the site must be in the region).  A site in neither the archive nor the registry
    is a usage error; a registered site never crawled into this archive gives a note on stderr
    (its result is empty, not wrong)."""
    if site is not None and not _archived_site(conn, site):
        if reg is None or site not in reg.sites:
            known = [r[0] for r in conn.execute("SELECT DISTINCT site FROM runs ORDER BY site")]
            where = f"{db}" + (f" or {reg.path}" if reg is not None else "")
            raise Fail(f"no site {site!r} in {where} (sites: {', '.join(known) or 'none'})", 2)
        click.echo(f"tzgg: note: site {site!r} of {reg.path} was never crawled into {db}", err=True)
    if region is None:
        return [site] if site is not None else None
    if reg is None:
        raise Fail("--region needs a site registry (--registry FILE, or ./sites.toml)", 2)
    if not region.isdigit():
        raise Fail(f"--region {region!r}: a 行政区划代码 prefix such as 4306 (digits)", 2)
    keys = [s.key for s in reg.select(region=region)]
    if not keys:
        raise Fail(f"no site of region {region} in {reg.path}", 2)
    if site is not None:
        if site not in keys:
            raise Fail(f"site {site!r} is not in region {region} ({', '.join(keys)})", 2)
        return [site]
    return keys


def _archived_site(conn, site: str) -> bool:
    for table in ("runs", "events", "notices"):
        if conn.execute(f"SELECT 1 FROM {table} WHERE site = ? LIMIT 1", (site,)).fetchone():
            return True
    return False
