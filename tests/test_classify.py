from __future__ import annotations

from pathlib import Path

import pytest

from crawler.parse.notice import classify_page, extract_notice, extract_page, fold_ws
from tests.limits import run_limited

LONG = "经研究，决定撤销以下行政许可事项。" * 30


@pytest.mark.parametrize(
    "title, body, html, want",
    [
        ("页面不存在", "", "<html><title>页面不存在</title></html>", ("soft_404", "页面不存在")),
        (None, "抱歉，您访问的页面不存在！", "", ("soft_404", "您访问的页面不存在")),
        ("XX区人民政府", "该信息已被删除", "", ("soft_404", "该信息已被删除")),
        ("404 Not Found", "", "<h1>404 Not Found</h1>", ("soft_404", "404 Not Found")),
        (None, "信息已撤销", "", ("soft_404", "信息已撤销")),
        (None, "访问过于频繁，请稍后再试", "", ("blocked", "访问过于频繁")),
        ("", "", "<noscript>请开启JavaScript</noscript>", ("blocked", "请开启JavaScript")),
        ("安全验证", "", "", ("blocked", "安全验证")),
        (
            None,
            "",
            "<script>document.cookie='__jsl_clearance=1'</script>",
            ("blocked", "__jsl_clearance"),
        ),
    ],
)
def test_bad_pages(title, body, html, want):
    assert classify_page(title, body, html) == want


@pytest.mark.parametrize(
    "title, body",
    [
        ("关于撤销某某许可的公告", LONG),
        ("关于公布已撤销登记社会组织名单的公告", LONG + "以下社会组织已撤销登记。"),
        ("关于网上办事大厅验证码登录的通知", LONG + "使用短信验证码登录。"),
        ("某某区通知", "正文" * 200),
    ],
)
def test_real_notices_ok(title, body):
    assert classify_page(title, body, f"<html><body>{body}</body></html>") == ("ok", None)


def test_fold_ws():
    assert fold_ws(" a\u3000\u00a0b\n\tc  ") == "a b c"
    assert fold_ws(None) == ""


def test_a_script_only_page_that_sets_a_cookie_and_reloads_is_a_challenge():
    # 加速乐-style: the cookie name is assembled from pieces, so no WAF mark appears literally.
    html = (
        "<html><body><script>document.cookie=('_')+('_')+('j')+('s')+'=1;path=/';"
        "location.href=location.pathname+location.search</script></body></html>"
    )
    assert classify_page(None, "", html) == ("blocked", "document.cookie")
    # an empty page without such a script is just empty, not blocked
    assert classify_page(None, "", "<html><body></body></html>") == ("ok", None)
    # and a notice that has text is never judged by its scripts
    page = f"<html><body><p>{LONG}</p><script>window.location.hash='#top'</script></body></html>"
    assert classify_page("关于某某事项的通知", LONG, page) == ("ok", None)


def test_a_long_page_with_a_mobile_redirect_script_is_not_a_challenge():
    # The listing check passes no title and no body: a page with much visible text and the
    # mobile-redirect script most government templates carry is no block page.
    rows = "".join(
        f"<div><a href='/a/{i}.html'>第{i}号通知关于某某事项的安排</a></div>" for i in range(150)
    )
    page = (
        "<html><head><script>if(/Mobile/.test(navigator.userAgent)){window.location.href="
        f"'/m/'}}</script></head><body><div class='wz-list'>{rows}</div></body></html>"
    )
    assert classify_page(None, "", page) == ("ok", None)


# --- short pages: genuine notices, error pages, block pages and login walls ---------------

SHORTPAGES = Path(__file__).parent / "fixtures" / "shortpages"
CLASSES = ("ok", "soft_404", "blocked", "login_wall")


def _shortpages():
    """Each page's expected class is its file name's prefix: ok--…, soft_404--…, blocked--…,
    login_wall--…; raw bytes (one is GBK), as a site would serve them."""
    return sorted(SHORTPAGES.glob("*.html"))


def test_the_short_page_corpus_has_enough_of_each_kind():
    kinds = [p.name.split("--")[0] for p in _shortpages()]
    assert set(kinds) <= set(CLASSES)
    assert kinds.count("ok") >= 20
    assert len(kinds) - kinds.count("ok") >= 10
    assert all(kinds.count(k) for k in CLASSES)


@pytest.mark.parametrize("page", _shortpages(), ids=lambda p: p.stem)
def test_a_short_page_is_classified_by_its_structure_not_its_words(page):
    """A notice that says 已撤销, 不存在, 验证码, 404 … in its own words, or sits below a login
    box, stays a notice; error templates, WAF and rate-limit pages and login walls do not."""
    want = page.name.split("--")[0]
    notice, text, _enc = extract_page(page.read_bytes(), "http://www.example.gov.cn/tzgg/t1.html")
    kind, _phrase = classify_page(notice.title, notice.body, text)
    assert kind == want
    if want == "ok":
        assert notice.title and notice.body and notice.published


def test_a_login_wall_is_named_so_and_a_header_login_box_is_not_one():
    wall = (SHORTPAGES / "login_wall--site_login_dated.html").read_text("utf-8")
    assert classify_page("用户登录", "该栏目信息仅对注册用户开放，请登录后查看。", wall) == (
        "login_wall",
        "password field",
    )
    page = (SHORTPAGES / "ok--trs_meeting_header_login.html").read_text("utf-8")
    notice = extract_notice(page, "http://www.example.gov.cn/tzgg/t2.html")
    assert classify_page(notice.title, notice.body, page) == ("ok", None)
    # a column page whose list the crawler cannot read, below the same login box: no login
    # wall (the listing check passes no title and no body)
    rows = "".join(f"<li><a href='t{i}.html'>关于第{i}批项目的公示</a></li>" for i in range(20))
    top = page[: page.index('<div class="main">')]
    listing = f'{top}<div class="main"><ul class="list">{rows}</ul></div></body></html>'
    assert classify_page(None, "", listing) == ("blocked", "验证码")  # its words, as before
    assert classify_page(None, "", listing.replace("验证码", "")) == ("ok", None)
    assert classify_page(None, "", wall)[0] == "login_wall"


# --- cost --------------------------------------------------------------------------------


def test_classifying_adversarial_pages_is_linear():
    """Every scan of classify (and the structure check it may parse) on inputs that make a
    backtracking or rescanning pattern quadratic: unclosed <script> tags in an unclosed
    comment (21.9 s at 196 KB before), tags without an end, a password field and a phrase
    (a second parse), opaque tokens just short of their length; at 1 MB and just under the
    200 KB up to which the visible text is read; killed if over its CPU limit."""
    out = run_limited(
        """
        n = 0
        for size in (199_000, 1_000_000):
            for shape in SHAPES:
                page = (shape[0] + shape[1] * (size // len(shape[1])) + shape[2])[:size]
                for title, body in ((None, ""), ("页面不存在", "访问过于频繁")):
                    classify_page(title, body, page)
                n += 1
        print(n)
        """,
        setup="""
        from crawler.parse.notice import classify_page
        SHAPES = [  # (head, repeated, tail)
            ("<!--", "<script>", ""),
            ("", "<a ", ""),
            ("", "<", ""),
            ("<script>", "x", ""),
            ("<script>", "a" * 399 + ";", "</script>"),
            ('<input type="password">页面不存在', "<div><p>x</p>", ""),
            ('<input type="password">页面不存在', '<div class="title">关于的通知', ""),
            ('<input type="password"><h1>页面不存在</h1>', '<h2 class="title">关于</h2>', ""),
            ("", "<style ", ""),
            ("", "document.cookie ", ""),
        ]
        """,
        cpu_s=10,
        mem_mb=1536,
    )
    assert out.strip() == "20"
