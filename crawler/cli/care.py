"""`tzgg verify` and `tzgg backup`: archive care, safe while a crawl runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click

from crawler.cli.common import Fail, _db_option, _open


@click.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def verify(db, as_json):
    """Re-hash every stored body and run SQLite's integrity check (exit 1 on any fault)."""
    from archive.storage.care import verify as run_verify

    conn = _open(db)
    try:
        report = run_verify(conn)
    except sqlite3.DatabaseError as exc:
        raise Fail(f"{db} is damaged: {exc}") from None
    finally:
        conn.close()
    ok = not report["bad"] and not report["missing"] and report["integrity"] == ["ok"]
    if as_json:
        click.echo(json.dumps(report | {"ok": ok}, ensure_ascii=False))
    else:
        mib = report["bytes"] / 2**20
        click.echo(f"tzgg: {report['bodies']} stored bodies re-hashed ({mib:.1f} MiB)")
        for b in report["bad"]:
            click.echo(f"  bad body {b['sha256']}: {b['why']}")
        for sha in report["missing"]:
            click.echo(f"  missing body {sha} (a capture says it was kept)")
        click.echo(f"tzgg: integrity_check: {'; '.join(report['integrity'][:5])}")
    if not ok:
        raise SystemExit(1)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@_db_option
@click.option("--force", is_flag=True, help="Replace an existing file at PATH.")
def backup(path, db, force):
    """A consistent copy of the archive at PATH (VACUUM INTO), while crawls go on."""
    from archive.storage.care import backup as run_backup
    from archive.storage.care import partial_path

    target = Path(path)
    archive_files = {Path(f"{db}{s}").resolve() for s in ("", "-wal", "-shm", "-journal")}
    if target.resolve() in archive_files:
        raise Fail(f"{path} is the archive itself", 2)
    written = {Path(f"{partial_path(target)}{s}") for s in ("", "-wal", "-shm", "-journal")}
    if {w.resolve() for w in written} & archive_files:
        raise Fail(f"backing up to {path} would write over the archive {db}", 2)
    if target.exists() and not force:
        raise Fail(f"{path} exists (--force replaces it)", 2)
    if partial_path(target).exists() and not force:  # it may not be ours
        raise Fail(f"{partial_path(path)} exists (--force replaces it)", 2)
    if not target.parent.is_dir():
        raise Fail(f"no folder {target.parent} for {path}", 2)
    conn = _open(db)
    try:
        done = run_backup(conn, target)
    except (sqlite3.Error, OSError) as exc:
        raise Fail(f"backup of {db} failed, nothing written at {path}: {exc}") from None
    finally:
        conn.close()
    size = done["bytes"] / 2**20
    click.echo(f"tzgg: backed up {db} to {path} ({done['notices']} notices, {size:.1f} MiB)")
