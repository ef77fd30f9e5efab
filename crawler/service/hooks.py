"""Webhooks around a crawl: hooks the registry names hear of the crawl's own events, and what
is due is delivered when it ends (briefly: `tzgg deliver` sends the rest).  No Scrapy here."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BUDGET_S = 60


def hooks_of(reg) -> list:
    return list(reg.hooks) if reg is not None else []


def pending_count(info: dict) -> str:
    """How many are pending: "1000+" when `pending` looked no further."""
    return f"{info['pending']}{'+' if info.get('pending_at_least') else ''}"


def register_before_crawl(db: str | os.PathLike, registry) -> None:
    """Record the registry's hooks not known yet, so a crawl's own events reach them."""
    from archive.notify.webhooks import register
    from archive.storage.db import ArchiveError, connect

    hooks = hooks_of(registry)
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
    hooks = hooks_of(registry)
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
    line = f"webhooks: sent {report['sent']}, pending {pending_count(report)}"
    waiting = [h for h in report["hooks"] if h["pending"] or h["pending_at_least"]]
    if waiting:
        first = waiting[0]
        detail = f"{first['url']}"
        if first["next_try"]:
            detail += f" next try at {first['next_try']}: {first['error']}"
        line += f" ({detail}; `tzgg deliver` sends them)"
    return line
