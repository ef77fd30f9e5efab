"""Crawl cost as the archive grows: CPU a page, archive bytes a notice, peak memory.

At 1k, 10k and 100k notices, each first crawl against a bare Scrapy spider in the same run.

For each size, a generated TRS district (`crawler.demo.DistrictSite`, 20 items a listing
page) on loopback, and with the settings of bench_crawl.py (no delay, no AutoThrottle, 16
concurrent requests, robots.txt on):

    bare          the bare Scrapy spider (bare_spider.py) fetching the same pages: the baseline
    first         `tzgg crawl` into a new archive
    unchanged     `tzgg crawl` again, nothing changed on the site
    noise         `tzgg crawl` again after `site.rebuild()`: view counters, build time and
                  script tokens change on every page, no notice does (0 versions must be added)

Each crawl runs in a fresh wrapper interpreter that reports the CPU (user + system) of the
crawl and of every process it started, its wall time, and its peak RSS: the wrapper is small,
so the crawl's ru_maxrss is its own peak, not the image of this process (which holds the
site's rendered pages) that a direct child would inherit across fork and exec.  A page is a
request the site answered.  Archive bytes are the database and its -wal after
`PRAGMA wal_checkpoint(TRUNCATE)`: per notice after a first crawl, growth per notice after a
recrawl.  "net" CPU takes out what the same crawl of a 20-notice site costs in the same run
(imports, start-up, the text worker): about 1 ms a page at 1,000 notices.

    python benchmarks/bench_growth.py [--sizes 1000,10000,100000] [--repeat N]

--repeat defaults to 3 below 100,000 notices and 1 from there.  One JSON object per size goes
to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import bench_crawl  # noqa: E402  (beside this script)

import crawler.settings as tzgg_settings  # noqa: E402
from crawler.demo import DistrictSite, serve  # noqa: E402

PAGE_SIZE = 20
TINY = 20  # notices of the site whose crawls measure what every crawl costs
SETTINGS = bench_crawl.SETTINGS  # the same crawl settings as the throughput benchmark
ENV = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
for _name in ("TZGG_DB", "TZGG_REGISTRY"):
    ENV.pop(_name, None)

# Runs one command and prints its cost as one JSON line.  RUSAGE_CHILDREN counts the command and
# every process it started and waited for; ru_maxrss is the largest of their peaks.
WRAPPER = """
import json, os, resource, subprocess, sys, time
out, err = sys.argv[1:3]
with open(out, "wb") as o, open(err, "wb") as e:
    t = time.perf_counter()
    rc = subprocess.run(sys.argv[3:], stdout=o, stderr=e).returncode
    wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall": wall, "cpu": r.ru_utime + r.ru_stime,
                  "rss_mb": r.ru_maxrss / 1024}))
"""


def run(cmd: list[str], cwd: Path, tmp: Path) -> dict:
    """The command's exit status, wall and CPU seconds, peak RSS, stdout and stderr."""
    out, err = tmp / "out.txt", tmp / "err.txt"
    p = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(out), str(err), *cmd],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
    )
    if p.returncode:
        sys.exit(f"the wrapper failed: {p.stderr.strip()[-2000:]}")
    res = json.loads(p.stdout)
    res["stdout"] = out.read_text(errors="replace")
    res["stderr"] = err.read_text(errors="replace")
    return res


def tzgg_crawl(url: str, db: Path, tmp: Path) -> dict:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", url, "--db", str(db), "-q", "--json"]
    cmd += SETTINGS
    # a page cap below the column would end the walk early: lift it while the setting exists
    if getattr(tzgg_settings, "TZGG_MAX_LISTING_PAGES", 0):
        cmd += ["-s", "TZGG_MAX_LISTING_PAGES=1000000"]
    res = run(cmd, REPO, tmp)
    summaries = [json.loads(x) for x in res["stdout"].splitlines() if x.startswith("{")]
    flags = [f for s in summaries for f in s.get("flags", [])]
    res["flags"] = flags
    only_cap = flags and all(f.startswith("listing_incomplete:max") for f in flags)
    if not (res["rc"] == 0 or (res["rc"] == 3 and only_cap)):
        sys.exit(f"tzgg crawl failed ({res['rc']}, flags {flags}):\n{res['stderr'][-2000:]}")
    return res


def bare_crawl(urls_file: Path, tmp: Path) -> dict:
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(REPO / "benchmarks/bare_spider.py")]
    cmd += ["-a", f"urls_file={urls_file}", *SETTINGS]
    res = run(cmd, urls_file.parent, tmp)  # outside the project: no tzgg settings
    if res["rc"]:
        sys.exit(f"the bare spider failed ({res['rc']}):\n{res['stderr'][-2000:]}")
    return res


def db_bytes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


def versions(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM versions").fetchone()[0]


class Site:
    """A generated district on loopback, the URLs a bare spider needs, and its crawls."""

    def __init__(self, n: int, tmp: Path) -> None:
        t = time.process_time()
        self.n = n
        self.site = DistrictSite(style="trs", page_size=PAGE_SIZE)
        self.site.generate(n, seed=1)
        self.generate_s = time.process_time() - t
        self.srv = serve(self.site, host="127.0.0.1", port=0)
        base = self.srv.base
        self.url = self.site.listing_url(base)
        listing = [base + self.site.listing_path(k) for k in range(self.site.page_count())]
        details = [base + self.site.path(nid) for nid in self.site.nids()]
        # tzgg downloads the notices' attachments: the bare spider fetches them as well
        files = {path for nid in self.site.nids() for _, path in self.site.get(nid)["attachments"]}
        self.urls_file = tmp / f"urls-{n}.txt"
        self.urls_file.write_text("\n".join(listing + details + [base + f for f in sorted(files)]))
        self.tmp = tmp
        self.rows: dict[str, list[dict]] = {"bare": [], "first": [], "unchanged": [], "noise": []}

    def crawl(self, phase: str, db: Path | None = None) -> None:
        before = len(self.site.requests)
        if phase == "bare":
            res = bare_crawl(self.urls_file, self.tmp)
        else:
            v, size = (versions(db), db_bytes(db)) if phase != "first" else (0, 0)
            res = tzgg_crawl(self.url, db, self.tmp)
            res.update(bytes=db_bytes(db) - size, versions=versions(db) - v)
        res["pages"] = len(self.site.requests) - before
        self.rows[phase].append(res)

    def close(self) -> None:
        self.srv.close()


def measure_size(n: int, repeat: int, tmp: Path) -> dict:
    """The crawls of an n-notice site, each beside the same crawl of a 20-notice one: what a
    crawl costs whatever its size (imports, start-up, the text worker) is measured in the
    same run and taken out of the net figures."""
    big, tiny = Site(n, tmp), Site(TINY, tmp)
    try:
        dbs = {s: [tmp / f"n{s.n}-r{i}.db" for i in range(repeat)] for s in (big, tiny)}
        for i in range(repeat):  # alternated, so both see the same load
            for s in (tiny, big):
                s.crawl("bare")
                s.crawl("first", dbs[s][i])
        for phase in ("unchanged", "noise"):
            if phase == "noise":
                for s in (tiny, big):
                    s.site.rebuild()  # noise only: view counters, build time, script tokens
            for i in range(repeat):
                for s in (tiny, big):
                    s.crawl(phase, dbs[s][i])
    finally:
        big.close()
        tiny.close()
    return summarize(big, tiny)


def summarize(big: Site, tiny: Site) -> dict:
    med = statistics.median
    out: dict = {"notices": big.n, "repeat": len(big.rows["first"])}
    out["generate_s"] = round(big.generate_s, 2)
    for phase, rs in big.rows.items():
        fixed = med(r["cpu"] for r in tiny.rows[phase])
        fixed_pages = med(r["pages"] for r in tiny.rows[phase])
        out[phase] = {
            "pages": rs[0]["pages"],
            "cpu_ms_per_page": med(1000 * r["cpu"] / r["pages"] for r in rs),
            "net_cpu_ms_per_page": med(
                1000 * (r["cpu"] - fixed) / (r["pages"] - fixed_pages) for r in rs
            ),
            "fixed_cpu_s": fixed,
            "pages_per_s": med(r["pages"] / r["wall"] for r in rs),
            "wall_s": med(r["wall"] for r in rs),
            "peak_rss_mb": max(r["rss_mb"] for r in rs),
        }
        if phase != "bare":
            out[phase]["exit"] = sorted({r["rc"] for r in rs})
            out[phase]["flags"] = sorted({f for r in rs for f in r["flags"]})
            out[phase]["bytes_per_notice"] = med(r["bytes"] for r in rs) / big.n
        if phase in ("unchanged", "noise"):
            out[phase]["versions_added"] = max(r["versions"] for r in rs)
    first, bare = out["first"], out["bare"]
    out["cpu_ratio"] = first["cpu_ms_per_page"] / bare["cpu_ms_per_page"]
    out["net_cpu_ratio"] = first["net_cpu_ms_per_page"] / bare["net_cpu_ms_per_page"]
    out["wall_ratio"] = first["pages_per_s"] / bare["pages_per_s"]
    out["load"] = os.getloadavg()[0]
    return out


def print_table(results: list[dict]) -> None:
    print()
    print(
        f"{'notices':>8} {'crawl':<10} {'pages':>7} {'CPU ms/page':>11} {'net':>6} {'pages/s':>8}"
        f" {'bytes/notice':>12} {'peak RSS MB':>11} {'versions':>8}  exit"
    )
    for r in results:
        for phase in ("bare", "first", "unchanged", "noise"):
            p = r[phase]
            b = f"{p['bytes_per_notice']:12.0f}" if "bytes_per_notice" in p else " " * 12
            v = f"{p['versions_added']:8d}" if "versions_added" in p else " " * 8
            e = ",".join(map(str, p.get("exit", []))) + (f" {p['flags']}" if p.get("flags") else "")
            print(
                f"{r['notices']:8d} {phase:<10} {p['pages']:7d} {p['cpu_ms_per_page']:11.2f}"
                f" {p['net_cpu_ms_per_page']:6.2f} {p['pages_per_s']:8.1f} {b}"
                f" {p['peak_rss_mb']:11.0f} {v}  {e}"
            )
    base = results[0]
    print(
        f"\nnet: less what a crawl of {TINY} notices costs in the same run (start-up, imports).\n"
        f"first crawl against the bare spider, and against {base['notices']:,} notices"
        " (aim: CPU per page within 0.9-1.1x):"
    )
    for r in results:
        f, f0 = r["first"], base["first"]
        print(
            f"{r['notices']:8d}  CPU {r['cpu_ratio']:.2f}x the bare spider (net"
            f" {r['net_cpu_ratio']:.2f}x), wall {r['wall_ratio']:.2f}x;  CPU/page"
            f" {f['cpu_ms_per_page'] / f0['cpu_ms_per_page']:.2f}x (net"
            f" {f['net_cpu_ms_per_page'] / f0['net_cpu_ms_per_page']:.2f}x, ratio to bare"
            f" {r['net_cpu_ratio'] / base['net_cpu_ratio']:.2f}x)  load {r['load']:.2f}"
            f"  site generated in {r['generate_s']:.1f} s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="notice counts, comma-separated")
    ap.add_argument("--repeat", type=int, help="runs of each crawl (3 below 100,000, else 1)")
    args = ap.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        ap.error(f"--sizes takes numbers separated by commas, not {args.sizes!r}")
    if any(s < 1 for s in sizes) or (args.repeat is not None and args.repeat < 1):
        ap.error("sizes and --repeat must be at least 1")

    start = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="tzgg-growth-") as d:
        for n in sizes:
            repeat = args.repeat or (3 if n < 100_000 else 1)
            print(f"{n:,} notices, {repeat} run(s) of each crawl ...", flush=True)
            r = measure_size(n, repeat, Path(d))
            results.append(r)
            json.dump(r, sys.stderr)
            print(file=sys.stderr, flush=True)
            for f in Path(d).glob("n*-r*.db*"):
                f.unlink()
            gc.collect()
    print_table(results)
    print(f"benchmark wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
