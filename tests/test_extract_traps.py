"""Odd pages that look like a rule's case and are not: each must keep its data as it is."""

from __future__ import annotations

import time

import pytest

from crawler.parse.notice import classify_page, extract_notice
from crawler.parse.notice.contact import find_contact
from crawler.parse.notice.text import script_output
from crawler.parse.notice.window import find_objection_window

URL = "http://www.yueyang.gov.cn/a/b/content_1.html"
PARAS = "".join(
    f"<p>第{i}条：各单位应按照要求认真做好相关工作，确保落实到位。</p>" for i in range(6)
)


def page(inner: str, title: str = "关于开展2024年安全生产检查的通知", head: str = "") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{inner}</body></html>"
    ).encode()


def test_a_label_word_split_over_two_elements_is_no_label():
    """开标</span><span>时间： is a Word split of 开标时间, not a 时间 label."""
    raw = page(
        "<div class='art'><h1>某项目成交结果公告</h1>"
        "<p class='info'><span>开标</span><span>时间：2024-06-01</span></p>"
        f"<div class='TRS_Editor'>{PARAS}</div></div>",
        title="某项目成交结果公告",
    )
    assert extract_notice(raw, URL).published is None


def test_an_empty_label_before_the_body_takes_nothing_from_it():
    raw = page(
        "<div class='art'><h1>关于开展2024年安全生产检查的通知</h1>"
        "<span>发布时间：2024-05-06</span> <span>来源：</span><span>文号：</span>"
        f"<div class='TRS_Editor'>{PARAS}</div></div>"
    )
    n = extract_notice(raw, URL)
    assert (n.published, n.source, n.doc_number) == ("2024-05-06", None, None)


def test_a_related_list_date_is_no_publish_date():
    raw = page(
        "<div class='art'><h1>关于开展2024年安全生产检查的通知</h1>"
        f"<div class='TRS_Editor'>{PARAS}</div>"
        "<div class='xgxx'><ul><li><span>2019-03-01</span> <a href='/x.html'>【政策解读】关于"
        "安全生产的若干意见</a></li></ul></div></div>"
    )
    assert extract_notice(raw, URL).published is None


@pytest.mark.parametrize(
    ("title", "extra", "want"),
    [
        # the trail ends with the notice's own title: it is no column name to cut
        (
            "关于开展2024年安全生产检查的通知 - 岳阳楼区人民政府",
            "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/tzgg/'>通知公告</a>"
            " &gt; <span>关于开展2024年安全生产检查的通知</span></div>"
            "<p class='bt'><b>关于开展2024年安全生产检查的通知</b></p>"
            "<div class='foot'>主办单位：岳阳楼区人民政府</div>",
            "关于开展2024年安全生产检查的通知",
        ),
        # a friendly link's logo names another site, not this one
        (
            "湖南省人民政府—岳阳市人民政府战略合作框架协议签约仪式举行",
            "<div class='yqlj'><a href='http://www.hunan.gov.cn/'>"
            "<img src='/l.png' alt='湖南省人民政府'></a></div>",
            "湖南省人民政府—岳阳市人民政府战略合作框架协议签约仪式举行",
        ),
        # a footer's 岳阳市人民政府办公室 does not state 岳阳市人民政府
        (
            "岳阳市人民政府-关于开展2024年安全生产检查的通知",
            "<div class='foot'>主办单位：岳阳市人民政府办公室</div>",
            "岳阳市人民政府-关于开展2024年安全生产检查的通知",
        ),
    ],
)
def test_titles_keep_what_only_looks_like_a_site_name(title, extra, want):
    raw = page(f"{extra}<div class='TRS_Editor'>{PARAS}</div>", title=title)
    assert extract_notice(raw, URL).title == want


def test_a_document_link_inside_a_sentence_stays_in_the_body():
    raw = page(
        "<div class='art'><h1>关于开展2024年安全生产检查的通知</h1><div class='TRS_Editor'>"
        f"{PARAS}<p><span>请认真填写</span><span><a href='/files/sbb.docx'>《项目申报表》</a>"
        "</span><span>，并于5月10日前报送区发改局。</span></p></div></div>"
    )
    n = extract_notice(raw, URL)
    assert n.body.endswith("请认真填写《项目申报表》，并于5月10日前报送区发改局。")
    assert [a.name for a in n.attachments] == ["《项目申报表》"]


def test_a_notice_naming_its_event_s_organisers_is_no_footer():
    """An unknown template: the density guess must not skip a notice that says 主办单位 and
    承办 for the footer (which says them too, with 网站标识码)."""
    notice = (
        "<div class='x1'><p>各乡镇（街道）、区直各单位：为丰富群众文化生活，定于5月18日举办比赛。</p>"
        "<p>一、主办单位：岳阳楼区文化旅游体育局</p><p>二、承办：岳阳楼区乒乓球协会</p>"
        "<p>三、报名时间：即日起至5月10日。</p></div>"
    )
    footer = (
        "<div class='x2'><p>主办：岳阳楼区人民政府办公室 承办：岳阳楼区政务服务中心</p>"
        "<p>湘ICP备05001234号 网站标识码：4306020001 地址：岳阳楼区金鹗中路1号</p></div>"
    )
    n = extract_notice(page(notice + footer, title="关于举办乒乓球比赛的通知"), URL)
    assert n.body.startswith("各乡镇") and "ICP" not in n.body


def test_a_page_wide_wrapper_named_in_pinyin_is_no_body():
    raw = page(
        "<div class='neirong'><div class='left'><a href='/1'>通知公告</a><a href='/2'>工作动态</a>"
        "<p>咨询热线：0730-12345</p></div><div class='right'><h1>关于开展2024年安全生产检查的通知</h1>"
        f"<div class='txt'>{PARAS}</div><div class='xgwz'>相关文章</div></div></div>"
    )
    body = extract_notice(raw, URL).body
    assert body.startswith("第0条") and "咨询热线" not in body


@pytest.mark.parametrize(
    "table",
    [
        # a list of documents: 序号 | 文件名称 | 文号
        "<table><tr><td>序号</td><td>文件名称</td><td>文号</td></tr><tr><td>1</td>"
        "<td>岳阳楼区城市管理办法</td><td>岳楼政发〔2015〕3号</td></tr></table>",
        # a number labelled as another's
        "<table><tr><td>项目名称</td><td>某小区建设项目</td></tr><tr><td>环评批复文号</td>"
        "<td>岳环评〔2023〕12号</td></tr></table>",
    ],
)
def test_a_table_citing_a_number_gives_no_doc_number(table):
    raw = page(
        f"<div class='TRS_Editor'>{table}{PARAS}</div>", title="关于废止部分规范性文件的决定"
    )
    assert extract_notice(raw, URL).doc_number is None


@pytest.mark.parametrize(
    ("body", "has_window"),
    [
        ("针对群众质疑较多的问题，请各责任单位于2024年5月20日前整改到位并报送整改情况。", False),
        ("各单位要认真回应社会关切，对媒体质疑的问题，须在3个工作日内核实并答复。", False),
        # a 公示 worded 公告期 in a notice that is no procurement: a window
        (
            "经研究，拟聘用以下人员，现予公告。公告期为7个工作日（2024年5月6日至2024年5月14日）。"
            "对公告人员如有异议，请向区人社局反映。",
            True,
        ),
    ],
)
def test_question_and_display_periods_are_windows_only_in_their_sense(body, has_window):
    assert (find_objection_window(body, "2024-05-06") is not None) == has_window


def test_a_line_ending_in_xinxi_is_no_contact_heading():
    got = find_contact("详见公司官网招聘信息\n联系人：张三，电话：0730-1234567")
    assert got["text"] == "联系人：张三，电话：0730-1234567"


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ('var ly = "本站"; ly = "岳阳日报"; document.write(ly);', "岳阳日报"),
        (
            'var src = "";\nif (src != "") { document.write(src); } else { document.write("本网"); }',
            "本网",
        ),
        ('if (false) { document.write("旧来源"); }', ""),
        ('var l = "市政府"; function f(){ var l = ""; } document.write(l);', ""),
    ],
)
def test_a_script_shows_only_what_it_plainly_writes(code, shown):
    assert script_output(code) == shown


def test_unclosed_scripts_and_tags_cost_little():
    for raw in ("<script>" * 25_000, "<" * 200_000, "<style>" * 25_000):
        start = time.process_time()
        assert classify_page(None, "", raw)[0] in ("ok", "blocked", "soft_404")
        assert time.process_time() - start < 2, raw[:10]
