"""Extraction accuracy and speed of tzgg beside two general-purpose extractors.

Run from the repo root:

    python benchmarks/extraction_eval.py [FOLDER ...] [--systems tzgg,trafilatura,gne]
                                         [--repeat 5] [--loops 3] [--min-time 0.5] [--no-speed]
                                         [--json] [--check]

Each FOLDER holds a ``manifest.json`` in the format of ``../shared/realpages/manifest.json``
(``{"conventions": ..., "pages": [{"file", "url_if_known", "kind", "ground_truth": {...}}]}``;
an optional ``http_charset`` gives the charset an HTTP header would have declared).  Default
folders: ``../shared/realpages`` (skipped with a note when absent) and ``tests/fixtures/extract``.

Scoring, per page kind:

* ``detail``: every field the ground truth states (title, published, source, doc_number,
  index_number, written, body_first_20/body_last_20, attachments, breadcrumb,
  objection_window, contact), for each system; plus tzgg's page class (must be ``ok``).
* ``list``: tzgg's ``parse_listing`` items (url, title, date, in order), page count and next
  page; the baselines have no notion of a listing ("-").
* ``soft_404`` / ``blocked``: tzgg's ``classify_page`` verdict; baselines "-".

Speed: pages per second on one core over the real detail pages 01-06 (the realpages files
whose names start with "0"), median of ``--repeat`` runs; in each run every system makes at
least ``--loops`` passes over the pages and runs at least ``--min-time`` seconds, systems
interleaved within a run.  Every system is timed from the page bytes: tzgg decodes inside
``extract_notice``; the baselines take ``str``, so their timed function is
``decode_html(bytes)`` followed by their extraction (the same decoding tzgg does).
References in the same run: bare ``lxml.html.fromstring(bytes)`` and
``BeautifulSoup(bytes, "lxml")``.

The table has a row per field and a total per page kind. Checks listed in
``benchmarks/disputed_truth.json`` (a ground-truth value of ../shared/realpages believed wrong;
the manifest itself is never edited) are not scored: they are listed apart, with what tzgg gives.

Exit code 0; with ``--check``, 1 when tzgg gets any scored field wrong, or matches a disputed
truth after all (withdraw the dispute then).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REALPAGES = ROOT.parent / "shared" / "realpages"
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
DEFAULT_FOLDERS = (REALPAGES, FIXTURES)
# 03_govcn_gongbao_detail.html has no known URL: the one its test uses (only resolves links).
FALLBACK_URL = "https://www.gov.cn/gongbao/content/2007/content_711039.htm"

ALL_SYSTEMS = ("tzgg", "trafilatura", "gne")
DETAIL_FIELDS = (
    "title",
    "published",
    "source",
    "doc_number",
    "index_number",
    "written",
    "body_first_20",
    "body_last_20",
    "attachments",
    "breadcrumb",
    "objection_window",
    "contact",
)
TZGG_ONLY_FIELDS = (
    "page_class",
    "list_items",
    "list_url",
    "list_title",
    "list_date",
    "next_page",
    "page_count",
)
FIELDS = DETAIL_FIELDS + TZGG_ONLY_FIELDS
PAGE_CLASSES = {"detail": "ok", "soft_404": "soft_404", "blocked": "blocked"}

LEGEND = (
    "right/total per field; '-' = not applicable to that system (listings, page classes).",
    "published: tzgg is held to full precision (a date-only truth needs a date-only output, a "
    "truth with a time needs that time); GNE is compared at the precision the truth gives; "
    "trafilatura outputs dates only (htmldate), so it is judged on the date part when the "
    "truth also has a time.",
    "source: tzgg's 来源/发布机构 field; GNE's `author` (its 来源/作者 field); trafilatura's "
    "`author` (its `sitename` is the site's name or host, never the issuing office).",
    "body_first_20/body_last_20: first/last 20 characters after deleting all whitespace; the "
    "baselines' body is trafilatura's `text` / GNE's `content`.",
    "doc_number, index_number, written, attachments, breadcrumb, objection_window, contact: "
    "the baselines have no such output; they count as null, right only where the truth is "
    "null or empty.",
    "attachments: ordered list of (name after whitespace folding, resolved absolute URL).",
    "trafilatura: bare_extraction(text, url=..., with_metadata=True, include_comments=False), "
    "otherwise defaults (fallback extractors on).  GNE: GeneralNewsExtractor().extract(text).",
)


# --- corpus ------------------------------------------------------------------------------------


@dataclass
class Page:
    folder: Path
    file: str
    url: str
    kind: str
    truth: dict
    http_charset: str | None = None
    conventions: str = ""

    @property
    def id(self) -> str:
        return f"{self.folder.name}/{self.file}"

    @property
    def raw(self) -> bytes:
        return (self.folder / self.file).read_bytes()


def load_corpus(folder: str | Path) -> list[Page]:
    """The pages a folder's manifest.json lists (FileNotFoundError when it has none)."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    conventions = manifest.get("conventions", "")
    pages = []
    for p in manifest["pages"]:
        pages.append(
            Page(
                folder=folder,
                file=p["file"],
                url=p.get("url_if_known") or p.get("base_url") or FALLBACK_URL,
                kind=p.get("kind", "detail"),
                truth=p.get("ground_truth") or {},
                http_charset=p.get("http_charset"),
                conventions=conventions,
            )
        )
    return pages


# --- normalization -----------------------------------------------------------------------------

_WS = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff\u2002\u2003\u2009]+")
_DATE = re.compile(
    r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?:\s*日)?"
    r"(?:(?:\s*T\s*|\s+|(?<=日))(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)


def fold(s) -> str:
    """Whitespace folded to single spaces, stripped ('' for None)."""
    return _WS.sub(" ", s).strip() if s else ""


def squash(s) -> str:
    """All whitespace deleted ('' for None)."""
    return _WS.sub("", s) if s else ""


def norm_date(s) -> str | None:
    """'YYYY-MM-DD', 'YYYY-MM-DDTHH:MM' or 'YYYY-MM-DDTHH:MM:SS' from a date string, or None."""
    if not s:
        return None
    m = _DATE.search(str(s))
    if not m:
        return None
    y, mo, d, hh, mi, ss = m.groups()
    out = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    if hh is not None:
        out += f"T{int(hh):02d}:{int(mi):02d}"
        if ss is not None:
            out += f":{int(ss):02d}"
    return out


def _empty(v) -> bool:
    return v is None or v == "" or v == [] or v == {}


def same_url(a: str | None, b: str | None) -> bool:
    """Same scheme, host, path and query parameters (in any order); fragments ignored."""
    if a is None or b is None:
        return a is None and b is None
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme.lower(), x.netloc.lower(), x.path or "/") == (
        y.scheme.lower(),
        y.netloc.lower(),
        y.path or "/",
    ) and sorted(parse_qsl(x.query, keep_blank_values=True)) == sorted(
        parse_qsl(y.query, keep_blank_values=True)
    )


# --- systems -----------------------------------------------------------------------------------


class MissingSystem(Exception):
    pass


def _decode(raw: bytes, charset: str | None) -> str:
    from crawler.parse.notice import decode_html

    return decode_html(raw, charset)[0]


class System:
    name = ""
    date_mode = "truth"  # strict | truth | date

    def output(self, page: Page) -> dict:
        """The system's fields for a detail page (normalized keys, see DETAIL_FIELDS)."""
        raise NotImplementedError

    def timed(self, raw: bytes, url: str, charset: str | None):
        """The function timed for speed: page bytes -> result."""
        raise NotImplementedError


class Tzgg(System):
    name = "tzgg"
    date_mode = "strict"

    def __init__(self):
        from crawler.parse.listing import parse_listing
        from crawler.parse.notice import classify_page, extract_notice, extract_page

        self._extract_notice = extract_notice
        self._extract_page = extract_page
        self._classify = classify_page
        self._parse_listing = parse_listing

    @staticmethod
    def _text(d) -> str | None:
        if d is None:
            return None
        if isinstance(d, dict):
            return d.get("text")
        return str(d)

    def output(self, page: Page) -> dict:
        n, text, _enc = self._extract_page(page.raw, page.url, page.http_charset)
        cls, phrase = self._classify(n.title, n.body, text)
        return {
            "title": n.title,
            "published": n.published,
            "source": n.source,
            "doc_number": n.doc_number,
            "index_number": n.index_number,
            "written": n.written,
            "body": n.body,
            "attachments": [(fold(a.name), a.url) for a in n.attachments],
            "breadcrumb": " > ".join(n.breadcrumb) if n.breadcrumb else None,
            "objection_window": self._text(getattr(n, "objection_window", None)),
            "contact": self._text(getattr(n, "contact", None)),
            "page_class": cls if phrase is None else f"{cls} ({phrase})",
            "_class": cls,
        }

    def listing(self, page: Page):
        return self._parse_listing(_decode(page.raw, page.http_charset), page.url, 300)

    def timed(self, raw, url, charset):
        return self._extract_notice(raw, url, charset)


class Trafilatura(System):
    name = "trafilatura"
    date_mode = "date"

    def __init__(self):
        try:
            import trafilatura
        except ImportError as e:
            raise MissingSystem(
                "trafilatura is not installed (pip install -e '.[bench]'); skipping it"
            ) from e
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        logging.getLogger("htmldate").setLevel(logging.CRITICAL)
        self._bare = trafilatura.bare_extraction
        self.version = getattr(trafilatura, "__version__", "?")

    def _run(self, text: str, url: str):
        return self._bare(text, url=url, with_metadata=True, include_comments=False)

    def output(self, page: Page) -> dict:
        doc = self._run(_decode(page.raw, page.http_charset), page.url)
        if doc is None:
            return {}
        return {
            "title": doc.title,
            "published": doc.date,
            "source": doc.author,
            "body": doc.text,
        }

    def timed(self, raw, url, charset):
        return self._run(_decode(raw, charset), url)


class Gne(System):
    name = "gne"
    date_mode = "truth"

    def __init__(self):
        try:
            import gne
        except ImportError as e:
            raise MissingSystem(
                "gne is not installed (pip install -e '.[bench]', it needs lxml_html_clean on "
                "lxml >= 5.2); skipping it"
            ) from e
        self._gne = gne.GeneralNewsExtractor()
        self._no_content = gne.NoContentException
        self.version = getattr(gne, "__version__", "?")

    def _run(self, text: str):
        try:
            return self._gne.extract(text)
        except self._no_content:
            return None

    def output(self, page: Page) -> dict:
        r = self._run(_decode(page.raw, page.http_charset))
        if r is None:
            return {}
        return {
            "title": r.get("title"),
            "published": r.get("publish_time"),
            "source": r.get("author"),
            "body": r.get("content"),
        }

    def timed(self, raw, url, charset):
        return self._run(_decode(raw, charset))


SYSTEM_CLASSES = {"tzgg": Tzgg, "trafilatura": Trafilatura, "gne": Gne}


def make_systems(names, notes: list[str] | None = None) -> dict[str, System]:
    """The requested systems that can run; a one-line note for each one missing."""
    out = {}
    for name in names:
        cls = SYSTEM_CLASSES.get(name)
        if cls is None:
            raise SystemExit(f"unknown system {name!r} (choose from {', '.join(ALL_SYSTEMS)})")
        try:
            out[name] = cls()
        except MissingSystem as e:
            print(str(e), file=sys.stderr)
            if notes is not None:
                notes.append(str(e))
    return out


# --- scoring -----------------------------------------------------------------------------------


@dataclass
class Check:
    page: str
    field: str
    system: str
    ok: bool
    got: object
    want: object
    disputed: str | None = None  # why the truth is believed wrong (disputed_truth.json)


def _published_ok(got, want, mode: str) -> bool:
    if want is None:
        return _empty(got)
    g, w = norm_date(got), norm_date(want)
    if g is None or w is None:
        return False
    if mode == "date":
        return g[:10] == w[:10]
    if mode == "strict" and len(w) == 10:
        return g == w  # a date-only truth: no invented time
    return g.startswith(w)


_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|＞|›|→)\s*")


def crumbs(trail) -> list[str]:
    """A trail as printed ('首页 » 政采公告', '首页 > 政采公告') as its crumbs: the truth
    keeps each site's separator."""
    return [fold(c) for c in _CRUMB_SEP.split(trail or "") if fold(c)]


def _text_ok(got, want) -> bool:
    if want is None:
        return _empty(got)
    return fold(got) == fold(want)


def _squash_ok(got, want) -> bool:
    if want is None:
        return _empty(got)
    return squash(got) == squash(want)


def score_detail(page: Page, system: System, out: dict) -> list[Check]:
    """Checks of one system's output against a detail page's ground truth."""
    gt = page.truth
    checks = []

    def add(fld, ok, got, want):
        checks.append(Check(page.id, fld, system.name, bool(ok), got, want))

    for fld in DETAIL_FIELDS:
        if fld not in gt:
            continue
        want = gt[fld]
        if fld == "published":
            got = out.get("published")
            add(fld, _published_ok(got, want, system.date_mode), got, want)
        elif fld == "written":
            got = out.get("written")
            add(fld, _published_ok(got, want, "strict"), got, want)
        elif fld in ("body_first_20", "body_last_20"):
            body = squash(out.get("body"))
            got = body[:20] if fld == "body_first_20" else body[-20:]
            add(fld, got == squash(want), got, want)
        elif fld == "attachments":
            wanted = [(fold(a["name"]), urljoin(page.url, a["href"])) for a in want or []]
            got = out.get("attachments")
            ok = (got or []) == wanted if got is not None else not wanted
            add(fld, ok, got, wanted)
        elif fld == "breadcrumb":
            got = out.get("breadcrumb")
            if _empty(want):
                add(fld, _empty(got), got, want)
            else:
                add(fld, crumbs(got) == crumbs(want), got, want)
        elif fld in ("objection_window", "contact"):
            got = out.get(fld)
            add(fld, _squash_ok(got, want), got, want)
        else:  # title, source, doc_number, index_number
            got = out.get(fld)
            add(fld, _text_ok(got, want), got, want)
    if system.name == "tzgg":
        want = gt.get("page_class", "ok")
        add("page_class", out.get("_class") == want, out.get("page_class"), want)
    return checks


def score_listing(page: Page, system: Tzgg) -> list[Check]:
    gt = page.truth
    checks = []

    def add(fld, ok, got, want):
        checks.append(Check(page.id, fld, system.name, bool(ok), got, want))

    try:
        lp = system.listing(page)
        items, next_urls, count = lp.items, lp.next_urls, lp.page_count
    except Exception as e:  # a crash is a wrong answer on every field, not an abort
        items, next_urls, count = [], [], f"error: {e!r}"
    want_items = gt.get("items") or []
    add("list_items", len(items) == len(want_items), len(items), len(want_items))
    for i, w in enumerate(want_items):
        g = items[i] if i < len(items) else None
        want_url = urljoin(page.url, w["url"])
        got_url = g.url if g else None
        add("list_url", got_url is not None and same_url(got_url, want_url), got_url, want_url)
        if "title" in w:
            got_t = g.title if g else None
            add("list_title", g is not None and _text_ok(got_t, w["title"]), got_t, w["title"])
        if "date" in w:
            got_d = g.date if g else None
            add("list_date", g is not None and got_d == w["date"], got_d, w["date"])
    if "next_page" in gt:
        want = gt["next_page"]
        got = next_urls[0] if next_urls else None
        if want is None:
            add("next_page", not next_urls, got, None)
        else:
            want = urljoin(page.url, want)
            add("next_page", same_url(got, want), got, want)
    if "page_count" in gt:
        add("page_count", count == gt["page_count"], count, gt["page_count"])
    return checks


def score_tzgg(page: Page, system: Tzgg | None = None) -> list[Check]:
    """tzgg's checks on one page of any kind."""
    return score_page(page, system or Tzgg())


def score_page(page: Page, system: System) -> list[Check]:
    """One system's checks on one page ([] where the page kind does not apply to it)."""
    if page.kind == "list":
        return score_listing(page, system) if system.name == "tzgg" else []
    if page.kind == "detail":
        try:
            out = system.output(page)
        except Exception as e:  # a crash scores as an empty output, and is listed
            err = Check(page.id, "crash", system.name, False, repr(e)[:300], None)
            return [err, *score_detail(page, system, {})]
        return score_detail(page, system, out)
    if page.kind in PAGE_CLASSES:
        if system.name != "tzgg":
            return []
        out = system.output(page)
        want = page.truth.get("page_class", PAGE_CLASSES[page.kind])
        return [
            Check(page.id, "page_class", "tzgg", out["_class"] == want, out["page_class"], want)
        ]
    raise ValueError(f"{page.id}: unknown kind {page.kind!r}")


def expected_fields(page: Page, system: str = "tzgg") -> list[str]:
    """The fields score_page checks on a page for a system, known from the truth alone."""
    gt = page.truth
    if page.kind == "detail":
        fields = [f for f in DETAIL_FIELDS if f in gt]
        return fields + ["page_class"] if system == "tzgg" else fields
    if system != "tzgg":
        return []
    if page.kind == "list":
        fields = ["list_items"]
        items = gt.get("items") or []
        if items:
            fields.append("list_url")
        for key in ("title", "date"):
            if any(key in i for i in items):
                fields.append(f"list_{key}")
        return fields + [f for f in ("next_page", "page_count") if f in gt]
    return ["page_class"]


DISPUTED_FILE = Path(__file__).with_name("disputed_truth.json")


def disputed() -> dict[tuple[str, str], str]:
    """{(file, field): why} of the real-page checks whose ground truth is disputed."""
    entries = json.loads(DISPUTED_FILE.read_text(encoding="utf-8"))["disputed"]
    return {(d["file"], d["field"]): d["why"] for d in entries}


def evaluate(pages: list[Page], systems: dict[str, System]) -> list[Check]:
    """Every check; checks of a disputed truth carry the reason (they are scored for no
    system; one that tzgg gets right is listed: the dispute should then be withdrawn)."""
    disputes = disputed()
    checks = []
    for page in pages:
        for system in systems.values():
            for c in score_page(page, system):
                if page.folder.name == "realpages":  # unscored for every system alike
                    c.disputed = disputes.get((page.file, c.field))
                checks.append(c)
    return checks


def tally(checks: list[Check], systems) -> dict:
    """{field: {system: {"right", "total"}}} plus "TOTAL" and "TOTAL detail fields"."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for f in FIELDS:
        table[f] = {s: {"right": 0, "total": 0} for s in systems}
    for c in checks:
        cell = table.setdefault(c.field, {s: {"right": 0, "total": 0} for s in systems})[c.system]
        cell["total"] += 1
        cell["right"] += c.ok
    table = {f: row for f, row in table.items() if any(v["total"] for v in row.values())}
    rows = list(table.items())
    for label, keep in (("TOTAL detail fields", DETAIL_FIELDS), ("TOTAL all", None)):
        tot = {s: {"right": 0, "total": 0} for s in systems}
        for f, row in rows:
            if keep is None or f in keep:
                for s, v in row.items():
                    tot[s]["right"] += v["right"]
                    tot[s]["total"] += v["total"]
        table[label] = tot
    return table


def tally_kinds(checks: list[Check], pages: list[Page], systems) -> dict:
    """{page kind: {system: {"right", "total"}}}: a system with no check on a kind has none."""
    kind_of = {p.id: p.kind for p in pages}
    out: dict[str, dict[str, dict[str, int]]] = {}
    for c in checks:
        row = out.setdefault(kind_of[c.page], {})
        cell = row.setdefault(c.system, {"right": 0, "total": 0})
        cell["total"] += 1
        cell["right"] += c.ok
    return {k: {s: row[s] for s in systems if s in row} for k, row in out.items()}


def _row(c: Check) -> dict:
    d = asdict(c)
    del d["disputed"]
    return d


# --- speed -------------------------------------------------------------------------------------


def _pin_one_core() -> str:
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        return f"pinned to CPU {cpus[0]}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity); single-threaded"


def speed_pages(folder: Path = REALPAGES) -> list[Page]:
    """The real detail pages 01-06 (realpages files whose names start with '0')."""
    if not (folder / "manifest.json").is_file():
        return []
    return [p for p in load_corpus(folder) if p.file.startswith("0") and p.kind == "detail"]


def measure_speed(
    pages: list[Page],
    systems: dict[str, System],
    repeat: int,
    loops: int,
    min_time: float = 0.0,
) -> dict:
    """{name: {median, min, max}} pages/s: per run, at least `loops` passes over the pages and
    at least `min_time` seconds (so that fast systems are not timed over a few milliseconds)."""
    import lxml.html

    fns = {name: sys_.timed for name, sys_ in systems.items()}
    fns["lxml"] = lambda raw, url, cs: lxml.html.fromstring(raw)
    try:
        from bs4 import BeautifulSoup

        fns["bs4"] = lambda raw, url, cs: BeautifulSoup(raw, "lxml")
    except ImportError:
        pass
    data = [(p.raw, p.url, p.http_charset) for p in pages]
    for fn in fns.values():  # warm up: imports, regex compilation, caches
        for raw, url, cs in data:
            fn(raw, url, cs)
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            passes = 0
            start = time.perf_counter()
            while True:
                for raw, url, cs in data:
                    fn(raw, url, cs)
                passes += 1
                elapsed = time.perf_counter() - start
                if passes >= loops and elapsed >= min_time:
                    break
            runs[name].append(len(data) * passes / elapsed)
    return {
        name: {"median": statistics.median(r), "min": min(r), "max": max(r)}
        for name, r in runs.items()
    }


def _versions(systems: dict[str, System]) -> dict:
    import lxml.etree

    v = {
        "python": platform.python_version(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "libxml2": ".".join(map(str, lxml.etree.LIBXML_VERSION)),
    }
    try:
        import bs4

        v["beautifulsoup4"] = bs4.__version__
    except ImportError:
        pass
    for name, s in systems.items():
        if hasattr(s, "version"):
            v[name] = s.version
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    v["cpu"] = cpu
    return v


TARGETS = (("trafilatura", 10.0), ("gne", 3.0), ("lxml", 0.5))


def ratios(speed: dict) -> dict:
    out = {}
    if "tzgg" not in speed:
        return out
    for other, target in TARGETS:
        if other in speed:
            r = speed["tzgg"]["median"] / speed[other]["median"]
            out[f"tzgg/{other}"] = {"ratio": r, "target": target, "meets": r >= target}
    return out


# --- output ------------------------------------------------------------------------------------


def _short(v, width: int) -> str:
    if isinstance(v, str):
        s = v
    else:
        s = json.dumps(v, ensure_ascii=False)
    s = s.replace("\n", "⏎")
    return s if len(s) <= width else s[: width - 1] + "…"


def _cell(v: dict) -> str:
    return f"{v['right']}/{v['total']}" if v["total"] else "-"


def render(result: dict, width: int = 70) -> str:
    systems = result["systems"]
    lines = [f"$ {result['command']}"]
    for n in result["notes"]:
        lines.append(f"note: {n}")
    lines.append(
        f"{result['pages']} pages ({', '.join(f'{k} {v}' for k, v in result['kinds'].items())}) "
        f"from {', '.join(result['folders'])}"
    )
    lines.append("")
    lines.append(f"{'field':22}" + "".join(f"{s:>14}" for s in systems))
    for f, row in result["fields"].items():
        if f.startswith("TOTAL"):
            continue
        lines.append(f"{f:22}" + "".join(f"{_cell(row[s]):>14}" for s in systems))
    lines.append("-" * (22 + 14 * len(systems)))
    for f in ("TOTAL detail fields", "TOTAL all"):
        row = result["fields"][f]
        lines.append(f"{f:22}" + "".join(f"{_cell(row[s]):>14}" for s in systems))
    lines.append("")
    lines.append("by page kind (right/total):")
    for kind, row in result["by_kind"].items():
        cells = ", ".join(f"{s} {_cell(v)}" for s, v in row.items())
        lines.append(f"  {kind:20}{cells}")
    lines.append("")
    lines.append("legend:")
    for leg in LEGEND:
        lines.append(f"  - {leg}")
    for s in systems:
        wrong = [w for w in result["wrong"] if w["system"] == s]
        lines.append("")
        lines.append(f"{s} gets wrong ({len(wrong)}):")
        for w in wrong:
            lines.append(
                f"  {w['page']} | {w['field']} | got {_short(w['got'], width)}"
                f" | want {_short(w['want'], width)}"
            )
    if result["disputed"]:
        lines.append("")
        lines.append(
            f"disputed ground truth ({len(result['disputed'])}; not scored, see "
            "benchmarks/disputed_truth.json):"
        )
        for d in result["disputed"]:
            state = "tzgg now MATCHES it: withdraw the dispute" if d["ok"] else "tzgg differs"
            lines.append(f"  {d['page']} | {d['field']} | {state} | got {_short(d['got'], width)}")
    sp = result.get("speed")
    lines.append("")
    if sp is None:
        lines.append("speed: not measured")
    elif "skipped" in sp:
        lines.append(f"speed: skipped ({sp['skipped']})")
    else:
        v = sp["versions"]
        lines.append(
            f"speed: {sp['pages']} real detail pages ({sp['kib']:.0f} KiB); median of "
            f"{sp['repeat']} runs, each >= {sp['loops']} passes over the pages and >= "
            f"{sp['min_time']:g} s per system; one core ({sp['core']}); timed from page bytes, "
            "decoding included for every system"
        )
        lines.append(
            "  "
            + ", ".join(f"{k} {val}" for k, val in v.items() if k != "cpu")
            + f"; CPU: {v['cpu']}"
        )
        lines.append(f"  {'':34}{'median pages/s':>15}{'min':>10}{'max':>10}")
        names = {
            "lxml": "lxml.html.fromstring(bytes)",
            "bs4": 'BeautifulSoup(bytes, "lxml")',
            "tzgg": "tzgg extract_notice",
        }
        for name, r in sp["rates"].items():
            lines.append(
                f"  {names.get(name, name):34}{r['median']:15.1f}{r['min']:10.1f}{r['max']:10.1f}"
            )
        for k, r in sp["ratios"].items():
            verdict = "meets" if r["meets"] else "MISSES"
            lines.append(f"  {k:34}{r['ratio']:15.2f}   ({verdict} the >= {r['target']:g} target)")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


def run(
    folders,
    system_names=ALL_SYSTEMS,
    repeat: int = 5,
    loops: int = 3,
    min_time: float = 0.5,
    speed: bool = True,
    command: str = "",
) -> dict:
    notes: list[str] = []
    pages: list[Page] = []
    used = []
    for folder in folders:
        folder = Path(folder)
        if not (folder / "manifest.json").is_file():
            notes.append(f"{folder} has no manifest.json: skipped")
            continue
        pages.extend(load_corpus(folder))
        used.append(str(folder))
    systems = make_systems(system_names, notes)
    checks = evaluate(pages, systems)
    scored = [c for c in checks if not c.disputed]
    names = list(systems)
    kinds: dict[str, int] = {}
    for p in pages:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    result = {
        "command": command,
        "systems": names,
        "folders": used,
        "notes": notes,
        "pages": len(pages),
        "kinds": kinds,
        "legend": list(LEGEND),
        "fields": tally(scored, names),
        "by_kind": tally_kinds(scored, pages, names),
        "wrong": [_row(c) for c in scored if not c.ok],
        "disputed": [asdict(c) for c in checks if c.disputed and c.system == "tzgg"],
        "speed": None,
    }
    if speed:
        folder = next((Path(f) for f in used if Path(f).name == "realpages"), REALPAGES)
        sp_pages = speed_pages(folder)
        if not sp_pages:
            result["speed"] = {"skipped": f"no real detail pages 01-06 in {folder}"}
        else:
            core = _pin_one_core()
            rates = measure_speed(sp_pages, systems, repeat, loops, min_time)
            result["speed"] = {
                "pages": len(sp_pages),
                "kib": sum(len(p.raw) for p in sp_pages) / 1024,
                "repeat": repeat,
                "loops": loops,
                "min_time": min_time,
                "core": core,
                "versions": _versions(systems),
                "rates": rates,
                "ratios": ratios(rates),
            }
    return result


def tzgg_wrong(result: dict) -> list[dict]:
    """tzgg's wrong checks, and its disputed checks that match the truth after all (as a
    strict expected failure that passes, they ask for the dispute to be withdrawn)."""
    wrong = [w for w in result["wrong"] if w["system"] == "tzgg"]
    return wrong + [d for d in result["disputed"] if d["ok"]]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(
        description="Extraction accuracy and speed: tzgg beside trafilatura and GNE."
    )
    ap.add_argument("folders", nargs="*", help="folders with a manifest.json")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS), help="comma-separated")
    ap.add_argument("--repeat", type=int, default=5, help="speed runs (median reported)")
    ap.add_argument("--loops", type=int, default=3, help="min. passes over the pages per run")
    ap.add_argument("--min-time", type=float, default=0.5, help="min. seconds per run")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--check", action="store_true", help="exit 1 if tzgg gets a field wrong")
    ap.add_argument("--width", type=int, default=70, help="truncate values in the error list")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    if args.check and "tzgg" not in names:
        ap.error("--check grades tzgg: include it in --systems")
    folders = args.folders or [str(f) for f in DEFAULT_FOLDERS]
    result = run(
        folders,
        names,
        repeat=max(1, args.repeat),
        loops=max(1, args.loops),
        min_time=max(0.0, args.min_time),
        speed=not args.no_speed,
        command=" ".join(["python benchmarks/extraction_eval.py", *argv]),
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        print(render(result, args.width))
    if args.check and tzgg_wrong(result):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
