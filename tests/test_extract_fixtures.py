"""Extraction of inline pages: empty and str input, and an unknown template found by density.

(The pages under tests/fixtures/extract, their whole notices included, are the golden test's:
tests/test_golden.py, from their manifest.json.)"""

from __future__ import annotations

from crawler.parse.notice import extract_notice


def test_empty_and_str_input():
    n = extract_notice(b"", "http://www.example.gov.cn/")
    assert n.title is None and n.body == ""
    n = extract_notice(
        "<html><body><div id='zoom'><p>正文一</p><p>正文二</p></div></body></html>",
        "http://a.gov.cn/b.html",
    )
    assert n.body == "正文一\n正文二"


def test_density_fallback_unknown_template():
    html = (
        "<html><head><title>关于某事的通知_某区</title></head><body>"
        "<ul class='nav'><li><a href='/'>首页</a></li><li><a href='/a'>机构</a></li></ul>"
        "<div class='wrap'><h1>关于某事的通知</h1><div class='x9'>"
        + "".join(f"<p>第{i}段正文，内容较长以便识别为正文区域。</p>" for i in range(5))
        + "</div></div><div class='foot'>版权所有</div></body></html>"
    )
    n = extract_notice(html.encode(), "http://a.gov.cn/c.html")
    assert n.title == "关于某事的通知"
    assert n.body.splitlines()[0] == "第0段正文，内容较长以便识别为正文区域。"
    assert "版权所有" not in n.body and "首页" not in n.body
