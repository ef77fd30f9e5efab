"""An example district website on loopback, for tests, `tzgg demo` and benchmarks.

`DistrictSite` is a mutable model of one district's 通知公告 column in a TRS, Hanweb or
Yueyang style, built in layers: .model (notices, listing order, the changes a scenario
makes), .pages (the HTML of each style), .http (requests to responses: `DistrictSite`);
.server puts it on 127.0.0.1 in a daemon thread (`serve`, `SiteServer`); .synthetic generates
plausible notices (`DistrictSite.generate`); .scenario is the demo's three-round story.
Standard library only: nothing here imports Scrapy.
"""

from crawler.demo.http import DistrictSite, Response
from crawler.demo.model import (
    BLOCKED_TEXT,
    CST,
    EDITABLE,
    LISTING_STATES,
    SOFT404_TEXT,
    STATES,
    STYLES,
    Request,
    RequestLog,
)
from crawler.demo.server import SiteServer, serve

__all__ = [
    "BLOCKED_TEXT",
    "CST",
    "DistrictSite",
    "EDITABLE",
    "LISTING_STATES",
    "Request",
    "RequestLog",
    "Response",
    "SOFT404_TEXT",
    "STATES",
    "STYLES",
    "SiteServer",
    "serve",
]
