"""Webhooks: every event a subscriber admits is POSTed to its URL as JSON, at least once.

A hook (crawler/sites/hooks.py, read and checked with the registry) is a URL with an optional
filter (sites, kinds, query words: `archive.storage.eventfilter`, the rule the Atom feed uses).
It receives the events recorded after it was first registered, in event id order, each as the
`tzgg changes --json` object; the `Idempotency-Key` header (the archive's random id, the hook's
and the event's) lets the receiver drop a second copy.  An event is delivered when the receiver
answers 2xx; until then it is pending, and a receiver that fails is left alone for a while
(1 min, doubling each time, at most 6 h) before the same event is sent again: a hook's events
never overtake each other.  Every attempt is recorded in `deliveries`, and an event
acknowledged at a URL is never sent to that URL again, whichever of its hooks sent it.

A hook's identity is a hash of its URL and filters: editing a filter makes a new subscriber.
It takes over where the hooks of its URL that left the registry had got to (their cursors), so
the events still owed to them are judged again under the new filter; a hook with a URL not seen
before starts from the events after its registration rather than the whole history.  Each
hook's cursor moves past every event a call looked at and settled, so a later call reads only
what is newer.  No Scrapy; the network is `urllib.request` (crawler/sites/fetch.py's opener,
without redirects), and every network problem ends up in the table, never as an exception.
The tables (`webhooks`, `deliveries`) are migration 6 in db.py; the archive's id is kept in
`archive_meta`, made when first needed.
"""

from __future__ import annotations

import http.client
import json
import secrets
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from archive.storage.db import META_SQL
from archive.storage.eventfilter import EventFilter
from archive.storage.locks import named_lock
from archive.storage.queries import event_dict
from crawler.schema.times import format_utc, parse_utc
from crawler.schema.urls import mask_url, split_userinfo
from crawler.sites.fetch import http_opener
from crawler.sites.hooks import Hook

FIRST_DELAY_S = 60  # after a call that could not deliver: 1 min, 2, 4 … (doubling)
MAX_DELAY_S = 6 * 3600
_PAGE = 500  # events read at a time
PENDING_SCAN = 1000  # events `pending` looks at per hook; beyond them it says "at least"

Now = Callable[[], datetime]


# -- time ---------------------------------------------------------------------------------------


def _clock(now) -> Now:
    """`now` as a function: None (the real clock), a callable, a datetime or an RFC 3339 str."""
    if now is None:
        return lambda: datetime.now(UTC)
    if callable(now):
        return lambda: _as_datetime(now())
    fixed = _as_datetime(now)
    return lambda: fixed


def _as_datetime(value) -> datetime:
    dt = value if isinstance(value, datetime) else parse_utc(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def retry_delay(rounds: int) -> timedelta:
    """How long a receiver is left alone after its `rounds`-th failed call for one event."""
    return timedelta(seconds=min(FIRST_DELAY_S * 2 ** max(rounds - 1, 0), MAX_DELAY_S))


# -- the archive's id ---------------------------------------------------------------------------


def archive_id(conn: sqlite3.Connection) -> str:
    """The archive's random id (16 hex digits), made the first time it is asked for and kept in
    the table `archive_meta`.  Event ids are the archive's own: two archives sending to one
    receiver keep their Idempotency-Keys apart by it.  (A copy of the file keeps it.)"""
    sql = "SELECT value FROM archive_meta WHERE key = 'archive_id'"
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError:  # no such table: made below
        row = None
    if row is None:
        with conn:
            conn.execute(META_SQL)
            conn.execute(
                "INSERT OR IGNORE INTO archive_meta (key, value) VALUES ('archive_id', ?)",
                (secrets.token_hex(8),),
            )
        row = conn.execute(sql).fetchone()  # another process may have made it first
    return row[0]


# -- registration -------------------------------------------------------------------------------


def register(conn: sqlite3.Connection, hooks: list[Hook], now=None) -> int:
    """Record the hooks not known yet; returns how many were new.  `hooks` is the registry's
    whole list.

    A new hook whose URL belonged to hooks no longer in the list (an edit of the kinds, query or
    sites) starts where the oldest of their cursors was: the events still owed to them are
    judged again under its filter (what its URL acknowledged is not sent again), and those hooks
    are marked `replaced` (in their `config`) so that a later edit does not go back to them.
    Any other new hook gets the events after this moment."""
    archive_id(conn)
    known = _webhooks(conn)
    unmasked = any(mask_url(r["url"]) != r["url"] for r in known.values())
    if not unmasked and all(_known(known, hook) for hook in hooks):
        return 0  # the usual case: nothing to write, no write lock taken
    at = format_utc(_clock(now)())
    if not conn.in_transaction:  # read and write under the write lock: a crawl and a
        conn.execute("BEGIN IMMEDIATE")  # `tzgg deliver` may register at the same time
    with conn:
        top = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        _mask_stored(conn)
        known = _webhooks(conn)
        live = {hook.identity for hook in hooks}
        old = [r for r in known.values() if r["identity"] not in live and not _replaced(r)]
        added, handed = 0, set()
        for hook in hooks:
            row = known.get(hook.identity)
            if _known(known, hook):
                continue
            before = [r for r in old if r["url"] == hook.url]
            start = min([max(r["first_event"], r["cursor"]) for r in before] + [top])
            handed.update(r["id"] for r in before)
            config = json.dumps(hook.config, ensure_ascii=False)
            if row is None:
                conn.execute(
                    "INSERT INTO webhooks (identity, url, config, first_event, cursor, created)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (hook.identity, hook.url, config, start, start, at),
                )
            else:  # a replaced hook back in the registry: as if new
                conn.execute(
                    "UPDATE webhooks SET config = ?, first_event = ?, cursor = ? WHERE id = ?",
                    (config, start, start, row["id"]),
                )
            added += 1
        for r in old:
            if r["id"] in handed:
                config = {**json.loads(r["config"]), "replaced": at}
                conn.execute(
                    "UPDATE webhooks SET config = ? WHERE id = ?",
                    (json.dumps(config, ensure_ascii=False), r["id"]),
                )
    return added


def _mask_stored(conn: sqlite3.Connection) -> None:
    """Mask the passwords of hooks recorded before tzgg masked them (never delivered: their
    URL did not resolve); a hook of the same URL then takes over where they were."""
    for r in conn.execute("SELECT id, url, config FROM webhooks").fetchall():
        url = mask_url(r["url"])
        if url != r["url"]:
            config = {**json.loads(r["config"]), "url": url}
            conn.execute(
                "UPDATE webhooks SET url = ?, config = ? WHERE id = ?",
                (url, json.dumps(config, ensure_ascii=False), r["id"]),
            )
            password = split_userinfo(r["url"])[0].partition(":")[2]
            if password:  # "InvalidURL: nonnumeric port: 'password@host'"
                conn.execute(
                    "UPDATE deliveries SET error = replace(error, ?, '***') WHERE webhook_id = ?",
                    (password, r["id"]),
                )


def _webhooks(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    sql = "SELECT id, identity, url, config, first_event, cursor FROM webhooks"
    return {r["identity"]: r for r in conn.execute(sql)}


def _known(known: dict[str, sqlite3.Row], hook: Hook) -> bool:
    """Whether the hook has its row, and it has not been replaced since."""
    row = known.get(hook.identity)
    return row is not None and not _replaced(row)


def _replaced(row: sqlite3.Row) -> bool:
    return bool(json.loads(row["config"]).get("replaced"))


def _webhook_row(conn: sqlite3.Connection, hook: Hook) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT id, first_event, cursor FROM webhooks WHERE identity = ?", (hook.identity,)
    ).fetchone()


# -- which events are owed ----------------------------------------------------------------------


@dataclass
class _Owed:
    row: sqlite3.Row
    state: sqlite3.Row | None  # its deliveries row, when tried before


class _Top(int):
    """The last item of a scan: every event up to this id was looked at."""


def _owed(
    conn: sqlite3.Connection, hook: Hook, wid: int, start: int, memo: dict
) -> Iterator[int | _Owed]:
    """The events after `start` the hook admits and its URL has not acknowledged, in id order;
    in between, the ids of the events the hook admits not or its URL acknowledged (settled for
    it); last, a `_Top`: the newest event when the scan began, every event up to which has been
    yielded or is not admitted (a site or kind the SQL left out).  `memo`: EventFilter.admits'."""
    top = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    if top <= start:
        return
    where, args = ["id > ?", "id <= ?"], [start, top]
    if hook.sites:
        where.append(f"site IN ({','.join('?' * len(hook.sites))})")
        args += hook.sites
    if hook.kinds:
        where.append(f"kind IN ({','.join('?' * len(hook.kinds))})")
        args += hook.kinds
    sql = f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY id LIMIT {_PAGE}"
    # the URL's hooks: an event one of them got acknowledged is not sent to it again
    ids = [r[0] for r in conn.execute("SELECT id FROM webhooks WHERE url = ?", (hook.url,))]
    tried = (
        f"SELECT * FROM deliveries WHERE webhook_id IN ({','.join('?' * len(ids))})"
        " AND event_id BETWEEN ? AND ?"
    )
    states: dict[int, sqlite3.Row] = {}
    done: set[int] = set()
    wanted = EventFilter(sites=hook.sites, kinds=hook.kinds, query=hook.query)
    while True:
        rows = conn.execute(sql, args).fetchall()  # whole pages: no statement left open
        if rows:
            states, done = {}, set()
            for d in conn.execute(tried, (*ids, rows[0]["id"], rows[-1]["id"])):
                if d["webhook_id"] == wid:
                    states[d["event_id"]] = d
                if d["delivered"]:
                    done.add(d["event_id"])
        for row in rows:
            if row["id"] in done or not wanted.admits(conn, row, memo):
                yield row["id"]
            else:
                yield _Owed(row, states.get(row["id"]))
        if len(rows) < _PAGE:
            yield _Top(top)
            return
        args[0] = rows[-1]["id"]


def pending(
    conn: sqlite3.Connection, hooks: list[Hook], memos: dict[str, dict] | None = None
) -> list[dict]:
    """Per hook: how many events are owed to it, and when and why the first is waiting.  It
    looks at `PENDING_SCAN` events after the hook's cursor at most: beyond them, `pending` is
    what it counted and `pending_at_least` is true."""
    out = []
    for hook in hooks:
        info = {"url": hook.url, "identity": hook.identity, "pending": 0}
        info.update(pending_at_least=False, next_try=None, error=None, attempts=0)
        wid = _webhook_row(conn, hook)
        if wid is not None:
            start = max(wid["first_event"], wid["cursor"])
            memo = memos.setdefault(hook.identity, {}) if memos is not None else {}
            looked = 0
            for item in _owed(conn, hook, wid["id"], start, memo):
                if isinstance(item, _Top):
                    break
                if looked == PENDING_SCAN:
                    info["pending_at_least"] = True
                    break
                looked += 1
                if isinstance(item, _Owed):
                    if not info["pending"] and item.state is not None:
                        info.update(
                            next_try=item.state["next_try"],
                            error=item.state["error"],
                            attempts=item.state["attempts"],
                        )
                    info["pending"] += 1
        out.append(info)
    return out


# -- sending ------------------------------------------------------------------------------------


# http(s) only, as every fetch of tzgg; a POST is never followed to another address (a 3xx
# is an HTTPError): a moved receiver is an error to fix.
_OPENER = http_opener(redirects=False)


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str | None]:
    """(HTTP status or None, None when acknowledged or else the failure in one line)."""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            resp.read(65536)
            return resp.status, None
    except urllib.error.HTTPError as exc:
        with exc:
            if 300 <= exc.code < 400:
                where = _clean(exc.headers.get("Location") or "", 200) if exc.headers else ""
                where = where or "(no Location)"
                return exc.code, f"HTTP {exc.code} redirect to {where} (not followed for a POST)"
            try:
                said = exc.read(400).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                said = ""
            return exc.code, http_error(exc.code, exc.reason, said)
    except urllib.error.URLError as exc:
        return None, _clean(f"cannot connect: {exc.reason}", 300)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, _clean(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, 300)


def http_error(status: int, reason, said: str = "") -> str:
    """`HTTP 500 Internal Server Error`, then what the receiver's body said, if anything, cut
    short and quoted: `HTTP 500 Internal Server Error; the receiver said "…"`."""
    out = f"HTTP {status} {_clean(str(reason or ''), 60)}".rstrip()
    said = _clean(said, 100)
    return f"{out}; the receiver said {json.dumps(said, ensure_ascii=False)}" if said else out


def _clean(text: str, limit: int) -> str:
    """One line of printable text, at most `limit` characters (… when cut)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Call:
    """One `deliver` call: its clock, budget and transport."""

    now: Now
    deadline: float
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    send: Callable[..., tuple[int | None, str | None]]
    attempts: int
    backoff: tuple[float, ...]
    timeout: float
    force: bool
    out_of_time: bool = False

    def left(self) -> float:
        return self.deadline - self.monotonic()


def deliver(
    conn: sqlite3.Connection,
    hooks: list[Hook],
    *,
    now=None,
    force: bool = False,
    budget_s: float = 60,
    attempts_now: int = 3,
    backoff: tuple[float, ...] = (1, 2),
    timeout: float = 10,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    send: Callable[..., tuple[int | None, str | None]] = post,
) -> dict:
    """Send each hook the events it is owed, oldest first, and record every attempt.

    An event is tried `attempts_now` times, `backoff` seconds apart; when it still fails, it
    waits `retry_delay` (1 min, doubling, at most 6 h) and the hook is left alone for this call
    — its later events wait behind it — while the other hooks go on.  A later call sends only
    what is due (`force` ignores the wait).  The whole call stops after `budget_s`; what it
    did not reach stays pending.  Network problems never raise."""
    call = _Call(
        now=_clock(now),
        deadline=monotonic() + budget_s,
        monotonic=monotonic,
        sleep=sleep,
        send=send,
        attempts=max(attempts_now, 1),
        backoff=tuple(backoff),
        timeout=timeout,
        force=force,
    )
    register(conn, hooks, call.now)
    archive = archive_id(conn)
    sent, memos = {}, {}
    for hook in hooks:
        memo = memos.setdefault(hook.identity, {})
        sent[hook.identity] = (
            0 if call.out_of_time else _deliver_hook(conn, hook, call, archive, memo)
        )
    report = {"hooks": [], "sent": 0, "pending": 0, "pending_at_least": False}
    report["out_of_time"] = call.out_of_time
    for info in pending(conn, hooks, memos):
        info["sent"] = sent[info["identity"]]
        report["hooks"].append(info)
        report["sent"] += info["sent"]
        report["pending"] += info["pending"]
        report["pending_at_least"] |= info["pending_at_least"]
    return report


def _deliver_hook(
    conn: sqlite3.Connection, hook: Hook, call: _Call, archive: str, memo: dict
) -> int:
    """Send one hook what it is owed and is due, oldest first, until one fails or the call is
    out of time; then move its cursor past everything settled so far (sent, or not for it)."""
    wid = _webhook_row(conn, hook)
    start = max(wid["first_event"], wid["cursor"])
    settled, sent = start, 0
    for item in _owed(conn, hook, wid["id"], start, memo):
        if isinstance(item, _Owed):
            if call.left() <= 0:
                call.out_of_time = True
                break
            state = item.state
            if state is not None and state["next_try"] and not call.force:
                if state["next_try"] > format_utc(call.now()):
                    break  # the receiver failed lately: leave it alone until then
            if not _send_one(conn, hook, wid["id"], item.row, call, archive):
                break
            sent += 1
            settled = item.row["id"]
        else:
            settled = int(item)
            if not isinstance(item, _Top) and call.left() <= 0:  # a long scan of unwanted events
                call.out_of_time = True
                break
    if settled > wid["cursor"]:
        with conn:
            conn.execute("UPDATE webhooks SET cursor = ? WHERE id = ?", (settled, wid["id"]))
    return sent


def _send_one(
    conn: sqlite3.Connection, hook: Hook, wid: int, row: sqlite3.Row, call: _Call, archive: str
) -> bool:
    """Try one event up to `call.attempts` times; True when the receiver acknowledged it."""
    body, headers = hook.request(event_dict(row), archive)
    tried = 0
    unsigned = hook.missing_secret()  # never POSTed unsigned: held, and said why
    for i in range(1 if unsigned else call.attempts):
        left = call.left()
        if left <= 0:
            call.out_of_time = True
            break
        at = format_utc(call.now())
        status, error = (
            (None, unsigned)
            if unsigned
            else call.send(hook.target, body, headers, timeout=max(min(call.timeout, left), 0.1))
        )
        error = hook.scrub(error)
        tried += 1
        ok = error is None and status is not None and 200 <= status < 300
        with conn:
            conn.execute(
                "INSERT INTO deliveries (webhook_id, event_id, attempts, first_try, last_try,"
                " delivered, status, error) VALUES (?, ?, 1, ?, ?, ?, ?, ?)"
                " ON CONFLICT (webhook_id, event_id) DO UPDATE SET attempts = attempts + 1,"
                " last_try = excluded.last_try, delivered = excluded.delivered,"
                " status = excluded.status, error = excluded.error,"
                " next_try = CASE WHEN excluded.delivered IS NULL THEN next_try END",
                (wid, row["id"], at, at, at if ok else None, status, None if ok else error),
            )
        if ok:
            return True
        if i + 1 < call.attempts:
            pause = call.backoff[min(i, len(call.backoff) - 1)] if call.backoff else 0
            if pause >= call.left():
                call.out_of_time = True
                break
            call.sleep(pause)
    if tried:
        rounds = _state(conn, wid, row["id"])["rounds"] + 1  # the row exists: it was tried
        with conn:
            conn.execute(
                "UPDATE deliveries SET rounds = ?, next_try = ? WHERE webhook_id = ? AND event_id = ?",
                (rounds, format_utc(call.now() + retry_delay(rounds)), wid, row["id"]),
            )
    return False


def _state(conn: sqlite3.Connection, wid: int, event_id: int) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM deliveries WHERE webhook_id = ? AND event_id = ?", (wid, event_id)
    ).fetchone()


# -- one delivery at a time per archive ---------------------------------------------------------


@contextmanager
def delivery_lock(db, wait: float):
    """Held while delivering from the archive at `db`: a crawl ending while `tzgg deliver`
    runs waits for it (up to `wait` s) rather than sending the same events twice.
    Raises ArchiveBusy when it cannot be had."""
    with named_lock(db, "deliver", f"another process is delivering webhooks from {db}", wait):
        yield
