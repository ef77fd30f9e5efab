"""An example district website on loopback, for tests, `tzgg demo` and benchmarks.

`site.DistrictSite` is a mutable model of one district's 通知公告 column in a TRS or Hanweb
style; `site.serve` puts it on 127.0.0.1 in a daemon thread; `scenario` is the demo's
three-round story.  Standard library only: nothing here imports Scrapy.
"""

from crawler.demo.site import DistrictSite, Response, SiteServer, serve

__all__ = ["DistrictSite", "Response", "SiteServer", "serve"]
