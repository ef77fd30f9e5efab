"""Jiangxi 集约化 platform (Ucap) lists.

Lists live at ``…/<columnCode>/list.shtml`` (then ``list_2.shtml``…) or at query templates such
as ``xxgk.shtml?code=<code>&temp=<temp>&page=N``; notices at
``/<siteCode>/<columnCode>/<yyyymm>/<32-hex id>.shtml``.  The page-number links are handled by the
generic pagination; this module detects the family and, when the page only states a page count
("共N页", ``pageCount = N``), builds the page URLs from its own URL.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .family import Evidence, Family, Page, Paging
from .pagination import UNBOUNDED, page_count_from_text

_JYH_ITEM = re.compile(r"/[0-9a-f]{32}\.shtml\b", re.I)
_JYH_MARK = re.compile(r"<ucap|/ucap|ucapcms|ucap[-_]", re.I)
_LIST_N = re.compile(r"^(.*/list)(?:_(\d+))?\.shtml$", re.I)


def looks_jyh(text: str, url: str, item_urls: list[str]) -> bool:
    if item_urls and sum(1 for u in item_urls if _JYH_ITEM.search(u)) * 2 >= len(item_urls):
        return True
    parts = urlsplit(url)
    path = parts.path.lower()
    if path.endswith(".shtml") and "code=" in parts.query.lower():
        return True
    shtml = path.endswith(".shtml") or (
        bool(item_urls)
        and sum(1 for u in item_urls if urlsplit(u).path.endswith(".shtml")) * 2 >= len(item_urls)
    )
    return shtml and ("ucap" in text or "UCAP" in text) and bool(_JYH_MARK.search(text))


def pages_from_count(
    url: str, count: int, max_pages: int, ahead: int = UNBOUNDED
) -> tuple[list[str], int]:
    """(further page URLs, own page number) for a page that only tells its page count."""
    parts = urlsplit(url)
    m = _LIST_N.match(parts.path)
    if m:
        own = int(m.group(2) or 1)
        urls = [
            urlunsplit((parts.scheme, parts.netloc, f"{m.group(1)}_{n}.shtml", parts.query, ""))
            for n in range(own + 1, min(count, max_pages, own + ahead) + 1)
        ]
        return urls, own
    if parts.query:
        q = parse_qsl(parts.query, keep_blank_values=True)
        keys = [k for k, _ in q]
        key = next((k for k in keys if k.lower() in ("page", "pagenum", "pageno")), "page")
        own_v = dict(q).get(key, "1")
        own = int(own_v) if own_v.isdigit() else 1
        urls = []
        for n in range(own + 1, min(count, max_pages, own + ahead) + 1):
            nq = [(k, str(n) if k == key else v) for k, v in q]
            if key not in keys:
                nq.append((key, str(n)))
            urls.append(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(nq), "")))
        return urls, own
    return [], 1


class Jyh(Family):
    name = "jyh"

    def detect(self, page: Page) -> Evidence:
        return Evidence.MARKS if looks_jyh(page.text, page.url, page.item_urls) else Evidence.NONE

    def more_pages(self, page: Page, walked: Paging) -> Paging:
        """The pages a stated page count makes known, where the links named none."""
        if walked.next_urls:
            return walked
        count = walked.page_count or page_count_from_text(page.plain)
        if count:
            urls, own_n = pages_from_count(page.url, count, page.max_pages, page.ahead)
            if urls or own_n >= count:
                return Paging(urls, own_n >= count, count, True)
        return walked


FAMILY = Jyh()
