"""`tzgg probe URL` on listing pages of each CMS family served on loopback, the hints it gives
when it finds nothing, and the `listing` / `next_page` overrides that fix a list without code."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree
from scrapy.settings import Settings

from crawler.demo import DistrictSite
from crawler.parse.listing import is_listing, parse_listing
from crawler.parse.notice.overrides import OverrideError, Overrides, version_tag
from crawler.schema.records import EXTRACTOR_VERSION, ListingEntry, Notice
from crawler.sites.probe import _garbled, format_report
from spiders.notices import NoticesSpider
from tests.conftest import crawl, events, require_realpages, tzgg
from tests.faultsite import FaultServer
from tests.limits import run_limited

FIX = Path(__file__).parent / "fixtures" / "probe"
KEYS = {"url", "cms", "items", "next_page", "pages", "sample", "hints"}
SAMPLE_KEYS = set(Notice.__dataclass_fields__) - {"body_html"}


# --- a loopback server for saved pages ---------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        routes = self.server.routes
        got = routes.get(self.path) or routes.get(urlsplit(self.path).path)
        status, ctype, body = got or (404, "text/html", b"<html><body>404 Not Found</body></html>")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def pages():
    """pages({path: fixture name | (status, content type, bytes)}) -> base URL."""
    servers = []

    def start(routes: dict) -> str:
        table = {}
        for path, spec in routes.items():
            if isinstance(spec, str):
                ctype = "text/xml;charset=UTF-8" if spec.endswith(".xml") else "text/html"
                spec = (200, ctype, (FIX / spec).read_bytes())
            table[path] = spec
        srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        srv.daemon_threads = True
        srv.routes = table
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def probe(url: str, *args, cwd) -> tuple[int, dict]:
    p = tzgg("probe", url, "--json", *args, cwd=cwd)  # cwd: no ./sites.toml but the test's
    assert p.stdout.count("\n") == 1 and "Traceback" not in p.stderr, (p.stdout, p.stderr)
    report = json.loads(p.stdout)
    check_contract(report)
    return p.returncode, report


def check_contract(r: dict) -> None:
    assert KEYS <= set(r)
    assert r["cms"] in ("trs", "hanweb", "jyh", "fujian", "generic")
    assert isinstance(r["url"], str) and isinstance(r["hints"], list)
    assert isinstance(r["items"], list)
    for item in r["items"]:
        assert set(item) == {"title", "date", "url"}
    assert r["next_page"] is None or isinstance(r["next_page"], str)
    assert r["pages"] is None or type(r["pages"]) is int
    if r["items"]:
        assert r["sample"] is None or set(r["sample"]) == SAMPLE_KEYS
    else:
        assert r["sample"] is None and r["next_page"] is None and r["hints"]


def items(base: str, rows) -> list[dict]:
    return [{"title": t, "date": d, "url": base + u} for u, t, d in rows]


# --- one listing page of each family -----------------------------------------------------------


def test_trs_gbk_column_without_its_dated_sidebar(pages, tmp_path):
    base = pages(
        {
            "/zwgk/tzgg/index.html": "trs_index_gbk.html",
            "/zwgk/tzgg/202305/t20230516_123.html": "trs_detail_gbk.html",
        }
    )
    code, r = probe(base + "/zwgk/tzgg/index.html", cwd=tmp_path)
    assert code == 0, r["hints"]
    assert r["cms"] == "trs" and r["encoding"] == "gb18030"
    d = "/zwgk/tzgg/"
    assert r["items"] == items(
        base,
        [
            (
                d + "202305/t20230516_123.html",
                "关于开展2023年度城镇燃气安全专项整治的通知",
                "2023-05-16",
            ),
            # cut link text: the title attribute
            (
                d + "202305/t20230515_122.html",
                "某某县2023年第一批建设用地征收土地补偿安置方案公告",
                "2023-05-15",
            ),
            (
                "/zdlyxxgk/shjz/202305/t20230512_121.html",
                "某某县2023年5月城乡低保新增对象公示",
                "2023-05-12",
            ),
            (
                d + "202305/t20230510_120.html",
                "关于2023年县直机关公开遴选公务员拟遴选人员的公示",
                "2023-05-10",
            ),
            (
                d + "202305/t20230508_119.html",
                "某某县交通运输局关于G240线路面改造施工期间交通管制的通告",
                "2023-05-08",
            ),
            (
                d + "202305/t20230505_118.html",
                "某某县人民政府办公室关于做好2023年森林防灭火工作的通知",
                "2023-05-05",
            ),
            (
                d + "202304/t20230428_117.html",
                "关于“五一”劳动节放假期间安全生产工作的通知",
                "2023-04-28",
            ),
        ],
    )  # and nothing of the 最新动态 sidebar
    assert (r["next_page"], r["pages"]) == (base + d + "index_1.html", 5)
    s = r["sample"]
    assert s["url"] == base + d + "202305/t20230516_123.html"
    assert s["title"] == "关于开展2023年度城镇燃气安全专项整治的通知"
    assert s["published"] == "2023-05-16T10:30:00+08:00"
    assert s["source"] == "县住房和城乡建设局"
    assert (s["doc_number"], s["index_number"]) == ("某建发〔2023〕12号", "430621/2023-00123")
    assert [a["name"] for a in s["attachments"]] == ["燃气安全隐患排查表.docx"]
    assert s["body"].startswith("各乡镇人民政府，县直有关单位：")
    assert r["hints"] == []


def test_hanweb_datastore_column_pages_through_its_data_proxy(pages, tmp_path):
    base = pages(
        {
            "/col/col123/index.html": "hanweb_col123_index.html",
            "/art/2023/5/16/art_123_4567.html": "hanweb_art_detail.html",
        }
    )
    code, r = probe(base + "/col/col123/index.html", cwd=tmp_path)
    assert code == 0 and r["cms"] == "hanweb"
    assert [i["url"] for i in r["items"]] == [
        base + u
        for u in (
            "/art/2023/5/16/art_123_4567.html",
            "/art/2023/5/15/art_123_4566.html",
            "/art/2023/5/12/art_130_7001.html",
            "/art/2023/5/9/art_123_4565.html",
            "/art/2023/5/4/art_123_4564.html",
            "/art/2023/4/28/art_123_4563.html",
        )
    ]
    assert r["items"][1] == {
        "title": "关于某某区2023年城乡居民基本医疗保险集中参保缴费工作的通告",  # not the cut text
        "date": "2023-05-15",
        "url": base + "/art/2023/5/15/art_123_4566.html",
    }
    # 47 records in groups of the 6 the page embeds: 8 groups, the next from record 7
    assert r["pages"] == 8
    assert r["next_page"].startswith(
        base + "/module/web/jpage/dataproxy.jsp?startrecord=7&endrecord=12&perpage=6&col=1"
    )
    assert "columnid=123" in r["next_page"] and "unitid=4567" in r["next_page"]
    s = r["sample"]
    assert (s["title"], s["source"]) == (
        "某某区关于开展2023年“安全生产月”活动的通知",
        "区应急管理局",
    )
    assert s["published"].startswith("2023-05-16")


def test_fujian_static_groups_are_one_list(pages, tmp_path):
    base = pages(
        {
            "/zwgk/gsgg/index.htm": "fujian_gsgg_index.htm",
            "/zwgk/gsgg/202305/t20230516_46301.htm": "fujian_detail.htm",
        }
    )
    code, r = probe(base + "/zwgk/gsgg/index.htm", cwd=tmp_path)
    assert code == 0 and r["cms"] == "fujian"
    g = "/zwgk/gsgg/"
    assert r["items"] == items(
        base,
        [
            (
                g + "202305/t20230516_46301.htm",
                "平潭综合实验区2023年第三批建设用地征收土地公告",
                "2023-05-16",
            ),
            (
                g + "202305/t20230512_46288.htm",
                "关于实验区2023年度拟认定高新技术企业名单的公示",
                "2023-05-12",
            ),
            (
                g + "202305/t20230504_46236.htm",
                "平潭综合实验区市场监督管理局关于组织申报第五届中国质量奖的通知",
                "2023-05-04",
            ),
            (
                "/zwgk/zdxm/202304/t20230428_46100.htm",
                "实验区重点项目环境影响评价第二次公示",
                "2023-04-28",
            ),
            (
                g + "202304/t20230421_46012.htm",
                "平潭综合实验区关于征集2024年为民办实事项目的公告",
                "2023-04-21",
            ),
        ],
    )  # the avalon template row ({{el.title}}) is no notice
    assert (r["next_page"], r["pages"]) == (base + g + "index_1.htm", 4)
    s = r["sample"]
    assert s["title"] == "平潭综合实验区2023年第三批建设用地征收土地公告"
    assert s["published"] == "2023-05-16T16:20:00+08:00"
    assert s["source"] == "平潭综合实验区自然资源与规划局"


def test_generic_table_header_row_is_not_a_notice(pages, tmp_path):
    base = pages(
        {
            "/news/list.asp": "generic_table_list.html",
            "/news/show.asp": "generic_detail.html",
        }
    )
    url = base + "/news/list.asp?cat=3"
    code, r = probe(url, cwd=tmp_path)
    assert code == 0 and r["cms"] == "generic"
    n = "/news/"
    assert r["items"] == items(
        base,
        [
            (n + "show.asp?id=2051", "关于开展2023年度企业年报公示工作的通知", "2023-05-16"),
            (n + "show.asp?id=2050", "2023年第一季度城镇公益性岗位补贴公示", "2023-05-11"),
            (n + "show.asp?id=2049", "关于调整城乡最低生活保障标准的通知", "2023-05-06"),
            ("/zfxxgk/show.asp?id=91", "某某区2022年政府信息公开工作年度报告", "2023-04-28"),
            (n + "show.asp?id=2047", "某某区2023年公开招聘社区工作者公告", "2023-04-20"),
        ],
    )
    assert (r["next_page"], r["pages"]) == (base + n + "list.asp?cat=3&page=2", 3)
    assert r["sample"]["title"] == "关于开展2023年度企业年报公示工作的通知"
    assert r["sample"]["published"] == "2023-05-16"
    # the text report says the same, readably
    p = tzgg("probe", url, cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == ""
    assert "CMS: generic" in p.stdout and "5 notices on this page:" in p.stdout
    assert "2023-05-11  2023年第一季度城镇公益性岗位补贴公示" in p.stdout
    assert f"next page {base}{n}list.asp?cat=3&page=2 · 3 pages" in p.stdout
    assert "title: 关于开展2023年度企业年报公示工作的通知" in p.stdout
    assert "attachments: 0" in p.stdout and "body: " in p.stdout


def test_the_loopback_district(serve, tmp_path):
    from crawler.demo import DistrictSite

    site = DistrictSite(style="trs", page_size=4)
    for i in range(6):
        site.add(
            f"关于开展2023年第{i + 1}批安全检查的通知",
            published=f"2023-05-{10 + i:02d} 09:3{i}",
            body=["各单位：", f"第{i + 1}批检查安排如下。"],
        )
    srv = serve(site)
    code, r = probe(site.listing_url(srv.base), cwd=tmp_path)
    assert code == 0 and r["cms"] == "trs"
    shown = site.listed_nids()[:4]
    assert r["items"] == [
        {
            "title": site.get(n)["title"],
            "date": site.get(n)["published"][:10],
            "url": site.url(srv.base, n),
        }
        for n in shown
    ]
    assert (r["next_page"], r["pages"]) == (srv.base + "/tzgg/index_1.html", 2)
    first = site.get(shown[0])
    assert r["sample"]["title"] == first["title"] == "关于开展2023年第6批安全检查的通知"
    assert r["sample"]["published"] == "2023-05-15T09:35:00+08:00"
    assert r["sample"]["source"] == "区政府办公室"


# --- when nothing is found ---------------------------------------------------------------------


VUE_SHELL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title>
<link href="/v2/static/css/app.3c1f.css" rel="stylesheet"></head><body>
<div id="app"><div class="loading">正在加载…</div></div>
<script src="/v2/static/js/chunk-vendors.3f9a1c.js"></script>
<script>
  var listApi = {
    url: "/api/cms/notice/list?columnId=25&pageNo=1",
    method: "get"
  };
  axios.get(listApi.url).then(function (res) { app.render(res.data.rows); });
</script></body></html>""".encode()


def test_a_js_shell_names_the_data_proxy_and_the_iframe_to_probe(pages, tmp_path):
    base = pages(
        {
            "/col/col456/index.html": "hanweb_js_shell.html",
            "/module/web/jpage/dataproxy.jsp": "hanweb_dataproxy.xml",
            "/art/2023/5/16/art_123_4567.html": "hanweb_art_detail.html",
            "/xxgk/tzgg.html": "iframe_shell.html",
            "/xxgk/tzgg_list.html": "generic_table_list.html",
            "/xxgk/show.asp": "generic_detail.html",
            "/v2/tzgg.html": (200, "text/html; charset=utf-8", VUE_SHELL),
        }
    )
    code, r = probe(base + "/col/col456/index.html", cwd=tmp_path)
    assert code == 1 and r["items"] == [] and r["sample"] is None
    proxy = [h for h in r["hints"] if "dataproxy.jsp" in h]
    assert proxy, r["hints"]
    url = re.search(r"probe (http\S+)", proxy[0]).group(1)
    assert url.startswith(base + "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45")
    assert "columnid=456" in url and "unitid=7788" in url
    assert any("tiny" in h and "JavaScript" in h for h in r["hints"])
    # the URL the hint names is the list
    code, r = probe(url, cwd=tmp_path)
    assert code == 0 and r["cms"] == "hanweb" and len(r["items"]) == 3
    assert r["sample"]["title"] == "某某区关于开展2023年“安全生产月”活动的通知"

    code, r = probe(base + "/xxgk/tzgg.html", cwd=tmp_path)
    assert code == 1
    assert any(
        f"<iframe>, likely the list: probe {base}/xxgk/tzgg_list.html" in h for h in r["hints"]
    )
    code, r = probe(base + "/v2/tzgg.html", cwd=tmp_path)
    assert code == 1
    assert any(
        h.startswith(f"a script loads data from {base}/api/cms/notice/list?columnId=25&pageNo=1:")
        for h in r["hints"]
    ), r["hints"]
    p = tzgg("probe", base + "/xxgk/tzgg.html", cwd=tmp_path)
    assert p.returncode == 1 and "no notices found on this page" in p.stdout
    assert f"probe {base}/xxgk/tzgg_list.html" in p.stdout and p.stderr == ""


def test_an_undated_list_works_with_a_listing_override(pages, tmp_path):
    base = pages(
        {
            "/tzgg/list.html": "undated_list.html",
            "/tzgg/content_30412.html": "content_detail.html",
        }
    )
    url = base + "/tzgg/list.html"
    code, r = probe(url, cwd=tmp_path)
    assert code == 1 and r["items"] == []
    assert len(r["candidates"]) == 6  # what the parser saw, undated, so no list it trusts
    [hint] = [h for h in r["hints"] if "listing = " in h]
    selector = re.search(r'listing = "([^"]+)"', hint).group(1)
    assert selector == "div.wz-list div"
    assert "6 links sit in div.wz-list" in hint
    reg = tmp_path / "sites.toml"
    reg.write_text(
        f"""[sites.mmq]
name = "某某区人民政府"
listings = ["{url}"]

[sites.mmq.overrides]
listing = "{selector}"
next_page = "div.pager a"
""",
        encoding="utf-8",
    )
    code, r = probe(url, "--registry", reg, "--site", "mmq", cwd=tmp_path)
    assert code == 0, r["hints"]
    assert r["site"] == "mmq" and r["overrides"] == ["listing", "next_page"]
    assert [i["title"] for i in r["items"]] == [
        "关于2023年端午节放假安排及有关工作的通知",
        "某某区2023年公开招聘中小学教师拟聘人员公示",
        "关于开展城区燃气安全隐患排查整治的通告",
        "区人社局关于发放2023年一次性扩岗补助的公示",
        "某某区2023年第一批农村危房改造对象认定结果公示",
        "关于征集2024年区级民生实事项目的公告",
    ]
    assert r["items"][0]["url"] == base + "/tzgg/content_30412.html"
    assert all(i["date"] is None for i in r["items"])
    assert (r["next_page"], r["pages"]) == (base + "/tzgg/list_2.html", None)
    assert r["sample"]["published"] == "2023-06-14T16:12:00+08:00"
    assert r["sample"]["source"] == "区政府办公室"
    # ./sites.toml is read without --registry, and the entry found by the URL's host
    code, r2 = probe(url, cwd=tmp_path)
    assert code == 0 and r2["site"] == "mmq" and r2["items"] == r["items"]
    # a selector that misses says so
    reg.write_text(reg.read_text(encoding="utf-8").replace(selector, "ul.news li"), "utf-8")
    code, r = probe(url, cwd=tmp_path)
    assert code == 1 and any("`listing` override" in h for h in r["hints"])
    p = tzgg("probe", url, "--registry", reg, "--site", "nope", cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.startswith("tzgg: error: unknown site 'nope'")


def test_blocks_errors_and_article_pages_are_told_apart(pages, tmp_path):
    challenge = (
        b'<!DOCTYPE html><html><head><meta charset="utf-8"><script>$_ts=window["$_ts"];'
        b'if(!$_ts)$_ts={};$_ts.nsd=41;$_ts.cd="qE3a";</script></head><body></body></html>'
    )
    waf = (
        '<html><head><meta charset="utf-8"><title>访问受限</title></head><body>'
        "<h2>访问过于频繁，请稍后再试</h2><p>事件ID：8f2c</p></body></html>"
    ).encode()
    base = pages(
        {
            "/tzgg/index.html": (412, "text/html; charset=utf-8", challenge),
            "/waf/index.html": (200, "text/html; charset=utf-8", waf),
            "/zwgk/tzgg/202305/t20230516_123.html": "trs_detail_gbk.html",
        }
    )
    code, r = probe(base + "/tzgg/index.html", cwd=tmp_path)
    assert code == 1 and r["status"] == 412
    assert r["hints"][0].startswith("the site blocks the probe: HTTP 412")
    code, r = probe(base + "/waf/index.html", cwd=tmp_path)
    assert code == 1 and "blocks the probe" in r["hints"][0] and "访问过于频繁" in r["hints"][0]
    code, r = probe(base + "/gone/index.html", cwd=tmp_path)
    assert code == 1 and r["hints"][0].startswith("HTTP 404")
    code, r = probe(base + "/zwgk/tzgg/202305/t20230516_123.html", cwd=tmp_path)
    assert code == 1
    assert any(
        "a single notice" in h and h.endswith(f"probe its column {base}/zwgk/tzgg/")
        for h in r["hints"]
    ), r["hints"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://www.x.gov.cn/tzgg/",
        "www.x.gov.cn/tzgg/",
        "http://",
        "http://www.x.gov.cn:abc/tzgg/",
        "http://www.x.gov.cn:99999/tzgg/",
        "http://[::1/tzgg/",
    ],
)
def test_a_bad_url_is_a_usage_error(url, tmp_path):
    p = tzgg("probe", url, cwd=tmp_path)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("tzgg: error:") and p.stderr.count("\n") == 1


def test_an_unreachable_site_is_one_line(tmp_path):
    p = tzgg("probe", "http://127.0.0.1:9/tzgg/", "--json", cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("tzgg: error: http://127.0.0.1:9/tzgg/: cannot fetch")


def test_mojibake_is_recognised():
    page = (
        "<html><body>" + "<p>" + "通知公告".encode().decode("latin-1") * 20 + "</p></body></html>"
    )
    assert _garbled(page)
    assert _garbled("<p>锟斤拷烫烫烫</p>")
    assert not _garbled("<html><body><p>关于开展2023年度安全检查的通知 Café</p></body></html>")


def test_the_text_report_of_nothing_found_lists_the_hints():
    r = {
        "url": "http://x.gov.cn/tzgg/",
        "final_url": "http://x.gov.cn/tzgg/",
        "status": 200,
        "encoding": "utf-8",
        "cms": "generic",
        "items": [],
        "next_page": None,
        "pages": None,
        "sample": None,
        "hints": ["the page is tiny (12 characters of text, 0 links)"],
    }
    text = format_report(r)
    assert "no notices found on this page" in text
    assert "hints:\n  - the page is tiny (12 characters of text, 0 links)" in text


# --- the listing and next_page overrides, on the parser ----------------------------------------

UNDATED = (FIX / "undated_list.html").read_text(encoding="utf-8")
URL = "http://www.mmq.gov.cn/tzgg/list.html"


def ov(**table) -> Overrides:
    return Overrides.from_dict(table)


def test_a_listing_override_replaces_the_block_heuristic():
    assert not is_listing(UNDATED, URL)
    for selector in ("div.wz-list a", "div.wz-list div", "xpath://div[@class='wz-list']//a/@href"):
        page = parse_listing(UNDATED, URL, overrides=ov(listing=selector))
        assert [e.url for e in page.items][:2] == [
            "http://www.mmq.gov.cn/tzgg/content_30412.html",
            "http://www.mmq.gov.cn/tzgg/content_30398.html",
        ], selector
        assert (
            len(page.items) == 6
            and page.items[0].title == "关于2023年端午节放假安排及有关工作的通知"
        )
        assert is_listing(UNDATED, URL, overrides=ov(listing=selector))
    assert not is_listing(UNDATED, URL, overrides=ov(listing="ul.none a"))
    assert parse_listing(UNDATED, URL, overrides=ov(listing="ul.none a")).items == []


def test_listing_override_rows_dates_and_cut_titles():
    html = """<html><body><div class="news">
    <ul class="sidebar"><li><a href="/x/1.html">县里开会部署工作安排</a><span>2023-05-17</span></li>
    <li><a href="/x/2.html">县里开会部署工作安排二</a><span>2023-05-16</span></li>
    <li><a href="/x/3.html">县里开会部署工作安排三</a><span>2023-05-15</span></li></ul>
    <table class="gk"><tr><th>标题</th><th>日期</th></tr>
    <tr><td><a href="a/101.html" title="关于某某路段施工期间临时交通管制的通告">关于某某路段施工期间...</a></td>
        <td>2023年5月12日</td></tr>
    <tr><td><a href="a/100.html">公示</a> <a href="a/99.html">某某区低保对象名单公示</a></td><td>2023/5/9</td></tr>
    </table>
    <p class="flat"><a href="b/1.html">第一条通知标题很长</a> 2023-04-01<br>
       <a href="b/2.html">第二条通知标题很长</a> 2023-03-02<br></p>
    </div></body></html>"""
    url = "http://x.gov.cn/tzgg/index.html"
    page = parse_listing(html, url, overrides=ov(listing="table.gk tr"))
    assert page.items == [
        ListingEntry(
            "http://x.gov.cn/tzgg/a/101.html",
            "关于某某路段施工期间临时交通管制的通告",
            "2023-05-12",
        ),
        # a row's first link (the header row has none)
        ListingEntry("http://x.gov.cn/tzgg/a/100.html", "公示", "2023-05-09"),
    ]
    page = parse_listing(html, url, overrides=ov(listing="table.gk tr td:first-child a:last-child"))
    assert [(e.title, e.date) for e in page.items] == [
        ("关于某某路段施工期间临时交通管制的通告", "2023-05-12"),
        ("某某区低保对象名单公示", "2023-05-09"),
    ]
    # links picked alone in one paragraph: each date is the text after its own link
    page = parse_listing(html, url, overrides=ov(listing="p.flat a"))
    assert [(e.title, e.date) for e in page.items] == [
        ("第一条通知标题很长", "2023-04-01"),
        ("第二条通知标题很长", "2023-03-02"),
    ]


def test_a_next_page_override_replaces_pagination_detection():
    text = (FIX / "trs_index_gbk.html").read_bytes().decode("gb18030")
    url = "http://www.mmx.gov.cn/zwgk/tzgg/index.html"
    plain = parse_listing(text, url)
    assert plain.next_urls[:1] == ["http://www.mmx.gov.cn/zwgk/tzgg/index_1.html"]
    page = parse_listing(text, url, overrides=ov(next_page="xpath://div[@class='zxdt_title']/a"))
    assert page.next_urls == ["http://www.mmx.gov.cn/zwdt/"]
    assert page.items == plain.items and page.page_count == 5 and not page.last_page
    page = parse_listing(text, url, overrides=ov(next_page="div.nothing a"))
    assert (page.next_urls, page.last_page) == ([], True)
    undated = parse_listing(
        UNDATED,
        URL,
        overrides=ov(listing="div.wz-list a", next_page="xpath://div[@class='pager']/a/@href"),
    )
    assert undated.next_urls == ["http://www.mmq.gov.cn/tzgg/list_2.html"]


def test_a_listing_override_on_hanweb_records():
    text = (FIX / "hanweb_col123_index.html").read_text(encoding="utf-8")
    url = "http://www.mmq.gov.cn/col/col123/index.html"
    page = parse_listing(text, url, overrides=ov(listing="xpath://li[contains(a/@title, '公告')]"))
    assert page.family == "hanweb"
    assert [(e.title, e.date) for e in page.items] == [
        ("某某区征收土地预公告", "2023-05-09"),
        ("关于开展第五次全国经济普查单位清查的公告", "2023-05-04"),
        ("某某区2023年春季学期义务教育招生公告", "2023-04-28"),
    ]
    assert page.next_urls == parse_listing(text, url).next_urls  # the data proxy still pages


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"listing": "ul[[["}, r"overrides\.listing: bad selector"),
        ({"next_page": "xpath://a[@"}, r"overrides\.next_page: bad selector"),
        ({"listing": ""}, r"overrides\.listing: a selector must be a non-empty string"),
        ({"next_page": {"selector": "a"}}, r"overrides\.next_page: a selector must be"),
    ],
)
def test_bad_listing_selectors_are_named(table, message):
    with pytest.raises(OverrideError, match=message):
        Overrides.from_dict(table)


def test_listing_keys_stay_out_of_the_extractor_version():
    detail = {"title": "div.bt", "published": {"labels": ["发稿时间"]}}
    with_listing = {**detail, "listing": "ul.list li", "next_page": "a.next"}
    a, b = Overrides.from_dict(detail), Overrides.from_dict(with_listing)
    assert a.digest == b.digest and version_tag(a) == version_tag(b) != EXTRACTOR_VERSION
    assert isinstance(b.listing, etree.XPath) and a.listing is None
    # listing keys alone change no notice: the plain extractor version
    only = Overrides.from_dict({"listing": "ul.list li"})
    assert only.digest == "" and version_tag(only) == EXTRACTOR_VERSION
    # the digest of a table without listing keys is what it always was
    import hashlib

    table = json.dumps(detail, sort_keys=True, ensure_ascii=False)
    assert a.digest == hashlib.sha1(table.encode()).hexdigest()[:8]


# --- a crawl honours the registry's listing override -------------------------------------------


def test_a_crawl_walks_the_list_a_listing_override_names(serve, tmp_path):
    from crawler.demo import DistrictSite

    class TitlesOnly(DistrictSite):
        """A column listing bare titles (no dates, no pagination) beside the dated 热点新闻
        sidebar: the generic parser finds no list it trusts."""

        def _render_trs_listing(self, k: int, count: int) -> str:
            links = "".join(
                f'<div class="item"><a href="{p}" target="_blank">{n.title}</a></div>'
                for n, p in self._page_entries(k)
            )
            return (
                self._head(f"通知公告 - {self.name}", {"ColumnName": "通知公告"})
                + self._top()
                + '<div class="main w1200">\n'
                + self._crumb()
                + '<div class="left-side">\n'
                + self._sidebar()
                + f'</div>\n<div class="wz-list">{links}</div>\n</div>\n'
                + self._footer()
            )

    site = TitlesOnly(style="trs", page_size=10)
    for i in range(4):
        site.add(
            f"关于开展第{i + 1}批次老旧小区改造意见征集的公告", published=f"2023-05-1{i} 10:00"
        )
    srv = serve(site)
    url = site.listing_url(srv.base)
    notices = {site.url(srv.base, n) for n in site.nids()}

    code, [s], p = crawl(url, tmp_path / "plain.db")
    assert code == 3 and any("no_notices_found" in f for f in s["flags"]), (s, p.stderr)
    assert [e for e in events(tmp_path / "plain.db") if e["kind"] == "new"] == []

    reg = tmp_path / "sites.toml"
    reg.write_text(
        f'[sites.yylq]\nlistings = ["{url}"]\n[sites.yylq.overrides]\nlisting = "div.wz-list a"\n',
        encoding="utf-8",
    )
    code, [s], p = crawl(url, tmp_path / "fixed.db", "--registry", reg)
    assert code == 0 and s["counts"]["new"] == 4, (s, p.stderr)
    assert {e["url"] for e in events(tmp_path / "fixed.db") if e["kind"] == "new"} == notices


# --- lists the HTML does not hold: an API a script calls, a single-page app --------------------


def test_a_list_drawn_from_an_api_names_that_api_not_the_weather(pages, tmp_path):
    base = pages({"/jyxx/cggg/index.html": "api_list_shell.html"})
    url = base + "/jyxx/cggg/index.html"
    text = (FIX / "api_list_shell.html").read_text(encoding="utf-8")
    assert parse_listing(text, url).items == []  # not the menu, not the links to other sites
    code, r = probe(url, cwd=tmp_path)
    assert code == 1 and r["items"] == []
    api = [h for h in r["hints"] if h.startswith("a script loads data from")]
    assert len(api) == 1, r["hints"]
    assert api[0].startswith(
        f"a script loads data from {base}/gateway/api/content/search: the list"
    )
    assert "POST" in api[0] and "the empty #noticeRows" in api[0] and "loadRows()" in api[0]
    assert not any("weather" in h or "/stat/visit" in h for h in r["hints"])


def test_the_real_js_only_column_names_its_search_api(pages, tmp_path):
    raw = (require_realpages() / "09_jl_ggzy_trs_zbgg_list_jsonly.html").read_bytes()
    base = pages({"/jyxx/zfcg/zbgg/index.html": (200, "text/html; charset=utf-8", raw)})
    url = base + "/jyxx/zfcg/zbgg/index.html"
    assert parse_listing(raw.decode("utf-8"), url).items == []
    code, r = probe(url, cwd=tmp_path)
    assert code == 1 and r["items"] == []
    assert any(
        h.startswith("a script loads data from https://haiyun.jl.gov.cn/irs/front/search: ")
        for h in r["hints"]
    ), r["hints"]
    # not the weather, not the hidden login check, and not "a single notice"
    assert not any(w in h for h in r["hints"] for w in ("heweather", "checklogin", "single"))


VUE_APP = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title>
<script src="/static/vue.global.prod.js"></script></head><body>
<div id="app" v-cloak><ul class="list"><li v-for="n in notices" :key="n.id">
<a :href="n.url">{{ n.title }}</a><span>{{ n.date }}</span></li></ul>
<div class="pager">{{ page }} / {{ pages }}</div></div>
<script>Vue.createApp({data() { return {notices: [], page: 1, pages: 1}; }}).mount('#app');</script>
</body></html>""".encode()


def test_a_single_page_app_is_said_to_be_out_of_scope(pages, tmp_path):
    base = pages(
        {
            "/col/tzgg.html": "angular_spa.html",
            "/v3/tzgg.html": (200, "text/html; charset=utf-8", VUE_APP),
            "/xxgk/tzgg.html": "iframe_shell.html",
        }
    )
    for path, what in (("/col/tzgg.html", "AngularJS"), ("/v3/tzgg.html", "Vue")):
        code, r = probe(base + path, cwd=tmp_path)
        assert code == 1 and r["items"] == []
        spa = [h for h in r["hints"] if "single-page app" in h]
        assert len(spa) == 1 and what in spa[0] and "out of scope" in spa[0], r["hints"]
    code, r = probe(base + "/xxgk/tzgg.html", cwd=tmp_path)  # a shell, but no app
    assert not any("single-page app" in h for h in r["hints"])


def test_probing_a_data_proxy_window_names_the_window_a_crawl_asks_next(pages, tmp_path):
    answer = (FIX.parent / "listing" / "hanweb_window_1.xml").read_bytes()
    base = pages({"/module/web/jpage/dataproxy.jsp": (200, "text/xml;charset=UTF-8", answer)})
    form = "perpage=5&columnid=4401&unitid=88"
    url = f"{base}/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=5&{form}"
    code, r = probe(url, cwd=tmp_path)
    assert code == 0 and r["cms"] == "hanweb" and len(r["items"]) == 6
    assert (
        r["next_page"] == f"{base}/module/web/jpage/dataproxy.jsp?startrecord=6&endrecord=10&{form}"
    )


# --- the fetch: as a crawl's, with its User-Agent and its size limit ------------------------

_CLI = """
import json, subprocess, sys
out = []
for args in ARGS:
    p = subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True,
                       text=True, timeout=60)
    out.append([p.returncode, p.stdout, p.stderr])
print(json.dumps(out))
"""


def test_extract_and_probe_stop_a_gzip_bomb_at_download_maxsize():
    """340 KB on the wire, 100 MB once decompressed: both commands, and everything they start,
    run under 400 MiB of address space; each says too_large in one line."""
    site = DistrictSite(style="trs")
    site.add("关于征地的公告", body=["正文。"])
    srv = FaultServer(site)
    try:
        srv.fault("/tzgg/bomb.html", "huge", size=100_000_000, gzip=True)
        url = srv.url("/tzgg/bomb.html")
        args = [["extract", url], ["probe", url]]
        out = run_limited(_CLI, setup=f"ARGS = {args!r}", cpu_s=20, mem_mb=400)
    finally:
        srv.close()
    for code, stdout, stderr in json.loads(out):
        assert code == 1 and stdout == "", stderr
        assert stderr.count("\n") == 1 and "too_large" in stderr and "DOWNLOAD_MAXSIZE" in stderr


def test_extract_and_probe_send_the_crawls_user_agent(tmp_path):
    site = DistrictSite(style="trs")
    nid = site.add("关于征地的公告", body=["各有关单位：", "现予公告。"])
    agents = []
    handle = site.handle

    def recording(method, target, headers=None, *rest):
        agents.append((urlsplit(target).path, (headers or {}).get("User-Agent")))
        return handle(method, target, headers, *rest)

    site.handle = recording
    srv = FaultServer(site)
    contact = ("-s", "TZGG_CONTACT=watch@example.org")
    try:
        p = tzgg("probe", srv.listing_url(), *contact, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        p = tzgg("extract", srv.url(site.path(nid)), *contact, "--json", cwd=tmp_path)
        assert p.returncode == 0 and json.loads(p.stdout)["title"] == "关于征地的公告", p.stderr
        p = tzgg("probe", srv.listing_url(), "-s", "CONCURRENT_REQUESTS=1", cwd=tmp_path)
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr  # not a fetch setting
    finally:
        srv.close()
    # the User-Agent a crawl sends: the spider's, from the same settings
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.set("TZGG_CONTACT", "watch@example.org", priority="cmdline")
    NoticesSpider.update_settings(settings)
    crawls = settings["USER_AGENT"]
    assert "watch@example.org" in crawls
    assert {path for path, _ in agents} == {urlsplit(srv.listing_url()).path, site.path(nid)}
    assert {agent for _, agent in agents} == {crawls}
