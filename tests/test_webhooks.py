"""Webhooks: events POSTed to a loopback receiver, at least once, in order, with retries and
backoff on an injected clock; the registry's hooks; `tzgg deliver`; and a real crawl's events."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.db import connect
from archive.webhooks import Hook, deliver, pending, register
from crawler.demo.site import DistrictSite
from crawler.registry import Registry, RegistryError
from tests.conftest import crawl, events, tzgg
from tests.test_store import SITE, fetch, listed, notice, walk
from tests.test_store import crawl as store_crawl

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Receiver:
    """A loopback HTTP server that records every request and answers as scripted: an HTTP
    status, "drop" (close the connection without an answer) or "302"; then 200."""

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
                self.send_response(int(action))
                if action == 302:
                    self.send_header("Location", "/moved-hook")
                self.send_header("Content-Length", "0")
                self.end_headers()

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
    assert {r["headers"]["Idempotency-Key"] for r in first} == {f"tzgg-{hook.identity[:12]}-1"}
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
    from archive.webhooks import retry_delay

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
    assert "X-Tzgg-Signature" not in Hook(rx.url()).request({"id": 1})[1]


def test_the_secret_can_come_from_the_environment(monkeypatch):
    # a registry kept in git names the variable, not the secret
    monkeypatch.setenv("TZGG_TEST_HOOK_SECRET", "s3cret")
    hook = Hook.from_dict({"url": "http://127.0.0.1:9/h", "secret_env": "TZGG_TEST_HOOK_SECRET"})
    body, headers = hook.request({"id": 1})
    want = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Tzgg-Signature"] == f"sha256={want}"
    monkeypatch.delenv("TZGG_TEST_HOOK_SECRET")
    with pytest.raises(RegistryError, match="secret_env"):
        Registry.from_dict(
            {"webhooks": [{"url": "http://127.0.0.1:9/h", "secret_env": "TZGG_TEST_HOOK_SECRET"}]}
        )


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
    # a changed filter is a new subscriber: it starts now, too
    edited = Hook(rx.url(), kinds=("removed", "restored"))
    assert edited.identity != hook.identity
    r = deliver(conn, [edited])
    assert r["sent"] == 0 and len(rx.requests) == 1
    # the same hook written again (a new secret, kinds in another order) is the same subscriber
    same = Registry.from_dict(
        {"webhooks": [{"url": rx.url(), "kinds": ["restored", "removed"], "secret": "x"}]}
    ).hooks[0]
    assert same.identity == edited.identity


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
        " removed, restored, delisted, relisted, site_broken, site_blocked)"
    ]
    p = deliver_cli("--db", tmp_path / "none.db", "--registry", reg.with_name("ok.toml"))
    assert p.returncode == 2 and "no registry" in p.stderr


# -- a real crawl -------------------------------------------------------------------------------


def test_a_real_crawls_new_and_removed_events_reach_the_receiver(tmp_path, serve, receiver):
    from crawler.cli_hooks import deliver_after_crawl, register_before_crawl

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
