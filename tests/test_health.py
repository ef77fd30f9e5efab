"""Health flags: a crawl says when the site's redesign broke it, or when the site blocks it,
as `site_broken` / `site_blocked` events beside the notice events; block pages and pages a
template change emptied are never versions, edits or removals."""

from __future__ import annotations

import json

from crawler.demo.scenario import build_demo_site
from tests.conftest import crawl, events, tzgg


def health(db):
    return [e for e in events(db) if e["kind"].startswith("site_")]


def notice_events_after(db, mark):
    return [e for e in events(db) if e["at"] > mark and not e["kind"].startswith("site_")]


def first_crawl(tmp_path, serve, style="trs"):
    site = build_demo_site(style=style)
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], p = crawl(url, db)
    assert code == 0 and s["flags"] == [], p.stderr
    return site, url, db, max(e["at"] for e in events(db))


def test_a_listing_redesign_is_flagged_once_per_streak(tmp_path, serve):
    site, url, db, mark = first_crawl(tmp_path, serve)
    site.listing_state = "redesign"
    code, [s], p = crawl(url, db)
    assert code == 3
    assert f"site_broken:no_notices:{url}" in s["flags"]
    [e] = health(db)
    assert e["kind"] == "site_broken" and e["url"] == url and e["notice_id"] is None
    assert e["reason"] == "no_notices" and "listing" in e["title"]
    assert notice_events_after(db, mark) == []  # nothing delisted, nothing removed
    # still broken: flagged again, but the watchdog heard it once
    code, [s], _ = crawl(url, db)
    assert code == 3 and f"site_broken:no_notices:{url}" in s["flags"]
    assert len(health(db)) == 1
    p = tzgg("changes", "--db", db, "--kind", "site_broken")
    assert "site_broken" in p.stdout
    # fixed: no flag; broken again later: a new event
    site.listing_state = "ok"
    code, [s], _ = crawl(url, db)
    assert code == 0 and s["flags"] == []
    site.listing_state = "redesign"
    crawl(url, db)
    assert len(health(db)) == 2


def test_a_detail_template_change_is_flagged_and_never_an_edit(tmp_path, serve):
    site, url, db, mark = first_crawl(tmp_path, serve)
    site.redesign_details()  # same URLs; the pages are a script shell now
    code, [s], p = crawl(url, db)
    assert code == 3, p.stderr
    [e] = health(db)
    assert e["kind"] == "site_broken" and e["reason"] == "fields_missing"
    assert e["evidence"]["share"] >= 0.5 and e["evidence"]["baseline"] == 0.0
    assert notice_events_after(db, mark) == []  # not one false edit
    assert s["failures"]["degraded"] >= 10
    h = json.loads(tzgg("runs", "--db", db, "--json").stdout.splitlines()[0])
    assert any(f.startswith("site_broken:fields_missing:") for f in h["flags"])
    # a lasting break stays flagged, run after run (its flagged runs are no baseline), and
    # is told once
    for _ in range(5):
        code, [s], _ = crawl(url, db)
        assert code == 3 and any(f.startswith("site_broken:fields_missing:") for f in s["flags"])
    assert [e["reason"] for e in health(db)] == ["fields_missing"]


def test_block_pages_are_flagged_blocked_and_never_removals(tmp_path, serve):
    site, url, db, mark = first_crawl(tmp_path, serve, style="hanweb")
    site.site_state = "blocked"  # 访问过于频繁 on every page, with 200
    code, [s], p = crawl(url, db)
    assert code == 3, p.stderr
    kinds = {(e["kind"], e["reason"]) for e in health(db)}
    assert ("site_blocked", "listing_blocked") in kinds
    assert ("site_blocked", "block_pages") in kinds
    assert not any(k == "site_broken" for k, _ in kinds)  # blocked, not broken
    assert notice_events_after(db, mark) == []
    assert s["failures"]["blocked"] >= 10
    site.site_state = "412"
    code, [s], _ = crawl(url, db)
    assert code == 3 and any(f.startswith("site_blocked:listing_blocked") for f in s["flags"])
    assert notice_events_after(db, mark) == []


def test_every_revisit_failing_is_flagged_broken(tmp_path, serve):
    site, url, db, mark = first_crawl(tmp_path, serve)
    site.site_state = "503"
    code, [s], p = crawl(url, db)
    assert code == 3
    assert {(e["kind"], e["reason"]) for e in health(db)} == {("site_broken", "revisits_failed")}
    assert notice_events_after(db, mark) == []


def test_a_removal_is_placed_against_the_notice_s_window_by_its_captures(tmp_path):
    """The label comes from when the notice was last seen online and first seen gone, not
    from the run that confirmed the removal (TZGG_REMOVAL_CONFIRMATIONS=2, daily crawls)."""
    from archive.storage.db import connect
    from archive.storage.queries import changes
    from tests.test_store import crawl as store_crawl
    from tests.test_store import fetch, listed, notice, walk

    w = {"text": "公示期为2026年1月1日至2026年1月5日", "start": "2026-01-01", "end": "2026-01-05"}

    def label(db, alive_days, gone_days):
        for i, day in enumerate(alive_days + gone_days):
            at = f"2026-01-{day:02d}T01:00:00.000Z"
            gone = i >= len(alive_days)
            page = (
                fetch(1, status=404, at=at)
                if gone
                else fetch(1, notice=notice(1, objection_window=w), at=at)
            )
            store_crawl(
                db, [listed(2, 3, at=at), page, fetch(2), fetch(3), walk()], removal_confirmations=2
            )
        [e] = changes(connect(db, readonly=True), kind="removed")
        return {k: e.get(k) for k in ("window_open", "window_closed") if e.get(k)}

    # gone on 01-04, confirmed on 01-06: cut short, whatever day confirmed it
    assert label(tmp_path / "a.db", [3], [4, 6]) == {"window_open": "2026-01-05"}
    # online on the last day, gone after: routine
    assert label(tmp_path / "b.db", [3, 5], [6, 7]) == {"window_closed": "2026-01-05"}
    # last seen before the end, first gone after it: nothing is claimed
    assert label(tmp_path / "c.db", [3], [6, 7]) == {}


def test_a_second_broken_column_of_a_site_is_told_too(tmp_path, serve):
    one, two = build_demo_site(style="trs"), build_demo_site(style="hanweb")
    urls = [one.listing_url(serve(one).base), two.listing_url(serve(two).base)]
    reg = tmp_path / "sites.toml"
    reg.write_text(f"[sites.d]\nlistings = {json.dumps(urls)}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    assert crawl("d", db, "--registry", reg)[0] == 0
    one.listing_state = "redesign"
    assert crawl("d", db, "--registry", reg)[0] == 3
    two.listing_state = "redesign"
    assert crawl("d", db, "--registry", reg)[0] == 3
    assert [(e["reason"], e["url"]) for e in health(db)] == [
        ("no_notices", urls[0]),
        ("no_notices", urls[1]),
    ]


def test_a_block_page_deep_in_the_listing_cuts_the_walk_short_and_delists_nothing(tmp_path, serve):
    from crawler.demo import DistrictSite, Response

    class Site(DistrictSite):  # a WAF that lets page 1 through and blocks page 2 (HTTP 200)
        block_page2 = False

        def _entries(self):  # an old notice pinned (置顶) on page 1
            order = super()._entries()
            return sorted(order, key=lambda e: e[0].nid != self.pinned)

        def handle(self, method, target, headers=None, form=b""):
            if self.block_page2 and target.startswith("/tzgg/index_1.html"):
                page = self._render_block().encode()
                return Response(200, [("Content-Type", "text/html; charset=utf-8")], page)
            return super().handle(method, target, headers, form)

    site = Site(style="trs", page_size=5)
    site.pinned = site.add(
        "关于2019年度防汛工作的通知", published="2019-05-01 09:00", body=["防汛。"]
    )
    for i in range(9):
        site.add(
            f"关于第{i + 1}批建设用地征收的公告",
            published=f"2021-0{i + 1}-10 10:00",
            body=["征收。"],
        )
    url, db = site.listing_url(serve(site).base), tmp_path / "a.db"
    assert crawl(url, db)[0] == 0
    site.block_page2 = True
    code, [s], _ = crawl(url, db)
    assert code == 3 and f"site_blocked:listing_blocked:{url}" in s["flags"]
    assert [e["kind"] for e in events(db) if e["kind"] != "new"] == ["site_blocked"]
