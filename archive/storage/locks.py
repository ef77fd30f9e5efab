"""Locks beside the archive: an `flock` on a file next to it, which a killed (even `kill -9`-ed)
process cannot leave held, since closing the file releases it.  One helper for every lock tzgg
takes: the archive's (shared by crawls, exclusive for a migration), each site's (one crawl of a
site at a time), `tzgg deliver`'s and `tzgg schedule`'s (`named_lock`), the registry's while
`tzgg sites` edits it, and an export's staging folder (`file_lock`, `held_elsewhere`).

The archive's errors are defined here, at the bottom of storage, because ArchiveBusy is what a
lock says when another process holds it; db.py re-exports both."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_S = 0.1


class ArchiveError(Exception):
    """A problem with the archive file the user can act on (one line)."""


class ArchiveBusy(ArchiveError):
    """Another process holds the lock this operation needs."""


def lock_path(db: str | os.PathLike, name: str) -> Path:
    """`<archive>.<name>.lock`, beside the archive."""
    db = Path(db)
    return db.with_name(f"{db.name}.{name}.lock")


@contextmanager
def file_lock(path: Path, what: str, *, wait: float = 0, shared: bool = False) -> Iterator[None]:
    """Hold an flock on `path` (made if missing), exclusive unless `shared`; waits up to `wait`
    seconds for it, then raises ArchiveBusy(`what`)."""
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ArchiveBusy(what) from None
                time.sleep(POLL_S)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def held_elsewhere(path: Path, *, exclusively: bool = False) -> bool:
    """Whether another process holds the lock at `path` now; with `exclusively`, only an
    exclusive holder counts (a migration, an archive being created), not shared ones (crawls).
    FileNotFoundError when there is no such file: it is not made here."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if exclusively else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def named_lock(db: str | os.PathLike, name: str, what: str, wait: float = 0):
    """The archive's exclusive lock called `name` ("deliver", "schedule")."""
    return file_lock(lock_path(db, name), what, wait=wait)


def archive_lock(db: str | os.PathLike, *, exclusive: bool, wait: float = 0):
    """Shared by every crawl; exclusive for a migration or a re-extraction."""
    what = f"the archive {db} is busy (a crawl or a migration holds it)"
    return file_lock(lock_path(db, "archive"), what, wait=wait, shared=not exclusive)


def site_lock(db: str | os.PathLike, site: str):
    """Held for a whole crawl of one site: a second crawl of the same site is refused."""
    key = hashlib.sha1(site.encode()).hexdigest()[:12]
    what = f"the archive is busy: site {site} is being crawled by another process"
    return file_lock(lock_path(db, f"site-{key}"), what)
