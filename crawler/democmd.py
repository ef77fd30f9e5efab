"""`tzgg demo`: the bundled example district, served on loopback and crawled three times."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from archive.db import connect
from archive.diff import field_diff
from archive.queries import changes, notice_history
from archive.timeutil import utcnow


def _crawl(key: str, registry: Path, db: str) -> int:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", key, "--registry", str(registry)]
    cmd += ["--db", db, "--profile", "test", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).rstrip()
    click.echo("  " + out.replace("\n", "\n  "))
    return proc.returncode


def run_demo(db: str | None) -> None:
    from crawler.cli import format_event
    from crawler.demo.scenario import ROUND_NOTES, apply_round, build_demo_site
    from crawler.demo.site import serve

    keep = db is not None
    workdir = tempfile.TemporaryDirectory(prefix="tzgg-demo-")
    if db is None:
        db = str(Path(workdir.name) / "demo.db")
    site = build_demo_site(style="trs")
    srv = serve(site, host="127.0.0.1", port=0)
    try:
        url = site.listing_url(srv.base)
        # a watchdog's registry entry: the key names the site in every output
        registry = Path(workdir.name) / "sites.toml"
        registry.write_text(
            f'[sites.yueyanglou]\nname = "{site.name}"\nregion = "430602"\nlistings = ["{url}"]\n',
            encoding="utf-8",
        )
        click.echo(f"Serving the example district {site.name} at {url}\nArchive: {db}\n")
        for rnd in range(3):
            if rnd:
                apply_round(site, rnd)
                click.echo(f"\n== Between crawls the site changed: {ROUND_NOTES[rnd]}")
            click.echo(f"== Crawl {rnd + 1}")
            since = utcnow()
            code = _crawl("yueyanglou", registry, db)
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
        feed = Path(workdir.name) / "removed.xml"
        cmd = [sys.executable, "-m", "crawler.cli", "feed", "--db", db, "--kind", "removed"]
        subprocess.run([*cmd, "--registry", str(registry), "-o", str(feed)], check=True)
        titles = re.findall(r"<title>([^<]*)</title>", feed.read_text(encoding="utf-8"))[1:]
        click.echo("\n== What a watchdog's feed reader shows (`tzgg feed --kind removed`)")
        click.echo("\n".join(f"  {html.unescape(t)}" for t in titles))
        if keep:
            click.echo(f"\nExplore it: tzgg changes --db {db}   ·   tzgg search 征收 --db {db}")
        else:
            click.echo("\nRun `tzgg demo --db demo.db` to keep the archive and explore it.")
    finally:
        srv.close()
        workdir.cleanup()
