"""Web UI benchmark: each page of `tzgg serve` on a generated archive, timed by one client.

    python benchmarks/bench_web.py                              # 100,000 notices
    python benchmarks/bench_web.py --notices 10000 --reps 20
    python benchmarks/bench_web.py --cache ~/.cache/tzgg-bench  # keep the archive, reuse it

The archive: bench_search.py's generator (20 sites, stored by `Archive.ingest_batch`), then what
weekly crawls over the last 300 days would add, in one transaction of plain SQL: 10% of the
notices edited (a fifth of those twice; each new version indexed, with its capture and its
'edited' event), 2% removed (status, capture, 'removed' event), each site's finished runs, and
each site's name and 行政区划代码 in `sites`.

Then `tzgg serve` on a free loopback port; the archive's file read once (the OS cache warm) and
each page requested a few times; then one client (urllib, one request at a time, the page kinds
taken in turn) times --reps requests of each kind, each with its own query or notice: p50, p95
and max of the wall time against issue 18's aim (300 ms p95), and the server's CPU time a
request (from /proc).  Two baselines in the same run show what the server costs before any of
tzgg's reads: `/-/versions.json` (a bare round trip through Datasette) and Datasette's own table
page of notices."""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_search import QUERIES, build, load  # noqa: E402

from archive.storage.db import ArchiveError, connect  # noqa: E402
from archive.storage.search import index_version, settle  # noqa: E402
from archive.storage.versioning import decoded, version_hash  # noqa: E402

AIM_MS = 300
WARM = 3  # requests of each page kind before the clock starts
WEEKS = 43  # weekly runs of each site over the last 300 days
# The generator's sites are site0 … site19.gov.cn: a name and a region code each
SITES = [
    ("岳阳楼区", "430602"),
    ("云溪区", "430603"),
    ("君山区", "430611"),
    ("岳阳县", "430621"),
    ("华容县", "430623"),
    ("湘阴县", "430624"),
    ("平江县", "430626"),
    ("汨罗市", "430681"),
    ("临湘市", "430682"),
    ("岳阳经济技术开发区", "430671"),
    ("屈原管理区", "430672"),
    ("芙蓉区", "430102"),
    ("天心区", "430103"),
    ("岳麓区", "430104"),
    ("开福区", "430105"),
    ("雨花区", "430111"),
    ("望城区", "430112"),
    ("长沙县", "430121"),
    ("浏阳市", "430181"),
    ("宁乡市", "430182"),
]
CORRECTION = "经复核，上述内容有误，现予更正。"


class Failed(Exception):
    """Bad input or a page that failed: one line, exit 1."""


# -- the archive ---------------------------------------------------------------------------


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def edited_body(rng: random.Random, body: str) -> str:
    """The body as a correction leaves it: a number changed, a sentence added or one dropped."""
    lines = body.split("\n")
    i = rng.randrange(len(lines))
    pick = rng.random()
    if pick < 0.4 and re.search(r"\d", lines[i]):
        lines[i] = re.sub(
            r"\d+", lambda m: str(int(m[0]) + rng.randint(1, 9)).zfill(len(m[0])), lines[i], count=1
        )
    elif pick < 0.7 or len(lines) < 5:
        lines.insert(i, CORRECTION)
    else:
        del lines[i]
    return "\n".join(lines)


def enrich(db: Path, seed: int) -> dict:
    """A year of crawls on top of what build() made (see the module's doc)."""
    rng = random.Random(seed)
    c = connect(db)
    c.isolation_level = None  # the one transaction below is explicit
    ids = [r[0] for r in c.execute("SELECT id FROM notices ORDER BY id")]
    edited = rng.sample(ids, len(ids) // 10)
    removed = rng.sample(ids, len(ids) // 50)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(weeks=WEEKS)
    # (week, notice, kind): edits before the last week, where the removals of edited notices
    # fall, so that no edit comes after a removal (which would restore the notice)
    actions = []
    for i, nid in enumerate(edited):
        weeks = rng.sample(range(WEEKS - 1), 2 if i < len(edited) // 5 else 1)
        actions += [(w, nid, "edited") for w in weeks]
    was_edited = set(edited)
    actions += [
        (WEEKS - 1 if n in was_edited else rng.randrange(WEEKS), n, "removed") for n in removed
    ]
    actions = [(w, rng.random(), nid, kind) for w, nid, kind in actions]
    actions.sort()
    c.execute("BEGIN IMMEDIATE")
    # build()'s runs began when it ran: they become the first crawl, finished
    c.execute(
        "UPDATE runs SET started = '2026-01-01T00:00:00.000Z',"
        " finished = '2026-01-01T02:00:00.000Z', status = 'ok'"
    )
    site_of = dict(c.execute("SELECT id, site FROM notices"))
    sites = sorted(set(site_of.values()))
    runs = {}
    for w in range(WEEKS):
        for site in sites:
            at = start + timedelta(weeks=w)
            runs[w, site] = c.execute(
                "INSERT INTO runs (site, started, finished, status, pages, counts)"
                " VALUES (?, ?, ?, 'ok', ?, '{}')",
                (site, stamp(at), stamp(at + timedelta(hours=3)), rng.randint(20, 400)),
            ).lastrowid
    for site in sites:
        name, region = SITES[int(site[4:].split(".")[0]) % len(SITES)]
        c.execute(
            "INSERT OR REPLACE INTO sites (site, name, region, updated) VALUES (?, ?, ?, ?)",
            (site, f"{name}人民政府", region, stamp(start)),
        )
    columns = None
    for w, offset, nid, kind in actions:
        site = site_of[nid]
        run = runs[w, site]
        at = stamp(start + timedelta(weeks=w, hours=offset * 3))
        cur = c.execute(
            "SELECT v.* FROM versions v JOIN notices n ON n.id = v.notice_id"
            " AND v.version = n.current_version WHERE n.id = ?",
            (nid,),
        ).fetchone()
        version, title = cur["version"], cur["title"]
        if kind == "edited":
            row = dict(cur)
            row["body"] = edited_body(rng, cur["body"])
            changed = ["body"]
            if rng.random() < 0.2:
                title = row["title"] = title + "（更正）"
                changed = ["title", "body"]
            version += 1
            row |= {"version": version, "first_seen": at, "last_seen": at}
            row |= {"changed": json.dumps(changed), "hash": version_hash(decoded(row))}
            columns = columns or ", ".join(row)
            c.execute(
                f"INSERT INTO versions ({columns}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            index_version(c, nid, version)
            c.execute(
                "UPDATE notices SET current_version = ?, last_seen = ? WHERE id = ?",
                (version, at, nid),
            )
            status, outcome, reason, fields, proof = 200, "ok", None, json.dumps(changed), None
        else:
            c.execute("UPDATE notices SET status = 'removed' WHERE id = ?", (nid,))
            status, outcome, reason, fields = 404, "removed:http_404", "http_404", None
            proof = json.dumps({"url": cur["url"], "status": 404, "at": at})
        c.execute(
            "INSERT INTO captures (run_id, site, kind, url, at, status, body_stored, outcome,"
            " notice_id, version) VALUES (?, ?, 'detail', ?, ?, ?, 0, ?, ?, ?)",
            (run, site, cur["url"], at, status, outcome, nid, version),
        )
        c.execute(
            "INSERT INTO events (notice_id, site, url, kind, at, run_id, version, title, fields,"
            " reason, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (nid, site, cur["url"], kind, at, run, version, title, fields, reason, proof),
        )
    settle(c)  # the queued versions into the search indexes, as the archive's writers do
    c.execute("COMMIT")
    c.close()
    return {"edited": len(edited), "twice": len(edited) // 5, "removed": len(removed)}


def archive(n: int, cache: Path | None, tmp: Path) -> tuple[Path, str]:
    """The archive of n notices (built, or reused from `cache`) and a line about it."""
    folder = cache or tmp
    db, facts = folder / f"web{n}.db", folder / f"web{n}.json"
    if db.exists() and facts.exists():
        f = json.loads(facts.read_text())
        how = f"built {f['when']} ({f['load']}), reused"
    else:
        for old in folder.glob(f"web{n}.db*"):
            old.unlink()
        before, t = load(), time.perf_counter()
        rate = build(db, n)["rate"]
        f = enrich(db, seed=2)
        took = time.perf_counter() - t
        f |= {"when": time.strftime("%Y-%m-%d %H:%M"), "load": f"{before} before, {load()} after"}
        f["build"] = f"{took:.0f} s, ingest {rate:,.0f} notices/s"
        facts.write_text(json.dumps(f))
        how = f"built in {f['build']} ({f['load']})"
    size = sum(p.stat().st_size for p in folder.glob(f"web{n}.db*")) / 2**20
    return db, (
        f"{n:,} notices, 20 sites: {f['edited']:,} edited ({f['twice']:,} twice),"
        f" {f['removed']:,} removed; {size:,.0f} MiB; {how}"
    )


# -- the pages -----------------------------------------------------------------------------


def pages(db: Path, count: int, seed: int) -> list[tuple[str, list[str]]]:
    """(page kind, `count` paths) of each kind measured, each path with its own query or notice."""
    rng = random.Random(seed)
    conn = connect(db, readonly=True)
    ids = [r[0] for r in conn.execute("SELECT id FROM notices")]
    edits = conn.execute("SELECT notice_id, version FROM events WHERE kind = 'edited'").fetchall()
    conn.close()

    def cycle(items):
        items = list(items)
        rng.shuffle(items)
        return [items[i % len(items)] for i in range(count)]

    def q(**params):
        return "/search?" + urllib.parse.urlencode(params)

    out = [("home", ["/"] * count)]
    words = {
        "2 chars": QUERIES["2 chars"],
        "3 chars": QUERIES["3 chars"],
        "4 chars": QUERIES["4 chars"],
        "phrase": QUERIES["phrase"],
    }
    for sort in ("relevance", "newest"):
        for shape, queries in words.items():
            out.append((f"search {shape}, {sort}", [q(q=w, sort=sort) for w in cycle(queries)]))
        site_words = [
            q(q=rng.choice(QUERIES["2 chars"]), site=f"site{rng.randrange(20)}.gov.cn", sort=sort)
            for _ in range(count)
        ]
        out.append((f"search site + 2 chars, {sort}", site_words))
    # half any notice, half edited ones (their timelines and versions are longer)
    chosen = cycle(ids)[: count - count // 2] + [e[0] for e in cycle(edits)[: count // 2]]
    out.append(("notice", [f"/notice/{nid}" for nid in chosen]))
    diffs = [f"/notice/{nid}/diff?a={v - 1}&b={v}" for nid, v in cycle(edits)]
    out.append(("diff", diffs))
    out.append(("site", [f"/site/site{rng.randrange(20)}.gov.cn" for _ in range(count)]))
    # outside the aim, timed all the same: a bundle download, and a one-character word (which
    # reads every version: the page stops at its 2 s and says the search is too broad)
    out.append(("extra: evidence bundle", [f"/notice/{nid}/evidence.wacz" for nid in chosen]))
    out.append(("extra: search 1 char", [q(q=w) for w in cycle("征地拆迁补偿公告通知")]))
    out.append(("baseline /-/versions.json", ["/-/versions.json"] * count))
    out.append(("baseline Datasette notices table", [f"/{db.stem}/notices?_size=20"] * count))
    return out


def serve(db: Path, log) -> tuple[subprocess.Popen, str]:
    """`tzgg serve` on a free loopback port, as tests/conftest.py starts it, once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    # (its log to a file: a pipe nobody reads would stall the server once full)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).close()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.seek(0)
                last = (log.read().decode(errors="replace").strip().splitlines() or ["?"])[-1]
                raise Failed(f"tzgg serve did not start: {last}") from None
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=120) as r:
            return len(r.read())
    except urllib.error.HTTPError as exc:
        raise Failed(f"{path}: HTTP {exc.code}") from None
    except OSError as exc:
        raise Failed(f"{path}: {exc}") from None


def measure(base: str, pid: int, kinds: list[tuple[str, list[str]]]) -> list[dict]:
    """Each kind's paths, the kinds in turn (load that comes and goes falls on all of them)."""
    wall = {k: [] for k, _ in kinds}
    cpu = dict.fromkeys(wall, 0.0)
    size = dict.fromkeys(wall, 0)
    for i in range(len(kinds[0][1])):
        for kind, paths in kinds:
            c, t = cpu_seconds(pid), time.perf_counter()
            size[kind] += fetch(base, paths[i])
            wall[kind].append((time.perf_counter() - t) * 1000)
            cpu[kind] += cpu_seconds(pid) - c
    rows = []
    for kind, times in wall.items():
        times.sort()
        p95 = times[math.ceil(len(times) * 0.95) - 1]  # nearest rank
        rows.append(
            {
                "page": kind,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95, 1),
                "max_ms": round(times[-1], 1),
                "server_cpu_ms": round(cpu[kind] / len(times) * 1000, 1),
                "kb": round(size[kind] / len(times) / 1024, 1),
                "aim": None if kind.startswith(("baseline", "extra")) else p95 < AIM_MS,
            }
        )
    return rows


def run(args, command: str) -> dict:
    cache = Path(args.cache).expanduser() if args.cache else None
    if cache is not None:
        if cache.exists() and not cache.is_dir():
            raise Failed(f"--cache {cache}: not a folder")
        cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tzgg-web-") as tmp:
        db, about = archive(args.notices, cache, Path(tmp))
        if not args.json:
            print(about, flush=True)
        kinds = pages(db, args.reps + WARM, seed=3)
        with open(db, "rb") as f:  # warm: the OS cache holds the archive, as a served one's
            while f.read(1 << 24):
                pass
        with tempfile.TemporaryFile() as log:
            proc, base = serve(db, log)
            try:
                measure(base, proc.pid, [(k, paths[-WARM:]) for k, paths in kinds])
                before = load()
                rows = measure(base, proc.pid, [(k, paths[:-WARM]) for k, paths in kinds])
                after = load()
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    return {
        "command": command,
        "archive": about,
        "reps": args.reps,
        "load": f"{before} before, {after} after",
        "cpus": os.cpu_count(),
        "rows": rows,
    }


def report(r: dict) -> None:
    print(
        f"`tzgg serve`, one client, {r['reps']} requests of each page after {WARM} to warm up"
        f" ({r['cpus']} CPUs; {r['load']})"
    )
    head = f"{'page':<34}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'CPU ms':>8}{'KB':>7}  verdict"
    print(head)
    for row in r["rows"]:
        verdict = {None: "(baseline)", True: "ok", False: f"OVER {AIM_MS} ms"}[row["aim"]]
        verdict = "(not in the aim)" if row["page"].startswith("extra") else verdict
        figures = (row[k] for k in ("p50_ms", "p95_ms", "max_ms", "server_cpu_ms"))
        print(f"{row['page']:<34}" + "".join(f"{x:8.1f}" for x in figures), end="")
        print(f"{row['kb']:7.1f}  {verdict}")
    print(f"(CPU ms: the server's CPU time a request; verdict: p95 against {AIM_MS} ms)")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage and error
        raise Failed(message)


def main(argv=None) -> int:
    ap = Parser(description=__doc__.splitlines()[0])
    ap.add_argument("--notices", type=int, default=100_000, help="archive size (default 100000)")
    ap.add_argument("--reps", type=int, default=50, help="requests of each page kind (default 50)")
    ap.add_argument("--cache", metavar="DIR", help="keep the built archive there, and reuse it")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object")
    argv = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/bench_web.py", *argv])
    try:
        args = ap.parse_args(argv)
        if args.notices < 100:
            raise Failed("--notices: at least 100")
        if args.reps < 2:
            raise Failed("--reps: at least 2")
        if not args.json:
            print(f"$ {command}", flush=True)
        result = run(args, command)
    except (Failed, ArchiveError, OSError) as exc:
        print(f"bench_web.py: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
