"""`tzgg demo`: the bundled example district, served on loopback and crawled once a round;
`tzgg demo --serve`: the district alone on a fixed port, changed a round at a time, for
trying tzgg's own commands on it offline."""

from __future__ import annotations

import errno
import html
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from archive.storage.db import META_SQL, archive_lock, connect, sqlite_uri
from archive.storage.diff import field_diff
from archive.storage.queries import changes, notice_history
from crawler.schema.times import utcnow

# archive_meta key: the archive was made by `tzgg demo`, which may start it afresh
DEMO_KEY = "tzgg_demo"
SERVE_PORT = 8765
_LOOPBACK = ("http://127.0.0.1:%", "http://[::1]:%", "http://localhost:%")


def _crawl(key: str, registry: Path, db: str) -> int:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", key, "--registry", str(registry)]
    cmd += ["--db", db, "--profile", "test", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).rstrip()
    click.echo("  " + out.replace("\n", "\n  "))
    return proc.returncode


def demo_command(db: str | None, serve: bool, port: int | None) -> None:
    from crawler.cli.common import Fail

    if serve and db is not None:
        raise Fail(
            "--serve makes no archive: crawl the site yourself (tzgg crawl URL --db FILE)", 2
        )
    if port is not None and not serve:
        raise Fail("--port goes with --serve", 2)
    if serve:
        serve_demo(SERVE_PORT if port is None else port)
    else:
        run_demo(db)


def _demo_archive(path: Path) -> str | None:
    """Why `path` may not be started afresh, or None when it is a demo archive and nothing
    else.  Read without writing (immutable: no journal or lock files made beside it)."""
    if not path.is_file():
        return "is not a file"
    try:
        conn = sqlite3.connect(sqlite_uri(path, "ro") + "&immutable=1", uri=True)
        try:
            mark = conn.execute("SELECT value FROM archive_meta WHERE key = ?", (DEMO_KEY,))
            if mark.fetchone() is None:
                return "is not a tzgg demo archive"
            other = " AND ".join("url NOT LIKE ?" for _ in _LOOPBACK)
            sql = f"SELECT url FROM captures WHERE {other} LIMIT 1"
            if conn.execute(sql, _LOOPBACK).fetchone():
                return "is a demo archive that now holds other sites too"
        finally:
            conn.close()
    except sqlite3.Error:
        return "is not a tzgg demo archive"
    return None


def _start_afresh(db: str) -> None:
    """Delete an earlier demo's archive at `db`; refuse (one line, exit 2) anything else."""
    from crawler.cli.common import Fail

    path = Path(db)
    if not os.path.lexists(path):
        return
    refuse = "{} {}; the demo starts its archive afresh, so give it a new file"
    if why := _demo_archive(path):  # checked before the lock: no lock file beside another's
        raise Fail(refuse.format(db, why), 2)
    with archive_lock(path, exclusive=True):  # not under a crawl of it
        if why := _demo_archive(path):
            raise Fail(refuse.format(db, why), 2)
        # the journal first: a stale WAL beside the next archive would be replayed into it
        for suffix in ("-wal", "-shm", "-journal", ""):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _mark(db: str) -> None:
    conn = connect(db)
    conn.execute(META_SQL)
    conn.execute(
        "INSERT OR REPLACE INTO archive_meta (key, value) VALUES (?, ?)", (DEMO_KEY, utcnow())
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the mark in the file itself
    conn.close()


def run_demo(db: str | None) -> None:
    from crawler.cli.formats import format_event
    from crawler.demo import serve
    from crawler.demo.scenario import ROUND_NOTES, apply_round, build_demo_site

    keep = db is not None
    if keep:
        _start_afresh(db)
    workdir = tempfile.TemporaryDirectory(prefix="tzgg-demo-")
    if db is None:
        db = str(Path(workdir.name) / "demo.db")
    _mark(db)
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
        for rnd in range(len(ROUND_NOTES) + 1):  # the first crawl, then one a round
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
        if edited:  # a body edit shows best; the same one every run
            shown = max(edited, key=lambda e: ("body" in (e["fields"] or []), e["url"]))
            h = notice_history(conn, shown["notice_id"])
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


def serve_demo(port: int) -> None:
    """Serve the example district on 127.0.0.1:`port` until Ctrl-C; each Enter or SIGUSR1
    moves it to the scenario's next round (then, past the last, a rebuild: noise only)."""
    from crawler.cli.common import Fail
    from crawler.demo import serve
    from crawler.demo.scenario import ROUND_NOTES, apply_round, build_demo_site

    site = build_demo_site(style="trs")
    try:
        srv = serve(site, host="127.0.0.1", port=port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Fail(f"port {port} is busy; give another with --port N") from None
        raise Fail(f"cannot serve on port {port}: {exc.strerror or exc}") from None
    try:
        with _Presses() as presses:
            _say(f"Serving the example district {site.name} at {site.listing_url(srv.base)}")
            _say(f"Press Enter (or kill -USR1 {os.getpid()}) for the next round; Ctrl-C stops it.")
            for n, _ in enumerate(presses, 1):
                if n in ROUND_NOTES:
                    note = apply_round(site, n)
                else:
                    site.rebuild()
                    note = "site rebuilt, noise only: no notice changed"
                _say(f"round {n}: {note}")
    except KeyboardInterrupt:
        _say("stopped")
    finally:
        srv.close()


def _say(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()  # a pipe reader (a test, a script) sees each line as it happens


class _Presses:
    """Iterate once per line read on stdin and per SIGUSR1 (stdin closed: signals only).
    The handler does nothing: the signal's number comes through a pipe (set_wakeup_fd) that
    select() watches beside stdin, so a signal and a key press wake the same loop."""

    def __enter__(self):
        self.rfd, self.wfd = os.pipe()
        os.set_blocking(self.wfd, False)
        self.old_fd = signal.set_wakeup_fd(self.wfd)
        self.old = signal.signal(signal.SIGUSR1, lambda *_: None)
        try:
            self.stdin = sys.stdin.fileno() if sys.stdin else None
        except (OSError, ValueError):
            self.stdin = None
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGUSR1, self.old)
        signal.set_wakeup_fd(self.old_fd)
        os.close(self.rfd)
        os.close(self.wfd)

    def __iter__(self):
        while True:
            fds = [self.rfd] if self.stdin is None else [self.rfd, self.stdin]
            ready, _, _ = select.select(fds, [], [])
            if self.rfd in ready:
                for signum in os.read(self.rfd, 256):
                    if signum == signal.SIGUSR1:
                        yield "signal"
            if self.stdin in ready:
                data = os.read(self.stdin, 4096)
                if not data:
                    self.stdin = None
                for _ in range(data.count(b"\n")):
                    yield "enter"
