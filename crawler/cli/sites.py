"""`tzgg sites add|list|remove` (the registry file, edited with its comments kept) and
`tzgg runs` (every crawl, with its counts and health flags)."""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import click

from crawler.cli.common import (
    Fail,
    _db_option,
    _load_registry,
    _open,
    _registry_option,
    site_filter,
)

HEADER = """\
# tzgg site registry: one [sites.KEY] table per district.  Keep it in your own git repository.
# Fields: name, region (行政区划代码), listings, schedule ("daily", "6h", "0 7 * * *"),
# delay (seconds between requests), overrides (see the README), webhooks.
"""
_HOST_WORDS = {"www", "gov", "cn", "com", "net", "org", "zf", "xxgk"}


def _registry_path(registry: str | None) -> Path:
    return Path(registry or "sites.toml")


@contextmanager
def _editing(path: Path):
    """Hold the registry's lock while it is read and rewritten, so two `sites add` at once
    cannot lose one's entry; yields the file to write: a symlink's target, so the link
    stays a link.  The lock is an flock on FILE.lock beside that file (a killed process
    cannot leave it held)."""
    from archive.storage.locks import file_lock

    real = Path(os.path.realpath(path))
    if not real.parent.is_dir():
        raise Fail(f"cannot write registry {path}: no directory {real.parent}", 2)
    if real.is_dir():
        raise Fail(f"cannot write registry {path}: it is a directory", 2)
    lock = real.with_name(real.name + ".lock")
    what = f"the registry {path} is being edited by another process"
    try:
        with file_lock(lock, what, wait=30):
            yield real
    except PermissionError as exc:
        raise Fail(f"cannot write registry {path}: {exc.strerror} ({exc.filename})", 2) from None


def _read(path: Path, shown: Path):
    import tomlkit

    if not path.exists():
        return tomlkit.parse(HEADER)
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise Fail(f"cannot read registry {shown}: {exc}", 2) from None
    except tomlkit.exceptions.TOMLKitError as exc:
        raise Fail(f"{shown}: not valid TOML: {_one_line(exc)}", 2) from None


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


def _loaded(doc, shown: Path):
    """The registry the document holds; a file that does not load is refused as it is (fix
    it by hand first: `sites add` never guesses what a broken entry meant)."""
    from crawler.sites.registry import Registry, RegistryError

    try:
        return Registry.from_dict(doc.unwrap(), shown)
    except RegistryError as exc:
        raise Fail(_one_line(exc), 2) from None


def _write(path: Path, shown: Path, doc) -> None:
    """Write only a registry that loads (validated first), atomically, keeping the file's
    permissions."""
    import tomlkit

    text = tomlkit.dumps(doc)
    _loaded(tomlkit.parse(text), shown)
    tmp = path.with_name(path.name + ".partial")
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise Fail(f"cannot write registry {shown}: {exc.strerror or exc}", 1) from None


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
    """Add a listing URL: a new site, or one more column of the site --key names.

    Without --key, the key comes from the host, and a key already taken is refused (another
    district on the same host, perhaps): give --key.  With the --key of an existing site, the
    URL is one more of its listings; its name, region and schedule are filled in when it has
    none, and a different one is refused (edit the file to change it)."""
    import tomlkit

    from crawler.schema.urls import canonicalize
    from crawler.sites.registry import _http_url

    if not _http_url(url):
        raise Fail(f"{url!r} is not a listing URL (give the http(s) URL of a 通知公告 column)", 2)
    path = _registry_path(registry)
    given = {"name": name, "region": region, "schedule": schedule}
    with _editing(path) as real:
        doc = _read(real, path)
        reg = _loaded(doc, path)
        for other in reg.sites.values():  # one listing, one site
            for listed in other.listings:
                if canonicalize(listed) == canonicalize(url):
                    spelled = "" if listed == url else f" (as {listed})"
                    raise Fail(
                        f"{url} is already a listing of site {other.key!r}{spelled} in {path}", 2
                    )
        explicit = key is not None
        key = key or key_for(url)
        site = reg.sites.get(key)
        table = doc.setdefault("sites", tomlkit.table(is_super_table=True))
        if site is None:
            entry = tomlkit.table()
            for field in ("name", "region"):
                if given[field]:
                    entry[field] = given[field]
            entry["listings"] = [url]
            if schedule:
                entry["schedule"] = schedule
            entry["verified"] = False
            table[key] = entry
            what = "added site"
        elif not explicit:
            who = f" ({site.name})" if site.name else ""
            raise Fail(
                f"the key {key!r} (from the host) is taken in {path} by another site{who}:"
                f" give --key NEW for a district of its own, or --key {key} to add a column"
                " to that site",
                2,
            )
        else:
            have = {"name": site.name, "region": site.region, "schedule": site.schedule}
            for field, value in given.items():
                if value and have[field] is not None and value != have[field]:
                    raise Fail(
                        f"site {key!r} has {field} {have[field]!r} in {path}, not {value!r}:"
                        " edit the file to change it",
                        2,
                    )
            entry = table[key]
            if isinstance(entry.get("listings"), list):
                entry["listings"].append(url)  # keeps its layout and comments
            else:  # none yet, or one written as a string
                listings = tomlkit.array()
                listings.extend([*site.listings, url])
                entry["listings"] = listings
            for field, value in given.items():
                if value and have[field] is None:
                    entry[field] = value
            what = "added a listing to site"
        _write(real, path, doc)
    click.echo(f"tzgg: {what} {key!r} in {path}: {url}")


@sites.command("remove")
@click.argument("key")
@_registry_option
def remove(key, registry):
    """Remove a site from the registry (its archive is kept)."""
    path = _registry_path(registry)
    if not path.exists():
        raise Fail(f"no registry at {path}", 2)
    with _editing(path) as real:
        doc = _read(real, path)
        table = doc.get("sites", {})
        if not isinstance(table, dict):
            raise Fail(f"{path.name}: `sites` must be a table of [sites.KEY] entries", 2)
        if key not in table:
            raise Fail(f"unknown site {key!r} in {path}", 2)
        del table[key]
        _write(real, path, doc)
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
    if not Path(db).exists() and not as_json:
        click.echo(
            f"tzgg: note: no archive at {db}: runs are read from --db FILE or $TZGG_DB", err=True
        )
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
        state = f"last run {_local(run['started'])} {run['status']}" if run else f"no run in {db}"
        head = f"{site.key}  {site.name or ''}  {site.region or ''}  [{row['schedule']}]"
        click.echo(f"{head}  {state}" + ("" if site.verified else "  (not verified)"))
        for u in site.listings:
            click.echo(f"    {u}")


def _local(at: str) -> str:
    """A run's start (RFC 3339 UTC in the archive) in Asia/Shanghai, saying so."""
    from crawler.schema.times import SHANGHAI, parse_utc

    try:
        t = parse_utc(at)
    except (ValueError, AttributeError):
        return str(at)
    if t.tzinfo is None:
        return str(at)
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M+08:00")


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
@_registry_option
@click.option("--flagged", is_flag=True, help="Only runs with a flag.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def runs(db, site, registry, flagged, limit, as_json):
    """Every crawl of each site, newest first: pages, events, failures and health flags."""
    conn = _open(db)
    sql = "SELECT * FROM runs"
    where, args = [], []
    if site is not None:
        site_filter(conn, _load_registry(registry), site, None, db)
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
            f"#{d['id']}  {d['started'][:19]}Z  {d['site']}  {d['status']}  {d['pages']} pages"
            + (f"  · {counts}" if counts else "")
            + (f"  · failures: {fails}" if fails else "")
        )
        for f in d["flags"]:
            click.echo(f"    flagged: {f}")
