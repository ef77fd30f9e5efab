"""`tzgg deliver`: send the registry's webhooks what they are owed (the end of a crawl does
the same, briefly: crawler/service/hooks.py).  A thin adapter over archive/notify/webhooks.py.

crawler.cli registers the command.
"""

from __future__ import annotations

import json
import sys

import click

from crawler.cli.common import Fail, _db_option, _load_registry, _open, _registry_option
from crawler.service.hooks import DEFAULT_BUDGET_S, hooks_of, pending_count


def _line(info: dict) -> str:
    out = f"{info['url']}: sent {info['sent']}, pending {pending_count(info)}"
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
    hooks = hooks_of(reg)
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
