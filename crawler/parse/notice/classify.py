"""Is a fetched page a notice, a soft 404 (removed notice), a block page or a login wall?

Phrases (页面不存在, 访问过于频繁 …) judge only pages without an article's structure (see
structure.py): a notice that says 已撤销 or 验证码 in its own words stays a notice."""

from __future__ import annotations

import re

from .structure import NO_SHAPE, page_shape, says_only
from .text import fold_ws

# Phrases that mean "this page is gone", strongest first.
SOFT_404 = (
    "您访问的页面不存在",
    "您要访问的页面不存在",
    "您所访问的页面不存在",
    "该信息已被删除",
    "该信息已删除",
    "该信息已撤销",
    "信息已被删除",
    "页面不存在",
    "页面已删除",
    "页面已被删除",
    "信息已删除",
    "信息不存在",
    "文章不存在",
    "内容不存在",
    "稿件不存在",
    "文档不存在",
    "找不到页面",
    "页面找不到",
    "页面未找到",
    "无法找到该页",
    "找不到您要访问的页面",
    "找不到文件或目录",
    "File or directory not found",
    "HTTP状态 404",
    "HTTP Status 404",
    "信息已撤销",
    "文章已撤销",
    "内容已撤销",
    "已撤稿",
    "404 Not Found",
    "Not Found",
    "Error 404",
    "HTTP 404",
    "404错误",
    "错误404",
    # the site being rebuilt (a migration's old URLs): the notice is no longer there
    "网站升级改版中",
    "正在升级改版",
    "升级改版中",
    "网站正在升级",
    "网站维护中",
    "系统升级维护中",
)
# Short, generic phrases: only when the page is very short.
SOFT_404_WEAK = ("已撤销", "已删除", "不存在", "404")

BLOCKED = (
    "访问过于频繁",
    "访问频率过高",
    "请求过于频繁",
    "操作过于频繁",
    "请开启JavaScript",
    "请启用JavaScript",
    "请打开JavaScript",
    "开启JavaScript",
    "启用JavaScript",
    "enable JavaScript",
    "访问被拒绝",
    "拒绝访问",
    "您的访问被阻断",
    "访问已被拦截",
    "已被拦截",
    "安全验证",
    "人机验证",
    "滑动验证",
    "请输入验证码",
    "验证码",
    "网站防火墙",
    "安全狗",
    "创宇盾",
    "云锁",
    "Web应用防火墙",
    "WAF",
    "Access Denied",
    "403 Forbidden",
    "Forbidden",
    "Too Many Requests",
    "Just a moment",
    "Checking your browser",
)
# Machine marks of challenge pages, looked for in the raw HTML of short pages.
# (Literal `in` tests on the lower-cased page: a case-insensitive regex alternation was
# most of the cost of classifying a page.)
_WAF_MARKS = tuple(
    (m.lower(), m)
    for m in (
        "__jsl_clearance",
        "_waf_",
        "wzws_cid",
        "WZWS",
        "yunsuo_session",
        "safedog",
        "jiasule",
        "__tst_status",
        "cf-browser-verification",
        "cf_chl_",
        "challenge-platform",
        "ctyun_waf",
        "ssl_waf",
        "creditwaf",
        "/_guard/",
        "HW_CHECK",
        "acw_sc__v2",
        "arg1=",
    )
)
# A page with nothing to read whose script sets a cookie or reloads itself: a JS challenge
# (its cookie name is often assembled from pieces, so no mark appears literally).
_CHALLENGE_JS = re.compile(r"document\.cookie|location\.(?:href|replace|reload)|window\.location")
_TAG = re.compile(r"<[^<>]*>")  # [^<>]: an unclosed '<' fails at the next one, not the end
# An inline script carrying a long opaque token (RS/瑞数-style challenges ship their
# obfuscated state as one string of hundreds of characters), on a page with nothing to read.
_OPEN = re.compile(r"<(script|style)\b[^<>]*>", re.I)
_OPAQUE = re.compile(r"[A-Za-z0-9_.$+/=%-]{400,}")


def _blocks(html_text: str):
    """(start, end, code start, tag) of each <script>/<style> block, found by a linear scan
    (a lazy regex would rescan to the page's end from every unclosed one); an unclosed block
    runs to the end.  (Each close is searched for from its open, in either case: lower-casing
    the whole page for it cost more than the rest of classifying.)"""
    pos = 0
    while True:
        m = _OPEN.search(html_text, pos)
        if m is None:
            return
        c = _CLOSERS[m.group(1).lower()].search(html_text, m.end())
        close = c.start() if c else -1
        end = len(html_text) if close < 0 else html_text.find(">", close) + 1 or len(html_text)
        yield m.start(), end, m.end(), close if close >= 0 else len(html_text)
        pos = end


# '</' + tag in any ASCII case: what finding it in the lower-cased page found (no other
# character lower-cases to a letter of 'script' or 'style')
_CLOSERS = {
    tag: re.compile("</" + "".join(f"[{c}{c.upper()}]" for c in tag)) for tag in ("script", "style")
}


def _visible_text(html_text: str) -> str:
    parts, pos = [], 0
    for start, end, _code, _close in _blocks(html_text):
        parts.append(html_text[pos:start])
        pos = end
    parts.append(html_text[pos:])
    return fold_ws(_TAG.sub(" ", " ".join(parts)))


def _waf_mark(head: str) -> str | None:
    """The first of _WAF_MARKS in the lower-cased `head`.  The marks are ASCII, and but for
    K (Kelvin) and İ no other character lower-cases to ASCII: so a mark is in the lower-cased
    text only if it is in the text's ASCII characters, lower-cased (a quick test); the text
    is lower-cased only for a mark found there."""
    exact = "\u212a" in head or "\u0130" in head
    ascii_low = None if exact else head.encode("ascii", "ignore").lower()
    low_html = None
    for low_mark, mark in _WAF_MARKS:
        if ascii_low is not None and low_mark.encode() not in ascii_low:
            continue
        if low_html is None:
            low_html = head.lower()
        if low_mark in low_html:
            return mark
    return None


def _scripts(html_text: str):
    for _start, _end, code, close in _blocks(html_text):
        yield html_text[code:close]


LOGIN_WALL = "password field"  # the phrase of a login wall: what shows it
_PASSWORD = re.compile(r"""type\s*=\s*["']?\s*password""", re.I)


def _has_password(html_text: str) -> bool:
    """_PASSWORD found in the page.  Its case-blind search reads a page at a fraction of the
    speed of a plain one, so first the cheap test: a match spells 'password' in ASCII letters
    of either case (or with 'ſ', which re.I takes for 's'), still side by side once the page's
    other characters are dropped."""
    if "ſ" not in html_text and b"password" not in html_text.encode("ascii", "ignore").lower():
        return False
    return _PASSWORD.search(html_text) is not None


# every phrase, squashed and lower-cased, longest first (页面不存在 before 不存在)
_PHRASES = tuple(
    sorted({"".join(p.split()).lower() for p in SOFT_404 + SOFT_404_WEAK + BLOCKED}, key=len)[::-1]
)
# (phrase, lower-cased) once, not per page: lower-casing them on every page was most of the
# phrase test's cost
_LOWER = {
    kind: tuple((p, p.lower()) for p in phrases)
    for kind, phrases in (("soft_404", SOFT_404), ("blocked", BLOCKED))
}
SHORT = 200  # characters of body text: a page with less has little to read
# A body that says nothing but an error phrase and a few words ('该信息已被删除或已过期！')
# is an error in the article's template, not a notice's text.
_BODY_SLACK = 8


def classify_page(title: str | None, body: str, html_text: str) -> tuple[str, str | None]:
    """('ok', None) | ('soft_404', phrase) | ('blocked', phrase) | ('login_wall', what).

    A page with an article's structure (a notice's title shown on it and a body container
    holding more than an error phrase) is a notice whatever its words say, unless a
    password field stands in the article's place.  On other pages a phrase counts where it
    dominates (in a short title, or in a short page), and a page with a password field
    whose title or heading says 登录 or 身份认证 is a login wall."""
    kind, phrase = _by_phrase(title, body, html_text)
    password = bool(html_text) and _has_password(html_text)
    if kind == "ok" and not password:
        return kind, phrase
    shape = page_shape(html_text, _PHRASES) if html_text else NO_SHAPE
    if shape.login:
        return "login_wall", LOGIN_WALL
    if shape.article and not says_only(_squash(body).lower(), _PHRASES, _BODY_SLACK):
        return "ok", None
    return kind, phrase


def _squash(s: str | None) -> str:
    return "".join((s or "").split())


def _by_phrase(title: str | None, body: str, html_text: str) -> tuple[str, str | None]:
    """The verdict of the phrases alone: one counts only where it dominates, in a short
    title or in a short page."""
    title = fold_ws(title)
    body = fold_ws(body)
    short_body = len(body) < SHORT
    # 1. the title: the phrase must be most of it (not '关于公布已撤销登记社会组织名单的公告').
    if title:
        low_title = title.lower()
        for kind, phrases in _LOWER.items():
            for p, low in phrases:
                if low in low_title and (short_body or len(title) - len(p) <= 12):
                    return kind, p
    if not short_body:
        return "ok", None
    # 2. a short page: the body, then the visible text of the raw page when it is small.
    visible = ""
    # a page with much to read is no challenge page, whatever its scripts (mobile redirects)
    big = bool(html_text) and len(html_text) >= 200_000
    if html_text and not big:
        visible = _visible_text(html_text)
        if len(visible) > 3000:
            visible, big = "", True
    haystacks = [h for h in (body, visible) if h]
    lows = [hay.lower() for hay in haystacks]
    for low in lows:
        for p, low_p in _LOWER["blocked"]:
            if low_p in low:
                return "blocked", p
    if html_text and not big and (visible or not body):
        mark = _waf_mark(html_text[:200_000])
        if mark:
            return "blocked", mark
    if not title and not body and not big and len(visible) < 20 and html_text:
        m = _CHALLENGE_JS.search(html_text)
        if m:
            return "blocked", m.group(0)
        if any(_OPAQUE.search(code) for code in _scripts(html_text)):
            return "blocked", "script-only page with an opaque token"
    for hay, low in zip(haystacks, lows, strict=True):
        for p, low_p in _LOWER["soft_404"]:
            if low_p in low:
                return "soft_404", p
        if len(hay) < 80:
            for p in SOFT_404_WEAK:
                if p in hay:
                    return "soft_404", p
    return "ok", None


# File signatures: bytes like these are no page, whatever the Content-Type says.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),  # and docx, xlsx, ofd
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # doc, xls, wps
)
# C0 control bytes no HTML page contains (tab, LF, FF, CR and ESC aside): a page in any
# charset tzgg reads has none, or a stray few; random bytes have one in ten.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


def binary_kind(body: bytes) -> str | None:
    """What a response body is when it is no HTML page at all ('png', 'zip' …, or 'binary'),
    whatever its Content-Type says; None for text.  Extracting from such bytes reads noise as
    a title or a body: the fetch failed, it is not a notice nor an edit of one."""
    head = body[:8192]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 text with its BOM
    control = len(head) - len(head.translate(None, _CONTROL))
    return "binary" if control > max(8, len(head) // 50) else None
