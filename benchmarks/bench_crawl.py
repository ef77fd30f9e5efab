"""Crawl throughput and recrawl cost, against a same-run baseline.

(a) A generated district of N notices on loopback, crawled by `tzgg crawl` (the full
    pipeline: listing parse, extraction, dedupe, version store) and by a bare Scrapy spider that
    only fetches the same pages, with the same settings (no delay, no AutoThrottle).
(b) A recrawl of the site with only noise changed on every page (view counter, build time,
    script token): versions added (must be 0) and archive growth per notice.

    python benchmarks/bench_crawl.py [--notices 2000] [--repeat 3] [--set NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.demo import DistrictSite, serve  # noqa: E402

SETTINGS = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=0",
    "-s",
    "LOG_LEVEL=WARNING",
    "-s",
    "CONCURRENT_REQUESTS=16",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s",
    "ROBOTSTXT_OBEY=1",
    "-s",
    "TELNETCONSOLE_ENABLED=0",
]
ENV = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], cwd: Path = REPO) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and every process it started)."""
    c, t = children_cpu(), time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode not in (0,):
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return elapsed, children_cpu() - c


def tzgg_crawl(url: str, db: Path, extra: tuple[str, ...] = ()) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", url, "--db", str(db), "-q", *SETTINGS]
    cmd += [a for kv in extra for a in ("-s", kv)]
    return timed(cmd)


def bare_crawl(urls_file: Path) -> tuple[float, float]:
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(REPO / "benchmarks/bare_spider.py"),
        "-a",
        f"urls_file={urls_file}",
        *SETTINGS,
    ]
    return timed(cmd, cwd=urls_file.parent)  # outside the project: no tzgg settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for tzgg's crawl",
    )
    args = ap.parse_args()

    site = DistrictSite(style="trs", page_size=20)
    site.generate(args.notices, seed=1)
    srv = serve(site, host="127.0.0.1", port=0)
    url = site.listing_url(srv.base)
    tmp = Path(tempfile.mkdtemp(prefix="tzgg-bench-"))
    pages_n = -(-args.notices // 20)
    listing = [url] + [url.replace("index.html", f"index_{i}.html") for i in range(1, pages_n)]
    details = [srv.base + site.path(nid) for nid in site.nids()]
    # tzgg downloads the notices' attachments too: the bare spider fetches them as well
    files = sorted(
        {srv.base + path for nid in site.nids() for _, path in site.get(nid)["attachments"]}
    )
    urls_file = tmp / "urls.txt"
    urls_file.write_text("\n".join(listing + details + files))
    pages = len(listing) + len(details) + len(files)

    tz_wall, tz_cpu, bare_wall, bare_cpu = [], [], [], []
    for i in range(args.repeat):
        w, c = bare_crawl(urls_file)
        bare_wall.append(w)
        bare_cpu.append(c)
        w, c = tzgg_crawl(url, tmp / f"run{i}.db", tuple(args.set))
        tz_wall.append(w)
        tz_cpu.append(c)
    med = statistics.median
    tz, bare = pages / med(tz_wall), pages / med(bare_wall)
    tz_ms, bare_ms = 1000 * med(tz_cpu) / pages, 1000 * med(bare_cpu) / pages
    print(f"(a) first crawl of {args.notices} notices ({pages} pages), median of {args.repeat}:")
    print(f"    bare Scrapy spider  {bare:7.1f} pages/s   CPU {bare_ms:.2f} ms a page")
    print(f"    tzgg crawl          {tz:7.1f} pages/s   CPU {tz_ms:.2f} ms a page")
    print(
        f"    ratio               wall {tz / bare:.2f}x (aim >= 0.85)   CPU {tz_ms / bare_ms:.2f}x"
        " (aim <= 1.25)"
    )
    print(f"    load                {os.getloadavg()[0]:.2f}")

    db = tmp / "run0.db"
    import sqlite3

    def versions() -> int:
        return sqlite3.connect(db).execute("SELECT count(*) FROM versions").fetchone()[0]

    def size() -> int:
        return sum(p.stat().st_size for p in tmp.glob("run0.db*") if not p.name.endswith(".lock"))

    v0 = versions()
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s0 = size()
    site.rebuild()  # noise only: view counters, build time, script tokens
    t, _ = tzgg_crawl(url, db)
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    grown = size() - s0
    print(f"(b) recrawl with only noise changed ({pages / t:.1f} pages/s):")
    print(f"    versions added      {versions() - v0}")
    print(f"    archive growth      {grown / args.notices:.0f} bytes per notice")
    json.dump(
        {
            "tzgg_pages_per_s": tz,
            "bare_pages_per_s": bare,
            "ratio": tz / bare,
            "tzgg_cpu_ms_per_page": tz_ms,
            "bare_cpu_ms_per_page": bare_ms,
            "cpu_ratio": tz_ms / bare_ms,
            "versions_added": versions() - v0,
            "growth_per_notice": grown / args.notices,
        },
        sys.stderr,
    )
    print(file=sys.stderr)
    srv.close()


if __name__ == "__main__":
    main()
