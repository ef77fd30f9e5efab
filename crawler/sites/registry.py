"""The site registry: a TOML file a watchdog group keeps in its own git repository.

    [sites.yueyanglou]
    name = "岳阳楼区人民政府"
    region = "430602"                 # 行政区划代码: `--region 4306` selects every district of 岳阳
    listings = ["http://www.yueyanglou.gov.cn/…/tzgg/index.html"]
    schedule = "daily"                # or "6h", "every 30m", a cron line "0 7 * * *"
    delay = 2.0                       # seconds between requests to this site
    webhooks = [{ url = "http://127.0.0.1:9000/hook", kinds = ["removed"] }]   # this site's
    [sites.yueyanglou.overrides]
    published = { labels = ["发稿时间"] }

    [[webhooks]]                      # every site's events (crawler/sites/hooks.py)
    url = "https://hooks.example.org/tzgg"
    kinds = ["removed", "edited", "site_broken"]   # optional
    query = "征收 OR 拆迁"                          # optional: the search syntax
    secret = "…"                                    # optional: signs each body (HMAC-SHA256)

A registry key is the site's name in the archive and every output, and names the overrides its
pages are read (and re-derived) with.  A URL given alone belongs to the entry whose listing URL
shares its host (and, when several do, most of its path; no entry when that ties).  Pure: no
Scrapy.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.parse.notice.overrides import OverrideError, Overrides, version_tag
from crawler.schema.urls import site_name
from crawler.sites.hooks import Hook, HookError

_KNOWN = {
    "name",
    "region",
    "listings",
    "schedule",
    "delay",
    "hosts",
    "overrides",
    "verified",
    "webhooks",
}
_TOP = ("sites", "webhooks")  # the file's top-level tables
# What a `tzgg worker` gets of a site's entry: how to fetch and read its pages.  An allow-list:
# nothing else of the registry (webhooks and their secrets, names, schedules, a key added
# later) leaves the ingester's machine.
FETCH_KEYS = ("listings", "hosts", "overrides")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REGION = re.compile(r"^\d{2,12}$")


class RegistryError(ValueError):
    """A registry that cannot be read; the message names the file and the entry."""


@dataclass
class Site:
    key: str
    name: str | None = None
    region: str | None = None
    listings: list[str] = field(default_factory=list)
    overrides: Overrides | None = None
    schedule: str | None = None
    delay: float | None = None
    verified: bool | None = None
    extra_hosts: list[str] = field(default_factory=list)  # `hosts`: e.g. its file server
    raw: dict = field(default_factory=dict)

    @property
    def hosts(self) -> set[str]:
        """The site names (host, with a non-default port) of its listings."""
        return {site_name(u) for u in self.listings}

    def in_region(self, code: str) -> bool:
        """`4306` covers 430602 and every other district of 岳阳."""
        return bool(self.region) and self.region.startswith(code)


@dataclass
class Registry:
    path: Path
    sites: dict[str, Site]
    raw: dict = field(default_factory=dict)  # the whole file, for its global tables
    hooks: list[Hook] = field(default_factory=list)  # global, then per site

    @classmethod
    def load(cls, path: str | Path) -> Registry:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegistryError(f"no registry at {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryError(f"cannot read registry {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise RegistryError(f"{path}: not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per level of [ or {
            raise RegistryError(f"{path}: not valid TOML: values nested too deeply") from None
        return cls.from_dict(data, path)

    @classmethod
    def from_dict(cls, data: dict, path: str | Path = "sites.toml") -> Registry:
        path = Path(path)
        unknown = sorted(set(data) - set(_TOP))
        if unknown:  # `[[webhook]]` for `[[webhooks]]` must not leave a hook unheard of
            raise RegistryError(
                f"{path.name}: unknown top-level keys {unknown} (known: {list(_TOP)})"
            )
        sites = {}
        table = data.get("sites", {})
        if not isinstance(table, dict):
            raise RegistryError(f"{path}: `sites` must be a table of [sites.KEY] entries")
        for key, entry in table.items():
            if not _KEY.match(key):
                raise RegistryError(
                    f"{path.name}: sites.{key}: a key is letters, digits, `_`, `-` and `.`"
                    " (it names the site in the archive and in URLs of feeds)"
                )
            sites[key] = _site(key, entry, f"{path.name}: sites.{key}")
        hooks = _hooks(data.get("webhooks"), f"{path.name}: webhooks", None)
        for key, entry in table.items():
            hooks += _hooks(entry.get("webhooks"), f"{path.name}: sites.{key}.webhooks", (key,))
        return cls(path, sites, data, hooks)

    def for_url(self, url: str) -> Site | None:
        """The entry with a listing on the URL's host, preferring the longest shared path
        (a city's 集约化 platform can host several districts under one host).  None when no
        entry lists the host, or when several entries share it and none shares more of the
        path than the others (ambiguous: a notice at /art/… of a host whose districts list
        /col/col1/ and /col/col2/ is neither's by its URL).  A host that one entry lists is
        that entry's, whatever the path."""
        host, path = site_name(url), urlsplit(url).path
        best: dict[str, int] = {}  # key -> its longest shared path
        for site in self.sites.values():
            for listing in site.listings:
                if site_name(listing) != host:
                    continue
                shared = len(_common_dir(urlsplit(listing).path, path))
                best[site.key] = max(best.get(site.key, -1), shared)
        if not best:
            return None
        top = max(best.values())
        winners = [k for k, n in best.items() if n == top]
        return self.sites[winners[0]] if len(winners) == 1 else None

    def entry_for(self, site: str | None, url: str) -> Site | None:
        """The entry whose overrides and hosts apply to a page of `site` at `url`: the site's
        own entry, else the one `for_url` finds (the one rule the crawl, the workers and
        `tzgg extract` choose overrides by)."""
        return self.sites.get(site or "") or self.for_url(url)

    def select(self, keys=(), *, region: str | None = None, every: bool = False) -> list[Site]:
        """The entries named, or all of them (`--all`), narrowed to a region."""
        missing = [k for k in keys if k not in self.sites]
        if missing:
            raise RegistryError(f"unknown site {missing[0]!r} in {self.path}")
        chosen = list(self.sites.values()) if every or (region and not keys) else []
        chosen += [self.sites[k] for k in keys if self.sites[k] not in chosen]
        if region:
            chosen = [s for s in chosen if s.in_region(region)]
        return chosen

    def shared_hosts(self) -> set[str]:
        """Hosts that more than one entry lists: archives crawled before by host name are
        not relabelled to either key."""
        seen: dict[str, int] = {}
        for site in self.sites.values():
            for h in site.hosts:
                seen[h] = seen.get(h, 0) + 1
        return {h for h, n in seen.items() if n > 1}


def fetch_view(reg: Registry, plan: dict[str, str]) -> dict:
    """The registry as a worker needs it for a crawl of `plan` (listing URL -> site), to load
    with `Registry.from_dict`: the entries a crawl reads those pages with (the sites planned,
    and every entry with a listing on a planned host, among which `for_url` chooses), each
    with its FETCH_KEYS only."""
    hosts = {site_name(u) for u in plan}
    wanted = set(plan.values())
    return {
        "sites": {
            key: {k: site.raw[k] for k in FETCH_KEYS if k in site.raw}
            for key, site in reg.sites.items()
            if key in wanted or site.hosts & hosts
        }
    }


def _common_dir(a: str, b: str) -> str:
    a_dirs, b_dirs = a.split("/")[:-1], b.split("/")[:-1]
    out = []
    for x, y in zip(a_dirs, b_dirs, strict=False):
        if x != y:
            break
        out.append(x)
    return "/".join(out)


class PageExtractor:
    """extract(body, url, charset) -> Notice with the overrides of the page's site, as a crawl
    extracts it, and tag(url): the extractor version that records (for re-deriving).

    Called directly it finds the site by the page's URL (`Registry.for_url`), which a shared
    host can leave ambiguous; re-deriving an archived site's versions binds it to the site
    they are filed under first: `for_site(site, listing_urls)`."""

    def __init__(self, reg: Registry | None):
        self.reg = reg

    def entry(self, site: str | None, urls=()) -> Site | None:
        """The registry entry a crawl of `site` reads pages with (`Registry.entry_for`): the
        entry of that key, or, for a site filed under a host name, the last of its listings'
        entries that has overrides, as a crawl's plan takes them.  A site that is neither (a
        key removed from the registry) has none: no crawl reads it any more."""
        if self.reg is None:
            return None
        if site is not None and site in self.reg.sites:
            return self.reg.sites[site]
        found = None
        for url in urls:
            if site is not None and site_name(url) != site:
                continue  # a crawl files a listing under its host only
            e = self.reg.entry_for(site, url)
            if e is not None and (found is None or e.overrides is not None):
                found = e
        return found

    def for_site(self, site: str | None, urls=()) -> SiteExtractor:
        """An extractor bound to one site's overrides, whatever the page's URL."""
        entry = self.entry(site, urls)
        return SiteExtractor(entry.overrides if entry is not None else None)

    def overrides(self, url: str) -> Overrides | None:
        entry = self.reg.entry_for(None, url) if self.reg is not None else None
        return entry.overrides if entry is not None else None

    def tag(self, url: str) -> str:
        return version_tag(self.overrides(url))

    def __call__(self, body: bytes, url: str, charset: str | None):
        return _extract(body, url, charset, self.overrides(url))


class SiteExtractor:
    """extract(body, url, charset) with one site's overrides; tag(): the version it records."""

    def __init__(self, overrides: Overrides | None):
        self.ov = overrides

    def overrides(self, url: str | None = None) -> Overrides | None:
        return self.ov

    def tag(self, url: str | None = None) -> str:
        return version_tag(self.ov)

    def __call__(self, body: bytes, url: str, charset: str | None):
        return _extract(body, url, charset, self.ov)


def _extract(body: bytes, url: str, charset: str | None, ov: Overrides | None):
    from crawler.parse.notice import extract_notice

    return extract_notice(body, url, (ov.encoding if ov else None) or charset, ov)


page_extractor = PageExtractor


def _hooks(value, where: str, sites: tuple[str, ...] | None) -> list:
    """The hooks of `[[webhooks]]` (sites None: every site) or of one site's `webhooks`."""
    if value is None:
        return []
    if isinstance(value, dict):  # `[webhooks]` or `webhooks = { … }`: one hook
        value = [value]
    if not isinstance(value, list):
        raise RegistryError(f'{where}: a list of tables such as {{ url = "https://…" }}')
    hooks, seen = [], {}
    for i, entry in enumerate(value):
        try:
            hook = Hook.from_dict(entry, sites=sites)
        except HookError as exc:
            raise RegistryError(f"{where}[{i}]: {exc}") from None
        if hook.identity in seen:
            first = f"{where.rsplit(': ', 1)[-1]}[{seen[hook.identity]}]"
            raise RegistryError(f"{where}[{i}]: the same url, kinds and query as {first}")
        seen[hook.identity] = i
        hooks.append(hook)
    return hooks


def _http_url(u) -> bool:
    """An http(s) URL with a host (and a valid port, if any), without spaces."""
    if not isinstance(u, str) or any(ch.isspace() or ord(ch) < 32 for ch in u):
        return False
    try:
        parts = urlsplit(u)
        parts.port  # noqa: B018  (raises for a bad port)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _site(key: str, entry, where: str) -> Site:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a table")
    unknown = set(entry) - _KNOWN
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(_KNOWN)})")
    listings = entry.get("listings") or []
    if isinstance(listings, str):
        listings = [listings]
    if not isinstance(listings, list) or not all(_http_url(u) for u in listings):
        raise RegistryError(f"{where}.listings: a list of http(s) URLs")
    ov = entry.get("overrides") or {}
    if not isinstance(ov, dict):
        raise RegistryError(f"{where}.overrides: a table, [sites.KEY.overrides]")
    ov = dict(ov)
    delay = entry.get("delay", ov.pop("delay", None))  # a politeness setting, not extraction
    if delay is not None and (
        isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600
    ):
        raise RegistryError(f"{where}.delay: seconds between requests, e.g. 2.5")
    try:
        overrides = Overrides.from_dict(ov, f"{where}.overrides")
    except OverrideError as exc:
        raise RegistryError(str(exc)) from None
    region = entry.get("region")
    if region is not None:
        region = str(region)
        if not _REGION.match(region):
            raise RegistryError(f"{where}.region: a 行政区划代码 such as 430602 (digits)")
    schedule = entry.get("schedule")
    if schedule is not None:
        from crawler.sites.cadence import CadenceError, parse_cadence

        try:
            parse_cadence(schedule)
        except CadenceError as exc:
            raise RegistryError(f"{where}.schedule: {exc}") from None
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise RegistryError(f"{where}.name: a string")
    extra = entry.get("hosts") or []
    if isinstance(extra, str):
        extra = [extra]
    if not isinstance(extra, list) or not all(
        isinstance(h, str) and re.fullmatch(r"[A-Za-z0-9.-]+", h) for h in extra
    ):
        raise RegistryError(f"{where}.hosts: host names the crawl may also fetch from")
    return Site(
        key=key,
        name=name,
        region=region,
        listings=list(listings),
        overrides=overrides,
        schedule=schedule,
        delay=float(delay) if delay is not None else None,
        verified=entry.get("verified"),
        extra_hosts=[h.lower() for h in extra],
        raw=entry,
    )
