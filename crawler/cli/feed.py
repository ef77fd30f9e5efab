"""`tzgg feed`: an Atom feed of what changed, or of open 公示 windows, written to a file a web
server (or a feed reader) picks up."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from crawler.cli.common import (
    Fail,
    _db_option,
    _load_registry,
    _open,
    _registry_option,
    _since,
    site_filter,
)
from crawler.schema.events import EVENT_KINDS
from crawler.schema.times import shanghai_today


def _kinds(ctx, param, values: tuple[str, ...]) -> list[str]:
    bad = [v for v in values if v not in EVENT_KINDS]
    if bad:
        raise Fail(f"unknown kind {bad[0]!r} (kinds: {', '.join(EVENT_KINDS)})", 2)
    return list(dict.fromkeys(values))


@click.command("feed")
@_db_option
@_registry_option
@click.option("--site", help="Only this site (a registry key, or a host).")
@click.option("--region", metavar="CODE", help="Only the registry's sites of this 行政区划代码.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    callback=_kinds,
    metavar="KIND",
    help=f"Only this kind of event (repeatable): {', '.join(EVENT_KINDS)}.",
)
@click.option("--query", help="Only events of notices matching these words (search syntax).")
@click.option("--since", help="Only events at or after this time (Asia/Shanghai unless given).")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="The newest N entries.",
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The feed file (written whole, then renamed into place); - for stdout.",
)
@click.option("--self-url", help="The URL the feed will be served at (its rel=self link).")
@click.option("--open-objections", is_flag=True, help="Notices whose 公示 window is open.")
@click.option(
    "--within",
    type=click.IntRange(0, 3650),
    metavar="N",
    help="With --open-objections: windows closing in the next N days (started or not).",
)
def feed(
    db,
    registry,
    site,
    region,
    kinds,
    query,
    since,
    limit,
    output,
    self_url,
    open_objections,
    within,
):
    """An Atom feed of events (newest first), or with --open-objections of open 公示 windows."""
    from archive.export import feed as atom
    from archive.storage.eventfilter import EventFilter
    from crawler.parse.query import QueryError

    if within is not None and not open_objections:
        raise Fail("--within goes with --open-objections", 2)
    if open_objections and (kinds or query or since):
        raise Fail("--kind, --query and --since select events, not open windows", 2)
    _check_output(output, db)
    since = _since(since)
    reg = _load_registry(registry)
    conn = _open(db)
    sites = site_filter(conn, reg, site, region, db)
    names = {k: s.name for k, s in reg.sites.items() if s.name} if reg is not None else {}
    filters = {"site": site, "region": region}
    if open_objections:
        from archive.storage.objections import open_objections as find

        today = shanghai_today()
        notices = find(conn, today=today, within=within, sites=sites)[:limit]
        feed_id, title = atom.describe("objections", {**filters, "within": within})
        data = atom.objections_atom(
            notices,
            feed_id=feed_id,
            title=title,
            names=names,
            self_url=self_url,
            updated=atom.last_crawl_time(conn),
        )
    else:
        try:
            filt = EventFilter(sites=sites, kinds=kinds or None, query=query)
        except QueryError as exc:
            raise Fail(f"--query: {exc}", 2) from None
        events = atom.recent_events(conn, filt, since=since, limit=limit)
        feed_id, title = atom.describe(
            "events", {**filters, "kind": kinds, "query": query, "since": since}
        )
        data = atom.events_atom(
            conn,
            events,
            feed_id=feed_id,
            title=title,
            names=names,
            self_url=self_url,
            updated=atom.newest_event_time(conn),
        )
    write_atomically(output, data)


def format_objection(o: dict) -> str:
    """One open window, as `tzgg changes --open-objections` prints it."""
    days = o["days_left"]
    left = "closes today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    window = o["objection_window"] or {}
    notes = []
    if window.get("start") and window["start"][:10] > shanghai_today():
        notes.append(f"opens {window['start'][:10]}")
    if window.get("approximate"):
        notes.append("approximate")
    if o["status"] != "active":
        notes.append(o["status"])
    extra = f"  ({', '.join(notes)})" if notes else ""
    return (
        f"{o['closes']}  {left:<14} {o['site']}  {o['title'] or '∅'}{extra}\n"
        f"    {window.get('text') or ''}\n    {o['url']}"
    )


def _check_output(output: str, db: str) -> None:
    if output == "-":
        return
    archive_files = {Path(f"{db}{suffix}").resolve() for suffix in ("", "-wal", "-shm", "-journal")}
    if Path(output).resolve() in archive_files:
        raise Fail(f"--output {output} would overwrite the archive {db}", 2)
    if Path(output).is_dir():
        raise Fail(f"--output {output} is a folder; give the feed's file name", 2)
    from archive.export import is_sqlite

    for path in (output, f"{output}.partial"):  # another archive, perhaps: never replaced
        if is_sqlite(path):
            raise Fail(f"{path} is an SQLite database; a feed never replaces one", 2)


def write_atomically(output: str, data: bytes) -> None:
    """The whole feed or nothing: written to OUTPUT.partial, then renamed over OUTPUT."""
    if output == "-":
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    partial = Path(f"{output}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise Fail(f"cannot write the feed to {output}: {exc.strerror or exc}") from None
