"""Webhooks: events POSTed to a loopback receiver, at least once, in order, with retries and
backoff on an injected clock; the registry's hooks; `tzgg deliver`; and a real crawl's events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.notify.webhooks import Hook, archive_id, deliver, pending, post, register
from archive.storage.db import connect
from crawler.demo import DistrictSite
from crawler.sites.registry import Registry, RegistryError
from tests.conftest import crawl, events, tzgg
from tests.test_store import SITE, fetch, listed, notice, walk
from tests.test_store import crawl as store_crawl

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Receiver:
    """A loopback HTTP server that records every request and answers as scripted: an HTTP
    status, (status, body: bytes or a function of the request's headers), "drop" (close the
    connection without an answer) or "302"; then 200."""

    def __init__(self, script=(), port: int = 0):
        self.requests: list[dict] = []
        self.script = list(script)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                action = outer.script.pop(0) if outer.script else 200
                if action == "drop":
                    self.close_connection = True
                    return
                action, said = action if isinstance(action, tuple) else (action, b"")
                said = said(self.headers) if callable(said) else said
                self.send_response(int(action))
                if action == 302:
                    self.send_header("Location", "/moved-hook")
                self.send_header("Content-Length", str(len(said)))
                self.end_headers()
                self.wfile.write(said)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self, path: str | None = None) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if path in (None, r["path"])]


@pytest.fixture
def receiver():
    started = []

    def start(script=(), port: int = 0) -> Receiver:
        r = Receiver(script, port)
        started.append(r)
        return r

    yield start
    for r in started:
        r.close()


def closed_port() -> int:
    r = Receiver()
    r.close()
    return r.port


class Clock:
    def __init__(self, at: datetime = T0):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw) -> None:
        self.at += timedelta(**kw)


def at(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def three_notices(db, *, bodies=None, gone=()) -> None:
    """A crawl of three notices (the first: three `new` events, ids 1, 2, 3); those in
    `gone` answer 404."""
    bodies = bodies or {}
    records = [
        fetch(n, status=404)
        if n in gone
        else fetch(n, notice=notice(n, body=bodies[n]))
        if n in bodies
        else fetch(n)
        for n in (1, 2, 3)
    ]
    store_crawl(db, [listed(1, 2, 3), *records, walk()])


def delivery_rows(db) -> list[dict]:
    return [
        dict(r)
        for r in connect(db).execute("SELECT * FROM deliveries ORDER BY webhook_id, event_id")
    ]


def no_sleep(log: list | None = None):
    return log.append if log is not None else lambda s: None


# -- delivery, retries and backoff --------------------------------------------------------------


def test_a_receiver_that_fails_twice_gets_the_same_post_until_it_acknowledges(tmp_path, receiver):
    db = tmp_path / "a.db"
    rx = receiver([500, "drop"])
    hook = Hook(rx.url())
    conn = connect(db)
    register(conn, [hook], now=T0)
    three_notices(db)
    slept: list[float] = []

    report = deliver(conn, [hook], now=T0, sleep=slept.append)

    assert report["sent"] == 3 and report["pending"] == 0 and slept == [1, 2]
    first = rx.requests[:3]
    assert len(rx.requests) == 5
    archive = archive_id(conn)
    assert re.fullmatch("[0-9a-f]{16}", archive)
    assert {r["headers"]["Idempotency-Key"] for r in first} == {
        f"tzgg-{archive}-{hook.identity[:12]}-1"
    }
    assert len({r["body"] for r in first}) == 1
    assert [r["headers"]["X-Tzgg-Event-Id"] for r in rx.requests] == ["1", "1", "1", "2", "3"]
    rows = delivery_rows(db)
    assert [(r["event_id"], r["attempts"], r["status"], r["delivered"]) for r in rows] == [
        (1, 3, 200, at(T0)),
        (2, 1, 200, at(T0)),
        (3, 1, 200, at(T0)),
    ]
    assert rows[0]["error"] is None and rows[0]["next_try"] is None
    # acknowledged: a second call sends nothing
    again = deliver(conn, [hook], now=T0 + timedelta(hours=1), sleep=slept.append)
    assert again["sent"] == 0 and len(rx.requests) == 5
    assert pending(conn, [hook])[0]["pending"] == 0


def test_a_receiver_down_is_left_alone_until_its_next_try_and_blocks_no_other(tmp_path, receiver):
    db = tmp_path / "a.db"
    port = closed_port()
    down, up_rx = Hook(f"http://127.0.0.1:{port}/hook"), receiver()
    up = Hook(up_rx.url())
    conn = connect(db)
    clock = Clock()
    register(conn, [down, up], now=clock)
    three_notices(db)

    r = deliver(conn, [down, up], now=clock, sleep=no_sleep())
    assert [(h["sent"], h["pending"]) for h in r["hooks"]] == [(0, 3), (3, 0)]
    info = r["hooks"][0]
    assert info["next_try"] == at(T0 + timedelta(minutes=1))
    assert "cannot connect" in info["error"] and info["attempts"] == 3
    # only the first event was tried: the others wait behind it
    wid = connect(db).execute("SELECT id FROM webhooks WHERE identity=?", (down.identity,))
    wid = wid.fetchone()[0]
    assert [
        (d["event_id"], d["attempts"]) for d in delivery_rows(db) if d["webhook_id"] == wid
    ] == [(1, 3)]

    clock.advance(seconds=30)  # before the next try: nothing is sent
    r = deliver(conn, [down], now=clock, sleep=pytest.fail)
    assert r["sent"] == 0 and r["pending"] == 3
    assert delivery_rows(db)[0]["attempts"] == 3

    clock.advance(seconds=31)  # due, still down: the wait doubles
    r = deliver(conn, [down], now=clock, sleep=no_sleep())
    assert r["hooks"][0]["next_try"] == at(clock.at + timedelta(minutes=2))
    assert delivery_rows(db)[0]["attempts"] == 6

    rx = receiver(port=port)  # back up, and the clock past the next try
    clock.advance(minutes=2)
    r = deliver(conn, [down], now=clock, sleep=pytest.fail)
    assert r["sent"] == 3 and r["pending"] == 0
    assert [b["id"] for b in rx.bodies()] == [1, 2, 3]  # in order
    rows = [d for d in delivery_rows(db) if d["webhook_id"] == wid]
    assert [(d["attempts"], d["delivered"], d["next_try"]) for d in rows] == [
        (7, at(clock.at), None),
        (1, at(clock.at), None),
        (1, at(clock.at), None),
    ]


def test_the_wait_doubles_up_to_six_hours():
    from archive.notify.webhooks import retry_delay

    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4, 9)] == [1, 2, 4, 8, 256]
    assert retry_delay(10) == retry_delay(50) == timedelta(hours=6)


def test_a_redirect_is_not_followed_and_the_budget_bounds_a_call(tmp_path, receiver):
    db = tmp_path / "a.db"
    rx = receiver([302])
    hook = Hook(rx.url())
    conn = connect(db)
    register(conn, [hook], now=T0)
    three_notices(db)
    r = deliver(conn, [hook], now=T0, attempts_now=1)
    assert [q["path"] for q in rx.requests] == ["/hook"]  # never a POST to /moved-hook
    assert r["hooks"][0]["error"].startswith("HTTP 302 redirect to /moved-hook")
    assert r["pending"] == 3

    r = deliver(conn, [hook], now=T0 + timedelta(hours=1), budget_s=0)
    assert r["out_of_time"] and r["sent"] == 0 and len(rx.requests) == 1


def test_an_error_says_status_and_reason_and_quotes_a_little_of_the_body_apart(receiver):
    noisy = ("busy\r\n\x1b[31m" + "很" * 300).encode()
    rx = receiver([(500, b"ok"), (503, noisy), 404])
    error = 'HTTP 500 Internal Server Error; the receiver said "ok"'  # not "… Error ok"
    assert post(rx.url(), b"{}", {}, 5) == (500, error)
    status, error = post(rx.url(), b"{}", {}, 5)
    assert status == 503 and error.startswith(
        'HTTP 503 Service Unavailable; the receiver said "busy [31m很很'
    )
    assert error.endswith('…"') and len(error) <= 150 and error.isprintable(), error
    assert post(rx.url(), b"{}", {}, 5) == (404, "HTTP 404 Not Found")


PASSWORD = "Zq7%40wX"  # percent-encoded in the URL: the password is "Zq7@wX"


def test_a_user_and_password_in_the_url_are_basic_auth_and_never_stored(tmp_path, receiver):
    import base64

    token = base64.b64encode(b"alice:Zq7@wX").decode()
    # the receiver refuses once, echoing the credential it got (which must not be recorded)
    rx = receiver([(500, lambda headers: f"{headers['Authorization']} Zq7@wX".encode())])
    url = f"http://alice:{PASSWORD}@127.0.0.1:{rx.port}/hook"
    [hook] = Registry.from_dict({"webhooks": [{"url": url}]}).hooks
    assert hook.url == f"http://alice:***@127.0.0.1:{rx.port}/hook" and "Zq7" not in repr(hook)
    assert hook == Hook(f"http://alice:other@127.0.0.1:{rx.port}/hook")  # same subscriber
    db = tmp_path / "a.db"
    conn = connect(db)
    # a hook an older tzgg recorded with its password in the clear (never delivered: the
    # whole netloc was taken for the host) is masked, and the hook takes over from it
    config = json.dumps({"url": url, "kinds": None, "query": None, "sites": None})
    conn.execute(
        "INSERT INTO webhooks (identity, url, config, first_event, cursor, created)"
        " VALUES ('old', ?, ?, 0, 0, '2026-01-01T00:00:00.000Z')",
        (url, config),
    )
    conn.execute(
        "INSERT INTO deliveries (webhook_id, event_id, attempts, error) VALUES (1, 1, 1, ?)",
        (f"InvalidURL: nonnumeric port: '{PASSWORD}@127.0.0.1:{rx.port}'",),
    )
    conn.commit()
    three_notices(db)
    r = deliver(conn, [hook], now=T0, attempts_now=1)
    assert r["sent"] == 0 and r["hooks"][0]["error"] == (
        'HTTP 500 Internal Server Error; the receiver said "Basic *** ***"'
    )
    r = deliver(conn, [hook], now=T0 + timedelta(hours=1))
    assert r["sent"] == 3 and [b["id"] for b in rx.bodies()] == [1, 1, 2, 3]
    assert {q["headers"]["Authorization"] for q in rx.requests} == {f"Basic {token}"}
    assert {q["headers"]["Host"] for q in rx.requests} == {f"127.0.0.1:{rx.port}"}
    stored = "\n".join(conn.iterdump())
    assert "Zq7" not in stored and token not in stored and "alice:***@" in stored
    # a bad URL's error does not show the password either
    with pytest.raises(RegistryError) as exc:
        Registry.from_dict({"webhooks": [{"url": f"http://alice:{PASSWORD}@h.org:abc/x"}]})
    assert "Zq7" not in str(exc.value) and "'http://alice:***@h.org:abc/x'" in str(exc.value)


def test_the_signature_verifies_with_the_secret_and_the_body_is_utf8(tmp_path, receiver):
    db = tmp_path / "a.db"
    rx = receiver()
    hook = Hook(rx.url(), secret="s3cret")
    conn = connect(db)
    register(conn, [hook])
    three_notices(db)
    deliver(conn, [hook])
    assert len(rx.requests) == 3
    for req in rx.requests:
        want = hmac.new(b"s3cret", req["body"], hashlib.sha256).hexdigest()
        assert req["headers"]["X-Tzgg-Signature"] == f"sha256={want}"
        assert req["headers"]["Content-Type"] == "application/json; charset=utf-8"
        assert req["headers"]["User-Agent"].startswith("tzgg/")
        assert "关于第".encode() in req["body"]  # not \\u escapes
    assert "X-Tzgg-Signature" not in Hook(rx.url()).request({"id": 1}, "0" * 16)[1]


def test_two_archives_sending_to_one_receiver_never_share_an_idempotency_key(tmp_path, receiver):
    # event ids are each archive's own: the key holds the archive's random id as well
    rx = receiver()
    hook = Hook(rx.url())
    ids = []
    for name in ("a", "b"):
        db = tmp_path / f"{name}.db"
        conn = connect(db)
        register(conn, [hook])
        three_notices(db)
        assert deliver(conn, [hook])["sent"] == 3
        ids.append(archive_id(conn))
        assert archive_id(connect(db)) == ids[-1]  # made once, kept in the archive
    assert ids[0] != ids[1] and all(re.fullmatch("[0-9a-f]{16}", i) for i in ids)
    keys = [r["headers"]["Idempotency-Key"] for r in rx.requests]
    assert len(keys) == len(set(keys)) == 6
    assert keys[0] == f"tzgg-{ids[0]}-{hook.identity[:12]}-1"
    assert keys[3] == f"tzgg-{ids[1]}-{hook.identity[:12]}-1"
    assert [r["headers"]["X-Tzgg-Event-Id"] for r in rx.requests] == ["1", "2", "3"] * 2


def test_the_secret_can_come_from_the_environment(monkeypatch, tmp_path, receiver):
    # a registry kept in git names the variable, not the secret
    monkeypatch.setenv("TZGG_TEST_HOOK_SECRET", "s3cret")
    hook = Hook.from_dict({"url": "http://127.0.0.1:9/h", "secret_env": "TZGG_TEST_HOOK_SECRET"})
    body, headers = hook.request({"id": 1}, "0" * 16)
    want = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Tzgg-Signature"] == f"sha256={want}"
    # unset where a command runs: the registry still loads (sites list, crawl, schedule work)
    # and the hook's events wait, never sent unsigned
    monkeypatch.delenv("TZGG_TEST_HOOK_SECRET")
    rx = receiver()
    reg = Registry.from_dict(
        {"webhooks": [{"url": rx.url(), "secret_env": "TZGG_TEST_HOOK_SECRET"}]}
    )
    db = tmp_path / "a.db"
    conn = connect(db)
    register(conn, reg.hooks)
    three_notices(db)
    report = deliver(conn, reg.hooks, sleep=lambda s: None)
    assert rx.requests == [] and report["pending"] == 3
    assert "TZGG_TEST_HOOK_SECRET is not set" in pending(conn, reg.hooks)[0]["error"]
    monkeypatch.setenv("TZGG_TEST_HOOK_SECRET", "s3cret")
    deliver(conn, reg.hooks, force=True)
    assert len(rx.requests) == 3 and all("X-Tzgg-Signature" in r["headers"] for r in rx.requests)
    with pytest.raises(RegistryError, match="secret_env"):
        Registry.from_dict({"webhooks": [{"url": rx.url(), "secret": "a", "secret_env": "B"}]})


# -- which events a hook receives ---------------------------------------------------------------


def _health_event(db, site: str, kind: str = "site_broken") -> None:
    conn = connect(db)
    with conn:
        conn.execute(
            "INSERT INTO events (notice_id, site, url, kind, at, title, reason, evidence)"
            " VALUES (NULL, ?, ?, ?, '2026-01-02T00:00:00.000Z', 'the listing shows no notices',"
            " 'no_notices', '{}')",
            (site, f"http://{site}/tzgg/index.html", kind),
        )


def test_filters_kinds_query_words_and_sites(tmp_path, receiver):
    db = tmp_path / "a.db"
    rx = receiver()
    reg = Registry.from_dict(
        {
            "webhooks": [
                {"url": rx.url("/all")},
                {"url": rx.url("/removed"), "kinds": ["removed"]},
                {"url": rx.url("/query"), "query": "征收 OR 拆迁"},
            ],
            "sites": {
                SITE: {"listings": [f"http://{SITE}/tzgg/"], "webhooks": [{"url": rx.url("/site")}]}
            },
        }
    )
    conn = connect(db)
    register(conn, reg.hooks)
    # the words are in the body of notice 1 and 3 only, never in a title
    bodies = {1: "关于房屋征收补偿的通知正文", 3: "违章建筑拆迁安排"}
    three_notices(db, bodies=bodies)
    three_notices(db, bodies=bodies, gone=[3])
    _health_event(db, SITE)
    _health_event(db, "other.gov.cn")
    r = deliver(conn, reg.hooks)
    assert r["pending"] == 0

    def got(path):
        return [
            (e["kind"], e["site"], (e["url"] or "").rsplit("/", 1)[-1]) for e in rx.bodies(path)
        ]

    ours = [
        ("new", SITE, "t1.html"),
        ("new", SITE, "t2.html"),
        ("new", SITE, "t3.html"),
        ("removed", SITE, "t3.html"),
        ("site_broken", SITE, "index.html"),
    ]
    assert got("/all") == [*ours, ("site_broken", "other.gov.cn", "index.html")]
    assert got("/site") == ours
    assert got("/removed") == [("removed", SITE, "t3.html")]
    # query words match the notice's text; a health event is never hidden by a query
    assert got("/query") == [
        ("new", SITE, "t1.html"),
        ("new", SITE, "t3.html"),
        ("removed", SITE, "t3.html"),
        ("site_broken", SITE, "index.html"),
        ("site_broken", "other.gov.cn", "index.html"),
    ]


def test_a_hook_added_later_or_edited_gets_only_the_events_after_it(tmp_path, receiver):
    db = tmp_path / "a.db"
    rx = receiver()
    three_notices(db)
    conn = connect(db)
    hook = Hook(rx.url())
    r = deliver(conn, [hook])  # registers it: the three `new` events are history
    assert r["sent"] == r["pending"] == 0 and rx.requests == []
    three_notices(db, gone=[3])
    deliver(conn, [hook])
    assert [e["kind"] for e in rx.bodies()] == ["removed"]
    # a changed filter is a new subscriber; it starts where the old one had got to (all
    # delivered), so the history before is not sent
    edited = Hook(rx.url(), kinds=("removed", "restored"))
    assert edited.identity != hook.identity
    r = deliver(conn, [edited])
    assert r["sent"] == 0 and len(rx.requests) == 1
    # the same hook written again (a new secret, kinds in another order) is the same subscriber
    same = Registry.from_dict(
        {"webhooks": [{"url": rx.url(), "kinds": ["restored", "removed"], "secret": "x"}]}
    ).hooks[0]
    assert same.identity == edited.identity


def test_an_edited_hook_takes_over_the_events_still_owed_to_the_old_one(tmp_path, receiver):
    db = tmp_path / "a.db"
    port = closed_port()
    url = f"http://127.0.0.1:{port}/hook"
    friday = Hook(url, kinds=("removed",))
    conn = connect(db)
    three_notices(db)
    deliver(conn, [friday], sleep=no_sleep())  # registered: the history is not owed
    three_notices(db, gone=[3])  # event 4: a removal, while the receiver is down
    assert deliver(conn, [friday], sleep=no_sleep())["pending"] == 1
    three_notices(db, bodies={1: "改过的正文"}, gone=[3])  # event 5: an edit
    # back up, and the hook edited (same URL): the new subscriber gets the removal
    rx = receiver(port=port)
    monday = Hook(url, kinds=("removed", "site_broken"))
    r = deliver(conn, [monday], force=True, sleep=no_sleep())
    assert (r["sent"], r["pending"]) == (1, 0)
    assert [(b["id"], b["kind"]) for b in rx.bodies()] == [(4, "removed")]
    assert pending(conn, [friday])[0]["pending"] == 0  # its URL acknowledged it
    config = connect(db).execute(
        "SELECT config FROM webhooks WHERE identity = ?", (friday.identity,)
    )
    assert json.loads(config.fetchone()[0])["replaced"]
    # a second edit starts where `monday` got to, not where `friday` stopped: the edit
    # (event 5), recorded before it, is not sent
    tuesday = Hook(url, kinds=("removed", "edited"))
    r = deliver(conn, [tuesday], sleep=pytest.fail)
    assert (r["sent"], r["pending"]) == (0, 0) and len(rx.requests) == 1
    three_notices(db, bodies={1: "又改过的正文"}, gone=[3])  # event 6: an edit, after it
    assert deliver(conn, [tuesday])["sent"] == 1
    assert [b["id"] for b in rx.bodies()] == [4, 6]


def test_an_event_its_url_acknowledged_is_not_sent_again_after_an_edit(tmp_path, receiver):
    # two hooks of one URL (every site's `new` events, and everything); the first one's POSTs
    # fail, the second's are acknowledged; then the first is edited
    db = tmp_path / "a.db"
    rx = receiver()
    new_only, every = Hook(rx.url(), kinds=("new",)), Hook(rx.url())
    conn = connect(db)
    register(conn, [new_only, every])
    three_notices(db)

    def send(url, body, headers, timeout):
        if new_only.identity[:12] in headers["Idempotency-Key"]:
            return None, "cannot connect: down"
        return post(url, body, headers, timeout)

    r = deliver(conn, [new_only, every], send=send, sleep=no_sleep())
    assert [h["sent"] for h in r["hooks"]] == [0, 3]
    assert [b["id"] for b in rx.bodies()] == [1, 2, 3]
    edited = Hook(rx.url(), kinds=("new", "removed"))
    three_notices(db, gone=[3])  # event 4
    r = deliver(conn, [edited, every], sleep=pytest.fail)
    assert r["pending"] == 0
    # events 1-3 were owed to `new_only`, but the URL acknowledged them: only 4 is new to it
    assert [b["id"] for b in rx.bodies()] == [1, 2, 3, 4]


def test_a_hook_that_wants_none_of_the_events_moves_its_cursor_past_them(
    tmp_path, receiver, monkeypatch
):
    db = tmp_path / "a.db"
    rx = receiver()
    removals = Hook(rx.url("/removed"), kinds=("removed",), sites=(SITE,))
    words = Hook(rx.url("/query"), query="征收")
    hooks = [removals, words]
    conn = connect(db)
    register(conn, hooks)
    three_notices(db)  # three `new` events: neither hook wants one
    reads = count_text_reads(monkeypatch)

    r = deliver(conn, hooks)
    assert (r["sent"], r["pending"]) == (0, 0) and len(reads) == 3
    assert cursors(db) == {removals.identity: 3, words.identity: 3}
    deliver(conn, hooks)  # nothing newer: nothing is read again
    assert len(reads) == 3 and rx.requests == []
    _health_event(db, "other.gov.cn")  # event 4: the query hook's (health events pass a query)
    r = deliver(conn, hooks)
    assert r["sent"] == 1 and [b["id"] for b in rx.bodies("/query")] == [4]
    assert cursors(db) == {removals.identity: 4, words.identity: 4} and len(reads) == 3


def test_a_long_backlog_is_read_once_per_notice_and_a_call_keeps_to_its_budget(
    tmp_path, monkeypatch
):
    db = tmp_path / "a.db"
    hook = Hook(f"http://127.0.0.1:{closed_port()}/q", query="征收补偿")
    conn = connect(db)
    register(conn, [hook])
    three_notices(db, bodies={1: "关于房屋征收补偿的通知正文"})  # events 1-3; 1 matches
    # a big crawl's worth of events of the two other notices (ids 4 … 3003): none matches
    rows = conn.execute("SELECT notice_id, site, url, title FROM events ORDER BY id").fetchall()
    with conn:
        conn.executemany(
            "INSERT INTO events (notice_id, site, url, kind, at, version, title)"
            " VALUES (?, ?, ?, 'edited', '2026-02-01T00:00:00.000Z', 1, ?)",
            [tuple(rows[1 + k % 2]) for k in range(3000)],
        )
    reads = count_text_reads(monkeypatch)

    # the receiver is down: the call stops at the first event owed, and `pending` looks at
    # PENDING_SCAN events after it, each notice's text once
    r = deliver(conn, [hook], attempts_now=1)
    assert r["sent"] == 0 and r["hooks"][0]["error"].startswith("cannot connect")
    assert (r["pending"], r["pending_at_least"]) == (1, True)
    assert sorted(reads) == sorted(set(reads)) and len(reads) == 3
    assert cursors(db) == {hook.identity: 0}

    # up again, on a clock that moves 1 ms each time it is read: the call stops when its
    # budget is spent, inside the backlog, and keeps what it looked at
    ticks = itertools.count()

    def clock() -> float:
        return next(ticks) / 1000

    def ok(url, body, headers, timeout):
        return 200, None

    reads.clear()
    r = deliver(conn, [hook], force=True, send=ok, budget_s=1, monotonic=clock)
    assert r["out_of_time"] and r["sent"] == 1 and r["pending_at_least"]
    first = cursors(db)[hook.identity]
    assert 1 < first < 3003 and len(reads) == len(set(reads)) <= 3
    r = deliver(conn, [hook], send=ok, budget_s=1, monotonic=clock)
    second = cursors(db)[hook.identity]
    assert second > first  # it goes on from there
    while r["out_of_time"]:
        r = deliver(conn, [hook], send=ok, budget_s=1, monotonic=clock)
    assert cursors(db) == {hook.identity: 3003}
    assert (r["sent"], r["pending"], r["pending_at_least"]) == (0, 0, False)
    reads.clear()
    deliver(conn, [hook], send=pytest.fail)
    assert reads == []


def count_text_reads(monkeypatch) -> list:
    """Record each (notice, version) whose text a filter reads."""
    from archive.storage import eventfilter

    reads: list = []
    real = eventfilter.notice_text

    def counted(conn, nid, version=None):
        reads.append((nid, version))
        return real(conn, nid, version)

    monkeypatch.setattr(eventfilter, "notice_text", counted)
    return reads


def cursors(db) -> dict[str, int]:
    return dict(connect(db).execute("SELECT identity, cursor FROM webhooks").fetchall())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"url": "ftp://hooks.example.org/x"}, "webhooks[0]: url: an http(s) URL"),
        (
            {"url": "https://h.org/x", "kinds": ["deleted"]},
            "webhooks[0]: kinds: unknown kind 'deleted'",
        ),
        ({"url": "https://h.org/x", "query": "征收 OR"}, "webhooks[0]: query: the query ends"),
        ({"url": "https://h.org/x", "token": "t"}, "webhooks[0]: unknown keys ['token']"),
        ({"url": "https://h.org/x", "secret": ""}, "webhooks[0]: secret: a non-empty string"),
        # URLs no POST can be sent to
        ({"url": "http://hooks.example.org:abc/tzgg"}, "Port could not be cast to integer"),
        ({"url": "http://hooks.example.org:99999/tzgg"}, "Port out of range 0-65535"),
        ({"url": "http://hooks.example.org:0/tzgg"}, "port 0"),
        ({"url": "https://hooks example.org/tzgg"}, "it holds a space"),
        ({"url": "http://[::1/hook"}, "url: an http(s) URL, not 'http://[::1/hook': Invalid IPv6"),
        ({"url": "http://h.org/tz\ngg"}, "it holds the control character '\\n'"),
        ({"url": "http://h.org/通知"}, "'通' is not ASCII (percent-encode it"),
    ],
)
def test_a_bad_hook_is_a_one_line_error_naming_it(entry, message):
    with pytest.raises(RegistryError) as exc:
        Registry.from_dict({"webhooks": [entry]})
    assert message in str(exc.value) and "\n" not in str(exc.value)
    site = {"listings": ["http://a.gov.cn/tzgg/"], "webhooks": [entry]}
    with pytest.raises(RegistryError, match=r"sites\.a\.webhooks\[0\]"):
        Registry.from_dict({"sites": {"a": site}})


# -- tzgg deliver -------------------------------------------------------------------------------


def deliver_cli(*args, **kw) -> subprocess.CompletedProcess:
    return tzgg("deliver", *args, **kw)


def write_registry(path, url: str, extra: str = "") -> None:
    path.write_text(f'[[webhooks]]\nurl = "{url}"\n{extra}', encoding="utf-8")


def test_tzgg_deliver_exits_1_while_a_receiver_is_down_and_sends_with_force(tmp_path, receiver):
    db, reg = tmp_path / "a.db", tmp_path / "sites.toml"
    port = closed_port()
    write_registry(reg, f"http://127.0.0.1:{port}/hook")
    connect(db).close()
    p = deliver_cli("--db", db, "--registry", reg)  # registers the hook: nothing owed yet
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"http://127.0.0.1:{port}/hook: sent 0, pending 0"
    three_notices(db)

    p = deliver_cli("--db", db, "--registry", reg)
    assert p.returncode == 1, p.stderr
    line = p.stdout.strip()
    assert line.startswith(f"http://127.0.0.1:{port}/hook: sent 0, pending 3 (next try at 20")
    assert "cannot connect" in line
    next_try = connect(db).execute("SELECT next_try FROM deliveries").fetchone()[0]
    assert datetime.fromisoformat(next_try.replace("Z", "+00:00")) > datetime.now(UTC)

    rx = receiver(port=port)
    p = deliver_cli("--db", db, "--registry", reg, "--json")  # up, but not due yet
    assert p.returncode == 1 and rx.requests == []
    assert json.loads(p.stdout)["hooks"][0]["pending"] == 3
    p = deliver_cli("--db", db, "--registry", reg, "--force", "--json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert (report["sent"], report["pending"]) == (3, 0)
    assert [b["id"] for b in rx.bodies()] == [1, 2, 3]


def test_tzgg_deliver_without_hooks_or_with_a_bad_one(tmp_path):
    db = tmp_path / "a.db"
    connect(db).close()
    p = deliver_cli("--db", db, cwd=tmp_path)
    assert p.returncode == 0 and "no webhooks" in p.stdout
    reg = tmp_path / "sites.toml"
    write_registry(reg, "http://127.0.0.1:9/hook", 'kinds = ["deleted"]\n')
    p = deliver_cli("--db", db, "--registry", reg)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "tzgg: error: sites.toml: webhooks[0]: kinds: unknown kind 'deleted' (known: new, edited,"
        " removed, restored, delisted, relisted, moved, diverged, site_broken, site_blocked)"
    ]
    p = deliver_cli("--db", tmp_path / "none.db", "--registry", reg.with_name("ok.toml"))
    assert p.returncode == 2 and "no registry" in p.stderr


def test_no_output_of_crawl_deliver_or_sites_list_shows_a_hooks_password(tmp_path, serve, receiver):
    site = DistrictSite()
    site.generate(2)
    listing = site.listing_url(serve(site).base)
    rx = receiver([500] * 3)  # down for the crawl's three tries, then up
    hook = f"http://alice:{PASSWORD}@127.0.0.1:{rx.port}/hook"
    reg, db = tmp_path / "sites.toml", tmp_path / "a.db"
    reg.write_text(
        f'[sites.d]\nlistings = ["{listing}"]\nwebhooks = [{{ url = "{hook}" }}]\n',
        encoding="utf-8",
    )
    shown = f"http://alice:***@127.0.0.1:{rx.port}/hook"
    runs = [tzgg("crawl", "d", "--db", db, "--registry", reg, "--profile", "test", "-q")]
    assert runs[0].returncode == 0, runs[0].stderr
    assert f"webhooks: sent 0, pending 2 ({shown} next try at" in runs[0].stderr
    runs.append(deliver_cli("--db", db, "--registry", reg, "--force"))
    assert runs[-1].returncode == 0 and runs[-1].stdout == f"{shown}: sent 2, pending 0\n"
    runs.append(deliver_cli("--db", db, "--registry", reg, "--json"))
    assert json.loads(runs[-1].stdout)["hooks"][0]["url"] == shown
    runs += [tzgg("sites", "list", *a, "--db", db, "--registry", reg) for a in ([], ["--json"])]
    for p in runs:
        assert "Zq7" not in p.stdout + p.stderr, p.args
    assert len(rx.bodies()) == 3 + 2 and all("Authorization" in q["headers"] for q in rx.requests)


# -- a real crawl -------------------------------------------------------------------------------


def test_a_real_crawls_new_and_removed_events_reach_the_receiver(tmp_path, serve, receiver):
    from crawler.service.hooks import deliver_after_crawl, register_before_crawl

    site = DistrictSite(style="trs")
    for i in range(1, 5):
        site.add(f"关于第{i}批房屋征收补偿方案的公示", published=f"2021-09-2{i} 10:00")
    srv = serve(site)
    url, db, reg_path = site.listing_url(srv.base), tmp_path / "c.db", tmp_path / "sites.toml"
    rx = receiver()
    write_registry(reg_path, rx.url(), 'kinds = ["new", "removed"]\nsecret = "k"\n')
    reg = Registry.load(reg_path)
    register_before_crawl(db, reg)  # what `tzgg crawl` does before it starts

    code, _, p = crawl(url, db)
    assert code == 0, p.stderr
    p = deliver_cli("--db", db, "--registry", reg_path)
    assert p.returncode == 0, p.stderr
    assert [e["kind"] for e in rx.bodies()] == ["new"] * 4
    # each body is the `tzgg changes --json` object of its event
    assert rx.bodies() == events(db)

    gone = site.nids()[1]
    site.set_state(gone, "404")
    code, _, p = crawl(url, db)  # TZGG_REMOVAL_CONFIRMATIONS is 1: one crawl removes it
    assert code == 0, p.stderr
    line = deliver_after_crawl(db, reg)
    assert line == "webhooks: sent 1, pending 0"
    removed = rx.bodies()[-1]
    assert removed["kind"] == "removed" and removed["url"] == srv.base + site.path(gone)
    assert removed == events(db, "--kind", "removed")[0]
    assert deliver_after_crawl(db, None) is None
