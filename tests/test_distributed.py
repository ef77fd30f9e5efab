"""Distributed mode against a real Redis: two `tzgg worker`s and one `tzgg ingest` make the same
archive, and the same events, as `tzgg crawl` of the same sites."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from crawler.demo import DistrictSite
from crawler.demo.documents import make_pdf
from tests.conftest import REPO, events, tzgg, worker_redis

pytestmark = [pytest.mark.e2e, pytest.mark.redis]  # workers and ingesters: processes


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """$TZGG_TEST_REDIS (CI starts Debian's redis-server; a database of each xdist worker's
    own), else a redis-server of our own on a unix socket; skipped where there is none,
    unless TZGG_REQUIRE_REDIS is set."""
    url = os.environ.get("TZGG_TEST_REDIS")
    if url:
        yield worker_redis(url)
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("TZGG_REQUIRE_REDIS"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    sock = folder / "redis.sock"
    server = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not sock.exists():
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield f"unix://{sock}"
    server.terminate()
    server.wait(10)


@pytest.fixture
def redis_db(redis_url):
    """A Redis database emptied before the test (the test's URL)."""
    import redis

    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    yield redis_url
    server.flushdb()


# `tzgg worker` with Scrapy's deprecation warnings as errors (-W cannot name them: Python reads
# it before scrapy is importable).  tzgg's own filter for scrapy-redis's one is added later, so
# it comes first.
WORKER = (
    "import sys, warnings; from scrapy.exceptions import ScrapyDeprecationWarning as W;"
    " warnings.simplefilter('error', W); from crawler.cli import main;"
    " sys.argv[0] = 'tzgg'; main()"
)


@pytest.fixture
def workers(redis_db):
    """start(n): n `tzgg worker` processes, Scrapy's deprecation warnings as errors (but the one
    scrapy-redis's scheduler causes); stopped (SIGTERM) and checked after the test."""
    procs = []

    def start(n: int = 2, *extra):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        env.pop("PYTHONWARNINGS", None)
        for _ in range(n):
            cmd = [sys.executable, "-c", WORKER, "worker", "--redis", redis_db, "--profile", "test"]
            procs.append(
                subprocess.Popen(
                    [*cmd, *extra], env=env, stderr=subprocess.PIPE, text=True, cwd=REPO
                )
            )
        return procs

    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        _, err = p.communicate(timeout=30)
        assert "Traceback" not in err and "Warning" not in err, err[-3000:]


def ingest(redis_url, db, *args, timeout=120):
    p = tzgg("ingest", *args, "--db", db, "--redis", redis_url, "-q", "--json", timeout=timeout)
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")], p


def _sites(serve):
    """Two districts: a TRS one with paginated listings, a multi-page article and attachments
    (one shared by two notices), and a Hanweb one."""
    trs = DistrictSite(page_size=7)
    trs.generate(24, seed=3)
    pdf = make_pdf(["征收土地公告", "附件一 被征收土地位置"])
    trs.set_file("/files/a.pdf", pdf)
    trs.set_file("/files/b.pdf", make_pdf(["补偿安置方案"]))
    trs.add(
        "关于某片区征收土地的公告",
        published="2024-03-01 09:00",
        body=["第一页正文。"],
        parts=[["第二页正文。"], ["第三页正文。"]],
        attachments=[("位置图.pdf", "/files/a.pdf"), ("补偿.pdf", "/files/b.pdf")],
    )
    trs.add(
        "关于另一片区的公告",
        published="2024-03-02 09:00",
        attachments=[("位置图.pdf", "/files/a.pdf")],
    )
    han = DistrictSite(style="hanweb", name="君山区人民政府", domain="www.junshan.gov.cn")
    han.generate(15, seed=5)
    return trs, han, [trs.listing_url(serve(trs).base), han.listing_url(serve(han).base)]


def _archive(db) -> dict:
    """What two crawls of the same sites must agree on: every notice's URLs, versions and
    their content, its captures' outcomes, and the attachments' bytes."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    q = lambda sql: sorted(tuple(r) for r in conn.execute(sql).fetchall())  # noqa: E731
    out = {
        "urls": q("SELECT site, url, gone, version FROM notice_urls"),
        "versions": q(
            "SELECT n.site, n.url, v.version, v.hash, v.title, v.published, v.body, v.attachments"
            " FROM versions v JOIN notices n ON n.id = v.notice_id"
        ),
        "notices": q("SELECT id, site, url, status, current_version FROM notices"),
        "texts": q("SELECT sha256, text FROM attachment_texts"),
    }
    conn.close()
    return out


def _captures(db) -> tuple:
    """Every page fetched, by kind, URL and outcome; and the attachments fetched.  A file two
    notices share is fetched once by a single process, and by workers once per notice."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT kind, url, outcome FROM captures").fetchall()
    conn.close()
    pages = sorted(r for r in rows if r[0] != "attachment")
    return pages, sorted({r for r in rows if r[0] == "attachment"})


def _events(db) -> list[tuple]:
    return sorted(
        (e["kind"], e["site"], e["url"], e.get("title"), tuple(e.get("fields") or ()))
        for e in events(db)
    )


def _counts(summaries) -> dict:
    return {s["site"]: (s["status"], s["counts"], s["failures"]) for s in summaries}


def test_workers_and_ingester_make_the_archive_a_single_crawl_makes(
    serve, workers, redis_db, tmp_path
):
    trs, han, urls = _sites(serve)
    single, dist = tmp_path / "single.db", tmp_path / "dist.db"
    workers(2)
    for round_ in range(3):  # a delisting is recorded by the second walk without the notice
        code, one, p = _crawl(urls, single)
        assert code == 0, p.stderr[-2000:]
        code, two, p = ingest(redis_db, dist, *urls)
        assert code == 0, p.stderr[-2000:]
        assert _counts(two) == _counts(one), (round_, one, two)
        assert _captures(dist) == _captures(single), round_
        assert _archive(dist) == _archive(single), round_
        assert _events(dist) == _events(single), round_
        if round_ == 0:
            assert sum(s["counts"]["new"] for s in two) == 24 + 2 + 15
            # the sites change as real ones do, and both archives must see it the same way
            trs.edit(3, title="关于调整（更正）的通知")
            trs.set_state(5, "404")
            trs.delist(7)
            trs.set_file("/files/a.pdf", make_pdf(["征收土地公告（更正）"]))
            han.edit(2, body=["正文已修改。"])
            han.add("新增通知", published="2026-11-20 10:00")
    kinds = {e[0] for e in _events(dist)}
    assert {"new", "edited", "removed", "delisted"} <= kinds, kinds
    # nothing of the jobs is left in Redis
    import redis

    left = [k.decode() for k in redis.Redis.from_url(redis_db).keys("*")]
    assert set(left) <= {"tzgg:dupefilter"}, left


def _crawl(urls, db):
    p = tzgg("crawl", *urls, "--db", db, "--profile", "test", "-q", "--json")
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")], p


def test_no_worker_means_a_stalled_crawl_recorded_as_cut_short(serve, redis_db, tmp_path):
    site = DistrictSite()
    site.generate(3)
    url = site.listing_url(serve(site).base)
    db = tmp_path / "a.db"
    code, summaries, p = ingest(redis_db, db, url, "--idle-timeout", "2")
    assert code == 3, p.stderr
    assert "is a `tzgg worker` running?" in p.stderr
    assert summaries[0]["status"] == "interrupted"
    assert events(db) == []  # nothing seen, so nothing delisted or removed


def test_an_unreachable_redis_is_one_line(tmp_path):
    for cmd in ("worker", "ingest"):
        args = ["http://127.0.0.1:9/x/"] if cmd == "ingest" else []
        p = tzgg(cmd, *args, "--db", tmp_path / "a.db", "--redis", "redis://127.0.0.1:9/0")
        if cmd == "worker":
            p = tzgg(cmd, "--redis", "redis://127.0.0.1:9/0")
        assert p.returncode == 1, p.stderr
        assert p.stderr.startswith("tzgg: error: cannot reach Redis at redis://127.0.0.1:9/0")
        assert "Traceback" not in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr


def test_per_host_politeness_holds_across_workers(serve, workers, redis_db, tmp_path):
    """Two workers share one host's delay: its requests come DOWNLOAD_DELAY apart whichever
    worker sends them (each on its own would keep only its own requests apart)."""
    site = DistrictSite(page_size=20)
    site.generate(20)
    url = site.listing_url(serve(site).base)
    workers(2, "-s", "DOWNLOAD_DELAY=0.4")
    code, summaries, p = ingest(redis_db, tmp_path / "a.db", url)
    assert code == 0, p.stderr
    assert summaries[0]["counts"]["new"] == 20
    assert "/robots.txt" in site.requests.paths(), "workers must obey robots.txt"
    # the times the site saw each request: 0.4 s apart as sent, but for the jitter of a busy
    # machine between a worker sending and the site's thread taking the request (two at once,
    # the fault this catches, would be ~0 s apart)
    times = sorted(r.at for r in site.requests.snapshot())
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 22 and min(gaps) > 0.2, gaps


def test_a_worker_stopped_mid_crawl_hands_over_to_the_others(serve, workers, redis_db, tmp_path):
    site = DistrictSite(page_size=40)
    site.generate(40)
    url = site.listing_url(serve(site).base)
    first, _ = workers(2, "-s", "DOWNLOAD_DELAY=0.1")
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    cmd = [sys.executable, "-m", "crawler.cli", "ingest", url, "--db", str(tmp_path / "a.db")]
    cmd += ["--redis", redis_db, "-q", "--json", "--idle-timeout", "30"]
    ingester = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(site.requests.snapshot()) < 12:
        assert time.monotonic() < deadline and ingester.poll() is None
        time.sleep(0.05)
    first.terminate()  # mid-crawl: it finishes what it holds, the other takes the rest
    out, _ = ingester.communicate(timeout=90)
    [summary] = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert ingester.returncode == 0 and summary["status"] == "ok", summary
    assert summary["counts"]["new"] == 40 and summary["failures"] == {}, summary


def test_an_ingest_stopped_mid_crawl_writes_what_was_fetched_and_leaves_nothing_queued(
    serve, workers, redis_db, tmp_path
):
    import redis

    site = DistrictSite(page_size=60)
    site.generate(60)
    url = site.listing_url(serve(site).base)
    workers(2, "-s", "DOWNLOAD_DELAY=0.1")
    db = tmp_path / "a.db"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    cmd = [sys.executable, "-m", "crawler.cli", "ingest", url, "--db", str(db)]
    ingester = subprocess.Popen(
        [*cmd, "--redis", redis_db, "-q", "--json"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(site.requests.paths()) < 15:
        assert time.monotonic() < deadline and ingester.poll() is None
        time.sleep(0.05)
    ingester.terminate()
    out, err = ingester.communicate(timeout=90)
    [summary] = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert ingester.returncode == 3 and summary["status"] == "interrupted", (summary, err)
    # the notice pages the site served were written, but for a download under way when the
    # crawl stopped (at most one a worker here: one request every 0.1 s to the one host)
    served = [p for p in site.requests.paths() if p.startswith("/tzgg/2")]
    conn = sqlite3.connect(db)
    written = conn.execute("SELECT count(*) FROM captures WHERE kind = 'detail'").fetchone()[0]
    conn.close()
    assert 0 < len(served) < 60 and 0 <= len(served) - written <= 2, (len(served), written)
    assert events(db, "--kind", "delisted") == [] and events(db, "--kind", "removed") == []
    # its queued requests went with it: none left, and the next crawl is not held back
    left = [k.decode() for k in redis.Redis.from_url(redis_db).keys("tzgg:*")]
    assert set(left) <= {"tzgg:dupefilter"} | {k for k in left if k.startswith("tzgg:host:")}, left
    code, [again], p = ingest(redis_db, db, url)
    assert code == 0 and again["counts"]["new"] == 60 - summary["counts"]["new"], again


def test_workers_get_what_fetching_needs_of_the_registry_and_never_a_webhook(
    serve, workers, redis_db, tmp_path
):
    """Every command Redis receives during an ingest (MONITOR) is free of the registry's
    webhook URLs and secrets; the workers still read pages with the site's overrides."""
    import threading

    import redis

    site = DistrictSite()
    site.generate(4)
    url = site.listing_url(serve(site).base)
    reg = tmp_path / "sites.toml"
    reg.write_text(
        "[[webhooks]]\n"
        'url = "http://hookuser:pw-global-7@127.0.0.1:9/global-token-q1"\n'
        'secret = "sign-global-k2"\nkinds = ["site_blocked"]\n'
        f'[sites.d]\nname = "district-name-n7"\nlistings = ["{url}"]\nschedule = "daily"\n'
        'webhooks = [{ url = "http://127.0.0.1:9/site-token-r3", secret_env = "HOOK_ENV_X" }]\n'
        "[sites.d.overrides]\n"
        "source = \"xpath://meta[@name='SiteName']/@content\"\n"
        '[sites.other]\nlistings = ["http://other.example.org/x/"]\n'
        'webhooks = [{ url = "http://127.0.0.1:9/other-token-s5", secret = "sign-other-k6" }]\n',
        encoding="utf-8",
    )
    server = redis.Redis.from_url(redis_db)
    said, ready = [], threading.Event()

    def watch():
        with server.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                said.append(command["command"])
                if "tzgg-test-end" in command["command"]:
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert ready.wait(10)
    workers(1)
    code, [summary], p = ingest(redis_db, tmp_path / "a.db", "d", "--registry", reg)
    redis.Redis.from_url(redis_db).echo("tzgg-test-end")
    watcher.join(10)
    assert code == 0 and summary["counts"]["new"] == 4, (summary, p.stderr[-2000:])
    text = "\n".join(said)
    assert "xpath://meta" in text  # the monitor saw the job, with the site's overrides
    for secret in ("hookuser", "pw-global", "token-", "sign-", "HOOK_ENV_X"):
        assert secret not in text, secret
    for unneeded in ("district-name-n7", "daily", "other.example.org"):  # nor what is not needed
        assert unneeded not in text, unneeded
    conn = sqlite3.connect(tmp_path / "a.db")
    sources = {r[0] for r in conn.execute("SELECT source FROM versions")}
    conn.close()
    assert sources == {site.name}, sources  # the workers read pages with the overrides
