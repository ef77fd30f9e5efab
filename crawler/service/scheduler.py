"""`tzgg schedule`: crawl each registry site on its own schedule, for months, unattended.

Each crawl is a `tzgg crawl KEY` child process: Twisted's reactor runs once per process, and a
crawl that crashes takes nothing else with it.  When a site is due comes from the archive (the
start of its last finished run) and its schedule, so a restarted scheduler carries on where it
was.  Two crawls of one site never overlap: the scheduler runs one child per site, and the
crawl itself takes the site's lock (an flock, which a killed process cannot leave held), so a
crawl started by hand meanwhile makes the scheduled one wait for the next try.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.storage.db import ArchiveBusy, connect, site_lock
from archive.storage.locks import named_lock
from crawler.schema.times import format_utc, parse_utc
from crawler.sites.cadence import Cadence, parse_cadence
from crawler.sites.registry import Registry, RegistryError

RETRY = timedelta(minutes=15)  # after a crawl that could not start or record a run
DELIVER_EVERY = timedelta(minutes=5)  # webhook retries between crawls
TICK_MAX_S = 30.0
EXIT_BUSY = 75


def utc(at: str) -> datetime:
    return parse_utc(at)


def stamp(dt: datetime) -> str:
    return format_utc(dt, "seconds")


@dataclass
class Job:
    key: str
    proc: object  # a Popen, or anything with poll(), terminate() and the files below
    started: datetime
    out: object = None
    err: object = None


@dataclass
class Scheduler:
    registry: str | Path
    db: str | Path
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    launch: Callable[[str], object] | None = None  # key -> a process (tests: a fake)
    max_parallel: int = 2
    log: Callable[[str], None] = lambda line: print(line, flush=True)
    deliver: Callable[[], str | None] | None = None
    crawl_args: list[str] = field(default_factory=list)  # -s NAME=VALUE, --profile
    verb: str = "crawl"  # or "ingest": crawl through the workers (crawl_args has --redis)
    jobs: dict[str, Job] = field(default_factory=dict)
    tried: dict[str, datetime] = field(default_factory=dict)  # last launch per site
    reg: Registry | None = None

    def __post_init__(self):
        self.db = str(self.db)
        self.begun = self.clock()
        self.reg_mtime = None
        self.last_delivery = self.begun
        self.reload()

    # -- the registry ----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the registry again when it changed; a broken edit keeps the last good one."""
        path = Path(self.registry)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError as exc:
            if self.reg is None:
                raise RegistryError(f"no registry at {path}") from exc
            return
        if mtime == self.reg_mtime:
            return
        try:
            reg = Registry.load(path)
        except Exception as exc:  # a bad edit must not stop months of crawls
            if self.reg is None:
                raise
            self.log(f"{stamp(self.clock())}  registry  not reloaded: {exc}")
            self.reg_mtime = mtime
            return
        if self.reg is not None:
            self.log(f"{stamp(self.clock())}  registry  reloaded: {len(reg.sites)} sites")
        self.reg, self.reg_mtime = reg, mtime
        self.cadences = {k: parse_cadence(site.schedule) for k, site in reg.sites.items()}

    def cadence(self, key: str) -> Cadence:
        return self.cadences[key]

    # -- when ------------------------------------------------------------------------------

    def last_starts(self) -> dict[str, datetime]:
        """Each site's last finished run (one interrupted, or stopped by a shutdown before it
        was through, is tried again)."""
        if not Path(self.db).exists():
            return {}
        conn = connect(self.db, readonly=True)
        try:
            return {
                site: utc(at)
                for site, at in conn.execute(
                    "SELECT site, max(started) FROM runs WHERE finished IS NOT NULL"
                    " AND status != 'interrupted' GROUP BY site"
                )
            }
        finally:
            conn.close()

    def due_times(self) -> dict[str, datetime]:
        last = self.last_starts()
        out = {}
        for key, site in self.reg.sites.items():
            if not site.listings:
                continue
            cad = self.cadence(key)
            due = cad.due(key, last.get(key), self.begun)
            tried = self.tried.get(key)
            if tried is not None and (key not in last or tried > last[key]):
                due = max(due, tried + min(RETRY, cad.period))
            out[key] = due
        return out

    # -- the loop --------------------------------------------------------------------------

    def tick(self) -> float:
        """Reap finished crawls, start the due ones; seconds until the next thing to do."""
        self.reload()
        for key in list(self.jobs):
            self._reap(key)
        now = self.clock()
        due = self.due_times()
        for key, when in sorted(due.items(), key=lambda kv: kv[1]):
            if when > now or key in self.jobs:
                continue
            if len(self.jobs) >= self.max_parallel:
                break
            if self._site_busy(key):
                self.tried[key] = now
                self.log(f"{stamp(now)}  busy   {key}: crawled by another process; retry later")
                continue
            self._start(key, now)
        if self.deliver is not None and now - self.last_delivery >= DELIVER_EVERY:
            self.last_delivery = now
            line = self.deliver()
            if line:
                self.log(f"{stamp(now)}  deliver  {line}")
        if len(self.jobs) >= self.max_parallel:
            return TICK_MAX_S  # run_forever wakes up when a crawl ends
        waits = [(w - now).total_seconds() for k, w in due.items() if k not in self.jobs]
        return max(0.5, min([TICK_MAX_S, *waits]))

    def _site_busy(self, key: str) -> bool:
        try:
            with site_lock(self.db, key):
                return False
        except ArchiveBusy:
            return True

    def _start(self, key: str, now: datetime) -> None:
        self.tried[key] = now
        proc = (self.launch or self._spawn)(key)
        self.jobs[key] = Job(key, proc, now, getattr(proc, "out", None), getattr(proc, "err", None))
        self.log(f"{stamp(now)}  start  {key}")

    def _spawn(self, key: str):
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        cmd = [sys.executable, "-m", "crawler.cli", self.verb, key, "--db", self.db]
        cmd += ["--registry", str(self.registry), "-q", "--json", *self.crawl_args]
        # its own session: a Ctrl-C in the terminal reaches the child once, from stop(), so
        # Scrapy closes the run cleanly (a second signal forces an unclean shutdown; under
        # systemd that needs KillMode=mixed, as the README's unit has)
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True
        )
        proc.out, proc.err = out, err
        return proc

    def _reap(self, key: str) -> None:
        job = self.jobs[key]
        code = job.proc.poll()
        if code is None:
            return
        del self.jobs[key]
        out, err = _read(job.out), _read(job.err)
        took = (self.clock() - job.started).total_seconds()
        now = stamp(self.clock())
        summaries = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
        if code == EXIT_BUSY:
            self.log(f"{now}  busy   {key}: crawled by another process; retry later")
        for s in summaries:
            counts = " · ".join(f"{n} {k}" for k, n in s["counts"].items() if n) or "no events"
            flags = f"  flagged: {', '.join(s['flags'])}" if s["flags"] else ""
            self.log(
                f"{now}  done   {key}  run {s['run']}  {s['status']}  {s['pages']} pages"
                f"  {counts}  ({took:.0f}s){flags}"
            )
        if code not in (0, 3, EXIT_BUSY) or not summaries and code != EXIT_BUSY:
            tail = " | ".join(err.strip().splitlines()[-3:]) or "no output"
            self.log(f"{now}  failed {key}  exit {code}: {tail}")

    def stop(self, wait_s: float = 60) -> None:
        """Ask running crawls to finish (Scrapy closes the run on SIGTERM), then reap them."""
        for job in self.jobs.values():
            job.proc.terminate()
        deadline = time.monotonic() + wait_s
        while self.jobs and time.monotonic() < deadline:
            for key in list(self.jobs):
                self._reap(key)
            time.sleep(0.2)
        for job in self.jobs.values():
            job.proc.kill()

    def run_forever(self) -> None:
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        self.log(
            f"{stamp(self.clock())}  schedule  {len(self.reg.sites)} sites from"
            f" {self.registry}, archive {self.db}, {self.max_parallel} at a time"
        )
        for key, when in sorted(self.due_times().items(), key=lambda kv: kv[1]):
            self.log(f"{stamp(self.clock())}  next   {key} at {stamp(when)}")
        while not stopping:
            wait = self.tick()
            end = time.monotonic() + wait
            while not stopping and time.monotonic() < end:
                time.sleep(min(0.5, max(0.0, end - time.monotonic())))
                if any(j.proc.poll() is not None for j in self.jobs.values()):
                    break
        self.log(f"{stamp(self.clock())}  stop   waiting for {len(self.jobs)} crawls")
        self.stop()


def _read(f) -> str:
    if f is None:
        return ""
    try:
        f.seek(0)
        data = f.read()
        f.close()
    except (OSError, ValueError):
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def schedule_lock(db: str | Path):
    """One scheduler per archive."""
    return named_lock(db, "schedule", f"another `tzgg schedule` runs on {db}")


# -- crontab -----------------------------------------------------------------------------------


def crontab(
    reg: Registry, db: str, tzgg: str, extra: list[str] = (), verb: str = "crawl"
) -> list[str]:
    """Crontab lines equivalent to the schedules (for cron or systemd-timer users)."""
    db = os.path.abspath(db)
    path = os.path.abspath(reg.path)
    lines = [
        "# tzgg: one crawl per site (crontab -e).  The times are Asia/Shanghai: cronie honours",
        "# CRON_TZ; Debian's cron ignores it and uses the machine's time zone.",
        "CRON_TZ=Asia/Shanghai",
    ]
    for key, site in reg.sites.items():
        if not site.listings:
            continue
        when = cron_line(parse_cadence(site.schedule), key)
        cmd = " ".join(
            _cron_quote(a) for a in [verb, key, "--registry", path, "--db", db, "-q", *extra]
        )
        cmd = f"{tzgg} {cmd}"
        if when is None:
            lines.append(f"# {key}: {site.schedule!r} has no cron equivalent; use tzgg schedule")
        else:
            lines.append(f"{when} {cmd}")
    if reg.hooks:
        hooks = f"deliver --registry {_cron_quote(path)} --db {_cron_quote(db)}"
        lines.append(f"*/10 * * * * {tzgg} {hooks}")
    return lines


def _cron_quote(arg: str) -> str:
    """Quoted for the shell, and `%` escaped: cron reads it as a newline."""
    return shlex.quote(arg).replace("%", "\\%")


def cron_line(cad: Cadence, key: str) -> str | None:
    """The five cron fields of a schedule: an interval's grid times (from midnight in
    Asia/Shanghai) moved by the site's offset, as `tzgg schedule` runs them (to the minute);
    a cron line as written (the scheduler adds the site's spread of at most 10 minutes)."""
    if cad.cron is not None:
        return cad.cron
    secs = int(cad.period.total_seconds())
    j = int(cad.offset(key).total_seconds()) // 60  # minutes into the period
    minute, hour = j % 60, j // 60 % 24
    if secs == 86400:
        return f"{minute} {hour} * * *"
    if secs == 7 * 86400:  # the grid's weeks begin on Thursday (1 January 1970)
        return f"{minute} {hour} * * {(4 + j // 1440) % 7}"
    if secs % 3600 == 0 and 24 % (secs // 3600) == 0:
        n = secs // 3600
        return f"{minute} {hour}-23/{n} * * *"
    if secs % 60 == 0 and 60 % (secs // 60) == 0:
        return f"{minute}-59/{secs // 60} * * * *"
    return None
