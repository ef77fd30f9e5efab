"""find_contact: the labelled contact block of a notice's body."""

from __future__ import annotations

import pytest

from crawler.parse.notice.contact import find_contact
from tests.conftest import real_page_notice


def C(text, person=None, phone=None, email=None, address=None):  # noqa: N802
    return {"text": text, "person": person, "phone": phone, "email": email, "address": address}


CASES = [
    (  # the pt_d01 layout: one item a line, a spaced-out label, the signature after
        "请按时报送。\n联系人：区市场监督管理局质监处 陈冰娟\n电 话：0591-23163633\n"
        "邮寄地址：平潭综合实验区北厝镇金井湾商务营运中心7号楼5层\n电子邮箱：pt_zjc1@163.com\n"
        "平潭综合实验区市场监督管理局\n2023年5月4日",
        C(
            "联系人：区市场监督管理局质监处 陈冰娟 电话：0591-23163633 "
            "邮寄地址：平潭综合实验区北厝镇金井湾商务营运中心7号楼5层 电子邮箱：pt_zjc1@163.com",
            "区市场监督管理局质监处 陈冰娟",
            "0591-23163633",
            "pt_zjc1@163.com",
            "平潭综合实验区北厝镇金井湾商务营运中心7号楼5层",
        ),
    ),
    (  # fax and 邮编 stay in the phrase; several phones joined by ；
        "联 系 人：王五\n联系电话：0591-2345678、13912345678\n传 真：0591-2345679\n"
        "E-mail：abc@xx.gov.cn\n通讯地址：福建省平潭县某路1号\n邮编：350400\n平潭县人民政府",
        C(
            "联系人：王五 联系电话：0591-2345678、13912345678 传真：0591-2345679 "
            "E-mail：abc@xx.gov.cn 通讯地址：福建省平潭县某路1号 邮编：350400",
            "王五",
            "0591-2345678；13912345678",
            "abc@xx.gov.cn",
            "福建省平潭县某路1号",
        ),
    ),
    (
        "联系人：张三，联系电话：0591-2345678。",
        C("联系人：张三，联系电话：0591-2345678", "张三", "0591-2345678"),
    ),
    (
        "联系人：张三（电话：0591-22345678）",
        C("联系人：张三（电话：0591-22345678）", "张三", "0591-22345678"),
    ),
    (
        "联系人及电话：李四 13800000000",
        C("联系人及电话：李四 13800000000", "李四", "13800000000"),
    ),
    (  # a qualified label inside a sentence
        "请通过来信、来电（联系电话：0591-2345678）等方式反映。",
        C("联系电话：0591-2345678", phone="0591-2345678"),
    ),
    (
        "如有疑问，请拨打咨询电话0591-2345678。",
        C("咨询电话0591-2345678", phone="0591-2345678"),
    ),
    ("监督电话：12345", C("监督电话：12345", phone="12345")),
    (
        "举报电话：0591-22345678，举报邮箱：jb@pingtan.gov.cn。",
        C(
            "举报电话：0591-22345678，举报邮箱：jb@pingtan.gov.cn",
            phone="0591-22345678",
            email="jb@pingtan.gov.cn",
        ),
    ),
    (
        "联系电话：（0591）23163633",
        C("联系电话：（0591）23163633", phone="（0591）23163633"),
    ),
    (  # full-width digits: as printed
        "联系电话：０５９１－２３１６３６３３",
        C("联系电话：０５９１－２３１６３６３３", phone="０５９１－２３１６３６３３"),
    ),
    ("电子信箱：ab@cd.com", C("电子信箱：ab@cd.com", email="ab@cd.com")),
    ("Email: ab@cd.com", C("Email:ab@cd.com", email="ab@cd.com")),
    ("联系方式：ab@cd.com", C("联系方式：ab@cd.com", email="ab@cd.com")),
    (  # an empty 联系方式： heading is not an item
        "联系方式：\n联系人：赵六\n手机：13912345678",
        C("联系人：赵六 手机：13912345678", "赵六", "13912345678"),
    ),
    (  # a phone written inside the person value
        "联系人：区住建局 张老师 0591-23456789",
        C("联系人：区住建局 张老师 0591-23456789", "区住建局 张老师", "0591-23456789"),
    ),
    (  # a lone address is no contact; the first useful block is
        "地址：平潭县某路1号\n现将有关事项通知如下。\n联系电话：0591-23456789",
        C("联系电话：0591-23456789", phone="0591-23456789"),
    ),
]


@pytest.mark.parametrize(("body", "want"), CASES, ids=[c[1]["text"][:20] for c in CASES])
def test_contact(body, want):
    assert find_contact(body) == want


NEGATIVES = [
    "如有疑问，请拨打0591-23456789咨询。",  # an unlabelled number
    "地址：平潭县某路1号",  # an address alone
    "项目地址：平潭县某路1号",
    "电话：",
    "联系电话：请见附件",
    "我们打电话给他，他的联系人员很多。",
    "请各单位确定一名联系人，于5月30日前报送。",
    "传真：0591-2345679",  # a fax alone
    "2023年5月4日",
    # a site footer that leaked into the body
    "网站地图 | 联系我们\n主办：青山区人民政府办公室 联系电话：0571-86010000 网站标识码：3301990001\n"
    "浙ICP备10012345号-1",
    "",
]


@pytest.mark.parametrize("body", NEGATIVES)
def test_not_a_contact(body):
    assert find_contact(body) is None


# --- footer lines, found once for the whole body ------------------------------------------


def test_footer_line_after_the_contact():
    body = (
        "联系人：张三\n电话：0591-1234567\n"
        "主办：青山区人民政府办公室 联系电话：0571-86010000 浙ICP备10012345号-1"
    )
    assert find_contact(body) == C("联系人：张三 电话：0591-1234567", "张三", "0591-1234567")


def test_footer_line_before_the_contact():
    body = "主办：青山区人民政府办公室 联系电话：0571-86010000\n正文。\n咨询电话：0591-1234567"
    assert find_contact(body) == C("咨询电话：0591-1234567", phone="0591-1234567")


def test_phone_a_few_characters_after_its_label():
    assert find_contact("联系电话：（工作日）0591-2345678")["phone"] == "0591-2345678"
    assert (
        find_contact("联系电话：请于每个工作日上午九点至十二点或下午两点半至五点半拨打0591-2345678")
        is None
    )


def test_overlong_email_local_part_is_not_an_email():
    assert find_contact("E-mail：" + "a" * 65 + "@b.cn") is None
    assert find_contact("E-mail：" + "a" * 64 + "@b.cn")["email"] == "a" * 64 + "@b.cn"


# --- linear time: extraction runs in the crawler's reactor thread ---------------------------
# The adversarial bodies that were quadratic are tests/test_linear.py's (contact family), under
# a hard CPU limit; their times are benchmarks/bench_bounds.py's.


def test_a_block_holds_at_most_40_items():
    got = find_contact("联系人：张 " * 40_000)
    assert got["text"].count("联系人：") == 40 and got["person"] == "张"


def test_only_the_start_of_a_huge_body_is_scanned():
    assert find_contact("。" * 300_000 + "联系电话：0591-2345678") is None
    assert find_contact("。" * 1_000 + "联系电话：0591-2345678") is not None


# --- the real pages (every field of every page: tests/test_golden.py) ------------------------


def test_pt_d01_parts():
    notice = real_page_notice("pt_d01.html")
    got = find_contact(notice.body)
    assert got["person"] == "区市场监督管理局质监处 陈冰娟"
    assert got["phone"] == "0591-23163633"
    assert got["email"] == "pt_zjc1@163.com"
    assert got["address"] == "平潭综合实验区北厝镇金井湾商务营运中心7号楼5层"
