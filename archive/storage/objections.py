"""Open 公示 / objection windows: the notices a reader can still object to.

Read from each notice's current version (an edit that moves the dates moves the window), for
notices still online (active or delisted; a removed notice's window is moot).

* Open today: the window has a closing date on or after today, and its start (when it has
  one) is on or before today.
* `within=N`: the window closes between today and today + N days, whether it has started or
  not -- what closes soon, to act on before it does.
* A window without a closing date (a later stage's 公示7个工作日, a start with no length) is
  never listed: nothing says whether it is still open, and listing it would keep it there
  forever.  An `approximate` window (working days counted Monday to Friday) is listed with
  its estimated end; the dict says it is approximate.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta


def open_objections(
    conn: sqlite3.Connection,
    *,
    today: str,
    within: int | None = None,
    sites: Iterable[str] | None = None,
) -> list[dict]:
    """Notices whose window is open on `today` (YYYY-MM-DD, Asia/Shanghai), or with `within`
    closes in the next `within` days; by closing date, then title."""
    day = date.fromisoformat(today)
    last = day + timedelta(days=within) if within is not None else None
    sql = (
        "SELECT n.id, n.site, n.status, v.version, v.first_seen, v.title, v.url, v.published,"
        " v.objection_window, v.contact FROM notices n"
        " JOIN versions v ON v.notice_id = n.id AND v.version = n.current_version"
        " WHERE n.status != 'removed' AND v.objection_window IS NOT NULL"
        " AND substr(json_extract(v.objection_window, '$.end'), 1, 10) >= ?"
    )
    args: list = [today]
    if sites is not None:
        sites = list(sites)
        sql += f" AND n.site IN ({','.join('?' * len(sites))})"
        args += sites
    out = []
    for r in conn.execute(sql, args):
        window = json.loads(r["objection_window"])
        end, start = _day(window.get("end")), _day(window.get("start"))
        if end is None or end < day:
            continue
        if last is not None:
            if end > last:
                continue
        elif start is not None and start > day:
            continue  # not open yet
        out.append(
            {
                "id": r["id"],
                "site": r["site"],
                "title": r["title"],
                "url": r["url"],
                "published": r["published"],
                "objection_window": window,
                "closes": end.isoformat(),
                "days_left": (end - day).days,
                "status": r["status"],
                "version": r["version"],
                "first_seen": r["first_seen"],
                "contact": json.loads(r["contact"]) if r["contact"] else None,
            }
        )
    out.sort(key=lambda o: (o["closes"], o["title"] or "", o["id"]))
    return out


def _day(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
