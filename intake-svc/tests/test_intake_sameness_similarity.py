"""The same problem (Art. 11(3)5, Art. 18): text and place similarity, and its
threshold, on real-looking Chinese appeals."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from minsheng_intake.sameness import places
from minsheng_intake.sameness.params import DEFAULTS, params_from
from minsheng_intake.sameness.similarity import (
    Problem,
    describe,
    is_same_problem,
    similarity,
)
from minsheng_intake.sameness.vocabulary import DEFAULT_VOCABULARY, Vocabulary

THRESHOLD = DEFAULTS.same_problem_threshold


def problem(
    content: str,
    *,
    subdistrict_id: str | None = "kengzi-jd",
    community: str | None = "秀新社区",
    address: str | None = None,
    parts: Mapping[str, str] | None = None,
    title: str = "",
) -> Problem:
    return describe(
        title=title,
        content=content,
        subdistrict_id=subdistrict_id,
        community=community,
        address=address,
        parts=parts,
    )


# One problem worded twice, as people do; both at the same community.
REWORDED = [
    ("路灯不亮", "路灯坏了晚上很黑"),
    ("门口的路灯坏了", "路灯一到晚上就不亮"),
    (
        "小区门口垃圾桶三天没人清理，气味很大",
        "垃圾桶满了好几天都没有人来清运，臭气熏天",
    ),
    ("楼下工地晚上施工噪音太大，影响休息", "工地半夜还在施工，吵得睡不着觉"),
    ("马路上有个大坑，车子经过很危险", "路面坑洼严重，车辆通行有安全隐患"),
    ("井盖破损，行人容易踩空", "井盖坏了有人差点掉下去"),
    ("共享单车乱停乱放堵住人行道", "人行道被共享单车占满了没法走"),
    ("餐馆油烟直排，熏得不能开窗", "饭店排油烟太严重，家里窗户都不敢开"),
    ("树枝挡住了红绿灯，看不到信号", "行道树太茂盛把信号灯遮挡了"),
    ("公交站台的广告牌松动，风大时很危险", "公交站广告牌摇摇欲坠，存在安全隐患"),
    ("自来水停水两天了没有通知", "家里已经两天没水了，也没有停水通知"),
    ("违章停车堵住小区出入口", "车辆乱停把小区门口堵死了"),
]

# Two problems at the same place, some sharing words.
DIFFERENT = [
    ("路灯不亮", "垃圾没人清"),
    ("路灯坏了晚上很黑", "工地晚上施工噪音太大"),
    ("垃圾桶满了没人清理", "井盖破损行人容易踩空"),
    ("马路上有个大坑", "共享单车乱停乱放"),
    ("下雨后路面积水严重", "自来水停水两天了"),
    ("饭店晚上营业很吵", "饭店油烟直排熏得不能开窗"),
    ("违章停车堵住小区出入口", "小区门口路灯不亮"),
    ("工地施工扬尘很大，到处都是灰", "工地晚上施工噪音太大"),
    ("楼下商铺噪音扰民", "楼下商铺占道经营"),
]


@pytest.mark.parametrize(("first", "second"), REWORDED)
def test_the_same_problem_reworded_at_the_same_place_is_the_same(
    first: str, second: str
) -> None:
    score = similarity(problem(first), problem(second))

    assert score >= THRESHOLD, (first, second, score)
    assert is_same_problem(problem(second), problem(first))


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_a_different_problem_at_the_same_place_is_not_the_same(
    first: str, second: str
) -> None:
    score = similarity(problem(first), problem(second))

    assert score < THRESHOLD, (first, second, score)


def test_the_threshold_leaves_a_margin_on_both_sides() -> None:
    """The default threshold sits in the gap between the two sets, not on an edge."""
    lowest_same = min(similarity(problem(a), problem(b)) for a, b in REWORDED)
    highest_different = max(similarity(problem(a), problem(b)) for a, b in DIFFERENT)

    assert lowest_same >= THRESHOLD + 0.1
    assert highest_different <= THRESHOLD - 0.3


def test_the_same_words_at_another_estate_are_another_problem() -> None:
    text = "小区门口垃圾桶三天没人清理，气味很大"
    by_parser = [
        problem(text, parts={places.ESTATE: estate}) for estate in ("碧桂园", "万科城")
    ]
    by_address = [
        problem(text, address=f"坑梓街道秀新社区{estate}小区")
        for estate in ("碧桂园", "万科城")
    ]
    in_text = [
        problem(f"秀新社区{estate}小区门口垃圾桶三天没人清理，气味很大")
        for estate in ("碧桂园", "万科城")
    ]

    for first, second in (by_parser, by_address, in_text):
        assert similarity(first, second) == 0.0
    assert similarity(by_parser[0], by_address[0]) >= THRESHOLD


def test_another_subdistrict_or_community_is_another_problem() -> None:
    here = problem("路灯不亮")

    assert similarity(here, problem("路灯不亮", subdistrict_id="longtian-jd")) == 0
    assert similarity(here, problem("路灯不亮", community="金沙社区")) == 0
    assert similarity(here, problem("路灯不亮", subdistrict_id=None)) == 0


def test_a_precise_spot_counts_more_than_the_community() -> None:
    """The same lamp post keeps the text's whole figure; only the same community
    keeps less of it; the same subdistrict alone less again."""
    post = {places.LAMP_POST: "SJ-0231"}
    first = problem("路灯不亮", parts=post)
    second = problem("路灯坏了晚上很黑", parts=post)

    precise = similarity(first, second)
    community = similarity(problem("路灯不亮"), problem("路灯坏了晚上很黑"))
    subdistrict = similarity(
        problem("路灯不亮", community=None), problem("路灯坏了晚上很黑", community=None)
    )

    assert precise > community > subdistrict > 0
    assert (
        similarity(first, problem("路灯不亮", parts={places.LAMP_POST: "SJ-0232"})) == 0
    )


def test_address_forms_are_read_from_the_text() -> None:
    found = places.parts_in(
        "坑梓街道秀新社区丹梓大道18号碧桂园小区3栋门口SJ-0231路灯不亮"
    )

    assert found == {
        places.ROAD: "丹梓大道",
        places.NUMBER: "18",
        places.ESTATE: "碧桂园",
        places.BUILDING: "3",
        places.LAMP_POST: "SJ-0231",
    }
    # Ways of speaking are not estates.
    assert places.ESTATE not in places.parts_in("我家小区门口垃圾桶满了")
    assert places.ESTATE not in places.parts_in("车辆乱停把小区门口堵死了")


def test_place_words_do_not_make_two_problems_alike() -> None:
    """Both texts name the same road and house number at length; what is wrong
    there differs."""
    first = problem("丹梓大道18号碧桂园小区门口路灯不亮")
    second = problem("丹梓大道18号碧桂园小区门口垃圾桶满了没人清理")

    assert similarity(first, second) < THRESHOLD
    assert "碧桂园" not in first.tokens


def test_a_place_name_is_not_a_problem_word() -> None:
    """坑梓 is a subdistrict, not a 坑 (pothole)."""
    assert "坑洼" not in problem("坑梓街道的路灯不亮").troubles
    assert "坑洼" in problem("路面有个大坑").troubles


def test_contacts_in_the_text_do_not_make_appeals_alike() -> None:
    """Texts are redacted first: the same phone number in two texts is no shared
    word."""
    first = problem("请回电13800012345，路灯不亮")
    second = problem("请回电13800012345，垃圾没人清")

    assert not any("13800012345" in token for token in first.tokens)
    assert similarity(first, second) < THRESHOLD


def test_texts_without_problem_words_compare_by_their_words() -> None:
    same = similarity(problem("小区外墙瓷砖脱落"), problem("外墙瓷砖又脱落了"))
    other = similarity(problem("小区外墙瓷砖脱落"), problem("想咨询孩子办理户口的手续"))

    assert same >= THRESHOLD
    assert other == 0


def test_the_vocabulary_loads_from_rule_data() -> None:
    data = DEFAULT_VOCABULARY.as_data()
    loaded = Vocabulary.from_data(data)

    assert loaded.as_data() == data
    assert loaded.concepts_in("路灯坏了晚上很黑") == {"路灯", "不亮", "故障"}
    smaller = Vocabulary.from_data({"电梯": {"kind": "thing", "words": ["电梯"]}})
    assert smaller.concepts_in("电梯坏了") == {"电梯"}


def test_the_address_parsers_parts_are_read_under_our_keys() -> None:
    parsed = {
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "road": "丹梓大道",
        "number": "18",
        "estate": "碧桂园小区",
        "building": "3栋",
        "unit": "2单元",
        "room": "1203",
        "component": {"kind": "lamp_post", "number": "sj-0231"},
    }

    parts = places.parts_from_parsed(parsed)
    from_parser = problem("路灯不亮", parts=parts)
    from_text = problem("碧桂园小区3栋门口SJ-0231路灯坏了晚上很黑")

    assert parts == {
        places.ROAD: "丹梓大道",
        places.NUMBER: "18",
        places.ESTATE: "碧桂园小区",
        places.BUILDING: "3栋",
        places.LAMP_POST: "SJ-0231",
    }
    assert places.parts_from_parsed(
        {"component": {"kind": "manhole_cover", "number": "JG-12"}}
    ) == {places.COMPONENT: "manhole_cover:JG-12"}
    assert places.parts_from_parsed(None) == {}
    assert similarity(from_parser, from_text) >= THRESHOLD


def test_rule_parameters_come_from_the_edition_with_defaults_for_the_rest() -> None:
    params = params_from(
        {
            "repeat_working_days": 5,
            "same_problem_threshold": 0.6,
            "category_confidence_threshold": 0.5,
        }
    )

    assert params.repeat_working_days == 5
    assert params.same_problem_threshold == 0.6
    assert params.cluster_window_hours == DEFAULTS.cluster_window_hours
