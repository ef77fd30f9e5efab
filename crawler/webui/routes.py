"""The newsroom pages of `tzgg serve`, as Datasette routes (registered by the plugin):

    /                          search box, latest removals and edits, 公示 closing soon, health
    /search?q=…                the CLI's search, its grammar and filters, a page at a time
    /notice/ID                 the current text, its fields, files, and a timeline
    /notice/ID/diff?a=&b=      two versions compared (inline, or &view=side)
    /notice/ID/evidence.wacz   the notice's evidence bundle (`tzgg evidence`)
    /notice/ID/file/SHA256     an archived attachment's bytes, as a download
    /site/SITE                 a site's crawls, events, counts and charts

Each page reads the archive on a read-only connection of its own, on Datasette's executor,
under a time limit, and never reads the webhook tables; the templates (templates/) escape
everything the archive holds."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
import time
import urllib.parse
from pathlib import Path

from datasette.utils.asgi import Response

from archive.storage.db import sqlite_uri
from crawler.schema.times import shanghai_today
from crawler.webui import charts, diffview, reads

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_MOUNT = "tzgg-static"
READ_SECONDS = 2.0  # a page's reads stop here (a one-character word reads every version)
_DOWNLOAD_HEADERS = {
    "x-content-type-options": "nosniff",  # archived bytes are never run as a page of ours
    "content-security-policy": "sandbox",
}
_NEVER_READ = frozenset({"webhooks", "deliveries"})  # their URLs and configs carry tokens
_AGGREGATES = reads.Aggregates()


def _archive(datasette) -> tuple[str, str]:
    """(the database's name in Datasette's URLs, its file)."""
    for name, db in datasette.databases.items():
        if name != "_internal" and db.path:
            return name, db.path
    raise reads.NotFound("no archive is served")


def _authorize(action, table, *_):
    if action == sqlite3.SQLITE_READ and (table or "").lower() in _NEVER_READ:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _connect(path: str, seconds: float | None) -> sqlite3.Connection:
    conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
    conn.row_factory = sqlite3.Row
    conn.set_authorizer(_authorize)
    if seconds is not None:
        deadline = time.monotonic() + seconds
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    return conn


async def _read(datasette, fn, *args, seconds: float | None = READ_SECONDS):
    """fn(conn, path, *args) on Datasette's executor, on a read-only connection of its own
    (closed after), interrupted after `seconds`."""
    _name, path = _archive(datasette)

    def work():
        conn = _connect(path, seconds)
        try:
            return fn(conn, path, *args)
        finally:
            conn.close()

    return await asyncio.get_running_loop().run_in_executor(datasette.executor, work)


async def _page(datasette, request, template: str, context: dict, status: int = 200):
    context = {
        "database": _archive(datasette)[0],
        "static": f"/{STATIC_MOUNT}",
        "page_size": reads.PAGE_SIZE,
    } | context
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


def _handled(fn):
    """A page whose reads may say 404 or 400, or run out of time: the error page, one line."""

    async def view(datasette, request):
        try:
            return await fn(datasette, request)
        except reads.NotFound as exc:
            return await _page(datasette, request, "tzgg_error.html", {"error": str(exc)}, 404)
        except reads.BadRequest as exc:
            return await _page(datasette, request, "tzgg_error.html", {"error": str(exc)}, 400)
        except sqlite3.OperationalError as exc:
            if not reads.interrupted(exc):
                raise
            error = {"error": "读取超时 · the archive could not answer in time"}
            return await _page(datasette, request, "tzgg_error.html", error, 503)

    return view


def _args(request) -> dict:
    return {k: request.args.get(k) for k in request.args.keys()}


@_handled
async def home(datasette, request):
    def read(conn, path):
        today = shanghai_today()
        data = reads.home(conn, today) | _AGGREGATES.get(conn, path, today)
        data["chart_week"] = charts.embed(charts.events_per_week(data["by_week"]))
        data["chart_sites"] = charts.embed(charts.changes_per_site(data["by_site"]))
        data["chart_growth"] = charts.embed(charts.notices_per_site(data["growth"]))
        return data

    return await _page(datasette, request, "tzgg_home.html", await _read(datasette, read))


@_handled
async def search(datasette, request):
    args = _args(request)
    data = await _read(datasette, lambda conn, _path: reads.search_page(conn, args))
    query = {k: v for k, v in args.items() if k != "page" and v}
    data["page_url"] = lambda n: "/search?" + urllib.parse.urlencode(query | {"page": n})
    data |= {"sorts": reads.SORTS, "statuses": reads.STATUSES}
    return await _page(datasette, request, "tzgg_search.html", data)


def _key(request) -> str:
    return urllib.parse.unquote(request.url_vars["key"])


@_handled
async def notice(datasette, request):
    key = _key(request)
    data = await _read(datasette, lambda conn, _path: reads.notice_page(conn, key))
    return await _page(datasette, request, "tzgg_notice.html", data)


def _version_arg(request, name: str, default: int) -> int:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise reads.BadRequest(f"{name}: a version number")
    return int(value)


@_handled
async def diff(datasette, request):
    key = _key(request)
    nid, versions = await _read(datasette, lambda conn, _path: reads.versions_of(conn, key))
    if len(versions) == 1:
        raise reads.NotFound(f"notice {nid} has one version: nothing to compare")
    by_number = {v["version"]: v for v in versions}
    b = _version_arg(request, "b", versions[-1]["version"])
    a = _version_arg(request, "a", b - 1)
    for n in (a, b):
        if n not in by_number:
            have = ", ".join(map(str, by_number))
            raise reads.NotFound(f"notice {nid} has no version {n} (it has {have})")
    view = "side" if request.args.get("view") == "side" else "inline"
    rows = diffview.compare(by_number[a], by_number[b])
    context = {"id": nid, "a": by_number[a], "b": by_number[b], "rows": rows, "view": view}
    return await _page(datasette, request, "tzgg_diff.html", context)


@_handled
async def site(datasette, request):
    name = urllib.parse.unquote(request.url_vars["site"])

    def read(conn, _path):
        data = reads.site_page(conn, name)
        data["chart_health"] = charts.embed(charts.health_over_time(data["runs"]))
        data["chart_notices"] = charts.embed(charts.notices_over_time(data["monthly"]))
        return data

    return await _page(datasette, request, "tzgg_site.html", await _read(datasette, read))


def _disposition(name: str) -> str:
    """An attachment's Content-Disposition: an ASCII fallback name, and the real one encoded."""
    fallback = "".join(c if c.isascii() and c.isalnum() or c in "._-" else "_" for c in name)
    quoted = urllib.parse.quote(name, safe="")
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quoted}"


@_handled
async def attachment(datasette, request):
    key, sha = _key(request), request.url_vars["sha"]
    name, data = await _read(datasette, lambda conn, _path: reads.archived_file(conn, key, sha))
    headers = _DOWNLOAD_HEADERS | {"content-disposition": _disposition(name)}
    return Response(data, headers=headers, content_type="application/octet-stream")


class _FileDownload:
    """A file sent in chunks, then its folder removed (a bundle may hold large attachments:
    it is not read into memory whole)."""

    def __init__(self, path: Path, folder: str, headers: dict, content_type: str):
        self.path, self.folder = path, folder
        self.headers, self.content_type = headers, content_type

    async def asgi_send(self, send):
        headers = self.headers | {
            "content-type": self.content_type,
            "content-length": str(self.path.stat().st_size),
        }
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [[k.encode(), v.encode()] for k, v in headers.items()],
            }
        )
        try:
            with open(self.path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@_handled
async def evidence(datasette, request):
    from archive.export import ExportError
    from archive.export.evidence import resolve_notice, write_evidence

    key = _key(request)
    folder = tempfile.mkdtemp(prefix="tzgg-evidence-")

    def build(conn, _path):
        try:
            nid = resolve_notice(conn, key)
            out = Path(folder) / f"{nid}.wacz"
            write_evidence(conn, nid, out)
        except ExportError as exc:
            raise reads.NotFound(str(exc)) from None
        return nid, out

    try:
        nid, out = await _read(datasette, build, seconds=None)  # a bundle takes its time
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    headers = _DOWNLOAD_HEADERS | {"content-disposition": _disposition(f"tzgg-evidence-{nid}.wacz")}
    return _FileDownload(out, folder, headers, "application/wacz")


ROUTES = [
    (r"^/$", home),
    (r"^/search$", search),
    (r"^/notice/(?P<key>[^/]+)$", notice),
    (r"^/notice/(?P<key>[^/]+)/diff$", diff),
    (r"^/notice/(?P<key>[^/]+)/evidence\.wacz$", evidence),
    (r"^/notice/(?P<key>[^/]+)/file/(?P<sha>[0-9a-f]{64})$", attachment),
    (r"^/site/(?P<site>[^/]+)$", site),
]
