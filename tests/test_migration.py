"""A district moves to a new platform (issue 19): its old URLs answer 404 while the same notices
appear at a new host in a new template, some re-dated, one edited on the way, two lost.  Two
real crawls of one registry key on loopback sites; the archive links what moved and holds the
rest, and a site that is only down links nothing."""

from __future__ import annotations

import json
import sqlite3

import pytest

from crawler.demo import DistrictSite
from tests.conftest import crawl

pytestmark = pytest.mark.usefixtures("closes_sqlite")

NOTICES = [
    (
        "关于枫林路北段实行交通管制的通告",
        "因雨污分流改造施工，自即日起对枫林路北段实行全封闭交通管制，过往车辆请绕行金鹗中路。",
    ),
    (
        "关于启动防汛四级应急响应的通知",
        "区防指决定启动防汛四级应急响应，各乡镇街道严格落实二十四小时值班制度，加强巡堤查险。",
    ),
    (
        "洞庭村集体土地征收补偿安置方案公告",
        "经批准征收洞庭村三组集体土地十二点四六公顷，补偿标准按区片综合地价执行，请于期限内办理登记。",
    ),
    (
        "区城投公司二〇二三年度财务收支审计结果公告",
        "区审计局对区城投公司财务收支进行了审计，发现的问题已全部整改到位，相关责任人已作出处理。",
    ),
    (
        "城区道路提质改造工程（一期）招标公告",
        "招标人为区住房和城乡建设局，投标人须具备市政公用工程施工总承包二级及以上资质。",
    ),
    (
        "二〇二四年城乡居民最低生活保障对象名单公示",
        "经入户调查和民主评议，拟将王建国等十二户纳入最低生活保障范围，公示期七天。",
    ),
]


def _registry(path, listings: list[str]) -> str:
    body = '[sites.yylq]\nname = "岳阳楼区人民政府"\nregion = "430602"\n'
    body += "listings = [" + ", ".join(f'"{u}"' for u in listings) + "]\n"
    path.write_text(body, encoding="utf-8")
    return str(path)


def _site(style: str, domain: str, notices, dates) -> DistrictSite:
    site = DistrictSite(style=style, page_size=10, domain=domain)
    for (title, body), date in zip(notices, dates, strict=True):
        site.add(title, date, body=[body, "特此公告。"])
    return site


DATES = [f"2024-0{i + 1}-1{i} 09:00" for i in range(len(NOTICES))]


def _archived(tmp_path, serve):
    """The old site served and crawled once under its key: (site, its server, archive)."""
    old = _site("trs", "www.yylq.gov.cn", NOTICES, DATES)
    srv = serve(old)
    db = tmp_path / "a.db"
    reg = _registry(tmp_path / "sites.toml", [old.listing_url(srv.base)])
    code, [s], p = crawl("yylq", db, "--registry", reg)
    assert code == 0 and s["counts"]["new"] == len(NOTICES), p.stderr
    return old, srv, db


def test_a_migration_links_the_moved_edited_and_re_dated_and_holds_the_lost(tmp_path, serve):
    old, old_srv, db = _archived(tmp_path, serve)
    dates = DATES

    # the move: a new host and template; notices 0 and 1 re-dated (the migration's day), 2
    # edited on the way, 3 moved as it was, 4 and 5 lost; the old URLs answer 404, a redirect
    # home or a 200 page saying the site is being rebuilt (升级改版中), by turns
    moved = list(NOTICES[:4])
    moved[2] = (moved[2][0], moved[2][1].replace("十二点四六", "十三点零二"))
    new_dates = ["2025-06-30 10:00", "2025-06-30 10:00", dates[2], dates[3]]
    new = _site("hanweb", "zwgk.hunan.gov.cn", moved, new_dates)
    new_srv = serve(new)
    for i, nid in enumerate(old.nids()):
        old.set_state(nid, ("404", "redirect_home", "upgrading")[i % 3])
    listings = [old.listing_url(old_srv.base), new.listing_url(new_srv.base)]
    reg = _registry(tmp_path / "sites.toml", listings)
    code, [s], p = crawl("yylq", db, "--registry", reg)
    assert code in (0, 3), p.stderr

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == len(NOTICES)
    ev = [dict(r) for r in conn.execute("SELECT * FROM events WHERE run_id = 2 ORDER BY id")]
    kinds = [e["kind"] for e in ev]
    assert "new" not in kinds, kinds  # nothing new: each was an archived notice, moved
    moved_ev = [e for e in ev if e["kind"] == "moved"]
    # each moved notice has its event, with what matched it (the new template's page of notice
    # 3 differs from the old one's in a field, so the migration matched it too)
    assert sorted(e["title"] for e in moved_ev) == sorted(t for t, _b in NOTICES[:4])
    anchors = {e["title"]: json.loads(e["evidence"])["anchor"] for e in moved_ev}
    assert anchors[NOTICES[2][0]] == "text" and set(anchors.values()) <= {"text", "same_content"}
    for e in moved_ev:
        proof = json.loads(e["evidence"])
        assert proof["from"] and proof["to"].startswith(new_srv.base) and proof["migration"]
        assert all(u.startswith(old_srv.base) for u in proof["from"])
    edited = {e["title"]: json.loads(e["evidence"]) for e in ev if e["kind"] == "edited"}
    assert "published" in json.loads(
        next(e for e in ev if e["kind"] == "edited" and e["title"] == NOTICES[0][0])["fields"]
    )
    assert edited[NOTICES[0][0]]["published_regenerated"]["after"].startswith("2025-06-30")
    assert "body" in json.loads(
        next(e for e in ev if e["kind"] == "edited" and e["title"] == NOTICES[2][0])["fields"]
    )
    # each moved notice: one history, both URLs
    for title in (NOTICES[0][0], NOTICES[2][0]):
        (nid,) = conn.execute(
            "SELECT notice_id FROM versions WHERE title = ? AND version = 1", (title,)
        ).fetchone()
        urls = [
            r[0] for r in conn.execute("SELECT url FROM notice_urls WHERE notice_id = ?", (nid,))
        ]
        assert len(urls) == 2 and any(u.startswith(new_srv.base) for u in urls)
        assert (
            conn.execute("SELECT current_version FROM notices WHERE id = ?", (nid,)).fetchone()[0]
            == 2
        )
    # the lost ones: the new listing was walked whole and they are not on it: not migrated
    flags = json.loads(conn.execute("SELECT flags FROM runs WHERE id = 2").fetchone()[0])
    assert any(f.startswith("removals_held:") for f in flags)
    assert any(f.startswith("migration:4_moved_") and f.endswith("_2_not_migrated") for f in flags)
    gone = [e for e in ev if e["kind"] == "removed"]
    assert sorted(e["title"] for e in gone) == sorted([NOTICES[4][0], NOTICES[5][0]])
    for e in gone:
        assert e["reason"] == "not_migrated"
        proof = json.loads(e["evidence"])
        assert proof["migration"]["moved"] == 4
    # (notice 4's old URL redirected home, notice 5's showed 升级改版中: the evidence says so)
    proofs = {e["title"]: json.loads(e["evidence"]) for e in gone}
    assert proofs[NOTICES[5][0]]["phrase"] == "网站升级改版中", proofs[NOTICES[5][0]]
    conn.close()

    # the next crawl: the moved notices are seen at their new URLs, unchanged, and the old
    # URLs, known gone, make no mass failure: nothing happens
    code, [s], p = crawl("yylq", db, "--registry", reg)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM events WHERE run_id = 3").fetchone()[0] == 0
    flags = json.loads(conn.execute("SELECT flags FROM runs WHERE id = 3").fetchone()[0])
    assert not any(f.startswith(("removals_held:", "migration:")) for f in flags), flags


def test_a_site_only_down_links_nothing(tmp_path, serve):
    old, srv, db = _archived(tmp_path, serve)
    reg = _registry(tmp_path / "sites.toml", [old.listing_url(srv.base)])
    for nid in old.nids():
        old.set_state(nid, "404")
    crawl("yylq", db, "--registry", reg)
    conn = sqlite3.connect(db)
    kinds = [r[0] for r in conn.execute("SELECT kind FROM events WHERE run_id = 2")]
    assert "moved" not in kinds and "removed" not in kinds
    flags = json.loads(conn.execute("SELECT flags FROM runs WHERE id = 2").fetchone()[0])
    assert any(f.startswith("removals_held:") for f in flags)
    assert not any(f.startswith("migration:") for f in flags)


def test_a_mass_failure_is_judged_on_the_urls_still_alive(tmp_path, serve):
    """Half a site's notices were removed two at a time over earlier crawls; then every page
    answers 404: the live half all failing is a mass failure (held), not half a site removed
    (the share is of the URLs not already recorded gone)."""
    site = DistrictSite(style="trs", page_size=10)
    eight = [(f"{t}（{i}）", f"{b}第{i}批。") for i, (t, b) in enumerate(NOTICES[:4] * 2)]
    nids = [site.add(t, DATES[i % 4], body=[b]) for i, (t, b) in enumerate(eight)]
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    assert crawl(url, db)[0] == 0
    for batch in (nids[:2], nids[2:4]):  # two removals a crawl: under half of the live URLs
        for nid in batch:
            site.set_state(nid, "404")
        crawl(url, db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM events WHERE kind = 'removed'").fetchone()[0] == 4
    for nid in nids:
        site.set_state(nid, "404")
    crawl(url, db)
    last = conn.execute("SELECT max(id) FROM runs").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM events WHERE run_id = ?", (last,)).fetchone()[0] == 0
    flags = json.loads(conn.execute("SELECT flags FROM runs WHERE id = ?", (last,)).fetchone()[0])
    assert any(f.startswith("removals_held:4_of_") for f in flags), flags


# 不动产更正登记公告: siblings that differ only in a name, an address and a number
SIBLING = "不动产更正登记公告"
OWNERS = ["张建华", "李桂兰", "王志强", "刘淑珍", "陈国平"]
ADDRESS = ["金鹗中路12号", "洞庭南路88号", "巴陵西路3号", "五里牌路61号", "学院路207号"]


def _sibling(i: int) -> str:
    return (
        f"经审查，{OWNERS[i]}申请对坐落于岳阳楼区{ADDRESS[i]}的不动产进行更正登记，"
        f"不动产权证号为湘（2023）岳阳市不动产权第00{4817 + i * 131}号。"
        "如有异议，请自公告之日起十五个工作日内向区不动产登记中心书面提出。"
    )


TIE = (
    "区政务服务中心办理时间调整的公告",
    "自下月起区政务服务中心周六上午照常办理不动产登记、社保和医保业务，其余时间休息。",
)


def _json(p) -> list:
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def test_a_redesign_on_the_same_host_keeps_siblings_apart_and_a_tie_is_a_persons(tmp_path, serve):
    """The district redesigns in place: every notice gets a new URL on the same host and the
    migration's date; the old URLs answer 404.  Five templated siblings must each find their
    own (the one dropped is removed, not absorbed by a sibling), and two old notices a word
    apart, of which one came back with that word edited, are a near tie kept for a person, who
    links it (`tzgg link`), and then finds it wrong (`tzgg unlink`)."""
    from tests.conftest import tzgg

    site = DistrictSite(style="trs", page_size=20)
    siblings = [site.add(SIBLING, f"2024-03-0{i + 1} 09:00", body=[_sibling(i)]) for i in range(5)]
    tie = [
        site.add(TIE[0], "2024-04-01 09:00", body=[TIE[1]]),
        site.add(TIE[0], "2024-04-02 09:00", body=[TIE[1].replace("上午", "下午")]),
    ]
    others = [site.add(t, DATES[i], body=[b]) for i, (t, b) in enumerate(NOTICES[:3])]
    srv = serve(site)
    db, listing = tmp_path / "a.db", site.listing_url(srv.base)
    reg = _registry(tmp_path / "sites.toml", [listing])
    assert crawl("yylq", db, "--registry", reg)[0] == 0
    old_url = {nid: srv.base + site.path(nid) for nid in site.nids()}
    dropped = siblings[3]
    for nid in site.nids():
        if nid in (dropped, tie[1]):
            site.set_state(nid, "404")
            site.delist(nid)
            continue
        site.move(nid, f"/zwgk/art/2025/6/30/art_{nid}.html", redirect=False)
        site.edit(nid, published="2025-06-30 10:00")
    # edited on the way: as near the notice 下午 as the notice 上午 it was
    site.edit(tie[0], body=[TIE[1].replace("上午", "全天")])
    code, [s], p = crawl("yylq", db, "--registry", reg)
    assert code in (0, 3), p.stderr

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    ids = {nid: _id(conn, old_url[nid]) for nid in site.nids()}
    moved = {
        r["notice_id"]: json.loads(r["evidence"])
        for r in conn.execute("SELECT * FROM events WHERE run_id = 2 AND kind = 'moved'")
    }
    # each sibling and each other notice that came back is linked to its own new URL
    for nid in [*siblings, *others]:
        if nid == dropped:
            continue
        assert moved[ids[nid]]["from"] == [old_url[nid]]
        assert moved[ids[nid]]["to"] == srv.base + f"/zwgk/art/2025/6/30/art_{nid}.html"
    removed = {
        r["notice_id"]: r["reason"]
        for r in conn.execute("SELECT * FROM events WHERE run_id = 2 AND kind = 'removed'")
    }
    assert removed == {ids[dropped]: "not_migrated"}  # never masked by a sibling
    # the tie: neither old notice is linked or removed; the new page stays a notice of its own
    assert ids[tie[0]] not in moved and ids[tie[1]] not in moved
    new_url = srv.base + f"/zwgk/art/2025/6/30/art_{tie[0]}.html"
    new_id = _id(conn, new_url)
    assert new_id not in (ids[tie[0]], ids[tie[1]])
    flags = json.loads(conn.execute("SELECT flags FROM runs WHERE id = 2").fetchone()[0])
    # the run tells the outcome: 7 moved (each re-dated: an edit), the 2 old notices of the
    # tie held, 1 not migrated
    assert "migration:7_moved_7_edited_2_ambiguous_1_not_migrated" in flags, flags
    conn.close()

    pending = _json(tzgg("link", "--pending", "--json", "--db", db))
    assert sorted((t["old_id"], t["new_id"]) for t in pending) == sorted(
        [(ids[tie[0]], new_id), (ids[tie[1]], new_id)]
    )
    shown = tzgg("link", "--pending", "--db", db).stdout  # and as a person reads them
    assert f"tzgg link {ids[tie[0]]} {new_id}" in shown and TIE[0] in shown
    a, b = sorted(t["body"] for t in pending)  # as alike, each, as a person would see
    assert 0.5 < a <= b < a + 0.08
    p = tzgg("link", ids[tie[0]], new_url, "--db", db)
    assert p.returncode == 0 and "linked" in p.stdout, p.stderr
    assert _json(tzgg("link", "--pending", "--json", "--db", db)) == []
    h = json.loads(tzgg("show", ids[tie[0]], "--db", db, "--json").stdout)
    assert h["urls"] == [old_url[tie[0]], new_url]
    by_hand = [e for e in h["events"] if e["kind"] == "moved"]
    assert len(by_hand) == 1 and by_hand[0]["evidence"]["anchor"] == "by_hand"
    assert [v["published"][:10] for v in h["versions"]] == ["2024-04-01", "2025-06-30"]
    on_the_way = [e for e in h["events"] if e["kind"] == "edited"]
    assert on_the_way[0]["fields"] == ["published", "body"]
    assert tzgg("show", new_id, "--db", db).returncode == 1  # one notice now

    # the next crawl: the other half of the tie, still 404, is removed as any notice is
    code, [s], p = crawl("yylq", db, "--registry", reg)
    conn = sqlite3.connect(db)
    last = [tuple(r) for r in conn.execute("SELECT kind, notice_id FROM events WHERE run_id = 3")]
    assert last == [("removed", ids[tie[1]])], last

    # a person finds the link wrong: the new page is a notice of its own again
    p = tzgg("unlink", ids[tie[0]], new_url, "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"old": ids[tie[0]], "new": new_id, "old_removed": True}
    old = json.loads(tzgg("show", ids[tie[0]], "--db", db, "--json").stdout)
    new = json.loads(tzgg("show", new_url, "--db", db, "--json").stdout)
    assert new["id"] == new_id and new["urls"] == [new_url]
    assert [v["published"][:10] for v in new["versions"]] == ["2025-06-30"]
    assert [e["kind"] for e in new["events"]] == ["new"]
    assert old["urls"] == [old_url[tie[0]]] and old["status"] == "removed"
    assert [v["version"] for v in old["versions"]] == [1]
    assert [e["kind"] for e in old["events"]] == ["new", "removed"]
    assert old["events"][-1]["reason"] == "not_migrated"
    # and nothing is lost: the capture of each URL is with its notice
    assert (
        conn.execute(
            "SELECT count(*) FROM captures WHERE notice_id = ? AND url = ?", (new_id, new_url)
        ).fetchone()[0]
        >= 1
    )
    # bad input: one line, a usage exit
    for args in (
        ("link", ids[tie[0]]),
        ("link", "nosuch", new_url),
        ("unlink", ids[tie[1]], new_url),
    ):
        p = tzgg(*args, "--db", db)
        assert p.returncode == 2 and p.stderr.startswith("tzgg: error:"), (args, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1


def _id(conn, url: str) -> str:
    from crawler.schema.urls import canonicalize

    row = conn.execute(
        "SELECT notice_id FROM notice_urls WHERE canonical_url = ?", (canonicalize(url),)
    ).fetchone()
    return row[0]


def test_a_listing_that_now_redirects_to_a_new_host_is_followed_there(tmp_path, serve):
    """The registry's listing URL answers 301 to the column's new home on another host (a
    集约化 platform); the old notice URLs answer 404.  The crawl follows the listing there,
    matches the notices it finds with the archived ones, and flags the run so the registry
    can be updated; nobody had to add the new listing by hand."""
    old, old_srv, db = _archived(tmp_path, serve)
    moved = [(t, b) for t, b in NOTICES[:5]]
    new = _site("hanweb", "zwgk.hunan.gov.cn", moved, ["2025-06-30 10:00"] * 5)
    new_srv = serve(new)
    # the same loopback server under another host name: another host, as the crawl sees it
    elsewhere = new.listing_url(new_srv.base).replace("127.0.0.1", "localhost")
    old.listing_moved_to = elsewhere
    for nid in old.nids():
        old.set_state(nid, "404")
    reg = _registry(tmp_path / "sites.toml", [old.listing_url(old_srv.base)])
    code, [s], p = crawl("yylq", db, "--registry", reg)
    assert code in (0, 3), p.stderr
    assert f"listing_moved:{old.listing_url(old_srv.base)}->{elsewhere}" in s["flags"]
    assert "migration:5_moved_5_edited_0_ambiguous_1_not_migrated" in s["flags"], s["flags"]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM notices").fetchone()[0] == len(NOTICES)
    tos = [
        json.loads(r[0])["to"]
        for r in conn.execute("SELECT evidence FROM events WHERE kind = 'moved' AND run_id = 2")
    ]
    assert len(tos) == 5 and all(u.startswith("http://localhost:") for u in tos)
