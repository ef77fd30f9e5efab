"""A crawl of many hosts: the global concurrency lets every host have its turn, the per-site
bookkeeping at a crawl's start and end reads no table whole (it ran once per site: a 1,000-site
crawl read the whole events table 1,000 times), and a worker's request waiting for its host's
turn goes back to the queue instead of holding one of the worker's request slots."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.signalmanager import SignalManager

from archive.storage import store
from crawler.demo import DistrictSite
from crawler.service import plan as plan_module
from crawler.service.extension import CrawlService, scale_concurrency
from crawler.service.run import crawl_settings
from spiders.notices import NoticesSpider
from tests.conftest import crawl, worker_redis

# Tables that grow with the archive or with its runs: a statement run once per site must not
# read one of them whole.
GROWING = {
    "runs",
    "walks",
    "events",
    "notices",
    "versions",
    "captures",
    "listings",
    "notice_urls",
    "bodies",
}


def whole_table_reads(conn: sqlite3.Connection, sql: str) -> list[str]:
    if sql.lstrip().split(None, 1)[0].upper() not in {"SELECT", "UPDATE", "DELETE", "WITH"}:
        return []  # BEGIN, INSERT … VALUES, SAVEPOINT, COMMIT
    aliases = {t: t for t in GROWING}
    words = sql.replace(",", " ").replace("(", " ").split()
    for k, w in enumerate(words[:-1]):
        if w.upper() in {"FROM", "JOIN", "UPDATE"} and k + 2 < len(words):
            aliases[words[k + 2]] = words[k + 1]  # `FROM runs r`: the plan says `r`
    return [
        detail
        for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql)
        if detail.startswith("SCAN ") and aliases.get(detail.split()[1]) in GROWING
    ]


def test_a_crawls_start_and_end_read_each_sites_rows_through_an_index(tmp_path, serve, monkeypatch):
    seen: set[str] = set()
    lock = threading.Lock()

    def keep(sql: str) -> None:
        with lock:
            seen.add(sql)

    def traced(method):
        def run(self, *args, **kw):
            self.conn.set_trace_callback(keep)
            try:
                return method(self, *args, **kw)
            finally:
                self.conn.set_trace_callback(None)

        return run

    monkeypatch.setattr(store.Archive, "begin_run", traced(store.Archive.begin_run))
    monkeypatch.setattr(store.Archive, "finish_run", traced(store.Archive.finish_run))
    opened = plan_module.connect

    def connect(*args, **kw):  # the plan's reads: revisits and attachment validators
        conn = opened(*args, **kw)
        conn.set_trace_callback(keep)
        return conn

    monkeypatch.setattr(plan_module, "connect", connect)
    urls = []
    for i in range(3):
        site = DistrictSite(page_size=5, domain=f"www.d{i}.gov.cn")
        site.generate(4, seed=i)
        urls.append(site.listing_url(serve(site).base))
    db = tmp_path / "a.db"
    for _ in range(2):  # the second crawl has runs before it, and revisits
        code, summaries, p = crawl(urls[0], db, *urls[1:])
        assert code == 0 and len(summaries) == 3, p.stderr
    assert any(s.startswith("SELECT kind, count(*) FROM events") for s in seen), "not traced"
    conn = sqlite3.connect(db)
    found = {sql: bad for sql in sorted(seen) if (bad := whole_table_reads(conn, sql))}
    assert found == {}


def test_the_check_sees_a_whole_table_read(tmp_path):
    conn = store.Archive(tmp_path / "x.db").conn
    assert whole_table_reads(conn, "SELECT count(*) FROM events WHERE title = 'x'") == [
        "SCAN events"
    ]
    assert whole_table_reads(conn, "SELECT r.id FROM runs r WHERE r.status = 'ok'")
    assert not whole_table_reads(conn, "SELECT count(*) FROM events WHERE run_id = 1")
    assert not whole_table_reads(conn, "SELECT id FROM runs WHERE site = 'a' AND id < 9")


def test_concurrency_scales_with_the_hosts_crawled_within_its_maximum(tmp_path):
    def concurrency(hosts: int, *overrides: str) -> int:
        settings = crawl_settings(str(tmp_path / "a.db"), overrides)
        scale_concurrency(settings, hosts)
        return settings.getint("CONCURRENT_REQUESTS")

    assert concurrency(1) == 16  # Scrapy's own for one site, as before
    assert concurrency(100) == 200  # CONCURRENT_REQUESTS_PER_DOMAIN (2) a host
    assert concurrency(1000) == 1024  # TZGG_CONCURRENT_REQUESTS_MAX
    assert concurrency(1000, "TZGG_CONCURRENT_REQUESTS_MAX=300") == 300
    assert concurrency(1000, "CONCURRENT_REQUESTS=8") == 8  # set: kept


def test_the_crawl_service_gives_each_host_of_the_plan_its_share(tmp_path):
    urls = [f"http://127.0.{i // 254}.{i % 254 + 1}:8000/tzgg/index.html" for i in range(300)]
    settings = crawl_settings(str(tmp_path / "a.db"))
    spider = NoticesSpider(url=urls)
    crawler = SimpleNamespace(settings=settings, spider=spider, signals=SignalManager())
    service = CrawlService(crawler)
    try:
        assert len(spider.plan.sites) == 300
        assert settings.getint("CONCURRENT_REQUESTS") == 600
    finally:
        service.session.close()


# -- a worker's request put back until its host's turn (Redis) --------------------------------


@pytest.fixture
def server():
    url = os.environ.get("TZGG_TEST_REDIS")
    if not url:
        if os.environ.get("TZGG_REQUIRE_REDIS"):
            pytest.fail("TZGG_TEST_REDIS is not set")
        pytest.skip("needs TZGG_TEST_REDIS")
    import redis

    conn = redis.Redis.from_url(worker_redis(url))
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.mark.redis
def test_a_request_put_back_is_handed_out_when_its_hosts_turn_comes(server):
    from crawler.service.distributed import DUE, HostQueue, queue_set

    settings = crawl_settings("unused.db", ["TZGG_HOST_DELAY=1.0"])
    spider = SimpleNamespace(name="notices", settings=settings)
    queue = HostQueue(server, spider, "tzgg:test")
    late = Request("http://127.0.0.5/a.html", meta={"tzgg_job": "j", DUE: 400})
    queue.push(late)
    assert DUE not in late.meta
    queue.push(Request("http://127.0.0.6/b.html", meta={"tzgg_job": "j"}))
    assert queue.pop().url == "http://127.0.0.6/b.html"  # a host whose turn has come
    assert queue.pop() is None  # 127.0.0.5's turn is 0.4 s away
    # a shorter wait put back never brings the host's turn forward
    queue.push(Request("http://127.0.0.5/c.html", meta={"tzgg_job": "j", DUE: 0}))
    assert queue.pop() is None
    time.sleep(0.45)
    assert queue.pop().url == "http://127.0.0.5/a.html"
    assert server.zscore(queue_set("tzgg:test"), "j|127.0.0.5") is not None
