"""One crawl's session, whatever runs it (`tzgg crawl`, `scrapy crawl notices`, `tzgg
ingest`): the archive created or migrated first, the archive's and the sites' locks held for
the crawl, the registry's webhooks told of it before and delivered to after, and the plan.
No Scrapy here."""

from __future__ import annotations

from contextlib import ExitStack

from archive.storage.db import archive_lock, connect, site_lock
from crawler.service.hooks import deliver_after_crawl, register_before_crawl
from crawler.service.plan import CrawlPlan, archive_inputs, fetch_plan
from crawler.sites.registry import Registry


class CrawlSession:
    def __init__(self, settings, site_of: dict[str, str], reg: Registry | None = None):
        self.settings = settings
        self.db = settings.get("TZGG_DB")
        self.reg = reg
        self.site_of = site_of
        self.locks = ExitStack()
        self.plan: CrawlPlan | None = None

    def open(self) -> CrawlPlan:
        """Migrate, lock, register hooks, plan.  ArchiveError / ArchiveBusy when it cannot;
        then nothing is held."""
        connect(self.db, readonly=False).close()  # a bad path fails before any lock
        plan = fetch_plan(self.reg, self.site_of)
        try:
            self.locks.enter_context(archive_lock(self.db, exclusive=False))
            for name in sorted(plan.locked_names()):
                self.locks.enter_context(site_lock(self.db, name))
            # read under the locks: no other crawl of these sites writes meanwhile
            archive_inputs(self.settings, plan)
        except BaseException:
            self.locks.close()
            raise
        if self.reg is not None and self.reg.hooks:
            register_before_crawl(self.db, self.reg)
        self.plan = plan
        return plan

    def close(self) -> str | None:
        """Release the locks, then deliver what the crawl made due: the line to show (None
        without webhooks)."""
        self.locks.close()
        if self.plan is None or self.reg is None or not self.reg.hooks:
            return None
        self.plan = None
        return deliver_after_crawl(self.db, self.reg)

    def __enter__(self) -> CrawlPlan:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
