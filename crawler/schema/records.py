"""The one schema: a normalized notice, and the records the spider hands to the archive.

Pure dataclasses: no Scrapy, no SQLite.  Each field of `Notice` carries its metadata
(crawler/schema/fields.py): the version fields, the archive's columns (checked when it is
opened), the diff, the search index, the JSON output, the exports, the UI's labels and the
extraction eval all derive from it.  A new field is an edit here and its column's migration
(archive/storage/db.py); tests/test_schema.py checks that every layer covers it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from crawler.schema.fields import field_specs, meta, version_fields

EXTRACTOR_VERSION = "3"  # bumped when extraction output changes (then run `tzgg reextract`)


@dataclass
class Attachment:
    name: str
    url: str
    # known once its bytes are: downloaded in this crawl, or carried over from a 304 or the
    # version before
    sha256: str | None = None
    size: int | None = None  # bytes

    def to_dict(self) -> dict:
        """As the archive stores it: `sha256` and `size` only when known."""
        d = {"name": self.name, "url": self.url}
        if self.sha256 is not None:
            d["sha256"] = self.sha256
        if self.size is not None:
            d["size"] = self.size
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Attachment:
        return cls(name=d["name"], url=d["url"], sha256=d.get("sha256"), size=d.get("size"))


@dataclass
class Notice:
    """A normalized notice.  Each field's metadata (crawler/schema/fields.py) says how the
    archive stores, compares, searches, exports and shows it."""

    url: str = field(metadata=meta("网址", "URL", 13, "key"))
    canonical_url: str = field(metadata=meta("规范网址", "canonical URL", 14, "key"))
    site: str = field(metadata=meta("站点", "site", 15, "key"))
    title: str | None = field(
        default=None,
        metadata=meta(
            "标题", "title", 1, version=True, search=1, core=True, brief=True, free_text=True
        ),
    )
    published: str | None = field(  # ISO 8601, '+08:00' when it has a time
        default=None,
        metadata=meta("发布日期", "published", 2, "date", version=True, core=True, brief=True),
    )
    source: str | None = field(
        default=None,
        metadata=meta("来源", "source", 4, version=True, search=4, brief=True, free_text=True),
    )
    doc_number: str | None = field(
        default=None,
        metadata=meta("文号", "document number", 5, version=True, search=2, brief=True),
    )
    index_number: str | None = field(
        default=None, metadata=meta("索引号", "index number", 6, version=True, search=3)
    )
    written: str | None = field(
        default=None, metadata=meta("成文日期", "date written", 3, "date", version=True)
    )
    body: str = field(
        default="",
        metadata=meta(
            "正文",
            "body",
            11,
            "body",
            version=True,
            search=5,
            core=True,
            free_text=True,
            eval=("body_first_20", "body_last_20"),
        ),
    )
    body_html: str = field(
        default="", metadata=meta("已清理的正文 HTML（不执行脚本）", "sanitized HTML", 12, "html")
    )
    # its names, and the text of each file whose bytes are known, are searched
    attachments: list[Attachment] = field(
        default_factory=list,
        metadata=meta("附件", "attachments", 8, "files", version=True, search=6),
    )
    breadcrumb: list[str] = field(
        default_factory=list,
        metadata=meta("栏目路径", "breadcrumb", 7, "list", free_text=True),
    )
    # {"text", "start", "end", "days", "unit", "approximate"}: a 公示 or comment window
    objection_window: dict | None = field(
        default=None, metadata=meta("公示期", "objection window", 9, "object", free_text=True)
    )
    # {"text", "person", "phone", "email", "address"}: whom the notice says to contact
    contact: dict | None = field(
        default=None, metadata=meta("联系方式", "contact", 10, "object", free_text=True)
    )

    def to_dict(self) -> dict:
        # Fields hold strings, lists of strings and flat dicts: a copy one level deep is a
        # whole copy, at a tenth of what `asdict`'s recursion costs on every page.
        d = {k: _copied(v) for k, v in vars(self).items()}
        d["attachments"] = [a.to_dict() for a in self.attachments]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Notice:
        d = dict(d)
        d["attachments"] = [
            a if isinstance(a, Attachment) else Attachment.from_dict(a)
            for a in d.get("attachments") or []
        ]
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _copied(v):
    if isinstance(v, list):
        return [dict(x) if isinstance(x, dict) else x for x in v]
    if isinstance(v, dict):
        return dict(v)
    return v


# Every notice field's spec, in field order; and the fields whose change makes a new version.
NOTICE_FIELDS = field_specs(Notice)
VERSION_FIELDS = version_fields(NOTICE_FIELDS)


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


# Records the spider yields.  A queue carries them between crawler processes and the single
# archive writer as plain data (`to_record`, `from_record`).


@dataclass
class FileFetch:
    """One attachment download (or a failed attempt), made for the notice of a detail fetch."""

    url: str
    at: str  # RFC 3339 UTC
    final_url: str | None = None
    http_version: str | None = None
    status: int | None = None
    reason: str | None = None
    headers: list = field(default_factory=list)  # [[name, value], ...]
    request_headers: list = field(default_factory=list)
    redirects: list = field(default_factory=list)
    hops: list = field(default_factory=list)
    decoded_from: str | None = None
    error: str | None = None  # None | timeout | too_large | http_404 | html_page | empty | ...
    body: bytes | None = None  # the file, when downloaded whole (2xx)
    sha256: str | None = None  # the body's, or for a 304 the one its validators were sent for
    text: str | None = None  # its extracted text (PDF, DOCX)
    text_error: str | None = None
    content_type: str | None = None


@dataclass
class FileText:
    """The text of a file fetched for another notice of this crawl, carried with a notice that
    shares it, so that its version is indexed with it whichever record is stored first."""

    sha256: str
    content_type: str | None = None
    text: str | None = None
    error: str | None = None


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
    notice: Notice | None = None  # when the page was a detail page
    page_class: str = "ok"  # ok | soft_404 | blocked | login_wall
    phrase: str | None = None  # the phrase that classified the page
    encoding: str | None = None  # the charset the body was decoded with
    charset: str | None = None  # the charset the HTTP headers declared
    extractor_version: str = EXTRACTOR_VERSION
    home: bool = False  # final URL is the site's home page or a listing page
    parts: list = field(default_factory=list)  # [[url, body bytes], ...] joined into notice
    files: list[FileFetch] = field(default_factory=list)  # its notice's attachments
    texts: list[FileText] = field(default_factory=list)


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


# -- records as plain data: what the archive ingests and a queue carries ---------------------

RECORD_TYPES = {"fetch": Fetch, "listed": Listed, "walk": WalkEnd}
_TYPE_OF = {cls: name for name, cls in RECORD_TYPES.items()}


def to_record(item) -> dict:
    """A record as plain data (dicts, lists, bytes), with its `type`.  Shallow where it can
    be: the bodies' bytes are not copied."""
    record = dict(vars(item))
    record["type"] = _TYPE_OF[type(item)]
    if isinstance(item, Listed):
        record["entries"] = [asdict(e) for e in item.entries]
    elif isinstance(item, Fetch):
        record["notice"] = item.notice.to_dict() if item.notice is not None else None
        record["files"] = [dict(vars(f)) for f in item.files]
        record["texts"] = [dict(vars(t)) for t in item.texts]
    return record


def from_record(record: dict):
    """The typed record `to_record` made (keys a record gained on the way are left out)."""
    cls = RECORD_TYPES[record["type"]]
    d = {f.name: record[f.name] for f in fields(cls) if f.name in record}
    if cls is Listed:
        d["entries"] = [ListingEntry(**e) for e in d.get("entries") or []]
    elif cls is Fetch:
        d["notice"] = Notice.from_dict(d["notice"]) if d.get("notice") else None
        d["files"] = [_typed(FileFetch, f) for f in d.get("files") or []]
        d["texts"] = [_typed(FileText, t) for t in d.get("texts") or []]
    return cls(**d)


def _typed(cls, d: dict):
    return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})
