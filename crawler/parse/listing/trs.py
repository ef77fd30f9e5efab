"""TRS WCM list pagination, written by JavaScript.

``createPageHTML(countPage, currentPage, "index", "html")`` (or the 6-argument variant
``createPageHTML('pagebar', 12, 0, 'index', 'shtml', 240)``), often fed by
``var countPage = 12//共多少页`` / ``var currentPage = 0``.  Pages are ``index.html``,
``index_1.html`` … ``index_{countPage-1}.html``: page 2 is ``_1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .family import Evidence, Family, Page, Paging, most_match
from .pagination import UNBOUNDED

_CALL = re.compile(r"(?<![\w.$])createPageHTML\s*\(([^()]{0,300})\)")
_ARG_STR = re.compile(r"""^\s*(['"])(.*?)\1\s*$""")
_IDENT = re.compile(r"^\s*([A-Za-z_$][\w$.]*)\s*$")
_VAR_TMPL = r"""(?<![\w$.]){name}\s*=\s*['"]?(\d+)"""
_MAX_DIGITS = 9
_ARTICLE_PREFIX = re.compile(r"^t\d{8}_\d+", re.I)


@dataclass
class TrsPaging:
    count: int
    current: int
    prefix: str
    ext: str

    @property
    def is_article(self) -> bool:
        """Multi-page articles use the same function with their own name as prefix."""
        return bool(_ARTICLE_PREFIX.match(self.prefix))

    def page_url(self, own_url: str, i: int) -> str:
        name = f"{self.prefix}_{i}.{self.ext}" if i else f"{self.prefix}.{self.ext}"
        return urljoin(own_url, name)

    def next_urls(self, own_url: str, max_pages: int, ahead: int = UNBOUNDED) -> list[str]:
        own = own_url.split("#", 1)[0]
        out = []
        for i in range(self.current + 1, min(self.count, max_pages, self.current + 1 + ahead)):
            u = self.page_url(own, i)
            if u != own:
                out.append(u)
        return out

    @property
    def last_page(self) -> bool:
        return self.current >= self.count - 1


# Every `name = 12` of the text, overlapping ones too (a zero-width match at each name), so
# that the first assignment of each name is read in one pass: one search per name a call
# passes would rescan the page for each of thousands of calls.
_ASSIGN = re.compile(r"""(?<![\w$.])(?=([\w$]+)\s*=\s*['"]?(\d+))""")


class _Vars:
    """The integer a page first assigns to each name (read on the first question)."""

    def __init__(self, text: str):
        self.text = text
        self.first: dict[str, str] | None = None

    def get(self, name: str) -> int | None:
        if self.first is None:
            self.first = {}
            for m in _ASSIGN.finditer(self.text):
                self.first.setdefault(m.group(1), m.group(2))
        if name not in self.first and not name:  # what the pattern without a name finds
            m = re.search(_VAR_TMPL.format(name=""), self.text)
            self.first[name] = m.group(1) if m else ""
        digits = self.first.get(name)
        # a number longer than this is junk, not a page count (int() refuses 4,300 digits)
        return int(digits) if digits and len(digits) <= _MAX_DIGITS else None


def _own_prefix_ext(url: str) -> tuple[str, str]:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    if "." in last:
        stem, ext = last.rsplit(".", 1)
        stem = re.sub(r"_\d+$", "", stem)
        return stem or "index", ext
    return "index", "html"


def parse_trs_paging(text: str, url: str) -> TrsPaging | None:
    """The TRS pagination of a page, or None when it has none."""
    if "createPageHTML" not in text and "countPage" not in text:
        return None
    variables = _Vars(text)
    for m in _CALL.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if re.search(r"function\s*$", before) or re.search(r"\bfunction\b[^;{}]*$", before):
            continue
        ints: list[int] = []
        strs: list[str] = []
        ok = True
        for arg in m.group(1).split(","):
            if not arg.strip():
                continue
            ms = _ARG_STR.match(arg)
            if ms:
                v = ms.group(2)
                if v.strip().isdigit():
                    ints.append(int(v))
                else:
                    strs.append(v.strip())
                continue
            if arg.strip().isdigit():
                ints.append(int(arg.strip()))
                continue
            mi = _IDENT.match(arg)
            if mi:
                v = variables.get(mi.group(1).rsplit(".", 1)[-1])
                if v is None:
                    ok = False
                    break
                ints.append(v)
                continue
            ok = False
            break
        if not ok or len(ints) < 2:
            continue
        if len(strs) >= 2:
            prefix, ext = strs[-2], strs[-1]
        else:
            prefix, ext = _own_prefix_ext(url)
        ext = ext.lstrip(".")
        if not prefix or not ext:
            continue
        count, current = ints[0], ints[1]
        if count < 1:
            count = 1
        return TrsPaging(count=count, current=min(current, count - 1), prefix=prefix, ext=ext)
    count = variables.get("countPage")
    if count is None:
        return None
    current = variables.get("currentPage") or 0
    prefix, ext = _own_prefix_ext(url)
    count = max(count, 1)
    return TrsPaging(count=count, current=min(current, count - 1), prefix=prefix, ext=ext)


def article_parts(text: str, url: str, limit: int = 20) -> list[str]:
    """The continuation pages of a multi-page TRS article, seen from its first page.

    `createPageHTML(3, 0, "t20190918_693227", "shtml")` -> t20190918_693227_1.shtml and _2;
    at most `limit` (a page claiming hundreds of parts is broken, not long)."""
    paging = parse_trs_paging(text, url)
    if paging is None or not paging.is_article or paging.current != 0 or paging.count < 2:
        return []
    return paging.next_urls(url, min(paging.count, limit + 1))


_ITEM = re.compile(r"/t(?:19|20)\d{6}_\d+(?:_\d+)?\.s?html?\b", re.I)


def list_paging(page: Page) -> TrsPaging | None:
    """The page's TRS list pagination (a multi-page article's is not), read once per page."""

    def compute():
        found = parse_trs_paging(page.text, page.url)
        return None if found is not None and found.is_article else found

    return page.once("trs", compute)


class Trs(Family):
    """Marked by its createPageHTML pagination, which replaces the generic walk; addressed by
    t20200101_123.html items."""

    name = "trs"

    def detect(self, page: Page) -> Evidence:
        if list_paging(page) is not None:
            return Evidence.PAGER
        if most_match(page.item_urls, _ITEM):
            return Evidence.ADDRESS
        return Evidence.NONE

    def pager(self, page: Page) -> Paging | None:
        trs = list_paging(page)
        if trs is None:
            return None
        urls = trs.next_urls(page.url, page.max_pages, page.ahead)
        return Paging(urls, trs.last_page, trs.count, True)


FAMILY = Trs()
