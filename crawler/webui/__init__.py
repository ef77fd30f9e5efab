"""`tzgg serve`: Datasette over the archive, with pages a journalist needs without SQL.

Datasette's own pages serve the tables below and the canned queries over them, nothing else:
webhooks (their URLs carry tokens), deliveries, captures, bodies and every other table have
no table page, no JSON, no CSV and no visitor SQL that reads them (tzgg_plugin.py).  tzgg's
newsroom pages (routes.py) read what each shows through the archive's own functions: a
notice's captures, its attachments' kept bytes (as downloads), the search index; never the
webhook tables."""

from __future__ import annotations

import re
import signal
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

from crawler.schema.fields import brief, core, displayed
from crawler.schema.records import NOTICE_FIELDS

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
SERVED_TABLES = ("notices", "versions", "events", "runs")

# tzgg_search reads the full-text index on a connection of its own (the UI's may not)
_SEARCH = """
select n.id, v.title, substr(v.published, 1, 10) as published, n.status, n.site,
  tzgg_snippet(v.title, v.body, :q) as snippet, n.url
from json_each(tzgg_search(:q)) s
  join versions v on v.rowid = s.value
  join notices n on n.id = v.notice_id
order by s.key
"""

_EVENTS = """
select e.at, e.site, e.title, e.{detail}, e.url, e.notice_id as id
from events e where e.kind = '{kind}' order by e.id desc limit 200
"""


def _history(specs) -> str:
    """A notice's versions, a line each: their dates, brief fields and what changed."""
    shown = ["v.version", "v.first_seen", "v.last_seen", *(f"v.{n}" for n in brief(specs))]
    return f"""
select {", ".join(shown)},
  v.changed, v.url
from versions v where v.notice_id = :id order by v.version
"""


def _diff(specs) -> str:
    """Two versions compared, a row for each field every notice states."""
    selects = [
        f"select '{name}'{' as field' if i == 0 else ''},"
        f" tzgg_diff(a.{name}, b.{name}){' as diff' if i == 0 else ''}\n"
        "  from versions a join versions b on b.notice_id = a.notice_id\n"
        "  where a.notice_id = :id and a.version = :a and b.version = :b\n"
        for i, name in enumerate(core(specs))
    ]
    return "\n" + "union all\n".join(selects)


def metadata(db_name: str, specs=NOTICE_FIELDS) -> dict:
    """Datasette's metadata: titles, descriptions, the labels of the stored notice fields (in
    their display order) and tzgg's pages."""
    labels = {s.name: s.label for s in displayed(specs)}
    return {
        "title": "tzgg 通知公告档案 · archive of government notices",
        "description": (
            "每一条通知公告的每一个版本：修改与删除都有记录。"
            " Every version of every notice: edits and removals on record."
        ),
        "databases": {
            db_name: {
                "tables": {
                    "notices": {
                        "description": "通知公告（当前状态）· notices, their current state",
                        "columns": {
                            "status": "active 在线 | removed 已删除 | delisted 已下架",
                            "current_version": "最新版本号 · the current version",
                        },
                    },
                    "versions": {
                        "description": "每次内容变化一个版本 · one row per change of content",
                        "columns": labels
                        | {"changed": "与上一版本相比改动的字段 · fields changed"},
                    },
                    "events": {
                        "description": "新增、修改、删除、恢复、下架、重新上架 · every change",
                    },
                },
                "queries": {
                    "search": {
                        "title": "全文检索 · search",
                        "description": '两个字及以上的词、"短语"、AND / OR / NOT；最新在前',
                        "sql": _SEARCH,
                    },
                    "recent_removals": {
                        "title": "最近删除 · recent removals",
                        "sql": _EVENTS.format(kind="removed", detail="reason"),
                    },
                    "recent_edits": {
                        "title": "最近修改 · recent edits",
                        "sql": _EVENTS.format(kind="edited", detail="fields"),
                    },
                    "notice_history": {
                        "title": "一条通知的历史 · a notice's history",
                        "sql": _history(specs),
                    },
                    "version_diff": {
                        "title": "两个版本对比 · compare two versions",
                        "description": "删去的字在左，新增的字在右 · removed left, added right",
                        "sql": _diff(specs),
                    },
                },
            }
        },
    }


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound now: a busy port is an error before anything starts."""
    family, kind, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError:
        sock.close()
        raise
    return sock


def run(db: Path, sock: socket.socket, *, allow_sql: bool) -> None:
    """Datasette over `db` on `sock` until Ctrl-C or SIGTERM (in this process: no metadata
    file to write, so nothing left behind)."""
    import asyncio

    import uvicorn
    from datasette.app import Datasette

    try:  # with rich installed, Datasette prints each visitor's 404 or bad SQL with locals
        import rich

        rich.get_console().quiet = True  # (a server error still prints its traceback)
    except ImportError:
        pass
    with _plain_path(Path(db)) as path:
        from crawler.webui.routes import STATIC, STATIC_MOUNT, TEMPLATES

        ds = Datasette(
            [str(path)],
            metadata=metadata(path.stem),
            plugins_dir=str(PLUGIN_DIR),
            template_dir=str(TEMPLATES),
            static_mounts=[(STATIC_MOUNT, str(STATIC))],
            settings={"default_allow_sql": allow_sql},
        )

        async def main():
            await ds.invoke_startup()
            server = uvicorn.Server(uvicorn.Config(ds.app(), lifespan="on", log_level="info"))
            await server.serve(sockets=[sock])

        # uvicorn stops cleanly on Ctrl-C or SIGTERM, then raises the signal again: as an
        # exception, so the link above is removed
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# The first part of tzgg's page paths (crawler/webui/routes.py): an archive named so would
# have its Datasette pages hidden behind them.
_PAGE_PATHS = frozenset({"search", "notice", "site", "tzgg-static", "-"})


@contextmanager
def _plain_path(db: Path):
    """`db`, or, where its name holds a character Datasette would read as part of a URI (it
    opens `file:{path}?mode=ro` unescaped: `x#1.db` would open `x`) or its stem is the first
    part of one of tzgg's pages (`search.db`), a link to it with a plain name of its own
    (`search_archive.db`) in a temporary folder, removed on exit. SQLite follows the link, so
    the archive's own -wal and -shm are the ones used."""
    odd = set(str(db.resolve())) & set("#?%")
    if not odd and db.stem not in _PAGE_PATHS:
        yield db
        return
    name = re.sub(r"[#?%]", "_", db.name)
    if db.stem in _PAGE_PATHS:
        name = f"{db.stem}_archive{db.suffix}"
    with tempfile.TemporaryDirectory(prefix="tzgg-serve-") as tmp:
        link = Path(tmp) / name
        link.symlink_to(db.resolve())
        yield link
