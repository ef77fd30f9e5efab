"""`tzgg evidence`: one notice's evidence bundle, a WACZ (archive/export/evidence.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from crawler.cli.common import Fail, _db_option, _open, refuse_archive_output, unwound_on_sigterm


@click.command("evidence")
@click.argument("key", metavar="URL_OR_ID")
@_db_option
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="The .wacz to write."
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def evidence(key, db, output, force, as_json):
    """One notice's evidence bundle: a WACZ of its captures at every URL it was seen at and of
    its attachments, with its versions, events and the diff of each edit; the SHA-256 of every
    file in its datapackage.json (unsigned: they show it intact, not who made it)."""
    from archive.export import ExportError
    from archive.export.evidence import resolve_notice, write_evidence

    refuse_archive_output(db, output)
    conn = _open(db)
    try:
        nid = resolve_notice(conn, key)
        with unwound_on_sigterm():
            summary = write_evidence(conn, nid, Path(output), force=force)
    except ExportError as exc:
        raise Fail(str(exc), 2) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    counts = (
        f"{summary['captures']} captures of its pages, {summary['attachments']} of its"
        f" attachments, {summary['resources']} resource records, {summary['pages']} pages"
    )
    click.echo(f"tzgg: wrote the evidence of notice {nid} to {output} ({counts})")
