"""`tzgg serve`: Datasette over the archive, with pages a journalist needs without SQL."""

from __future__ import annotations

from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"

_SEARCH = """
select n.id, cv.title, substr(cv.published, 1, 10) as published, n.status, n.site,
  tzgg_snippet(v.title, v.body, :q) as snippet, n.url
from search_index s
  join versions v on v.rowid = (s.rowid & 4294967295)
  join notices n on n.id = v.notice_id and v.version = n.current_version
  join versions cv on cv.notice_id = n.id and cv.version = n.current_version
where search_index match tzgg_match(:q)
order by s.rowid desc limit 100
"""

_EVENTS = """
select e.at, e.site, e.title, e.{detail}, e.url, e.notice_id as id
from events e where e.kind = '{kind}' order by e.id desc limit 200
"""

_HISTORY = """
select v.version, v.first_seen, v.last_seen, v.title, v.published, v.source, v.doc_number,
  v.changed, v.url
from versions v where v.notice_id = :id order by v.version
"""

_DIFF = """
select 'title' as field, tzgg_diff(a.title, b.title) as diff
  from versions a join versions b on b.notice_id = a.notice_id
  where a.notice_id = :id and a.version = :a and b.version = :b
union all
select 'published', tzgg_diff(a.published, b.published)
  from versions a join versions b on b.notice_id = a.notice_id
  where a.notice_id = :id and a.version = :a and b.version = :b
union all
select 'body', tzgg_diff(a.body, b.body)
  from versions a join versions b on b.notice_id = a.notice_id
  where a.notice_id = :id and a.version = :a and b.version = :b
"""


def metadata(db_name: str) -> dict:
    return {
        "title": "tzgg 通知公告档案 · archive of government notices",
        "description": (
            "每一条通知公告的每一个版本：修改与删除都有记录。"
            " Every version of every notice: edits and removals on record."
        ),
        "databases": {
            db_name: {
                "tables": {
                    "notices": {
                        "description": "通知公告（当前状态）· notices, their current state",
                        "columns": {
                            "status": "active 在线 | removed 已删除 | delisted 已下架",
                            "current_version": "最新版本号 · the current version",
                        },
                    },
                    "versions": {
                        "description": "每次内容变化一个版本 · one row per change of content",
                        "columns": {
                            "changed": "与上一版本相比改动的字段 · fields changed",
                            "body_html": "已清理的正文 HTML（不执行脚本）· sanitized HTML",
                        },
                    },
                    "events": {
                        "description": "新增、修改、删除、恢复、下架、重新上架 · every change",
                    },
                    "search_index": {"hidden": True},
                },
                "queries": {
                    "search": {
                        "title": "全文检索 · search",
                        "description": '两个字及以上的词、"短语"、AND / OR / NOT；最新在前',
                        "sql": _SEARCH,
                    },
                    "recent_removals": {
                        "title": "最近删除 · recent removals",
                        "sql": _EVENTS.format(kind="removed", detail="reason"),
                    },
                    "recent_edits": {
                        "title": "最近修改 · recent edits",
                        "sql": _EVENTS.format(kind="edited", detail="fields"),
                    },
                    "notice_history": {
                        "title": "一条通知的历史 · a notice's history",
                        "sql": _HISTORY,
                    },
                    "version_diff": {
                        "title": "两个版本对比 · compare two versions",
                        "description": "删去的字在左，新增的字在右 · removed left, added right",
                        "sql": _DIFF,
                    },
                },
            }
        },
    }
