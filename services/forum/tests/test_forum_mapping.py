"""The mapping table: forum categories, appeal types read from titles, masked places."""

from __future__ import annotations

import pytest

from minsheng_common.reference import load_reference
from minsheng_forum import mapping, sample


@pytest.mark.parametrize(
    ("label", "category_id"),
    [
        ("城乡建设", "planning-construction"),
        ("环境保护", "environment-water"),
        ("交通运输", "transport"),
        ("教育文体", "education"),
        ("劳动和社会保障", "labour-social-security"),
        ("商贸旅游", "market-regulation"),
        ("卫生计生", "health"),
    ],
)
def test_each_forum_category_maps_to_ours(label: str, category_id: str) -> None:
    assert mapping.category(label) == category_id


def test_every_mapped_category_exists_in_the_reference_data() -> None:
    known = {category.id for category in load_reference(None).categories}

    assert set(mapping.CATEGORIES.values()) <= known


def test_a_label_outside_the_table_gives_no_hint() -> None:
    assert mapping.category("政法监察") is None


def test_every_label_in_the_sample_is_in_the_table() -> None:
    messages = sample.read(sample.packaged_path())

    assert all(mapping.category(m.category_label) for m in messages)


@pytest.mark.parametrize(
    "title",
    [
        "A市在水一方大厦人为烂尾多年，安全隐患严重",
        "A3区杜鹃文苑小区外的非法汽车检测站要开业了！",
        "对看望病人的家属乱收费",
    ],
)
def test_a_title_that_neither_asks_nor_proposes_is_a_complaint(title: str) -> None:
    assert mapping.appeal_type(title) == "complaint"


@pytest.mark.parametrize(
    "title",
    [
        "A市公积金贷款额度是多少",
        "A6区的幼儿园学位何时公布？",
        "请问外地户口在A市能办社保",
        "咨询A4区小学入学政策",
        "A市二孩生育津贴如何领取?",
        "A市有几所公办高中吗",
        "退休后医保是否还要缴费",
        "能否在A1区办理居住证",
        "可否异地参加中考",
        "怎么查询公积金余额",
        "怎样办理残疾证",
        "地铁什么时候通到A5区",
    ],
)
def test_a_title_that_asks_is_a_consultation(title: str) -> None:
    assert mapping.appeal_type(title) == "consultation"


@pytest.mark.parametrize(
    "title",
    [
        "望B市职工医疗保险费能在网上查询",
        "关于K市域轨道交通规划的建议",
        "提议A市开通夜间公交",
        "倡议全市垃圾分类",
        "呼吁有关部门保护G4县地方非物质文化遗产",
        "希望A市能加快教育体制改革",
    ],
)
def test_a_title_that_proposes_is_a_suggestion(title: str) -> None:
    assert mapping.appeal_type(title) == "suggestion"


def test_a_proposal_phrased_as_a_question_is_a_suggestion() -> None:
    assert mapping.appeal_type("建议A市地铁可否延长运营时间？") == "suggestion"


def test_disappointment_is_not_a_wish() -> None:
    assert mapping.appeal_type("对A市的办事效率很失望，不能再拖了") == "complaint"


def test_the_city_becomes_pingshan_district() -> None:
    assert mapping.places("文明城市A市，尽快整改") == "文明城市深圳市坪山区，尽快整改"


@pytest.mark.parametrize(
    ("masked", "subdistrict"),
    [
        ("A1区", "坪山街道"),
        ("A2区", "马峦街道"),
        ("A3区", "碧岭街道"),
        ("A4区", "石井街道"),
        ("A5区", "坑梓街道"),
        ("A6区", "龙田街道"),
        ("A7区", "坪山街道"),
        ("A8区", "马峦街道"),
        ("A9区", "碧岭街道"),
    ],
)
def test_each_masked_district_becomes_its_subdistrict(
    masked: str, subdistrict: str
) -> None:
    assert mapping.places(f"住在{masked}杜鹃文苑") == f"住在{subdistrict}杜鹃文苑"


def test_city_and_district_together() -> None:
    assert mapping.places("A市A3区雷峰大道") == "深圳市坪山区碧岭街道雷峰大道"


@pytest.mark.parametrize(
    "text",
    [
        "A9市的农贸市场",
        "A7县教育局",
        "K1区人民医院",
        "B市职工医疗保险",
        "A10区新建小学",
        "HA市",
        "3A市",
        "KA1区",
        "A区",
    ],
)
def test_other_masked_places_stay_as_they_are(text: str) -> None:
    assert mapping.places(text) == text


def test_a1_is_mapped_but_a10_is_not() -> None:
    assert mapping.places("A1区和A10区") == "坪山街道和A10区"
