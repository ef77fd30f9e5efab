"""Export benchmark: every `tzgg export` format against a bare warcio write, in the same run.

    python benchmarks/bench_export.py                       # 10k and 100k notices
    python benchmarks/bench_export.py --sizes 10000         # one size
    python benchmarks/bench_export.py --sizes 10000 --db /tmp/x.db   # the archive there
    python benchmarks/bench_export.py --formats warc --reps 5

A generated archive of N notices (the text of bench_search's generator, rendered into a few KB
of HTML per page, with realistic response and request headers, a third of the sites gzipped)
is stored through `Archive.ingest` in two crawl rounds an hour apart: round 2 edits ~10% of
the notices, answers ~60% with 304, removes ~2% with a 404 and re-sends the rest with the same
bytes.  Built archives are kept (in the temp folder, one per schema version, or at --db) and
reused by later runs.

Then the archive as of after round 2 is exported in each format, each export in a fresh
process (so its peak RSS is its own): median seconds and CPU seconds, MB/s of output (and of
HTTP payload for the formats holding a WARC), notices/s and peak RSS.  Two baselines, in the
same run and each in its own process, both bare warcio (WARC 1.1, a gzip member per record at
tzgg's level, `GZIP_LEVEL`: warcio's own 9 would give the baseline more work than tzgg):
* `same records`: the very records of tzgg's WARC (written once, untimed, and kept in the table
  bench_records: type, target, WARC headers with tzgg's payload digests, HTTP head, the stored
  body by its hash or a metadata record's JSON), the bodies read from the same `bodies` table.
  What tzgg costs beyond this is the price of its export: finding the records in the archive,
  the revisits, the CDXJ index.  The aim (issue 17): tzgg at ≥ 0.8× its speed.
* `bare warcio`: only the `response` records, the same stored bodies read from `bodies`.  tzgg
  writes more than that (a request per capture, revisits for 304s and identical bytes,
  metadata, the index), so this ratio is the price of everything else for the same payload.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_search import make_notice  # noqa: E402

from archive.export import export  # noqa: E402
from archive.export.warc import GZIP_LEVEL  # noqa: E402
from archive.storage.db import SCHEMA_VERSION, connect  # noqa: E402
from archive.storage.store import Archive  # noqa: E402

FORMATS = ("warc", "wacz", "jsonl", "csv", "bagit")
GENERATOR = 1  # bump when the generated archive changes: cached archives are rebuilt
ROUND1 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
ROUND2 = ROUND1 + timedelta(hours=1)
STEP = timedelta(milliseconds=15)  # between captures: 100k fetches take 25 minutes
AS_OF = "2026-01-01T03:00:00.000Z"  # after round 2
ENV = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
OUTPUT_NAMES = {"warc": "out.warc.gz", "wacz": "out.wacz", "jsonl": "out.jsonl", "csv": "out.csv"}

# -- the generated archive ------------------------------------------------------------------

SERVERS = ["nginx", "nginx/1.20.1", "Apache", "TRS WCM", "openresty", "Microsoft-IIS/8.5"]
UA = "tzgg/0.1 (archive of government notices; +https://github.com/tzgg/tzgg)"
REQUEST = [
    ["User-Agent", UA],
    ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
    ["Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"],
    ["Accept-Encoding", "gzip, deflate, br, zstd"],
]
NAV = (
    "首页 政务公开 通知公告 政策文件 政策解读 人事信息 办事服务 互动交流 走进岳阳 专题专栏".split()
)

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="SiteName" content="{site_name}">
<meta name="SiteDomain" content="{site}">
<meta name="SiteIDCode" content="4306{code:06d}">
<meta name="ColumnName" content="通知公告">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{pubdate}">
<meta name="ContentSource" content="{source}">
<title>{title}-{site_name}</title>
<link rel="stylesheet" href="/images/{theme}/common.css?v={build}">
<link rel="stylesheet" href="/images/{theme}/article.css?v={build}">
<link rel="canonical" href="{url}">
<script src="/js/jquery-1.12.4.min.js"></script>
<script src="/js/common.js?v={build}"></script>
</head>
<body>
<div class="top-bar"><div class="w1200"><span>今天是：<span id="today"></span></span>
<a href="/wza/">无障碍浏览</a><a href="/m/">手机版</a><a href="/rss/">RSS订阅</a></div></div>
<div class="header"><div class="w1200"><a class="logo" href="/"><img src="/images/{theme}/logo.png"
 alt="{site_name}"></a><form class="search" action="/search/" method="get"><input name="q"
 type="text" placeholder="请输入关键字"><button type="submit">搜索</button></form></div></div>
<div class="nav"><ul class="w1200">
{nav}
</ul></div>
<div class="w1200 main">
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt;
 <a href="/tzgg/">通知公告</a></div>
<div class="article">
<h1 class="title">{title}</h1>
<div class="info"><span>发布时间：{pubdate}</span><span>来源：{source}</span>
<span>文号：{doc_number}</span><span>浏览次数：{views}</span>
<span class="font">字号：<a href="javascript:;">大</a> <a href="javascript:;">中</a>
 <a href="javascript:;">小</a></span></div>
<div class="content" id="zoom">
{body_html}
</div>
<div class="share"><a href="javascript:window.print();">打印本页</a>
<a href="javascript:window.close();">关闭窗口</a></div>
</div>
<div class="related"><h3>相关信息</h3><ul>
{related}
</ul></div>
</div>
<div class="footer"><div class="w1200">
<p>主办：{site_name}　承办：{source}　<a href="/lxwm/">联系我们</a>　<a href="/wzdt/">网站地图</a></p>
<p>网站标识码：4306{code:06d}　湘ICP备{icp}号　<img src="/images/ga.png" alt="">
湘公网安备 430602{icp}号</p>
<p>建议使用1366×768分辨率，IE10以上版本浏览器浏览本网站</p>
</div></div>
<script>var _hmt=_hmt||[];(function(){{var hm=document.createElement("script");
hm.src="https://hm.baidu.com/hm.js?{token}";var s=document.getElementsByTagName("script")[0];
s.parentNode.insertBefore(hm,s);}})();</script>
<script src="/js/jiucuo.js?v={build}" id="_jiucuo_" sitecode="4306{code:06d}"></script>
</body>
</html>
"""

NOT_FOUND = """<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>{server}</center>
<p>您访问的页面不存在或已被删除。<a href="http://{site}/">返回首页</a></p>
</body>
</html>
"""


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def http_date(dt: datetime) -> str:
    return format_datetime(dt, usegmt=True)


def site_index(site: str) -> int:
    return int(site[4:].split(".")[0])


class Page:
    """One notice's page: the notice, its HTML and what the server says about it."""

    def __init__(self, seed: int, i: int):
        rng = random.Random(f"{seed}:{i}")
        self.site, notice = make_notice(rng, i)
        notice.pop("word")
        k = site_index(self.site)
        self.url = f"http://{self.site}/tzgg/{2020 + k % 6}{rng.randint(1, 12):02d}/t{i}.html"
        notice |= {"url": self.url, "canonical_url": self.url, "site": self.site}
        self.notice = notice
        self.server = SERVERS[k % len(SERVERS)]
        self.gzip = k % 3 == 0  # these sites compress; the spider stores the decoded body
        self.fill = {
            "site": self.site,
            "site_name": f"岳阳市{['岳阳楼区', '君山区', '云溪区', '南湖新区'][k % 4]}人民政府",
            "code": k * 37 + 11,
            "icp": f"{10000000 + k * 7919:08d}",
            "theme": f"t{k % 5}",
            "build": f"2025{k % 12 + 1:02d}{k % 28 + 1:02d}",
            "url": self.url,
            "views": rng.randint(10, 9999),
            "token": f"{rng.getrandbits(128):032x}",
            "nav": "\n".join(
                f'<li><a href="/{n}/">{w}</a></li>'
                for n, w in zip(("index", *(f"c{j}" for j in range(1, 10))), NAV, strict=True)
            ),
            "related": "\n".join(
                f'<li><a href="/tzgg/t{rng.randint(0, 10**6)}.html">'
                f"{html.escape(make_notice(rng, i)[1]['title'])}</a></li>"
                for _ in range(rng.randint(3, 6))
            ),
        }
        self.modified = ROUND1 - timedelta(days=rng.randint(1, 3000), seconds=rng.randint(0, 86399))

    def render(self) -> bytes:
        n = self.notice
        n["body_html"] = "\n".join(
            f'<p style="text-indent:2em;">{html.escape(line)}</p>' for line in n["body"].split("\n")
        )
        return PAGE.format(
            **self.fill,
            title=html.escape(n["title"]),
            pubdate=n["published"][:16].replace("T", " "),
            source=n["source"],
            doc_number=n["doc_number"],
            body_html=n["body_html"],
        ).encode()

    def edit(self, rng: random.Random) -> None:
        """A new version: a correction appended, the page modified again."""
        price = rng.randint(1000, 99999)
        self.notice = dict(self.notice)
        self.notice["body"] += f"\n（更正：第{rng.randint(2, 9)}条所列标准调整为每亩{price}元。）"
        self.modified = ROUND1 + timedelta(minutes=rng.randint(1, 59))

    def etag(self, size: int) -> str:
        return f'"{int(self.modified.timestamp()):x}-{size:x}"'

    def headers(self, body: bytes, now: datetime) -> list:
        sent = len(body)
        if self.gzip:
            c = zlib.compressobj(6, zlib.DEFLATED, 31)
            sent = len(c.compress(body) + c.flush())
        out = [
            ["Server", self.server],
            ["Date", http_date(now)],
            ["Content-Type", "text/html; charset=utf-8"],
            ["Content-Length", str(sent)],  # what was sent: the gzipped length, when gzipped
            ["Connection", "keep-alive"],
            ["Last-Modified", http_date(self.modified)],
            ["ETag", self.etag(len(body))],
            ["Accept-Ranges", "bytes"],
        ]
        if self.gzip:  # Content-Encoding itself is gone: Scrapy removed it when decoding
            out.append(["Vary", "Accept-Encoding"])
        return out


def fetch(page: Page, at: datetime, *, status=200, body=None, headers=()) -> dict:
    """The record the spider yields for one detail page (see crawler/schema/records.py `Fetch`)."""
    request = [*REQUEST, ["Referer", f"http://{page.site}/tzgg/index.html"]]
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    return {
        "type": "fetch",
        "site": page.site,
        "kind": "detail",
        "url": page.url,
        "final_url": page.url,
        "at": iso(at),
        "redirected": False,
        "redirects": [],
        "http_version": "HTTP/1.1",
        "status": status,
        "reason": reason,
        "headers": list(headers),
        "request_headers": request,
        "body": body,
        "decoded_from": "gzip" if page.gzip and body is not None and status == 200 else None,
        "error": None,
        "notice": page.notice if status == 200 else None,
        "page_class": "ok",
        "phrase": None,
        "encoding": "utf-8",
        "charset": "utf-8",
        "extractor_version": "bench",
        "home": False,
        "parts": [],
    }


def siblings(db: Path) -> list[Path]:
    """The archive's files: the database, its WAL, its lock files."""
    names = {db.name + s for s in ("", "-wal", "-shm", "-journal", ".archive.lock")}
    return [p for p in db.parent.glob(db.name + "*") if p.name in names]


def build(final: Path, n: int, seed: int = 1) -> dict:
    """Two crawl rounds of n notices through Archive.ingest into `final` (built beside it and
    renamed when whole); returns counts and the rate."""
    db = final.with_name(final.name + ".partial")
    for p in siblings(db):
        p.unlink()
    a = Archive(db, batch=500)
    fates = {"edited": 0, "not_modified": 0, "removed": 0, "same": 0}
    t = time.perf_counter()
    for rnd, start in ((1, ROUND1), (2, ROUND2)):
        runs = {
            f"site{k}.gov.cn": a.begin_run(f"site{k}.gov.cn", [], at=iso(start)) for k in range(20)
        }
        for i in range(n):
            page, now = Page(seed, i), start + STEP * i
            body = page.render()
            if rnd == 1:
                rec = fetch(page, now, body=body, headers=page.headers(body, now))
                a.ingest(rec, runs[page.site])
                continue
            rng = random.Random(f"{seed}:{i}:2")
            validators = (page.modified, page.etag(len(body)))
            roll = rng.random()
            if roll < 0.10:
                page.edit(rng)
                body = page.render()
                rec = fetch(page, now, body=body, headers=page.headers(body, now))
                fates["edited"] += 1
            elif roll < 0.70:
                headers = [
                    ["Server", page.server],
                    ["Date", http_date(now)],
                    ["Connection", "keep-alive"],
                    ["Last-Modified", http_date(page.modified)],
                    ["ETag", validators[1]],
                ]
                rec = fetch(page, now, status=304, headers=headers)
                fates["not_modified"] += 1
            elif roll < 0.72:
                gone = NOT_FOUND.format(server=page.server, site=page.site).encode()
                headers = [
                    ["Server", page.server],
                    ["Date", http_date(now)],
                    ["Content-Type", "text/html; charset=utf-8"],
                    ["Content-Length", str(len(gone))],
                    ["Connection", "keep-alive"],
                ]
                rec = fetch(page, now, status=404, body=gone, headers=headers)
                fates["removed"] += 1
            else:
                rec = fetch(page, now, body=body, headers=page.headers(body, now))
                fates["same"] += 1
            rec["request_headers"] += [  # a revisit asks with the validators it kept
                ["If-Modified-Since", http_date(validators[0])],
                ["If-None-Match", validators[1]],
            ]
            a.ingest(rec, runs[page.site])
        end = iso(start + STEP * n)
        for run in runs.values():
            a.finish_run(run, at=end)
    a.flush()
    seconds = time.perf_counter() - t
    a.close()
    with sqlite3.connect(db) as conn:  # what the baseline writes
        conn.execute("CREATE TABLE bench_responses (capture_id INTEGER PRIMARY KEY)")
        # tzgg writes a `response` for the first capture (by id) of each stored body; later
        # captures of the same bytes, and 304s, are revisits
        conn.execute(
            "INSERT INTO bench_responses SELECT min(c.id) FROM captures c"
            " WHERE c.at <= ? AND c.status IS NOT NULL AND c.status != 304"
            " AND c.body_sha256 IN (SELECT sha256 FROM bodies) GROUP BY c.body_sha256",
            (AS_OF,),
        )
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for p in siblings(final):
        p.unlink()
    for p in siblings(db):  # the WAL (empty now) and the lock files go with it
        p.rename(final.with_name(final.name + p.name[len(db.name) :]))
    return {"seconds": seconds, "records_per_s": 2 * n / seconds, **fates}


def archive_facts(db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0] or 0  # noqa: E731
    facts = {
        "notices": one("SELECT count(*) FROM notices WHERE first_seen <= ?", AS_OF),
        "captures": one("SELECT count(*) FROM captures WHERE at <= ?", AS_OF),
        "versions": one("SELECT count(*) FROM versions"),
        "bodies": one("SELECT count(*) FROM bodies"),
        "responses": one("SELECT count(*) FROM bench_responses"),
        "payload": one(
            "SELECT sum(b.size) FROM bench_responses r JOIN captures c ON c.id = r.capture_id"
            " JOIN bodies b ON b.sha256 = c.body_sha256"
        ),
        "removed": one("SELECT count(*) FROM notices WHERE status = 'removed'"),
    }
    conn.close()
    facts["db_bytes"] = sum(p.stat().st_size for p in siblings(db))
    return facts


# -- the measured processes -----------------------------------------------------------------

# Each runs in a fresh interpreter; it times its work after its imports and prints one JSON
# line with the seconds, its peak RSS (KiB) and its RSS after the imports.  Peak RSS is VmHWM,
# not getrusage's ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report at
# least the RSS its parent (this benchmark, after a build) had when it forked.  The RSS after
# the imports varies by a few MB with the machine's page cache (fault-around maps library pages
# already cached), so what the export itself holds is the peak less that: "own MB".
PEAK = """
def peak_kib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
"""
_EXPORT = """
import json, sys, time
from archive.storage.db import connect
from archive.export import export
import archive.export.bag, archive.export.warc
fmt, db, out, at = sys.argv[1:5]
if fmt == "wacz":
    import wacz.main
start_rss = peak_kib()
t, cpu = time.perf_counter(), time.process_time()
conn = connect(db, readonly=True)
summary = export(conn, fmt, out, at=at)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
peak = peak_kib()
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak, "start_kib": start_rss,
                  "summary": summary}, ensure_ascii=False))
"""

_WARCIO = """
import io, json, sqlite3, sys, time, zlib
from archive.storage.headers import unpack
db, out = sys.argv[1:3]
start_rss = peak_kib()
t, cpu = time.perf_counter(), time.process_time()
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
sql = (
    "SELECT coalesce(c.final_url, c.url), c.status, c.reason, c.http_version, c.headers, b.data"
    " FROM bench_responses r JOIN captures c ON c.id = r.capture_id"
    " JOIN bodies b ON b.sha256 = c.body_sha256 ORDER BY r.capture_id"
)
n = payload = 0
with open(out, "wb") as fh:
    w = WARCWriter(fh, gzip=True, warc_version="1.1")
    for uri, status, reason, protocol, headers, data in conn.execute(sql):
        body = zlib.decompress(data)
        http = StatusAndHeaders(f"{status} {reason}", unpack(headers), protocol=protocol)
        rec = w.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
        )
        w.write_record(rec)
        n += 1
        payload += len(body)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
peak = peak_kib()
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak, "start_kib": start_rss,
                  "summary": {"records": {"response": n}, "payload_bytes": payload}}))
"""

# The same records as tzgg's WARC (bench_records, from `same_records`), by bare warcio: what
# tzgg's export costs beyond writing its records is the rest of the ratio.
_SAME = """
import io, json, sqlite3, sys, time, zlib
db, out, records = sys.argv[1:4]
start_rss = peak_kib()
t, cpu = time.perf_counter(), time.process_time()
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
conn.execute("ATTACH DATABASE ? AS kept", (f"file:{records}?mode=ro",))
sql = (
    "SELECT r.type, r.uri, r.warc, r.http, r.payload, b.data FROM kept.bench_records r"
    " LEFT JOIN bodies b ON b.sha256 = r.body ORDER BY r.n"
)
counts, payload = {}, 0
with open(out, "wb") as fh:
    w = WARCWriter(fh, gzip=True, warc_version="1.1")
    for kind, uri, warc, http, inline, data in conn.execute(sql):
        body = zlib.decompress(data) if data is not None else inline or b""
        if http is not None:
            line, protocol, headers = json.loads(http)
            http = StatusAndHeaders(line, headers, protocol=protocol)
        rec = w.create_warc_record(
            uri, kind, payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict=dict(json.loads(warc)),
        )
        w.write_record(rec)
        counts[kind] = counts.get(kind, 0) + 1
        payload += len(body) if data is not None else 0
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
peak = peak_kib()
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak, "start_kib": start_rss,
                  "summary": {"records": counts, "payload_bytes": payload}}))
"""

# warcio's own gzip (a member per record) at the level tzgg writes: warcio's 9 would give the
# baselines more work than tzgg for the same bytes
_SAME_LEVEL = """
import zlib
import warcio.warcwriter
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from archive.export.warc import GZIP_LEVEL

class SameLevel(warcio.warcwriter.GzippingWrapper):
    def __init__(self, out):
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out

warcio.warcwriter.GzippingWrapper = SameLevel
"""
EXPORT_CHILD = PEAK + _EXPORT
WARCIO_CHILD, SAME_CHILD = PEAK + _SAME_LEVEL + _WARCIO, PEAK + _SAME_LEVEL + _SAME
# warcio makes these itself for each record
_MADE = {"warc-type", "warc-record-id", "warc-target-uri", "warc-block-digest", "content-length"}


def records_path(db: Path) -> Path:
    return db.with_name(db.name + ".records")


def same_records(db: Path, work: Path) -> int:
    """Write tzgg's WARC of the archive (uncompressed, not timed) and keep its records in the
    table bench_records (in a file beside the archive) as bare warcio is handed them: type,
    target, WARC headers, HTTP head, and the payload (a stored body by its hash; a metadata
    record's JSON as it is)."""
    from warcio.archiveiterator import ArchiveIterator

    warc = work / "same.warc"
    conn = connect(db, readonly=True)
    export(conn, "warc", warc, at=AS_OF)
    conn.close()
    records_path(db).unlink(missing_ok=True)
    conn = sqlite3.connect(records_path(db))
    conn.execute("ATTACH DATABASE ? AS archive", (str(db),))
    conn.execute(
        "CREATE TABLE bench_records (n INTEGER PRIMARY KEY, type TEXT, uri TEXT, warc TEXT,"
        " http TEXT, body TEXT, payload BLOB)"
    )

    def rows(fh):
        for rec in ArchiveIterator(fh):
            h = rec.http_headers
            http = h and json.dumps([h.statusline, h.protocol, h.headers])
            payload = rec.raw_stream.read()
            body = hashlib.sha256(payload).hexdigest() if rec.rec_type == "response" else None
            warc_headers = [(k, v) for k, v in rec.rec_headers.headers if k.lower() not in _MADE]
            uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
            yield rec.rec_type, uri, json.dumps(warc_headers), http, body, None if body else payload

    with open(warc, "rb") as fh:
        conn.executemany(
            "INSERT INTO bench_records (type, uri, warc, http, body, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows(fh),
        )
    # a response whose bytes the archive does not hold (a redirect's, kept empty) is inline
    conn.execute(
        "UPDATE bench_records SET payload = x'', body = NULL"
        " WHERE body IS NOT NULL AND body NOT IN (SELECT sha256 FROM archive.bodies)"
    )
    conn.commit()
    (kept,) = conn.execute("SELECT count(*) FROM bench_records").fetchone()
    conn.close()
    for p in work.iterdir():
        p.unlink()
    return kept


def run_child(code: str, *args: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=ENV, capture_output=True, text=True
    )
    if p.returncode:
        sys.exit(f"failed ({p.returncode}): {' '.join(args)}\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def output_bytes(path: Path) -> int:
    paths = [path, Path(f"{path}.cdxj")] if path.is_file() else path.rglob("*")
    return sum(p.stat().st_size for p in paths if p.is_file())


BASELINES = {"bare warcio": WARCIO_CHILD, "same records": SAME_CHILD}


def measure(db: Path, fmt: str, work: Path) -> dict:
    out = work / OUTPUT_NAMES.get(fmt, "bag")
    if fmt in BASELINES:
        out = work / "bare.warc.gz"
        r = run_child(BASELINES[fmt], str(db), str(out), str(records_path(db)))
    else:
        r = run_child(EXPORT_CHILD, fmt, str(db), str(out), AS_OF)
    r["bytes"] = output_bytes(out)
    for p in work.iterdir():
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return r


def median_of(runs: list[dict], key) -> float:
    return statistics.median(key(r) for r in runs)


def report(n: int, facts: dict, results: dict[str, list[dict]]) -> dict:
    """Print the table for one size; return {format: figures} (medians)."""
    mib = 2**20
    out = {}
    print(
        f"  {'format':<13}{'s (median)':>11}{'CPU s':>7}{'out MB':>9}{'MB/s':>8}"
        f"{'payload MB/s':>14}"
        f"{'notices/s':>11}{'peak RSS MB':>13}{'own MB':>8}"
    )
    for fmt, runs in results.items():
        s = median_of(runs, lambda r: r["seconds"])
        cpu = median_of(runs, lambda r: r["cpu"])
        size = median_of(runs, lambda r: r["bytes"])
        rss = median_of(runs, lambda r: r["peak_kib"]) / 1024
        own = median_of(runs, lambda r: r["peak_kib"] - r["start_kib"]) / 1024
        payload = runs[0]["summary"].get("payload_bytes")
        out[fmt] = {"seconds": s, "cpu": cpu, "bytes": size, "rss_mb": rss, "own_mb": own}
        print(
            f"  {fmt:<13}{s:11.2f}{cpu:7.2f}{size / mib:9.1f}{size / mib / s:8.1f}"
            + (f"{payload / mib / s:14.1f}" if payload else f"{'':14}")
            + (f"{facts['notices'] / s:11,.0f}" if fmt not in BASELINES else f"{'':11}")
            + f"{rss:13.1f}{own:8.1f}"
        )
    if "warc" in results and "bare warcio" in results:
        tz, bare = results["warc"][0]["summary"], results["bare warcio"][0]["summary"]
        same = (
            tz["records"].get("response") == bare["records"]["response"]
            and tz["payload_bytes"] == bare["payload_bytes"]
        )
        ratio = out["bare warcio"]["seconds"] / out["warc"]["seconds"]
        cpu_ratio = out["bare warcio"]["cpu"] / out["warc"]["cpu"]
        others = ", ".join(f"{v:,} {k}" for k, v in tz["records"].items() if k != "response")
        print(
            f"  tzgg warc: {ratio:.2f}× the speed of bare warcio writing its responses:"
            f" bare {out['bare warcio']['seconds']:.2f} s / tzgg {out['warc']['seconds']:.2f} s"
            f" for the same {bare['records']['response']:,} responses,"
            f" {bare['payload_bytes'] / mib:.1f} MiB of payload"
            + ("" if same else " [MISMATCH: tzgg wrote other responses!]")
        )
        print(
            f"    in CPU time {cpu_ratio:.2f}×: bare {out['bare warcio']['cpu']:.2f} s"
            f" / tzgg {out['warc']['cpu']:.2f} s (medians; both gzip at level {GZIP_LEVEL})"
        )
        print(f"    tzgg also writes {others} records and the CDXJ index")
        out["ratio"], out["cpu_ratio"] = ratio, cpu_ratio
    if "warc" in results and "same records" in results:
        tz, bare = results["warc"][0]["summary"], results["same records"][0]["summary"]
        same = tz["records"] == bare["records"] and tz["payload_bytes"] == bare["payload_bytes"]
        ratio = out["same records"]["seconds"] / out["warc"]["seconds"]
        cpu_ratio = out["same records"]["cpu"] / out["warc"]["cpu"]
        print(
            f"  tzgg warc: {ratio:.2f}× the speed of bare warcio writing the same"
            f" {sum(bare['records'].values()):,} records (aim ≥ 0.8×), {cpu_ratio:.2f}× in CPU time:"
            f" bare {out['same records']['seconds']:.2f} s, {out['same records']['cpu']:.2f} s CPU"
            f" / tzgg {out['warc']['seconds']:.2f} s, {out['warc']['cpu']:.2f} s CPU"
            + ("" if same else " [MISMATCH: tzgg wrote other records!]")
        )
        out["ratio_same_records"], out["cpu_ratio_same_records"] = ratio, cpu_ratio
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated notice counts")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    ap.add_argument("--db", help="the archive (one size): built there if absent, else reused")
    ap.add_argument("--rebuild", action="store_true", help="build even if a cached archive exists")
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.sizes.split(",") if x]
    if args.db and len(counts) != 1:
        ap.error("--db takes one size (--sizes N)")
    formats = [f for f in args.formats.split(",") if f]
    cache = Path(tempfile.gettempdir()) / "tzgg-bench-export"
    cache.mkdir(exist_ok=True)
    print(f"$ python benchmarks/bench_export.py {' '.join(argv or sys.argv[1:])}".rstrip())
    figures = {}
    for n in counts:
        name = f"export-{n}-g{GENERATOR}-s{SCHEMA_VERSION}.db"  # a new schema: a new build
        db = Path(args.db) if args.db else cache / name
        if args.rebuild or not db.exists():
            b = build(db, n)
            built = (
                f"built in {b['seconds']:.0f} s ({b['records_per_s']:,.0f} fetches/s through"
                f" Archive.ingest); round 2: {b['edited']:,} edited, {b['not_modified']:,} 304,"
                f" {b['removed']:,} 404, {b['same']:,} same bytes"
            )
        else:
            built = "reused (built by an earlier run)"
            conn = connect(db)  # an older schema is migrated here, not in a timed export
            mine = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'bench_responses'")
            if not mine.fetchone():
                sys.exit(f"{db} is not an archive this benchmark built (pass a new path)")
            conn.close()
        facts = archive_facts(db)
        print(f"\n{n:,} notices: archive {db} {built}")
        print(
            f"  {facts['captures']:,} captures, {facts['versions']:,} versions,"
            f" {facts['bodies']:,} stored bodies, {facts['removed']:,} removed;"
            f" archive {facts['db_bytes'] / 2**20:.1f} MiB;"
            f" export as of {AS_OF}: {facts['notices']:,} notices,"
            f" {facts['responses']:,} responses ({facts['payload'] / 2**20:.1f} MiB of payload)"
        )
        work = Path(tempfile.mkdtemp(prefix="tzgg-export-", dir=cache))
        baselines = ["bare warcio"]
        if "warc" in formats:
            kept = same_records(db, work)
            print(f"  tzgg's WARC holds {kept:,} records: bench_records, for `same records`")
            baselines.append("same records")
        results: dict[str, list[dict]] = {f: [] for f in [*formats, *baselines]}
        for _ in range(args.reps):  # interleaved, so that noise spreads over all of them
            for fmt in results:
                results[fmt].append(measure(db, fmt, work))
        work.rmdir()
        figures[n] = report(n, facts, results)
    if len(counts) > 1:
        sizes = "".join(f"{f'{n:,}':>10}" for n in counts)
        print("\nRSS MB by archive size (flat = streamed): peak, and own (peak less after imports)")
        print(f"  {'format':<13}{sizes}{'growth':>10}  |{sizes}{'growth':>10}")
        for fmt in figures[counts[0]]:
            if "ratio" in fmt:
                continue
            cells = []
            for key in ("rss_mb", "own_mb"):
                mb = [figures[n][fmt][key] for n in counts]
                cells.append("".join(f"{x:10.1f}" for x in mb) + f"{mb[-1] - mb[0]:+10.1f}")
            print(f"  {fmt:<13}{cells[0]}  |{cells[1]}")
    json.dump({str(n): f for n, f in figures.items()}, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
