"""`tzgg demo`: the bundled example district, served on loopback and crawled three times."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click

from archive.db import connect
from archive.diff import field_diff
from archive.queries import changes, notice_history
from archive.timeutil import utcnow


def _crawl(url: str, db: str) -> int:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", url, "--db", db, "--profile", "test", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).rstrip()
    click.echo("  " + out.replace("\n", "\n  "))
    return proc.returncode


def run_demo(db: str | None) -> None:
    from crawler.cli import format_event
    from crawler.demo.scenario import ROUND_NOTES, apply_round, build_demo_site
    from crawler.demo.site import serve

    workdir = None
    if db is None:
        workdir = tempfile.TemporaryDirectory(prefix="tzgg-demo-")
        db = str(Path(workdir.name) / "demo.db")
    site = build_demo_site(style="trs")
    srv = serve(site, host="127.0.0.1", port=0)
    try:
        url = site.listing_url(srv.base)
        click.echo(f"Serving the example district {site.name} at {url}\nArchive: {db}\n")
        for rnd in range(3):
            if rnd:
                apply_round(site, rnd)
                click.echo(f"\n== Between crawls the site changed: {ROUND_NOTES[rnd]}")
            click.echo(f"== Crawl {rnd + 1}")
            since = utcnow()
            code = _crawl(url, db)
            if code not in (0, 3):
                raise click.ClickException(f"crawl {rnd + 1} failed (exit {code})")
            conn = connect(db, readonly=True)
            events = changes(conn, since=since)
            shown = [e for e in events if rnd or e["kind"] != "new"]
            click.echo(f"  {len(events)} events" + (":" if shown else " (all new notices)"))
            for e in shown:
                click.echo("  " + format_event(e).replace("\n", "\n  "))
            conn.close()
        conn = connect(db, readonly=True)
        edited = changes(conn, kind="edited")
        if edited:
            h = notice_history(conn, edited[0]["notice_id"])
            click.echo(f"\n== A field diff, as `tzgg show {h['url']}` prints it")
            click.echo(f"  {h['versions'][-1]['title']}")
            click.echo("\n".join(field_diff(h["versions"][0], h["versions"][1])))
        conn.close()
        if workdir is None:
            click.echo(f"\nExplore it: tzgg changes --db {db}   ·   tzgg search 征收 --db {db}")
        else:
            click.echo("\nRun `tzgg demo --db demo.db` to keep the archive and explore it.")
    finally:
        srv.close()
        if workdir is not None:
            workdir.cleanup()
