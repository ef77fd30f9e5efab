"""Search benchmark: tzgg's bigram FTS5 index against FTS5 trigram and LIKE, in the same run.

    python benchmarks/bench_search.py                     # 10k and 100k notices
    python benchmarks/bench_search.py --sizes 10000       # one size
    python benchmarks/bench_search.py --sizes 1000000     # 1M (slow: the build takes a while)
    python benchmarks/bench_search.py --million           # the same as adding 1000000
    python benchmarks/bench_search.py --sizes 1000000 --cache ~/.cache/tzgg-bench
                                        # keep the built archives there, and reuse them

A generated archive of notices whose text is built from varied Chinese notice templates
(places, offices, topics, amounts, dates, 文号), stored through the archive's own entry point
(`Archive.ingest_batch` in batches of 500, as a crawl's writer stores them: ingest includes
indexing; the notices are generated before the clock starts).  Then, for each query class
(2, 3, 4 characters, rare, phrase, 文号, site + dates, AND/OR/NOT) and each sort (relevance,
newest, oldest), p50/p95 latency of `archive.storage.search`; and, for the word classes, of an
FTS5 `trigram` table over the same text (its LIKE fallback for two-character words, which
trigram cannot match), of `LIKE '%…%'`, and of FTS5's own bm25 order over the bigram index (the
bare `ORDER BY rank LIMIT 20` query: how tzgg ranked before, which reads every match).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import archive.storage.store as store  # noqa: E402
from archive.storage.bigrams import match_expression, parse_query  # noqa: E402
from archive.storage.db import connect  # noqa: E402
from archive.storage.search import search  # noqa: E402
from archive.storage.store import Archive  # noqa: E402

PLACES = "岳阳楼区 君山区 云溪区 南湖新区 经开区 屈原区 临湘市 汨罗市 平江县 湘阴县 华容县".split()
TOWNS = "郭镇乡 城陵矶街道 枫桥湖街道 洞庭街道 奇家岭街道 望岳路街道 东风湖街道 金鹗山街道".split()
OFFICES = (
    "区自然资源局 区生态环境分局 区住房和城乡建设局 区市场监督管理局 区人力资源和社会保障局 "
    "区应急管理局 区教育局 区民政局 区财政局 区交通运输局 区水利局 区卫生健康局"
).split()
TOPICS = [
    ("征地", "集体土地征收补偿安置方案"),
    ("拆迁", "国有土地上房屋征收与补偿"),
    ("环保", "中央生态环境保护督察组交办信访件整改情况"),
    ("招聘", "公开招聘事业单位工作人员"),
    ("处罚", "行政处罚决定"),
    ("低保", "城乡居民最低生活保障对象名单"),
    ("招标", "政府采购项目招标"),
    ("防汛", "汛期安全防范工作"),
    ("疫苗", "预防接种工作安排"),
    ("交通", "部分路段临时交通管制"),
]
SENTENCES = [
    "根据《中华人民共和国土地管理法》和《{prov}实施办法》的有关规定，现将{topic}公告如下。",
    "{place}{town}{village}村拟征收集体土地{n}亩，用于{project}建设。",
    "补偿标准按{prov}人民政府公布的区片综合地价执行，每亩{price}元。",
    "青苗补偿按实际种植情况计算，地上附着物按评估价格补偿。",
    "对本方案如有异议，请于公告之日起{days}个工作日内向{office}书面提出。",
    "经研究，决定对{company}作出罚款人民币{price}元的行政处罚。",
    "当事人如不服本决定，可在收到决定书之日起六十日内申请行政复议。",
    "第{k}批交办信访件共{n}件，已办结{m}件，阶段性办结{r}件。",
    "督察组交办的{place}{town}餐饮油烟扰民问题，已责令整改并建立长效管护机制。",
    "为切实做好{year}年{topic}工作，保障人民群众生命财产安全，现就有关事项通知如下。",
    "各{unit}要高度重视，明确责任分工，确保各项措施落到实处。",
    "报名时间为{year}年{mon}月{day}日至{mon}月{day2}日，报名地点设在{office}{floor}楼。",
    "拟聘用人员名单公示期为{days}个工作日，公示期间如有异议，可向{office}反映。",
    "联系人：{person}，联系电话：0730-{phone}。",
    "本项目采购预算为{price}万元，投标截止时间为{year}年{mon}月{day}日{hour}时。",
    "{place}部分路段自{mon}月{day}日起实行临时交通管制，请过往车辆绕行。",
    "经个人申请、入户调查、民主评议，{n}户家庭符合最低生活保障条件。",
    "文件依据为{docno}，请各单位认真贯彻执行。",
    "特此公告。",
    "{office}",
    "{year}年{mon}月{day}日",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲"


def docno(rng: random.Random, year: int) -> str:
    office = rng.choice(["岳楼环罚", "岳楼政发", "岳楼自然资发", "岳楼市监处", "岳楼人社发"])
    return f"{office}〔{year}〕{rng.randint(1, 99)}号"


def make_notice(rng: random.Random, i: int) -> tuple[str, dict]:
    year = rng.randint(2015, 2025)
    mon, day = rng.randint(1, 12), rng.randint(1, 28)
    place, town, office = rng.choice(PLACES), rng.choice(TOWNS), rng.choice(OFFICES)
    word, topic = rng.choice(TOPICS)
    number = docno(rng, year)
    fill = {
        "prov": "湖南省",
        "topic": topic,
        "place": place,
        "town": town,
        "village": rng.choice("新建 和平 红星 胜利 长江 洞庭 团结 东风".split()),
        "n": rng.randint(2, 500),
        "m": rng.randint(1, 100),
        "r": rng.randint(0, 20),
        "k": rng.randint(1, 12),
        "project": rng.choice(["道路", "学校", "污水处理厂", "安置小区", "产业园"]),
        "price": rng.randint(1000, 99999),
        "days": rng.choice([5, 7, 10, 15]),
        "office": office,
        "company": f"岳阳市{rng.choice(['恒通', '华信', '鑫源', '德润'])}商贸有限公司",
        "year": year,
        "mon": mon,
        "day": day,
        "day2": min(28, day + 5),
        "hour": rng.randint(8, 17),
        "unit": rng.choice(["街道", "乡镇", "区直单位"]),
        "floor": rng.randint(2, 9),
        "person": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        "phone": rng.randint(1000000, 9999999),
        "docno": number,
    }
    body = "\n".join(
        s.format(**fill) for s in rng.sample(SENTENCES[:-3], rng.randint(4, 12)) + SENTENCES[-3:]
    )
    title = f"关于{place}{year}年{topic}的{rng.choice(['公告', '通知', '公示', '通告'])}"
    return f"site{i % 20}.gov.cn", {
        "title": title,
        "published": f"{year}-{mon:02d}-{day:02d}T09:00:00+08:00",
        "source": office,
        "doc_number": number,
        "index_number": None,
        "written": None,
        "body": body,
        "body_html": "",
        "attachments": [],
        "breadcrumb": [],
        "word": word,
    }


def build(db: Path, n: int, seed: int = 1) -> dict:
    """Ingest n notices through Archive.ingest_batch (indexing included): notices/s, and the
    share of the time spent indexing (`index_version`: bigrams and the FTS5 inserts)."""
    rng = random.Random(seed)
    a = Archive(db, batch=500)
    runs: dict[str, int] = {}
    items = []
    for i in range(n):
        site, notice = make_notice(rng, i)
        notice.pop("word")
        run = runs.get(site) or runs.setdefault(site, a.begin_run(site, []))
        url = f"http://{site}/tzgg/t{i}.html"
        notice["url"] = url
        record = {
            "type": "fetch",
            "site": site,
            "kind": "detail",
            "url": url,
            "final_url": url,
            "at": "2026-01-01T00:00:00.000Z",
            "status": 200,
            "body": None,
            "headers": [],
            "page_class": "ok",
            "notice": notice,
            "extractor_version": "bench",
        }
        items.append((record, run))
    indexing = [0.0]
    index_version = store.index_version

    def timed(c, nid, version):
        t0 = time.perf_counter()
        index_version(c, nid, version)
        indexing[0] += time.perf_counter() - t0

    store.index_version = timed
    try:
        t, cpu = time.perf_counter(), time.process_time()
        for i in range(0, n, 500):
            for out in a.ingest_batch(items[i : i + 500]):
                if isinstance(out, Exception):
                    raise out
        a.flush()
        took, cpu = time.perf_counter() - t, time.process_time() - cpu
    finally:
        store.index_version = index_version
    a.close()
    # (the CPU time too: on a shared machine the wall clock counts the others' work)
    return {
        "rate": n / took,
        "cpu_rate": n / cpu,
        "indexing_us": indexing[0] / n * 1e6,
        "us": took / n * 1e6,
    }


def add_baselines(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE VIRTUAL TABLE tri USING fts5(doc, tokenize='trigram');"
        "INSERT INTO tri (rowid, doc) SELECT rowid, coalesce(title,'') || ' ' ||"
        " coalesce(doc_number,'') || ' ' || coalesce(body,'') FROM versions;"
    )
    conn.commit()
    conn.close()


def sizes(db: Path) -> dict:
    conn = sqlite3.connect(db)
    one = lambda sql: conn.execute(sql).fetchone()[0] or 0  # noqa: E731
    text = one(
        "SELECT sum(length(CAST(coalesce(title,'') || coalesce(doc_number,'') ||"
        " coalesce(source,'') || coalesce(body,'') AS BLOB))) FROM versions"
    )
    whole = one("SELECT sum(length(block)) FROM search_index_data")
    heads = one("SELECT sum(length(block)) FROM search_heads_data")
    trigram = one("SELECT sum(length(block)) FROM tri_data")
    conn.close()
    return {"text": text, "bigram": whole + heads, "heads": heads, "trigram": trigram}


QUERIES = {
    # words the generated text holds, common and rare
    "2 chars": ["补偿", "督察", "招聘", "处罚", "交通", "公示", "整改", "绕行"],
    # two-character words the archive (almost) never holds: trigram's LIKE must read it all
    "2 chars, rare": ["地震", "台风", "疫情", "冰雹", "滑坡", "海啸"],
    "3 chars": ["督察组", "信访件", "工作日", "附着物", "联系人", "油烟扰", "污水处"],
    "4 chars": ["补偿安置", "行政处罚", "临时交通", "最低生活", "生态环境", "公开招聘"],
    "phrase": ['"征收补偿安置方案"', '"最低生活保障对象名单"', '"中央生态环境保护督察组"'],
    "文号": ["岳楼环罚〔2019〕17号", "岳楼政发〔2021〕3号", "岳楼市监处〔2023〕42号"],
}
# tzgg's own classes besides (no trigram or LIKE form)
BOOLEAN = [
    "补偿 交通",
    "督察 OR 招聘",
    "补偿 NOT 交通",
    '"公开招聘" OR 拟聘用 NOT 处罚',
    "整改 NOT 督察",
]
SITE_DATES = {"site": "site3.gov.cn", "date_from": "2019-01-01", "date_to": "2021-12-31"}
SORTS = ("relevance", "newest", "oldest")


def _like_terms(q: str) -> list[str]:
    return [q.strip('"')]


def timings(fn, queries: list[str], reps: int) -> tuple[float, float, float, float]:
    """p50 and p95 of the wall time, then of the CPU time (which others' work on a shared
    machine does not inflate), in ms."""
    wall, cpu = [], []
    for _ in range(reps):
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            fn(q)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    out = []
    for times in (wall, cpu):
        times.sort()
        out += [statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]]
    return tuple(out)


def measure(db: Path, reps: int, baseline_reps: int | None = None) -> list[tuple]:
    """(class, system, p50, p95, CPU p50, CPU p95) rows: tzgg on a connection opened as
    `tzgg search` opens it, the others on a plain one."""
    conn = connect(db, readonly=True)
    plain = sqlite3.connect(db)
    rows = []

    def tz(sort, **kw):
        return lambda q: search(conn, q, sort=sort, limit=20, **kw)

    def tri(q):
        term = q.strip('"')
        if len(term) >= 3:
            sql = "SELECT rowid FROM tri WHERE tri MATCH ? ORDER BY rowid DESC LIMIT 20"
            return plain.execute(sql, ('"' + term.replace('"', '""') + '"',)).fetchall()
        # trigram cannot match two characters (its own LIKE then finds nothing at all): the
        # fallback is a scan of the text it stores
        sql = "SELECT id FROM tri_content WHERE c0 LIKE ? ORDER BY id DESC LIMIT 20"
        return plain.execute(sql, (f"%{term}%",)).fetchall()

    def bm25(q):  # the ranking tzgg had: FTS5's bm25 over every match, its bare query
        terms = parse_query(q)
        sql = "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rank LIMIT 20"
        return plain.execute(sql, (match_expression(terms),)).fetchall()

    def like(q):
        sql = (
            "SELECT rowid FROM versions WHERE title || body LIKE ? ORDER BY published DESC LIMIT 20"
        )
        return plain.execute(sql, (f"%{q.strip(chr(34))}%",)).fetchall()

    classes = [*((shape, queries, {}) for shape, queries in QUERIES.items())]
    classes += [("AND/OR/NOT", BOOLEAN, {}), ("site + dates", QUERIES["2 chars"], SITE_DATES)]
    for shape, queries, kw in classes:
        for sort in SORTS:
            rows.append((shape, f"tzgg {sort}", *timings(tz(sort, **kw), queries, reps)))
        if shape in QUERIES:
            for name, fn in (("FTS5 bm25", bm25), ("trigram", tri), ("LIKE", like)):
                rows.append((shape, name, *timings(fn, queries, baseline_reps or reps)))
    return rows


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated notice counts")
    ap.add_argument("--million", action="store_true", help="also 1,000,000 notices")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--baseline-reps", type=int, help="repetitions of bm25, trigram and LIKE (default --reps)"
    )
    ap.add_argument("--cache", help="a folder to keep the built archives in, and reuse them from")
    ap.add_argument("--db", help="measure the queries on an archive this script built before")
    ap.add_argument(
        "--ingest-only", action="store_true", help="build each size and print its ingest rate only"
    )
    args = ap.parse_args(argv)
    print(f"$ python benchmarks/bench_search.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    if args.db:
        report(Path(args.db), args.reps, args.baseline_reps)
        return
    counts = [int(x) for x in args.sizes.split(",") if x]
    if args.million and 1_000_000 not in counts:
        counts.append(1_000_000)
    folder = Path(args.cache).expanduser() if args.cache else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    tmp = folder or Path(tempfile.mkdtemp(prefix="tzgg-search-"))
    if args.ingest_only:  # no baselines, sizes nor queries: the build's own figures
        for n in counts:
            with tempfile.TemporaryDirectory(prefix="tzgg-search-") as d:
                before, built = load(), build(Path(d) / "s.db", n)
            print(
                f"{n:,} notices ({before} before, {load()} after): ingest with indexing"
                f" {built['rate']:,.0f} notices/s, {built['cpu_rate']:,.0f} per CPU second"
            )
        return
    for n in counts:
        db, facts = tmp / f"s{n}.db", tmp / f"s{n}.json"
        if facts.exists() and db.exists():
            built = json.loads(facts.read_text())
            print(
                f"\n{n:,} notices: the archive built on {built['when']} ({built['load']}), reused"
            )
        else:
            for old in tmp.glob(f"s{n}.db*"):
                old.unlink()
            before = load()
            built = build(db, n)
            add_baselines(db)
            built["sizes"] = sizes(db)
            with sqlite3.connect(db) as conn:  # merge the index segments (FTS5 optimize)
                for table in ("search_index", "search_heads"):
                    conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
            built["merged"] = sizes(db)
            built["when"] = time.strftime("%Y-%m-%d %H:%M")
            built["load"] = f"{before} before, {load()} after"
            facts.write_text(json.dumps(built))
            print(f"\n{n:,} notices ({built['load']})")
        s, m = built["sizes"], built["merged"]
        cpu = f"; {built['cpu_rate']:,.0f} per CPU second" if "cpu_rate" in built else ""
        print(
            f"  ingest with indexing {built['rate']:,.0f} notices/s ({built['us']:.0f} µs a"
            f" notice, of which indexing {built['indexing_us']:.0f} µs){cpu}"
        )
        print(
            f"  text {s['text'] / 2**20:.1f} MiB; bigram indexes {s['bigram'] / 2**20:.1f} MiB"
            f" ({s['bigram'] / s['text']:.2f}× the text; titles alone {s['heads'] / 2**20:.1f}"
            f" MiB); trigram index {s['trigram'] / 2**20:.1f} MiB ({s['trigram'] / s['text']:.2f}×)"
        )
        print(f"  bigram indexes merged: {m['bigram'] / m['text']:.2f}× the text")
        report(db, args.reps, args.baseline_reps)


def report(db: Path, reps: int, baseline_reps: int | None) -> None:
    print(f"  ({load()})")
    print(f"  {'query':<16}{'system':<16}{'p50 ms':>9}{'p95 ms':>9}{'CPU p50':>9}{'CPU p95':>9}")
    for shape, name, *ms in measure(db, reps, baseline_reps):
        print(f"  {shape:<16}{name:<16}" + "".join(f"{x:9.1f}" for x in ms))
    print(f"  ({load()})")


if __name__ == "__main__":
    main()
