"""The one schema: a normalized notice, and the records the spider hands to the archive.

Pure dataclasses: no Scrapy, no SQLite.  The archive's columns, the JSON output and the
exports all derive from `Notice`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

EXTRACTOR_VERSION = "1"

# The fields whose change makes a new version (compared after whitespace folding).
VERSION_FIELDS = (
    "title",
    "published",
    "source",
    "doc_number",
    "index_number",
    "written",
    "body",
    "attachments",
)


@dataclass
class Attachment:
    name: str
    url: str


@dataclass
class Notice:
    url: str
    canonical_url: str
    site: str
    title: str | None = None
    published: str | None = None  # ISO 8601, '+08:00' when it has a time
    source: str | None = None
    doc_number: str | None = None
    index_number: str | None = None
    written: str | None = None
    body: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    breadcrumb: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Notice:
        d = dict(d)
        d["attachments"] = [
            a if isinstance(a, Attachment) else Attachment(**a) for a in d.get("attachments") or []
        ]
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class ListingEntry:
    """One notice link seen on a listing page."""

    url: str
    title: str | None
    date: str | None  # ISO date as listed, or None


@dataclass
class ListingPage:
    """What a listing parser found on one page."""

    items: list[ListingEntry] = field(default_factory=list)
    next_urls: list[str] = field(default_factory=list)  # further listing pages to walk
    last_page: bool = False  # True when the page says it is the last one
    page_count: int | None = None  # total pages, when the page says
    family: str = "generic"
