"""The README's path for a watchdog group, end to end: probe a district, add it to the
registry, start `tzgg schedule`, and hear of a removal by Atom feed and by webhook."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest

from crawler.demo.scenario import build_demo_site
from tests.conftest import REPO, tzgg


class Receiver(BaseHTTPRequestHandler):
    got: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.got.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_for(check, timeout=90, what="it"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def rows(db, sql):
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the schema is being created
        return []
    finally:
        conn.close()


@pytest.mark.e2e
def test_probe_add_schedule_and_hear_of_a_removal(tmp_path, serve):
    site = build_demo_site(style="trs")
    srv = serve(site)
    url, db, reg = site.listing_url(srv.base), tmp_path / "a.db", tmp_path / "sites.toml"
    Receiver.got = []
    hooks = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()

    # 1. onboarding: what tzgg sees, then one line in the registry
    p = tzgg("probe", url, "--json")
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)
    assert seen["cms"] == "trs" and len(seen["items"]) >= 5 and seen["sample"]["title"]
    p = tzgg(
        "sites", "add", url, "--key", "yylq", "--name", "岳阳楼区人民政府",
        "--region", "430602", "--schedule", "10s", "--registry", reg,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    with reg.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[[webhooks]]\nurl = "http://127.0.0.1:{hooks.server_port}/tzgg"\n'
            'kinds = ["removed"]\n'
        )

    # 2. the scheduler, as a service would run it
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    sched = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "schedule", "--registry", reg, "--db", db]
        + ["--profile", "test"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(
            lambda: rows(db, "SELECT 1 FROM runs WHERE finished IS NOT NULL"), what="a first run"
        )
        assert rows(db, "SELECT count(*) FROM events WHERE kind = 'new'")[0][0] >= 10
        gone = site.nids()[0]
        site.set_state(gone, "404")
        removed = wait_for(
            lambda: rows(db, "SELECT id, url FROM events WHERE kind = 'removed'"),
            what="the removal",
        )
        assert removed[0][1].endswith(site.path(gone))
        # the webhook: the crawl that saw the removal delivered it
        wait_for(lambda: Receiver.got, timeout=30, what="the webhook")
    finally:
        sched.send_signal(signal.SIGTERM)
        out, _ = sched.communicate(timeout=90)
        hooks.shutdown()
    assert sched.returncode == 0, out
    assert " start  yylq" in out and " done   yylq  run " in out

    [(headers, event)] = Receiver.got  # only the removal: the hook's kinds say so
    assert event["kind"] == "removed" and event["site"] == "yylq"
    assert event["id"] == removed[0][0] and headers["Idempotency-Key"].endswith(f"-{event['id']}")
    assert event["reason"] == "http_404"

    # 3. the feed a reader (or a Slack RSS app) follows
    out = tmp_path / "removed.xml"
    p = tzgg("feed", "--db", db, "--registry", reg, "--region", "4306", "--kind", "removed",
             "--output", out)  # fmt: skip
    assert p.returncode == 0, p.stderr
    feed = feedparser.parse(out.read_bytes())
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert entry.link.endswith(site.path(gone)) and "removed" in entry.title
    assert "http_404" in entry.content[0].value
    assert "岳阳楼区人民政府" in entry.title
