"""A district moves to a new platform (issue 19): its old URLs answer 404 while the same notices
appear at a new host in a new template, some re-dated, one edited on the way, two lost.  Two
real crawls of one registry key on loopback sites; the archive links what moved and holds the
rest, and a site that is only down links nothing."""

from __future__ import annotations

import json
import sqlite3

from crawler.demo import DistrictSite
from tests.conftest import crawl

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
    # edited on the way, 3 moved as it was, 4 and 5 lost; every old URL answers 404
    moved = list(NOTICES[:4])
    moved[2] = (moved[2][0], moved[2][1].replace("十二点四六", "十三点零二"))
    new_dates = ["2025-06-30 10:00", "2025-06-30 10:00", dates[2], dates[3]]
    new = _site("hanweb", "zwgk.hunan.gov.cn", moved, new_dates)
    new_srv = serve(new)
    for nid in old.nids():
        old.set_state(nid, "404")
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
    titles = {e["title"] for e in moved_ev}
    # notice 3 moved unchanged: the archive's equal-content rule links it already (no event
    # needed); the re-dated and the edited ones are the migration's
    assert {NOTICES[0][0], NOTICES[1][0], NOTICES[2][0]} <= titles | {NOTICES[3][0]}
    assert len(moved_ev) >= 3
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
    assert any(f.startswith("migration:") for f in flags), flags
    gone = [e for e in ev if e["kind"] == "removed"]
    assert sorted(e["title"] for e in gone) == sorted([NOTICES[4][0], NOTICES[5][0]])
    for e in gone:
        assert e["reason"] == "not_migrated"
        proof = json.loads(e["evidence"])
        assert proof["status"] == 404 and proof["migration"]["moved"] == 4
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
