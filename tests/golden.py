"""The extraction oracle: the ground truth of a folder's manifest.json (tests/fixtures/extract,
../shared/realpages) and how tzgg's output is checked against it, field by field.  The golden
test (tests/test_golden.py) holds tzgg to it; benchmarks/extraction_eval.py scores tzgg and two
general-purpose extractors with it."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

from crawler.schema.fields import eval_fields
from crawler.schema.records import NOTICE_FIELDS

ROOT = Path(__file__).resolve().parents[1]
REALPAGES = ROOT.parent / "shared" / "realpages"
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
DISPUTED_FILE = ROOT / "benchmarks" / "disputed_truth.json"  # data, read by both
# 03_govcn_gongbao_detail.html has no known URL: the one its test uses (only resolves links).
FALLBACK_URL = "https://www.gov.cn/gongbao/content/2007/content_711039.htm"

# the notice's fields, as crawler/schema/records.py says each is checked
DETAIL_FIELDS = eval_fields(NOTICE_FIELDS)
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
    expected: dict = dataclasses.field(
        default_factory=dict
    )  # the golden test's more (see the manifest)

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
                expected=p.get("expected") or {},
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
        out = {s.name: self._value(s, getattr(n, s.name)) for s in NOTICE_FIELDS if s.eval}
        return out | {
            "page_class": cls if phrase is None else f"{cls} ({phrase})",
            "_class": cls,
        }

    def _value(self, spec, value):
        """A notice field as the checks compare it."""
        if spec.kind == "files":
            return [(fold(a.name), a.url) for a in value]
        if spec.kind == "list":
            return " > ".join(value) if value else None
        if spec.kind == "object":
            return self._text(value)
        return value

    def listing(self, page: Page):
        return self._parse_listing(_decode(page.raw, page.http_charset), page.url, 300)

    def timed(self, raw, url, charset):
        return self._extract_notice(raw, url, charset)


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


def disputed() -> dict[tuple[str, str], str]:
    """{(file, field): why} of the real-page checks whose ground truth is disputed."""
    entries = json.loads(DISPUTED_FILE.read_text(encoding="utf-8"))["disputed"]
    return {(d["file"], d["field"]): d["why"] for d in entries}
