"""The Datasette plugin behind `tzgg serve`: what the UI serves (an allow-list of tables, no
other method than GET), SQL functions for Chinese search and diffs, and the one column it
renders as HTML (a diff built here from escaped text)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import sqlite3
import time
import urllib.parse
import urllib.request

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup

from archive.storage.bigrams import QueryError, match_expression, parse_query, snippet
from archive.storage.diff import level_note, text_diff
from crawler.schema.times import shanghai_minute
from crawler.webui import SERVED_TABLES
from crawler.webui.charts import kind_label
from crawler.webui.routes import ROUTES

NO_MATCH = '"zzqtzggnomatchzzq"'  # a word no document holds: an empty result, not an error page
# Only HTML that tzgg_diff built, unaltered, is rendered as HTML: it carries an HMAC of its
# content under a key of this process, which no stored text and no SQL a visitor writes can
# forge (SQL can copy a diff's prefix, or edit a diff with replace(); the HMAC no longer fits).
_KEY = secrets.token_bytes(32)
_PREFIX = '<table class="tzgg-diff" data-sig="'

# What SQL on a UI connection may read besides the served tables: the schema (Datasette reads
# it for every page; it holds no data, and is the one in tzgg's source) and table-valued
# functions over their arguments or the schema.
_SCHEMA_READS = frozenset(
    {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"}
    | {"json_each", "json_tree"}
    | {
        f"pragma_{name}"
        for name in (
            "table_info table_xinfo index_list index_info index_xinfo foreign_key_list"
            " database_list function_list module_list pragma_list collation_list"
        ).split()
    }
)
_READABLE = frozenset(SERVED_TABLES) | _SCHEMA_READS
_REFUSED = "this table is not served (the UI shows notices, versions, events and runs)"


# What Datasette's own statements may read besides: any table's row count (a read of no
# column), and the index's settings, which FTS5 reads when Datasette describes the table
# (none of the text the index holds)
_DATASETTE_READS = frozenset(
    (table, column)
    for table in ("search_index_config", "search_heads_config")
    for column in ("k", "v")
)


def _authorizer(visitor: bool):
    """No SQL on a UI connection reads a table outside the allow-list, whatever its form (a
    view, a subquery, a join).  A visitor's SQL is checked first (compiled, not run) with
    `visitor` set: any such read refuses it.  Datasette's own statements read NULL instead
    (a row page counts the rows of every table that refers to it), as would a visitor's that
    reached SQLite unchecked."""
    refuse = sqlite3.SQLITE_DENY if visitor else sqlite3.SQLITE_IGNORE

    def authorize(action, table, column, dbname, source):
        if action == sqlite3.SQLITE_READ:
            name = (table or "").lower()
            if name in _READABLE:
                return sqlite3.SQLITE_OK
            if not visitor and (column == "" or (name, column) in _DATASETTE_READS):
                return sqlite3.SQLITE_OK
            return refuse
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    return authorize


_DATASETTE, _VISITOR = _authorizer(False), _authorizer(True)


def _sign(inner: str) -> str:
    return hmac.new(_KEY, inner.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _signed(inner: str) -> str:
    return f'{_PREFIX}{_sign(inner)}">{inner}'


def _genuine(value: str) -> bool:
    """Whether `value` is exactly what tzgg_diff returned."""
    if not value.startswith(_PREFIX):
        return False
    sig, sep, inner = value[len(_PREFIX) :].partition('">')
    return bool(sep) and hmac.compare_digest(sig, _sign(inner))


def tzgg_match(query: str | None) -> str:
    """The FTS5 expression for a user's query (Datasette's _search would quote the term,
    which a bigram index cannot match)."""
    try:
        terms = parse_query(query or "")
    except QueryError:
        return NO_MATCH
    if any(t.needs_scan for t in terms):
        return NO_MATCH  # one-character words: `tzgg search` reads the text for those
    return match_expression(terms)


def tzgg_snippet(title: str | None, body: str | None, query: str | None) -> str:
    try:
        terms = parse_query(query or "")
    except QueryError:
        return ""
    return snippet(f"{title or ''} {body or ''}", terms, width=80)[0]


def tzgg_diff(old: str | None, new: str | None) -> str:
    """Side by side, characters that changed marked: <del> on the left, <ins> on the right.
    Bounded in time whatever the texts (archive/storage/diff.py): coarser, with a note, when large."""
    diff = text_diff(old, new)
    left, right = [], []
    for op, a, b in diff.ops:
        a, b = html.escape(a), html.escape(b)
        if op == "equal":
            left.append(a)
            right.append(b)
        else:
            if a:
                left.append(f"<del>{a}</del>")
            if b:
                right.append(f"<ins>{b}</ins>")
    note = level_note(diff.level, old, new)
    caption = f"<caption>{html.escape(note)}</caption>" if note else ""
    cell = '<td style="white-space:pre-wrap;vertical-align:top;width:50%">{}</td>'
    return _signed(
        f"{caption}<tr>{cell.format(''.join(left))}{cell.format(''.join(right))}</tr></table>"
    )


# The search page's hits, read on a connection of the plugin's own: the UI's connections may
# not read the index (its shadow tables hold the text of attachments too), and FTS5 reads them
# through statements of its own that an authorizer cannot tell from a visitor's.  What it
# returns, versions' rowids, is of a served table.
_HITS = """
select v.rowid from search_index s
  join versions v on v.rowid = (s.rowid & 4294967295)
  join notices n on n.id = v.notice_id and v.version = n.current_version
where search_index match ? order by s.rowid desc limit 100
"""


def _searcher(path: str, time_limit_ms: int):
    side = None

    def tzgg_search(query: str | None) -> str:
        """The current versions matching `query`, newest first: a JSON list of rowids."""
        nonlocal side
        if side is None:
            uri = f"file:{urllib.request.pathname2url(path)}?mode=ro"
            side = sqlite3.connect(uri, uri=True, check_same_thread=False)
        deadline = time.monotonic() + time_limit_ms / 1000  # Datasette's limit holds here too
        side.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        rows = side.execute(_HITS, (tzgg_match(query),)).fetchall()
        return json.dumps([r[0] for r in rows])

    return tzgg_search


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.create_function("tzgg_match", 1, tzgg_match, deterministic=True)
    conn.create_function("tzgg_snippet", 3, tzgg_snippet, deterministic=True)
    conn.create_function("tzgg_diff", 2, tzgg_diff, deterministic=True)
    if database == "_internal":
        return  # Datasette's own catalog, never served to a visitor
    db = datasette.databases.get(database)
    if db is not None and db.path:
        limit = datasette.setting("sql_time_limit_ms")
        conn.create_function("tzgg_search", 1, _searcher(db.path, limit))
    conn.set_authorizer(_DATASETTE)


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["local"] = shanghai_minute  # archive times, shown in Asia/Shanghai
    env.filters["kind"] = kind_label


@hookimpl
def register_routes():
    return ROUTES  # the newsroom pages (crawler/webui/routes.py), before Datasette's own


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    if action == "view-table":
        return None if resource[1].lower() in SERVED_TABLES else False
    if action == "view-database-download":
        return False  # the file holds every table
    if action == "execute-sql" and not datasette.setting("default_allow_sql"):
        return False  # `tzgg serve --allow-sql` turns it on
    return None


async def _answer(send, status: int, text: str, headers=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": text.encode() + b"\n"})


class _Unbound(dict):
    def __missing__(self, key):
        return None


def _visitor_sql(scope) -> tuple[str, list[str]]:
    """The database named by a request's path, and the SQL in it that a visitor wrote: ?sql=
    on a database, ?_where= on a table (as a query over that table)."""
    path = [tilde_decode(p.split(".")[0]) for p in scope["path"].strip("/").split("/")]
    args = urllib.parse.parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    sql = list(args.get("sql", []))
    if len(path) == 2 and args.get("_where"):
        table = path[1].replace("]", "]]")
        sql += [f"select * from [{table}] where {w}" for w in args["_where"]]
    return path[0], sql


async def _reads_refused(datasette, scope) -> bool:
    """Whether a visitor's SQL reads a table outside the allow-list: compiled (EXPLAIN, not
    run) on a UI connection under the visitor's authorizer.  Other errors are Datasette's to
    report as it does."""
    name, sqls = _visitor_sql(scope)
    db = datasette.databases.get(name)
    if not sqls or db is None:
        return False

    def refused(conn) -> bool:
        denied = []

        def visitor(*args):
            verdict = _VISITOR(*args)
            if verdict == sqlite3.SQLITE_DENY:
                denied.append(args[1])
            return verdict

        conn.set_authorizer(visitor)
        try:
            for sql in sqls:
                try:
                    conn.execute(f"explain {sql}", _Unbound()).fetchall()
                except Exception:  # noqa: BLE001 (refused, or bad SQL: Datasette says what)
                    pass
        finally:
            conn.set_authorizer(_DATASETTE)
        return bool(denied)

    return await db.execute_fn(refused)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guarded(scope, receive, send):
            if scope["type"] == "http":
                if scope["method"] not in ("GET", "HEAD"):
                    # the UI only reads; Datasette would answer a POST to a table with a 500
                    return await _answer(
                        send, 405, "405: method not allowed", [(b"allow", b"GET, HEAD")]
                    )
                if await _reads_refused(datasette, scope):
                    return await _answer(send, 403, f"403: {_REFUSED}")
            await app(scope, receive, send)

        return guarded

    return wrap


@hookimpl
def render_cell(value, column):
    if column == "diff" and isinstance(value, str) and _genuine(value):
        return Markup(value)  # built by tzgg_diff from escaped text only, and unaltered
    return None
