"""The Fujian (平潭) template: TRS underneath, the items in avalon ``$showStatic`` groups
(merged by the generic block heuristics), paged by TRS's createPageHTML when it is there."""

from __future__ import annotations

import re

from .family import Evidence, Family, Page, Paging
from .trs import FAMILY as TRS

_SHOW_STATIC = re.compile(r"\$showStatic\s*\(", re.I)


class Fujian(Family):
    name = "fujian"

    def detect(self, page: Page) -> Evidence:
        return Evidence.TEMPLATE if _SHOW_STATIC.search(page.text) else Evidence.NONE

    def pager(self, page: Page) -> Paging | None:
        return TRS.pager(page)


FAMILY = Fujian()
