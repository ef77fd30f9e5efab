"""find_objection_window: the 公示 / 异议 / 征求意见 window a notice's body states."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.parse.notice.window import find_objection_window
from crawler.parse.notice.workdays import add_working_days, is_workday
from tests.conftest import real_page_notice


def W(text, start=None, end=None, days=None, unit=None, approximate=False):  # noqa: N802
    return {
        "text": text,
        "start": start,
        "end": end,
        "days": days,
        "unit": unit,
        "approximate": approximate,
    }


CASES = [
    # --- explicit dates
    (
        "现予以公示。公示期为2023年5月6日至5月12日。",
        "2023-05-05",
        W("公示期为2023年5月6日至5月12日", "2023-05-06", "2023-05-12"),
    ),
    (
        "公示时间：2023年5月6日—2023年5月12日",
        None,
        W("公示时间：2023年5月6日—2023年5月12日", "2023-05-06", "2023-05-12"),
    ),
    (  # the Yueyang wording: the printed end date is start + 5 working days
        "公示期为5个工作日(2017年11月28日——2017年12月5日)。公示期间如有异议，请向区委组织部反映。",
        "2017-11-28",
        W(
            "公示期为5个工作日(2017年11月28日——2017年12月5日)",
            "2017-11-28",
            "2017-12-05",
            5,
            "working",
        ),
    ),
    (
        "公示期为5个工作日（2017年11月28日——2017年12月5日），如有异议请反映。",
        None,
        W(
            "公示期为5个工作日（2017年11月28日——2017年12月5日）",
            "2017-11-28",
            "2017-12-05",
            5,
            "working",
        ),
    ),
    (
        "公示期：２０２３年５月６日至５月１２日",
        None,
        W("公示期：２０２３年５月６日至５月１２日", "2023-05-06", "2023-05-12"),
    ),
    (
        "三、公示期：2023-05-06至2023-05-12",
        None,
        W("公示期：2023-05-06至2023-05-12", "2023-05-06", "2023-05-12"),
    ),
    (
        "公示时间：2023年5月6日9:00至2023年5月12日17:00",
        None,
        W("公示时间：2023年5月6日9:00至2023年5月12日17:00", "2023-05-06", "2023-05-12"),
    ),
    (  # a line ending in the label continues on the next line
        "公示时间：\n2023年5月6日至5月12日\n",
        None,
        W("公示时间： 2023年5月6日至5月12日", "2023-05-06", "2023-05-12"),
    ),
    (  # the second date takes the first's year and month; the first takes the publish year
        "名单予以公示。公示期为5个工作日（3月9日—13日）。",
        "2020-03-06",
        W("公示期为5个工作日（3月9日—13日）", "2020-03-09", "2020-03-13", 5, "working"),
    ),
    (
        "公示时间为12月28日至1月5日。",
        "2022-12-27",
        W("公示时间为12月28日至1月5日", "2022-12-28", "2023-01-05"),
    ),
    (
        "公示期为2023年5月6日至12日",
        None,
        W("公示期为2023年5月6日至12日", "2023-05-06", "2023-05-12"),
    ),
    (
        "现予以公示，公示期为5个工作日(2019年6月14日- -6月20日).",
        "2019-06-14",
        W("公示期为5个工作日(2019年6月14日- -6月20日)", "2019-06-14", "2019-06-20", 5, "working"),
    ),
    (  # the phrase stops at the bracket it sits in
        "现将晋升人员名单公示如下（公示期：6月16日-6月22日）：",
        "2024-06-16",
        W("公示期：6月16日-6月22日", "2024-06-16", "2024-06-22"),
    ),
    (  # consecutive clauses with dates or durations make one phrase
        "现对拟聘用人员进行公示。公示期为5个工作日，自2026年8月14日至2026年8月20日，期间如有异议请向办公厅实名反映。",
        "2026-08-13",
        W(
            "公示期为5个工作日，自2026年8月14日至2026年8月20日",
            "2026-08-14",
            "2026-08-20",
            5,
            "working",
        ),
    ),
    (
        "即日起至2023年5月12日止，如有异议请向区政府办反映。",
        "2023-05-06",
        W("即日起至2023年5月12日止", "2023-05-06", "2023-05-12"),
    ),
    # --- counted from the publish date (the start day is not counted)
    (
        "公示期为5个工作日。",
        "2017-11-28T09:00:00+08:00",
        W("公示期为5个工作日", "2017-11-28", "2017-12-05", 5, "working"),
    ),
    (
        "现予公示，公示时间：即日起5日内。",
        "2021-09-24T16:12:00+08:00",
        W("公示时间：即日起5日内", "2021-09-24", "2021-09-29", 5, "calendar"),
    ),
    (
        "本次公示期5个工作日。",
        "2017-11-28",
        W("本次公示期5个工作日", "2017-11-28", "2017-12-05", 5, "working"),
    ),
    (
        "自公告之日起十五日内，利害关系人可以书面形式提出异议。",
        "2023-05-04",
        W("自公告之日起十五日内", "2023-05-04", "2023-05-19", 15, "calendar"),
    ),
    (  # 民法典: 开始的当日不计入
        "如有异议，应当在本公告之日起十五日内以书面形式向所在地乡镇人民政府提出，由所在地人民政府协调。",
        "2019-09-03T16:43:00+08:00",
        W(
            "如有异议，应当在本公告之日起十五日内以书面形式向所在地乡镇人民政府提出",
            "2019-09-03",
            "2019-09-18",
            15,
            "calendar",
        ),
    ),
    (  # the lead-in two clauses back; 2023 National Day: Sep 29-Oct 6 off, Oct 7-8 worked
        "对拟定的征地补偿安置方案有不同意见的，或者要求举行听证的，应当在本公告发布之日起10个工作日内向区自然资源局提出。",
        "2023-09-28",
        W(
            "对拟定的征地补偿安置方案有不同意见的，或者要求举行听证的，应当在本公告发布之日起10个工作日内向区自然资源局提出",
            "2023-09-28",
            "2023-10-18",
            10,
            "working",
        ),
    ),
    (
        "公示期为一个月。",
        "2023-01-31",
        W("公示期为一个月", "2023-01-31", "2023-02-28"),
    ),
    (
        "公示期为三十日。",
        "2023-01-31",
        W("公示期为三十日", "2023-01-31", "2023-03-02", 30, "calendar"),
    ),
    (  # counted from another event: no dates
        "如有异议，请于收到本通知之日起三个工作日内以书面形式提出。",
        "2023-05-04",
        W("如有异议，请于收到本通知之日起三个工作日内以书面形式提出", None, None, 3, "working"),
    ),
    (  # no publish date: the phrase without dates
        "公示期为5个工作日，如有异议请在公示期内反映。",
        None,
        W("公示期为5个工作日", None, None, 5, "working"),
    ),
    # --- comment windows and deadlines
    (
        "征求意见时间为2023年5月1日至5月31日。",
        None,
        W("征求意见时间为2023年5月1日至5月31日", "2023-05-01", "2023-05-31"),
    ),
    (
        "意见反馈截止时间为2023年6月1日。",
        "2023-05-01",
        W("意见反馈截止时间为2023年6月1日", None, "2023-06-01"),
    ),
    (
        "意见反馈截止日期为：2026年10月7日",
        "2026-09-01",
        W("意见反馈截止日期为：2026年10月7日", None, "2026-10-07"),
    ),
    (
        "请于2026年10月14日前反馈意见。",
        "2026-09-01",
        W("请于2026年10月14日前反馈意见", None, "2026-10-14"),
    ),
    (  # a clause that only says 时间为… takes the clause naming whose time it is
        "现公开征求社会各界意见，时间为2023年5月1日至5月31日。",
        None,
        W("现公开征求社会各界意见，时间为2023年5月1日至5月31日", "2023-05-01", "2023-05-31"),
    ),
    (
        "如对公示对象有异议的，可在公示期内，于2023年5月12日前向区委组织部反映。",
        "2023-05-06",
        W(
            "如对公示对象有异议的，可在公示期内，于2023年5月12日前向区委组织部反映",
            None,
            "2023-05-12",
        ),
    ),
    (  # a 公示 window wins over an earlier comment window
        "征求意见时间为2023年5月1日至5月31日。经研究，现予公示，公示期为2023年6月1日至6月7日。",
        None,
        W("公示期为2023年6月1日至6月7日", "2023-06-01", "2023-06-07"),
    ),
    (  # several 公示 windows: the first
        "公示期为2023年6月1日至6月7日。第二批公示期为2023年7月1日至7月7日。",
        None,
        W("公示期为2023年6月1日至6月7日", "2023-06-01", "2023-06-07"),
    ),
]


@pytest.mark.parametrize(
    ("body", "published", "want"), CASES, ids=[c[2]["text"][:24] for c in CASES]
)
def test_window(body, published, want):
    assert find_objection_window(body, published) == want


@pytest.mark.parametrize(
    ("numeral", "n"),
    [
        ("五", 5),
        ("七", 7),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("三十", 30),
        ("15", 15),
        ("１５", 15),
    ],
)
def test_numerals(numeral, n):
    got = find_objection_window(f"公示期为{numeral}日。", "2023-03-01")
    assert got["days"] == n and got["unit"] == "calendar"
    assert got["end"] == date.fromordinal(date(2023, 3, 1).toordinal() + n).isoformat()


NEGATIVES = [
    "许可证有效期为2023年5月6日至2028年5月5日。",
    "许可证有效期自2023年5月6日至2028年5月5日，现予以公示。",
    "相关材料（纸质版+电子版）于2023年5月30日前报送至区市场监督管理局质监处。",
    "申报截止时间为2023年5月30日。",
    "请于5月30日前报送，我局将对申报材料进行初审后公示。",
    "成文日期：2023年5月4日\n关于2023年度拟表彰对象的公示\n2023年5月4日",
    "联系电话：0591-23163633\n公示单位：区市场监督管理局",
    "公示期满无异议的，将于2023年5月20日前颁发证书。",
    "被征收土地的所有权人、使用权人应当在公告之日起十五日内，持土地权属证书到当地人民政府土地行政主管部门办理征地补偿登记。",
    "公示期间如有异议，请向区纪委监委反映。",
    "经公示，2023年5月 12日正式发布。",
    "",
]


@pytest.mark.parametrize("body", NEGATIVES)
def test_not_a_window(body):
    assert find_objection_window(body, "2023-05-04") is None


# --- dates without a year around New Year ------------------------------------------------
# A year-less date takes the year nearest the publish date; a year-less second date is the
# first such day on or after the first; end is never before start.

NEW_YEAR = [
    (
        "如有异议，请于1月5日前提出。",
        "2023-12-20",
        W("如有异议，请于1月5日前提出", None, "2024-01-05"),
    ),
    (
        "公示期：即日起至1月5日",
        "2023-12-20",
        W("公示期：即日起至1月5日", "2023-12-20", "2024-01-05"),
    ),
    (  # published after New Year: the first date is last year's
        "公示时间：12月28日至1月5日",
        "2024-01-02",
        W("公示时间：12月28日至1月5日", "2023-12-28", "2024-01-05"),
    ),
    (  # Fri 2023-12-29 + 5 working days: Jan 1 off, Tue 2 .. Fri 5, Mon 8
        "公示期自12月29日起5个工作日",
        "2024-01-02",
        W("公示期自12月29日起5个工作日", "2023-12-29", "2024-01-08", 5, "working"),
    ),
    (  # a year-less first date before a dated second one: the last such day before it
        "公示时间：12月28日至2024年1月5日",
        None,
        W("公示时间：12月28日至2024年1月5日", "2023-12-28", "2024-01-05"),
    ),
    (  # printed dates that disagree: the phrase without dates
        "公示时间：2023年11月1日至2023年10月5日",
        "2023-10-01",
        W("公示时间：2023年11月1日至2023年10月5日"),
    ),
    (  # a publish date after the printed end: the end only
        "公示期：即日起至2023年5月1日",
        "2023-06-01",
        W("公示期：即日起至2023年5月1日", None, "2023-05-01"),
    ),
]


@pytest.mark.parametrize(
    ("body", "published", "want"), NEW_YEAR, ids=[c[2]["text"][:24] for c in NEW_YEAR]
)
def test_year_less_dates(body, published, want):
    got = find_objection_window(body, published)
    assert got == want
    assert not (got["start"] and got["end"]) or got["start"] <= got["end"]


# --- windows of a later stage (招聘公告) are not counted from the publish date --------------

LATER_STAGE = [
    (
        "考察合格的人员确定为拟聘用人员，并在区政府网站公示7个工作日。",
        W("并在区政府网站公示7个工作日", days=7, unit="working"),
    ),
    (
        "一、报名时间：2023年5月8日至5月12日。\n五、拟录用人员名单公示5个工作日。",
        W("拟录用人员名单公示5个工作日", days=5, unit="working"),
    ),
    (  # a labelled 公示期 in a 招聘公告 (报名) that never says it is the 公示
        "报名时间：2023年5月8日至5月12日。拟聘用人员名单在网站公示，公示期为7个工作日。",
        W("公示期为7个工作日", days=7, unit="working"),
    ),
    (  # 自公示之日起 of a 公示 still to come
        "拟聘用人员名单将在网站公示，自公示之日起5个工作日内可提出异议。",
        W("自公示之日起5个工作日内可提出异议", days=5, unit="working"),
    ),
]


@pytest.mark.parametrize(("body", "want"), LATER_STAGE, ids=[c[1]["text"] for c in LATER_STAGE])
def test_later_stage_has_no_dates(body, want):
    assert find_objection_window(body, "2023-05-04") == want


@pytest.mark.parametrize(
    "body",
    [
        "现将拟录用人员名单予以公示，公示期为5个工作日。",
        "以下人员予以公示，公示5个工作日。",
        "现将名单公示如下：\n公示期为5个工作日，如有异议请反映。\n报名时间另行通知。",
        "如有异议，请于5个工作日内向区人社局反映。",
    ],
)
def test_this_gongshi_counts_from_publication(body):
    # Thu 2023-05-04 + 5 working days: Fri 5, Sat 6 (worked after 劳动节), Mon 8, Tue 9, Wed 10
    got = find_objection_window(body, "2023-05-04")
    assert (got["start"], got["end"], got["days"]) == ("2023-05-04", "2023-05-10", 5)


# --- dates in Chinese numerals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "published", "start", "end"),
    [
        ("公示期为二〇二三年五月六日至五月十二日。", None, "2023-05-06", "2023-05-12"),
        ("公示期：二〇二三年十二月二十八日至一月五日", None, "2023-12-28", "2024-01-05"),
        ("公示时间为五月六日至十二日。", "2023-05-04", "2023-05-06", "2023-05-12"),
        ("如有异议，请于二〇二三年五月十二日前反映。", None, None, "2023-05-12"),
    ],
)
def test_chinese_numeral_dates(body, published, start, end):
    got = find_objection_window(body, published)
    assert got["text"] == body.rstrip("。") and (got["start"], got["end"]) == (start, end)


# --- linear time: extraction runs in the crawler's reactor thread ---------------------------
# The adversarial bodies that were quadratic are tests/test_linear.py's (objection_window family), under
# a hard CPU limit; their times are benchmarks/bench_bounds.py's.


def test_only_the_start_of_a_huge_body_is_scanned():
    assert find_objection_window("。" * 300_000 + "公示期为5个工作日。", "2023-05-04") is None
    assert find_objection_window("。" * 1_000 + "公示期为5个工作日。", "2023-05-04") is not None


# --- working days --------------------------------------------------------------------------


def test_calendar_facts():
    assert is_workday(date(2023, 4, 23)) == (True, True)  # an adjusted working Sunday
    assert is_workday(date(2023, 1, 23)) == (False, True)  # a Spring Festival Monday
    assert is_workday(date(2027, 3, 6)) == (False, False)  # beyond the calendar: Mon-Fri


def test_working_days_2017_example():
    assert add_working_days(date(2017, 11, 28), 5) == (date(2017, 12, 5), False)


def test_adjusted_working_sunday_counts():
    # Thu 2023-04-20 + 5: Fri 21, Sun 23 (worked), Mon 24, Tue 25, Wed 26 (Mon-Fri would say 27)
    got = find_objection_window("公示期为5个工作日。", "2023-04-20")
    assert got["end"] == "2023-04-26" and got["approximate"] is False


def test_spring_festival_skipped():
    # Thu 2023-01-19 + 5: Fri 20, Jan 21-27 off, Sat 28 and Sun 29 worked, Mon 30, Tue 31
    got = find_objection_window("公示期为5个工作日。", "2023-01-19")
    assert got["end"] == "2023-01-31" and got["approximate"] is False


def test_beyond_calendar_is_approximate():
    # 2027 is not in the official calendar: Mon 2027-03-01 + 5 Mon-Fri days = Mon 03-08
    got = find_objection_window("公示期为5个工作日。", "2027-03-01")
    assert got == W("公示期为5个工作日", "2027-03-01", "2027-03-08", 5, "working", True)
    # crossing into the unknown year: approximate too. Tue 2026-12-29 + 5: Wed 30, Thu 31
    # (official), then Mon-Fri: Fri 2027-01-01 (a holiday in fact), Mon 04, Tue 05
    got = find_objection_window("公示期为5个工作日。", "2026-12-29")
    assert got["approximate"] is True and got["end"] == "2027-01-05"
    # inside the known years nothing is approximate, even across New Year
    got = find_objection_window("公示期为5个工作日。", "2025-12-29")
    assert got["approximate"] is False


def test_explicit_dates_beyond_calendar_are_exact():
    got = find_objection_window("公示期为2028年5月6日至5月12日。", "2028-05-05")
    assert got["approximate"] is False and got["end"] == "2028-05-12"


# --- the real pages (every field of every page: tests/test_golden.py) ------------------------


def test_pt_d03_dates():
    notice = real_page_notice("pt_d03.html")
    got = find_objection_window(notice.body, notice.published)
    assert got == W(
        "如有异议，应当在本公告之日起十五日内以书面形式向所在地乡镇人民政府提出",
        "2019-09-03",
        "2019-09-18",
        15,
        "calendar",
    )
