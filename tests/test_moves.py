"""Matching a migrated site's notices to the archived ones (archive/storage/moves.py), on
notices written for these tests: a new template around each body, an edit made on the way,
templated siblings, a 文号 anchor, a near tie and a notice served twice."""

from __future__ import annotations

from archive.storage.moves import Doc, doc_number_key, match

OLD_CHROME = ["当前位置：首页 > 通知公告", "浏览次数：{n}", "【打印本页】【关闭窗口】"]
NEW_CHROME = ["某省政府网站集约化平台", "发布时间：2025-0{n}-01 来源：某某区", "【我要纠错】"]


def page(chrome: list[str], lines: list[str], n: int) -> str:
    head, *tail = (c.format(n=n % 9 + 1) for c in chrome)
    return "\n".join([head, *lines, *tail])


BODIES = {
    "road": [
        "因枫林路雨污分流改造施工，自即日起对枫林路北段实行全封闭交通管制。",
        "过往车辆请绕行金鹗中路，由此带来的不便敬请谅解。",
    ],
    "flood": [
        "为做好今年汛期防汛抗旱工作，区防指决定启动防汛四级应急响应。",
        "各乡镇街道要严格落实二十四小时值班制度，加强巡堤查险。",
    ],
    "land": [
        "经省人民政府批准，征收洞庭村三组集体土地十二点四六公顷。",
        "补偿标准按区片综合地价执行，被征地农户请于规定期限内办理补偿登记。",
    ],
    "audit": [
        "根据年度审计计划，区审计局对区城投公司二〇二三年度财务收支进行了审计。",
        "审计发现的问题已全部整改到位，相关责任人已作出处理。",
    ],
}


def olds(bodies: dict, numbers: dict | None = None) -> list[Doc]:
    return [
        Doc(k, f"关于{k}的公告", page(OLD_CHROME, lines, i), (numbers or {}).get(k))
        for i, (k, lines) in enumerate(bodies.items())
    ]


def news(bodies: dict, numbers: dict | None = None, prefix="http://new.gov.cn/") -> list[Doc]:
    return [
        Doc(prefix + k, f"关于{k}的公告", page(NEW_CHROME, lines, i), (numbers or {}).get(k))
        for i, (k, lines) in enumerate(bodies.items())
    ]


def pairs(out) -> dict[str, str]:
    return {x.old: x.new.rsplit("/", 1)[1] for x in out.links}


def test_each_notice_is_linked_to_its_copy_under_a_new_template():
    out = match(olds(BODIES), news(dict(reversed(BODIES.items()))))
    assert pairs(out) == {k: k for k in BODIES}
    assert out.ambiguous == [] and out.unmatched_old == [] and out.unmatched_new == []
    assert not any(x.edited for x in out.links)  # the templates differ, the notices do not


def test_an_edit_made_on_the_way_is_linked_and_flagged():
    moved = dict(BODIES)
    moved["land"] = [moved["land"][0].replace("十二点四六", "十三点一"), moved["land"][1]]
    out = match(olds(BODIES), news(moved))
    assert pairs(out) == {k: k for k in BODIES}
    assert [x.old for x in out.links if x.edited] == ["land"]


def test_a_dropped_notice_is_left_unmatched_never_given_a_neighbour():
    moved = {k: v for k, v in BODIES.items() if k != "flood"}
    out = match(olds(BODIES), news(moved))
    assert "flood" not in pairs(out) and out.unmatched_old == ["flood"]


def _siblings(n: int) -> dict:
    names = ["王建国", "李秀英", "张伟", "刘芳", "陈志强", "杨丽", "赵敏"]
    return {
        f"hire{i}": [
            f"经笔试、面试、考察和体检，拟聘用{names[i]}（准考证号20240{i}1{i}7）为区教育局教师。",
            "公示期为五个工作日，如有异议，请向区人力资源和社会保障局书面反映。",
        ]
        for i in range(n)
    }


def test_templated_siblings_each_find_their_own_and_a_lost_one_stays_lost():
    siblings = _siblings(7)
    moved = {k: v for k, v in siblings.items() if k != "hire3"}
    out = match(olds(siblings), news(moved))
    assert pairs(out) == {k: k for k in moved}
    assert out.unmatched_old == ["hire3"]  # removed, not hidden by a sibling's copy


def test_a_near_tie_is_left_for_a_person():
    # one old notice, two new ones that each differ from it by one name: neither is it
    old = {"hire": _siblings(1)["hire0"]}
    twins = {
        "a": [old["hire"][0].replace("王建国", "王建军"), old["hire"][1]],
        "b": [old["hire"][0].replace("王建国", "王建华"), old["hire"][1]],
    }
    out = match(olds(old), news(twins))
    assert out.links == [] and out.ambiguous[0][0] == "hire"
    assert len(out.ambiguous[0][1]) == 2


def test_an_equal_doc_number_anchors_a_rewritten_notice():
    rewritten = dict(BODIES)
    rewritten["audit"] = [
        "区审计局二〇二三年度对区城投公司财务收支的审计结果：问题已整改到位。",
        BODIES["audit"][1],
    ]
    number = {"audit": "岳楼审发〔2024〕3号"}
    out = match(olds(BODIES, number), news(rewritten, {"audit": "岳楼审发[2024] 3 号"}))
    link = next(x for x in out.links if x.old == "audit")
    assert link.anchor == "doc_number" and link.edited
    assert doc_number_key("岳楼审发〔2024〕3号") == doc_number_key("岳楼审发[2024] 3 号")
    # a 文号 two old notices hold is no anchor
    twice = {"audit": "岳楼审发〔2024〕3号", "road": "岳楼审发〔2024〕3号"}
    out = match(olds(BODIES, twice), news(rewritten, {"audit": "岳楼审发〔2024〕3号"}))
    assert all(x.anchor == "text" for x in out.links)


def test_a_notice_the_new_site_serves_twice_is_one_notice():
    moved = dict(BODIES)
    new = news(moved) + news({"road": BODIES["road"]}, prefix="http://new.gov.cn/copy/")
    out = match(olds(BODIES), new)
    assert pairs(out) == {k: k for k in BODIES} and out.ambiguous == []
    assert out.duplicates == {"http://new.gov.cn/road": ["http://new.gov.cn/copy/road"]}


def test_unrelated_notices_are_not_linked():
    other = {
        "tender": [
            "岳阳楼区城区道路提质改造工程（一期）施工招标，招标人为区住房和城乡建设局。",
            "投标人须具备市政公用工程施工总承包二级及以上资质。",
        ],
    }
    out = match(olds(BODIES), news(other))
    assert out.links == [] and sorted(out.unmatched_old) == sorted(BODIES)


def _site(chrome: list[str], bodies: dict, prefix: str, first_line: str = "") -> list[Doc]:
    return [
        Doc(
            f"{prefix}/{k}",
            f"关于{k}的公告",
            page(chrome, ([first_line] if first_line else []) + lines, i),
        )
        for i, (k, lines) in enumerate(bodies.items())
    ]


def test_a_notice_reposted_by_several_sites_is_one_group():
    from archive.storage.moves import copies

    sites = {
        "a": _site(OLD_CHROME, BODIES, "a"),
        "b": _site(NEW_CHROME, BODIES, "b", first_line="转发市人民政府办公室的通知"),
        "c": _site(["某县人民政府", "来源：县政府办"], {"flood": BODIES["flood"]}, "c"),
    }
    groups = copies(sites)
    assert [("a", "a/flood"), ("b", "b/flood"), ("c", "c/flood")] in groups
    assert sorted(len(g) for g in groups) == [2, 2, 2, 3]  # road, land, audit on a and b


def test_each_districts_own_templated_notice_is_not_a_repost_of_anothers():
    from archive.storage.moves import copies

    hires = _siblings(4)
    sites = {
        "a": _site(OLD_CHROME, {"hire": hires["hire0"]}, "a"),
        "b": _site(NEW_CHROME, {"hire": hires["hire1"]}, "b"),  # another name and number
    }
    assert copies(sites) == []


def test_a_redirect_is_a_move_when_the_page_is_the_notice_re_dated_or_a_little_edited():
    from archive.storage.moves import alike

    body = (
        "经区人民政府研究决定，对城南片区棚户区改造项目范围内的房屋实施征收，征收部门为区住房和"
        "城乡建设局，签约期限为公告之日起三十日，逾期未签约的依法作出补偿决定。"
    )
    old = Doc("o", "城南片区棚户区改造项目房屋征收决定公告", body, "岳楼征〔2024〕2号")
    # the platform shows its own template line, re-dates it and brackets the 文号 its own way
    moved = Doc(
        "n", old.title, body.replace("三十日", "三十个工作日") + "\n浏览次数：12", "岳楼征[2024]2号"
    )
    assert alike(old, moved)
    # the same text under next year's 文号 is next year's notice: redirected away
    assert not alike(old, Doc("n", old.title, body, "岳楼征〔2025〕1号"))
    # and a page of another notice is not this one moved
    assert not alike(
        old, Doc("n", "关于城区道路临时交通管制的通告", "因管网施工，金鹗路实行单向通行。")
    )


def test_a_series_numbered_in_its_titles_is_not_one_notice_reposted():
    from archive.storage.moves import prepare, reposted

    text = (
        "根据区城市管理局公开招聘工作方案，经笔试、面试、体检和考察，现将拟聘用人员名单予以公示，"
        "公示期五个工作日，如有异议请向区人力资源和社会保障局反映。"
    )
    first = Doc("a", "区城市管理局2024年公开招聘拟聘用人员公示（第1批）", text)
    fifth = Doc("b", "区城市管理局2024年公开招聘拟聘用人员公示（第5批）", text)
    repost = Doc(
        "c", "转发区城市管理局2024年公开招聘拟聘用人员公示（第1批）", text + "\n特此转发。"
    )
    assert not reposted(prepare(first), prepare(fifth))
    assert reposted(prepare(first), prepare(repost))


def test_a_copy_that_kept_the_text_is_told_from_one_that_made_the_same_edit():
    from archive.storage.moves import kept_text, prepare

    text = (
        "为加强冬季森林防火工作，即日起至次年四月三十日为森林防火期，期间禁止在林区野外用火，"
        "违者依法予以处罚；发现火情请立即拨打森林火警电话。"
    )
    before = prepare(Doc("a", "森林防火通告", text))
    added = prepare(Doc("a", "森林防火通告", text + "\n清明节期间另行加派巡山人员值守。"))
    rewritten = prepare(Doc("a", "森林防火通告", text.replace("依法予以处罚", "从重处罚")))
    other = prepare(Doc("b", "转发森林防火通告", "各乡镇：\n" + text))
    # a line added, or words rewritten: the other site's copy still holds the old text
    assert kept_text(other, before, added) and kept_text(other, before, rewritten)
    # a copy that made the same edit did not keep it
    same = prepare(
        Doc("b", "转发森林防火通告", "各乡镇：\n" + text.replace("依法予以处罚", "从重处罚"))
    )
    assert not kept_text(same, before, rewritten)
