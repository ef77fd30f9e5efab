"""Many hosts under the default politeness: one `tzgg crawl` against `tzgg worker`s + `tzgg ingest`.

1,000 loopback hosts (127.0.0.1 ... 127.0.0.254, 127.0.1.1 ...: Linux routes all of
127.0.0.0/8 to the loopback interface; distinct addresses, so distinct download slots and
`SharedHostDelay` keys), each a generated district of 30 notices on one listing page (no
attachments): robots.txt, 1 listing and 30 details a host.  One server process serves them all
from one asyncio loop (pages rendered and gzipped once): it shares the two cores with the
crawl, so it is kept cheap, and its CPU is measured apart from tzgg's.  The crawlers run with
tzgg's DEFAULT profile (DOWNLOAD_DELAY 1 s per host, AutoThrottle, robots.txt).

(A) one process:  tzgg crawl URL1 ... URL1000 --db A.db -q --json
(B) a fresh redis-server (unix socket, no persistence), 2 `tzgg worker`s started and idle
    first, then  tzgg ingest URL1 ... URL1000 --db B.db --redis unix://... -q --json
    (wall time is the ingest's).

The aim: the wall time within 1.3x the larger of
  - the politeness bound: with every host crawled at once, no polite crawl ends before its
    busiest host's requests, DOWNLOAD_DELAY apart, are sent: (requests to it - 1) x 1 s
    (31 s for A; 32 s for B, where each worker reads robots.txt itself), and
  - the CPU of all tzgg processes / 2 cores (the crawl, or the workers and the ingester;
    the site server's and redis-server's CPU are shown apart).
Also shown: wall / max(bound, CPU of the busiest process), the floor of a crawl whose
busiest process is one Python thread; pages and CPU per page; the CPU the rest of the
machine used meanwhile (other work slows the crawl: read the ratios with it); and, from the
server's own log, the smallest gap between two requests to one host and the share of gaps
under half the delay, with examples (a politeness check, as the sites see it).

    python benchmarks/bench_manyhosts.py [--hosts 1000] [--notices 30] [--workers 2]
        [--repeat 3] [--modes AB|A|B] [--keep]
        [-c NAME=VALUE]...   # a setting for A's crawl, e.g. -c CONCURRENT_REQUESTS=16
        [-w NAME=VALUE]...   # a setting for the workers
        [--timeout 900]      # per crawl: a crawl killed then still reports the requests served
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ENV = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
TZGG = [sys.executable, "-m", "crawler.cli"]
CLK = os.sysconf("SC_CLK_TCK")
DELAY = 1.0  # crawler/settings.py DOWNLOAD_DELAY: the default profile's per-host delay
CORES = 2  # the machine the aim is set for
MAX_HOSTS = 5000  # a listening socket each here, a connection each in the crawler


# -- the site server (a child process: `--serve`) --------------------------------------------


def host_address(i: int) -> str:
    """The loopback address of host i (0-based): 127.0.0.1 ... 127.0.0.254, 127.0.1.1 ...
    (Linux routes all of 127.0.0.0/8 to the loopback interface)."""
    return f"127.0.{i // 254}.{i % 254 + 1}"


def serve_sites(hosts: int, notices: int) -> None:
    """One DistrictSite per host address, all served by one asyncio loop in one thread: a
    listening socket per host, keep-alive connections, each request answered by the site's
    `handle` (pages rendered and gzipped once, then cached).  Cheap on purpose: it shares the
    two cores with the crawl.  Prints the listing URLs as a JSON line; then on stdin `stats`
    prints (and clears) each host's request log summary; EOF ends it."""
    import asyncio
    from http import HTTPStatus

    from crawler.demo import DistrictSite

    reasons = {s.value: s.phrase for s in HTTPStatus}

    class Conn(asyncio.Protocol):
        def __init__(self, site: DistrictSite) -> None:
            self.site, self.buf, self.transport = site, b"", None

        def connection_made(self, transport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while (end := self.buf.find(b"\r\n\r\n")) >= 0:
                head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4 :]
                line, *fields = head.split("\r\n")
                method, target, _ = line.split(" ", 2)
                headers = {}
                for f in fields:
                    name, _, value = f.partition(":")
                    headers[name.strip().lower()] = value.strip()
                resp = self.site.handle(method, target, headers)
                out = [f"HTTP/1.1 {resp.status} {reasons.get(resp.status, 'Status')}"]
                out += [f"{k}: {v}" for k, v in resp.headers]
                body = b"" if method == "HEAD" or resp.status == 304 else resp.body
                if resp.status != 304:
                    out.append(f"Content-Length: {len(resp.body)}")
                out.append("Server: nginx\r\n\r\n")
                self.transport.write("\r\n".join(out).encode("latin-1") + body)
                if headers.get("connection", "").lower() == "close":
                    self.transport.close()
                    return

    loop = asyncio.new_event_loop()
    sites, urls = [], []
    for i in range(hosts):
        site = DistrictSite(page_size=max(notices, 1), domain=f"www.d{i + 1}.gov.cn")
        for nid in site.generate(notices, seed=i + 1):
            if site.get(nid)["attachments"]:
                site.edit(nid, attachments=[])  # pages only: robots + listing + details
        server = loop.run_until_complete(
            loop.create_server(lambda site=site: Conn(site), host_address(i), 0, backlog=64)
        )
        port = server.sockets[0].getsockname()[1]
        sites.append(site)
        urls.append(site.listing_url(f"http://{host_address(i)}:{port}"))

    threading.Thread(target=loop.run_forever, daemon=True).start()
    print(json.dumps(urls), flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            per_host = []
            for site in sites:
                log = site.requests.snapshot()
                site.requests.reset()
                log = sorted(log, key=lambda r: r.at)
                times = [r.at for r in log]
                gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
                short = [
                    (log[k].path, log[k + 1].path, round(g, 3))
                    for k, g in enumerate(gaps)
                    if g < DELAY / 2
                ]
                per_host.append(
                    {
                        "requests": len(times),
                        "robots": sum(r.path == "/robots.txt" for r in log),
                        "first": times[0] if times else None,
                        "last": times[-1] if times else None,
                        "span": times[-1] - times[0] if times else 0.0,
                        "min_gap": min(gaps) if gaps else None,
                        "gaps": len(gaps),
                        "short": len(short),
                        "short_pairs": short[:3],  # what came too close: path, path, gap
                    }
                )
            print(json.dumps(per_host), flush=True)
    loop.call_soon_threadsafe(loop.stop)


class Sites:
    """The site server process, from the benchmark's side."""

    def __init__(self, hosts: int, notices: int) -> None:
        cmd = [sys.executable, __file__, "--serve", str(hosts), str(notices)]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=ENV
        )
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("the site server did not start")
        self.urls: list[str] = json.loads(line)

    def stats(self) -> list[dict]:
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


# -- processes: CPU, memory, timed runs -----------------------------------------------------


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a live process (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime (fields 14, 15)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine_busy() -> float:
    """CPU seconds all processes of the machine have used (every core, since boot)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / CLK  # less idle and iowait


def run_timed(cmd: list[str], out: Path, timeout: float) -> dict:
    """Run cmd (stdout, stderr to files); wall time, the child's own rusage (with its own
    children's), and the CPU the whole machine used meanwhile."""
    with open(out, "w") as so, open(out.with_suffix(".err"), "w") as se:
        busy, t, mono = machine_busy(), time.perf_counter(), time.monotonic()
        p = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=so, stderr=se)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        busy = machine_busy() - busy
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    lines = out.read_text().splitlines()
    return {
        "wall": wall,
        "started": mono,  # CLOCK_MONOTONIC: the site server's request times are on it too
        "code": p.returncode,
        "cpu": ru.ru_utime + ru.ru_stime,
        "machine_cpu": busy,
        "rss_mb": ru.ru_maxrss / 1024,
        "summaries": [json.loads(x) for x in lines if x.startswith("{")],
        "stderr": out.with_suffix(".err").read_text(),
    }


def check(label: str, run: dict, db: Path, hosts: int, notices: int) -> list[str]:
    """What is wrong with a run: the exit code, sites not ok, failures, notices not `new`."""
    s = run["summaries"]
    problems = []
    if run["code"] != 0:
        problems.append(f"exit code {run['code']}: {run['stderr'][-1500:]}")
    if len(s) != hosts:
        problems.append(f"{len(s)} summaries, not {hosts}")
    bad = [x for x in s if x["status"] != "ok" or x["failures"]]
    if bad:
        problems.append(f"{len(bad)} sites not ok, e.g. {json.dumps(bad[0], ensure_ascii=False)}")
    new = sum(x["counts"].get("new", 0) for x in s)
    if new != hosts * notices:
        short = [
            (x["site"], x["counts"].get("new", 0)) for x in s if x["counts"].get("new") != notices
        ]
        problems.append(f"{new} new notices, not {hosts * notices}; short: {short[:10]}")
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT count(*) FROM notices").fetchone()[0]
    conn.close()
    if stored != hosts * notices:
        problems.append(f"{stored} notices in {db.name}, not {hosts * notices}")
    return [f"{label}: {p}" for p in problems]


def records_in(db: Path) -> int:
    """Records the writer stored: one capture per page fetched."""
    conn = sqlite3.connect(db)
    n = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    conn.close()
    return n


# -- the two modes ----------------------------------------------------------------------------


def mode_a(sites: Sites, tmp: Path, i: int, args) -> tuple[dict, Path]:
    db = tmp / f"A{i}.db"
    extra = [x for setting in args.crawl_setting for x in ("-s", setting)]
    cmd = [*TZGG, "crawl", *sites.urls, "--db", str(db), "-q", "--json", *extra]
    srv = cpu_of(sites.proc.pid)
    run = run_timed(cmd, tmp / f"A{i}.out", args.timeout)
    run["server_cpu"] = cpu_of(sites.proc.pid) - srv
    run["redis_cpu"] = 0.0
    run["crawler_cpu"] = run["cpu"]
    run["busiest_cpu"] = run["cpu"]
    run["rss"] = [run["rss_mb"]]
    return run, db


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    sock = folder / "redis.sock"
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not sock.exists():
        if time.monotonic() > deadline:
            sys.exit("redis-server did not start")
        time.sleep(0.05)
    return proc, f"unix://{sock}"


def start_workers(
    n: int, url: str, folder: Path, extra: list[str]
) -> list[tuple[subprocess.Popen, Path]]:
    """n `tzgg worker`s, returned once each has said it waits and then used no CPU for 1 s
    (Scrapy started, the spider idle)."""
    workers = []
    for k in range(n):
        err = folder / f"worker{k}.err"
        with open(err, "w") as f:
            p = subprocess.Popen(
                [*TZGG, "worker", "--redis", url, *extra], cwd=REPO, env=ENV, stderr=f, stdout=f
            )
        workers.append((p, err))
    deadline = time.monotonic() + 60
    for p, err in workers:
        while "waiting for crawls" not in err.read_text():
            if p.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"a worker did not start:\n{err.read_text()[-2000:]}")
            time.sleep(0.1)
    last = None
    while True:
        time.sleep(1)
        now = [cpu_of(p.pid) for p, _ in workers]
        for p, err in workers:  # a worker whose crawl did not start lives on, idle: not ready
            text = err.read_text()
            if p.poll() is not None or "Traceback" in text or "CRITICAL" in text:
                stop_workers(workers)
                sys.exit(f"a worker failed to start:\n{text[-3000:]}")
        if now == last or time.monotonic() > deadline:
            return workers
        last = now


def stop_workers(workers: list[tuple[subprocess.Popen, Path]]) -> list[str]:
    for p, _ in workers:
        p.send_signal(signal.SIGTERM)
    problems = []
    for p, err in workers:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        text = err.read_text()
        if "Traceback" in text or "ERROR" in text:
            problems.append(f"worker {p.pid} logged errors:\n{text[-3000:]}")
    return problems


def mode_b(sites: Sites, tmp: Path, i: int, args) -> tuple[dict, Path, list]:
    folder = tmp / f"B{i}"
    folder.mkdir()
    db = tmp / f"B{i}.db"
    redis_proc, url = start_redis(folder)
    extra = [x for setting in args.worker_setting for x in ("-s", setting)]
    workers = start_workers(args.workers, url, folder, extra)
    cmd = [*TZGG, "ingest", *sites.urls, "--db", str(db), "--redis", url, "-q", "--json"]
    before = [cpu_of(p.pid) for p, _ in workers]
    rds, srv = cpu_of(redis_proc.pid), cpu_of(sites.proc.pid)
    run = run_timed(cmd, tmp / f"B{i}.out", args.timeout)
    run["worker_cpu"] = [cpu_of(p.pid) - b for (p, _), b in zip(workers, before, strict=True)]
    run["redis_cpu"] = cpu_of(redis_proc.pid) - rds
    run["server_cpu"] = cpu_of(sites.proc.pid) - srv
    run["ingest_cpu"] = run["cpu"]
    run["crawler_cpu"] = run["cpu"] + sum(run["worker_cpu"])
    run["busiest_cpu"] = max(run["cpu"], *run["worker_cpu"])
    run["rss"] = [run["rss_mb"], *(peak_rss_mb(p.pid) for p, _ in workers)]
    problems = stop_workers(workers)
    redis_proc.terminate()
    redis_proc.wait(10)
    return run, db, problems


# -- report -------------------------------------------------------------------------------------


def politeness(stats: list[dict], started: float) -> dict:
    """The site server's view of a run: requests, robots.txt fetches, the smallest gap between
    two requests to one host, the longest span of one host, the first and last request (s
    after the command started)."""
    gaps = [h["min_gap"] for h in stats if h["min_gap"] is not None]
    firsts = [h["first"] for h in stats if h["first"] is not None]
    lasts = [h["last"] for h in stats if h["last"] is not None]
    return {
        "requests": sum(h["requests"] for h in stats),
        "robots": sum(h["robots"] for h in stats),
        "min_gap": min(gaps) if gaps else None,
        "short_gaps": sum(h["short"] for h in stats),  # below even Scrapy's randomized minimum
        "short_pairs": [p for h in stats for p in h["short_pairs"]][:5],
        "gaps": sum(h["gaps"] for h in stats),
        "max_span": max(h["span"] for h in stats),
        "max_requests": max(h["requests"] for h in stats),
        "first": min(firsts) - started if firsts else None,
        "last": max(lasts) - started if lasts else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--hosts", type=int, default=1000, help=f"host addresses 127.0.x.y (<= {MAX_HOSTS})"
    )
    ap.add_argument("--notices", type=int, default=30, help="notices per host, one listing page")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per crawl before a kill")
    ap.add_argument(
        "-w",
        "--worker-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for the workers (-s); repeatable",
    )
    ap.add_argument(
        "-c",
        "--crawl-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for A's `tzgg crawl` (-s); repeatable",
    )
    ap.add_argument("--modes", default="AB", choices=["AB", "A", "B"], help="which to run")
    ap.add_argument("--keep", action="store_true", help="keep the archives and logs")
    ap.add_argument("--serve", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve_sites(*args.serve)
        return
    if not 1 <= args.hosts <= MAX_HOSTS:
        ap.error(f"--hosts is 1 ... {MAX_HOSTS}")

    tmp = Path(tempfile.mkdtemp(prefix="tzgg-manyhosts-"))
    sites = Sites(args.hosts, args.notices)
    runs: dict[str, list[dict]] = {m: [] for m in args.modes}
    problems: list[str] = []
    pages_a = 1 + args.notices  # a host's listing and details
    try:
        for i in range(args.repeat):
            for mode in args.modes:
                trouble: list[str] = []
                if mode == "A":
                    run, db = mode_a(sites, tmp, i, args)
                else:
                    run, db, trouble = mode_b(sites, tmp, i, args)
                run["polite"] = politeness(sites.stats(), run["started"])
                served, robots = run["polite"]["requests"], run["polite"]["robots"]
                # each worker reads robots.txt of each host it fetches from (its own middleware)
                most = args.hosts * (1 if mode == "A" else args.workers)
                if not args.hosts <= robots <= most or served != robots + args.hosts * pages_a:
                    problems.append(
                        f"{mode} run {i}: {served} requests served ({robots} of robots.txt),"
                        f" not {args.hosts * pages_a} pages and {args.hosts}...{most} robots.txt"
                    )
                run["records"] = records_in(db)
                problems += trouble + check(f"{mode} run {i}", run, db, args.hosts, args.notices)
                runs[mode].append(run)
                print(f"  {mode} run {i}: {run['wall']:.1f} s", file=sys.stderr, flush=True)
    finally:
        sites.close()

    def med(runs: list[dict], f) -> float:
        return statistics.median(f(r) for r in runs)

    def pages(r: dict) -> int:
        return sum(s["pages"] for s in r["summaries"])

    figures: dict[str, dict] = {}
    for mode, done in runs.items():

        def bound(r: dict) -> float:
            """No polite crawl ends before its busiest host's requests, DELAY apart, are."""
            return (r["polite"]["max_requests"] - 1) * DELAY

        def floor(r: dict) -> float:
            return max(bound(r), r["crawler_cpu"] / CORES)

        figures[mode] = {
            "bound_s": med(done, bound),
            "cpu_half_s": med(done, lambda r: r["crawler_cpu"] / CORES),
            "floor_s": med(done, floor),
            "wall_s": med(done, lambda r: r["wall"]),
            "wall_over_floor": med(done, lambda r: r["wall"] / floor(r)),
            "wall_over_bound": med(done, lambda r: r["wall"] / bound(r)),
            "wall_over_busiest": med(done, lambda r: r["wall"] / max(bound(r), r["busiest_cpu"])),
            "pages": med(done, pages),
            "server_requests": med(done, lambda r: r["polite"]["requests"]),
            "pages_per_s": med(done, lambda r: pages(r) / r["wall"]),
            "crawler_cpu_s": med(done, lambda r: r["crawler_cpu"]),
            "cpu_ms_per_page": med(done, lambda r: 1000 * r["crawler_cpu"] / max(pages(r), 1)),
            "server_cpu_s": med(done, lambda r: r["server_cpu"]),
            "redis_cpu_s": med(done, lambda r: r["redis_cpu"]),
            "other_cpu_s": med(
                done,
                lambda r: r["machine_cpu"] - r["crawler_cpu"] - r["server_cpu"] - r["redis_cpu"],
            ),
            "machine_busy_pct": med(done, lambda r: 100 * r["machine_cpu"] / (CORES * r["wall"])),
            "min_host_gap_s": min(r["polite"]["min_gap"] or 0 for r in done),
            "short_gaps_pct": med(
                done, lambda r: 100 * r["polite"]["short_gaps"] / max(r["polite"]["gaps"], 1)
            ),
            "max_host_span_s": med(done, lambda r: r["polite"]["max_span"]),
            "robots_fetched": med(done, lambda r: r["polite"]["robots"]),
            "first_request_s": med(done, lambda r: r["polite"]["first"] or 0),
            "last_request_s": med(done, lambda r: r["polite"]["last"] or 0),
            "peak_rss_mb": max(max(r["rss"]) for r in done),
        }
    if "B" in figures:
        done = runs["B"]
        figures["B"].update(
            worker_cpu_s=med(done, lambda r: sum(r["worker_cpu"])),
            ingest_cpu_s=med(done, lambda r: r["ingest_cpu"]),
            ingest_cpu_ms_per_page=med(done, lambda r: 1000 * r["ingest_cpu"] / max(pages(r), 1)),
            records=med(done, lambda r: r["records"]),
            records_per_ingest_cpu_s=med(done, lambda r: r["records"] / max(r["ingest_cpu"], 1e-9)),
            records_per_wall_s=med(done, lambda r: r["records"] / r["wall"]),
        )
    ratios = {}
    if len(figures) == 2:
        a, b = figures["A"], figures["B"]
        ratios = {
            "wall": b["wall_s"] / a["wall_s"],
            "cpu_per_page": b["cpu_ms_per_page"] / a["cpu_ms_per_page"],
        }

    cmd = " ".join(["python benchmarks/bench_manyhosts.py", *sys.argv[1:]])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{args.hosts} hosts ({host_address(0)} ... {host_address(args.hosts - 1)}) x"
        f" {args.notices} notices, default politeness ({DELAY:g} s a host); median of"
        f" {args.repeat}; {os.cpu_count()} CPUs, load average now {load}"
    )
    print(f"  command: {cmd}")
    rows = [
        ("politeness bound (s)", "bound_s", "{:.0f}"),
        (f"tzgg CPU / {CORES} cores (s)", "cpu_half_s", "{:.1f}"),
        ("larger of the two (s)", "floor_s", "{:.1f}"),
        ("wall time (s)", "wall_s", "{:.1f}"),
        ("wall / larger (aim <= 1.3)", "wall_over_floor", "{:.2f}"),
        ("wall / bound", "wall_over_bound", "{:.2f}"),
        ("wall / max(bound, CPU of", "wall_over_busiest", "{:.2f}"),
        ("  its busiest process)", None, ""),
        ("pages fetched", "pages", "{:.0f}"),
        ("requests served", "server_requests", "{:.0f}"),
        ("  of which robots.txt", "robots_fetched", "{:.0f}"),
        ("first request at (s)", "first_request_s", "{:.1f}"),
        ("last request at (s)", "last_request_s", "{:.1f}"),
        ("pages/s (wall)", "pages_per_s", "{:.1f}"),
        ("tzgg CPU, all processes (s)", "crawler_cpu_s", "{:.1f}"),
        ("CPU ms / page", "cpu_ms_per_page", "{:.2f}"),
        ("site server CPU (s)", "server_cpu_s", "{:.1f}"),
        ("redis-server CPU (s)", "redis_cpu_s", "{:.1f}"),
        ("other processes' CPU (s)", "other_cpu_s", "{:.1f}"),
        ("machine busy (% of 2 cores)", "machine_busy_pct", "{:.0f}"),
        ("min gap, one host (s)", "min_host_gap_s", "{:.2f}"),
        (f"gaps < {DELAY / 2:g} s (%)", "short_gaps_pct", "{:.1f}"),
        ("max span, one host (s)", "max_host_span_s", "{:.1f}"),
        ("peak RSS, a process (MB)", "peak_rss_mb", "{:.0f}"),
    ]
    heads = {"A": "A: crawl", "B": f"B: {args.workers}w+ingest"}
    print(f"  {'':30}" + "".join(f"{heads[m]:>16}" for m in figures))
    for label, key, fmt in rows:
        cells = "".join(f"{fmt.format(f[key]):>16}" for f in figures.values()) if key else ""
        print(f"  {label:30}" + cells)
    for mode, done in runs.items():
        pairs = [p for r in done for p in r["polite"]["short_pairs"]]
        if pairs:
            shown = "; ".join(f"{a} then {b} {g:.2f} s apart" for a, b, g in pairs[:3])
            print(f"  {mode}: gaps under {DELAY / 2:g} s, e.g. {shown}")
    if ratios:
        print(f"  B/A wall {ratios['wall']:.2f}   B/A CPU per page {ratios['cpu_per_page']:.2f}")
    if "B" in figures:
        b = figures["B"]
        print(
            f"  B: workers {b['worker_cpu_s']:.1f} s CPU;"
            f" ingester {b['ingest_cpu_s']:.1f} s CPU = {b['ingest_cpu_ms_per_page']:.2f} ms/page,"
            f" {b['records_per_ingest_cpu_s']:.0f} records per CPU s,"
            f" {b['records_per_wall_s']:.0f} records per wall s ({b['records']:.0f} records)"
        )
    if problems:
        print("PROBLEMS:")
        for p in problems:
            print("  " + p)
    json.dump({"figures": figures, "ratios": ratios, "problems": problems}, sys.stderr)
    print(file=sys.stderr)
    if args.keep or problems:
        print(f"  archives and logs kept in {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
