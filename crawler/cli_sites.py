"""`tzgg sites add|list|remove` (the registry file, edited with its comments kept) and
`tzgg runs` (every crawl, with its counts and health flags)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.cliutil import (
    Fail,
    _check_listing_url,
    _db_option,
    _load_registry,
    _open,
    _registry_option,
)

HEADER = """\
# tzgg site registry: one [sites.KEY] table per district.  Keep it in your own git repository.
# Fields: name, region (行政区划代码), listings, schedule ("daily", "6h", "0 7 * * *"),
# delay (seconds between requests), overrides (see the README), webhooks.
"""
_HOST_WORDS = {"www", "gov", "cn", "com", "net", "org", "zf", "xxgk"}


def _registry_path(registry: str | None) -> Path:
    return Path(registry or "sites.toml")


def _read(path: Path):
    import tomlkit

    if not path.exists():
        return tomlkit.parse(HEADER)
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise Fail(f"cannot read registry {path}: {exc}", 2) from None
    except tomlkit.exceptions.TOMLKitError as exc:
        raise Fail(f"{path}: not valid TOML: {exc}", 2) from None


def _write(path: Path, doc) -> None:
    """Write only a registry that loads (validated first), atomically."""
    import tomlkit

    from crawler.registry import Registry, RegistryError

    text = tomlkit.dumps(doc)
    try:
        Registry.from_dict(tomlkit.parse(text).unwrap(), path)
    except RegistryError as exc:
        raise Fail(str(exc), 2) from None
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def key_for(url: str) -> str:
    """A registry key from a listing URL's host: www.yueyanglou.gov.cn -> yueyanglou."""
    host = urlsplit(url).hostname or "site"
    if re.fullmatch(r"[\d.]+", host):
        words = [host.replace(".", "-")]
    else:
        words = [w for w in host.split(".") if w not in _HOST_WORDS] or [host.split(".")[0]]
    port = urlsplit(url).port
    key = "-".join(words[:2]) + (f"-{port}" if port else "")
    return re.sub(r"[^A-Za-z0-9_.-]", "-", key).strip("-.")[:64] or "site"


@click.group()
def sites():
    """The site registry: add, list and remove districts."""


@sites.command("add")
@click.argument("url")
@click.option("--key", help="The site's name in the archive (default: from the host).")
@click.option("--name", help="e.g. 岳阳楼区人民政府")
@click.option("--region", help="行政区划代码, e.g. 430602")
@click.option("--schedule", help='"daily" (default), "6h", or a cron line "0 7 * * *"')
@_registry_option
def add(url, key, name, region, schedule, registry):
    """Add a listing URL: a new site, or one more column of the site --key names."""
    import tomlkit

    _check_listing_url(url)
    path = _registry_path(registry)
    doc = _read(path)
    table = doc.setdefault("sites", tomlkit.table(is_super_table=True))
    key = key or key_for(url)
    entry = table.get(key)
    if entry is None:
        for other, e in table.items():
            if url in (e.get("listings") or []):
                raise Fail(f"{url} is already a listing of site {other!r} in {path}", 2)
        entry = tomlkit.table()
        if name:
            entry["name"] = name
        if region:
            entry["region"] = region
        entry["listings"] = [url]
        if schedule:
            entry["schedule"] = schedule
        entry["verified"] = False
        table[key] = entry
        what = "added site"
    else:
        listings = entry.setdefault("listings", tomlkit.array())
        if url in listings:
            raise Fail(f"{url} is already a listing of site {key!r} in {path}", 2)
        listings.append(url)
        for field, value in (("name", name), ("region", region), ("schedule", schedule)):
            if value:
                entry[field] = value
        what = "added a listing to site"
    _write(path, doc)
    click.echo(f"tzgg: {what} {key!r} in {path}: {url}")


@sites.command("remove")
@click.argument("key")
@_registry_option
def remove(key, registry):
    """Remove a site from the registry (its archive is kept)."""
    path = _registry_path(registry)
    if not path.exists():
        raise Fail(f"no registry at {path}", 2)
    doc = _read(path)
    table = doc.get("sites") or {}
    if key not in table:
        raise Fail(f"unknown site {key!r} in {path}", 2)
    del table[key]
    _write(path, doc)
    click.echo(f"tzgg: removed site {key!r} from {path} (what is archived stays archived)")


@sites.command("list")
@_registry_option
@_db_option
@click.option("--region", help="Only the sites of this 行政区划代码.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def list_sites(registry, db, region, as_json):
    """The registry's sites, with their last run when the archive has one."""
    reg = _load_registry(registry)
    if reg is None:
        raise Fail("no registry: create one with `tzgg sites add URL` (or see --registry)", 2)
    last = _last_runs(db)
    for site in reg.select(region=region, every=True):
        row = {
            "key": site.key,
            "name": site.name,
            "region": site.region,
            "listings": site.listings,
            "schedule": site.schedule or "daily",
            "verified": site.verified,
            "last_run": last.get(site.key),
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        run = row["last_run"]
        state = f"last run {run['started'][:16]} {run['status']}" if run else "never crawled"
        head = f"{site.key}  {site.name or ''}  {site.region or ''}  [{row['schedule']}]"
        click.echo(f"{head}  {state}" + ("" if site.verified else "  (not verified)"))
        for u in site.listings:
            click.echo(f"    {u}")


def _last_runs(db: str) -> dict:
    if not Path(db).exists():
        return {}
    conn = _open(db)
    try:
        return {
            r["site"]: {"id": r["id"], "started": r["started"], "status": r["status"]}
            for r in conn.execute(
                "SELECT site, id, started, status FROM runs WHERE id IN"
                " (SELECT max(id) FROM runs GROUP BY site)"
            )
        }
    finally:
        conn.close()


# -- runs --------------------------------------------------------------------------------------


def run_dict(r) -> dict:
    return {
        "id": r["id"],
        "site": r["site"],
        "started": r["started"],
        "finished": r["finished"],
        "status": r["status"],
        "listing_urls": json.loads(r["listing_urls"] or "[]"),
        "pages": r["pages"],
        "counts": json.loads(r["counts"] or "{}"),
        "failures": json.loads(r["failures"] or "{}"),
        "flags": json.loads(r["flags"] or "[]"),
    }


@click.command()
@_db_option
@click.option("--site", help="Only this site.")
@click.option("--flagged", is_flag=True, help="Only runs with a flag.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def runs(db, site, flagged, limit, as_json):
    """Every crawl of each site, newest first: pages, events, failures and health flags."""
    conn = _open(db)
    sql = "SELECT * FROM runs"
    where, args = [], []
    if site:
        where.append("site = ?")
        args.append(site)
    if flagged:
        where.append("flags != '[]'")
    if where:
        sql += " WHERE " + " AND ".join(where)
    for r in conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)):
        d = run_dict(r)
        if as_json:
            click.echo(json.dumps(d, ensure_ascii=False))
            continue
        counts = " · ".join(f"{n} {k}" for k, n in d["counts"].items() if n)
        fails = ", ".join(f"{k} {n}" for k, n in sorted(d["failures"].items()))
        click.echo(
            f"#{d['id']}  {d['started'][:19]}  {d['site']}  {d['status']}  {d['pages']} pages"
            + (f"  · {counts}" if counts else "")
            + (f"  · failures: {fails}" if fails else "")
        )
        for f in d["flags"]:
            click.echo(f"    flagged: {f}")
