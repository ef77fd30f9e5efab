"""Generic listing-block detection: find the repeated block of dated notice links.

Pure: lxml only.  The block is found structurally:

1. every usable ``<a href>`` is grouped by its tag path (tags only, plus the column of a table
   cell, the position among sibling links and the class of inline wrappers);
2. inside a group, each link's *row* is its highest ancestor holding no other link of the group
   (``li``, ``tr``, ``div.item``…); rows sharing a container (and sibling containers of one
   parent, such as the avalon ``$showStatic`` groups of the Fujian template) form a block;
3. a block scores by its dated rows, weighted by class/id hints (sidebar, hot news, footer, nav
   count less; a block next to the pagination counts more); the best block wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from crawler.parse.files.kinds import LINKED_FILE_EXTS
from crawler.parse.notice.dates import NUMERIC_DATE
from crawler.schema.records import ListingEntry

# --- dates -------------------------------------------------------------------------------------

_FULL_DATE = re.compile(NUMERIC_DATE)
_MONTH_DAY = re.compile(r"(?<![\d/.\-])(\d{1,2})\s*[-/月]\s*(\d{1,2})(?![\d/.\-:])\s*日?")
# Dates written into notice URLs: TRS /202109/t20210924_…, Hanweb /art/2021/9/24/…
_URL_DATE = re.compile(r"(?<!\d)(20\d{2})[/-]?(\d{1,2})[/-]?(\d{1,2})(?!\d)")
_URL_DATE_8 = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_URL_DATE_SLASH = re.compile(r"/(20\d{2})/(\d{1,2})/(\d{1,2})/")


def _valid(y: int, m: int, d: int) -> bool:
    return 1990 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31


def find_date(text: str, allow_month_day: bool = True) -> tuple[bool, str | None, str | None]:
    """(found, iso date or None, matched text).  The last full date wins (list tables put the
    publish date last); a bare MM-DD counts as found with an unknown year."""
    found = None
    for m in _FULL_DATE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if _valid(y, mo, d):
            found = (f"{y:04d}-{mo:02d}-{d:02d}", m.group(0))
    if found:
        return True, found[0], found[1]
    if allow_month_day:
        for m in _MONTH_DAY.finditer(text):
            mo, d = int(m.group(1)), int(m.group(2))
            if 1 <= mo <= 12 and 1 <= d <= 31:
                found = (f"--{mo:02d}-{d:02d}", m.group(0))
        if found:
            return True, found[0], found[1]
    return False, None, None


def _year_from_url(url: str, month_day: str) -> str | None:
    """A bare MM-DD gets its year from a date written in the notice URL, when they agree."""
    mo, d = int(month_day[2:4]), int(month_day[5:7])
    for rx in (_URL_DATE_SLASH, _URL_DATE_8, _URL_DATE):
        for m in rx.finditer(url):
            y, um, ud = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if _valid(y, um, ud) and (um, ud) == (mo, d):
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


# --- links -------------------------------------------------------------------------------------

ATTACHMENT_EXTS = LINKED_FILE_EXTS  # a link to a file, never a notice
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "ftp:")
_WS = re.compile(r"\s+")


def norm_text(s: str | None) -> str:
    return _WS.sub(" ", s or "").strip()


@lru_cache(maxsize=64)
def _base_parts(base: str) -> tuple[str, str, str] | None:
    """(scheme, 'scheme://netloc', directory URL ending in '/') of a plain base URL."""
    p = urlsplit(base)
    if p.scheme not in ("http", "https") or not p.netloc:
        return None
    root = f"{p.scheme}://{p.netloc}"
    path = p.path or "/"
    return p.scheme, root, root + path[: path.rfind("/") + 1]


_URL_WS = {9: None, 10: None, 13: None}


def resolve(base: str, href: str | None) -> str | None:
    """Absolute URL of a link, or None for unusable ones (javascript:, '#', templates)."""
    if not href:
        return None
    href = href.strip()
    if "\n" in href or "\r" in href or "\t" in href:  # browsers drop them (WHATWG URL)
        href = href.translate(_URL_WS)
    if not href or href[0] == "#" or "{{" in href:
        return None
    low = href[:12].lower()
    if low.startswith(_SKIP_SCHEMES):
        return None
    href = href.split("#", 1)[0]
    bp = _base_parts(base)
    # Fast paths for the common shapes; anything unusual goes through urljoin.
    if bp is not None and "\\" not in href and " " not in href:
        if low.startswith(("http://", "https://")):
            if "/./" not in href and "/../" not in href:
                return href if href.count("/") > 2 else href + "/"
        elif href[0] == "/" and not href.startswith("//"):
            if "/./" not in href and "/../" not in href:
                return bp[1] + href
        elif href[0] not in "?./" and ":" not in href.split("/", 1)[0]:
            if "/./" not in href and "/../" not in href:
                return bp[2] + href
        elif href.startswith("./") and "/./" not in href[1:] and "/../" not in href:
            return bp[2] + href[2:]
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def is_attachment(url: str) -> bool:
    path = url.split("?", 1)[0].split("#", 1)[0]
    last = path.rsplit("/", 1)[-1].lower()
    return "." in last and last.rsplit(".", 1)[-1] in ATTACHMENT_EXTS


def strip_fragment(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path or "/", p.query, ""))


# --- documents ---------------------------------------------------------------------------------

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def parse_html(text: str) -> etree._Element | None:
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def all_scripts(doc: etree._Element) -> list:
    """Every <script> of the document, those after </html> too: libxml2 keeps them in a tree
    of their own, which iterating from the root does not reach (XPath does)."""
    return doc.xpath("//script")


def base_url(doc: etree._Element, url: str) -> str:
    for b in doc.iter("base"):
        href = (b.get("href") or "").strip()
        if href:
            return urljoin(url, href)
    return url


# --- block detection ---------------------------------------------------------------------------

_INLINE = frozenset("span em font strong b i u small label h1 h2 h3 h4 h5 h6".split())
_CELL = frozenset(("td", "th"))
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_NEG_EXACT = frozenset(
    "hot hots rank ranking side sidebar aside footer foot nav menu header head top banner yqlj "
    "friend friends link links related xgwz xgxx xgwj phb djph rmwz rdxw rmxw tuijian recommend "
    "copyright share bdshare".split()
)
_NEG_PREFIX = ("hot", "side", "rank", "foot", "nav", "menu", "friend", "related", "yqlj", "header")
_POS_PREFIX = ("list", "main", "content", "tzgg", "gsgg", "news", "article", "info", "data")


def _hint_tokens(el: etree._Element) -> list[str]:
    s = ((el.get("class") or "") + " " + (el.get("id") or "")).lower()
    return [t for t in _TOKEN_SPLIT.split(s) if t]


def _is_negative(tokens: list[str]) -> bool:
    return any(t in _NEG_EXACT or t.startswith(_NEG_PREFIX) for t in tokens)


def _is_positive(tokens: list[str]) -> bool:
    return any(t.startswith(_POS_PREFIX) or "list" in t for t in tokens)


def _tag(el: etree._Element) -> str:
    t = el.tag
    return t.lower() if isinstance(t, str) else ""


def _path_key(a: etree._Element) -> tuple:
    parts: list = []
    parent = a.getparent()
    nth = 0
    if parent is not None:
        # Position among the links of a row ("[类别] 标题"); a parent holding many links
        # is a container of unwrapped rows, not a row.
        sibs = [sib for sib in parent if _tag(sib) == "a"]
        if len(sibs) <= 2:
            for sib in sibs:
                if sib is a:
                    break
                nth += 1
    parts.append(("a", nth))
    el = parent
    while el is not None:
        t = _tag(el)
        if t in _CELL:
            p = el.getparent()
            col = 0
            if p is not None:
                for sib in p:
                    if sib is el:
                        break
                    if _tag(sib) in _CELL:
                        col += 1
            parts.append((t, col))
        elif t in _INLINE:
            parts.append((t, el.get("class") or ""))
        else:
            parts.append(t)
        el = el.getparent()
    return tuple(parts)


def _text_outside(row: etree._Element, a: etree._Element) -> str:
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el is a:
            return
        if el.text and isinstance(el.tag, str):
            parts.append(el.text)
        for ch in el:
            if isinstance(ch.tag, str):
                walk(ch)
            if ch.tail:
                parts.append(ch.tail)

    walk(row)
    return " ".join(parts)


@dataclass
class _Row:
    a: etree._Element
    row: etree._Element
    url: str
    title: str | None
    date: str | None
    dated: bool


@dataclass
class Block:
    rows: list[_Row]
    container: etree._Element
    score: float
    dated: int
    avg_len: float
    weight: float = 1.0

    def entries(self) -> list[ListingEntry]:
        return entries_from_rows(self.rows)


def entries_from_rows(rows: list[_Row]) -> list[ListingEntry]:
    out: list[ListingEntry] = []
    seen: dict[str, ListingEntry] = {}
    for r in rows:
        e = seen.get(r.url)
        if e is not None:
            if e.title is None and r.title:
                e.title = r.title
            if e.date is None and r.date:
                e.date = r.date
            continue
        e = ListingEntry(url=r.url, title=r.title, date=r.date)
        seen[r.url] = e
        out.append(e)
    return out


_TRUNCATED = ("...", "…", "..", "．．．")


def link_title(a: etree._Element, date_text: str | None = None) -> str | None:
    text = norm_text(a.text_content())
    if date_text and date_text in text:
        text = norm_text(text.replace(date_text, " ", 1)).strip("[]【】()（） ")
    attr = norm_text(a.get("title"))
    if attr and (
        not text
        or text.endswith(_TRUNCATED)
        or (len(attr) > len(text) and attr.startswith(text.rstrip(".…")))
    ):
        return attr
    return text or attr or None


def _row_date(r_el: etree._Element, a: etree._Element, url: str, group_ids: set):
    """Find the date of one row: outside the link first, then inside it."""
    rest = _text_outside(r_el, a) if r_el is not a else ""
    if r_el is a:
        # Unwrapped rows: <a>title</a><span>date</span><br><a>…: read up to the next link.
        bits = [a.tail or ""]
        sib = a.getnext()
        n = 0
        while sib is not None and n < 3:
            if sib in group_ids or (isinstance(sib.tag, str) and _tag(sib) == "a"):
                break
            if isinstance(sib.tag, str):
                bits.append(sib.text_content())
            bits.append(sib.tail or "")
            sib = sib.getnext()
            n += 1
        rest = " ".join(bits)
    found, iso, matched = find_date(rest)
    inside = None
    if not found:
        found, iso, matched = find_date(a.text_content(), allow_month_day=False)
        if found:
            inside = matched
    if iso and iso.startswith("--"):
        iso = _year_from_url(url, iso)
    return found, iso, inside


def find_blocks(doc: etree._Element, base: str, paging_anchors: set | None = None) -> list[Block]:
    """All candidate blocks of the document, best first."""
    paging_anchors = paging_anchors or set()
    anchors: list[tuple[etree._Element, str]] = []
    for a in doc.iter("a"):
        if a in paging_anchors:
            continue
        url = resolve(base, a.get("href"))
        if url is None or is_attachment(url):
            continue
        anchors.append((a, url))
    if not anchors:
        return []

    # Count all candidate links under each element (for single-link groups).
    all_count: dict[int, int] = {}
    for a, _ in anchors:
        for anc in a.iterancestors():
            all_count[anc] = all_count.get(anc, 0) + 1

    groups: dict[tuple, list[tuple[etree._Element, str]]] = {}
    for a, url in anchors:
        groups.setdefault(_path_key(a), []).append((a, url))

    paging_near = _paging_neighbourhood(doc, paging_anchors)
    blocks: list[Block] = []
    for members in groups.values():
        counts: dict[int, int] = {}
        if len(members) > 1:
            for a, _ in members:
                for anc in a.iterancestors():
                    counts[anc] = counts.get(anc, 0) + 1
        group_ids = {a for a, _ in members}
        clusters: dict[tuple, list[tuple[etree._Element, etree._Element, str]]] = {}
        order: list[tuple] = []
        climbed: list[tuple[etree._Element, str, etree._Element, int]] = []
        for a, url in members:
            node = a
            up = 0
            while True:
                p = node.getparent()
                if p is None or _tag(p) in ("body", "html"):
                    break
                if len(members) > 1:
                    if counts.get(p, 0) >= 2:
                        break
                elif all_count.get(p, 0) > all_count.get(node, 1):
                    break
                node = p
                up += 1
            climbed.append((a, url, node, up))
        if len(climbed) > 2:
            # A lone link in a sparse group (the last avalon group holding one item) climbs
            # higher than its peers: bring its row down to the usual row level.
            ups: dict[int, int] = {}
            for *_, up in climbed:
                ups[up] = ups.get(up, 0) + 1
            usual = max(ups.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            fixed = []
            for a, url, row, up in climbed:
                if up > usual:
                    row = a
                    for _ in range(usual):
                        row = row.getparent()
                fixed.append((a, url, row, up))
            climbed = fixed
        for a, url, row, _up in climbed:
            container = row.getparent()
            if container is None:
                continue
            key = _merge_key(container)
            if key not in clusters:
                clusters[key] = []
                order.append(key)
            clusters[key].append((a, row, url))
        for key in order:
            items = clusters[key]
            rows: list[_Row] = []
            for a, row, url in items:
                found, iso, inside = _row_date(row, a, url, group_ids)
                rows.append(
                    _Row(a=a, row=row, url=url, title=link_title(a, inside), date=iso, dated=found)
                )
            container = items[0][1].getparent()
            blocks.append(_score(rows, container, paging_near))
    blocks.sort(key=lambda b: (b.score, len(b.rows), b.avg_len), reverse=True)
    return blocks


def _merge_key(container: etree._Element) -> tuple:
    # avalon.js static groups (Fujian): merge every group shown by $showStatic(...).
    el = container
    for _ in range(4):
        if el is None:
            break
        if "showstatic" in (el.get("ms-visible") or "").lower():
            return ("static", el.getparent())
        el = el.getparent()
    parent = container.getparent()
    return (
        "sib",
        parent if parent is not None else container,
        _tag(container),
        container.get("class") or "",
    )


def _paging_neighbourhood(doc: etree._Element, paging_anchors: set) -> set:
    """ids of elements that contain the pagination (links or the createPageHTML script)."""
    near: set = set()
    nodes: list[etree._Element] = []
    if paging_anchors:
        for a in doc.iter("a"):
            if a in paging_anchors:
                nodes.append(a)
    for s in doc.iter("script"):
        if s.text and ("createPageHTML" in s.text or "countPage" in s.text):
            nodes.append(s)
    for n in nodes:
        for anc in n.iterancestors():
            near.add(anc)
    return near


def _score(rows: list[_Row], container: etree._Element, paging_near: set) -> Block:
    dated = sum(1 for r in rows if r.dated)
    lens = [len(r.title or "") for r in rows]
    avg_len = sum(lens) / len(lens) if lens else 0.0
    weight = 1.0
    el = container
    neg = pos = False
    for _ in range(7):
        if el is None or _tag(el) in ("body", "html"):
            break
        toks = _hint_tokens(el)
        if _tag(el) in ("nav", "footer", "header", "aside"):
            neg = True
        if toks:
            neg = neg or _is_negative(toks)
            pos = pos or _is_positive(toks)
        el = el.getparent()
    if neg:
        weight *= 0.3
    if pos:
        weight *= 1.3
    el = container
    for _ in range(3):
        if el is None:
            break
        if el in paging_near:
            weight *= 2.0
            break
        el = el.getparent()
    if avg_len < 4:
        weight *= 0.5
    return Block(
        rows=rows,
        container=container,
        score=dated * weight,
        dated=dated,
        avg_len=avg_len,
        weight=weight,
    )


def best_block(doc: etree._Element, base: str, paging_anchors: set | None = None) -> Block | None:
    """The listing block: the best-scoring dated block, or failing that a large undated block
    of long link texts outside navigation."""
    blocks = find_blocks(doc, base, paging_anchors)
    for b in blocks:
        if b.dated >= 1:
            return b
    undated = [b for b in blocks if len(b.rows) >= 5 and b.avg_len >= 8 and b.weight >= 0.9]
    if undated:
        undated.sort(key=lambda b: len(b.rows) * b.avg_len, reverse=True)
        return undated[0]
    return None
