"""The demo's story: an example district, then three rounds of changes between crawls.

`build_demo_site()` gives twelve 2021 notices of a 岳阳楼区-like district (three listing
pages of five); `apply_round(site, 1)` to `apply_round(site, 3)` change it the way real
sites change between visits.  `site.roles` names the notice each change touches, so tests
can check the archive's events against it.
"""

from __future__ import annotations

from crawler.demo.http import DistrictSite

D = "岳阳楼区"

# (title, published, source, body, extra fields)
_NOTICES: list[tuple[str, str, str, list[str], dict]] = [
    (
        f"关于{D}2021年度第一批次城镇建设用地征地补偿安置方案的公告",
        "2021-03-08 09:30",
        "区自然资源局",
        [
            "郭镇乡、西塘镇被征地农村集体经济组织及农户：",
            "根据《中华人民共和国土地管理法》及《湖南省实施〈中华人民共和国土地管理法〉办法》的规定，"
            "现将我区2021年度第一批次城镇建设用地征地补偿安置方案公告如下：",
            "一、征收范围：郭镇乡郭镇村3组、5组，西塘镇西塘村7组部分集体土地，共计12.46公顷。",
            "二、补偿标准：执行湘政发〔2020〕17号文件规定的征地区片综合地价。",
            "三、安置方式：采取货币安置与社会保障安置相结合的方式。",
            "四、被征地农村集体经济组织和农户对本方案有不同意见的，请于本公告发布之日起30日内"
            "向区自然资源局书面提出。",
            "联系人：王珺，联系电话：0730-8221567。",
            f"岳阳市{D}自然资源局",
            "2021年3月8日",
        ],
        {"attachments": [("征地补偿安置方案.pdf", "/files/P020210308512634870215.pdf")]},
    ),
    (
        f"{D}城区道路提质改造工程（一期）招标公告",
        "2021-04-15 10:00",
        "区住房和城乡建设局",
        [
            "各潜在投标人：",
            f"{D}城区道路提质改造工程（一期）已由区发展和改革局批准建设，资金来自财政资金，"
            "现对该项目的施工进行公开招标。",
            "一、招标范围：金鹗中路、巴陵东路共计3.2公里道路的路面改造及附属设施。",
            "二、投标人资格要求：具备市政公用工程施工总承包二级及以上资质。",
            "三、招标文件获取：2021年4月15日至2021年4月21日，每日9:00至17:00。",
            "联系人：刘海涛，联系电话：0730-8223341。",
            f"岳阳市{D}住房和城乡建设局",
            "2021年4月15日",
        ],
        {},
    ),
    (
        f"{D}市场监督管理局行政处罚决定书（岳楼市监处〔2021〕42号）",
        "2021-05-20 15:20",
        "区市场监督管理局",
        [
            f"当事人：{D}金鹗山街道某食品商行，经营者：陈志强。",
            "经查，当事人于2021年3月经营超过保质期的食品，违反了《中华人民共和国食品安全法》第三十四条"
            "第（十）项的规定。",
            "依据《中华人民共和国食品安全法》第一百二十四条第一款的规定，决定没收违法所得，"
            "并处罚款人民币五万元。",
            "当事人如不服本处罚决定，可在收到本决定书之日起六十日内申请行政复议，"
            "或者六个月内向人民法院提起行政诉讼。",
            f"岳阳市{D}市场监督管理局",
            "2021年5月20日",
        ],
        {},
    ),
    (
        "中央第二生态环境保护督察组交办信访件整改情况公示（第三批）",
        "2021-06-11 16:05",
        "区生态环境分局",
        [
            "根据中央第二生态环境保护督察工作要求，现将第三批交办信访件整改情况公示如下：",
            "一、枫桥湖街道某餐饮店油烟扰民问题：已责令安装油烟净化设施，整改完成。",
            "二、城东街道建筑工地夜间施工噪声问题：已立案查处，处罚款两万元，现已办结。",
            "三、吕仙亭街道河道垃圾问题：已组织清理，并建立长效管护机制。",
            "公示期为5个工作日（2021年6月11日至2021年6月18日）。",
            f"岳阳市生态环境局{D}分局",
            "2021年6月11日",
        ],
        {},
    ),
    (
        "关于2021年上半年城乡居民最低生活保障对象名单的公示",
        "2021-06-30 11:00",
        "区民政局",
        [
            "各街道办事处、乡镇人民政府：",
            "根据《湖南省最低生活保障工作规程》，经个人申请、入户调查、民主评议和审核审批，"
            "现将2021年上半年新增城乡居民最低生活保障对象名单予以公示（详见附件）。",
            "公示期为7天（2021年6月30日至2021年7月6日），如有异议，请向区民政局反映。",
            "监督电话：0730-8225678。",
            f"岳阳市{D}民政局",
            "2021年6月30日",
        ],
        {"attachments": [("最低生活保障对象名单.pdf", "/files/P020210630398215647290.pdf")]},
    ),
    (
        f"{D}2021年拟任职干部任前公式",  # the typo (公式 for 公示) is fixed in round 1
        "2021-07-12 09:00",
        "区委组织部",
        [
            "经区委研究，拟任用张䶮、李婷等3名同志为相关单位领导职务，现予以公示。",
            "公示期为5个工作日（2021年7月12日至2021年7月16日）。",
            "公示期间，对拟任职人选有异议的，可通过来信、来电、来访等方式向区委组织部反映。"
            "举报电话：0730-12380。",
            "中共岳阳市岳阳楼区委组织部",
            "2021年7月12日",
        ],
        {},
    ),
    (
        "关于南湖大道部分路段临时交通管制的通告",
        "2021-07-26 17:30",
        "区交通运输局",
        [
            "因南湖大道排水管网建设需要，经研究，决定对南湖大道（洞庭南路至环湖路段）实施临时交通管制。",
            "一、管制时间：2021年7月28日至2021年9月30日。",
            "二、管制期间，过往车辆请绕行巴陵西路，行人请注意安全。",
            "特此通告。",
            f"岳阳市{D}交通运输局",
            "2021年7月26日",
        ],
        {},
    ),
    (
        f"{D}人民政府关于印发《{D}城市防汛应急预案》的通知",
        "2021-08-09 10:20",
        "区政府办公室",
        [
            "各街道办事处、乡镇人民政府，区直各单位：",
            f"现将《{D}城市防汛应急预案》印发给你们，请结合实际，认真贯彻执行。",
            "一、各单位要落实防汛责任制，主要负责人为第一责任人。",
            "二、汛期实行24小时值班制度，遇有险情及时报告。",
            f"{D}人民政府",
            "2021年8月9日",
        ],
        {
            "doc_number": "岳楼政发〔2021〕17号",
            "index_number": "430602/2021-00017",
            "written": "2021-08-06",
        },
    ),
    (
        "关于郭镇乡洞庭村集体土地征收补偿安置方案的公告",
        "2021-08-23 14:45",
        "区自然资源局",
        [
            "郭镇乡洞庭村被征地农村集体经济组织及农户：",
            "经批准，现将郭镇乡洞庭村集体土地征收补偿安置方案公告如下：",
            "一、征收面积：洞庭村2组、4组集体农用地共计3.87公顷。",
            "二、补偿标准：区片综合地价每亩52000元，青苗补偿按实际种植情况计算。",
            "公示期为5个工作日（2021年8月23日至2021年8月27日），如有异议，请书面提出。",
            f"岳阳市{D}自然资源局",
            "2021年8月23日",
        ],
        {},
    ),
    (
        f"{D}2021年公开招聘教师拟聘用人员名单公示",
        "2021-09-03 09:10",
        "区教育局",
        [
            f"根据《{D}2021年公开招聘教师公告》，经笔试、面试、体检和考察，"
            "现将拟聘用人员名单予以公示。",
            "拟聘用人员：周珺、赵晓燕、孙𠀾、何俊杰等24名。",
            "公示期为7天（2021年9月3日至2021年9月9日）。",
            f"岳阳市{D}教育局",
            "2021年9月3日",
        ],
        {},
    ),
    (
        "关于开展2021年度“双随机、一公开”抽查工作的公告",
        "2021-09-15 16:00",
        "区市场监督管理局",
        [
            "各市场主体：",
            "根据国务院关于推广随机抽查规范事中事后监管的要求，现将2021年度抽查工作公告如下：",
            "一、抽查对象：随机抽取辖区内食品经营、特种设备使用单位共计200户。",
            "二、抽查时间：2021年9月20日至2021年11月30日。",
            f"岳阳市{D}市场监督管理局",
            "2021年9月15日",
        ],
        {},
    ),
    (
        f"关于{D}枫桥湖片区棚户区改造项目房屋征收补偿方案征求意见的公告",
        "2021-09-24 16:12",
        "区政府办公室",
        [
            "枫桥湖片区被征收人：",
            "为做好枫桥湖片区棚户区改造项目房屋征收工作，现将《房屋征收补偿方案（征求意见稿）》"
            "予以公布，征求公众意见。",
            "一、征收范围：东至枫桥湖路，南至奇家岭路，西至金鹗中路，北至五里牌路。",
            "二、征求意见期限：自公告之日起30日。",
            "联系人：林丽娟，联系电话：0730-8229876。",
            f"岳阳市{D}人民政府办公室",
            "2021年9月24日",
        ],
        {},
    ),
]

_NEW = (
    f"{D}2021年第三季度“双随机、一公开”抽查结果公示",
    "2021-10-08 09:00",
    "区市场监督管理局",
    [
        "根据2021年度抽查工作安排，现将第三季度抽查结果公示如下：",
        "一、共抽查市场主体68户，未发现问题的61户。",
        "二、发现问题的7户已责令限期整改。",
        f"岳阳市{D}市场监督管理局",
        "2021年10月8日",
    ],
)

# Which of the twelve (1-based, in the order above) each change touches.
ROLES = {
    "attachment": 5,
    "doc_number": 8,
    "edited": 9,
    "title_fix": 6,
    "gone404": 7,
    "soft404": 10,
    "redirect_home": 11,
    "delisted": 4,
}

ROUND_NOTES = {
    1: (
        "site rebuilt (noise on every page); one notice's body edited, one title typo fixed, "
        "one notice now 404, one a soft 404, one redirects home, one delisted, one new notice"
    ),
    2: (
        "site rebuilt again (noise only); the 404 notice restored unchanged, "
        "the delisted notice still off the listing (a second walk without it: delisted)"
    ),
    3: "the delisted notice back in the listing",
}


def build_demo_site(style: str = "trs", page_size: int = 5) -> DistrictSite:
    """The example district before any change: 12 notices, 3 listing pages of 5."""
    site = DistrictSite(style=style, page_size=page_size, name=f"{D}人民政府")
    for title, published, source, body, extra in _NOTICES:
        site.add(title, published=published, body=body, source=source, **extra)
    site.roles = dict(ROLES)
    return site


def apply_round(site: DistrictSite, n: int) -> str:
    """Change the site as between two crawls; returns ROUND_NOTES[n]."""
    r = site.roles
    if n == 1:
        site.rebuild()
        body = site.get(r["edited"])["body"]
        body[-3] = body[-3].replace(
            "公示期为5个工作日（2021年8月23日至2021年8月27日）",
            "公示期为7个工作日（2021年8月23日至2021年8月31日）",
        )
        site.edit(r["edited"], body=body)
        title = site.get(r["title_fix"])["title"]
        site.edit(r["title_fix"], title=title.replace("任前公式", "任前公示"))
        site.set_state(r["gone404"], "404")
        site.set_state(r["soft404"], "soft404")
        site.set_state(r["redirect_home"], "redirect_home")
        site.delist(r["delisted"])
        title, published, source, body = _NEW
        r["new"] = site.add(title, published=published, body=body, source=source)
    elif n == 2:
        site.rebuild()
        site.set_state(r["gone404"], "ok")
    elif n == 3:
        site.relist(r["delisted"])
    else:
        raise ValueError(f"the demo has rounds 1 to 3, not {n!r}")
    return ROUND_NOTES[n]
