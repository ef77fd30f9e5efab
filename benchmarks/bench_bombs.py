"""Memory peak and time of each attachment bomb (tests/bombs.py): read by the
crawl's text worker (crawler.textpool, its default limits), beside the same extraction in the
calling process with no limit but the 20 s alarm (the baseline: what the worker spares the crawl).

Each measure runs in a fresh interpreter that reads the bomb from a file (so no builder's
memory is counted); its peak is VmHWM (the worker's once the file is read, the process's own
for the baseline), as ru_maxrss would count the parent's size at the fork.  A worker killed
by its limit is shown at the limit, one never started at 0.

Run from the repo root:  python benchmarks/bench_bombs.py [--reps 3] [--bomb docx_flat]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_RUN = """
import json, multiprocessing, re, sys, time
path, name, ctype, where = sys.argv[1:]

def hwm(pid):  # the peak resident set of the process since its exec (ru_maxrss is not)
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024

body = open(path, "rb").read()
start = time.perf_counter()
if where == "worker":
    from crawler.textpool import MEMORY_MB, TextPool
    pool = TextPool()
    text, error = pool.submit(body, "http://x/" + name, ctype, name).result()
    seconds = time.perf_counter() - start
    # killed at its limit, or never started (a format not read), unless it is there to say
    peak = MEMORY_MB if error == "too_costly" else 0
    for worker in multiprocessing.active_children():
        peak = hwm(worker.pid)
    pool.close()
else:
    from crawler.parse.files.text import extract_text
    text, error = extract_text(body, "http://x/" + name, ctype, name)
    seconds = time.perf_counter() - start
    peak = hwm("self")
print(json.dumps({"size": len(body), "error": error, "text": bool(text),
                  "seconds": seconds, "peak_mb": peak}))
"""


def _measure(path: Path, name: str, ctype: str, where: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), name, ctype, where],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if p.returncode:
        return {"error": f"exit {p.returncode}", "seconds": float("nan"), "peak_mb": float("nan")}
    return json.loads(p.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from tests.bombs import BOMBS

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bomb", action="append", choices=sorted(BOMBS))
    args = ap.parse_args(argv)
    print(
        f"{'bomb':<11} {'bytes':>9}  {'worker: why':<18} {'s':>5} {'peak MB':>8}"
        f"   {'in process: why':<18} {'s':>5} {'peak MB':>8}"
    )
    folder = Path(tempfile.mkdtemp(prefix="tzgg-bombs-"))
    for bomb in args.bomb or BOMBS:
        build, name, ctype = BOMBS[bomb]
        path = folder / name
        path.write_bytes(build())
        row = [f"{bomb:<11}"]
        for where in ("worker", "inline"):
            runs = [_measure(path, name, ctype, where) for _ in range(args.reps)]
            if where == "worker":
                row.append(f"{runs[0].get('size', 0):>9}")
            why = (runs[0]["error"] or "ok") + (" +text" if runs[0].get("text") else "")
            secs = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            row.append(f"{why:<18} {secs:>5.1f} {peak:>8.0f}")
        print(f"{row[0]} {row[1]}  {row[2]}   {row[3]}", flush=True)
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
