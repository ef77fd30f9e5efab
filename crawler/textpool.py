"""Attachment text, read in a worker process: a hostile file costs the worker, never the crawl.

The parsers (pypdf, lxml) are Python code holding the GIL, and a small file can unpack into
gigabytes, so they run in one worker process with an address-space limit (RLIMIT_AS, set when
it starts) and, per file, a time limit (an alarm in the worker, a CPU limit behind it, and a
wait with a timeout here).  A worker killed by a limit is replaced; its file gets no text and a
reason, one word: `too_costly` (memory, or killed) or `timeout` (`no_worker`: none could be
started, no fault of the file's).

    pool = TextPool()
    future = pool.submit(body, url, content_type, name)   # concurrent.futures.Future
    text, error = future.result()                         # never raises
    pool.close()

One file at a time, by one worker: a worker that dies names its file exactly (with more, every
file in flight would fail with it).  No Scrapy here: the crawl awaits the future in its reactor
(spiders.attachments.FileTextMiddleware); a one-off command may wait on it.  The worker is
spawned (a fresh interpreter, never a fork of the reactor's threads), which imports the main
module again: a script using the pool keeps its work under `if __name__ == "__main__":`."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from crawler.parse.files import text as attachment_text
from crawler.parse.files.text import file_kind

logger = logging.getLogger(__name__)

MEMORY_MB = 768  # address space of the worker (the interpreter and its libraries take ~60)
SECONDS = attachment_text.MAX_SECONDS  # per file, wall-clock, in the worker
CPU_GRACE = 5  # CPU seconds past SECONDS before the kernel kills a worker the alarm missed
RECYCLE_MB = 256  # a worker whose peak memory passed this is replaced: what a parser kept is
# given back.  (A count of files replaced it every 200 files, each time paying a fresh
# interpreter's start, about a quarter of a CPU second, whether it had grown or not.)


def _start_worker(memory: int) -> None:
    """The worker's initializer: its memory limit, no core file when a limit kills it, Ctrl-C
    and SIGTERM left to the crawl (a file cut short by them would be marked unreadable), and
    an end of its own when the crawl is gone (killed -9: a pool's worker would wait for work
    for ever, holding the crawl's stderr open)."""
    for sig in (signal.SIGINT, signal.SIGTERM):  # the crawl stops; it stops its worker
        signal.signal(sig, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent) -> None:
    parent.join()
    os._exit(0)


def _work(body: bytes, url: str, content_type: str | None, name: str, seconds: float):
    """One file, in the worker: its CPU limit from now, then the pure extraction."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + seconds + CPU_GRACE) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    got = attachment_text.extract_text(body, url, content_type, name, seconds=seconds)
    return got, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10  # KiB -> MiB


class TextPool:
    def __init__(
        self, memory_mb: int = MEMORY_MB, seconds: float = SECONDS, recycle_mb: int = RECYCLE_MB
    ):
        self.memory = memory_mb << 20
        self.recycle_mb = min(recycle_mb, memory_mb // 2)
        self.seconds = seconds
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._pid: int | None = None  # the worker's
        self._lock = threading.Lock()
        self._closed = False

    def submit(
        self, body: bytes, url: str = "", content_type: str | None = None, name: str = ""
    ) -> Future:
        """A future of (text, error), as attachment_text.extract_text gives; it never fails.
        A format whose text is not read is answered at once, without a worker."""
        future: Future = Future()
        if file_kind(body or b"", url, content_type, name) is None:
            future.set_result((None, None))
            return future
        with self._lock:
            if self._closed:
                future.set_result((None, "stopped"))
                return future
            self._serving()
            self._jobs.put((future, (body, url, content_type, name)))
        return future

    def start(self) -> None:
        """Start the worker now, in the background: the first file need not wait for it."""
        with self._lock:
            if not self._closed and self._thread is None:
                self._serving()
                self._jobs.put((None, None))

    def _serving(self) -> None:
        if self._thread is None:  # lazily: a crawl without such files starts no process
            self._thread = threading.Thread(target=self._serve, name="tzgg-text", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the worker; files still queued get (None, 'stopped')."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._jobs.put(None)
        if thread is not None:
            thread.join()
        self._drop(kill=False)

    # -- the dispatcher thread: waits on the worker without holding the GIL -----------------

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            future, args = job
            if future is None:  # start()
                self._started()
            elif future.set_running_or_notify_cancel():
                future.set_result(self._one(args))
        while True:  # what came after close()
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and job[0].set_running_or_notify_cancel():
                job[0].set_result((None, "stopped"))

    def _one(self, args) -> tuple[str | None, str | None]:
        try:
            executor = self._worker()
        except Exception as exc:  # no process to read it in: no fault of the file's
            self._drop(kill=True)
            logger.error("attachment text: no worker process: %s: %s", type(exc).__name__, exc)
            return None, "no_worker"
        try:
            running = executor.submit(_work, *args, self.seconds)
            # the worker's alarm answers at `seconds`, its CPU limit kills it soon after:
            # this wait is for a worker starved of CPU (a loaded machine)
            result, peak_mb = running.result(timeout=self.seconds * 3 + CPU_GRACE + 10)
        except FutureTimeout:
            self._drop(kill=True)
            return self._failed(args, "timeout")
        except BrokenProcessPool:  # killed by its limits (memory, CPU) or crashed
            self._drop(kill=False)
            return self._failed(args, "too_costly")
        except MemoryError:  # the result itself, built or unpickled past the limit
            self._drop(kill=False)
            return self._failed(args, "too_costly")
        except Exception as exc:  # a result that could not be sent back
            self._drop(kill=True)
            logger.error("attachment text: %s: %s", type(exc).__name__, exc)
            return self._failed(args, "unreadable")
        if peak_mb >= self.recycle_mb:
            self._drop(kill=False)
        return result

    def _started(self) -> None:
        try:
            self._worker()
        except Exception:  # told with the first file, which tries again
            self._drop(kill=True)

    def _failed(self, args, why: str) -> tuple[None, str]:
        logger.warning("attachment text not read (%s): %s", why, args[1])
        return None, why

    def _worker(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn: a fresh interpreter, never a fork of the crawl's threads and reactor
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.memory,),
            )
            self._pid = self._executor.submit(os.getpid).result(timeout=60)
        return self._executor

    def _drop(self, kill: bool) -> None:
        """Let the worker go (a new one starts with the next file); `kill`: one that does not
        answer, still our child (so its pid is not another's)."""
        executor, pid, self._executor, self._pid = self._executor, self._pid, None, None
        if executor is None:
            return
        if kill and pid and pid in {p.pid for p in multiprocessing.active_children()}:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        executor.shutdown(wait=not kill, cancel_futures=True)
