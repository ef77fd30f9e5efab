"""The demo district's pages: the HTML of each CMS style (listing, detail, home, news, error
and challenge pages, the Hanweb data proxy's XML).  Three styles, after the CMS families in
shared/realpages/REPORT.md:

* ``trs``: UTF-8 static pages, `/tzgg/index.html`, `index_1.html` … with
  `createPageHTML(...)` pagination; details `/tzgg/YYYYMM/tYYYYMMDD_<docid>.html` in
  `div.TRS_Editor`.  ETag / Last-Modified with 304s, gzip.
* ``hanweb``: GB18030 bytes declared as gb2312, dynamic pages (no validators, a view
  counter that moves on every request), a column page embedding the first records as
  `<datastore>` XML and `/module/web/jpage/dataproxy.jsp` for the rest.
* ``yueyang``: the Hunan (Yueyang) 集约化 platform of the 岳阳楼区 notice that started the
  project.  UTF-8 static pages with validators, like ``trs``.  The column at
  `/32415/40825/index.html`, then `index_2.html` …, paged by a plain 下一页 link and a
  "共N页" text; details `/32415/40825/content_<docid>.html` whose metadata line is adjacent
  inline elements with no whitespace between them,
  `<span>来源:区政府办公室</span><span>日期:2021-09-24 16:12</span><span>字号:【大 中 小】</span>`,
  then 浏览量 and 视力保护色.  No PubDate / ContentSource meta tags (pages of the family
  often carry them): that line is the only place the date and the source are written.

`Pages` adds the renderers to the model (.model); .http serves what they return.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from .model import (
    BLOCKED_TEXT,
    COLUMN_ID,
    CST,
    UNIT_ID,
    YY_COLUMN_ID,
    YY_GSGG_ID,
    YY_NEWS_ID,
    YY_SITE_ID,
    YY_ZWGK_ID,
    SiteModel,
    SiteNotice,
)

_NOW, _VIEWS = "\x00now\x00", "\x00views\x00"  # per-request slots in cached Hanweb pages

_WEEK = "一二三四五六日"
_DATE_LINE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九十]{4}年[一二三四五六七八九十]+月[一二三四五六七八九十]+日"
)
esc = html.escape


class Pages(SiteModel):
    """The model, rendered: every method returns the text of one page (or part of one)."""

    # ---- templates: shared -------------------------------------------------------------

    def _head(self, title: str, metas: dict[str, str] | None = None, extra: str = "") -> str:
        if self.style == "trs":
            charset = '<meta charset="utf-8">'
        elif self.style == "yueyang":
            charset = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        else:
            charset = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        meta = {
            "SiteName": self.name,
            "SiteDomain": self.domain,
            "SiteIDCode": "4306020001",
            **(metas or {}),
        }
        lines = "\n".join(f'<meta name="{k}" content="{esc(v)}">' for k, v in meta.items())
        return (
            f"<!DOCTYPE html>\n<html>\n<head>\n{charset}\n"
            '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">\n'
            f"{lines}\n<title>{esc(title)}</title>\n"
            '<link rel="stylesheet" type="text/css" href="/images/common.css">\n'
            '<script type="text/javascript" src="/js/jquery-1.12.4.min.js"></script>\n'
            f"{extra}</head>\n"
        )

    def _top(self) -> str:
        """Header and nav; the date line is the build time (TRS) or the request time."""
        if self.style == "yueyang":
            return self._yy_top()
        if self.style == "trs":
            today = today_line(datetime.fromtimestamp(self._build_time, CST))
        else:
            today = _NOW
        return (
            '<body>\n<div class="top-bar"><div class="w1200">'
            f'<span class="today">今天是{today}</span>'
            '<span class="links"><a href="/">网站首页</a> | <a href="javascript:;">无障碍浏览</a>'
            ' | <a href="javascript:;">长者模式</a> | <a href="javascript:;">手机版</a></span>'
            "</div></div>\n"
            f'<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" '
            f'alt="{esc(self.name)}"></a></div>\n'
            '<div class="search"><form action="/search/index.html" method="get">'
            '<input type="text" name="searchword" placeholder="请输入关键字">'
            '<button type="submit">搜索</button></form></div></div>\n'
            '<div class="nav"><ul><li><a href="/">首页</a></li>'
            '<li><a href="/xwzx/index.html">新闻中心</a></li>'
            '<li><a href="/zwgk/index.html">政务公开</a></li>'
            f'<li><a href="{self.listing_path(0)}">通知公告</a></li>'
            '<li><a href="/zmhd/index.html">政民互动</a></li>'
            '<li><a href="/bsfw/index.html">办事服务</a></li></ul></div>\n'
        )

    def _crumb(self) -> str:
        zwgk = "/zwgk/index.html" if self.style == "trs" else f"/col/col{COLUMN_ID - 1}/index.html"
        return (
            '<div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            f'<a href="{zwgk}">政务公开</a> &gt; <a href="{self.listing_path(0)}">通知公告</a>'
            "</div>\n"
        )

    def _footer(self) -> str:
        built = datetime.fromtimestamp(self._build_time, CST).strftime("%Y-%m-%d %H:%M:%S")
        return (
            '<div class="footer"><div class="w1200">\n'
            f"<p>主办：{esc(self.name)}办公室　承办：{esc(self.short_name)}政务服务中心</p>\n"
            "<p>网站标识码：4306020001　湘ICP备05001234号-1　湘公网安备 43060202000123号</p>\n"
            f"<p>地址：湖南省岳阳市{esc(self.short_name)}金鹗中路1号　邮编：414000　"
            "联系电话：0730-8221234</p>\n</div></div>\n"
            f'<script type="text/javascript">var _token="{self._token}";</script>\n'
            f"<!-- 页面生成时间：{built} build {self._build} -->\n</body>\n</html>\n"
        )

    def _news(self) -> list[tuple[str, str, str]]:
        """The 热点新闻 sidebar: (path, title, date), dated near the build time."""
        base = datetime.fromtimestamp(self._build_time, CST)
        titles = (
            f"{self.short_name}召开{base.year}年安全生产工作会议",
            "区领导调研重点项目建设进展情况",
            f"{self.short_name}开展“文明城市”创建志愿服务活动",
            "全区防汛抗旱工作部署会召开",
            "区政务服务中心推出“一件事一次办”新举措",
        )
        out = []
        for i, t in enumerate(titles):
            d = base - timedelta(days=2 * i + 1)
            if self.style == "trs":
                p = f"/xwzx/{d:%Y%m}/t{d:%Y%m%d}_{9001 + i}.html"
            elif self.style == "yueyang":
                p = f"/{YY_SITE_ID}/{YY_NEWS_ID}/content_{9001 + i}.html"
            else:
                p = f"/art/{d.year}/{d.month}/{d.day}/art_1111_{9001 + i}.html"
            out.append((p, t, f"{d:%Y-%m-%d}"))
        return out

    def _sidebar(self) -> str:
        items = "".join(
            f'<li><a href="{p}" target="_blank" title="{esc(t)}">{esc(t)}</a><span>{d}</span></li>'
            for p, t, d in self._news()
        )
        more = "/xwzx/index.html"
        if self.style == "yueyang":
            more = f"/{YY_SITE_ID}/{YY_NEWS_ID}/index.html"
        return (
            '<div class="side-box"><div class="side-title"><h3>热点新闻</h3>'
            f'<a href="{more}" class="more">更多</a></div>\n<ul class="side-news">{items}</ul>'
            "</div>\n"
        )

    def _render_home(self) -> str:
        items = "".join(
            f'<li><a href="{p}" target="_blank">{esc(t)}</a><span>{d}</span></li>'
            for p, t, d in self._news()
        )
        return (
            self._head(f"{self.name}门户网站")
            + self._top()
            + '<div class="main w1200">\n<div class="banner"><img src="/images/banner.jpg" '
            'alt=""></div>\n<div class="home-news"><div class="box-title"><h3>要闻动态</h3>'
            f'</div>\n<ul class="news">{items}</ul></div>\n'
            '<div class="home-links"><a href="/zwgk/index.html">政府信息公开</a>'
            '<a href="/bsfw/index.html">网上办事大厅</a><a href="/zmhd/index.html">区长信箱</a>'
            "</div>\n</div>\n" + self._footer()
        )

    def _render_news(self, i: int) -> str:
        p, t, d = self._news()[i]
        return (
            self._head(t, {"ColumnName": "新闻中心", "ArticleTitle": t, "PubDate": d})
            + self._top()
            + '<div class="main w1200">\n<div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            '<a href="/xwzx/index.html">新闻中心</a></div>\n'
            f'<div class="article"><h1>{esc(t)}</h1><div class="info">来源：{esc(self.short_name)}融媒体中心'
            f' 发布时间：{d} 09:00</div>\n<div class="TRS_Editor"><p>　　{d}，{esc(t)}。</p>'
            "</div></div>\n</div>\n" + self._footer()
        )

    def _render_message(self, text: str, title: str) -> str:
        return (
            self._head(title)
            + self._top()
            + f'<div class="main w1200"><div class="error-box"><img src="/images/404.png" alt="">'
            f'<p class="error-text">{esc(text)}</p><p><a href="/">返回首页</a></p></div></div>\n'
            + self._footer()
        )

    def _render_block(self) -> str:
        return (
            self._head("访问受限")
            + '<body><div class="waf-box" style="text-align:center;margin-top:100px">'
            f"<h2>{BLOCKED_TEXT}</h2><p>您的访问频率过高，已被安全防护系统暂时限制。</p>"
            f"<p>事件ID：{self._token}</p></div></body></html>\n"
        )

    def _body_html(self, n: SiteNotice) -> str:
        signed = len(n.body) >= 2 and bool(_DATE_LINE.fullmatch(n.body[-1]))
        out = []
        for i, p in enumerate(n.body):
            if i == 0 and p.endswith("："):  # the salutation, flush left
                out.append(f"<p>{esc(p)}</p>")
            elif signed and i >= len(n.body) - 2:  # signing office and date
                out.append(f'<p style="text-align: right;">{esc(p)}</p>')
            else:
                out.append(f"<p>　　{esc(p)}</p>")
        return "\n".join(out)

    def _attachments_html(self, n: SiteNotice) -> str:
        if not n.attachments:
            return ""
        links = "<br>\n".join(f'<a href="{esc(u)}">{esc(name)}</a>' for name, u in n.attachments)
        return f'<div class="fujian"><span>附件：</span>{links}</div>\n'

    # ---- templates: TRS --------------------------------------------------------------

    def _render_trs_listing(self, k: int, count: int) -> str:
        head = self._head(
            f"通知公告 - {self.name}", {"ColumnName": "通知公告"}, _CREATE_PAGE_HTML_SCRIPT
        )
        if self._listing_state == "redesign":
            return head + self._top() + _REDESIGN + self._footer()
        items = "\n".join(
            f'<li><a href="{_rel(p)}" title="{esc(n.title)}" target="_blank">{esc(n.title)}</a>'
            f"<span>{n.published[:10]}</span></li>"
            for n, p in self._page_entries(k)
        )
        return self._column_page(
            head,
            f'<ul class="list">\n{items}\n</ul>\n<div class="page">\n<script type="text/javascript">\n'
            f"var countPage = {count};//共多少页\nvar currentPage = {k};//所在页从0开始\n"
            f'createPageHTML({count}, {k}, "index", "html");\n</script>\n</div>\n',
        )

    def _column_page(self, head: str, listing: str) -> str:
        """The column page's shell (header, crumb, sidebar, footer) around its `listing`."""
        return (
            head
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb()
            + '<div class="left-side">\n'
            + self._sidebar()
            + '</div>\n<div class="right-main">\n<div class="column-title"><h2>通知公告</h2></div>\n'
            + listing
            + "</div>\n</div>\n"
            + self._footer()
        )

    def _render_trs_detail(self, n: SiteNotice, part: int = 0) -> str:
        count = 100 + (n.nid * 37) % 400 + self._build * 7
        body = self._body_html(n) if part == 0 else _plain_paras(n.parts[part - 1])
        paging = ""
        if n.parts:  # TRS writes an article's page bar with the listing's function
            stem = n.path.rsplit("/", 1)[1].rsplit(".", 1)[0]
            paging = (
                f'<div class="page"><script>createPageHTML({len(n.parts) + 1}, {part}, '
                f'"{stem}", "html");</script></div>\n'
            )
        meta = {
            "ColumnName": "通知公告",
            "ArticleTitle": n.title,
            "PubDate": n.published,
            "ContentSource": n.source or "",
        }
        rows = [
            (label, value)
            for label, value in (
                ("索引号", n.index_number),
                ("文号", n.doc_number),
                ("成文日期", n.written),
            )
            if value
        ]
        table = ""
        if rows:
            cells = "".join(f"<tr><th>{lab}：</th><td>{esc(v)}</td></tr>" for lab, v in rows)
            table = f'<table class="xxgk-table">{cells}</table>\n'
        return (
            self._head(f"{n.title} - {self.name}", meta)
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb()
            + f'<div class="article">\n<h1>{esc(n.title)}</h1>\n'
            f'<div class="info">来源：{esc(n.source or "")} 发布时间：{n.published} '
            f'浏览次数：<span id="count">{count}</span></div>\n'
            + table
            + f'<div class="article-content"><div class="TRS_Editor">\n{body}\n'
            "</div></div>\n"
            + paging
            + self._attachments_html(n)
            + '<div class="share-bar"><span class="share">分享到：<a href="javascript:;" '
            'class="wx">微信</a> <a href="javascript:;" class="wb">微博</a></span>'
            '<span class="tools"><a href="javascript:window.print();">打印本页</a> '
            '<a href="javascript:window.close();">关闭窗口</a></span></div>\n</div>\n'
            '<div class="right-side">\n' + self._sidebar() + "</div>\n</div>\n" + self._footer()
        )

    # ---- templates: Hanweb -----------------------------------------------------------

    def _render_hanweb_column(self) -> str:
        head = self._head(f"通知公告 {self.name}", {"ColumnName": "通知公告"})
        if self._listing_state == "redesign":
            return head + self._top() + _REDESIGN + self._footer()
        entries = [] if self._listing_state == "empty" else self._entries()
        records = "".join(hanweb_record(n, p) for n, p in entries[: self.page_size])
        webname = esc(self.short_name)
        return self._column_page(
            head,
            f'<div class="default_pgContainer"><div id="{UNIT_ID}">'
            '<script type="text/xml"><datastore>'
            '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1'
            f"&webid=1&path=/&columnid={COLUMN_ID}&unitid={UNIT_ID}&webname={webname}"
            '&permissiontype=0"></a>]]></nextgroup>'
            f"<recordset>{records}</recordset></datastore></script></div></div>\n"
            '<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
            f'<script type="text/javascript">var totalRecord = {len(entries)}; '
            f"var perpage = {self.page_size}; var columnid = {COLUMN_ID}; "
            f"var unitid = {UNIT_ID}; var proxyUrl = "
            '"/module/web/jpage/dataproxy.jsp";</script>\n',
        )

    def _render_hanweb_detail(self, n: SiteNotice) -> str:
        built = datetime.fromtimestamp(self._build_time, CST).strftime("%Y-%m-%d %H:%M:%S")
        meta = {
            "ColumnName": "通知公告",
            "ColumnType": "通知公告",
            "ArticleTitle": n.title,
            "PubDate": n.published,
            "ContentSource": n.source or "",
            "Maketime": built,
        }
        src = f"<!--<$[信息来源]>begin-->{esc(n.source or '')}<!--<$[信息来源]>end-->"
        return (
            self._head(n.title, meta)
            + self._top()
            + '<div class="main w1200">\n'
            + self._crumb().replace('class="crumb"', 'class="position"')
            + '<div class="con">\n<table class="xxgk_table" cellspacing="0" cellpadding="0">\n'
            f"<tr><th>索引号：</th><td>{esc(n.index_number or '')}</td>"
            f"<th>发布机构：</th><td>{esc(n.source or '')}</td></tr>\n"
            f"<tr><th>文号：</th><td>{esc(n.doc_number or '')}</td>"
            f"<th>成文日期：</th><td>{esc(n.written or '')}</td></tr>\n"
            f"<tr><th>发布日期：</th><td>{n.published[:10]}</td><th>主题分类：</th>"
            "<td>通知公告</td></tr>\n</table>\n"
            f'<p class="con-title"><!--<$[标题名称]>begin-->{esc(n.title)}'
            "<!--<$[标题名称]>end--></p>\n"
            f'<div class="small-title"><span>发布日期：{n.published}</span>'
            f"<span>浏览次数：{_VIEWS}</span><span>信息来源：{src}</span></div>\n"
            '<div class="main-txt" id="zoom">\n<!--<$[信息内容]>begin--><meta name="ContentStart">'
            f'{self._body_html(n)}<meta name="ContentEnd"><!--<$[信息内容]>end-->\n</div>\n'
            + self._attachments_html(n)
            + '<div class="main-word"><div class="main-word-left"><div class="bdsharebuttonbox">'
            '<a class="bds_qzone" title="分享到QQ空间" href="javascript:;"></a>'
            '<a class="bds_weixin" title="分享到微信" href="javascript:;"></a></div></div>'
            '<div class="main-word-right"><span class="printer" onclick="window.print()">打印'
            '</span><span class="close" onclick="window.close()">关闭</span></div></div>\n'
            "</div>\n</div>\n" + self._footer()
        )

    # ---- templates: Yueyang 集约化 -----------------------------------------------------

    def _yy_top(self) -> str:
        """Top bar, header and nav of the platform's district template (static: build date)."""
        today = today_line(datetime.fromtimestamp(self._build_time, CST))
        col = f"/{YY_SITE_ID}"
        return (
            '<body>\n<div class="top"><div class="wrap">'
            f'<div class="top-l">今天是{today}　您好，欢迎访问{esc(self.name)}门户网站！</div>'
            '<div class="top-r"><a href="javascript:void(0)" onclick="aria.start()">无障碍浏览</a>'
            '<a href="javascript:void(0)" id="StranLink">繁體</a>'
            f'<a href="{col}/40830/index.html">网站地图</a>'
            '<a href="https://www.yueyang.gov.cn/" target="_blank">岳阳市人民政府</a></div>'
            "</div></div>\n"
            f'<div class="header"><div class="wrap"><a href="/" class="logo"><img '
            f'src="/r/cms/www/{YY_SITE_ID}/images/logo.png" alt="{esc(self.name)}"></a>\n'
            '<div class="search"><form action="/jsearchfront/search.do" method="get" '
            'target="_blank"><input type="text" name="q" placeholder="请输入搜索关键字">'
            '<input type="submit" value="搜索"></form></div></div></div>\n'
            '<div class="nav"><ul class="wrap"><li><a href="/">首页</a></li>'
            f'<li><a href="{col}/40790/index.html">走进{esc(self.short_name)}</a></li>'
            f'<li><a href="{col}/{YY_NEWS_ID}/index.html">政务动态</a></li>'
            f'<li class="cur"><a href="{col}/{YY_ZWGK_ID}/index.html">政务公开</a></li>'
            f'<li><a href="{self.listing_path(0)}">通知公告</a></li>'
            f'<li><a href="{col}/40850/index.html">政务服务</a></li>'
            f'<li><a href="{col}/40860/index.html">互动交流</a></li></ul></div>\n'
        )

    def _yy_crumb(self) -> str:
        col = f"/{YY_SITE_ID}"
        return (
            '<div class="dqwz">当前位置: <a href="/">首页</a> &gt; '
            f'<a href="{col}/{YY_ZWGK_ID}/index.html">政务公开</a> &gt; '
            f'<a href="{col}/{YY_GSGG_ID}/index.html">公示公告</a> &gt; '
            f'<a href="{self.listing_path(0)}">通知公告</a></div>\n'
        )

    def _render_yy_listing(self, k: int, count: int) -> str:
        head = self._head(f"通知公告-{self.name}", {"ColumnName": "通知公告"})
        if self._listing_state == "redesign":
            return head + self._top() + _REDESIGN + self._footer()
        rows = []
        for n, p in self._page_entries(k):
            t = esc(n.title)
            shown = esc(n.title[:30] + "...") if len(n.title) > 32 else t
            rows.append(
                f'<li><a href="{p}" target="_blank" title="{t}">{shown}</a>'
                f'<span class="date">{n.published[:10]}</span></li>'
            )
        total = 0 if self._listing_state == "empty" else len(self._entries())
        col = f"/{YY_SITE_ID}"
        menu = "".join(
            f'<li{on}><a href="{col}/{cid}/index.html">{name}</a></li>'
            for cid, name in (
                (YY_COLUMN_ID, "通知公告"),
                (40826, "招标公告"),
                (40827, "人事任免"),
                (40828, "征地公告"),
            )
            for on in [' class="on"' if cid == YY_COLUMN_ID else ""]
        )
        items = "\n".join(rows)
        return (
            head
            + self._top()
            + '<div class="wrap">\n'
            + self._yy_crumb()
            + '<div class="left-side">\n<div class="lm-box"><div class="lm-title"><h3>公示公告'
            f'</h3></div>\n<ul class="lm-list">{menu}</ul></div>\n'
            + self._sidebar()
            + '</div>\n<div class="right-main">\n<div class="column-title"><h2>通知公告</h2></div>\n'
            f'<ul class="list">\n{items}\n</ul>\n'
            + _yy_pager(k, count, total)
            + "</div>\n</div>\n"
            + self._footer()
        )

    def _render_yy_detail(self, n: SiteNotice) -> str:
        views = 12 + (n.nid * 37) % 400 + self._build * 7
        zoom = " ".join(
            f'<a href="javascript:void(0)" onclick="doZoom({size})">{label}</a>'
            for size, label in ((20, "大"), (16, "中"), (14, "小"))
        )
        colors = "".join(f'<a href="javascript:void(0)" class="c{i}"></a>' for i in (1, 2, 3))
        # The metadata line as the platform writes it: adjacent inline elements, no
        # whitespace between them, ASCII colons; an empty 来源: when there is no source.
        info = (
            '<div class="sp_time">'
            f"<span>来源:{esc(n.source or '')}</span>"
            f"<span>日期:{n.published}</span>"
            f"<span>字号:【{zoom}】</span>"
            f"<span>浏览量:<em>{views}</em></span>"
            f'<span class="hlys">视力保护色:{colors}</span>'
            "</div>\n"
        )
        return (
            self._head(
                f"{n.title}-{self.name}", {"ColumnName": "通知公告", "ArticleTitle": n.title}
            )
            + self._top()
            + '<div class="wrap">\n'
            + self._yy_crumb()
            + '<div class="main-box">\n'
            f'<div class="sp_title"><h1>{esc(n.title)}</h1></div>\n'
            + info
            + f'<div class="sp_content" id="j-show-body">\n{self._body_html(n)}\n</div>\n'
            + self._attachments_html(n)
            + '<div class="sp_ewm"><div id="qrcode"></div><p>扫一扫在手机打开当前页</p></div>\n'
            '<div class="sp_btn"><a href="javascript:window.print()">【打印】</a>'
            '<a href="javascript:window.close()">【关闭】</a></div>\n'
            "</div>\n</div>\n" + self._footer()
        )

    # ---- other answers ---------------------------------------------------------------

    def _render_redesigned(self, n: SiteNotice) -> str:
        """A detail page after redesign_details(): a script-driven shell."""
        return self._head(f"{n.title} - {self.name}", {}) + self._top() + _REDESIGN + self._footer()

    def _render_challenge(self) -> str:
        """An anti-bot challenge page (412), as 瑞数-protected sites answer."""
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><script>'
            f'$_ts=window["$_ts"];if(!$_ts)$_ts={{}};$_ts.nsd={self._build + 41};'
            f'$_ts.cd="{self._token}";</script></head><body></body></html>'
        )

    def _render_dataproxy(
        self, entries: list[tuple[SiteNotice, str]], start: int, end: int, per: int
    ) -> str:
        """A Hanweb dataproxy.jsp answer: records start..end (1-based) of the entries."""
        records = "".join(hanweb_record(n, p) for n, p in entries[start - 1 : max(end, 0)])
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<totalrecord>{len(entries)}</totalrecord>\n<totalpage>"
            f"{max(1, -(-len(entries) // per))}</totalpage>\n"
            f"<recordset>\n{records}</recordset>\n</datastore>\n"
        )


def _plain_paras(paras: list[str]) -> str:
    return "\n".join(f"<p>　　{esc(p)}</p>" for p in paras)


def today_line(d: datetime, with_time: bool = False) -> str:
    s = f"{d.year}年{d.month}月{d.day}日 星期{_WEEK[d.weekday()]}"
    return s + f" {d:%H:%M:%S}" if with_time else s


def _rel(path: str) -> str:
    """How a TRS listing links a page: relative inside the column, absolute outside."""
    return "./" + path[len("/tzgg/") :] if path.startswith("/tzgg/") else path


def _yy_pager(k: int, count: int, total: int) -> str:
    """The platform's page bar: 首页 / 上一页 / 下一页 links (plain text where there is
    nowhere to go), and the counts as text.  No 尾页 and no page numbers."""
    here = k + 1

    def page(n: int) -> str:
        return "index.html" if n == 1 else f"index_{n}.html"

    if here == 1:
        back = '<span class="disabled">首页</span>\n<span class="disabled">上一页</span>'
    else:
        back = f'<a href="index.html">首页</a>\n<a href="{page(here - 1)}">上一页</a>'
    if here < count:
        on = f'<a href="{page(here + 1)}">下一页</a>'
    else:
        on = '<span class="disabled">下一页</span>'
    return (
        f'<div class="pages">\n{back}\n{on}\n'
        f'<span class="info">共{total}条 共{count}页 当前第{here}页</span>\n</div>\n'
    )


def hanweb_record(n: SiteNotice, path: str) -> str:
    t = esc(n.title)
    return (
        f'<record><![CDATA[<li><a href="{path}" title="{t}" target="_blank">{t}</a>'
        f"<span>{n.published[:10]}</span></li>]]></record>\n"
    )


def error_html(status: int, reason: str, charset: str) -> str:
    extra = {404: "<p>您访问的页面不存在</p>", 410: "<p>该信息已撤销</p>"}.get(status, "")
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1>"
        f"</center>{extra}<hr><center>nginx</center></body></html>\n"
    )


_CREATE_PAGE_HTML_SCRIPT = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  var first = _sPageName + "." + _sPageExt;
  if(nCurrIndex == 0){
    document.write("<span class='disabled'>首页</span><span class='disabled'>上一页</span>");
  } else {
    var nPre = nCurrIndex - 1;
    var sPre = nPre == 0 ? first : _sPageName + "_" + nPre + "." + _sPageExt;
    document.write("<a href='" + first + "'>首页</a><a href='" + sPre + "'>上一页</a>");
  }
  if(nCurrIndex == _nPageCount - 1){
    document.write("<span class='disabled'>下一页</span><span class='disabled'>尾页</span>");
  } else {
    document.write("<a href='" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "'>下一页</a>");
    document.write("<a href='" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "'>尾页</a>");
  }
  document.write("<span>共" + _nPageCount + "页</span>");
}
</script>
"""

# A redesigned listing: a script-driven shell with no list a parser could recognize.
_REDESIGN = (
    '<div id="app" class="v2-main"><div class="v2-loading">正在加载…</div></div>\n'
    '<script type="text/javascript" src="/v2/static/js/chunk-vendors.3f9a1c.js"></script>\n'
    '<script type="text/javascript" src="/v2/static/js/app.8e21d7.js"></script>\n'
)
