"""Diff benchmark: the UI's `tzgg_diff` (archive.storage.diff.text_diff, on a work budget) against the
unbounded character diff it replaced and difflib on lines, in the same run; then the
`version_diff` page of `tzgg serve` over archives holding those edits.

    python benchmarks/bench_diff.py               # the old diff stopped at 60 s per case
    python benchmarks/bench_diff.py --old-limit 0 # without the old diff

Cases: random hex against random hex (20k and 100k characters: nothing in common, the worst
case of a character diff), a 22k-character table whose amounts were all revised, two 100 KB
notices with a few edits, and two 100 KB bodies of random hex.  Times are CPU medians of 3
(the old diff: one run, in a child process it stops after --old-limit seconds); the level says
how finely the new diff compared (characters, lines, or whole: too large to compare finely).
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.storage.diff import text_diff  # noqa: E402
from archive.storage.store import Archive  # noqa: E402

CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
    "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量"
    "都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各"
    "重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代"
)
OLD_DIFF = """
import difflib, sys
a, b = sys.stdin.read().split("\\0")
difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
"""


def hexes(n: int, seed: int) -> str:
    return random.Random(seed).randbytes(n // 2).hex()


def table(rows: int, amount: int) -> str:
    lines = [f"{i} 张三{i} 岳阳楼区第{i}号地块 {i * 1.5:.2f} {amount + i * 7}" for i in range(rows)]
    return "关于征地补偿的公告\n现将补偿名单公示如下。\n" + "\n".join(lines)


def notice(size: int, seed: int) -> str:
    r = random.Random(seed)
    paras, n = [], 0
    while n < size:
        para = "".join(r.choice(CHARS) for _ in range(r.randint(60, 240))) + "。"
        paras.append(para)
        n += len(para) + 1
    return "\n".join(paras)


def edited(text: str, seed: int) -> str:
    """A few edits: amounts changed, a paragraph added, one removed."""
    r = random.Random(seed)
    paras = text.split("\n")
    for _ in range(8):
        i = r.randrange(len(paras))
        j = r.randrange(len(paras[i]))
        paras[i] = paras[i][:j] + f"{r.randint(10000, 99999)}元" + paras[i][j + 3 :]
    paras.insert(r.randrange(len(paras)), notice(200, seed + 1))
    del paras[r.randrange(len(paras))]
    return "\n".join(paras)


def cases() -> dict[str, tuple[str, str]]:
    body = notice(100_000, 1)
    return {
        "hex 20k vs hex 20k": (hexes(20_000, 1), hexes(20_000, 2)),
        "hex 100k vs hex 100k": (hexes(100_000, 1), hexes(100_000, 2)),
        "table 22k, amounts revised": (table(640, 52000), table(640, 48000)),
        "notice 100 KB, a few edits": (body, edited(body, 2)),
        # the costliest inputs found for the bounded diff: each spends its whole budget
        "interleaved 30k (deep)": interleaved(30_000),
        "random CJK 100k": (cjk(100_000, 5), cjk(100_000, 6)),
    }


def interleaved(n: int) -> tuple[str, str]:
    """Distinct characters, then each followed by another: a match of one character at a
    time, so difflib's recursion is as deep as the text is long."""
    a = "".join(chr(0x4E00 + i) for i in range(n))
    return a, "".join(chr(0x4E00 + i) + chr(0x20000 + i) for i in range(n))


def cjk(n: int, seed: int) -> str:
    r = random.Random(seed)
    return "".join(chr(0x4E00 + r.randrange(20_000)) for _ in range(n))


def cpu(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def old_diff(a: str, b: str, limit: float) -> str:
    if not limit:
        return "-"
    t = time.monotonic()
    try:
        subprocess.run(
            [sys.executable, "-c", OLD_DIFF],
            input=f"{a}\0{b}",
            text=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return f"> {limit:.0f} s"
    return f"{time.monotonic() - t:.2f} s"


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/{db.stem}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + ".json", timeout=1).close()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("tzgg serve did not start")


def page_times(pairs: dict[str, tuple[str, str]]) -> dict[str, float]:
    """Wall time of the version_diff page per edit (median of 3), over one archive."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        a = Archive(db)
        ids = {}
        for step in (0, 1):
            run = a.begin_run("www.example.gov.cn", [])
            for n, (name, texts) in enumerate(pairs.items()):
                url = f"http://www.example.gov.cn/tzgg/t{n}.html"
                a.ingest(_record(url, f"2026-01-0{step + 1}T00:00:00Z", name, texts[step]), run)
                ids[name] = url
            a.finish_run(run)
        a.close()
        conn = sqlite3.connect(db)
        ids = {
            k: conn.execute("SELECT id FROM notices WHERE url = ?", (u,)).fetchone()[0]
            for k, u in ids.items()
        }
        conn.close()
        proc, base = serve(db)
        try:
            out = {}
            for name, nid in ids.items():
                times = []
                for _ in range(3):
                    t = time.monotonic()
                    with urllib.request.urlopen(f"{base}/version_diff?id={nid}&a=1&b=2") as r:
                        page = r.read()
                    times.append(time.monotonic() - t)
                assert re.search(rb"<(del|ins)>", page), name
                out[name] = statistics.median(times)
            return out
        finally:
            proc.terminate()
            proc.wait()


def _record(url: str, at: str, title: str, body: str) -> dict:
    return {
        "type": "fetch", "site": "www.example.gov.cn", "kind": "detail", "url": url,
        "final_url": url, "at": at, "status": 200, "body": os.urandom(8), "headers": [],
        "page_class": "ok", "extractor_version": "2",
        "notice": {
            "url": url, "title": title, "published": "2026-01-01T09:00:00+08:00",
            "source": "区自然资源局", "doc_number": None, "index_number": None, "written": None,
            "body": body, "body_html": "", "attachments": [], "breadcrumb": [],
        },
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old-limit", type=float, default=60, help="seconds; 0: skip the old diff")
    args = ap.parse_args()
    pairs = cases()
    print(f"{'case':<28} {'tzgg_diff':>10} {'level':>11} {'lines':>8} {'old chars':>10}")
    for name, (a, b) in pairs.items():
        new = cpu(lambda a=a, b=b: text_diff(a, b))
        level = text_diff(a, b).level
        lines = cpu(
            lambda a=a, b=b: difflib.SequenceMatcher(
                None, a.split("\n"), b.split("\n")
            ).get_opcodes()
        )
        print(f"{name:<28} {new:>8.3f} s {level:>11} {lines:>6.3f} s {old_diff(a, b, args.old_limit):>10}")  # fmt: skip
    hostile = {"hex 100 KB vs hex 100 KB": (hexes(100_000, 3), hexes(100_000, 4))}
    print("\nversion_diff page of `tzgg serve` (wall time, median of 3):")
    for name, t in page_times({**{k: pairs[k] for k in list(pairs)[2:]}, **hostile}).items():
        print(f"  {name:<28} {t:.3f} s")


if __name__ == "__main__":
    main()
