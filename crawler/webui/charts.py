"""Vega-Lite specs of the UI's charts, data inline (the page draws them with the vendored
vega-embed: no request leaves the server).  Pure."""

from __future__ import annotations

import json

from markupsafe import Markup

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier, never fetched
KIND_LABELS = {  # an event's kind, as the pages name it
    "new": ("新增", "new"),
    "edited": ("修改", "edited"),
    "removed": ("删除", "removed"),
    "restored": ("恢复", "restored"),
    "delisted": ("下架", "delisted"),
    "relisted": ("重新上架", "relisted"),
    "moved": ("迁移", "moved"),
    "diverged": ("转载分歧", "diverged"),
    "site_broken": ("抓取故障", "crawl broke"),
    "site_blocked": ("被拦截", "blocked"),
}
KIND_ZH = {k: zh for k, (zh, _en) in KIND_LABELS.items()}


def kind_label(kind: str) -> str:
    zh, en = KIND_LABELS.get(kind, (kind, kind))
    return f"{zh} · {en}"


_COLOURS = {
    "new": "#4c78a8",
    "edited": "#f58518",
    "removed": "#e45756",
    "restored": "#54a24b",
    "delisted": "#b279a2",
    "relisted": "#72b7b2",
    "moved": "#eeca3b",
    "diverged": "#ff9da6",
    "site_broken": "#9d755d",
    "site_blocked": "#bab0ac",
}


def _spec(title: str, values: list[dict], **rest) -> dict:
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": 220,
        "data": {"values": values},
        **rest,
    }


def _kind_colour(kinds) -> dict:
    present = set(kinds)
    kinds = [k for k in _COLOURS if k in present]
    return {
        "field": "kind_zh",
        "title": "事件 · event",
        "scale": {"domain": [KIND_ZH[k] for k in kinds], "range": [_COLOURS[k] for k in kinds]},
    }


def _kind_bars(title: str, rows: list[dict], encoding: dict, **rest) -> dict:
    """Stacked bars of event counts (`rows`: {"kind", "n", …}), coloured by kind."""
    values = [r | {"kind_zh": KIND_ZH.get(r["kind"], r["kind"])} for r in rows]
    colour = _kind_colour(r["kind"] for r in rows)
    return _spec(
        title,
        values,
        mark={"type": "bar", "tooltip": True},
        encoding=encoding | {"color": colour},
        **rest,
    )


def events_per_week(rows: list[dict]) -> dict:
    axis = {"labelAngle": -40}
    return _kind_bars(
        "每周事件 · events per week",
        rows,
        {
            "x": {"field": "week", "type": "ordinal", "title": "周（周一）· week of", "axis": axis},
            "y": {
                "field": "n",
                "type": "quantitative",
                "aggregate": "sum",
                "title": "事件数 · events",
            },
        },
    )


def changes_per_site(rows: list[dict]) -> dict:
    return _kind_bars(
        "各站点的删除与修改 · removals and edits per site",
        rows,
        {
            "y": {"field": "site", "type": "nominal", "title": "站点 · site"},
            "x": {"field": "n", "type": "quantitative", "title": "次数 · count"},
        },
        height={"step": 18},
    )


def notices_over_time(rows: list[dict]) -> dict:
    return _spec(
        "归档的通知数 · notices archived over time",
        rows,
        mark={"type": "line", "point": True, "tooltip": True},
        encoding={
            "x": {
                "field": "month",
                "type": "temporal",
                "timeUnit": "yearmonth",
                "title": "月份 · month",
            },
            "y": {"field": "total", "type": "quantitative", "title": "累计 · total"},
        },
    )


def notices_per_site(rows: list[dict]) -> dict:
    """Each site's archived notices by month, a line a site."""
    spec = notices_over_time(rows)
    spec["title"] = "各站点归档的通知数 · notices per site over time"
    spec["encoding"]["color"] = {"field": "site", "type": "nominal", "title": "站点 · site"}
    return spec


def health_over_time(runs: list[dict]) -> dict:
    values = [
        {
            "started": r["started"],
            "pages": r["pages"],
            "health": "有问题 · flagged" if r["flags"] else "正常 · ok",
            "flags": ", ".join(r["flags"]),
        }
        for r in runs
    ]
    return _spec(
        "每次抓取 · each crawl (pages fetched; red: flagged)",
        values,
        mark={"type": "point", "filled": True, "size": 60, "tooltip": True},
        encoding={
            "x": {
                "field": "started",
                "type": "temporal",
                "title": "开始时间 · started",
                "axis": {"format": "%m-%d %H:%M", "labelAngle": -40},
            },
            "y": {"field": "pages", "type": "quantitative", "title": "页数 · pages"},
            "color": {
                "field": "health",
                "title": "状态 · health",
                "scale": {
                    "domain": ["正常 · ok", "有问题 · flagged"],
                    "range": ["#54a24b", "#e45756"],
                },
            },
        },
    )


def embed(spec: dict) -> Markup:
    """The spec as the text of a <script type="application/json">: no '<', '>' or '&' in it
    (a title from the archive cannot close the element)."""
    text = json.dumps(spec, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped above for a script element's content)
