"""The newsroom pages of `tzgg serve`, as Datasette routes (registered by the plugin):

    /                          search box, latest removals and edits, 公示 closing soon, health
    /search?q=…                the CLI's search, its grammar and filters, a page at a time
    /notice/ID                 the current text, its fields, files, and a timeline
    /notice/ID/diff?a=&b=      two versions compared (inline, or &view=side)
    /notice/ID/evidence.wacz   the notice's evidence bundle (`tzgg evidence`)
    /notice/ID/file/SHA256     an archived attachment's bytes, as a download
    /site/SITE                 a site's crawls, events, counts and charts

Each page reads the archive on a read-only connection of its own, in a worker thread; the
templates (templates/) escape everything the archive holds."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from datasette.utils.asgi import Response

from crawler.webui import charts, diffview, reads

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_MOUNT = "tzgg-static"
_DOWNLOAD_HEADERS = {
    "x-content-type-options": "nosniff",  # archived bytes are never run as a page of ours
    "content-security-policy": "sandbox",
}


def _db_path(datasette) -> str:
    for name, db in datasette.databases.items():
        if name != "_internal" and db.path:
            return db.path
    raise reads.NotFound("no archive is served")


def _connect(path: str) -> sqlite3.Connection:
    uri = f"file:{urllib.request.pathname2url(path)}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    conn.row_factory = sqlite3.Row
    return conn


async def _read(datasette, fn, *args):
    """fn(conn, *args) in a worker thread, on a read-only connection of its own."""
    path = _db_path(datasette)

    def work():
        conn = _connect(path)
        try:
            return fn(conn, *args)
        finally:
            conn.close()

    return await asyncio.get_running_loop().run_in_executor(None, work)


def _database(datasette) -> str:
    return next((n for n, db in datasette.databases.items() if n != "_internal" and db.path), "")


async def _page(datasette, request, template: str, context: dict, status: int = 200):
    context = {"database": _database(datasette), "static": f"/{STATIC_MOUNT}"} | context
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


def _handled(fn):
    """A page whose reads may say 404 or 400: the error page, one line, that status."""

    async def view(datasette, request):
        try:
            return await fn(datasette, request)
        except reads.NotFound as exc:
            return await _page(datasette, request, "tzgg_error.html", {"error": str(exc)}, 404)
        except reads.BadRequest as exc:
            return await _page(datasette, request, "tzgg_error.html", {"error": str(exc)}, 400)

    return view


def _args(request) -> dict:
    return {k: request.args.get(k) for k in request.args.keys()}


@_handled
async def home(datasette, request):
    def read(conn):
        data = reads.home(conn)
        data["chart_week"] = charts.embed(charts.events_per_week(reads.events_by_week(conn)))
        data["chart_sites"] = charts.embed(charts.changes_per_site(reads.changes_by_site(conn)))
        return data

    return await _page(datasette, request, "tzgg_home.html", await _read(datasette, read))


@_handled
async def search(datasette, request):
    data = await _read(datasette, reads.search_page, _args(request))
    query = {k: v for k, v in _args(request).items() if k != "page" and v}
    data["query"] = query
    data["page_url"] = lambda n: "/search?" + urllib.parse.urlencode(query | {"page": n})
    return await _page(datasette, request, "tzgg_search.html", data)


def _key(request) -> str:
    return urllib.parse.unquote(request.url_vars["key"])


@_handled
async def notice(datasette, request):
    data = await _read(datasette, reads.notice_page, _key(request))
    return await _page(datasette, request, "tzgg_notice.html", data)


def _version_arg(request, name: str, default: int) -> int:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise reads.BadRequest(f"{name}: a version number")
    return int(value)


@_handled
async def diff(datasette, request):
    h = await _read(datasette, reads.notice_page, _key(request))
    versions = {v["version"]: v for v in h["versions"]}
    b = _version_arg(request, "b", h["versions"][-1]["version"])
    a = _version_arg(request, "a", b - 1)
    if a not in versions or b not in versions:
        have = ", ".join(map(str, versions))
        raise reads.NotFound(
            f"notice {h['id']} has no version {a if a not in versions else b} (it has {have})"
        )
    view = "side" if request.args.get("view") == "side" else "inline"
    rows = diffview.compare(versions[a], versions[b])
    context = {"n": h, "a": versions[a], "b": versions[b], "rows": rows, "view": view}
    return await _page(datasette, request, "tzgg_diff.html", context)


@_handled
async def site(datasette, request):
    name = urllib.parse.unquote(request.url_vars["site"])

    def read(conn):
        data = reads.site_page(conn, name)
        data["chart_health"] = charts.embed(charts.health_over_time(data["runs"]))
        data["chart_notices"] = charts.embed(charts.notices_over_time(data["monthly"]))
        return data

    return await _page(datasette, request, "tzgg_site.html", await _read(datasette, read))


@_handled
async def attachment(datasette, request):
    name, data = await _read(datasette, reads.archived_file, _key(request), request.url_vars["sha"])
    quoted = urllib.parse.quote(name)
    headers = _DOWNLOAD_HEADERS | {"content-disposition": f"attachment; filename*=UTF-8''{quoted}"}
    return Response(data, headers=headers, content_type="application/octet-stream")


@_handled
async def evidence(datasette, request):
    from archive.export import ExportError
    from archive.export.evidence import write_evidence
    from archive.storage.queries import find_notice

    key = _key(request)

    def build(conn):
        nid = find_notice(conn, key)
        if nid is None:
            raise reads.NotFound(f"no notice {key!r} in this archive")
        with tempfile.TemporaryDirectory(prefix="tzgg-evidence-") as tmp:
            out = Path(tmp) / f"{nid}.wacz"
            try:
                write_evidence(conn, nid, out)
            except ExportError as exc:
                raise reads.NotFound(str(exc)) from None
            return nid, out.read_bytes()

    nid, data = await _read(datasette, build)
    headers = _DOWNLOAD_HEADERS | {
        "content-disposition": f'attachment; filename="tzgg-evidence-{nid}.wacz"'
    }
    return Response(data, headers=headers, content_type="application/wacz")


ROUTES = [
    (r"^/$", home),
    (r"^/search$", search),
    (r"^/notice/(?P<key>[^/]+)$", notice),
    (r"^/notice/(?P<key>[^/]+)/diff$", diff),
    (r"^/notice/(?P<key>[^/]+)/evidence\.wacz$", evidence),
    (r"^/notice/(?P<key>[^/]+)/file/(?P<sha>[0-9a-f]{64})$", attachment),
    (r"^/site/(?P<site>[^/]+)$", site),
]
