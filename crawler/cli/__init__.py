"""The `tzgg` command: one small function per verb over the crawler and the archive."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.storage.db import ArchiveBusy, ArchiveError, archive_lock, connect
from archive.storage.queries import changes, find_notice, notice_history
from crawler.cli.common import (
    EXIT_BUSY,
    Fail,
    _db_option,
    _load_registry,
    _open,
    _registry_option,
    _since,
    overrides_for,
    site_filter,
)
from crawler.cli.formats import format_event
from crawler.schema.events import EVENT_KINDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tzgg")
def cli():
    """tzgg: crawl 通知公告 columns into a versioned archive of every edit and removal."""


# -- changes and show --------------------------------------------------------------------------


@cli.command("changes")
@_db_option
@click.option("--since", help="Only events at or after this time (Asia/Shanghai unless given).")
@click.option("--site", help="Only this site.")
@click.option("--kind", type=click.Choice(EVENT_KINDS), help="Only this kind of event.")
@click.option("--region", metavar="CODE", help="Only the registry's sites of this 行政区划代码.")
@_registry_option
@click.option(
    "--open-objections",
    is_flag=True,
    help="Instead of events: notices whose 公示 window is open today, closing soonest first.",
)
@click.option(
    "--within",
    type=click.IntRange(0, 3650),
    metavar="N",
    help="With --open-objections: windows closing in the next N days (started or not).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def changes_cmd(db, since, site, kind, region, registry, open_objections, within, as_json):
    """What changed: new, edited, removed, restored, delisted and relisted notices."""
    from crawler.cli.feed import format_objection
    from crawler.schema.times import shanghai_today

    if within is not None and not open_objections:
        raise Fail("--within goes with --open-objections", 2)
    if open_objections and (since or kind):
        raise Fail("--since and --kind select events, not open windows", 2)
    since = _since(since)
    conn = _open(db)
    sites = None
    if site is not None or region is not None:
        sites = site_filter(conn, _load_registry(registry), site, region, db)
    if open_objections:
        from archive.storage.objections import open_objections as find

        found = find(conn, today=shanghai_today(), within=within, sites=sites)
        for o in found:
            click.echo(json.dumps(o, ensure_ascii=False) if as_json else format_objection(o))
        if not found:
            say_none(
                "no 公示 window is open" + (f" or closing within {within} days" if within else "")
            )
        return
    events = changes(conn, since=since, site=site, kind=kind, sites=sites)
    for e in events:
        click.echo(json.dumps(e, ensure_ascii=False) if as_json else format_event(e))
    if not events:
        say_none("no event" + (f" since {since}" if since else ""))


@cli.command()
@click.argument("key", metavar="URL_OR_ID")
@_db_option
@click.option("--json", "as_json", is_flag=True)
def show(key, db, as_json):
    """A notice's history: every version and event."""
    from archive.storage.diff import field_diff
    from crawler.schema.fields import objects, scalars
    from crawler.schema.records import NOTICE_FIELDS

    conn = _open(db)
    nid = find_notice(conn, key)
    if nid is None:
        raise Fail(f"no notice {key!r} in {db}")
    h = notice_history(conn, nid)
    if as_json:
        click.echo(json.dumps(h, ensure_ascii=False))
        return
    first = h["versions"][0]
    click.echo(f"{h['versions'][-1]['title']}\n  id {h['id']} · {h['site']} · {h['status']}")
    for u in h["urls"]:
        click.echo(f"  {u}")
    for c in h["copies"]:  # the same notice reposted by other sites
        click.echo(f"  copy on {c['site']} ({c['status']}): {c['id']}  {c['url']}")
    for name in objects(NOTICE_FIELDS):  # as the current version states them
        if h["versions"][-1].get(name):
            click.echo(f"  {name}: {_shown(name, h['versions'][-1][name])}")
    click.echo(f"\nversion 1 (first seen {first['first_seen']}):")
    for name in scalars(NOTICE_FIELDS):
        if name != "title" and first.get(name):  # (the title heads it all)
            click.echo(f"  {name}: {first[name]}")
    for old, new in zip(h["versions"], h["versions"][1:], strict=False):
        click.echo(f"\nversion {new['version']} (first seen {new['first_seen']}):")
        click.echo("\n".join(field_diff(old, new)) or "  (no field changes)")
    click.echo("\nevents:")
    for e in h["events"]:
        click.echo("  " + format_event(e).replace("\n", "\n  "))


# -- search ------------------------------------------------------------------------------------


def _day(value: str | None) -> str | None:
    if value is None:
        return None
    from crawler.parse.notice import parse_date

    day = parse_date(value)
    if day is None or len(day) < 10:
        raise click.BadParameter(f"{value!r} is not a date (use 2023-05-06)")
    return day[:10]


@cli.command()
@click.argument("query")
@_db_option
@click.option("--site", help="Only this site.")
@click.option("--region", help="Only the registry's sites of this 行政区划代码 (4306: 岳阳).")
@_registry_option
@click.option("--from", "date_from", help="Published on or after this date.")
@click.option("--to", "date_to", help="Published on or before this date.")
@click.option("--source", help="Issuing office contains this text.")
@click.option("--status", type=click.Choice(["active", "removed", "delisted"]))
@click.option("--in-history", is_flag=True, help="Also text only earlier versions held.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def search(
    query,
    db,
    site,
    region,
    registry,
    date_from,
    date_to,
    source,
    status,
    in_history,
    sort,
    limit,
    as_json,
):
    """Chinese full-text search: words of two characters and more, "phrases", AND, OR, NOT."""
    from archive.storage.bigrams import QueryError
    from archive.storage.search import search as run_search

    conn = _open(db)
    sites = None
    if site is not None or region is not None:
        sites = site_filter(conn, _load_registry(registry), site, region, db)
    try:
        results = run_search(
            conn,
            query,
            site=site,
            sites=sites,
            date_from=_day(date_from),
            date_to=_day(date_to),
            source=source,
            status=status,
            in_history=in_history,
            sort=sort,
            limit=limit,
        )
    except QueryError as exc:
        raise Fail(str(exc), 2) from None
    for r in results:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
            continue
        click.echo(_search_line(r))
    if not results:
        say_none(f"no notice matches {query!r}" + ("" if in_history else " (try --in-history)"))


def say_none(message: str) -> None:
    """An empty result, said on a terminal; a script reading stdout still gets nothing."""
    if sys.stdout.isatty():
        click.echo(f"tzgg: {message}", err=True)


def _search_line(r: dict) -> str:
    snippet, spans = r["snippet"], r["highlights"]
    marked, last = [], 0
    for a, b in spans:
        if a >= last:
            marked += [snippet[last:a], click.style(snippet[a:b], bold=True, fg="red")]
            last = b
    marked.append(snippet[last:])
    status = "" if r["status"] == "active" else f"  [{r['status']} {r.get('status_since', '')}"
    status += f" {r['reason']}]" if r.get("reason") else ("]" if status else "")
    older = (
        f"  (in version {r['matched_version']} of {r['version']})"
        if r["matched_version"] != r["version"]
        else ""
    )
    names = [a["name"] or a["url"] for a in r.get("in_attachments") or []]
    where = f"  (in attachment {', '.join(names)})" if names else ""
    return (
        f"{(r['published'] or '')[:10]:<10}  {r['site']}  {r['title'] or '∅'}{status}{older}"
        f"{where}\n"
        f"    {''.join(marked)}\n    {r['url']}"
    )


@cli.command()
@_db_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to share it.")
@click.option(
    "--allow-sql",
    is_flag=True,
    help="Let visitors run their own read-only SQL (over the served tables only).",
)
def serve(db, port, host, allow_sql):
    """The newsroom web UI (on Datasette): search, removals, edits, a notice's timeline,
    diffs, sites' health, charts and each notice's evidence bundle.

    tzgg's pages are at / (home, /search, /notice/ID, /site/SITE); Datasette's at /DB, over
    the tables notices, versions, events and runs only: no other table (webhooks,
    captures, …) can be read through them."""
    from crawler.webui import listen, run

    _open(db).close()  # a missing or old archive: a clear error now (and an upgrade)
    try:
        sock = listen(host, port)
    except OSError as exc:
        raise Fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", 1) from None
    port = sock.getsockname()[1]
    click.echo(f"tzgg: serving {db} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    run(Path(db), sock, allow_sql=allow_sql)


# -- export ------------------------------------------------------------------------------------


@cli.command()
@_db_option
@click.option(
    "--as-of",
    "as_of",
    help="The moment, by capture time (Asia/Shanghai unless given; a date, month or year"
    " alone means its end).  [default: now]",
)
@click.option("--site", help="Only this site.")
@click.option("--region", help="Only the registry's sites of this 行政区划代码 (4306: 岳阳).")
@_registry_option
@click.option(
    "--format", "fmt", required=True, type=click.Choice(["warc", "wacz", "jsonl", "csv", "bagit"])
)
@click.option(
    "--output", "-o", required=True, type=click.Path(), help="A file; a folder for bagit."
)
@click.option("--history", is_flag=True, help="jsonl/csv/bagit: every version up to then.")
@click.option("--redact", is_flag=True, help="Mask 身份证号 and mobile numbers in text exports.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--raw-csv", is_flag=True, help="csv: no leading ' on cells that look like formulas.")
@click.option(
    "-s",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="TZGG_OWNER: who keeps the archive (a bag's Source-Organization; else TZGG_CONTACT).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def export(
    db,
    as_of,
    site,
    region,
    registry,
    fmt,
    output,
    history,
    redact,
    force,
    raw_csv,
    overrides,
    as_json,
):
    """The archive as it stood at a moment, as WARC, WACZ, JSONL, CSV or a BagIt bag."""
    from archive.export import ExportError
    from archive.export import export as run_export
    from crawler.cli.common import (
        as_of_moment,
        refuse_archive_output,
        settings_given,
        unwound_on_sigterm,
    )

    given = settings_given(overrides, ("TZGG_OWNER", "TZGG_CONTACT"))
    owner = given.get("TZGG_OWNER") or given.get("TZGG_CONTACT")
    at = as_of_moment(as_of)
    refuse_archive_output(db, output, f"{output}.cdxj")
    conn = _open(db)
    if site or region:
        site = site_filter(conn, _load_registry(registry), site, region, db)
    try:
        with unwound_on_sigterm():
            summary = run_export(
                conn,
                fmt,
                output,
                at=at,
                site=site,
                history=history,
                redacted=redact,
                force=force,
                raw_csv=raw_csv,
                owner=owner,
            )
    except ExportError as exc:
        raise Fail(str(exc), 2) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    counts = ", ".join(
        f"{v} {k}"
        for k, v in summary.items()
        if k in ("notices", "versions", "pages", "attachments")
    )
    records = summary.get("records")
    if records:
        counts += (", " if counts else "") + ", ".join(f"{v} {k}" for k, v in records.items())
    click.echo(f"tzgg: exported the archive as of {at} to {output} ({counts or 'empty'})")
    if summary.get("index"):
        click.echo(f"tzgg: CDXJ index {summary['index']}")


# -- extract and reextract ---------------------------------------------------------------------


@cli.command()
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--url", help="The page's address, for a saved file.")
@click.option("--json", "as_json", is_flag=True)
@_registry_option
@click.option("--site", "site_key", help="Use this registry entry's overrides.")
@click.option("-s", "overrides", multiple=True, metavar="NAME=VALUE", help="A crawl setting.")
def extract(source, url, as_json, registry, site_key, overrides):
    """The normalized notice of one page, for checking a site (and its overrides).  A URL is
    fetched as a crawl would (its User-Agent, DOWNLOAD_MAXSIZE): -s TZGG_CONTACT=you@example.org"""
    from crawler.cli.probe import fetcher_for
    from crawler.parse.notice import extract_notice
    from crawler.sites.fetch import FetchError, fetch_page

    if "://" in source:
        try:
            body, charset, url = fetch_page(source, fetcher_for(overrides))
        except FetchError as exc:
            raise Fail(str(exc)) from None
    else:
        path = Path(source)
        if not path.is_file():
            raise Fail(f"no such file: {source}", 2)
        body, charset = path.read_bytes(), None
        url = url or path.resolve().as_uri()
    ov = overrides_for(_load_registry(registry), site_key, url)
    if ov is not None and ov.encoding:
        charset = ov.encoding
    d = extract_notice(body, url, charset, ov).to_dict()
    if as_json:
        click.echo(json.dumps(d, ensure_ascii=False))
        return
    for name, value in d.items():
        if name != "body_html":
            click.echo(f"{name}: {_shown(name, value) or '∅'}")


def _shown(name: str, value) -> str | None:
    """A notice field as `tzgg extract` prints it."""
    if not value:
        return None
    if name == "attachments":
        return "\n    ".join(f"{a['name']} <{a['url']}>" for a in value)
    if name == "breadcrumb":
        return " > ".join(value)
    if name == "body":
        return "\n    " + value.replace("\n", "\n    ")
    if name == "objection_window":
        span = " – ".join(d or "?" for d in (value.get("start"), value.get("end")))
        days = f", {value['days']} {value.get('unit') or ''} days" if value.get("days") else ""
        rough = ", approximate" if value.get("approximate") else ""
        return f"{value['text']}  [{span}{days}{rough}]"
    if name == "contact":
        return value["text"]
    return str(value)


@cli.command()
@_db_option
@_registry_option
def reextract(db, registry):
    """Re-derive every version from its stored raw body with this extractor (no events),
    with each site's registry overrides, as a crawl would."""
    from archive.storage.reextract import reextract_all
    from crawler.sites.registry import page_extractor

    extract = page_extractor(_load_registry(registry))
    _open(db).close()
    try:
        with archive_lock(db, exclusive=True):
            conn = connect(db)
            n, changed, failed = reextract_all(conn, extract)
    except ArchiveBusy as exc:
        raise Fail(str(exc), EXIT_BUSY) from None
    click.echo(f"re-extracted {n} versions; {changed} changed fields")
    if failed:
        for line in failed:
            click.echo(f"tzgg: cannot re-extract {line}", err=True)
        raise Fail(f"{len(failed)} versions could not be re-extracted and were left as they were")


@cli.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="Keep the demo archive here: a new file, or an earlier demo's, started afresh.",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Only serve the district, for your own crawls; Enter or SIGUSR1 changes it a round.",
)
@click.option("--port", type=click.IntRange(0, 65535), help="With --serve (default 8765).")
def demo(db, serve, port):
    """Serve the bundled example district offline and crawl it once a round."""
    from crawler.cli.demo import demo_command

    demo_command(db, serve, port)


def _subcommands() -> None:
    from crawler.cli.care import backup, verify
    from crawler.cli.crawl import crawl
    from crawler.cli.evidence import evidence
    from crawler.cli.feed import feed
    from crawler.cli.hooks import deliver
    from crawler.cli.links import link_cmd, unlink_cmd
    from crawler.cli.probe import probe
    from crawler.cli.schedule import schedule
    from crawler.cli.sites import runs, sites
    from crawler.cli.workers import ingest, worker

    for command in (
        crawl,
        probe,
        sites,
        runs,
        schedule,
        evidence,
        link_cmd,
        unlink_cmd,
        feed,
        deliver,
        verify,
        backup,
        worker,
        ingest,
    ):
        cli.add_command(command)


_subcommands()


def usage_line(exc: click.UsageError) -> str:
    """A usage error as one line, with the command's --help to turn to."""
    where = exc.ctx.command_path if exc.ctx is not None else "tzgg"
    message = " ".join(exc.format_message().split()).replace("from: ", "from ")
    return f"tzgg: error: {message} (see '{where} --help')"


def main(argv=None):
    debug = "--debug" in (argv if argv is not None else sys.argv)
    if debug:
        (argv if argv is not None else sys.argv).remove("--debug")
    try:
        cli.main(args=argv, prog_name="tzgg", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # one line, not click's usage block
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `tzgg`: the help it asked for
            exc.show()
        else:
            click.echo(usage_line(exc), err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("tzgg: aborted", err=True)
        sys.exit(1)
    except ArchiveBusy as exc:
        click.echo(f"tzgg: error: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except ArchiveError as exc:
        click.echo(f"tzgg: error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # never a traceback unless --debug
        if debug:
            raise
        click.echo(
            f"tzgg: error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
