"""The appeal's type read from its text when the channel gives none (Art. 2):
a proposal or a wish is a suggestion (建议), a question a consultation (咨询),
anything else a complaint (投诉)."""

from __future__ import annotations

import pytest

from minsheng_intake.classification.appeal_type import infer_type
from minsheng_intake.classification.rules import TypeRules


@pytest.mark.parametrize(
    ("title", "content"),
    [
        ("建议在秀新路口增设红绿灯", "该路口车流量大，行人过马路很危险。"),
        ("关于增加碧岭街道公交班次的提议", "早晚高峰公交车很挤。"),
        ("倡议小区实行垃圾分类", "我们小区垃圾桶太少，分类做得不好。"),
        ("呼吁尽快开通坑梓到地铁站的接驳巴士", ""),
        ("希望坪山图书馆周末能延长开放时间", "周末去看书的人很多。"),
        ("望区医保能在网上查询缴费明细", ""),
        # A proposal phrased as a question still proposes.
        ("建议马峦山郊野公园可否增设停车场？", ""),
    ],
)
def test_a_proposal_or_a_wish_in_the_title_is_a_suggestion(
    title: str, content: str
) -> None:
    assert infer_type(title, content) == "suggestion"


@pytest.mark.parametrize(
    ("title", "content"),
    [
        ("请问新生儿入户需要哪些材料", "孩子刚出生，想办理坪山区户口。"),
        ("咨询灵活就业人员社保缴费", "我目前没有单位，想自己交社保。"),
        ("坪山区人才住房什么时候开始申请？", ""),
        ("公积金提取的流程是怎样的", ""),
        ("辞退员工是否需要支付经济补偿", "公司说我试用期不合格要辞退我。"),
        # A question said outright beats the complaint words in it.
        ("咨询公司拖欠工资怎么申请劳动仲裁", "公司已经三个月没发工资了。"),
    ],
)
def test_a_question_in_the_title_is_a_consultation(title: str, content: str) -> None:
    assert infer_type(title, content) == "consultation"


@pytest.mark.parametrize(
    ("title", "content"),
    [
        ("投诉某物业乱收停车费", "小区物业每月多收五十元停车管理费。"),
        ("工地夜间施工噪音扰民", "晚上十二点还在施工，建议相关部门尽快处理。"),
        ("龙田街道某路段路灯坏了", "已经一周没亮了，晚上走路很危险。"),
        # A complaint word beats a question mark in the title ("为什么没人管？").
        ("小区门口垃圾堆积恶臭为什么没人管？", ""),
        ("石井街道某餐馆油烟污染", "油烟直排，希望有关部门能尽快查处。"),
        ("菜市场门口占道经营", "每天早上摊贩把路全占了，车辆无法通行。"),
    ],
)
def test_a_reported_problem_is_a_complaint(title: str, content: str) -> None:
    assert infer_type(title, content) == "complaint"


def test_a_silent_title_leaves_it_to_the_content() -> None:
    assert infer_type("关于新生儿入户", "请问新生儿入户需要什么材料？") == (
        "consultation"
    )
    assert infer_type("关于马峦山公园", "建议在公园入口增加指示牌。") == "suggestion"
    assert infer_type("关于某小区", "小区楼下烧烤店油烟扰民，建议取缔。") == (
        "complaint"
    )


def test_only_the_opening_sentence_of_the_content_asks() -> None:
    rhetorical = "楼下商铺每天放音乐到深夜。这样下去居民还怎么休息？"

    assert infer_type("楼下商铺音乐太吵", rhetorical) == "complaint"


def test_a_wish_in_the_content_asks_for_handling_it_does_not_propose() -> None:
    assert (
        infer_type("某小区门口路灯不亮", "已经一周了，希望相关部门能尽快修复。")
        == "complaint"
    )


@pytest.mark.parametrize("word", ["失望", "看望", "探望", "绝望", "观望"])
def test_words_with_wang_that_wish_nothing_are_not_wishes(word: str) -> None:
    assert infer_type(f"答复让人{word}却不能反映", "") == "complaint"


def test_a_text_that_says_nothing_is_a_complaint() -> None:
    assert infer_type("", "") == "complaint"


def test_the_keywords_are_rule_parameters() -> None:
    rules = TypeRules(suggestion_markers=("提个意见",))

    assert infer_type("提个意见：公园开放时间太短", "", rules) == "suggestion"
    assert infer_type("建议公园延长开放时间", "", rules) == "complaint"
