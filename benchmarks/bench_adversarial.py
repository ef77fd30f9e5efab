"""Time per MB of each parser on hostile pages, from 100 KB to 10 MB, beside a baseline read of
the same bytes in the same run (decoding them and finding every '<', `len(re.findall("<",
text))`: linear on any page, so the ratio does not depend on the machine).

A linear parser takes the same time per MB at every size; one that rescans the page from every
unclosed tag takes ten times as long per MB for each tenfold size.  The pages are those of
tests/test_linear.py's families that grow with their size (a nesting stops growing at libxml2's
depth limit, so it says nothing per MB).  Bodies past 300,000 characters are not read by the
objection-window and contact readers (they stop there by design): their time per MB falls.

Run from the repo root:  python benchmarks/bench_adversarial.py [--runs 3] [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMN = "http://www.mmq.gov.cn/col/col1234/index.html"
PROXY = (
    "http://www.mmq.gov.cn/module/web/jpage/dataproxy.jsp"
    "?startrecord=1&endrecord=60&perpage=20&col=1&webid=12&columnid=1234"
)
TRS = "http://www.mmx.gov.cn/zwgk/tzgg/index_2.html"
DETAIL = "http://www.mmq.gov.cn/art/2021/9/24/art_1234_5678.html"
RECORD = "<record><![CDATA[<li><a href=/art/2021/9/24/art_1234_5678.html>通知</a></li>]]></record>"


def fill(unit: str, head: str, size: int) -> bytes:
    """`head`, then `unit` repeated: about `size` bytes of UTF-8."""
    per = len(unit.encode())
    return (head + unit * max(1, (size - len(head.encode())) // per)).encode()


def _listing(url):
    from crawler.parse.listing import parse_listing

    return lambda b: parse_listing(b.decode(), url)


def _sources(b: bytes):
    from crawler.parse.listing.generic import parse_html
    from crawler.parse.listing.sources import script_requests, single_page_app

    doc = parse_html(b.decode())
    script_requests(doc, COLUMN)
    single_page_app(doc)


def _window(b: bytes):
    from crawler.parse.listing import parse_listing
    from crawler.parse.listing.window import window_step

    text = b.decode()
    window_step(PROXY, text, parse_listing(text, PROXY))


def _extract(b: bytes):
    from crawler.parse.notice import extract_page

    extract_page(b, DETAIL)


def _classify(b: bytes):
    from crawler.parse.notice import classify_page

    classify_page("", "", b.decode())


def _objection(b: bytes):
    from crawler.parse.notice.window import find_objection_window

    find_objection_window(b.decode(), "2021-06-01")


def _contact(b: bytes):
    from crawler.parse.notice.contact import find_contact

    find_contact(b.decode())


# (parser, page): the page a function of its size in bytes
CASES = [
    (
        "hanweb listing",
        "unclosed <record>",
        _listing(COLUMN),
        lambda n: fill("<record>x", "<datastore><recordset>", n),
    ),
    (
        "hanweb listing",
        "<totalrecord with no '>'",
        _listing(COLUMN),
        lambda n: fill("<totalrecord ", f"<datastore>{RECORD}", n),
    ),
    (
        "hanweb answer walk",
        "CDATA records",
        _window,
        lambda n: fill(RECORD, "<datastore><recordset>", n),
    ),
    (
        "trs paging",
        "calls naming variables",
        _listing(TRS),
        lambda n: fill("createPageHTML(a,b)", "", n),
    ),
    (
        "generic listing",
        "<a href= never closed",
        _listing(COLUMN),
        lambda n: fill("<a href=x", "", n),
    ),
    (
        "generic listing",
        "a flat dated list",
        _listing(COLUMN),
        lambda n: fill(
            "<li><a href=/a/t20210101_1.html>关于通知</a><span>2021-01-01</span></li>", "<ul>", n
        ),
    ),
    (
        "scripted list",
        "an unterminated list",
        _listing(COLUMN),
        lambda n: fill("{title:'a',url:'/x.html',pubDate:'2021-01-01'},", "<script>var a = [", n),
    ),
    (
        "commented list",
        "an unclosed comment of rows",
        _listing(COLUMN),
        lambda n: fill("<li><a href=/a/t20210101_1.html>a</a> 2021-01-01</li>", "<!--<ul>", n),
    ),
    (
        "pagination",
        "numbered links",
        _listing(COLUMN),
        lambda n: fill("<a href=?page=1>1</a>", "", n),
    ),
    ("script sources", "text between comments", _sources, lambda n: fill("<!--c-->x", "", n)),
    (
        "script sources",
        "one long word of 'api'",
        _sources,
        lambda n: fill("api", "<script>url: '/x'; ", n),
    ),
    (
        "detail extraction",
        "document links in a paragraph",
        _extract,
        lambda n: fill("<a href=/x.pdf>x1</a>yy", "<div id=zoom><p>", n),
    ),
    (
        "detail extraction",
        "hidden elements with tails",
        _extract,
        lambda n: fill("<span style='display:none'>x</span>yyyy", "<div id=zoom>", n),
    ),
    ("detail extraction", "text between comments", _extract, lambda n: fill("<!--c-->x", "", n)),
    (
        "detail extraction",
        "Hanweb title marks",
        _extract,
        lambda n: fill("<!--<$[标题]>begin--><br>", "", n),
    ),
    ("detail extraction", "a line of labels", _extract, lambda n: fill("来源：", "", n)),
    (
        "classification",
        "<script> in an unclosed comment",
        _classify,
        lambda n: fill("<script>", "<!--", n),
    ),
    ("objection window", "a line of dates", _objection, lambda n: fill("2021年1月1日至", "", n)),
    ("contact", "a phone, then spaces", _contact, lambda n: fill(" ", "电话：0591-1234567", n)),
]


def _seconds(fn, page: bytes, runs: int, min_time: float) -> float:
    """CPU seconds of one call: the median of `runs`, each repeating the call for `min_time`."""
    times = []
    for _ in range(runs):
        n, start = 0, time.process_time()
        while True:
            fn(page)
            n += 1
            spent = time.process_time() - start
            if spent >= min_time:
                break
        times.append(spent / n)
    return statistics.median(times)


def baseline(page: bytes) -> int:
    return len(re.findall("<", page.decode()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3, help="runs per page (the median is kept)")
    ap.add_argument("--sizes", default="100,1000,10000", help="page sizes in KB")
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per run, at least")
    args = ap.parse_args(argv)
    sizes = [int(s) * 1000 for s in args.sizes.split(",")]

    cmd = "python benchmarks/bench_adversarial.py " + " ".join(argv or sys.argv[1:])
    print(f"$ {cmd.strip()}")
    print(f"CPU seconds per MB (median of {args.runs} runs), and as a multiple of the baseline's")
    head = "".join(f"{f'{s // 1000:,} KB':>18}" for s in sizes)
    print(f"{'parser':19}{'page':31}{head}{'growth':>10}")
    for name, what, fn, make in CASES:
        cells, per_mb = [], []
        for size in sizes:
            page = make(size)
            fn(page)  # warm up (imports, compiled patterns)
            mb = len(page) / 1e6
            t = _seconds(fn, page, args.runs, args.min_time) / mb
            base = _seconds(baseline, page, args.runs, args.min_time) / mb
            per_mb.append(t)
            cells.append(f"{t:8.3f} {t / base if base else 0:6.1f}x ")
        growth = (per_mb[-1] / per_mb[0]) ** (1 / max(1, len(sizes) - 1)) if per_mb[0] else 0
        print(f"{name:19}{what:31}{''.join(f'{c:>18}' for c in cells)}{growth:9.2f}x", flush=True)
    print("(growth: of the time per MB, per step of size (tenfold by default); 1 is linear)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
