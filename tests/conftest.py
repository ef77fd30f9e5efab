"""Shared test helpers: run `tzgg` in its own process (Twisted's reactor does not restart),
and serve the example district on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

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


def tzgg(*args, timeout: float = 180, **kw) -> subprocess.CompletedProcess:
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


def crawl(url: str, db, *extra) -> tuple[int, list[dict], subprocess.CompletedProcess]:
    """A real crawl with the test profile; returns (exit code, per-site summaries, process)."""
    p = tzgg("crawl", url, "--db", db, "--profile", "test", "-q", "--json", *extra)
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
            urllib.request.urlopen(base + ".json", timeout=1).close()
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
    p = tzgg("changes", "--db", db, "--json", *extra)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def real_page_notice(name: str):
    """extract_notice of one page of ../shared/realpages (skips when they are absent)."""
    from crawler.parse.notice import extract_notice

    path = require_realpages() / name
    return extract_notice(path.read_bytes(), "https://www.pingtan.gov.cn/x/t1.htm")


@pytest.fixture
def serve():
    """serve(site) -> server; every server is closed after the test."""
    from crawler.demo.site import serve as _serve

    servers = []

    def start(site):
        srv = _serve(site, host="127.0.0.1", port=0)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()
