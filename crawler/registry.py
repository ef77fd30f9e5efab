"""The site registry: a TOML file a watchdog group keeps in its own git repository.

    [sites.yueyanglou]
    name = "岳阳楼区人民政府"
    region = "430602"
    listings = ["http://www.yueyanglou.gov.cn/…/tzgg/index.html"]
    [sites.yueyanglou.overrides]
    published = { labels = ["发稿时间"] }

A page belongs to the entry one of whose listing URLs has its host.  Pure: no Scrapy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.extract.overrides import OverrideError, Overrides, version_tag

_KNOWN = {"name", "region", "listings", "schedule", "overrides", "verified", "webhooks"}


class RegistryError(ValueError):
    """A registry that cannot be read; the message names the file and the entry."""


@dataclass
class Site:
    key: str
    name: str | None = None
    region: str | None = None
    listings: list[str] = field(default_factory=list)
    overrides: Overrides | None = None
    raw: dict = field(default_factory=dict)

    @property
    def hosts(self) -> set[str]:
        return {(urlsplit(u).hostname or "").lower() for u in self.listings}


@dataclass
class Registry:
    path: Path
    sites: dict[str, Site]

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
        sites = {}
        table = data.get("sites") or {}
        if not isinstance(table, dict):
            raise RegistryError(f"{path}: `sites` must be a table of [sites.KEY] entries")
        for key, entry in table.items():
            sites[key] = _site(key, entry, f"{path.name}: sites.{key}")
        return cls(path, sites)

    def for_url(self, url: str) -> Site | None:
        host = (urlsplit(url).hostname or "").lower()
        for site in self.sites.values():
            if host in site.hosts:
                return site
        return None


class PageExtractor:
    """extract(body, url, charset) -> Notice with the overrides of the page's site, as a crawl
    extracts it, and tag(url): the extractor version that records (for re-deriving)."""

    def __init__(self, reg: Registry | None):
        self.reg = reg

    def overrides(self, url: str) -> Overrides | None:
        entry = self.reg.for_url(url) if self.reg is not None else None
        return entry.overrides if entry is not None else None

    def tag(self, url: str) -> str:
        return version_tag(self.overrides(url))

    def __call__(self, body: bytes, url: str, charset: str | None):
        from crawler.extract import extract_notice

        ov = self.overrides(url)
        return extract_notice(body, url, (ov.encoding if ov else None) or charset, ov)


page_extractor = PageExtractor


def _site(key: str, entry, where: str) -> Site:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a table")
    unknown = set(entry) - _KNOWN
    if unknown:
        raise RegistryError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(_KNOWN)})")
    listings = entry.get("listings") or []
    if isinstance(listings, str):
        listings = [listings]
    if not isinstance(listings, list) or not all(
        isinstance(u, str) and urlsplit(u).scheme in ("http", "https") and urlsplit(u).hostname
        for u in listings
    ):
        raise RegistryError(f"{where}.listings: a list of http(s) URLs")
    try:
        overrides = Overrides.from_dict(entry.get("overrides"), f"{where}.overrides")
    except OverrideError as exc:
        raise RegistryError(str(exc)) from None
    return Site(
        key=key,
        name=entry.get("name"),
        region=str(entry["region"]) if entry.get("region") is not None else None,
        listings=list(listings),
        overrides=overrides,
        raw=entry,
    )
