"""`tzgg deliver`: send the registry's webhooks what they are owed; and the same, briefly,
at the end of a crawl (`deliver_after_crawl`).  A thin adapter over archive/notify/webhooks.py.

crawler.cli registers the command.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from crawler.cli.common import Fail, _db_option, _load_registry, _open, _registry_option

DEFAULT_BUDGET_S = 60


def _hooks_of(reg) -> list:
    return list(reg.hooks) if reg is not None else []


def _count(info: dict) -> str:
    """How many are pending: "1000+" when `pending` looked no further."""
    return f"{info['pending']}{'+' if info.get('pending_at_least') else ''}"


def _line(info: dict) -> str:
    out = f"{info['url']}: sent {info['sent']}, pending {_count(info)}"
    if info["pending"] and info["next_try"]:
        out += f" (next try at {info['next_try']}: {info['error']})"
    return out


@click.command("deliver")
@_db_option
@_registry_option
@click.option("--force", is_flag=True, help="Retry failed deliveries now, not at their next try.")
@click.option(
    "--budget",
    type=click.FloatRange(1, 3600),
    default=DEFAULT_BUDGET_S,
    show_default=True,
    help="Stop after this many seconds; the rest waits for the next run.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def deliver(db, registry, force, budget, as_json):
    """POST each webhook the events it has not acknowledged yet, oldest first.

    Exit status 1 when some are still pending (a receiver down: they are retried later), or
    may be (the call ran out of time before it looked at them all)."""
    from archive.notify.webhooks import deliver as send_all
    from archive.notify.webhooks import delivery_lock
    from archive.storage.db import ArchiveBusy

    reg = _load_registry(registry)
    hooks = _hooks_of(reg)
    if not hooks:
        where = f"in {reg.path}" if reg is not None else "(no site registry: see --registry)"
        if as_json:
            empty = {"hooks": [], "sent": 0, "pending": 0, "pending_at_least": False}
            click.echo(json.dumps({**empty, "out_of_time": False}))
        else:
            click.echo(f"no webhooks {where}")
        return
    _open(db).close()  # no archive there: say so rather than create one
    conn = _open(db, readonly=False)
    try:
        with delivery_lock(db, wait=budget):
            report = send_all(conn, hooks, force=force, budget_s=budget)
    except ArchiveBusy as exc:
        raise Fail(f"{exc}; try again later") from None
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        for info in report["hooks"]:
            click.echo(_line(info))
        if report["out_of_time"]:
            click.echo(f"stopped after {budget:g} s: run `tzgg deliver` again for the rest")
    if report["pending"] or report["pending_at_least"]:
        sys.exit(1)


def register_before_crawl(db: str | os.PathLike, registry) -> None:
    """Record the registry's hooks not known yet, so a crawl's own events reach them."""
    from archive.notify.webhooks import register
    from archive.storage.db import ArchiveError, connect

    hooks = _hooks_of(registry)
    if not hooks:
        return
    try:
        conn = connect(db)
    except ArchiveError:
        return  # the crawl reports the archive's problem itself
    try:
        register(conn, hooks)
    finally:
        conn.close()


def deliver_after_crawl(
    db: str | os.PathLike, registry, budget_s: float = DEFAULT_BUDGET_S
) -> str | None:
    """Deliver what is due at the end of a crawl (or a scheduler tick); one line to show, or
    None when the registry has no hooks.  Never raises: what fails stays pending."""
    import sqlite3

    from archive.notify.webhooks import deliver, delivery_lock
    from archive.storage.db import ArchiveError, connect

    if isinstance(registry, str | Path):
        from crawler.sites.registry import Registry, RegistryError

        try:
            registry = Registry.load(registry)
        except RegistryError as exc:
            return f"webhooks: not delivered: {exc}"
    hooks = _hooks_of(registry)
    if not hooks:
        return None
    try:
        conn = connect(db)
        try:
            with delivery_lock(db, wait=budget_s):
                report = deliver(conn, hooks, budget_s=budget_s)
        finally:
            conn.close()
    except (ArchiveError, sqlite3.Error, OSError) as exc:
        return f"webhooks: not delivered: {exc} (run `tzgg deliver` later)"
    line = f"webhooks: sent {report['sent']}, pending {_count(report)}"
    waiting = [h for h in report["hooks"] if h["pending"] or h["pending_at_least"]]
    if waiting:
        first = waiting[0]
        detail = f"{first['url']}"
        if first["next_try"]:
            detail += f" next try at {first['next_try']}: {first['error']}"
        line += f" ({detail}; `tzgg deliver` sends them)"
    return line
