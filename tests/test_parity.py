"""`scrapy crawl notices -a url=…` and `tzgg crawl` are one crawl service: two identical loopback
districts, one crawled each way (twice, with a change between), give the same run summaries,
events, webhook deliveries, per-site delays and locks."""

from __future__ import annotations

import ast
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest

from archive.storage.db import ArchiveBusy, archive_lock, site_lock
from archive.storage.queries import changes
from crawler.cli.sites import run_dict
from crawler.demo import DistrictSite, serve
from crawler.settings import TEST_PROFILE
from tests.conftest import REPO
from tests.test_webhooks import Receiver

pytestmark = pytest.mark.e2e

KEY = "yylq"  # the registry's key: both archives must file the site under it
DELAY = 0.25  # the registry entry's `delay`, seconds between two requests to its host
# the test profile as `-s` values, with the registry's delays on (the profile turns them off)
SETTINGS = {**TEST_PROFILE, "TZGG_SITE_DELAYS": True}
TIMES = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z?")


class District:
    """A demo district on loopback whose listing can be held: `hold()` makes the next request
    for the listing wait until `release()`, so a test sees the crawl mid-fetch.  Every request's
    arrival time is kept (the demo's log has the time it was answered)."""

    def __init__(self):
        self.site = DistrictSite()
        for i in range(1, 4):
            self.site.add(f"关于第{i}批房屋征收补偿方案的公示", published=f"2021-09-2{i} 10:00")
        self.server = serve(self.site)
        self.listing = self.site.listing_url(self.server.base)
        self.arrivals: list[float] = []
        self.reached, self.go = threading.Event(), threading.Event()
        handle, path = self.site.handle, urlsplit(self.listing).path

        def held(method, target, *args, **kw):
            self.arrivals.append(time.monotonic())
            if target == path and not self.go.is_set():
                self.reached.set()
                self.go.wait(20)
            return handle(method, target, *args, **kw)

        self.site.handle = held

    def hold(self) -> None:
        self.reached.clear()
        self.go.clear()
        self.arrivals.clear()

    def release(self) -> None:
        self.go.set()

    def change(self) -> None:
        """The same change on either site: a notice edited, another gone (404)."""
        _, second, third = self.site.nids()
        self.site.edit(second, title="关于第2批房屋征收补偿方案的公示（修订）")
        self.site.set_state(third, "404")


def write_registry(path, listing: str, hook: str) -> None:
    path.write_text(
        f'[sites.{KEY}]\nlistings = ["{listing}"]\ndelay = {DELAY}\n\n[[webhooks]]\nurl = "{hook}"\n',
        encoding="utf-8",
    )


def tzgg_crawl(db, reg) -> list[str]:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", KEY, "--db", str(db)]
    cmd += ["--registry", str(reg), "--profile", "test", "-q", "--json"]
    return [*cmd, "-s", "TZGG_SITE_DELAYS=True"]  # --profile test is the rest of SETTINGS


def scrapy_crawl(listing: str, db, reg) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "notices", "-a", f"url={listing}"]
    cmd += ["-s", f"TZGG_DB={db}", "-s", f"TZGG_REGISTRY={reg}"]
    for name, value in SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


def start(cmd: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    env.pop("TZGG_DB", None)
    env.pop("TZGG_REGISTRY", None)
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def assert_locked_while_fetching(district: District, proc: subprocess.Popen, db) -> None:
    """Once the crawl asks for the listing (and waits for it), its site and the archive are
    locked against another crawl of the site and a migration; another site is not."""
    try:
        while not district.reached.wait(0.2):
            assert proc.poll() is None, proc.communicate()
        with pytest.raises(ArchiveBusy, match=f"site {KEY} is being crawled"):
            with site_lock(db, KEY):
                pass
        with pytest.raises(ArchiveBusy):
            with archive_lock(db, exclusive=True):
                pass
        with site_lock(db, "another-site"):
            pass
    finally:
        district.release()


def finish(proc: subprocess.Popen, db) -> tuple[str, str]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (proc.args, err[-3000:])
    with site_lock(db, KEY), archive_lock(db, exclusive=True):  # released at the end
        pass
    return out, err


def crawl_both(a: District, b: District, cmd_a, cmd_b, db_a, db_b):
    """Both crawls at once (two processes, two sites): each one's locks checked mid-fetch."""
    a.hold()
    b.hold()
    pa, pb = start(cmd_a), start(cmd_b)
    try:
        assert_locked_while_fetching(a, pa, db_a)
        assert_locked_while_fetching(b, pb, db_b)
        return finish(pa, db_a), finish(pb, db_b)
    finally:
        for p in (pa, pb):
            if p.poll() is None:
                p.kill()
                p.communicate()


def stats_summaries(log: str) -> list[dict]:
    """The `tzgg/summaries` stat from the stats Scrapy dumps when the crawl ends."""
    at = log.index("'tzgg/summaries': ") + len("'tzgg/summaries': ")
    for end in (m.end() for m in re.finditer(r"\]", log[at:])):
        try:
            return ast.literal_eval(log[at : at + end])
        except (SyntaxError, ValueError):
            continue
    raise AssertionError(f"no tzgg/summaries stat in: {log[-2000:]}")


def webhooks_line(log: str) -> str:
    return re.search(r"webhooks: sent \d+, pending \d+.*", log).group(0)


def normal(value, base: str):
    """Without what differs between the two sites by design: ids, times, host:port."""
    if isinstance(value, dict):
        skip = {"id", "run", "notice_id"}
        return {k: normal(v, base) for k, v in value.items() if k not in skip}
    if isinstance(value, list):
        return [normal(v, base) for v in value]
    if isinstance(value, str):
        return TIMES.sub("<time>", value.replace(base, ""))
    return value


def archive_state(db, base: str) -> tuple[list[dict], list[dict], set[str]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        runs = [run_dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
        events = changes(conn)
        sites = {r[0] for r in conn.execute("SELECT site FROM notices")}
    finally:
        conn.close()
    return normal(runs, base), events, sites


def gaps(arrivals: list[float]) -> list[float]:
    return [t2 - t1 for t1, t2 in zip(arrivals, arrivals[1:], strict=False)]


def test_scrapy_crawl_notices_is_the_same_crawl_as_tzgg_crawl(tmp_path):
    a, b = District(), District()
    rx_a, rx_b = Receiver(), Receiver()
    try:
        reg_a, reg_b = tmp_path / "reg_a.toml", tmp_path / "reg_b.toml"
        write_registry(reg_a, a.listing, rx_a.url())
        write_registry(reg_b, b.listing, rx_b.url())
        db_a, db_b = tmp_path / "a.db", tmp_path / "b.db"
        cmd_a = tzgg_crawl(db_a, reg_a)
        cmd_b = scrapy_crawl(b.listing, db_b, reg_b)

        summaries_a, summaries_b, lines = [], [], []
        for round_ in (1, 2):
            if round_ == 2:
                a.change()
                b.change()
            (out_a, err_a), (out_b, err_b) = crawl_both(a, b, cmd_a, cmd_b, db_a, db_b)
            printed = [json.loads(line) for line in out_a.splitlines() if line.startswith("{")]
            summaries_a += normal(printed, a.server.base)
            summaries_b += normal(stats_summaries(err_b), b.server.base)
            assert err_a == ""  # `tzgg crawl --json` prints no webhooks line, by design
            lines.append(webhooks_line(err_b))
            # the registry's delay spaces every request to the site, either way
            for d in (a, b):
                assert len(d.arrivals) >= 4 and min(gaps(d.arrivals)) >= DELAY / 2 - 0.03, (
                    round_,
                    gaps(d.arrivals),
                )

        runs_a, events_a, sites_a = archive_state(db_a, a.server.base)
        runs_b, events_b, sites_b = archive_state(db_b, b.server.base)
        # the registry's key names the site in both archives: `scrapy crawl` resolved the entry
        assert sites_a == sites_b == {KEY}
        assert {r["site"] for r in runs_a} == {r["site"] for r in runs_b} == {KEY}
        # the summaries: printed by `tzgg crawl --json`, in the stats of `scrapy crawl`, and
        # the runs each archive keeps
        assert summaries_a == summaries_b
        assert [s["counts"]["new"] for s in summaries_a] == [3, 0]
        assert [(s["counts"]["edited"], s["counts"]["removed"]) for s in summaries_a] == [
            (0, 0),
            (1, 1),
        ]
        assert runs_a == runs_b
        assert [{k: r[k] for k in summaries_a[0] if k in r} for r in runs_a] == summaries_a
        # the events
        ev_a, ev_b = normal(events_a, a.server.base), normal(events_b, b.server.base)
        assert sorted(map(repr, ev_a)) == sorted(map(repr, ev_b))
        assert sorted((e["kind"], e["title"]) for e in ev_a) == [
            ("edited", "关于第2批房屋征收补偿方案的公示（修订）"),
            ("new", "关于第1批房屋征收补偿方案的公示"),
            ("new", "关于第2批房屋征收补偿方案的公示"),
            ("new", "关于第3批房屋征收补偿方案的公示"),
            ("removed", "关于第3批房屋征收补偿方案的公示"),
        ]
        # the webhook deliveries: each receiver got its archive's events, once, in order
        assert rx_a.bodies() == events_a and rx_b.bodies() == events_b
        assert lines == ["webhooks: sent 3, pending 0", "webhooks: sent 2, pending 0"]
    finally:
        for server in (a.server, b.server, rx_a, rx_b):
            server.close()
