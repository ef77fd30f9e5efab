"""Open the archive: WAL mode, a busy timeout, migrations (under the archive's lock).

The archive is one SQLite file.  Writers (crawls) take a per-site lock file so that two crawls
of one site never interleave; a migration takes the archive-wide lock exclusively.  Locks are
`flock`s (locks.py), so a crashed (even `kill -9`-ed) process cannot leave one stuck.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote_from_bytes

# The archive's errors and its locks (one flock helper) are locks.py's; re-exported here.
from archive.storage.locks import (  # noqa: F401
    ArchiveBusy,
    ArchiveError,
    archive_lock,
    file_lock,
    held_elsewhere,
    lock_path,
    site_lock,
)
from crawler.schema.fields import stored
from crawler.schema.records import NOTICE_FIELDS

BUSY_TIMEOUT_MS = 30_000


SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    listing_urls TEXT NOT NULL DEFAULT '[]',
    pages INTEGER NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}',
    failures TEXT NOT NULL DEFAULT '{}',
    flags TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS bodies (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL              -- zlib-compressed raw response body
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,              -- listing | detail | part | attachment
    url TEXT NOT NULL,               -- as requested
    final_url TEXT,                  -- where it ended, when not `url`
    redirects TEXT,                  -- JSON [[url, status], ...] of the redirects followed
    at TEXT NOT NULL,
    http_version TEXT,
    status INTEGER,
    reason TEXT,
    headers BLOB,                    -- [[name, value], ...] as received (archive.storage.headers.pack)
    request_headers BLOB,            -- [[name, value], ...] as sent (archive.storage.headers.pack)
    body_sha256 TEXT,
    body_stored INTEGER NOT NULL DEFAULT 0,
    decoded_from TEXT,               -- original Content-Encoding, when the body was decompressed
    outcome TEXT NOT NULL,           -- ok | not_modified | removed:<reason> | blocked | transient:<kind> | empty | degraded | moved
                                     -- attachment | attachment_not_modified | attachment_failed:<why>
    notice_id TEXT,
    version INTEGER,
    error TEXT,
    phrase TEXT,                     -- what classified the page (soft 404, block page)
    revisit INTEGER NOT NULL DEFAULT 0  -- the URL was archived before this fetch
);
CREATE INDEX IF NOT EXISTS captures_run ON captures(run_id, outcome);
CREATE INDEX IF NOT EXISTS captures_notice ON captures(notice_id);
CREATE TABLE IF NOT EXISTS notices (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    url TEXT NOT NULL,               -- the first URL it was seen at
    status TEXT NOT NULL DEFAULT 'active',   -- active | removed | delisted
    current_version INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    listed_date TEXT                 -- the date the listing gave
);
CREATE INDEX IF NOT EXISTS notices_site ON notices(site, status);
CREATE TABLE IF NOT EXISTS notice_urls (
    canonical_url TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    notice_id TEXT NOT NULL REFERENCES notices(id),
    site TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    gone INTEGER NOT NULL DEFAULT 0,
    gone_streak INTEGER NOT NULL DEFAULT 0,
    version INTEGER,                 -- the version this URL served when last fetched
    redirects_to TEXT,               -- the canonical URL it redirected to when last fetched
    etag TEXT,
    last_modified TEXT
);
CREATE INDEX IF NOT EXISTS notice_urls_notice ON notice_urls(notice_id);
CREATE INDEX IF NOT EXISTS notice_urls_site ON notice_urls(site);
CREATE TABLE IF NOT EXISTS versions (
    notice_id TEXT NOT NULL REFERENCES notices(id),
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    url TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    title TEXT,
    published TEXT,
    source TEXT,
    doc_number TEXT,
    index_number TEXT,
    written TEXT,
    body TEXT,
    body_html TEXT,
    attachments TEXT NOT NULL DEFAULT '[]',
    breadcrumb TEXT NOT NULL DEFAULT '[]',
    changed TEXT NOT NULL DEFAULT '[]',
    extractor_version TEXT NOT NULL,
    body_sha256 TEXT,
    encoding TEXT,
    PRIMARY KEY (notice_id, version)
);
CREATE INDEX IF NOT EXISTS versions_hash ON versions(hash);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: readers track ids
    notice_id TEXT,
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    run_id INTEGER,
    version INTEGER,
    title TEXT,
    fields TEXT,
    reason TEXT,
    evidence TEXT
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE INDEX IF NOT EXISTS events_notice ON events(notice_id);
CREATE TABLE IF NOT EXISTS listings (     -- what each run's listings showed
    run_id INTEGER NOT NULL,
    canonical_url TEXT NOT NULL,
    walk TEXT NOT NULL,              -- the listing's first page: one walk per listing
    title TEXT,
    date TEXT,
    PRIMARY KEY (run_id, canonical_url)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS listed_on (    -- the last run in which each listing showed a notice
    notice_id TEXT NOT NULL,
    walk TEXT NOT NULL,
    last_run INTEGER NOT NULL,
    PRIMARY KEY (walk, notice_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS walks (
    run_id INTEGER NOT NULL,
    listing_url TEXT NOT NULL,
    complete INTEGER NOT NULL,
    pages INTEGER,
    reason TEXT,
    PRIMARY KEY (run_id, listing_url)
);
"""


# Each step takes the schema from version i to i + 1, in one transaction with the new
# user_version. Version 1 is the whole schema above; later changes append ALTER steps here
# (a new field of Notice that is stored: `ALTER TABLE versions ADD COLUMN name TEXT`, which
# `check_columns` asks for).
MIGRATIONS = [
    SCHEMA,
    # 2: what a watchdog acts on, derived from the body (JSON objects, NULL when not stated)
    "ALTER TABLE versions ADD COLUMN objection_window TEXT;"
    " ALTER TABLE versions ADD COLUMN contact TEXT;"
    # and the continuation pages a multi-page article was joined from: [[url, sha256], ...]
    " ALTER TABLE versions ADD COLUMN parts TEXT",
    # 3: full-text search over every version (archive/storage/search.py), built from what is stored
    lambda conn: _add_search_index(conn),
    # 4: the text of each archived attachment (one row per distinct file, never rewritten: the
    # search index holds it with every version listing the file), and attachment captures by
    # URL (the validators a recrawl sends)
    "CREATE TABLE IF NOT EXISTS attachment_texts (sha256 TEXT PRIMARY KEY, content_type TEXT,"
    " text TEXT, error TEXT);"
    " CREATE INDEX IF NOT EXISTS captures_attachment ON captures(site, url)"
    " WHERE kind = 'attachment'",
    # 5: each redirect a fetch followed, with its status line and headers (packed like
    # `headers`): [[url, status, reason, protocol, headers, at], ...], so a WARC export holds
    # the 3xx answers themselves
    "ALTER TABLE captures ADD COLUMN hops BLOB",
    # 6: webhooks (archive/notify/webhooks.py): each subscriber, and each attempt to POST it an event
    "CREATE TABLE IF NOT EXISTS webhooks ("
    " id INTEGER PRIMARY KEY,"
    " identity TEXT NOT NULL UNIQUE,"  # sha256 of url, kinds, query and sites
    " url TEXT NOT NULL,"
    " config TEXT NOT NULL,"  # JSON {url, kinds, query, sites}: never the secret
    " first_event INTEGER NOT NULL,"  # max(events.id) when registered: it gets later ones
    " cursor INTEGER NOT NULL,"  # every event up to this id is delivered or not for it
    " created TEXT NOT NULL);"
    " CREATE TABLE IF NOT EXISTS deliveries ("
    " webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
    " event_id INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"  # POSTs sent
    " rounds INTEGER NOT NULL DEFAULT 0,"  # calls that ended unacknowledged: the backoff
    " first_try TEXT, last_try TEXT,"
    " next_try TEXT,"  # not sent again before this (NULL: due)
    " delivered TEXT,"  # when a 2xx acknowledged it; NULL while pending
    " status INTEGER,"  # the last HTTP status (NULL: no answer)
    " error TEXT,"  # the last failure, one line
    " PRIMARY KEY (webhook_id, event_id)) WITHOUT ROWID",
    # 7: the title, 文号 and 索引号 of every version indexed again on their own, so relevance
    # finds title matches without ranking every match (archive/storage/ranking.py)
    lambda conn: _add_search_heads(conn),
    # 8: a site's runs and a run's events found through an index: a crawl's bookkeeping at
    # each site's begin and finish read the whole runs and events tables once per site (a
    # 1,000-site crawl spent 8 s of its finish counting events)
    "CREATE INDEX IF NOT EXISTS runs_site ON runs(site, id);"
    " CREATE INDEX IF NOT EXISTS events_run ON events(run_id)",
    # 9: what the registry said of each site when it was last crawled (its name and its
    # 行政区划代码), so that readers (the web UI) need no registry; and the events of a kind
    # newest first (the UI's latest removals and edits)
    "CREATE TABLE IF NOT EXISTS sites (site TEXT PRIMARY KEY, name TEXT, region TEXT,"
    " updated TEXT NOT NULL);"
    " CREATE INDEX IF NOT EXISTS events_kind ON events(kind, id)",
    # 10: the 公示 windows by their closing day (open_objections, the UI's home page), without
    # reading every version; and a notice's events by kind: with events_kind beside it, a
    # lookup of one notice's events of a kind must have an index that takes both (SQLite,
    # with no statistics, chose events_kind and read every event of the kind)
    "CREATE INDEX IF NOT EXISTS versions_window_end"
    " ON versions(substr(json_extract(objection_window, '$.end'), 1, 10))"
    " WHERE objection_window IS NOT NULL;"
    " DROP INDEX IF EXISTS events_notice;"
    " CREATE INDEX events_notice ON events(notice_id, kind, id)",
    # 11: a site's latest events (the UI's site page), without reading other sites' events
    "CREATE INDEX IF NOT EXISTS events_site ON events(site, id)",
    # 12: notices that move (issue 19): the near ties a migration left for a person (`tzgg
    # link`), the groups of one notice reposted by several sites, and the hashes that find a
    # notice's copies (a few of its body's 5-gram hashes, and its 文号's) without reading
    # every site's notices
    "CREATE TABLE IF NOT EXISTS move_ties (old_id TEXT NOT NULL, new_id TEXT NOT NULL,"
    " run_id INTEGER, at TEXT NOT NULL, score REAL, body REAL, title REAL, anchor TEXT,"
    " PRIMARY KEY (old_id, new_id)) WITHOUT ROWID;"
    " CREATE TABLE IF NOT EXISTS copies (notice_id TEXT PRIMARY KEY, grp TEXT NOT NULL,"
    " joined TEXT NOT NULL, run_id INTEGER, how TEXT NOT NULL);"
    " CREATE INDEX IF NOT EXISTS copies_grp ON copies(grp);"
    " CREATE TABLE IF NOT EXISTS sketches (hash INTEGER NOT NULL, notice_id TEXT NOT NULL,"
    " site TEXT NOT NULL, PRIMARY KEY (hash, notice_id)) WITHOUT ROWID",
]


SCHEMA_VERSION = len(MIGRATIONS)


def missing_columns(conn: sqlite3.Connection, specs=NOTICE_FIELDS) -> list[str]:
    """The stored notice fields (crawler/schema/records.py) the versions table has no column
    for, or one of another type: "name TYPE" each."""
    have = {r[1]: (r[2] or "").upper() for r in conn.execute("PRAGMA table_info(versions)")}
    return [f"{s.name} {s.column}" for s in stored(specs) if have.get(s.name) != s.column.upper()]


def check_columns(conn: sqlite3.Connection, path) -> None:
    missing = missing_columns(conn)
    if missing:
        raise ArchiveError(
            f"{path}: the versions table has no column {', '.join(missing)} for the notice's"
            " fields (a migration is missing in archive/storage/db.py)"
        )


def _add_search_index(conn: sqlite3.Connection) -> None:
    from archive.storage.search import INDEX_SQL, reindex_all

    conn.execute(INDEX_SQL)
    reindex_all(conn)


def _add_search_heads(conn: sqlite3.Connection) -> None:
    from archive.storage.search import add_heads

    add_heads(conn)


MIGRATION_WAIT_S = 30
META_SQL = "CREATE TABLE IF NOT EXISTS archive_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
# (archive_meta: small facts about the archive — its id, the hosts adopted by registry keys —
# made when first needed, so older archives need no migration for it)


def sqlite_uri(path: str | os.PathLike, mode: str) -> str:
    """A `file:` URI (open it with uri=True) naming exactly `path`: its `#`, `?` and `%` are
    escaped, so SQLite never reads them as the URI's fragment, query or an escape, and a path
    that starts with `file:` is a path.  `mode`: ro, rw or rwc."""
    absolute = os.fsencode(Path(path).absolute())
    return f"file://{quote_from_bytes(absolute, safe='/')}?mode={mode}"


def connect(path: str | os.PathLike, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (and if needed create or migrate) the archive at `path`."""
    path = Path(path)
    if not path.exists():
        if readonly:
            raise ArchiveError(f"no archive at {path} (run `tzgg crawl` first, or pass --db)")
        if path.parent and not path.parent.exists():
            raise ArchiveError(f"cannot create archive: folder {path.parent} does not exist")
    try:
        uri = sqlite_uri(path, "ro" if readonly else "rwc")
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if readonly and 0 < version < SCHEMA_VERSION and _has_tables(conn):
            # An archive an older tzgg wrote: upgrade it once (a reader needs the new columns).
            conn.close()
            try:
                connect(path).close()
            except (OSError, ArchiveError) as exc:
                if isinstance(exc, ArchiveBusy):
                    raise
                raise ArchiveError(
                    f"{path} was written by an older tzgg (schema {version}) and cannot be"
                    f" upgraded here ({exc}); open it once where it is writable"
                ) from None
            return connect(path, readonly=True)
        if version < SCHEMA_VERSION:
            if readonly:
                if version == 0 and _wait_for_creation(path):
                    conn.close()
                    return connect(path, readonly=True)
                raise ArchiveError(f"{path} is not a tzgg archive (no schema)")
            _migrate(conn, path)
        elif version > SCHEMA_VERSION:
            raise ArchiveError(
                f"{path} was written by a newer tzgg (schema {version}); upgrade tzgg"
            )
        elif not _has_tables(conn):
            raise ArchiveError(f"{path} is an SQLite file but not a tzgg archive")
        check_columns(conn, path)
        if not readonly:
            conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}") from None
    return conn


def _wait_for_creation(path: Path) -> bool:
    """An archive's file appears a moment before its schema commits: a reader then waits for
    its creator (which holds the archive's lock exclusively) as a migration waits for readers.
    True when there was a creator to wait for."""
    lock = lock_path(path, "archive")
    if not lock.exists() or not held_elsewhere(lock, exclusively=True):
        return False
    what = f"the archive {path} is being created or upgraded by another process"
    with file_lock(lock, what, wait=MIGRATION_WAIT_S, shared=True):
        return True


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='notices'"
    ).fetchone()
    return row is not None


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create or upgrade the schema, holding the archive lock exclusively (it waits for
    running crawls up to MIGRATION_WAIT_S, then reports the archive busy)."""
    with archive_lock(path, exclusive=True, wait=MIGRATION_WAIT_S):
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another may have done it
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise ArchiveError(f"{path} is an SQLite file but not a tzgg archive")
        if version == 0:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once, at creation
        for step in range(version, SCHEMA_VERSION):
            migration = MIGRATIONS[step]
            if isinstance(migration, str):
                conn.executescript(f"BEGIN; {migration}; PRAGMA user_version={step + 1}; COMMIT;")
                continue
            level, conn.isolation_level = conn.isolation_level, None
            conn.execute("BEGIN")
            try:
                migration(conn)
                conn.execute(f"PRAGMA user_version={step + 1}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            conn.isolation_level = level
