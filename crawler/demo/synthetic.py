"""Plausible generated notices for `DistrictSite.generate()`: large sites for tests and
benchmarks (titles, sources, bodies from templates).  Deterministic for a given random.Random."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def _cn_date(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


_PLACES = (
    "洞庭街道", "岳阳楼街道", "枫桥湖街道", "城东街道", "金鹗山街道", "望岳路街道",
    "奇家岭街道", "站前路街道", "东茅岭街道", "三眼桥街道", "吕仙亭街道", "五里牌街道",
    "郭镇乡", "西塘镇", "康王乡",
)  # fmt: skip
_SOURCES = (
    ("区政府办公室", "岳楼政办发"),
    ("区自然资源局", "岳楼自然资发"),
    ("区生态环境分局", "岳楼环发"),
    ("区市场监督管理局", "岳楼市监"),
    ("区财政局", "岳楼财发"),
    ("区住房和城乡建设局", "岳楼建发"),
    ("区人力资源和社会保障局", "岳楼人社发"),
    ("区委组织部", "岳楼组通"),
    ("区应急管理局", "岳楼应急发"),
    ("区教育局", "岳楼教发"),
    ("区卫生健康局", "岳楼卫发"),
    ("区交通运输局", "岳楼交发"),
)
_SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_GIVEN = (
    "珺",
    "䶮",
    "𠀾",
    "志强",
    "红梅",
    "建国",
    "晓燕",
    "伟",
    "丽娟",
    "海涛",
    "婷",
    "俊杰",
    "秀英",
)
_PROJECTS = (
    "城区雨污分流改造工程",
    "金鹗中路提质改造工程",
    "老旧小区改造项目（二期）",
    "南湖大道排水管网建设项目",
    "学校食堂设备采购项目",
    "社区卫生服务中心改扩建工程",
    "城市照明节能改造项目",
)
_TOPICS = (
    "安全生产大检查",
    "城乡居民医疗保险集中参保",
    "“双随机、一公开”抽查",
    "农村危房改造对象认定",
    "文明城市创建志愿服务",
    "秸秆禁烧与大气污染防治",
)


def _fake_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def fake_notice(rng: random.Random, when: datetime, district: str) -> dict:
    """Title, body and metadata for one plausible notice published at `when`."""
    source, code = rng.choice(_SOURCES)
    place = rng.choice(_PLACES)
    project = rng.choice(_PROJECTS)
    topic = rng.choice(_TOPICS)
    year = when.year
    serial = rng.randrange(1, 120)
    end = when + timedelta(days=rng.choice((5, 7, 10)))
    period = f"公示期为{(end - when).days}天（{_cn_date(when)}至{_cn_date(end)}）"
    kind = rng.randrange(8)
    salutation = "各有关单位："
    doc_number = None
    if kind == 0:
        title = f"关于{district}{place}{year}年度第{serial % 9 + 1}批次征地补偿安置方案的公告"
        source, code = "区自然资源局", "岳楼自然资发"
        items = [
            f"一、征收范围：{place}{rng.randrange(1, 20)}组、{rng.randrange(1, 20)}组部分集体土地，"
            f"面积{rng.randrange(2, 90)}.{rng.randrange(10, 99)}亩。",
            f"二、补偿标准：按照湘政发〔{year - 1}〕{rng.randrange(2, 30)}号文件执行，"
            f"区片综合地价每亩{rng.randrange(45, 80)}000元。",
            "三、安置方式：采取货币安置与产权调换相结合的方式。",
            f"四、被征地农村集体经济组织和农户对方案有异议的，请于{period}内书面提出。",
        ]
        salutation = f"{place}被征地农村集体经济组织及农户："
    elif kind == 1:
        title = f"{district}{source[1:]}行政处罚决定书（{code}罚〔{year}〕{serial}号）"
        items = [
            f"当事人：{district}{_fake_name(rng)}商行，经营者：{_fake_name(rng)}。",
            f"经查，当事人于{_cn_date(when - timedelta(days=40))}存在违反《中华人民共和国食品安全法》"
            "第三十四条规定的行为。",
            f"依据相关规定，决定对当事人处以罚款人民币{rng.randrange(2, 50)}000元。",
            "当事人如不服本处罚决定，可在收到本决定书之日起六十日内申请行政复议。",
        ]
        salutation = ""
    elif kind == 2:
        title = f"{district}{project}招标公告"
        items = [
            f"一、项目名称：{project}；招标编号：YYLQ-{year}-{serial:03d}。",
            f"二、投标人资格要求：具有独立法人资格，具备市政公用工程施工总承包{rng.choice('二三')}级及以上资质。",
            f"三、招标文件获取时间：{_cn_date(when)}至{_cn_date(end)}，每日9:00至17:00。",
            f"四、联系人：{_fake_name(rng)}，联系电话：0730-8{rng.randrange(100000, 999999)}。",
        ]
        salutation = "各潜在投标人："
    elif kind == 3:
        k = rng.randrange(2, 9)
        names = "、".join(_fake_name(rng) for _ in range(3))
        title = f"关于{names}等{k}名同志拟任职的公示"
        source = "区委组织部"
        items = [
            f"经区委研究，拟任用{names}等{k}名同志为相关单位领导职务，现予以公示。",
            period + "。",
            "公示期间，对拟任职人选有异议的，可通过来信、来电、来访等方式向区委组织部反映。"
            "举报电话：0730-12380。",
        ]
        salutation = ""
    elif kind == 4:
        title = f"{year}年第{serial % 4 + 1}批中央生态环境保护督察交办信访件整改情况公示"
        source = "区生态环境分局"
        items = [
            f"一、{place}某餐饮店油烟扰民问题：已责令安装油烟净化设施，整改完成。",
            f"二、{place}建筑工地夜间施工噪声问题：已立案查处，现已办结。",
            f"三、{rng.choice(_PLACES)}河道垃圾问题：已组织清理，建立长效管护机制。",
        ]
        salutation = ""
    elif kind == 5:
        title = f"关于开展{year}年度{topic}工作的通知"
        doc_number = f"{code}〔{year}〕{serial}号"
        items = [
            f"为切实做好{year}年度{topic}工作，经研究，决定在全区范围内开展专项行动。",
            f"一、时间安排：{_cn_date(when)}至{_cn_date(end + timedelta(days=60))}。",
            "二、工作要求：各单位要高度重视，明确专人负责，确保工作落到实处。",
            f"三、联系人：{_fake_name(rng)}，联系电话：0730-8{rng.randrange(100000, 999999)}。",
        ]
        salutation = "各街道办事处、乡镇人民政府，区直各单位："
    elif kind == 6:
        title = f"{district}{project}中标候选人公示"
        items = [
            f"{project}已于{_cn_date(when - timedelta(days=3))}开标，经评标委员会评审，"
            "现将中标候选人公示如下：",
            f"第一中标候选人：湖南{rng.choice(_PLACES)[:2]}建设工程有限公司。",
            period + "。",
        ]
        salutation = "各投标人："
    else:
        title = f"{district}{year}年{topic}结果公示"
        items = [
            f"根据工作安排，{source}组织开展了{year}年{topic}工作，现将结果予以公示。",
            period + "，如有异议，请向" + source + "反映。",
        ]
        salutation = ""
    body = ([salutation] if salutation else []) + items
    body += [f"岳阳市{district}{source[1:]}", _cn_date(when)]
    attachments = []
    if rng.random() < 0.2:
        attachments = [(f"{title[:12]}名单.pdf", f"/files/P0{when:%Y%m%d}{serial:06d}.pdf")]
    written = None
    if doc_number:
        written = f"{when - timedelta(days=rng.randrange(1, 6)):%Y-%m-%d}"
    return {
        "title": title,
        "published": f"{when:%Y-%m-%d %H:%M}",
        "body": body,
        "source": source,
        "doc_number": doc_number,
        "index_number": f"430602/{year}-{serial:05d}" if doc_number else None,
        "written": written,
        "attachments": attachments,
    }
