"""Classify one detail fetch: a version, a removal, a block, or a transient failure. Pure.

Only definitive answers count as removals (404, 410, a soft 404, a redirect away to the home
page or an error page).  Anything that could be the network, the server, an anti-bot wall or a
login wall is logged and retried next crawl, never recorded as a removal or an edit.
"""

from __future__ import annotations

import json

from crawler.schema.fields import core
from crawler.schema.records import NOTICE_FIELDS

BLOCK_STATUSES = {403, 412, 451}
LOGIN_WALL = "transient:login_wall"
# outcomes of a site refusing the crawler (on a detail page or an article's later page),
# counted together for `site_blocked`
BLOCKING = (
    "blocked",
    "transient:http_429",
    LOGIN_WALL,
    "transient:part_blocked",
    "transient:part_login_wall",
)


def classify(fetch: dict) -> str:
    """Return ok | not_modified | removed:<reason> | blocked | transient:<kind> | empty.
    (The store makes an `ok` page `degraded` when it lost what the archived version had.)
    A login wall is `transient:login_wall`: a failure named so, counted with the blocks."""
    if fetch.get("error"):
        return f"transient:{fetch['error']}"
    status = fetch.get("status")
    if status == 304:
        return "not_modified"
    if status == 404:
        return "removed:http_404"
    if status == 410:
        return "removed:http_410"
    if status in BLOCK_STATUSES:
        return "blocked"
    if status == 429:
        return "transient:http_429"
    if status is None or status >= 500:
        return "transient:http_5xx"
    if not 200 <= status < 300:
        return f"transient:http_{status}"
    if fetch.get("page_class") == "blocked":
        return "blocked"
    if fetch.get("page_class") == "login_wall":  # whatever it shows (a date, a title)
        return LOGIN_WALL
    if fetch.get("redirected") and (fetch.get("home") or fetch.get("page_class") == "soft_404"):
        return "removed:redirected_away"
    if fetch.get("page_class") == "soft_404":
        return "removed:soft_404"
    notice = fetch.get("notice") or {}
    if not notice.get("title") and not notice.get("body"):
        return "empty"
    return "ok"


def degraded(current, notice: dict) -> bool:
    """Whether a page lost a field its archived version had: its title, its publish date or
    its whole body.  Editors change those; they do not drop them, while a redesign that the
    extractor cannot read drops them on every page.  Such a page is a failed fetch, counted
    (a `site_broken` flag when it spreads) and retried, never an edit."""
    if current is None:
        return False
    return any(current[name] and not notice.get(name) for name in core(NOTICE_FIELDS))


def evidence(capture: dict) -> dict:
    """What a removal rests on, kept with the event."""
    out = {
        "status": capture.get("status"),
        "final_url": capture.get("final_url") or capture.get("url"),
        "phrase": capture.get("phrase"),
        "body_sha256": capture.get("body_sha256"),
    }
    if capture.get("redirects"):
        out["redirects"] = json.loads(capture["redirects"])
    return out
