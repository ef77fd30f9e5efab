"""`tzgg probe URL`: what tzgg would make of a listing page, before any registry entry exists.

Fetch one listing page, run the listing parser on it as a crawl would (with the site's
overrides, when the registry has any), extract the first notice it lists, and, when nothing
is found, say what the page looks like and which override or URL to try.  No Scrapy, no
SQLite: crawler.sites.fetch for the two fetches (bounded as a crawl's), the pure listing and
extraction code for the rest.

    report = probe(url, overrides)      # the dict `tzgg probe --json` prints
    print(format_report(report))
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from crawler.parse.listing import _ARTICLE_MARKS, _DETAIL_URL, is_listing, parse_listing
from crawler.parse.listing.generic import (
    _hint_tokens,
    _is_negative,
    is_attachment,
    norm_text,
    parse_html,
    resolve,
)
from crawler.parse.listing.hanweb import first_group_url
from crawler.parse.listing.sources import is_service, script_requests, single_page_app, visible_text
from crawler.parse.listing.window import following
from crawler.parse.notice import classify_page, decode_html, extract_notice
from crawler.parse.notice.overrides import Overrides
from crawler.parse.notice.text import HIDDEN_STYLE
from crawler.schema.fields import scalars
from crawler.schema.records import NOTICE_FIELDS
from crawler.sites.fetch import Fetched, FetchError, fetch

FAMILIES = ("trs", "hanweb", "jyh", "fujian", "generic")
SAMPLE_CHARS = 120  # of the first notice's body, in the text report


# -- the probe -------------------------------------------------------------------------------


def probe(url: str, overrides: Overrides | None = None, site: str | None = None, get=fetch) -> dict:
    """The report of one listing URL (see `tzgg probe --help` for its keys).  `get` fetches
    (a test may pass its own)."""
    got = get(url)
    charset = (overrides.encoding if overrides else None) or got.charset
    text, encoding = decode_html(got.body, charset)
    report: dict = {
        "url": url,
        "final_url": got.final_url,
        "status": got.status,
        "encoding": encoding,
        "site": site,
        "overrides": _override_names(overrides),
        "cms": "generic",
        "items": [],
        "next_page": None,
        "pages": None,
        "last_page": True,
        "sample": None,
        "hints": [],
    }
    if got.status >= 400:
        report["hints"] = _http_hints(got, text)
        return report
    page = parse_listing(text, got.final_url, overrides=overrides)
    report["cms"] = page.family if page.family in FAMILIES else "generic"
    found = bool(page.items) and is_listing(text, got.final_url, overrides)
    if not found:
        report["hints"] = _nothing_hints(text, got.final_url, page, encoding, overrides, site)
        if page.items:  # what the parser picked, though the page does not read as a list
            report["candidates"] = [_item(i) for i in page.items]
        return report
    report["items"] = [_item(i) for i in page.items]
    # a data proxy answer names no next window: the one the crawl would ask for next
    nxt = page.next_urls[0] if page.next_urls else following(got.final_url, text)
    report["next_page"] = nxt
    report["pages"] = page.page_count
    report["last_page"] = page.last_page
    report["sample"], report["hints"] = _sample(page.items[0].url, overrides, get)
    if _garbled(text):
        report["hints"].append(_garbled_hint(encoding))
    return report


def _item(entry) -> dict:
    return {"title": entry.title, "date": entry.date, "url": entry.url}


def _override_names(ov: Overrides | None) -> list[str]:
    if ov is None:
        return []
    names = [*ov.selectors, *(k for k in ov.labels if k not in ov.selectors)]
    names += [k for k in ("encoding", "listing", "next_page") if getattr(ov, k)]
    return names


def _sample(url: str, ov: Overrides | None, get) -> tuple[dict | None, list[str]]:
    """(the first notice as extracted, hints about it)."""
    try:
        got = get(url)
    except FetchError as exc:
        return None, [f"the first notice could not be fetched: {exc}"]
    if got.status >= 400:
        return None, [f"the first notice answered HTTP {got.status} {got.reason} ({url})"]
    charset = (ov.encoding if ov else None) or got.charset
    notice = extract_notice(got.body, got.final_url, charset, ov)
    d = notice.to_dict()
    d.pop("body_html", None)
    hints = []
    kind, phrase = classify_page(notice.title, notice.body, decode_html(got.body, charset)[0])
    if kind != "ok":
        what = {"blocked": "blocks the probe", "login_wall": "is a login wall"}.get(
            kind, "says the page is gone"
        )
        hints.append(f"the first notice's page {what} (“{phrase}”): {url}")
    elif not notice.body:
        hints.append('the first notice has no body text: name its container with body = "…"')
    if kind == "ok" and not notice.published:
        hints.append(
            "the first notice has no publish date: name its label with "
            'published = { labels = ["发布时间"] } (or a selector)'
        )
    return d, hints


# -- why nothing was found -----------------------------------------------------------------

_COLUMN_WORDS = ("通知公告", "公示公告", "公告公示", "通知通告", "公告", "通知", "公示")
_BLOCK_WORDS = ("访问过于频繁", "访问频率过高", "请求过于频繁", "$_ts", "安全防护", "防火墙")
_PAGE_URL = re.compile(r"\.(?:html?|shtml)(?:[?#]|$)", re.I)
_CLASS_TOKEN = re.compile(r"^-?[A-Za-z_][\w-]*$")
_ROW_TAGS = ("li", "tr", "div", "p", "dd", "dt", "td")


def _http_hints(got: Fetched, text: str) -> list[str]:
    s = got.status
    seen = next((w for w in _BLOCK_WORDS if w in text), None)
    if s in (403, 412, 429) or seen:
        why = f", its page says “{seen}”" if seen and seen != "$_ts" else ""
        if seen == "$_ts" or s == 412:
            why = " (an anti-bot JavaScript challenge)"
        return [
            f"the site blocks the probe: HTTP {s} {got.reason}{why}; a crawl from here would be "
            "blocked too: try later, more slowly, or from another network"
        ]
    if s in (404, 410):
        return [
            f"HTTP {s} {got.reason}: no page at this URL; open the site's 通知公告 column in a "
            "browser and probe the address it shows"
        ]
    return [f"the site answered HTTP {s} {got.reason}: try again later"]


def _nothing_hints(
    text: str, url: str, page, encoding: str, ov: Overrides | None, site: str | None
) -> list[str]:
    hints: list[str] = []
    doc = parse_html(text)
    kind, phrase = classify_page(None, "", text)
    if kind == "blocked":
        return [
            f"the site blocks the probe: its page says “{phrase}”; a crawl from here would be "
            "blocked too: try later, more slowly, or from another network"
        ]
    if kind == "soft_404":
        hints.append(f"the page says “{phrase}”: the column may have moved; probe its new URL")
    if _garbled(text):
        hints.append(_garbled_hint(encoding))
    if ov is not None and ov.listing is not None:
        hints.append(
            f"the `listing` override ({ov.listing.path}) picks no notice link on this page: "
            "check it against the page's HTML"
        )
    if doc is None:
        return hints + ["the page is empty"]
    base = url
    if _ARTICLE_MARKS.search(text) or _DETAIL_URL.search(urlsplit(url).path):
        column = _column_link(doc, base)
        where = f" {column}" if column else " (the 通知公告 link of its breadcrumb)"
        hints.append(
            f"this looks like a single notice (an article page), not a listing: probe its "
            f"column{where}"
        )
        return hints
    hints += _elsewhere_hints(text, doc, url)
    app = single_page_app(doc)
    if app is not None:
        hints.append(
            f"this page is {app}: the browser builds its content with JavaScript, and crawling "
            "single-page apps is out of scope for tzgg; look for the column on a page the "
            "server sends whole (the site's 政府信息公开 platform, or an older column page)"
        )
    visible = norm_text(visible_text(doc))
    links = _content_links(doc, base)
    if len(links) < 3 or len(visible) < 100:
        hints.append(
            f"the page is tiny ({len(visible)} characters of text, {len(links)} links with a "
            "title): it is probably rendered by JavaScript; tzgg reads the HTML the server sends"
        )
    guess = _guess_listing(doc, base) if ov is None or ov.listing is None else None
    if guess is not None:
        selector, n = guess
        key = site or _key_for(url)
        hints.append(
            f"{n} links sit in {selector.rsplit(' ', 1)[0]}, without dates the parser trusts; "
            f"if they are the notices, add to the site's registry entry (sites.toml): "
            f'[sites.{key}.overrides] listing = "{selector}"'
        )
    if not hints:
        hints.append(
            "no list of dated notice links found: name the links with a `listing` override "
            "in the site's registry entry (a CSS selector, or xpath:…) and probe with --registry"
        )
    return hints


def _key_for(url: str) -> str:
    """A registry key to show in a hint: the host's first name that is not `www`."""
    host = urlsplit(url).hostname or ""
    names = [n for n in host.split(".") if n and n != "www"]
    return names[0] if names and not names[0].isdigit() else "mysite"


def _content_links(doc, base: str) -> list:
    """Links that could be notices: resolvable, not files, with a title-like text."""
    out = []
    for a in doc.iter("a"):
        url = resolve(base, a.get("href"))
        if url is None or is_attachment(url):
            continue
        if len(norm_text(a.text_content()) or norm_text(a.get("title"))) >= 6:
            out.append(a)
    return out


def _column_link(doc, base: str) -> str | None:
    for word in _COLUMN_WORDS:
        for a in doc.iter("a"):
            if norm_text(a.text_content()) == word:
                url = resolve(base, a.get("href"))
                if url:
                    return url
    return None


def _elsewhere_hints(text: str, doc, url: str) -> list[str]:
    """The list may live at another URL: Hanweb's data proxy, an iframe, a script's request."""
    hints = []
    if "dataproxy.jsp" in text:
        hints.append(
            "the list is loaded from Hanweb's data proxy (dataproxy.jsp): probe "
            f"{first_group_url(text, url)}"
        )
    for frame in doc.iter("iframe", "frame"):
        src = resolve(url, frame.get("src"))
        if src and src != url and not is_attachment(src) and not _hidden_or_service(frame, src):
            hints.append(
                f"the page shows another page in an <iframe>, likely the list: probe {src}"
            )
    calls = [
        r
        for r in script_requests(doc, url)
        if "dataproxy.jsp" not in r.url and not _PAGE_URL.search(r.url)
    ]
    lists = [r for r in calls if r.is_list]
    for r in lists[:3]:
        why = f" ({', '.join(r.signals)})" if r.signals else ""
        then = (
            "tzgg reads the HTML a server sends, and cannot crawl a JSON API queried by POST"
            if r.method == "POST"
            else "probe that URL: an HTML or XML list can be crawled, a JSON API not yet"
        )
        hints.append(f"a script loads data from {r.url}: the list, by the look of it{why}; {then}")
    if not lists:  # nothing looks like the list: name what the scripts ask for at all
        for r in calls[:3]:
            hints.append(
                f"a script loads data from {r.url}: probe that URL (an HTML or XML list can "
                "be crawled; a JSON API needs a parser tzgg does not have yet)"
            )
    return hints


def _hidden_or_service(frame, src: str) -> bool:
    """A frame nobody sees (a login check, a counter) or one of a service: not the list."""
    if is_service(src):
        return True
    if frame.get("width") in ("0", "1") or frame.get("height") in ("0", "1"):
        return True
    for el in (frame, *frame.iterancestors()):
        if el.get("hidden") is not None or HIDDEN_STYLE.search(el.get("style") or ""):
            return True
    return False


def _guess_listing(doc, base: str) -> tuple[str, int] | None:
    """A `listing` selector for the most repeated container of title-like links: the nearest
    classed ancestor holding most of them, outside navigation and sidebars."""
    links = _content_links(doc, base)
    # every classed element holding 3 links or more; a link's container is the nearest one
    counts: Counter = Counter()
    for a in links:
        for anc in a.iterancestors():
            if anc.tag in ("body", "html"):
                break
            if _class_token(anc):
                counts[anc] += 1
    holders: Counter = Counter()
    for a in links:
        for anc in a.iterancestors():
            if anc.tag in ("body", "html"):
                break
            if counts.get(anc, 0) >= 3:
                holders[anc] += 1
                break
    ranked = [
        (n, el)
        for el, n in holders.items()
        if n >= 3 and not _is_negative(_hint_tokens(el)) and el.tag not in ("a", "span", "font")
    ]
    if not ranked:
        return None
    n, box = max(ranked, key=lambda t: t[0])
    selector = f"{box.tag}.{_class_token(box)}"
    inside = [a for a in links if box in set(a.iterancestors())]
    rows = []
    for a in inside:
        row = a
        while row.getparent() is not None and row.getparent() is not box:
            row = row.getparent()
        rows.append(row)
    tags = {r.tag for r in rows}
    if len(set(rows)) == len(inside) and len(tags) == 1 and next(iter(tags)) in _ROW_TAGS:
        return f"{selector} {next(iter(tags))}", n
    return f"{selector} a", n


def _class_token(el) -> str | None:
    for tok in (el.get("class") or "").split():
        if _CLASS_TOKEN.match(tok):
            return tok
    return None


_LATIN_MOJIBAKE = re.compile(r"[\u00c0-\u00ff][\u0080-\u00bf]")


def _garbled(text: str) -> bool:
    """Mojibake: replacement characters, GBK-via-UTF-8 '锟斤拷', UTF-8 read as Latin-1."""
    n = max(len(text), 1)
    bad = text.count("\ufffd")
    if bad >= 10 and bad * 200 > n or "锟斤拷" in text:
        return True
    return len(_LATIN_MOJIBAKE.findall(text)) >= 20


def _garbled_hint(encoding: str) -> str:
    return (
        f"the text looks garbled (mojibake) when read as {encoding}: name the site's real "
        'charset in its overrides, e.g. encoding = "gbk"'
    )


# -- the text report -------------------------------------------------------------------------


def format_report(r: dict) -> str:
    lines = [f"{r['url']}"]
    if r["final_url"] != r["url"]:
        lines.append(f"  redirected to {r['final_url']}")
    via = f" · registry entry {r['site']}" if r.get("site") else ""
    used = f" ({', '.join(r['overrides'])})" if r.get("overrides") else ""
    lines.append(f"  HTTP {r['status']} · {r['encoding']} · CMS: {r['cms']}{via}{used}")
    items = r["items"]
    if items:
        lines.append(f"\n{len(items)} notices on this page:")
        for i in items:
            lines.append(f"  {i['date'] or '—':<10}  {i['title'] or '∅'}")
            lines.append(f"              {i['url']}")
        if r["next_page"]:
            pages = f" · {r['pages']} pages" if r["pages"] else ""
            lines.append(f"\npagination: next page {r['next_page']}{pages}")
        else:
            pages = f" (page {r['pages']} of {r['pages']})" if r["pages"] else ""
            lines.append(f"\npagination: none, this is the only or the last page{pages}")
    else:
        lines.append("\nno notices found on this page")
        seen = r.get("candidates") or []
        if seen:
            lines.append(f"  links seen, but not a dated list tzgg trusts ({len(seen)}):")
        for c in seen[:10]:
            lines.append(f"    {c['title'] or '∅'}  {c['url']}")
    s = r["sample"]
    if s:
        lines.append(f"\nfirst notice: {s['url']}")
        for name in scalars(NOTICE_FIELDS):
            lines.append(f"  {name}: {s.get(name) or '∅'}")
        lines.append(f"  attachments: {len(s.get('attachments') or [])}")
        body = norm_text(s.get("body") or "")
        more = "…" if len(body) > SAMPLE_CHARS else ""
        lines.append(f"  body: {len(s.get('body') or '')} characters: {body[:SAMPLE_CHARS]}{more}")
    if r["hints"]:
        lines.append("\nhints:")
        lines.extend(f"  - {h}" for h in r["hints"])
    return "\n".join(lines)
