"""The site registry: `tzgg sites add/list/remove`, crawling by key, --all and --region, a
key as the site's name everywhere, and `tzgg runs`."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from crawler.demo.scenario import build_demo_site
from crawler.sites.registry import Registry, RegistryError
from tests.conftest import REPO, crawl, events, tzgg


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(p, code=2):
    assert p.returncode == code, (p.stdout, p.stderr)
    assert p.stderr.startswith("tzgg: error: ") and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr
    return p.stderr


def test_sites_add_list_remove_keep_the_file_a_person_wrote(tmp_path):
    reg = write(
        tmp_path / "sites.toml",
        "# our districts (reviewed weekly)\n[sites.junshan]  # 君山区\n"
        'name = "君山区人民政府"\nregion = "430611"\n'
        'listings = ["http://www.junshan.gov.cn/32415/40825/index.html"]\n',
    )
    p = tzgg(
        "sites", "add", "http://www.yueyanglou.gov.cn/tzgg/index.html",
        "--name", "岳阳楼区人民政府", "--region", "430602", cwd=tmp_path,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "yueyanglou" in p.stdout
    # a second column of the same district
    p = tzgg(
        "sites", "add", "http://www.yueyanglou.gov.cn/gsgg/", "--key", "yueyanglou", cwd=tmp_path
    )
    assert p.returncode == 0, p.stderr
    text = reg.read_text(encoding="utf-8")
    assert "# our districts (reviewed weekly)" in text and "# 君山区" in text
    r = Registry.load(reg)
    assert r.sites["yueyanglou"].listings == [
        "http://www.yueyanglou.gov.cn/tzgg/index.html",
        "http://www.yueyanglou.gov.cn/gsgg/",
    ]
    assert r.sites["yueyanglou"].region == "430602" and r.sites["yueyanglou"].verified is False

    p = tzgg("sites", "list", "--json", "--region", "4306", cwd=tmp_path)
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert [x["key"] for x in rows] == ["junshan", "yueyanglou"]
    assert rows[1]["schedule"] == "daily" and rows[1]["last_run"] is None
    p = tzgg("sites", "list", "--region", "430611", cwd=tmp_path)
    assert "junshan" in p.stdout and "yueyanglou" not in p.stdout

    # refused, and the file untouched: a duplicate listing, a bad region, a bad URL
    before = reg.read_text(encoding="utf-8")
    for args in (
        ["http://www.yueyanglou.gov.cn/gsgg/"],
        ["http://www.x.gov.cn/a/", "--region", "岳阳"],
        ["ftp://www.x.gov.cn/a/"],
        ["http://www.x.gov.cn/a/", "--schedule", "sometimes"],
    ):
        one_line_error(tzgg("sites", "add", *args, cwd=tmp_path))
    assert reg.read_text(encoding="utf-8") == before

    p = tzgg("sites", "remove", "yueyanglou", cwd=tmp_path)
    assert p.returncode == 0 and "archived stays archived" in p.stdout
    assert list(Registry.load(reg).sites) == ["junshan"]
    assert "# our districts" in reg.read_text(encoding="utf-8")
    p = tzgg("sites", "remove", "nowhere", cwd=tmp_path)
    assert p.returncode == 2 and "unknown site" in p.stderr


def test_registry_env_variable_and_errors(tmp_path):
    reg = write(tmp_path / "mine.toml", '[sites.a]\nlistings = ["http://a.gov.cn/l/"]\n')
    p = tzgg("sites", "list", cwd=tmp_path, env={"TZGG_REGISTRY": str(reg)})
    assert p.returncode == 0 and p.stdout.startswith("a ")
    bad = write(
        tmp_path / "bad.toml", '[sites.a]\nlistings = ["http://a.gov.cn/l/"]\nregion = "湖南"\n'
    )
    p = tzgg("sites", "list", "--registry", bad, cwd=tmp_path)
    assert p.returncode == 2 and "region" in p.stderr and "Traceback" not in p.stderr
    for text, word in (
        ('[sites."a b"]\nlistings = []\n', "key"),
        ('[sites.a]\nlistings = ["http://a/"]\nschedule = "0 25 * * *"\n', "schedule"),
        ('[sites.a]\nlistings = ["http://a/"]\ndelay = -1\n', "delay"),
        ('[sites.a]\nlistings = ["http://[::1/x"]\n', "listings"),
        ('[sites.a]\nlistings = ["http://a:abc/x"]\n', "listings"),
        ('[sites.a]\nlistings = ["http://a/"]\noverrides = "div.x"\n', "overrides"),
    ):
        with pytest.raises(RegistryError, match=word):
            Registry.load(write(tmp_path / "x.toml", text))


def test_for_url_prefers_the_longest_shared_path():
    reg = Registry.from_dict(
        {
            "sites": {
                "city": {"listings": ["http://www.yueyang.gov.cn/tzgg/"]},
                "nanhu": {"listings": ["http://www.yueyang.gov.cn/29509/29524/index.html"]},
            }
        }
    )
    assert reg.for_url("http://www.yueyang.gov.cn/29509/29524/content_1880666.html").key == "nanhu"
    assert reg.for_url("http://www.yueyang.gov.cn/tzgg/202301/t1.html").key == "city"
    assert reg.for_url("http://www.yueyang.gov.cn:8080/tzgg/") is None  # another site
    assert reg.select(region="43") == []
    assert reg.shared_hosts() == {"www.yueyang.gov.cn"}


def test_shipped_example_registry_loads_and_is_marked_unverified():
    reg = Registry.load(REPO / "sites.example.toml")
    site = reg.sites["yueyanglou"]
    assert site.name == "岳阳楼区人民政府" and site.region == "430602"
    assert site.verified is False and site.listings


def test_a_registry_key_names_the_site_in_every_output(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    # crawled first by URL, before the group registered it: filed under the host
    code, [s], p = crawl(url, db)
    assert code == 0, p.stderr
    host = s["site"]
    assert host.startswith("127.0.0.1:")
    reg = write(
        tmp_path / "sites.toml",
        f'[sites.yylq]\nname = "岳阳楼区人民政府"\nregion = "430602"\nlistings = ["{url}"]\n'
        f'[sites.other]\nregion = "430611"\nlistings = ["http://127.0.0.1:9/none/"]\n',
    )
    code, [s], p = crawl("yylq", db, "--registry", reg)
    assert code == 0, p.stderr
    assert s["site"] == "yylq"
    # what was archived under the host is filed under the key now: one name per site
    assert {e["site"] for e in events(db)} == {"yylq"}
    conn = sqlite3.connect(db)
    for table in ("notices", "notice_urls", "captures", "runs", "events"):
        assert {r[0] for r in conn.execute(f"SELECT DISTINCT site FROM {table}")} == {"yylq"}
    # the registry's name and region for the site, kept in the archive for its readers
    assert conn.execute("SELECT site, name, region FROM sites").fetchall() == [
        ("yylq", "岳阳楼区人民政府", "430602")
    ]
    assert json.loads(tzgg("runs", "--db", db, "--json").stdout.splitlines()[0])["site"] == "yylq"
    p = tzgg("search", "征地", "--db", db, "--site", "yylq", "--json")
    assert p.returncode == 0 and p.stdout.strip()
    p = tzgg("search", "征地", "--db", db, "--region", "4306", "--registry", reg, "--json")
    assert p.returncode == 0 and {json.loads(x)["site"] for x in p.stdout.splitlines()} == {"yylq"}
    p = tzgg("search", "征地", "--db", db, "--region", "430611", "--registry", reg)
    assert p.returncode == 0 and p.stdout == ""  # `other` is there, and has nothing
    p = tzgg("search", "征地", "--db", db, "--region", "11", "--registry", reg)
    assert p.returncode == 2 and "region 11" in p.stderr
    out = {}
    for region in ("4306", "430611"):
        for fmt in ("jsonl", "warc"):
            path = tmp_path / f"r{region}.{fmt}"
            args = ("--region", region, "--registry", reg, "--format", fmt, "-o", path, "--json")
            p = tzgg("export", "--db", db, *args)
            assert p.returncode == 0, p.stderr
            out[region, fmt] = json.loads(p.stdout)
    lines = (tmp_path / "r4306.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and {json.loads(x)["site"] for x in lines} == {"yylq"}
    assert out["430611", "jsonl"]["notices"] == 0  # `other` has nothing archived
    assert out["4306", "warc"]["records"]["response"] > out["430611", "warc"]["records"].get(
        "response", 0
    )
    p = tzgg(
        "export", "--db", db, "--format", "jsonl", "-o", tmp_path / "x.jsonl", "--site", "yylq"
    )
    assert p.returncode == 0, p.stderr
    # a URL of a registered site is that site too; --region picks the registry's sites
    code, [s], p = crawl(url, db, "--registry", reg)
    assert s["site"] == "yylq"
    p = tzgg(
        "crawl", "--region", "430602", "--db", db, "--registry", reg, "--profile", "test", "--json"
    )
    assert [json.loads(x)["site"] for x in p.stdout.splitlines()] == ["yylq"], p.stderr
    p = tzgg("crawl", "--region", "99", "--db", db, "--registry", reg)
    assert p.returncode == 2 and "region 99" in p.stderr
    p = tzgg("crawl", "--db", db, "--registry", reg)
    assert p.returncode == 2 and "--all" in p.stderr
    p = tzgg("crawl", "--all", "--db", db)
    assert p.returncode == 2 and "registry" in p.stderr


def test_runs_lists_every_crawl_with_counts_failures_and_flags(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    crawl(url, db)
    site.listing_state = "redesign"
    code, _, p = crawl(url, db)
    assert code == 3
    p = tzgg("runs", "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r["id"] for r in rows] == [2, 1]  # newest first
    for r in rows:
        assert {"id", "site", "started", "finished", "pages", "counts", "failures", "flags"} <= set(
            r
        )
        assert r["finished"] >= r["started"]
    assert rows[1]["counts"]["new"] >= 10 and rows[1]["flags"] == []
    assert any(f.startswith("site_broken:no_notices:") for f in rows[0]["flags"])
    text = tzgg("runs", "--db", db, "--flagged").stdout
    assert "#2" in text and "#1" not in text and "flagged: site_broken:no_notices" in text


def test_a_key_from_the_host_never_merges_another_district(tmp_path):
    """Two districts on one 集约化 city platform, added without --key: the second is refused,
    not made a column of the first (nor given the first's name and region)."""
    reg = tmp_path / "sites.toml"
    first = "http://www.yueyang.gov.cn/29509/29524/index.html"
    second = "http://www.yueyang.gov.cn/29509/29530/index.html"
    p = tzgg(
        "sites", "add", first, "--name", "岳阳楼区人民政府", "--region", "430602", cwd=tmp_path
    )
    assert p.returncode == 0 and "'yueyang'" in p.stdout, p.stderr
    before = reg.read_text(encoding="utf-8")
    p = tzgg("sites", "add", second, "--name", "南湖新区管委会", "--region", "430671", cwd=tmp_path)
    err = one_line_error(p)
    assert "'yueyang'" in err and "--key" in err and "岳阳楼区人民政府" in err
    assert reg.read_text(encoding="utf-8") == before
    # an existing site's name or region is never overwritten: edit the file for that
    for args in (["--name", "南湖新区管委会"], ["--region", "430671"]):
        p = tzgg("sites", "add", second, "--key", "yueyang", *args, cwd=tmp_path)
        assert args[1] in one_line_error(p) and "edit the file" in p.stderr
        assert reg.read_text(encoding="utf-8") == before
    # a district of its own: its own key
    p = tzgg(
        "sites", "add", second, "--key", "nanhu", "--name", "南湖新区管委会",
        "--region", "430671", cwd=tmp_path,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    r = Registry.load(reg)
    assert (r.sites["yueyang"].name, r.sites["yueyang"].region) == ("岳阳楼区人民政府", "430602")
    assert r.sites["yueyang"].listings == [first]
    assert (r.sites["nanhu"].name, r.sites["nanhu"].listings) == ("南湖新区管委会", [second])
    # a column of an existing site, by its explicit key: the same name is fine, a missing
    # field is filled in
    third = "http://www.yueyang.gov.cn/29509/29531/index.html"
    p = tzgg(
        "sites", "add", third, "--key", "yueyang", "--name", "岳阳楼区人民政府",
        "--schedule", "6h", cwd=tmp_path,
    )  # fmt: skip
    assert p.returncode == 0 and "added a listing" in p.stdout, p.stderr
    r = Registry.load(reg)
    assert r.sites["yueyang"].listings == [first, third] and r.sites["yueyang"].schedule == "6h"
    p = tzgg(
        "sites", "add", third + "?p=2", "--key", "yueyang", "--schedule", "daily", cwd=tmp_path
    )
    assert "'6h'" in one_line_error(p) and "edit the file" in p.stderr
    # one listing, one site: not the same URL (however spelled) under a second key
    for url, key in (
        (second, "yueyang"),
        (second, "other"),
        (third.replace("index.html", ""), "x"),
    ):
        before = reg.read_text(encoding="utf-8")
        err = one_line_error(tzgg("sites", "add", url, "--key", key, cwd=tmp_path))
        assert "already a listing of site" in err
        assert reg.read_text(encoding="utf-8") == before


def test_sites_add_to_a_hand_written_entry_whose_listings_is_a_string(tmp_path):
    reg = write(
        tmp_path / "sites.toml",
        "# ours\n[sites.a]  # 君山区\n"
        'listings = "http://www.a.gov.cn/tzgg/list.html"  # the 通知公告 column\n',
    )
    # a prefix of the listing is another URL, not "already a listing"
    p = tzgg("sites", "add", "http://www.a.gov.cn/tzgg/", "--key", "a", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert Registry.load(reg).sites["a"].listings == [
        "http://www.a.gov.cn/tzgg/list.html",
        "http://www.a.gov.cn/tzgg/",
    ]
    text = reg.read_text(encoding="utf-8")
    assert "# ours" in text and "# 君山区" in text
    p = tzgg("sites", "add", "http://www.a.gov.cn/tzgg/list.html", "--key", "a", cwd=tmp_path)
    assert "already a listing" in one_line_error(p)
    assert reg.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "text",
    [
        "sites = 1\n",
        "sites = 0\n",
        'sites = "a"\n',
        "[[sites]]\nlistings = []\n",
        "[sites]\na = 1\n",
        '[sites.a]\nlistings = ["http://a.gov.cn/l/"]\nregion = "湖南"\n',
        "[sites.a\n",
        # a misspelt table would leave its hooks unheard of
        '[[webhook]]\nurl = "https://hooks.example.org/tzgg"\n',
        '[site.a]\nlistings = ["http://a.gov.cn/l/"]\n',
        # nested deeper than the parser recurses
        "[sites.a]\nlistings = " + "[" * 5000 + "]" * 5000 + "\n",
        "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    ],
    ids=lambda text: text[:20],
)
def test_a_registry_that_does_not_load_is_a_one_line_error_and_left_as_it_is(tmp_path, text):
    reg = write(tmp_path / "sites.toml", text)
    with pytest.raises(RegistryError):
        Registry.load(reg)
    for args in (
        ["add", "http://www.b.gov.cn/l/"],
        ["add", "http://www.b.gov.cn/l/", "--key", "a"],
        ["list"],
    ):
        one_line_error(tzgg("sites", *args, cwd=tmp_path))
        assert reg.read_text(encoding="utf-8") == text
    p = tzgg("sites", "remove", "b", cwd=tmp_path)
    one_line_error(p)
    assert reg.read_text(encoding="utf-8") == text
    one_line_error(tzgg("sites", "add", "ftp://www.b.gov.cn/l/", cwd=tmp_path))


def test_an_unknown_top_level_key_or_deep_nesting_stops_a_crawl_in_one_line(tmp_path):
    for text, said in (
        ('[[webhook]]\nurl = "https://h.org/x"\n', "unknown top-level keys ['webhook']"),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "values nested too deeply"),
    ):
        reg = write(tmp_path / "sites.toml", text)
        with pytest.raises(RegistryError, match=re.escape(said)):
            Registry.load(reg)
        p = tzgg("crawl", "http://127.0.0.1:9/l/", "--registry", reg, "--db", tmp_path / "a.db")
        assert said in one_line_error(p)
        assert not (tmp_path / "a.db").exists()


@pytest.mark.e2e
def test_sites_add_writes_through_a_symlink_and_concurrent_adds_all_land(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    repo = tmp_path / "group-repo"
    repo.mkdir()
    target = write(repo / "sites.toml", '# ours\n[sites.a]\nlistings = ["http://a.gov.cn/l/"]\n')
    os.chmod(target, 0o640)
    link = tmp_path / "sites.toml"
    link.symlink_to(target)
    p = tzgg("sites", "add", "http://www.b.gov.cn/l/", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and link.resolve() == target
    assert list(Registry.load(target).sites) == ["a", "b"]
    assert "# ours" in target.read_text(encoding="utf-8")
    assert (target.stat().st_mode & 0o777) == 0o640
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "sites", "add", f"http://www.d{i}.gov.cn/l/"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert link.is_symlink()
    keys = set(Registry.load(link).sites)
    assert keys == {"a", "b"} | {f"d{i}" for i in range(8)}


def test_sites_list_shows_a_runs_time_in_shanghai_saying_so(tmp_path):
    from archive.storage.store import Archive

    write(tmp_path / "sites.toml", '[sites.a]\nlistings = ["http://a.gov.cn/l/"]\n')
    db = tmp_path / "a.db"
    archive = Archive(db)
    archive.begin_run("a", ["http://a.gov.cn/l/"], at="2024-05-01T23:30:00.000Z")
    archive.close()
    p = tzgg("sites", "list", "--db", db, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "last run 2024-05-02 07:30+08:00 running" in p.stdout
    p = tzgg("sites", "list", "--db", db, "--json", cwd=tmp_path)
    assert json.loads(p.stdout)["last_run"]["started"] == "2024-05-01T23:30:00.000Z"


def test_a_host_two_districts_share_gives_each_key_the_notices_its_listing_showed(tmp_path, serve):
    # a city's 集约化 platform: two registry entries on one host, crawled by URL before
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db = site.listing_url(srv.base), tmp_path / "a.db"
    code, [s], _ = crawl(url, db)
    host = s["site"]
    reg = write(
        tmp_path / "sites.toml",
        f'[sites.district_a]\nlistings = ["{url}"]\n'
        f'[sites.district_b]\nlistings = ["{srv.base}/other/index.html"]\n',
    )
    aged = site.listed_nids()[-1]  # the column's oldest item ages off it (still online):
    site.delist(aged)  # a complete walk forgets it was ever on that listing
    crawl(url, db)
    crawl("district_a", db, "--registry", reg)  # adopts what its listing ever showed
    victim = site.roles["edited"]
    site.delist(victim)  # off the listing, still online ...
    site.set_state(victim, "404")  # ... then taken down: only a revisit can tell
    site.set_state(aged, "404")
    crawl("district_a", db, "--registry", reg)
    removed = [e for e in events(db) if e["kind"] == "removed"]
    assert sorted(e["url"] for e in removed) == sorted(
        srv.base + site.path(n) for n in (victim, aged)
    )
    assert {e["site"] for e in removed} == {"district_a"}
    conn = sqlite3.connect(db)
    assert {r[0] for r in conn.execute("SELECT DISTINCT site FROM notices")} == {"district_a"}
    assert host not in {r[0] for r in conn.execute("SELECT DISTINCT site FROM events")}


def test_a_key_crawl_waits_for_a_crawl_of_its_host_by_url(tmp_path, serve):
    from archive.storage.db import site_lock

    site = build_demo_site(style="trs")
    url, db = site.listing_url(serve(site).base), tmp_path / "a.db"
    code, [s], _ = crawl(url, db)
    reg = write(tmp_path / "sites.toml", f'[sites.yylq]\nlistings = ["{url}"]\n')
    with site_lock(db, s["site"]):  # `tzgg crawl URL` by hand, still running
        code, _, p = crawl("yylq", db, "--registry", reg)
    assert code == 75 and "busy" in p.stderr
