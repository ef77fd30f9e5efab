"""`tzgg schedule`: due times, jitter, no overlap, restarts (a fake clock and fake crawls),
the crontab it prints, and the real thing crawling a loopback site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.storage.db import connect, site_lock
from crawler.service.scheduler import Scheduler, cron_line, crontab, stamp
from crawler.sites.cadence import MAX_SPREAD, CadenceError, parse_cadence
from tests.conftest import tzgg

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai

REGISTRY = """
[sites.a]
listings = ["http://127.0.0.1:9/a/"]
[sites.b]
listings = ["http://127.0.0.1:9/b/"]
schedule = "6h"
[sites.c]
listings = ["http://127.0.0.1:9/c/"]
schedule = "0 7 * * *"
"""


class Clock:
    def __init__(self, at=T0):
        self.at = at

    def __call__(self):
        return self.at

    def advance(self, **kw):
        self.at += timedelta(**kw)


class FakeCrawl:
    """A crawl that runs until told to finish, then records its run as `tzgg crawl` would."""

    def __init__(self, db, key, clock):
        self.db, self.key, self.clock = db, key, clock
        self.started = stamp(clock())
        self.code = None

    def finish(self, code=0):
        conn = connect(self.db)
        conn.execute(
            "INSERT INTO runs (site, started, finished, status) VALUES (?, ?, ?, 'ok')",
            (self.key, self.started, stamp(self.clock())),
        )
        conn.commit()
        conn.close()
        self.code = code

    def poll(self):
        return self.code

    def terminate(self):
        self.code = -15


@pytest.fixture
def world(tmp_path):
    reg = tmp_path / "sites.toml"
    reg.write_text(REGISTRY, encoding="utf-8")
    db = tmp_path / "a.db"
    connect(db).close()
    clock, crawls, lines = Clock(), [], []

    def launch(key):
        crawls.append(FakeCrawl(db, key, clock))
        return crawls[-1]

    def make(**kw):
        return Scheduler(reg, db, clock=clock, launch=launch, log=lines.append, **kw)

    return make, clock, crawls, lines, db, reg


def running(crawls):
    return sorted(c.key for c in crawls if c.code is None)


def test_cadences_parse_and_bound_their_jitter():
    assert parse_cadence(None).period == timedelta(days=1)
    assert parse_cadence("every 30m").period == timedelta(minutes=30)
    assert parse_cadence("hourly").period == timedelta(hours=1)
    assert parse_cadence("0 7 * * 1-5").cron == "0 7 * * 1-5"
    for bad in ("sometimes", "5s", "0 7 * *", "61 * * * *", 7):
        with pytest.raises(CadenceError):
            parse_cadence(bad)
    for spec, bound in (
        ("daily", timedelta(days=1)),  # an interval's sites spread over the whole period
        ("30m", timedelta(minutes=30)),
        ("0 7 * * *", MAX_SPREAD),  # a cron line names its time: at most 10 minutes off it
    ):
        cad = parse_cadence(spec)
        assert cad.max_offset() == bound
        got = [cad.offset(f"site{i}") for i in range(300)]
        assert all(timedelta(0) <= j < bound for j in got)
        assert max(got) - min(got) > bound * 0.9  # spread, not queued at one time
        assert cad.offset("site1") == cad.offset("site1")  # a restart agrees
    # a cron line is read in Asia/Shanghai: 07:00 there is 23:00 UTC the day before
    cad = parse_cadence("0 7 * * *")
    assert cad.next_after(T0) == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    due = cad.due("c", T0, T0 + timedelta(days=3))
    assert due - datetime(2026, 11, 26, 23, 0, tzinfo=UTC) == cad.offset("c")
    # a crawl by hand just before the site's time does not make two in a row
    hand = datetime(2026, 11, 26, 23, 0, tzinfo=UTC) + cad.offset("c") - timedelta(minutes=1)
    assert cad.due("c", hand, hand) >= hand + timedelta(hours=12)


def on_grid(cad, key, t):
    """Whether t is one of the site's times: the schedule's, moved by the site's offset."""
    from crawler.sites.cadence import EPOCH

    if cad.cron is None:
        return (t - EPOCH - cad.offset(key)) % cad.period == timedelta(0)
    return cad.next_after(t - cad.offset(key) - timedelta(seconds=1)) == t - cad.offset(key)


def test_late_starts_do_not_drift_the_schedule():
    for spec in ("daily", "6h", "every 30m", "0 7 * * 1-5"):
        cad = parse_cadence(spec)
        due = cad.due("site", T0, T0)
        for i in range(200):  # every crawl starts late: 3 minutes, or (a long queue) 40% late
            late = cad.period * 0.4 if i % 10 == 0 else timedelta(minutes=3)
            due = cad.due("site", due + late, due)
            assert i < 2 or on_grid(cad, "site", due), (spec, i)


def test_due_sites_start_two_at_a_time_and_never_twice(world):
    make, clock, crawls, lines, db, _ = world
    sched = make(max_parallel=2)
    due = sched.due_times()
    assert set(due) == {"a", "b", "c"}
    assert all(T0 <= t < T0 + MAX_SPREAD for t in due.values())  # never crawled: now, spread
    assert len(set(due.values())) == 3  # spread, not all at once
    sched.tick()
    assert crawls == []  # spread: not yet
    clock.advance(minutes=10)
    sched.tick()
    assert len(running(crawls)) == 2  # the bound
    first = running(crawls)
    clock.advance(days=2)  # long overdue again while still running: no second crawl
    sched.tick()
    assert running(crawls) == first and len(crawls) == 2
    for c in crawls:
        c.finish()
    sched.tick()
    # the third site at last, first in line (due longest), and one more overdue one
    assert len(crawls) == 4 and crawls[2].key not in first
    assert any("start" in x for x in lines)


def test_the_next_crawl_follows_the_schedule_and_survives_a_restart(world):
    make, clock, crawls, lines, db, _ = world
    sched = make(max_parallel=3)
    clock.advance(minutes=10)
    sched.tick()
    for c in crawls:
        c.finish()
    sched.tick()
    due = sched.due_times()
    # each on its grid time (from midnight in Shanghai, moved by the site's offset), the
    # first one at least half a period after the crawl
    for c in crawls:
        cad = sched.cadence(c.key)
        started = datetime.fromisoformat(c.started.replace("Z", "+00:00"))
        assert on_grid(cad, c.key, due[c.key]), c.key
        assert started + cad.period / 2 <= due[c.key] <= started + cad.period * 1.5
    # a restart (a new process, later): the same due times, from the archive
    clock.advance(hours=1)
    again = make(max_parallel=3)
    assert again.due_times() == due
    again.tick()
    assert len(crawls) == 3  # nothing due yet
    clock.at = due["b"]
    again.tick()
    assert [c.key for c in crawls[3:]] == ["b"]  # only the 6-hourly one
    # a crawl killed mid-run leaves a run without an end: it does not count as the last run
    conn = connect(db)
    conn.execute("INSERT INTO runs (site, started) VALUES ('a', ?)", (stamp(clock()),))
    conn.commit()
    conn.close()
    assert make().due_times()["a"] == due["a"]


def test_a_site_crawled_by_another_process_waits(world):
    make, clock, crawls, lines, db, _ = world
    sched = make(max_parallel=3)
    clock.advance(minutes=10)
    with site_lock(db, "a"):  # `tzgg crawl a` by hand, say
        sched.tick()
        assert running(crawls) == ["b", "c"]
        assert any("busy" in x and " a:" in x for x in lines)
    clock.advance(minutes=5)
    sched.tick()
    assert "a" not in running(crawls)  # it retries later, not in a tight loop
    clock.advance(minutes=11)
    sched.tick()
    assert "a" in running(crawls)


def test_a_crawl_that_fails_to_start_is_retried_later_not_at_once(world):
    make, clock, crawls, lines, db, _ = world
    sched = make(max_parallel=3)
    clock.advance(minutes=10)
    sched.tick()
    for c in crawls:
        c.code = 1  # died before recording a run
    sched.tick()
    assert len(crawls) == 3
    assert sum("failed" in x for x in lines) == 3
    clock.advance(minutes=16)
    sched.tick()
    assert len(crawls) == 6


def test_registry_edits_are_picked_up_and_broken_edits_ignored(world):
    make, clock, crawls, lines, db, reg = world
    import os

    sched = make()
    reg.write_text(REGISTRY + '[sites.d]\nlistings = ["http://127.0.0.1:9/d/"]\n', "utf-8")
    os.utime(reg, ns=(1, 1))  # a different mtime, however fast the test
    sched.tick()
    assert "d" in sched.due_times()
    for n, broken in enumerate(
        [
            "[sites.d\n",
            REGISTRY + '[[webhooks]]\nurl = "http://[::1/hook"\n',
            "[sites.d]\noverrides = 5\n",
        ]
    ):
        reg.write_text(broken, "utf-8")
        os.utime(reg, ns=(2 + n, 2 + n))
        sched.tick()  # a typo must not stop the service
        assert "d" in sched.due_times()
    assert sum("not reloaded" in x for x in lines) == 3


def test_print_crontab(tmp_path):
    reg = tmp_path / "sites.toml"
    reg.write_text(REGISTRY + '[sites.d]\nlistings = ["http://x/d/"]\nschedule = "7h"\n', "utf-8")
    # --print-crontab and bad input end at once: the command runs in this process
    p = tzgg(
        "schedule", "--registry", reg, "--db", tmp_path / "a.db", "--print-crontab", in_process=True
    )
    assert p.returncode == 0, p.stderr
    lines = [x for x in p.stdout.splitlines() if x and not x.startswith("#")]
    assert lines[0] == "CRON_TZ=Asia/Shanghai"
    by_site = {x.split(" crawl ")[1].split()[0]: x for x in lines[1:]}
    assert set(by_site) == {"a", "b", "c"}  # 7h has no cron equivalent: said in a comment
    assert "# d:" in p.stdout
    assert by_site["c"].startswith("0 7 * * * ")
    for key, spec, fields in (("a", "daily", "{m} {h} * * *"), ("b", "6h", "{m} {h}-23/6 * * *")):
        j = int(parse_cadence(spec).offset(key).total_seconds()) // 60  # as schedule runs it
        assert by_site[key].startswith(fields.format(m=j % 60, h=j // 60) + " "), by_site[key]
    assert f"--db {tmp_path / 'a.db'}" in by_site["a"]
    assert cron_line(parse_cadence("30m"), "k").endswith("-59/30 * * * *")
    assert crontab.__doc__
    # through the workers: each line is a `tzgg ingest` naming the Redis
    url = "redis://:pw@10.0.0.5:6379/0"
    p = tzgg(
        "schedule", "--registry", reg, "--db", tmp_path / "a.db", "--redis", url, "--print-crontab",
        in_process=True,
    )  # fmt: skip
    lines = [x for x in p.stdout.splitlines() if x and not x.startswith(("#", "CRON_TZ"))]
    assert len(lines) == 3 and all(
        f" ingest {k} " in x for x, k in zip(lines, "abc", strict=True)
    ), lines
    assert all(x.endswith(f"--redis {url}") for x in lines), lines
    p = tzgg("schedule", "--registry", reg, "--redis", url, "--profile", "test", in_process=True)
    assert p.returncode == 2 and "tzgg worker --profile" in p.stderr


def test_schedule_refuses_bad_input(tmp_path):
    p = tzgg(
        "schedule", "--registry", tmp_path / "none.toml", "--db", tmp_path / "a.db", in_process=True
    )
    assert p.returncode == 2 and "no registry" in p.stderr and "Traceback" not in p.stderr
    reg = tmp_path / "sites.toml"
    reg.write_text('[sites.a]\nlistings = ["http://x/"]\nschedule = "often"\n', "utf-8")
    p = tzgg("schedule", "--registry", reg, "--db", tmp_path / "a.db", in_process=True)
    assert p.returncode == 2 and "schedule" in p.stderr


@pytest.mark.e2e
def test_a_crawl_stopped_by_sigterm_is_recorded_as_interrupted(tmp_path, serve):
    import json
    import signal
    import sqlite3
    import time

    from crawler.demo import DistrictSite
    from tests.conftest import Gate, start_crawl

    site = DistrictSite(style="trs", page_size=20)
    site.generate(150)
    gate = Gate(site, after=10)  # a few notices in, far from done: held there
    srv = serve(site)
    db = tmp_path / "a.db"
    proc = start_crawl(site.listing_url(srv.base), db, "-s", "DOWNLOAD_TIMEOUT=60")
    try:
        assert gate.held.wait(60), "the crawl never reached its 11th notice page"
        end = time.monotonic() + 60
        while time.monotonic() < end:  # what was fetched is committed within a flush
            time.sleep(0.2)
            try:
                n = sqlite3.connect(db).execute("SELECT count(*) FROM notices").fetchone()[0]
            except sqlite3.Error:
                continue
            if n >= 5:
                break
        proc.send_signal(signal.SIGTERM)  # as the scheduler's stop() sends it
    finally:
        gate.release()  # what is in flight ends; nothing more is asked for
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    [summary] = [json.loads(x) for x in out.splitlines()]
    assert summary["status"] == "interrupted" and "interrupted:shutdown" in summary["flags"]
    run = sqlite3.connect(db).execute("SELECT status, finished FROM runs").fetchone()
    assert run[0] == "interrupted" and run[1]
    # the scheduler makes such a run again at once rather than a period later
    reg = tmp_path / "sites.toml"
    reg.write_text(f'[sites.x]\nlistings = ["{site.listing_url(srv.base)}"]\n', "utf-8")
    assert Scheduler(reg, db, log=lambda _: None).last_starts() == {}
