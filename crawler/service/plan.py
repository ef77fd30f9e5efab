"""What one crawl will do, computed once before it starts: the listings and the site each
belongs to, the hosts being adopted, each site's extraction overrides and hosts, the notices
to revisit with their conditional headers, and the archived files' validators.

`tzgg crawl`, `scrapy crawl notices`, `tzgg ingest` and `tzgg schedule`'s children all plan
here; the spider is handed the plan and never opens the archive.  No Scrapy here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from archive.storage.attachments import validators
from archive.storage.db import connect
from archive.storage.revisits import archived_urls, full_walks_since, revisit_targets, unfetched
from crawler.schema.times import format_utc
from crawler.schema.urls import canonicalize, site_name
from crawler.sites.registry import Registry, RegistryError, page_extractor


class PlanError(Exception):
    """What to crawl is named wrongly (a usage error: exit 2)."""


def listings(reg: Registry | None, targets, *, every=False, region=None) -> dict[str, str]:
    """listing URL -> the site it is archived under: its registry key, else its host."""
    if (every or region) and reg is None:
        raise PlanError("--all and --region read the site registry: none found (see --registry)")
    if not targets and not every and not region:
        raise PlanError("name what to crawl: listing URLs, registry keys, --all or --region")
    plan: dict[str, str] = {}
    keys = []
    for t in targets:
        if "://" in t:
            entry = reg.for_url(t) if reg is not None else None
            plan[t] = entry.key if entry is not None else site_name(t)
        elif reg is not None and t in reg.sites:
            keys.append(t)
        else:
            where = f"in {reg.path}" if reg is not None else "(no site registry: see --registry)"
            raise PlanError(f"unknown site {t!r} {where}; or give the listing URL")
    if reg is not None:
        try:
            chosen = reg.select(keys, region=region, every=every)
        except RegistryError as exc:
            raise PlanError(str(exc)) from None
        for site in chosen:
            if not site.listings:
                raise PlanError(f"site {site.key!r} in {reg.path} has no listings to crawl")
            plan.update(dict.fromkeys(site.listings, site.key))
    if not plan:
        raise PlanError(f"no site of {reg.path} is in region {region}")
    return plan


def site_keys(reg: Registry | None, urls, given: dict[str, str] | None = None) -> dict[str, str]:
    """The site of each listing URL: as given, else its registry entry's key, else its host."""
    out = {}
    for u in urls:
        entry = reg.for_url(u) if reg is not None and not (given or {}).get(u) else None
        out[u] = (given or {}).get(u) or (entry.key if entry is not None else site_name(u))
    return out


def adoptions(reg: Registry | None, site_of: dict[str, str]) -> dict[str, dict]:
    """registry key -> {host its notices may have been archived under before it had an entry:
    None (all of that host's), or for a host several entries share, the key's listings there
    (the notices they showed)}."""
    if reg is None:
        return {}
    shared = reg.shared_hosts()
    out: dict[str, dict] = {}
    for url, key in site_of.items():
        host = site_name(url)
        if key not in reg.sites or host == key:
            continue
        hosts = out.setdefault(key, {})
        if host not in shared:
            hosts[host] = None
        else:
            hosts.setdefault(host, []).append(canonicalize(url))
    return out


def site_delays(reg: Registry | None, site_of: dict[str, str]) -> dict[str, float]:
    """host -> a registry entry's `delay` (seconds between its requests)."""
    out = {}
    for url, key in site_of.items():
        site = reg.sites.get(key) if reg is not None else None
        if site is not None and site.delay is not None:
            out[urlsplit(url).hostname] = site.delay
    return out


def revisit_headers(target: dict) -> dict:
    """The conditional headers of a revisit: none for a URL last seen gone."""
    headers = {}
    if target.get("etag") and not target.get("gone"):
        headers["If-None-Match"] = target["etag"]
    if target.get("last_modified") and not target.get("gone"):
        headers["If-Modified-Since"] = target["last_modified"]
    return headers


def archive_inputs(settings, plan: CrawlPlan) -> None:
    """What a crawl reads from the archive at its start, in one connection, into the plan:
    the revisits [(url, site, conditional headers)] and the notices listed but never fetched;
    with attachments on, the archived files' validators by canonical URL; and the listings
    walked incrementally this time, with their sites' archived URLs."""
    path = Path(settings.get("TZGG_DB"))
    if not path.exists():
        return
    files = settings.getbool("TZGG_ATTACHMENTS")
    days = settings.getfloat("TZGG_FULL_WALK_DAYS")
    since = format_utc(datetime.now(UTC) - timedelta(days=days)) if days > 0 else None
    conn = connect(path, readonly=True)
    try:
        for site in plan.sites:
            for t in revisit_targets(
                conn,
                site,
                policy=settings.get("TZGG_REVISIT"),
                recent_days=settings.getint("TZGG_REVISIT_RECENT_DAYS"),
                slices=settings.getint("TZGG_REVISIT_SLICES"),
                files=files,
            ):
                plan.revisits.append((t["url"], site, revisit_headers(t)))
            for url in unfetched(conn, site):
                if (urlsplit(url).hostname or "").lower() in plan.hosts.get(site, ()):
                    plan.revisits.append((url, site, {}))
            if files:
                for url, v in validators(conn, site).items():
                    plan.validators[canonicalize(url)] = v
            if since is not None:
                whole = full_walks_since(conn, site, since)
                mine = [u for u, s in plan.site_of.items() if s == site]
                recent = {u for u in mine if canonicalize(u) in whole}
                if recent:
                    plan.incremental |= recent
                    plan.archived[site] = archived_urls(conn, site)
    finally:
        conn.close()


@dataclass
class CrawlPlan:
    site_of: dict[str, str]  # listing URL -> site (registry key, else host)
    adopt: dict[str, dict] = field(default_factory=dict)  # see `adoptions`
    overrides: dict = field(default_factory=dict)  # site -> its entry's Overrides
    hosts: dict[str, set[str]] = field(default_factory=dict)  # site -> hosts it may fetch
    revisits: list = field(default_factory=list)  # [(url, site, conditional headers)]
    validators: dict[str, dict] = field(default_factory=dict)  # file URL -> validators
    # listing URLs walked whole within TZGG_FULL_WALK_DAYS: this crawl walks them only until
    # a page of notices all archived (site -> their canonical URLs)
    incremental: set[str] = field(default_factory=set)
    archived: dict[str, set[str]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # host -> seconds
    extract: object = None  # the registry's page extractor, for re-deriving stored pages
    about: dict[str, dict] = field(default_factory=dict)  # site -> its entry's name, region

    @property
    def listing_urls(self) -> list[str]:
        return list(self.site_of)

    @property
    def sites(self) -> list[str]:
        return sorted(set(self.site_of.values()))

    def locked_names(self) -> set[str]:
        """The sites crawled, and the hosts being adopted: a crawl of one by URL must not
        run meanwhile."""
        return set(self.site_of.values()) | {h for hs in self.adopt.values() for h in hs}


def fetch_plan(reg: Registry | None, site_of: dict[str, str]) -> CrawlPlan:
    """The part of a plan that needs no archive: sites, adoption, overrides, hosts, delays."""
    plan = CrawlPlan(site_of=dict(site_of), adopt=adoptions(reg, site_of))
    for url, site in site_of.items():
        plan.hosts.setdefault(site, set()).add((urlsplit(url).hostname or "").lower())
        entry = reg.entry_for(site, url) if reg is not None else None
        if entry is not None:
            if entry.overrides is not None:
                plan.overrides[site] = entry.overrides
            plan.hosts[site].update(entry.extra_hosts)
            if entry.key == site and (entry.name or entry.region):
                plan.about[site] = {"name": entry.name, "region": entry.region}
    plan.delays = site_delays(reg, site_of)
    plan.extract = page_extractor(reg)
    return plan
