from __future__ import annotations

import pytest

from crawler.extract import classify_page, fold_ws

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
