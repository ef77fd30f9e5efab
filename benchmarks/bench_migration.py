"""A simulated migration, matched: how well archive/storage/moves.py links each old notice to
its copy on the new platform, and how fast.

    python benchmarks/bench_migration.py [--notices 2000] [--seed 1] [--scale 10000]

The old site: --notices notices in the styles of three CMS families (each its own template
lines around the body), at least 20 templated families of five or more siblings that differ
only in names and numbers (招聘公告, 不动产更正登记公告, 行政处罚决定书 …).  The migration to a
集约化 platform gives every notice a new template and URL; 30% are re-dated (the displayed
date is the migration day), 10% edited on the way (a few characters), 5% dropped, 3% served
twice.  Printed: precision and recall of the move links, false removals (a moved notice left
unmatched, which would be recorded as removed), masked removals (a dropped notice linked to
something; overall and within templated families), edits on the way flagged, near ties left
for a person, and the time.  --scale N also times N old against N new notices.

The migration is measured on the matcher (archive/storage/moves.py), on the notices' fields:
the crawl side (the mass-failure hold, `moved` events, `not_migrated` removals) is covered by
loopback tests (tests/test_migration.py).  The reposts are measured twice: the matcher's
grouping, and the archive's own (an SQLite file, a run per district), whose divergences are
counted from its `diverged` events."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.storage.moves import Doc, copies, match  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建文辉玲斌波宇浩凯健俊帆帅旭宁"
PLACES = "郭镇乡 西塘镇 康王乡 城陵矶 枫桥湖 南湖 洞庭 金鹗山 东风湖 王家河 龙山 七里山".split()
TOPICS = [
    "征地补偿安置方案",
    "城镇建设用地报批",
    "道路提质改造工程",
    "防汛应急预案",
    "最低生活保障对象名单",
    "中央环保督察信访件整改情况",
    "双随机一公开抽查结果",
    "棚户区改造项目房屋征收",
    "集体土地征收补偿",
    "临时交通管制",
    "拟任职干部任前公示",
    "财政预算执行情况",
]
SENTENCES = [
    "根据{law}的有关规定，现将{topic}有关事项公告如下。",
    "{place}{n}组共涉及农户{m}户，面积{a}亩。",
    "补偿标准为每亩{p}元，青苗补偿按实际种植情况计算。",
    "请相关权利人于{d}前到{office}办理登记手续。",
    "公示期为{k}个工作日，如有异议，请以书面形式向{office}反映。",
    "联系人：{name}，联系电话：0730-{tel}。",
    "本方案自公告之日起施行，由{office}负责解释。",
    "经{office}研究决定，对{place}{topic}工作作如下安排。",
    "各单位要高度重视，认真组织实施，确保{topic}工作按期完成。",
    "{place}片区共{m}个点位，已于{d}前全部完成整改并通过验收。",
]
LAWS = ["《土地管理法》", "《城乡规划法》", "《防洪法》", "《社会救助暂行办法》", "《行政处罚法》"]
OFFICES = ["区自然资源局", "区住房和城乡建设局", "区应急管理局", "区民政局", "区生态环境分局"]
FAMILIES = [  # templated notices: each sibling differs in names and numbers only
    "{org}{y}年公开招聘工作人员拟聘用人员公示：经笔试、面试、考察和体检，拟聘用{name}（准考证号{id}）"
    "为{org}{post}岗位工作人员。公示期为5个工作日，如有异议，请向区人力资源和社会保障局反映。",
    "不动产更正登记公告：{name}申请对坐落于{place}{n}号的不动产（不动产权证号：湘（{y}）岳阳市不动产权"
    "第{id}号）进行更正登记，经审核，拟予更正。利害关系人如有异议，请自公告之日起15个工作日内提出。",
    "行政处罚决定书（岳楼市监处〔{y}〕{n}号）：当事人{name}，经营地址{place}{n}号，因{post}，"
    "违反相关规定，依法责令改正，并处罚款{p}元。当事人如不服，可依法申请行政复议。",
    "{place}{y}年度城乡居民最低生活保障新增对象公示：户主{name}，家庭人口{k}人，保障金额每月{p}元，"
    "身份证号{id}。公示期为7天，如有异议，请向{place}社会事务办反映。",
]
TEMPLATES = {  # each CMS family's lines around the body, and the new platform's
    "trs": ["【字体：大 中 小】 打印本页 关闭窗口", "信息来源：岳阳楼区人民政府", "分享到："],
    "hanweb": ["索引号：430602/{y}-{n}", "发布机构：岳阳楼区人民政府办公室", "【打印】【关闭】"],
    "jyh": ["当前位置：首页 > 信息公开 > 通知公告", "浏览次数：{m}", "扫一扫在手机上查看当前页面"],
    "new": [
        "湖南省政府门户网站集约化平台 · 岳阳楼区",
        "发布时间：{date}  来源：岳阳楼区",
        "【我要纠错】【打印】【关闭】",
    ],
}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))


def _fill(rng: random.Random, text: str, y: int) -> str:
    return text.format(
        law=rng.choice(LAWS),
        topic=rng.choice(TOPICS),
        place=rng.choice(PLACES),
        office=rng.choice(OFFICES),
        name=_name(rng),
        n=rng.randint(1, 99),
        m=rng.randint(3, 400),
        a=round(rng.uniform(1, 90), 2),
        p=rng.randint(500, 90000),
        d=f"{y}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
        k=rng.choice([5, 7, 10, 15]),
        tel=rng.randint(1000000, 9999999),
        y=y,
        id=rng.randint(10**7, 10**8),
        org=rng.choice(["区教育局", "区卫生健康局", "区城市管理局", "区财政局"]),
        post=rng.choice(["文秘", "会计", "教师", "护理", "执法", "信息技术"]),
        date=f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    )


def _with_template(rng, style: str, lines: list[str], y: int) -> str:
    head, *tail = [_fill(rng, t, y) for t in TEMPLATES[style]]
    return "\n".join([head, *lines, *tail])


def old_site(rng: random.Random, n: int, families: int) -> list[dict]:
    """The notices before the move: (key, title, lines, doc number, family, style)."""
    out = []
    for f in range(families):  # templated siblings first
        template = FAMILIES[f % len(FAMILIES)]
        y = rng.randint(2016, 2024)
        for s in range(rng.randint(5, 8)):
            line = _fill(rng, template, y)
            title = f"{line.split('：')[0]}（第{s + 1}批）"
            out.append({"title": title, "lines": [line], "number": None, "family": f})
    while len(out) < n:
        y = rng.randint(2016, 2024)
        lines = [_fill(rng, t, y) for t in rng.sample(SENTENCES, rng.randint(3, 8))]
        title = f"关于{rng.choice(PLACES)}{y}年{rng.choice(TOPICS)}的公告"
        number = f"岳楼政发〔{y}〕{len(out)}号" if rng.random() < 0.4 else None
        out.append({"title": title, "lines": lines, "number": number, "family": None})
    styles = list(TEMPLATES)[:3]
    for i, d in enumerate(out):
        d["key"] = f"old{i}"
        d["style"] = styles[i % 3]
        d["y"] = rng.randint(2016, 2024)
    return out


def migrate(rng: random.Random, olds: list[dict]) -> tuple[list[dict], dict, set, set]:
    """The new platform's notices; truth (old key -> new keys), the edited and dropped keys."""
    news, truth, edited, dropped = [], {}, set(), set()
    for d in olds:
        r = rng.random()
        if r < 0.05:
            dropped.add(d["key"])
            continue
        lines = list(d["lines"])
        if rng.random() < 0.10:  # edited on the way: a few characters of one line
            i = rng.randrange(len(lines))
            at = rng.randrange(max(1, len(lines[i]) - 4))
            lines[i] = (
                lines[i][:at] + rng.choice(["七", "十", "补充", "更正为"]) + lines[i][at + 2 :]
            )
            edited.add(d["key"])
        copies = 2 if rng.random() < 0.03 else 1
        truth[d["key"]] = []
        for _ in range(copies):
            key = f"new{len(news)}"
            truth[d["key"]].append(key)
            news.append({"key": key, "title": d["title"], "lines": lines, "number": d["number"]})
    rng.shuffle(news)
    return news, truth, edited, dropped


def docs(rng: random.Random, notices: list[dict], style: str | None) -> list[Doc]:
    out = []
    for d in notices:
        y = d.get("y", 2025)
        body = _with_template(rng, style or d["style"], d["lines"], y)
        out.append(Doc(d["key"], d["title"], body, d["number"]))
    return out


def evaluate(n: int, seed: int) -> dict:
    rng = random.Random(seed)
    olds = old_site(rng, n, families=max(20, n // 80))
    news, truth, edited, dropped = migrate(rng, olds)
    old_docs, new_docs = docs(rng, olds, None), docs(rng, news, "new")
    start = time.process_time()
    out = match(old_docs, new_docs)
    cpu = time.process_time() - start
    # incrementally: a run that brings 1 new notice, then one that brings 1,000, against all
    # the old ones: the cost of the old side (once a run) and each new notice's own
    times = []
    for k in (1, min(1000, len(new_docs))):
        t = time.process_time()
        match(old_docs, new_docs[:k])
        times.append(time.process_time() - t)
    per_new = (times[1] - times[0]) / (min(1000, len(new_docs)) - 1)
    family = {d["key"]: d["family"] for d in olds}
    linked = {x.old: x for x in out.links}
    held = {k for k, _ in out.ambiguous}
    right = sum(1 for x in out.links if x.new in truth.get(x.old, ()))
    moved = len(truth)
    masked = [k for k in linked if k in dropped]
    return {
        "old": len(olds),
        "new": len(news),
        "families": len({f for f in family.values() if f is not None}),
        "templated": sum(1 for f in family.values() if f is not None),
        "links": len(out.links),
        "precision": right / len(out.links) if out.links else 1.0,
        "recall": right / moved,
        # a near tie is held for a person, not removed
        "false_removals": sum(1 for k in out.unmatched_old if k in truth and k not in held) / moved,
        "masked_removals": len(masked) / max(1, len(dropped)),
        "masked_in_families": sum(1 for k in masked if family[k] is not None),
        "edits_flagged": sum(1 for k in edited if k in linked and linked[k].edited)
        / max(1, len(edited)),
        "false_edits": sum(1 for x in out.links if x.edited and x.old not in edited)
        / max(1, len(out.links)),
        "ambiguous": len(out.ambiguous),
        "duplicates_found": sum(len(v) for v in out.duplicates.values()),
        "duplicates": sum(len(v) - 1 for v in truth.values()),
        "cpu_s": cpu,
        "fixed_s": times[0],
        "per_new_ms": 1000 * per_new,
    }


DISTRICTS = ["yueyanglou", "yunxi", "junshan", "yueyangxian", "huarong"]


def reposts(seed: int, city: int = 200, own: int = 300) -> dict:
    """`city` notices of the city reposted by five districts (each in its own template, some
    with a line of its own above), beside `own` notices of each district (templated families
    among them, as every district has its own 招聘公告); then one district edits 10% of its
    copies and removes 10%.  Groups are made from what was archived before the change."""
    rng = random.Random(seed)
    notices = old_site(rng, city, families=4)  # the city's: templated ones too
    sites: dict[str, list[Doc]] = {}
    truth: dict[tuple[str, str], int] = {}  # (site, key) -> the city notice it copies
    styles = ["trs", "hanweb", "jyh", "new", "trs"]
    for s_i, district in enumerate(DISTRICTS):
        docs = []
        for c, d in enumerate(notices):
            lines = list(d["lines"])
            if rng.random() < 0.3:
                lines.insert(0, f"转发市人民政府关于{d['title'][2:12]}的通知")
            key = f"{district}/c{c}"
            truth[district, key] = c
            body = _with_template(rng, styles[s_i], lines, 2025)
            docs.append(Doc(key, d["title"], body, d["number"]))
        for o, d in enumerate(old_site(rng, own, families=6)):
            key = f"{district}/o{o}"
            body = _with_template(rng, styles[s_i], d["lines"], 2025)
            docs.append(Doc(key, d["title"], body, None))
        sites[district] = docs
    start = time.process_time()
    groups = copies(sites)
    cpu = time.process_time() - start
    predicted = {(a, b) for g in groups for a in g for b in g if a < b}
    actual = {
        (a, b) for a in truth for b in truth if a < b and a[0] != b[0] and truth[a] == truth[b]
    }
    changer = DISTRICTS[0]
    mine = [k for k in truth if k[0] == changer]
    changed = rng.sample(mine, len(mine) // 5)  # half edited, half removed
    grouped = {m for g in groups for m in g if len(g) > 1}
    return {
        "groups": len(groups),
        "precision": len(predicted & actual) / max(1, len(predicted)),
        "recall": len(predicted & actual) / max(1, len(actual)),
        "divergences": sum(1 for k in changed if k in grouped),
        "changed": len(changed),
        "cpu_s": cpu,
    }


def _record(site: str, key: str, doc: Doc | None, at: str) -> dict:
    """A detail fetch as a crawl hands it to the archive: `doc`'s fields, or a 404."""
    url = f"http://{site}.example.gov.cn/{key.split('/')[1]}.html"
    notice = None
    if doc is not None:
        notice = {"url": url, "title": doc.title, "body": doc.body, "doc_number": doc.doc_number}
        notice |= {"published": "2025-03-01", "source": None, "index_number": None}
        notice |= {"written": None, "body_html": "", "attachments": [], "breadcrumb": []}
    return {
        "type": "fetch",
        "site": site,
        "kind": "detail",
        "url": url,
        "final_url": url,
        "at": at,
        "status": 200 if doc else 404,
        "body": f"<html>{key}{at}</html>".encode(),
        "headers": [],
        "page_class": "ok",
        "extractor_version": "bench",
        "notice": notice,
    }


def _edit(rng: random.Random, body: str) -> str:
    """A district's edit of its copy: a sentence added, or a few characters of a long line
    rewritten."""
    lines = body.split("\n")
    long = [i for i, line in enumerate(lines) if len(line) > 30]
    if not long or rng.random() < 0.5:
        return body + "\n（本通知第三条已作修改）"
    i = rng.choice(long)
    at = rng.randrange(5, len(lines[i]) - 10)
    lines[i] = lines[i][:at] + "依照有关规定另行" + lines[i][at + 6 :]
    return "\n".join(lines)


def archive_reposts(seed: int, city: int = 200, own: int = 300) -> dict:
    """The same reposts through the archive itself (a SQLite file, each district one run):
    the groups the runs form one notice at a time, the time that takes per new notice, and
    the `diverged` events raised when one district then edits 10% of its copies of city
    notices and removes another 10%."""
    import tempfile

    from archive.storage import reposts as reposts_mod
    from archive.storage.store import Archive

    spent = [0.0, 0]
    finish = reposts_mod.finish_run

    def timed(c, run, at):  # the grouping's own time, within each run's end
        start = time.process_time()
        finish(c, run, at)
        spent[0] += time.process_time() - start

    reposts_mod.finish_run = timed
    rng = random.Random(seed)
    city_notices = old_site(rng, city, families=4)
    styles = ["trs", "hanweb", "jyh", "new", "trs"]
    with tempfile.TemporaryDirectory() as tmp:
        a = Archive(Path(tmp) / "bench.db")
        kept: dict[str, list[tuple[str, Doc]]] = {}
        for s_i, district in enumerate(DISTRICTS):
            run = a.begin_run(district)
            docs = []
            for c, d in enumerate(city_notices):
                lines = list(d["lines"])
                if rng.random() < 0.3:
                    lines.insert(0, f"转发市人民政府关于{d['title'][2:12]}的通知")
                body = _with_template(rng, styles[s_i], lines, 2025)
                docs.append((f"{district}/c{c}", Doc("", d["title"], body, d["number"])))
            for o, d in enumerate(old_site(rng, own, families=6)):
                body = _with_template(rng, styles[s_i], d["lines"], 2025)
                docs.append((f"{district}/o{o}", Doc("", d["title"], body, None)))
            for key, doc in docs:
                a.ingest(_record(district, key, doc, "2025-03-02T00:00:00Z"), run)
            spent[1] += len(docs)
            a.finish_run(run)
            kept[district] = docs
        per_notice_ms = 1000 * spent[0] / spent[1]
        changer = DISTRICTS[0]
        city_keys = [k for k, _d in kept[changer] if "/c" in k]
        changed = rng.sample(city_keys, len(city_keys) // 5)
        edited, removed = set(changed[::2]), set(changed[1::2])
        run = a.begin_run(changer)
        for key, doc in kept[changer]:
            if key in edited:
                doc = Doc("", doc.title, _edit(rng, doc.body), doc.doc_number)
            a.ingest(
                _record(changer, key, None if key in removed else doc, "2025-04-01T00:00:00Z"), run
            )
        a.finish_run(run)
        a.close()
        conn = __import__("sqlite3").connect(Path(tmp) / "bench.db")
        told = conn.execute(
            "SELECT n.url, e.reason FROM events e JOIN notices n ON n.id = e.notice_id"
            " WHERE e.kind = 'diverged'"
        ).fetchall()
        members = conn.execute("SELECT count(*) FROM copies").fetchone()[0]
        groups: dict[str, list[str]] = {}
        for grp, url in conn.execute(
            "SELECT c.grp, n.url FROM copies c JOIN notices n ON n.id = c.notice_id"
        ):
            groups.setdefault(grp, []).append(url)
        conn.close()
    reposts_mod.finish_run = finish
    url = {_record(changer, k, None, "")["url"]: k for k in changed}
    right = [u for u, _r in told if u in url]

    predicted = {(a, b) for g in groups.values() for a in g for b in g if a < b}
    actual = {
        (a, b)
        for d1 in DISTRICTS
        for d2 in DISTRICTS
        for c in range(city)
        if d1 != d2
        for a, b in [
            (_record(d1, f"{d1}/c{c}", None, "")["url"], _record(d2, f"{d2}/c{c}", None, "")["url"])
        ]
        if a < b
    }
    return {
        "precision": len(predicted & actual) / max(1, len(predicted)),
        "recall": len(predicted & actual) / max(1, len(actual)),
        "members": members,
        "changed": len(changed),
        "diverged": len(right),
        "false_diverged": len(told) - len(right),
        "per_notice_ms": per_notice_ms,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=int, default=0, help="also time N old against N new")
    args = ap.parse_args(argv)
    if args.notices < 200 or args.scale < 0:
        print("bench_migration.py: --notices at least 200, --scale at least 0", file=sys.stderr)
        return 2
    print("$ python benchmarks/bench_migration.py " + " ".join(argv or sys.argv[1:]))
    r = evaluate(args.notices, args.seed)
    print(
        f"{r['old']:,} old notices ({r['templated']} in {r['families']} templated families),"
        f" {r['new']:,} new"
    )
    rows = [
        ("move links: precision", f"{r['precision']:.4f}", ">= 0.995"),
        ("move links: recall", f"{r['recall']:.4f}", ">= 0.97"),
        ("false removals (moved, unmatched, not held)", f"{r['false_removals']:.2%}", "<= 1%"),
        ("masked removals (dropped, linked)", f"{r['masked_removals']:.2%}", "<= 0.2%"),
        ("masked removals in templated families", f"{r['masked_in_families']}", "0"),
        ("edits on the way flagged", f"{r['edits_flagged']:.2%}", ">= 95%"),
        ("unedited moves flagged as edited", f"{r['false_edits']:.2%}", ""),
        ("near ties left for a person", f"{r['ambiguous']}", ""),
        ("a notice served twice, found", f"{r['duplicates_found']} of {r['duplicates']}", ""),
        ("match, CPU seconds", f"{r['cpu_s']:.2f}", ""),
    ]
    for name, value, aim in rows:
        print(f"  {name:42}{value:>14}   {aim}")
    rp = reposts(args.seed)
    print(
        f"reposts: 200 city notices on {len(DISTRICTS)} districts beside 300 of each district's"
        f" own: {rp['groups']} groups"
    )
    for name, value, aim in (
        ("repost groups: pairwise precision", f"{rp['precision']:.4f}", ">= 0.98"),
        ("repost groups: pairwise recall", f"{rp['recall']:.4f}", ">= 0.95"),
        ("copies edited or removed, in a group", f"{rp['divergences']} of {rp['changed']}", "all"),
        ("grouping, CPU seconds", f"{rp['cpu_s']:.2f}", ""),
    ):
        print(f"  {name:42}{value:>14}   {aim}")
    ar = archive_reposts(args.seed)
    print(
        f"the same, through the archive (a run per district; {ar['members']} notices in groups),"
        " then one district edits 10% of its city copies and removes 10%:"
    )
    for name, value, aim in (
        ("repost groups: pairwise precision", f"{ar['precision']:.4f}", ">= 0.98"),
        ("repost groups: pairwise recall", f"{ar['recall']:.4f}", ">= 0.95"),
        ("divergences reported", f"{ar['diverged']} of {ar['changed']}", "all"),
        ("divergences that did not happen", f"{ar['false_diverged']}", "0"),
        ("grouping a new notice, CPU ms", f"{ar['per_notice_ms']:.2f}", "<= 10"),
    ):
        print(f"  {name:42}{value:>14}   {aim}")
    if args.scale:
        s = evaluate(args.scale, args.seed + 1)
        print(
            f"  {s['old']:,} old x {s['new']:,} new: {s['cpu_s']:.1f} CPU s"
            f" (aim 60 s); precision {s['precision']:.4f}, recall {s['recall']:.4f}"
        )
        print(
            f"  incrementally, against {s['old']:,} old: {s['fixed_s']:.2f} CPU s a run for the"
            f" old side, then {s['per_new_ms']:.2f} CPU ms a new notice (aim 10 ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
