"""Generic pagination: 下一页/尾页 links, numbered links, page-number URL templates.

Supported numbering in URLs: query parameters (``?page=N``, ``pageNum=N``, ``pageNo=N``,
``pageIndex=N``, ``curpage=N``…) and path suffixes (``index_N.html``, ``list_N.shtml``,
``default_N.htm``, ``/page/N/``).  With a 尾页 (last page) link or a "共N页" count, every page
between this one and the last is generated; otherwise the 下一页 link (or the numbered links
beyond this page) is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from .generic import norm_text, resolve

_NEXT = re.compile(r"^(下一页|下页|后页|后一页|下一頁|下頁|next(\s*page)?)\s*[>›»＞]*$", re.I)
_NEXT_SYMBOLS = frozenset((">", "›", "＞", "〉"))
_LAST = re.compile(r"^(尾页|末页|最后一页|最后页|尾頁|末頁|last(\s*page)?)\s*[>›»＞]*$", re.I)
_PREV = re.compile(r"^[<‹«＜]*\s*(上一页|上页|前页|前一页|首页|第一页|prev(ious)?|first)$", re.I)
_PREV_SYMBOLS = frozenset(("<", "‹", "＜", "〈", "<<", "«"))
_NUM = re.compile(r"^[\[【]?\s*(\d{1,5})\s*[\]】]?$")
_JS_FUNCTIONAL = re.compile(r"^javascript:\s*[\w.$]+\s*\(\s*['\"]?\d", re.I)

PAGE_KEYS = frozenset(
    "page pagenum pageno pageindex page_no page_num pagenumber curpage currentpage cpage pn p "
    "pageid pagecurrent pagecur nowpage".split()
)
_PATH_NUM = re.compile(r"^(.*/[^/]*?[_-])(\d{1,5})(\.[A-Za-z]{2,5})$")
_PATH_PAGE = re.compile(r"^(.*/page/)(\d{1,5})(/?)$")

# Applied to the document's text (tags removed, script text kept).
_COUNT_PATTERNS = [
    re.compile(r"共\s*(\d{1,5})\s*页"),
    re.compile(r"第\s*\d{1,5}\s*/\s*(\d{1,5})\s*页"),
    re.compile(r"页次\s*[:：]?\s*\d{1,5}\s*/\s*(\d{1,5})"),
    re.compile(
        r"(?<![\w$.])(?:pageCount|totalPage|totalPages|pageTotal|page_count|allPage|pageSum|maxPage)"
        r"\s*[:=]\s*['\"]?(\d{1,5})",
        re.I,
    ),
]


# Pages one listing page names past itself, unbounded: a caller walking a column page by page
# passes a small `ahead`, so that each page costs the same however long the column is (naming
# every remaining page from every page made a walk quadratic in its length).
UNBOUNDED = 1 << 30


@dataclass
class Template:
    """A page-number slot in a URL."""

    kind: str  # 'q' (query parameter) or 'p' (path)
    ident: tuple
    n: int
    pre: str = ""
    post: str = ""
    key: str = ""
    parts: tuple = ()
    query: list = field(default_factory=list)

    def make(self, n: int) -> str:
        if self.kind == "p":
            return f"{self.pre}{n}{self.post}"
        query = [(k, str(n) if k == self.key else v) for k, v in self.query]
        scheme, netloc, path = self.parts
        return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def template_of(url: str) -> Template | None:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for k, v in query:
        if k.lower() in PAGE_KEYS and v.isdigit():
            others = tuple(sorted((kk, vv) for kk, vv in query if kk != k))
            return Template(
                kind="q",
                ident=("q", parts.netloc, parts.path, k, others),
                n=int(v),
                key=k,
                parts=(parts.scheme, parts.netloc, parts.path),
                query=query,
            )
    for rx in (_PATH_NUM, _PATH_PAGE):
        m = rx.match(parts.path)
        if m:
            head = urlunsplit((parts.scheme, parts.netloc, m.group(1), "", ""))
            tail = m.group(3) + (("?" + parts.query) if parts.query else "")
            return Template(
                kind="p", ident=("p", head, tail), n=int(m.group(2)), pre=head, post=tail
            )
    return None


def _first_page_of(tpl: Template, own: str) -> bool:
    """Whether `own` is the un-numbered first page of the template's series."""
    p = urlsplit(own)
    if tpl.kind == "q":
        _, netloc, path, key, others = tpl.ident
        own_q = tuple(sorted(parse_qsl(p.query, keep_blank_values=True)))
        return p.netloc == netloc and p.path == path and own_q == others
    head = tpl.pre
    own_head = urlunsplit((p.scheme, p.netloc, p.path, "", ""))
    head_dir = head.rsplit("/", 1)[0] + "/"
    return own_head.startswith(head_dir) and "/" not in own_head[len(head_dir) :]


_CURRENT = re.compile(r"当前(?:是)?第\s*(\d{1,5})\s*页|第\s*(\d{1,5})\s*/\s*\d{1,5}\s*页")


def current_page_from_text(text: str) -> int | None:
    """The page number a listing says it is (当前第3页, 第3/12页)."""
    m = _CURRENT.search(text)
    if not m:
        return None
    n = int(m.group(1) or m.group(2))
    return n if n >= 1 else None


def page_count_from_text(text: str) -> int | None:
    for rx in _COUNT_PATTERNS:
        m = rx.search(text)
        if m:
            n = int(m.group(1))
            if n >= 1:
                return n
    return None


@dataclass
class PagingAnchor:
    el: etree._Element
    kind: str  # next | last | prev | num
    url: str | None
    num: int | None = None
    js_functional: bool = False


def classify_anchors(doc: etree._Element, base: str) -> list[PagingAnchor]:
    out: list[PagingAnchor] = []
    for a in doc.iter("a"):
        text = norm_text(a.text_content())
        if not text:
            text = norm_text(a.get("title"))
        if not text or len(text) > 12:
            continue
        kind = None
        num = None
        if _NEXT.match(text) or text in _NEXT_SYMBOLS:
            kind = "next"
        elif _LAST.match(text):
            kind = "last"
        elif _PREV.match(text) or text in _PREV_SYMBOLS:
            kind = "prev"
        else:
            m = _NUM.match(text)
            if m:
                kind, num = "num", int(m.group(1))
        if kind is None:
            continue
        href = (a.get("href") or "").strip()
        out.append(
            PagingAnchor(
                el=a,
                kind=kind,
                url=resolve(base, href),
                num=num,
                js_functional=bool(_JS_FUNCTIONAL.match(href)),
            )
        )
    # Numbered links count only when they come in a run (pagination bars), not lone digits.
    nums = [p for p in out if p.kind == "num"]
    if len(nums) < 2 and not any(p.kind in ("next", "last") for p in out):
        out = [p for p in out if p.kind != "num"]
    return out


@dataclass
class Paging:
    next_urls: list[str]
    last_page: bool
    page_count: int | None
    found: bool  # whether any pagination mechanism was seen


def generic_paging(
    anchors: list[PagingAnchor],
    own_url: str,
    raw_text: str,
    max_pages: int,
    ahead: int = UNBOUNDED,
) -> Paging:
    own = own_url
    nexts = [p for p in anchors if p.kind == "next"]
    lasts = [p for p in anchors if p.kind == "last"]
    nums = [p for p in anchors if p.kind == "num" and p.url]
    next_url = next((p.url for p in nexts if p.url and p.url != own), None)
    last_url = next((p.url for p in lasts if p.url), None)
    js_next = any(p.js_functional for p in nexts)
    found = bool(nexts or lasts or nums)

    text_count = page_count_from_text(raw_text)

    # Find the URL template from the most telling link.
    tpl = None
    for u in (last_url, next_url, *(p.url for p in nums)):
        if u:
            tpl = template_of(u)
            if tpl:
                break
    if tpl is None:
        own_tpl = template_of(own)
        if own_tpl is not None and (text_count or next_url):
            tpl = own_tpl
    if tpl is None:
        nu = [next_url] if next_url else []
        return Paging(
            next_urls=nu if max_pages > 1 else [],
            last_page=not nu and not js_next,
            page_count=text_count,
            found=found or text_count is not None,
        )

    def n_of(u: str | None) -> int | None:
        if not u:
            return None
        t = template_of(u)
        return t.n if t is not None and t.ident == tpl.ident else None

    own_n = n_of(own)
    next_n = n_of(next_url)
    last_n = n_of(last_url)
    # Number of the first page in this URL scheme.
    first = None
    for p in nums:
        n = n_of(p.url)
        if n is not None:
            first = n - p.num + 1
            break
    if first is None and own_n is None and next_n is not None and _first_page_of(tpl, own):
        first = next_n - 1
    current = current_page_from_text(raw_text)
    if first is None and own_n is not None and current is not None and current <= own_n + 1:
        first = own_n - current + 1  # 当前第3页 on index_3.html: index_N is page N
    guessed = first is None  # index_N is page N+1 (TRS) or page N: the link may tell
    if first is None:
        stem = tpl.pre.rsplit("/", 1)[-1].lower() if tpl.kind == "p" else ""
        first = 0 if stem == "index_" else 1
        guessed = stem == "index_"
    if own_n is None:
        own_n = first
    if last_n is None and text_count:
        last_n = first + text_count - 1
    if last_n is not None:
        page_count = last_n - first + 1
        urls = []
        for n in range(own_n + 1, min(last_n, own_n + ahead) + 1):
            if n - first >= max_pages:
                break
            u = tpl.make(n)
            if u != own:
                urls.append(u)
        if guessed and not urls and next_n == last_n + 1 and own_n == last_n:
            # index_N guessed as page N+1 says this is the last page, yet the page links the
            # one after: it is numbered N, and that link is its last page (one past the
            # guess, never further: a server that clamps a page number cannot loop a walk)
            return Paging(next_urls=[next_url], last_page=False, page_count=page_count, found=True)
        return Paging(next_urls=urls, last_page=own_n >= last_n, page_count=page_count, found=True)
    beyond: list[str] = []
    for p in nums:
        n = n_of(p.url)
        if (
            n is not None
            and own_n < n <= own_n + ahead
            and p.url not in beyond
            and n - first < max_pages
        ):
            beyond.append(p.url)
    urls = [next_url] if next_url else beyond
    if own_n - first + 1 >= max_pages:
        urls = []
    return Paging(
        next_urls=urls,
        last_page=not next_url and not beyond and not js_next,
        page_count=text_count,
        found=True,
    )
