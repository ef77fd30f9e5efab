"""`tzgg link` and `tzgg unlink`: a person's word on a notice that moved (archive/storage/links.py).

A migration never decides a near tie: it keeps it (`tzgg link --pending`) until a person links
the pair, and a link it made that a person finds wrong is split again with `unlink`."""

from __future__ import annotations

import json

import click

from archive.storage.db import ArchiveBusy, archive_lock, site_lock
from archive.storage.links import LinkError, link, ties, unlink
from archive.storage.queries import find_notice
from crawler.cli.common import EXIT_BUSY, Fail, _db_option, _open
from crawler.schema.times import utcnow


def _ids(conn, db: str, keys: tuple[str, ...]) -> list[str]:
    out = []
    for key in keys:
        nid = find_notice(conn, key)
        if nid is None:
            raise Fail(f"no notice {key!r} in {db}", 2)
        out.append(nid)
    return out


def _write(db: str, conn, old: str, action, *args) -> dict:
    """Run `action` in one transaction, under the crawl lock of `old`'s site (never beside a
    crawl); `conn`, the read-only connection that found the notices, is closed first."""
    site = conn.execute("SELECT site FROM notices WHERE id = ?", (old,)).fetchone()[0]
    conn.close()
    try:
        with archive_lock(db, exclusive=False), site_lock(db, site):
            conn = _open(db, readonly=False)
            try:
                with conn:
                    return action(conn, old, *args, utcnow())
            except LinkError as exc:
                raise Fail(str(exc), 2) from None
            finally:
                conn.close()
    except ArchiveBusy as exc:
        raise Fail(str(exc), EXIT_BUSY) from None


def _say(done: dict, as_json: bool, line: str) -> None:
    click.echo(json.dumps(done, ensure_ascii=False) if as_json else line)


@click.command("link")
@click.argument("keys", nargs=-1, metavar="OLD NEW")
@_db_option
@click.option("--pending", is_flag=True, help="List the near ties migrations left for you.")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object (a line each, --pending).")
def link_cmd(keys, db, pending, as_json):
    """Confirm that notice NEW (id or URL) is notice OLD, moved: NEW's URLs and history join
    OLD's, with a `moved` event (and an `edited` one when the move changed a field)."""
    conn = _open(db)
    if pending:
        if keys:
            raise Fail("--pending takes no notices", 2)
        for t in ties(conn):
            if as_json:
                click.echo(json.dumps(t, ensure_ascii=False))
            else:
                click.echo(
                    f"{t['at'][:10]}  {t['site']}  body {t['body']:.2f} · title {t['title']:.2f}\n"
                    f"    old {t['old_id']}  {t['old_title']}\n        {t['old_url']}\n"
                    f"    new {t['new_id']}  {t['new_title']}\n        {t['new_url']}\n"
                    f"    tzgg link {t['old_id']} {t['new_id']}"
                )
        return
    if len(keys) != 2:
        raise Fail("give two notices, OLD and NEW (ids or URLs), or --pending", 2)
    old, new = _ids(conn, db, keys)
    done = _write(db, conn, old, link, new)
    edited = " (edited on the way)" if done["edited"] else ""
    _say(done, as_json, f"tzgg: linked: {new} is {old}, moved{edited}")


@click.command("unlink")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="JSON: one object.")
def unlink_cmd(old, new, db, as_json):
    """Split notice NEW (its former id, or a URL that came with it) from OLD again: a link a
    migration or a person made that was wrong.  OLD is left as it was before the link, and
    `removed` (not_migrated) when none of its own URLs serves it."""
    conn = _open(db)
    (old_id,) = _ids(conn, db, (old,))
    done = _write(db, conn, old_id, unlink, new)
    gone = f"; {old_id} is recorded removed (not_migrated)" if done["old_removed"] else ""
    _say(done, as_json, f"tzgg: unlinked: {done['new']} is a notice of its own again{gone}")
