"""`tzgg demo`: it starts afresh only an archive it made itself, and `tzgg demo --serve` keeps
the example district on a fixed port, a round per Enter or SIGUSR1, for crawls of your own.
(`tests/test_cli.py` runs the whole demo twice on one archive.)"""

from __future__ import annotations

import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading

import pytest

from archive.storage.db import connect
from crawler.demo.scenario import apply_round, build_demo_site
from tests.conftest import REPO, crawl, events, tzgg


def files(folder) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _text(path):
    path.write_text("a list of notices I typed\n", encoding="utf-8")


def _other_program(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


def _archive(path):
    connect(path).close()


def _demo_with_a_real_site(path):
    """Marked as the demo's, but a real site was crawled into it since."""
    conn = connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS archive_meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO archive_meta VALUES ('tzgg_demo', '2026-01-01T00:00:00Z')")
    conn.execute(
        "INSERT INTO captures (site, kind, url, at, outcome) VALUES (?, 'listing', ?, ?, 'ok')",
        ("yylq", "http://www.yylq.gov.cn/tzgg/index.html", "2026-01-02T00:00:00Z"),
    )
    conn.commit()
    conn.close()


@pytest.mark.e2e
@pytest.mark.parametrize("make", [_text, _other_program, _archive, _demo_with_a_real_site])
def test_demo_refuses_a_file_it_did_not_make_and_leaves_it_as_it_was(tmp_path, make):
    db = tmp_path / "watch.db"
    make(db)
    before = files(tmp_path)
    p = tzgg("demo", "--db", db)
    assert p.returncode == 2 and p.stdout == "", p.stdout
    assert p.stderr.startswith("tzgg: error: ") and p.stderr.count("\n") == 1, p.stderr
    assert str(db) in p.stderr and "give it a new file" in p.stderr
    assert files(tmp_path) == before  # byte for byte, and nothing made beside it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
def test_demo_serve_changes_the_site_a_round_per_sigusr1_or_enter(tmp_path):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "demo", "--serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()

    def line() -> str:
        try:
            return lines.get(timeout=30).rstrip("\n")
        except queue.Empty:
            raise AssertionError(f"demo --serve said nothing: {proc.stderr.read()}") from None

    # the same story the demo tells, to know which notice each round touches
    site = build_demo_site(style="trs")
    base = f"http://127.0.0.1:{port}"
    path = lambda role: site.path(site.roles[role])  # noqa: E731
    db = tmp_path / "w.db"

    def changes_since(mark):
        evs = [e for e in events(db) if e["at"] > mark]
        return sorted((e["kind"], e["url"].removeprefix(base)) for e in evs), max(
            [mark] + [e["at"] for e in evs]
        )

    try:
        url = line().rsplit(" at ", 1)[1]
        assert url == f"{base}/tzgg/index.html"
        assert line().startswith("Press Enter (or kill -USR1 ")
        busy = tzgg("demo", "--serve", "--port", port)
        assert busy.returncode == 1 and busy.stderr.count("\n") == 1, busy.stderr
        assert f"port {port} is busy" in busy.stderr

        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
        got, mark = changes_since("")
        assert {k for k, _ in got} == {"new"} and len(got) == 12

        proc.send_signal(signal.SIGUSR1)
        assert line().startswith("round 1: site rebuilt")
        apply_round(site, 1)
        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
        got, mark = changes_since(mark)
        want = [
            ("edited", path("edited")),
            ("edited", path("title_fix")),
            ("removed", path("gone404")),
            ("removed", path("soft404")),
            ("removed", path("redirect_home")),
            ("new", path("new")),
        ]
        # (whether the delisting shows now or a walk later is the delisting rule's business)
        assert [e for e in got if e[0] != "delisted"] == sorted(want)
        assert "site_broken" not in {k for k, _ in got}

        proc.stdin.write("\n")
        proc.stdin.flush()
        assert line().startswith("round 2: ")
        code, _, p = crawl(url, db)
        assert code == 0, p.stderr
        got, mark = changes_since(mark)
        assert ("restored", path("gone404")) in got
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    assert proc.returncode == 0 and line() == "stopped", proc.stderr.read()
