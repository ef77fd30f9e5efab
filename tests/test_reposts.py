"""A city's notice reposted by two district sites (issue 19): each copy keeps its own history,
the archive groups them, search shows the group once, and when one district edits or removes
its copy while the other keeps it, a `diverged` event says so - in `changes`, `show` and the
feed.  Real crawls of two loopback sites under two registry keys."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from crawler.demo import DistrictSite
from tests.conftest import crawl, tzgg

pytestmark = pytest.mark.usefixtures("closes_sqlite")

FIREWORKS = (
    "关于做好二〇二五年春节期间烟花爆竹安全管理工作的通知",
    [
        "各县市区人民政府，市直有关单位：",
        "为切实做好春节期间烟花爆竹安全管理工作，严防各类事故发生，经市政府同意，"
        "现就有关事项通知如下：一、严格落实属地管理责任，城区禁放区域内任何单位和个人不得燃放"
        "烟花爆竹；二、加强对批发零售网点的检查，严禁超量储存；三、公安、应急管理、市场监管"
        "部门开展联合执法，依法查处非法生产、经营、运输行为。",
    ],
    "岳市政办发〔2025〕3号",
)
WATER = (
    "关于城区部分区域临时停水的通知",
    [
        "因供水主管网改造施工，定于本周六八时至二十时对城区部分区域临时停水，涉及金鹗东路、"
        "青年中路、建湘路沿线小区及单位，请相关用户提前做好储水准备，由此带来的不便敬请谅解。"
        "施工结束后将逐步恢复供水，恢复初期水质可能浑浊，请放水片刻后再使用。",
    ],
)
OWN = {
    "yylq": [
        (
            "岳阳楼区二〇二四年度财政预算执行情况公告",
            "区财政局对二〇二四年度预算执行情况进行了全面清理。",
        )
    ],
    "jsq": [
        (
            "君山区柳林洲镇河道清淤工程招标公告",
            "招标人为君山区水利局，工期九十日历天，投标人须具备水利水电工程施工资质。",
        )
    ],
}


def _sites(serve):
    a = DistrictSite(style="trs", page_size=10, domain="www.yylq.gov.cn")
    b = DistrictSite(style="hanweb", page_size=10, domain="www.junshan.gov.cn")
    ids = {}
    ids["a_fire"] = a.add(
        FIREWORKS[0], "2025-01-20 09:00", body=FIREWORKS[1], doc_number=FIREWORKS[2]
    )
    ids["a_water"] = a.add(WATER[0], "2025-02-03 10:00", body=WATER[1])
    ids["b_fire"] = b.add(
        FIREWORKS[0], "2025-01-21 15:30", body=FIREWORKS[1], doc_number=FIREWORKS[2]
    )
    # B reposts the water notice under its own title, with a line of its own
    ids["b_water"] = b.add("转发" + WATER[0], "2025-02-04 08:00", body=[*WATER[1], "特此转发。"])
    for site, key in ((a, "yylq"), (b, "jsq")):
        for title, body in OWN[key]:
            ids[f"{key}_own"] = site.add(title, "2025-01-10 09:00", body=[body])
    return a, serve(a), b, serve(b), ids


def _registry(path, a_url: str, b_url: str) -> str:
    path.write_text(
        f'[sites.yylq]\nname = "岳阳楼区人民政府"\nlistings = ["{a_url}"]\n'
        f'[sites.jsq]\nname = "君山区人民政府"\nlistings = ["{b_url}"]\n',
        encoding="utf-8",
    )
    return str(path)


def _show(db, url: str) -> dict:
    p = tzgg("show", url, "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _crawl(db, reg, key):
    code, _s, p = crawl(key, db, "--registry", reg)
    assert code == 0, p.stderr


def test_reposts_are_grouped_and_a_copy_that_changes_diverges(tmp_path, serve):
    a, sa, b, sb, ids = _sites(serve)
    db = tmp_path / "a.db"
    reg = _registry(tmp_path / "sites.toml", a.listing_url(sa.base), b.listing_url(sb.base))
    _crawl(db, reg, "yylq")
    _crawl(db, reg, "jsq")
    url = {k: (sa if k.startswith(("a_", "yylq")) else sb).base for k in ids}
    url = {k: url[k] + (a if k.startswith(("a_", "yylq")) else b).path(n) for k, n in ids.items()}
    shown = {k: _show(db, u) for k, u in url.items()}

    # each copy is its own notice, with the other site's copy listed
    for mine, theirs, site in (
        ("a_fire", "b_fire", "jsq"),
        ("b_fire", "a_fire", "yylq"),
        ("a_water", "b_water", "jsq"),
        ("b_water", "a_water", "yylq"),
    ):
        assert shown[mine]["copies"] == [
            {"id": shown[theirs]["id"], "site": site, "url": url[theirs], "status": "active"}
        ]
    assert shown["yylq_own"]["copies"] == [] and shown["jsq_own"]["copies"] == []
    text = tzgg("show", url["a_fire"], "--db", db).stdout
    assert f"copy on jsq (active): {shown['b_fire']['id']}  {url['b_fire']}" in text

    # search shows the group once, with its copy
    p = tzgg("search", "烟花爆竹 安全管理", "--db", db, "--json")
    results = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(results) == 1 and len(results[0]["copies"]) == 1
    assert {results[0]["id"], results[0]["copies"][0]["id"]} == {
        shown["a_fire"]["id"],
        shown["b_fire"]["id"],
    }
    # a site filter finds that site's copy, still naming the other
    p = tzgg("search", "烟花爆竹", "--site", "jsq", "--db", db, "--json")
    (only,) = [json.loads(line) for line in p.stdout.splitlines()]
    assert only["id"] == shown["b_fire"]["id"] and only["copies"][0]["site"] == "yylq"

    # B edits its copy of the fireworks notice; A removes its water notice; A edits a notice
    # of its own (no copy: no divergence)
    b.edit(ids["b_fire"], body=[FIREWORKS[1][0], FIREWORKS[1][1].replace("二、", "二、每日")])
    a.set_state(ids["a_water"], "404")
    a.edit(ids["yylq_own"], body=["区财政局对二〇二四年度预算执行情况进行了全面清理和复核。"])
    _crawl(db, reg, "jsq")
    _crawl(db, reg, "yylq")
    p = tzgg("changes", "--kind", "diverged", "--db", db, "--json")
    diverged = [json.loads(line) for line in p.stdout.splitlines()]
    got = sorted(
        (e["notice_id"], e["reason"], [c["id"] for c in e["evidence"]["copies"]]) for e in diverged
    )
    assert got == sorted(
        [
            (shown["b_fire"]["id"], "edited", [shown["a_fire"]["id"]]),
            (shown["a_water"]["id"], "removed", [shown["b_water"]["id"]]),
        ]
    )
    # each copy kept its own history
    assert len(_show(db, url["a_fire"])["versions"]) == 1
    assert len(_show(db, url["b_fire"])["versions"]) == 2
    assert _show(db, url["b_water"])["copies"][0]["status"] == "removed"

    # the next crawls change nothing: no divergence is told twice
    _crawl(db, reg, "jsq")
    _crawl(db, reg, "yylq")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM events WHERE kind = 'diverged'").fetchone()[0] == 2

    # the feed carries it, naming the copy that kept the text
    out = tmp_path / "feed.xml"
    p = tzgg("feed", "--kind", "diverged", "--db", db, "--registry", reg, "-o", out)
    assert p.returncode == 0, p.stderr
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.parse(out).getroot().findall("a:entry", ns)
    assert len(entries) == 2
    text = " ".join(e.find("a:content", ns).text for e in entries)
    assert url["a_fire"] in text and url["b_water"] in text

    # the web app: a notice's copies, the divergence in its timeline, search showing it once
    from tests.conftest import serving_ui
    from tests.test_webui import doc, get

    with serving_ui(db) as base:
        root = base.rsplit("/", 1)[0]
        status, html, _h = get(f"{root}/notice/{shown['b_fire']['id']}")
        assert status == 200
        page = doc(html)
        links = [a.get("href") for a in page.cssselect("tr.copies a")]
        assert links == [f"/notice/{shown['a_fire']['id']}"]
        assert "转载分歧 · diverged" in page.text_content()
        status, html, _h = get(f"{root}/search?q=" + urllib.parse.quote("烟花爆竹"))
        page = doc(html)
        assert len(page.cssselect("ol.results li.result")) == 1
        assert len(page.cssselect("ol.results .copies a")) == 1
        # the home page lists the divergences, each with the copies that kept the text
        status, html, _h = get(f"{root}/")
        items = doc(html).cssselect("#diverged ol.events li")
        assert len(items) == 2
        kept = {a.get("href") for li in items for a in li.cssselect(".meta a")}
        assert kept == {f"/notice/{shown['a_fire']['id']}", f"/notice/{shown['b_water']['id']}"}


def test_a_divergence_is_judged_on_what_changed(tmp_path):
    """Two sites' copies, through the archive: a title corrected on one copy diverges from the
    other; the same correction made later on the other copy does not (they agree again); a
    changed date alone (copies differ in dates from the start) is no divergence."""
    from archive.storage.queries import changes
    from archive.storage.store import Archive
    from tests.test_store import fetch, notice

    db = tmp_path / "a.db"
    body = FIREWORKS[1][0] + "\n" + FIREWORKS[1][1]

    def copy(site: str, at: str, **over):
        url = f"http://{site}/tzgg/t1.html"
        n = notice(1, **{"url": url, "title": FIREWORKS[0], "body": body, **over})
        return fetch(1, site=site, url=url, final_url=url, notice=n, at=at)

    def run(site: str, at: str, **over):
        a = Archive(db)
        r = a.begin_run(site, [], at=at)
        a.ingest(copy(site, at, **over), r)
        a.finish_run(r)
        a.close()

    run("a.gov.cn", "2026-01-01T00:00:00Z")
    run("b.gov.cn", "2026-01-02T00:00:00Z")
    corrected = FIREWORKS[0] + "（更正）"
    run("a.gov.cn", "2026-01-03T00:00:00Z", title=corrected)
    run("b.gov.cn", "2026-01-04T00:00:00Z", title=corrected)
    run("b.gov.cn", "2026-01-05T00:00:00Z", title=corrected, published="2025-01-30T09:00:00+08:00")
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    told = [(e["site"], e["reason"]) for e in changes(conn, kind="diverged")]
    assert told == [("a.gov.cn", "edited")]
    conn.close()
