"""Extraction speed on the real pages, beside lxml's bare parse of the same bytes.

Run from the repo root:  python benchmarks/bench_extract.py [--reps 7] [--min-time 0.5]

Rows: the bare parse (`lxml.html.fromstring`), `extract_notice` (the ratio to the parse is the
aim), and what the spider does with a detail page (`extract_page`, then `classify_page` on the
decoded text), timed alike in the same run.

Then the floor of any extractor built as this one is (lxml's tree, Python above it): the work
no design of that kind can skip - decoding the bytes, tzgg's own parse, one Python visit of
every element reading its tag, attributes, text and tail, and serializing the body's HTML -
and the best ratio to the bare parse it would leave, before a single field is read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REALPAGES = ROOT.parent / "shared" / "realpages"


def _rate(fn, pages: list[bytes], min_time: float) -> float:
    """Pages per second of fn over all pages, looping until min_time has passed."""
    n = 0
    start = time.perf_counter()
    while True:
        for p in pages:
            fn(p)
        n += len(pages)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return n / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.5)
    args = ap.parse_args(argv)
    if not REALPAGES.is_dir():
        print(f"skipped: {REALPAGES} is absent (the real pages live beside the repo in ../shared)")
        return 0

    import lxml.html

    from crawler.parse.notice import classify_page, extract_notice, extract_page

    manifest = json.loads((REALPAGES / "manifest.json").read_text(encoding="utf-8"))
    entries = [
        (
            (REALPAGES / p["file"]).read_bytes(),
            p.get("url_if_known") or f"http://example.gov.cn/{p['file']}",
        )
        for p in manifest["pages"]
    ]
    pages = [b for b, _ in entries]
    urls = {id(b): u for b, u in entries}

    def extract(b: bytes):
        return extract_notice(b, urls[id(b)])

    def bare(b: bytes):
        return lxml.html.fromstring(b)

    def spider(b: bytes):
        notice, text, _enc = extract_page(b, urls[id(b)])
        return classify_page(notice.title, notice.body, text)

    extract(pages[0])  # warm up (imports, regex compilation)
    spider(pages[0])
    parse_rates, extract_rates, spider_rates = [], [], []
    for _ in range(args.reps):
        parse_rates.append(_rate(bare, pages, args.min_time))
        extract_rates.append(_rate(extract, pages, args.min_time))
        spider_rates.append(_rate(spider, pages, args.min_time))
    p_med = statistics.median(parse_rates)
    e_med = statistics.median(extract_rates)
    size = sum(len(b) for b in pages)
    cmd = "python benchmarks/bench_extract.py " + " ".join(argv or sys.argv[1:])
    print(f"$ {cmd.strip()}")
    print(f"{len(pages)} real pages, {size / 1024:.0f} KiB, {args.reps} repetitions, one core")
    print(f"{'':28}{'median pages/s':>16}{'min':>10}{'max':>10}")
    print(
        f"{'lxml.html.fromstring(bytes)':28}{p_med:16.0f}{min(parse_rates):10.0f}"
        f"{max(parse_rates):10.0f}"
    )
    print(f"{'extract_notice':28}{e_med:16.0f}{min(extract_rates):10.0f}{max(extract_rates):10.0f}")
    s_med = statistics.median(spider_rates)
    print(
        f"{'extract_page+classify_page':28}{s_med:16.0f}{min(spider_rates):10.0f}"
        f"{max(spider_rates):10.0f}"
    )
    ratio = e_med / p_med
    verdict = "meets" if ratio >= 0.5 else "misses"
    print(f"ratio extract/parse = {ratio:.2f} ({verdict} the >= 0.5 target)")
    print(f"ratio (extract_page+classify_page)/parse = {s_med / p_med:.2f}")
    _floor(entries, p_med, args.reps)
    print("per page (ms, median of 5 runs of 20):")
    for (b, u), p in zip(entries, manifest["pages"], strict=True):
        runs_e, runs_p = [], []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(20):
                extract_notice(b, u)
            runs_e.append((time.perf_counter() - t) / 20 * 1000)
            t = time.perf_counter()
            for _ in range(20):
                lxml.html.fromstring(b)
            runs_p.append((time.perf_counter() - t) / 20 * 1000)
        print(
            f"  {p['file']:40} parse {statistics.median(runs_p):6.2f}  "
            f"extract {statistics.median(runs_e):6.2f}"
        )
    return 0


def _visit(root) -> None:
    for el in root.iter():
        el.tag, el.text, el.tail, el.keys()


def _floor(entries: list[tuple[bytes, str]], bare_rate: float, reps: int) -> None:
    """Print the floor's parts (ms a page, median of `reps`) and the ratio it leaves."""
    from lxml import etree

    from crawler.parse.notice import parse_tree
    from crawler.parse.notice.body import find_container
    from crawler.parse.notice.encoding import html_utf8_bytes
    from crawler.parse.notice.scan import scan

    datas = [html_utf8_bytes(b)[0] for b, _u in entries]
    trees = [parse_tree(d)[0] for d in datas]
    pairs = [(t, d) for t, d in zip(trees, datas, strict=True) if t is not None]
    containers = [find_container(t, scan(t, d))[0] for t, d in pairs]

    def html(c):
        return etree.tostring(c, method="html", encoding="unicode", with_tail=False)

    parts = {
        "decode (html_utf8_bytes)": (lambda b: html_utf8_bytes(b), [b for b, _u in entries]),
        "tzgg's parse": (lambda d: parse_tree(d), datas),
        "one visit of every element": (_visit, [t for t, _d in pairs]),
        "the body's HTML serialized": (html, containers),
    }
    print("floor of an lxml-and-Python extractor (ms a page, before any field is read):")
    total = 0.0
    for name, (fn, items) in parts.items():
        ms = statistics.median(1000 / _rate(fn, items, 0.2) for _ in range(reps))
        total += ms
        print(f"  {name:34}{ms:7.3f}")
    print(f"  {'sum':34}{total:7.3f}   the bare parse: {1000 / bare_rate:.3f}")
    print(f"best ratio left to such a design = {1000 / bare_rate / total:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
