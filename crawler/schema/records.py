"""The one schema: a normalized notice, and the records the spider hands to the archive.

Pure dataclasses: no Scrapy, no SQLite.  The archive's columns, the JSON output and the
exports all derive from `Notice`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

EXTRACTOR_VERSION = "3"  # bumped when extraction output changes (then run `tzgg reextract`)

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


# In a notice dict, an attachment whose bytes are known also has "sha256" and "size" (bytes):
# downloaded in this crawl, or carried over from a 304 or the version before.


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
    # {"text", "start", "end", "days", "unit", "approximate"}: a 公示 or comment window
    objection_window: dict | None = None
    # {"text", "person", "phone", "email", "address"}: whom the notice says to contact
    contact: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Notice:
        d = dict(d)
        d["attachments"] = [
            a if isinstance(a, Attachment) else Attachment(name=a["name"], url=a["url"])
            for a in d.get("attachments") or []
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
    # where the items were read: the live markup, a script's data, or a list the template
    # keeps in an HTML comment (which may be stale: it testifies to no absence)
    source: str = "markup"


# Records the spider yields.  Plain data so that a queue (scrapy-redis, later) can carry them
# between crawler processes and the single archive writer.


@dataclass
class Fetch:
    """One HTTP exchange (or a failed attempt) and what was extracted from it."""

    site: str
    kind: str  # listing | detail | part (a continuation page of a multi-page article)
    url: str  # as requested
    at: str  # RFC 3339 UTC
    final_url: str | None = None
    redirected: bool = False
    redirects: list = field(default_factory=list)  # [[url, status], ...] followed to final_url
    # the same redirects whole: [[url, status, protocol, headers, at], ...]
    hops: list = field(default_factory=list)
    http_version: str | None = None
    status: int | None = None
    reason: str | None = None
    headers: list = field(default_factory=list)  # [[name, value], ...]
    request_headers: list = field(default_factory=list)
    body: bytes | None = None
    decoded_from: str | None = None  # Content-Encoding the body was decompressed from
    error: str | None = None  # timeout | dns | connection | ... for failed attempts
    notice: dict | None = None  # Notice.to_dict() when the page was a detail page
    page_class: str = "ok"  # ok | soft_404 | blocked | login_wall
    phrase: str | None = None  # the phrase that classified the page
    encoding: str | None = None  # the charset the body was decoded with
    charset: str | None = None  # the charset the HTTP headers declared
    extractor_version: str = EXTRACTOR_VERSION
    home: bool = False  # final URL is the site's home page or a listing page
    parts: list = field(default_factory=list)  # [[url, body bytes], ...] joined into notice
    # One dict per attachment fetch (see spiders/notices.py `_file_record`): url, final_url,
    # at, http_version, status, reason, headers, request_headers, redirects, body (bytes or
    # None), decoded_from, error (None | timeout | too_large | http_404 | ...), sha256, text,
    # text_error, content_type.
    files: list = field(default_factory=list)
    # The extracted text of attachments this notice shares with one fetched for another
    # notice in this crawl: [{sha256, content_type, text, error}], so that its version is
    # indexed with them whichever record is stored first.
    texts: list = field(default_factory=list)


@dataclass
class Listed:
    """The notice links one listing page showed."""

    site: str
    listing_url: str  # this page
    walk: str = ""  # the listing's first page: the walk this page belongs to
    entries: list[ListingEntry] = field(default_factory=list)


# A walk's reason that is a note, not a failure: the walk finished, but what it listed cannot
# show a notice gone from the column (so it delists nothing, and flags nothing).
NO_DELISTING = "nodelist:"


@dataclass
class WalkEnd:
    """A listing walk finished: complete when it reached the last page within the bound."""

    site: str
    listing_url: str
    complete: bool
    pages: int
    reason: str | None = None
