"""The loopback example district (crawler.demo): what it serves, and how it changes."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request

import pytest

from crawler.demo import BLOCKED_TEXT, SOFT404_TEXT, DistrictSite, serve
from crawler.demo.scenario import ROUND_NOTES, apply_round, build_demo_site


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict | None = None, data: bytes | None = None):
    """(status, headers, raw body bytes) without following redirects or raising."""
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with _opener.open(req, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def site_with(style: str, n: int = 12, page_size: int = 5) -> DistrictSite:
    site = DistrictSite(style=style, page_size=page_size)
    for i in range(n):
        site.add(
            f"测试公告{i + 1:02d}",
            published=f"2021-{i % 12 + 1:02d}-{i % 27 + 1:02d} 10:{i:02d}",
            body=["各有关单位：", f"第{i + 1}号公告正文。", "岳阳楼区政府办公室", "2021年9月24日"],
        )
    return site


@pytest.fixture
def trs():
    site = site_with("trs")
    srv = serve(site)
    yield site, srv
    srv.close()


@pytest.fixture
def hanweb():
    site = site_with("hanweb")
    srv = serve(site)
    yield site, srv
    srv.close()


def visible(html: str) -> tuple[str, str]:
    """(title, body text) as a reader sees them, for either style."""
    title = re.search(r"<h1>(.*?)</h1>|<!--<\$\[标题名称\]>begin-->(.*?)<!--", html, re.S)
    body = re.search(r'class="TRS_Editor">(.*?)</div>|ContentStart">(.*?)<meta', html, re.S)
    strip = lambda s: re.sub(r"<[^>]+>|\s", "", s)  # noqa: E731
    return strip(title.group(1) or title.group(2)), strip(body.group(1) or body.group(2))


# ---- TRS -------------------------------------------------------------------------------


def test_trs_listing_pages_and_pagination(trs):
    site, srv = trs
    status, headers, body = fetch(site.listing_url(srv.base))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode("utf-8")
    assert 'createPageHTML(3, 0, "index", "html");' in page
    assert "function createPageHTML(" in page and "var countPage = 3" in page
    items = re.findall(r'<li><a href="(\./[^"]+)" title="([^"]+)"', page)
    assert [t for _, t in items] == [
        "测试公告12",
        "测试公告11",
        "测试公告10",
        "测试公告09",
        "测试公告08",
    ]
    assert items[0][0] == "." + site.path(12)[len("/tzgg") :]
    assert "热点新闻" in page and "今天是" in page
    # the dated 热点新闻 sidebar is a list of its own, not part of the notices
    listing = re.search(r'<ul class="list">(.*?)</ul>', page, re.S)[1]
    sidebar = re.search(r'<ul class="side-news">(.*?)</ul>', page, re.S)[1]
    assert (
        "/xwzx/" not in listing and len(re.findall(r"/xwzx/\d{6}/t\d{8}_\d+\.html", sidebar)) == 5
    )
    assert fetch(srv.url("/tzgg/index_1.html"))[0] == 200
    last = fetch(srv.url("/tzgg/index_2.html"))[2].decode()
    assert 'createPageHTML(3, 2, "index", "html");' in last
    assert len(re.findall(r'<li><a href="\./', last)) == 2
    assert fetch(srv.url("/tzgg/index_3.html"))[0] == 404
    assert re.fullmatch(r"/tzgg/2021\d\d/t2021\d{4}_1001\.html", site.path(1))


def test_trs_detail_markup(trs):
    site, srv = trs
    nid = site.add(
        "关于征地补偿安置方案的公告",
        published="2021-09-24 16:12",
        body=["各有关单位：", "现将有关事项公告如下。", "岳阳楼区人民政府办公室", "2021年9月24日"],
        doc_number="岳楼政发〔2021〕17号",
        index_number="430602/2021-00017",
        written="2021-09-22",
        attachments=[("名单.pdf", "/files/a.pdf")],
    )
    assert site.path(nid) == "/tzgg/202109/t20210924_1013.html"
    page = fetch(srv.url(site.path(nid)))[2].decode()
    assert "当前位置：" in page and "<h1>关于征地补偿安置方案的公告</h1>" in page
    assert re.search(
        r"来源：区政府办公室 发布时间：2021-09-24 16:12 浏览次数：<span id=\"count\">\d+", page
    )
    assert "岳楼政发〔2021〕17号" in page and "430602/2021-00017" in page and "成文日期" in page
    assert '附件：</span><a href="/files/a.pdf">名单.pdf</a>' in page
    assert "分享到" in page and "打印本页" in page and "关闭窗口" in page and "var _token=" in page
    status, headers, pdf = fetch(srv.url("/files/a.pdf"))
    assert (
        status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
    )


def test_trs_conditional_requests_and_gzip(trs):
    site, srv = trs
    url = srv.url(site.path(3))
    status, headers, body = fetch(url)
    etag, lm = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag and lm
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url, {"If-Modified-Since": lm})[0] == 304
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    status, headers, zipped = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped) == body
    assert fetch(url, {"Accept-Encoding": "gzip;q=0"})[1]["Content-Encoding"] is None
    # an edit in the same second still defeats both validators
    site.edit(3, body=["改过的正文。"])
    assert fetch(url, {"If-None-Match": etag})[0] == 200
    status, headers, _ = fetch(url, {"If-Modified-Since": lm})
    assert status == 200 and headers["Last-Modified"] != lm
    assert [r.status for r in site.requests if r.path == site.path(3)].count(304) == 2


def test_rebuild_is_noise_only(trs):
    site, srv = trs
    url = srv.url(site.path(2))
    _, h1, before = fetch(url)
    _, _, list_before = fetch(site.listing_url(srv.base))
    site.rebuild()
    _, h2, after = fetch(url)
    assert before != after and h1["ETag"] != h2["ETag"]
    assert visible(before.decode()) == visible(after.decode())
    list_after = fetch(site.listing_url(srv.base))[2]
    assert list_before != list_after
    links = r'<ul class="list">(.*?)</ul>'
    assert re.findall(links, list_before.decode(), re.S) == re.findall(
        links, list_after.decode(), re.S
    )
    assert fetch(url, {"If-None-Match": h1["ETag"]})[0] == 200


# ---- Hanweb ----------------------------------------------------------------------------


def test_hanweb_column_and_dataproxy(hanweb):
    site, srv = hanweb
    status, headers, raw = fetch(site.listing_url(srv.base))
    assert site.listing_url(srv.base).endswith("/col/col1234/index.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=gb2312"
    assert "ETag" not in headers and "Last-Modified" not in headers
    page = raw.decode("gb18030")
    assert 'content="text/html; charset=gb2312"' in page
    assert '<div id="5678"><script type="text/xml"><datastore><nextgroup><![CDATA[' in page
    assert "var totalRecord = 12;" in page and "var perpage = 5;" in page
    records = re.findall(r"<record><!\[CDATA\[<li><a href=\"(/art/[^\"]+)\"", page)
    assert records == [site.path(n) for n in (12, 11, 10, 9, 8)]
    assert re.fullmatch(r"/art/2021/\d{1,2}/\d{1,2}/art_1234_1012\.html", records[0])

    proxy = srv.url("/module/web/jpage/dataproxy.jsp?startrecord=6&endrecord=10&perpage=5")
    status, headers, xml = fetch(proxy)
    assert status == 200 and xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    text = xml.decode("utf-8")
    assert "<totalrecord>12</totalrecord>" in text
    assert re.findall(r'href="([^"]+)"', text) == [site.path(n) for n in (7, 6, 5, 4, 3)]
    form = b"col=1&appid=1&webid=1&path=%2F&columnid=1234&unitid=5678&permissiontype=0"
    post = srv.url("/module/web/jpage/dataproxy.jsp?startrecord=11&endrecord=15&perpage=5")
    status, _, xml = fetch(post, data=form)
    assert status == 200
    assert re.findall(r'href="([^"]+)"', xml.decode()) == [site.path(2), site.path(1)]
    past = srv.url("/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=20&perpage=5")
    assert "<record>" not in fetch(past)[2].decode()


def test_hanweb_gbk_counter_and_markers(hanweb):
    site, srv = hanweb
    nid = site.add(
        "关于王珺、李䶮、张𠀾同志任职的公示", published="2021-09-24 16:12", body=["正文。"]
    )
    url = srv.url(site.path(nid))
    assert site.path(nid) == "/art/2021/9/24/art_1234_1013.html"
    _, headers, raw = fetch(url)
    assert "ETag" not in headers and headers["Content-Type"] == "text/html; charset=gb2312"
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    page = raw.decode("gb18030")
    assert "王珺、李䶮、张𠀾" in page and "王珺".encode("gbk") in raw
    assert (
        "<!--<$[标题名称]>begin-->关于王珺、李䶮、张𠀾同志任职的公示<!--<$[标题名称]>end-->" in page
    )
    assert re.search(r'<meta name="ContentStart"><p>.*正文。.*<meta name="ContentEnd">', page)
    for label in ("索引号", "发布机构", "文号", "成文日期", "发布日期"):
        assert f"<th>{label}：</th>" in page
    counts = [
        int(re.search(r"浏览次数：(\d+)", fetch(url)[2].decode("gb18030"))[1]) for _ in range(2)
    ]
    assert counts == [2, 3]
    assert visible(page) == visible(fetch(url)[2].decode("gb18030"))
    _, headers, zipped = fetch(url, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and b"ContentStart" in gzip.decompress(zipped)


def test_generated_names_need_gb18030():
    site = DistrictSite(style="hanweb")
    site.generate(300, seed=1)
    text = "".join(site.get(n)["title"] + "".join(site.get(n)["body"]) for n in site.nids())
    assert any(c in text for c in "䶮𠀾") and "珺" in text
    raw = site.handle("GET", site.path(1)).body
    assert raw.decode("gb18030").encode("gb18030") == raw


# ---- states, moves, listing changes (both styles) --------------------------------------


@pytest.mark.parametrize("style", ["trs", "hanweb"])
def test_states(style):
    site = site_with(style)
    enc = "utf-8" if style == "trs" else "gb18030"
    with serve(site) as srv:
        url = srv.url(site.path(4))
        expected = {
            "404": 404,
            "410": 410,
            "403": 403,
            "412": 412,
            "503": 503,
            "429": 429,
            "soft404": 200,
            "blocked": 200,
            "redirect_home": 302,
            "ok": 200,
        }
        for state, code in expected.items():
            site.set_state(4, state)
            status, headers, body = fetch(url)
            assert status == code, state
            if state in ("503", "429"):
                assert headers["Retry-After"] == "1"
            if state == "soft404":
                assert SOFT404_TEXT in body.decode(enc)
            if state == "blocked":
                assert BLOCKED_TEXT in body.decode(enc)
            if state == "redirect_home":
                assert headers["Location"] == srv.url("/")
                assert fetch(headers["Location"])[0] == 200
        assert fetch(srv.url("/no/such/page.html"))[0] == 404
        status, _, robots = fetch(srv.url("/robots.txt"))
        assert status == 200 and b"Disallow: /private/" in robots
        home = fetch(srv.url("/"))[2].decode(enc)
        assert "测试公告" not in home and site.listing_path(0) in home
        with pytest.raises(ValueError):
            site.set_state(4, "gone")


@pytest.mark.parametrize("style", ["trs", "hanweb"])
def test_move_alias_delist_relist(style):
    site = site_with(style)
    enc = "utf-8" if style == "trs" else "gb18030"

    def listed_links():
        html = site.handle("GET", site.listing_path(0)).body.decode(enc)
        return re.findall(r'<li><a href="([^"]+)"', html)

    with serve(site) as srv:
        old = site.path(12)
        before = fetch(srv.url(old))[2].decode(enc)
        new = (
            "/tzgg/202112/t20211201_2012.html"
            if style == "trs"
            else "/art/2021/12/1/art_1234_2012.html"
        )
        site.move(12, new)
        status, headers, _ = fetch(srv.url(old))
        assert status == 301 and headers["Location"] == srv.url(new)
        assert visible(fetch(srv.url(new))[2].decode(enc)) == visible(before)
        assert any(
            link.endswith(new[len("/tzgg") :] if style == "trs" else new) for link in listed_links()
        )
        assert not any(link.endswith(old.rsplit("/", 1)[1]) for link in listed_links())

        alias = "/xxgk/tzgg/11.html"
        site.add_alias(11, alias)
        assert fetch(srv.url(alias))[2] == fetch(srv.url(site.path(11)))[2] or style == "hanweb"
        assert visible(fetch(srv.url(alias))[2].decode(enc)) == visible(
            fetch(srv.url(site.path(11)))[2].decode(enc)
        )
        assert alias in listed_links()
        with pytest.raises(ValueError):
            site.add_alias(10, alias)

        site.delist(10)
        assert all(not link.endswith(site.path(10).rsplit("/", 1)[1]) for link in listed_links())
        assert fetch(srv.url(site.path(10)))[0] == 200
        assert 10 not in site.listed_nids()
        site.relist(10)
        assert site.listed_nids()[:3] == [12, 11, 10]


@pytest.mark.parametrize("style", ["trs", "hanweb"])
def test_listing_states(style):
    site = site_with(style)
    enc = "utf-8" if style == "trs" else "gb18030"
    with serve(site) as srv:
        url = site.listing_url(srv.base)
        site.listing_state = "500"
        assert fetch(url)[0] == 500
        site.listing_state = "empty"
        status, _, body = fetch(url)
        assert status == 200 and ("var totalRecord = 0;" in body.decode(enc) or style == "trs")
        assert not re.search(r"<li><a href=\"[^\"]*(t2021|art_1234)", body.decode(enc))
        site.listing_state = "redesign"
        status, _, body = fetch(url)
        assert status == 200 and not re.search(r"t2021|art_1234_", body.decode(enc))
        site.listing_state = "ok"
        assert re.search(r"t2021|art_1234_", fetch(url)[2].decode(enc))
        with pytest.raises(ValueError):
            site.listing_state = "broken"


def test_site_wide_state_and_loopback_only():
    site = site_with("trs")
    with serve(site) as srv:
        site.site_state = "503"
        assert fetch(site.listing_url(srv.base))[0] == 503
        assert fetch(srv.url("/robots.txt"))[0] == 200
    with pytest.raises(ValueError):
        serve(site, host="0.0.0.0")
    site.site_state = "redirect_home"
    assert site.handle("GET", "/x", {"Host": "example.org"}).header("Location") == "/"
    assert (
        site.handle("GET", "/x", {"Host": "127.0.0.1:8"}).header("Location")
        == "http://127.0.0.1:8/"
    )


def test_close_is_clean_and_quiet(capfd):
    site = site_with("trs")
    srv = serve(site)
    url = site.listing_url(srv.base)
    assert fetch(url)[0] == 200
    fetch(srv.url("/nope"))
    srv.close()
    srv.close()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert [(r.method, r.status) for r in site.requests] == [("GET", 200), ("GET", 404)]


# ---- scale -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["trs", "hanweb"])
def test_generate_2000(style):
    """(How fast: benchmarks/bench_bounds.py.)"""
    site = DistrictSite(style=style, page_size=20)
    site.generate(2000, seed=0)
    assert len(set(site.get(n)["title"] for n in site.nids())) > 600  # repeats are realistic
    years = {site.get(n)["published"][:4] for n in site.nids()}
    assert len(years) >= 8
    for nid in site.nids():
        assert site.handle("GET", site.path(nid), {"Accept-Encoding": "gzip"}).status == 200
    for k in range(site.page_count()):
        assert site.handle("GET", site.listing_path(k)).status == 200
    assert site.page_count() == 100


def test_generate_over_http():
    site = DistrictSite(style="trs", page_size=20)
    site.generate(2000)
    with serve(site) as srv:
        for nid in range(1, 2001, 10):
            assert fetch(srv.url(site.path(nid)))[0] == 200
        last = fetch(srv.url("/tzgg/index_99.html"))[2].decode()
        assert 'createPageHTML(100, 99, "index", "html");' in last


# ---- the demo scenario -----------------------------------------------------------------


@pytest.mark.parametrize("style", ["trs", "hanweb"])
def test_demo_scenario_rounds(style):
    site = build_demo_site(style=style)
    r = site.roles
    assert len(site.nids()) == 12 and site.page_count() == 3
    assert site.get(r["doc_number"])["doc_number"] == "岳楼政发〔2021〕17号"
    assert site.get(r["attachment"])["attachments"]
    before = {n: site.get(n) for n in site.nids()}
    pages = {n: site.handle("GET", site.path(n)).body for n in site.nids()}

    assert apply_round(site, 1) == ROUND_NOTES[1]
    after = {n: site.get(n) for n in before}
    assert after[r["edited"]]["body"] != before[r["edited"]]["body"]
    assert after[r["edited"]]["title"] == before[r["edited"]]["title"]
    assert after[r["title_fix"]]["title"].endswith("任前公示")
    assert after[r["title_fix"]]["body"] == before[r["title_fix"]]["body"]
    assert site.handle("GET", site.path(r["gone404"])).status == 404
    soft = site.handle("GET", site.path(r["soft404"]))
    assert (
        soft.status == 200
        and SOFT404_TEXT.encode("gb18030" if style == "hanweb" else "utf-8") in soft.body
    )
    assert site.handle("GET", site.path(r["redirect_home"])).status == 302
    listed = site.listed_nids()
    assert r["delisted"] not in listed
    assert site.handle("GET", site.path(r["delisted"])).status == 200
    oldest = min(listed, key=lambda n: site.get(n)["published"])
    assert site.get(r["delisted"])["published"] > site.get(oldest)["published"]
    assert listed[0] == r["new"] == 13
    untouched = set(before) - {
        r[k] for k in ("edited", "title_fix", "gone404", "soft404", "redirect_home")
    }
    for n in untouched:
        assert after[n] | {"listed": True} == before[n] | {"listed": True}
        page = site.handle("GET", site.path(n)).body
        assert page != pages[n]  # noise everywhere
        enc = "gb18030" if style == "hanweb" else "utf-8"
        assert visible(page.decode(enc)) == visible(pages[n].decode(enc))

    apply_round(site, 2)
    assert site.handle("GET", site.path(r["gone404"])).status == 200
    assert site.get(r["gone404"]) == before[r["gone404"]]
    assert r["delisted"] not in site.listed_nids()  # a second walk without it
    assert site.handle("GET", site.path(r["soft404"])).status == 200  # still a soft 404
    apply_round(site, 3)
    assert r["delisted"] in site.listed_nids()
    with pytest.raises(ValueError):
        apply_round(site, 4)


def test_demo_site_served():
    site = build_demo_site()
    with serve(site) as srv:
        links = []
        for k in range(site.page_count()):
            page = fetch(srv.url(site.listing_path(k)))[2].decode()
            links += re.findall(r'<ul class="list">(.*?)</ul>', page, re.S)
        assert sum(chunk.count("<li>") for chunk in links) == 12
        assert all(fetch(srv.url(site.path(n)))[0] == 200 for n in site.nids())
