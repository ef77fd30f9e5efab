"""Whole-Notice expectations on pages written in the district templates' styles.

The pages are raw bytes under tests/fixtures/extract/: a TRS district page (UTF-8), a Hanweb
page encoded in GB18030 and declared gb2312, a Hunan/Yueyang page declared gbk but served as
UTF-8 (with an 归档时间 line that is not the publish date), a soft 404 and a block page."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.parse.notice import classify_page, decode_html, extract_notice

FIX = Path(__file__).resolve().parent / "fixtures" / "extract"


def _extract(name: str, url: str, charset: str | None = None):
    raw = (FIX / name).read_bytes()
    return raw, extract_notice(raw, url, charset)


def _fields(n) -> dict:
    d = n.to_dict()
    d.pop("body_html")
    return d


def test_trs_district_page():
    url = "http://www.yylq.gov.cn/zwgk/tzgg/202109/t20210924_1.html"
    raw, n = _extract("trs_district_utf8.html", url, "utf-8")
    assert _fields(n) == {
        "url": url,
        "canonical_url": url,
        "site": "www.yylq.gov.cn",
        "title": "关于开展2021年秋季森林防火检查的通知",
        "published": "2021-09-24T16:12:00+08:00",
        "source": "区政府办公室",
        "doc_number": None,
        "index_number": None,
        "written": None,
        "body": "各街道办事处，区直各单位：\n"
        "为做好秋季森林防火工作，经研究，决定开展专项检查。有关事项通知如下：\n"
        "一、检查时间：2021年10月1日至10月31日。\n"
        "岳阳楼区人民政府办公室\n"
        "2021年9月24日",
        "attachments": [
            {
                "name": "检查表.pdf",
                "url": "http://www.yylq.gov.cn/zwgk/tzgg/202109/P020210924555.pdf",
            }
        ],
        "breadcrumb": ["首页", "政务公开", "通知公告"],
        "objection_window": None,
        "contact": None,
    }
    assert 'href="http://www.yylq.gov.cn/zwgk/tzgg/202109/P020210924555.pdf"' in n.body_html
    assert "隐藏的内容" not in n.body_html and "<script" not in n.body_html
    assert classify_page(n.title, n.body, decode_html(raw)[0]) == ("ok", None)


def test_hanweb_gbk_page():
    url = "http://www.yylq.gov.cn/art/2021/9/22/art_123_456.html"
    raw, n = _extract("hanweb_gbk.html", url)
    assert decode_html(raw)[1] == "gb18030"
    assert _fields(n) == {
        "url": url,
        "canonical_url": url,
        "site": "www.yylq.gov.cn",
        "title": "岳阳楼区2021年征地补偿安置方案公告",
        "published": "2021-09-22",  # not Maketime / PubDate / 归档时间
        "source": "岳阳楼区自然资源局",
        "doc_number": "岳楼自然资发〔2021〕17号",  # not the cited 湘政发〔2018〕5号
        "index_number": "430602001/2021-00123",
        "written": "2021-09-20",
        "body": "根据《土地管理法》规定，现将征地补偿安置方案公告如下。朱镕基路段涉及的被征地单位请注意。\n"
        "一、补偿标准按湘政发〔2018〕5号执行。\n"
        "岳阳楼区自然资源局",
        "attachments": [
            {
                "name": "补偿明细表",
                "url": "http://www.yylq.gov.cn/module/download/downfile.jsp?classid=0&filename=abc.xls",
            }
        ],
        "breadcrumb": [],
        "objection_window": None,
        "contact": None,
    }


def test_yueyang_page_with_wrong_declared_charset():
    url = "http://www.junshan.gov.cn/32415/40825/40890/40900/40901/content_1242591.html"
    raw, n = _extract("yueyang_wrong_charset.html", url, "gbk")
    assert decode_html(raw, "gbk")[1] == "utf-8"
    assert _fields(n) == {
        "url": url,
        "canonical_url": url,
        "site": "www.junshan.gov.cn",
        "title": "关于撤销部分行政许可事项的公告",
        "published": "2017-11-28T09:30:00+08:00",  # not 归档时间:2018-11-21
        "source": "区政府办公室",
        "doc_number": None,
        "index_number": None,
        "written": None,
        "body": "经研究，决定撤销以下行政许可事项，现予公告。\n"
        "公示期为5个工作日(2017年11月28日——2017年12月5日)。\n"
        "二〇一七年十一月二十八日",
        "attachments": [],
        "breadcrumb": ["首页", "政务公开", "公示公告", "通知公告"],
        # the dates as printed; 5 working days after 11-28 is 12-05 too
        "objection_window": {
            "text": "公示期为5个工作日(2017年11月28日——2017年12月5日)",
            "start": "2017-11-28",
            "end": "2017-12-05",
            "days": 5,
            "unit": "working",
            "approximate": False,
        },
        "contact": None,
    }
    # A notice about 撤销 is not a soft 404.
    assert classify_page(n.title, n.body, decode_html(raw)[0]) == ("ok", None)


@pytest.mark.parametrize(
    "name, want",
    [
        ("soft404.html", ("soft_404", "页面不存在")),
        ("blocked.html", ("blocked", "安全验证")),
    ],
)
def test_bad_pages(name, want):
    raw, n = _extract(name, "http://www.example.gov.cn/x.html")
    assert classify_page(n.title, n.body, decode_html(raw)[0]) == want
    assert n.published is None and n.attachments == []


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
