"""The seed's layout: a Hunan (Yueyang) 集约化 district site, crawled for real on loopback.

The project started from a 岳阳楼区 notice on this platform.  Its detail pages write the
metadata line as adjacent inline elements with nothing between them,
`<span>来源:区政府办公室</span><span>日期:2021-09-24 16:12</span><span>字号:【大 中 小】</span>`,
so the page's text reads `来源:区政府办公室日期:2021-09-24 16:12字号:【大 中 小】`: every label
after the first is glued to the value before it.  The publish date and the source must
still come out right, and a crawl of such a site must not look broken.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

from crawler.demo import CST, DistrictSite
from crawler.demo.scenario import build_demo_site
from tests.conftest import crawl, events

SEED = "2021-09-24 16:12"  # the seed notice's 日期 (the scenario's notice of that day)
CRUMB = ["首页", "政务公开", "公示公告", "通知公告"]
HOST = "http://www.yylq.gov.cn"


def seed_site() -> DistrictSite:
    """The demo district's twelve 2021 notices, plus one with an empty 来源: four listing
    pages of four on the 集约化 template."""
    site = build_demo_site(style="yueyang", page_size=4)
    site.add(
        "关于2021年国庆节放假期间值班安排的通知",
        published="2021-09-28 08:45",
        source=None,  # the page prints "来源:" and nothing: no source
        body=[
            "区直各单位：",
            "根据国务院办公厅关于2021年部分节假日安排的通知精神，现将国庆节放假期间值班安排通知如下：",
            "一、值班时间：2021年10月1日至7日，每日8:00至次日8:00。",
            "二、值班要求：值班人员须坚守岗位，确保通讯畅通，遇有重大情况及时报告。",
            "岳阳楼区人民政府办公室",
            "2021年9月28日",
        ],
    )
    return site


def seed_nid(site: DistrictSite) -> int:
    return next(n for n in site.nids() if site.get(n)["published"] == SEED)


def iso(published: str) -> str:
    """What the site prints (Asia/Shanghai wall time) as the archive stores it."""
    return datetime.strptime(published, "%Y-%m-%d %H:%M").replace(tzinfo=CST).isoformat()


def test_the_site_writes_the_seed_layout():
    site = seed_site()
    nid = seed_nid(site)
    assert re.fullmatch(r"/32415/40825/content_\d+\.html", site.path(nid))
    resp = site.handle("GET", site.path(nid))
    assert resp.status == 200 and resp.header("Content-Type") == "text/html; charset=utf-8"
    assert resp.header("ETag") and resp.header("Last-Modified")
    page = resp.body.decode("utf-8")
    crumb = re.sub(r"<[^>]+>", "", re.search(r'<div class="dqwz">(.*?)</div>', page)[1])
    assert crumb.replace("&gt;", ">") == "当前位置: 首页 > 政务公开 > 公示公告 > 通知公告"
    line = re.search(r'<div class="sp_time">(.*?)</div>', page)[1]
    assert line.startswith(
        "<span>来源:区政府办公室</span><span>日期:2021-09-24 16:12</span><span>字号:【"
    )
    views = re.search(r"<span>浏览量:<em>(\d+)</em></span>", line)[1]
    assert re.sub(r"<[^>]+>", "", line) == (
        f"来源:区政府办公室日期:2021-09-24 16:12字号:【大 中 小】浏览量:{views}视力保护色:"
    )
    assert "PubDate" not in page and "ContentSource" not in page  # the line is the only place
    assert "<h1>" + site.get(nid)["title"] + "</h1>" in page and "2021年9月24日</p>" in page

    # the column: index.html, index_2.html … with a plain 下一页 link and 共N页
    assert site.page_count() == 4
    col = "/32415/40825/"
    assert [site.listing_path(k) for k in range(4)] == [
        col + "index.html",
        col + "index_2.html",
        col + "index_3.html",
        col + "index_4.html",
    ]
    for k in range(4):
        text = site.handle("GET", site.listing_path(k)).body.decode("utf-8")
        assert f"共13条 共4页 当前第{k + 1}页" in text
        assert (f'<a href="index_{k + 2}.html">下一页</a>' in text) == (k < 3)
        links = re.findall(r'<li><a href="(/32415/40825/content_\d+\.html)"', text)
        assert links == [site.path(n) for n in site.listed_nids()[4 * k : 4 * k + 4]]
    assert site.handle("GET", col + "index_1.html").status == 404
    assert site.handle("GET", col + "index_5.html").status == 404


def test_extract_a_seed_page():
    from crawler.parse.notice import extract_notice

    site = seed_site()
    nid = seed_nid(site)
    want = site.get(nid)
    n = extract_notice(site.handle("GET", site.path(nid)).body, HOST + site.path(nid))
    first, last = want["body"][0], want["body"][-1]
    assert last == "2021年9月24日"
    assert {
        "title": n.title,
        "published": n.published,
        "source": n.source,
        "breadcrumb": n.breadcrumb,
        "body starts": n.body[: len(first)],
        "body ends": n.body[-len(last) :],
    } == {
        "title": want["title"],
        "published": "2021-09-24T16:12:00+08:00",
        "source": "区政府办公室",
        "breadcrumb": CRUMB,
        "body starts": first,
        "body ends": last,
    }


def test_every_seed_page_gives_its_own_body():
    """Short notices too: the template's footer (主办, 网站标识码, ICP备) outweighs a two-line
    notice in a text-density guess, and must never be taken for its body."""
    from crawler.parse.notice import extract_notice

    site = seed_site()
    site.generate(30, seed=3)
    for nid in site.nids():
        want = site.get(nid)["body"]
        n = extract_notice(site.handle("GET", site.path(nid)).body, HOST + site.path(nid))
        assert n.body.startswith(want[0]) and n.body.endswith(want[-1]), (nid, n.body[:80])


def archived(db) -> dict[str, tuple]:
    """url -> (title, published, source) of every notice's current version."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT n.url, v.title, v.published, v.source FROM notices n JOIN versions v"
            " ON v.notice_id = n.id AND v.version = n.current_version"
        ).fetchall()
    return {url: tuple(rest) for url, *rest in rows}


def all_event_kinds(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [k for (k,) in conn.execute("SELECT kind FROM events ORDER BY id")]


def test_crawl_a_seed_layout_site(tmp_path, serve):
    site = seed_site()
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "seed.db"

    code, [s], p = crawl(url, db)
    assert code == 0, (s["flags"], p.stderr[-2000:])
    assert s["flags"] == [] and s["counts"]["new"] == 13, s
    listing = sorted(x for x in site.requests.paths() if x.startswith("/32415/40825/index"))
    assert listing == sorted(site.listing_path(k) for k in range(4))  # each page, once
    assert archived(db) == {
        srv.base + site.path(n): (
            site.get(n)["title"],
            iso(site.get(n)["published"]),
            site.get(n)["source"],
        )
        for n in site.nids()
    }
    assert all_event_kinds(db) == ["new"] * 13  # no site_broken, nor any other

    # an edit of one notice's 来源 is one edit, of `source`
    nid = seed_nid(site)
    mark = max(e["at"] for e in events(db))
    site.edit(nid, source="区财政局")
    code, [s], p = crawl(url, db)
    assert code == 0, (s["flags"], p.stderr[-2000:])
    assert s["flags"] == [], s
    got = [e for e in events(db) if e["at"] > mark]
    assert [(e["kind"], e["url"], e["fields"]) for e in got] == [
        ("edited", srv.base + site.path(nid), ["source"])
    ]
    assert archived(db)[srv.base + site.path(nid)][2] == "区财政局"
    assert "site_broken" not in all_event_kinds(db)


def test_the_seed_layout_site_changes_like_the_others():
    """States, moves, aliases, delisting, listing states, validators and rebuild noise work
    on the 集约化 template as on the others (test_fixturesite covers trs and hanweb)."""
    site = seed_site()
    nid = seed_nid(site)
    path = site.path(nid)

    def links(k: int = 0) -> list[str]:
        text = site.handle("GET", site.listing_path(k)).body.decode("utf-8")
        block = re.search(r'<ul class="list">(.*?)</ul>', text, re.S)
        return re.findall(r'<li><a href="([^"]+)"', block[1]) if block else []

    def visible(body: bytes) -> str:
        text = body.decode("utf-8")
        main = re.search(r'<div class="main-box">(.*?)<div class="sp_ewm">', text, re.S)[1]
        return re.sub(r"<em>\d+</em>", "", main)  # the view count is noise

    first = site.handle("GET", path)
    etag = first.header("ETag")
    assert site.handle("GET", path, {"If-None-Match": etag}).status == 304
    site.rebuild()
    again = site.handle("GET", path, {"If-None-Match": etag})
    assert again.status == 200 and again.body != first.body
    assert visible(again.body) == visible(first.body)

    for state, status in (("404", 404), ("soft404", 200), ("redirect_home", 302), ("ok", 200)):
        site.set_state(nid, state)
        assert site.handle("GET", path).status == status, state
    site.move(nid, "/32415/40825/content_2001.html")
    assert site.handle("GET", path).header("Location") == "/32415/40825/content_2001.html"
    assert "/32415/40825/content_2001.html" in links() + links(1) + links(2) + links(3)
    site.add_alias(1, "/32415/40826/content_3001.html")
    assert site.handle("GET", "/32415/40826/content_3001.html").status == 200
    site.delist(2)
    assert site.path(2) not in sum((links(k) for k in range(site.page_count())), [])
    site.relist(2)
    assert site.path(2) in sum((links(k) for k in range(site.page_count())), [])

    site.listing_state = "500"
    assert site.handle("GET", site.listing_path(0)).status == 500
    site.listing_state = "empty"
    assert links() == [] and site.handle("GET", site.listing_path(1)).status == 404
    site.listing_state = "redesign"
    assert "content_" not in site.handle("GET", site.listing_path(0)).body.decode("utf-8")
    site.redesign_details()
    assert "sp_time" not in site.handle("GET", site.path(3)).body.decode("utf-8")
