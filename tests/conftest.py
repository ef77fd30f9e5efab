"""Shared test helpers: run `tzgg` (in this process unless a test needs a process of its own:
tests/inprocess.py), crawl, and serve the example district on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REALPAGES = SHARED / "realpages"


def require_realpages(module_level: bool = False) -> Path:
    """../shared/realpages, or a skip where it is absent; a failure instead when
    TZGG_REQUIRE_REALPAGES is set (CI sets it: hundreds of checks must not vanish unseen)."""
    if (REALPAGES / "manifest.json").is_file():
        return REALPAGES
    why = f"real pages absent: {REALPAGES / 'manifest.json'} not found"
    if os.environ.get("TZGG_REQUIRE_REALPAGES"):
        pytest.fail(f"TZGG_REQUIRE_REALPAGES is set but {why}", pytrace=False)
    pytest.skip(why, allow_module_level=module_level)


# verbs that run until stopped, or start processes of their own: always a subprocess
OWN_PROCESS = {"serve", "worker", "ingest", "schedule", "demo"}


def tzgg(*args, timeout: float = 180, in_process: bool | None = None, **kw):
    """`tzgg ARGS`: returncode, stdout and stderr. In this process (crawls on the session's
    reactor) unless `in_process=False` or the verb needs a process of its own; then in a
    subprocess (mark such a test `e2e`)."""
    verb = next((str(a) for a in args if not str(a).startswith("-")), "")
    if in_process is None:  # preexec_fn, stdin…: what only a process has
        in_process = verb not in OWN_PROCESS and set(kw) <= {"env", "cwd", "input"}
    if in_process:
        from tests import inprocess

        return inprocess.tzgg(*args, timeout=timeout, **kw)
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    env.pop("TZGG_DB", None)
    env.pop("TZGG_REGISTRY", None)
    env.update(kw.pop("env", None) or {})
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *map(str, args)],
        cwd=kw.pop("cwd", REPO),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        **kw,
    )


def worker_redis(url: str) -> str:
    """TZGG_TEST_REDIS with its database number moved down by the pytest-xdist worker's index
    (gw0: 15, gw1: 14 … for CI's 15; modulo Redis's 16 databases): parallel workers never
    share, nor flush, one database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db - index) % 16}"))


def crawl(url: str, db, *extra, in_process: bool = True):
    """`tzgg crawl URL --profile test -q --json`: (exit code, per-site summaries, the run).
    `in_process=False` for a crawl in a process of its own."""
    p = tzgg(
        "crawl", url, "--db", db, "--profile", "test", "-q", "--json", *extra, in_process=in_process
    )
    summaries = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return p.returncode, summaries, p


def start_crawl(url: str, db, *extra) -> subprocess.Popen:
    """A test-profile crawl in the background (text pipes), for what runs while it crawls."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    env.pop("TZGG_DB", None)
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", url, "--db", str(db)]
    cmd += ["--profile", "test", "-q", "--json", *map(str, extra)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def serving_ui(db, *extra, name="archive", env=None):
    """`tzgg serve` on a free loopback port; yields its base URL (…/`name`) once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, *extra],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/{name}"
    deadline = time.monotonic() + 30
    while True:
        try:
            # Datasette's status page: the first request to the archive's pages is a test's
            urllib.request.urlopen(base.rsplit("/", 1)[0] + "/-/versions.json", timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"tzgg serve did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def events(db, *extra) -> list[dict]:
    """`tzgg changes --json`: the archive's events."""
    p = tzgg("changes", "--db", db, "--json", *extra)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def fetch_record(site: str, url: str, at: str, **notice) -> dict:
    """A detail page fetched whole (status 200) as a crawl hands it to the archive, its notice
    made of `notice`'s fields (title, published, source, body …), the others empty."""
    empty = {"doc_number": None, "index_number": None, "written": None, "body_html": ""}
    return {
        "type": "fetch",
        "site": site,
        "kind": "detail",
        "url": url,
        "final_url": url,
        "at": at,
        "status": 200,
        "body": f"<html>{url}{at}</html>".encode(),
        "headers": [],
        "page_class": "ok",
        "extractor_version": "2",
        "notice": {"url": url, **empty, "attachments": [], "breadcrumb": [], **notice},
    }


def count_rows(db, table: str) -> int:
    """Rows in an archive's table, read through a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def real_page_notice(name: str):
    """extract_notice of one page of ../shared/realpages (skips when they are absent)."""
    from crawler.parse.notice import extract_notice

    path = require_realpages() / name
    return extract_notice(path.read_bytes(), "https://www.pingtan.gov.cn/x/t1.htm")


class Gate:
    """Holds a demo site's notice pages (of `nids` only, if given) once `after` of them have
    been served, until the test lets `allow(n)` more through or `release()`s them all: a crawl
    that cannot get ahead of what the test does mid-crawl (a condition, not a sleep). `held`
    is set once a page waits. Held pages outwait the test profile's DOWNLOAD_TIMEOUT: raise it
    for the crawl."""

    def __init__(self, site, after: int, nids=None):
        self.paths = {site.path(n) for n in (site.nids() if nids is None else nids)}
        self.limit, self.served = after, 0
        self.held = threading.Event()
        self.cond = threading.Condition()
        self.site, self.handle = site, site.handle
        handle = self.handle

        def gated(method, target, *args, **kw):
            if target.split("?")[0] in self.paths:
                with self.cond:
                    self.served += 1
                    ticket = self.served
                    if ticket > self.limit:
                        self.held.set()
                        self.cond.wait_for(lambda: ticket <= self.limit, timeout=120)
            return handle(method, target, *args, **kw)

        site.handle = gated

    def allow(self, n: int) -> None:
        with self.cond:
            self.limit += n
            self.cond.notify_all()

    def release(self) -> None:
        self.allow(1 << 30)

    def close(self) -> None:
        """Released, and the site answers as before the gate."""
        self.release()
        self.site.handle = self.handle


@pytest.fixture
def serve():
    """serve(site) -> server; every server is closed after the test."""
    from crawler.demo import serve as _serve

    servers = []

    def start(site):
        srv = _serve(site, host="127.0.0.1", port=0)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()


@pytest.fixture
def closes_sqlite(monkeypatch):
    """Every SQLite connection the test opens is closed when it ends: one left to the garbage
    collector checkpoints its WAL later, in whatever test of the worker runs then (and changes
    files that test may be watching)."""
    opened = []
    real = sqlite3.connect

    def connect(*args, **kw):
        conn = real(*args, **kw)
        if threading.current_thread() is threading.main_thread():  # (the crawl closes its own)
            opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    yield
    for conn in opened:
        conn.close()
