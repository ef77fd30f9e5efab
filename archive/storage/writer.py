"""The one way records reach the archive: a crawl's pipeline and `tzgg ingest` (the single
writer of a distributed crawl) both hand records to an `ArchiveWriter`, in batches of
`TZGG_WRITE_BATCH` records, one transaction each.  A crawl feeds it on the reactor's thread,
or with `TZGG_WRITE_THREAD` on a thread of its own (`WriterThread`), so the reactor goes on while
SQLite works (at more CPU: every SQLite call hands Python's lock back and forth).  No Scrapy
here."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future

from archive.storage.store import Archive
from crawler.schema.records import to_record

logger = logging.getLogger(__name__)


def as_record(item) -> dict:
    """A spider's item as the plain dict the archive ingests (and a queue can carry)."""
    return item if isinstance(item, dict) else to_record(item)


class ArchiveWriter:
    def __init__(self, db: str, settings, *, progress: bool = False, extract=None):
        """`settings`: anything with Scrapy's `get`/`getint`/`getbool` (the crawl's);
        `extract`: the registry's page extractor (a crawl plan's), to re-derive stored pages."""
        s = settings
        self.archive = Archive(  # creates or migrates the archive first, before any lock
            db,
            keep_all_bodies=s.getbool("TZGG_KEEP_ALL_BODIES"),
            removal_confirmations=s.getint("TZGG_REMOVAL_CONFIRMATIONS"),
            hold_min_revisits=s.getint("TZGG_HOLD_MIN_REVISITS"),
            batch=s.getint("TZGG_WRITE_BATCH"),
            extract=extract,
        )
        self.batch = self.archive.batch
        self.progress = progress
        self.runs: dict[str, int] = {}
        self.errors: Counter = Counter()
        self.tally: Counter = Counter()
        self.last_progress = 0.0
        self.pending: list = []  # records (or items) written at the next flush

    def begin(self, site_of: dict[str, str], adopt: dict, about: dict | None = None) -> None:
        """Open a run for each site (listing URL -> site), adopting what its entry names and
        recording what it says of the site (`about`: site -> {"name", "region"})."""
        for site in sorted(set(site_of.values())):
            if adopt.get(site):
                self.archive.adopt_site(site, adopt[site])
            if site in (about or {}):
                self.archive.describe_site(site, **about[site])
            urls = [u for u, s in site_of.items() if s == site]
            self.runs[site] = self.archive.begin_run(site, urls)

    def write(self, record) -> None:
        """Take a record (or a spider's item); a full batch is written at once."""
        self.pending.append(record)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Write and commit the records taken so far, in one transaction."""
        batch, self.pending = self.pending, []
        if batch:
            self.write_batch(batch)

    def write_batch(self, batch: list) -> None:
        """Store the records in one transaction.  One that cannot be stored is logged and
        counted against its site's run; the others are stored all the same."""
        items, records = [], []
        for record in batch:
            try:
                record = as_record(record)
                items.append((record, self.runs[record["site"]]))
                records.append(record)
            except Exception as exc:
                self._failed(record, exc)
        try:
            results = self.archive.ingest_batch(items)
        except Exception as exc:  # the commit failed (disk full, I/O error): none is stored
            results = [exc] * len(items)
        for record, result in zip(records, results, strict=True):
            if isinstance(result, Exception):
                self._failed(record, result)
                continue
            if record["type"] == "fetch":
                self.tally["pages"] += 1
            for e in result:
                self.tally[e["kind"]] += 1
        if self.progress and time.monotonic() - self.last_progress > 2:
            self.last_progress = time.monotonic()
            shown = " · ".join(f"{n} {k}" for k, n in self.tally.items())
            print(f"\r[tzgg] {shown}", end="", file=sys.stderr, flush=True)

    def _failed(self, record, exc: Exception) -> None:
        """The record is not stored; the run says so."""
        get = record.get if isinstance(record, dict) else lambda k: getattr(record, k, None)
        self.errors[get("site")] += 1
        logger.error(
            "could not store %s: %s: %s",
            get("url") or get("listing_url"),
            type(exc).__name__,
            exc,
        )

    def finish(self, stopped: bool = False) -> list[dict]:
        """Write what is left, close every run (cut short when `stopped`) and the archive;
        the runs' summaries."""
        try:
            self.flush()
            return [
                self.archive.finish_run(run, errors=self.errors[site], stopped=stopped)
                for site, run in self.runs.items()
            ]
        finally:
            self.archive.close()
            if self.progress and self.last_progress:
                print(file=sys.stderr)


def record_size(item) -> int:
    """About the bytes a queued record holds: its bodies'."""
    get = item.get if isinstance(item, dict) else lambda k: getattr(item, k, None)
    n = len(get("body") or b"")
    for f in get("files") or []:
        n += len((f.get("body") if isinstance(f, dict) else getattr(f, "body", None)) or b"")
    for part in get("parts") or []:
        n += len(part[1] or b"")
    return n + 1024


class WriterThread:
    """An `ArchiveWriter` on a thread of its own, fed through a bounded queue: it commits a
    batch when it is full or `seconds` after the batch's first record, whichever comes first.

    The thread opens the archive (`open_writer`), writes, and finishes the runs: the SQLite
    connection never changes threads.  `offer` refuses a record while the records taken and
    not yet committed reach `max_records` (two batches by default) or `max_bytes`; `notify`
    (called on the thread) says there may be room again, or a `call` is done."""

    def __init__(
        self,
        open_writer: Callable[[], ArchiveWriter],
        *,
        seconds: float = 0.5,
        max_records: int = 0,
        max_bytes: int = 64 << 20,
        notify: Callable[[], None] = lambda: None,
    ):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.notify = notify
        self.cond = threading.Condition()
        self.queue: deque = deque()
        self.records = self.bytes = 0  # taken and not yet committed
        self.queued = self.controls = 0  # records and calls in the queue
        self.failure: BaseException | None = None
        self.writer: ArchiveWriter | None = None
        opened: Future = Future()
        self.thread = threading.Thread(
            target=self._run, args=(open_writer, opened), name="tzgg-writer", daemon=True
        )
        self.thread.start()
        opened.result()  # the archive's errors as ArchiveWriter raises them
        self.max_records = max_records or 2 * self.writer.batch

    def offer(self, item) -> bool:
        """Queue a record (or a spider's item) unless the queue is full."""
        size = record_size(item)
        with self.cond:
            self._check()
            if self.records and (
                self.records >= self.max_records or self.bytes + size > self.max_bytes
            ):
                return False
            self.records += 1
            self.bytes += size
            self.queued += 1
            self.queue.append(("record", item, size, time.monotonic()))
            # wake the thread for a batch's first record (its clock starts) and a full batch,
            # not for every record
            if self.queued in (1, self.writer.batch):
                self.cond.notify()
        return True

    def call(self, fn: Callable[[ArchiveWriter], object]) -> Future:
        """Run fn(writer) on the thread once every record queued before is committed."""
        future: Future = Future()
        self._control(("call", fn, future, 0.0))
        return future

    def finish(self, stopped: bool = False) -> list[dict]:
        """Write what is queued, finish the runs and close the archive; ends the thread."""
        future = self.call(lambda w: w.finish(stopped))
        self._control(("stop", None, None, 0.0))
        try:
            return future.result()
        finally:
            self.thread.join()

    def _control(self, entry: tuple) -> None:
        with self.cond:
            self._check()
            self.controls += 1
            self.queue.append(entry)
            self.cond.notify()

    def _check(self) -> None:
        if self.failure is not None or not self.thread.is_alive():
            raise RuntimeError(f"the archive writer has stopped: {self.failure!r}")

    def _run(self, open_writer, opened: Future) -> None:
        try:
            self.writer = open_writer()
        except BaseException as exc:
            opened.set_exception(exc)
            return
        opened.set_result(None)
        try:
            self._loop()
        except BaseException as exc:  # a bug: fail what waits, never hang the crawl
            with self.cond:
                self.failure = exc
                left, self.queue = self.queue, deque()
            for kind, _, future, _ in left:
                if kind == "call":
                    future.set_exception(exc)
            self.notify()
            raise

    def _loop(self) -> None:
        size_of_batch = self.writer.batch
        while True:
            batch, size, entry = [], 0, None
            with self.cond:
                while not self.controls and self.queued < size_of_batch:
                    if not self.queued:
                        self.cond.wait()
                        continue
                    left = self.queue[0][3] + self.seconds - time.monotonic()
                    if left <= 0:
                        break
                    self.cond.wait(left)
                while self.queue and self.queue[0][0] == "record" and len(batch) < size_of_batch:
                    _, item, n, _ = self.queue.popleft()
                    batch.append(item)
                    size += n
                self.queued -= len(batch)
                if not batch and self.queue:
                    entry = self.queue.popleft()
                    self.controls -= 1
            if batch:
                self._write(batch, size)
            if entry is None:
                continue
            kind, fn, future, _ = entry
            if kind == "stop":
                return
            try:
                future.set_result(fn(self.writer))
            except BaseException as exc:
                future.set_exception(exc)
            self.notify()

    def _write(self, batch: list, size: int) -> None:
        try:
            self.writer.write_batch(batch)
        except Exception as exc:  # not a record's own error: none of them is stored
            for record in batch:
                self.writer._failed(record, exc)
        with self.cond:
            self.records -= len(batch)
            self.bytes -= size
        self.notify()
